"""Which schema revision a store is at, and bringing it to this release's (Alembic, ``store/migrations/``).

``store/tables.py`` is the schema of this release; ``store/migrations/versions/`` holds one revision
per change, the first (``0001``) being the schema of release 1.1.0, the last made without
migrations. A test holds the two to the same result (``tests/store/test_store_migrations.py``),
so a change to the tables without a revision fails the suite.

- An empty database gets the tables of ``store/tables.py`` and is stamped at the head revision
  (Alembic's recipe for a new database; the test proves it equals running every revision).
- A store at the head revision is used as it is.
- A store at an older revision, or made before migrations (no ``alembic_version``: 1.1.0 and
  earlier), is refused with ``StoreNeedsUpgrade`` until ``complaints store upgrade`` runs the
  revisions: the operator decides when (after a backup), never a starting service by surprise.
- A store at a revision this release does not know was upgraded by a newer release: refused too.

Every function here takes a connection inside the caller's write transaction (and, on PostgreSQL,
its advisory lock), so that concurrent starts and upgrades are serialised.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from store.tables import metadata

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
UPGRADE_COMMAND = "complaints store upgrade"


class StoreNeedsUpgrade(RuntimeError):
    """The store's schema is not this release's; nothing was changed."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    """The revisions shipped with this release (read once: they do not change while it runs)."""
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "store/migrations/versions/ holds no revision"
    return head


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # the stamped revision; None before migrations (or an empty database)
    head: str  # this release's
    ours: frozenset[str]  # which of this release's tables exist
    known: bool  # the stamped revision is one of this release's

    @property
    def empty(self) -> bool:
        return self.current is None and not self.ours

    @property
    def ready(self) -> bool:
        return self.current == self.head

    def problem(self, where: str) -> str:
        """Why the store at ``where`` cannot be used as it is, in one line naming the fix."""
        if self.current is not None and not self.known:
            return (
                f"the decision store at {where} is at schema revision {self.current}, which this release "
                f"({self.head}) does not know: it was upgraded by a newer release; run that release"
            )
        found = f"revision {self.current}" if self.current else "no schema revision (made by release 1.1.0 or earlier)"
        return (
            f"the decision store at {where} needs an upgrade: it has {found}, this release needs {self.head}; "
            f"back it up, then run `{UPGRADE_COMMAND}`"
        )


def schema_state(conn: Connection) -> SchemaState:
    present = set(inspect(conn).get_table_names())
    current = MigrationContext.configure(conn).get_current_revision() if VERSION_TABLE in present else None
    known = current is None or _known(current)
    return SchemaState(current, head_revision(), frozenset(present & set(metadata.tables)), known)


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
        return False


def create_at_head(conn: Connection) -> None:
    """A new store: this release's tables, stamped at the head revision."""
    metadata.create_all(conn, checkfirst=True)
    MigrationContext.configure(conn).stamp(_scripts(), "head")


def upgrade(conn: Connection) -> tuple[str | None, str]:
    """Run every revision the store lacks; returns (revision before, revision after)."""
    state = schema_state(conn)
    if state.current is not None and not state.known:
        raise StoreNeedsUpgrade(state.problem("this URL"))
    command.upgrade(_config(conn), "head")
    return state.current, head_revision()
