"""Open a decision store that must already exist: never create a file, a folder or a table.

Read commands (and every command but ``store init``) use ``open_existing``:
pointed at the wrong place (another working directory, a mistyped
``--database-url``) they must say so, not report on an empty store they just
made. Only ``store init`` and the starting service create tables
(``DecisionStore.init_schema``).

``StoreNotFound`` means there is no store at the URL (no SQLite file, or a
database without our tables); ``StoreNeedsUpgrade`` a store at an older (or
newer) schema revision than this release's (``store/schema.py``);
``StoreUnavailable`` means the database did not answer. Every message names
the URL (password hidden).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from store.db import DecisionStore, StoreUnavailable, display_url, normalize_url
from store.schema import StoreNeedsUpgrade, schema_state


class StoreNotFound(LookupError):
    """No decision store at this URL (nothing was created)."""


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def open_existing(url: str, *, allow_upgrade: bool = False, **options: Any) -> DecisionStore:
    """A ``DecisionStore`` on an existing store at this release's schema; raises ``StoreNotFound``,
    ``StoreNeedsUpgrade`` (unless ``allow_upgrade``: for `store upgrade` itself) or ``StoreUnavailable``."""
    try:
        normalized = normalize_url(url)
        path = _sqlite_file(normalized)
    except ArgumentError:
        raise StoreNotFound(
            f"{url!r} is not a database URL: expected sqlite:///path or postgresql://user@host/db"
        ) from None
    if path is not None and not path.is_file():
        # Checked before DecisionStore(), which would create the folder, and before connecting,
        # which would create the file.
        raise StoreNotFound(
            f"no decision store at {display_url(url)}: the file does not exist "
            "(give the right --database-url or DATABASE_URL, or create one with `complaints store init`)"
        )
    try:
        store = DecisionStore(url, **options)
    except ValueError as exc:
        raise StoreNotFound(f"{display_url(url)}: {exc}") from None
    try:
        with store._guard(), store.engine.connect() as conn:
            state = schema_state(conn)
    except StoreUnavailable as exc:
        store.dispose()
        raise StoreUnavailable(f"decision store unreachable at {display_url(url)}: {exc}") from None
    if state.empty:
        store.dispose()
        raise StoreNotFound(
            f"no decision store at {display_url(url)}: the database has none of its tables "
            "(give the right --database-url or DATABASE_URL, or create one with `complaints store init`)"
        )
    if not state.ready and not allow_upgrade:
        store.dispose()
        raise StoreNeedsUpgrade(state.problem(display_url(url)))
    store._schema_ready = state.ready  # the tables are there: reads must not try to create them
    return store
