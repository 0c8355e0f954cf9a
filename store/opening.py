"""Open a decision store that must already exist: never create a file, a folder or a table.

Read commands (and every command but ``store init``) use ``open_existing``:
pointed at the wrong place (another working directory, a mistyped
``--database-url``) they must say so, not report on an empty store they just
made. Only ``store init`` and the starting service create tables
(``DecisionStore.init_schema``).

``StoreNotFound`` means there is no store at the URL (no SQLite file, or a
database without our tables, or a store made by an older version that lacks
newer tables); ``StoreUnavailable`` means the database did not answer. Both
messages name the URL (password hidden).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from store.db import DecisionStore, StoreUnavailable, normalize_url
from store.tables import metadata


class StoreNotFound(LookupError):
    """No decision store at this URL (nothing was created)."""


def display_url(url: str) -> str:
    """The URL as given, with any password hidden; a relative SQLite path also shown absolute."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    shown = parsed.render_as_string(hide_password=True)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database and not Path(database).is_absolute():
        if database != ":memory:" and not database.startswith("file:"):
            shown += f" ({Path(database).resolve()})"
    return shown


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def open_existing(url: str, **options) -> DecisionStore:
    """A ``DecisionStore`` on an existing, initialised store; raises ``StoreNotFound`` or ``StoreUnavailable``."""
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
            present = set(inspect(conn).get_table_names())
    except StoreUnavailable as exc:
        store.dispose()
        raise StoreUnavailable(f"decision store unreachable at {display_url(url)}: {exc}") from None
    missing = sorted(set(metadata.tables) - present)
    if missing:
        store.dispose()
        if len(missing) == len(metadata.tables):
            raise StoreNotFound(
                f"no decision store at {display_url(url)}: the database has none of its tables "
                "(give the right --database-url or DATABASE_URL, or create one with `complaints store init`)"
            )
        raise StoreNotFound(
            f"the decision store at {display_url(url)} lacks the tables {', '.join(missing)} "
            "(made by an older version): run `complaints store init` to add them"
        )
    store._schema_ready = True  # the tables are there: reads must not try to create them
    return store
