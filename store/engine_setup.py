"""The store's connection: the engine set up for SQLite or PostgreSQL, the write transaction holding the
append lock, failures as ``StoreUnavailable``, and the schema created or upgraded (store/schema.py) before
any use. Every other part of the store (store/db.py) builds on ``StoreEngine``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert, select, text, update
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from store.chain import GENESIS
from store.records import StoreUnavailable
from store.schema import SchemaState, StoreNeedsUpgrade, create_at_head, head_revision, schema_state, upgrade
from store.tables import chain_head, policy_event_head
from store.watchdog import Watchdog
from store.writer_lock import WriterLock

DEFAULT_URL = "sqlite:///var/complaints.db"
_SCHEMA_LOCK_KEY = 7_261_354_001  # pg_advisory_xact_lock key for schema creation


def normalize_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` spellings; we drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


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


class StoreEngine:
    """The connection and the schema; ``DecisionStore`` (store/db.py) adds what is stored."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        sqlite_busy_timeout_ms: int = 5000,
        pool_size: int = 5,
        statement_timeout_ms: int = 5000,
    ):
        self.url = normalize_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        self._writers = WriterLock(None)
        self._last_write: tuple[float, str | None] | None = None  # (monotonic time, error or None)
        if self.dialect == "sqlite":
            self.engine = self._sqlite_engine(parsed, sqlite_busy_timeout_ms)
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                self._writers = WriterLock(f"{database}-writers.lock")
        elif self.dialect == "postgresql":
            self.engine = self._postgres_engine(pool_size, statement_timeout_ms)
        else:
            raise ValueError(f"unsupported database {self.dialect!r}: expected sqlite or postgresql")
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._known_policies: set[str] = set()  # policy digests known stored (store/policy_texts.py)

    @staticmethod
    def _sqlite_engine(parsed: URL, busy_timeout_ms: int) -> Engine:
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                pass  # connecting will fail and say so (StoreUnavailable), like any unreachable database
        engine = create_engine(
            parsed,
            hide_parameters=True,  # error messages must never carry request bodies (personal data)
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: object) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=FULL")  # a COMMIT is on disk before we answer 201
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")

        return engine

    def _postgres_engine(self, pool_size: int, statement_timeout_ms: int) -> Engine:
        """Every call bounded in time: connecting, waiting for a lock, a statement, and a stalled server."""
        timeout = max(int(statement_timeout_ms), 0)
        options = ""
        if timeout:
            # The server's own bounds; a stopped client's open transaction is ended too (its row locks freed).
            idle = max(4 * timeout, 30_000)
            options = (
                f"-c statement_timeout={timeout} -c lock_timeout={timeout} "
                f"-c idle_in_transaction_session_timeout={idle}"
            )
        engine = create_engine(
            self.url,
            pool_pre_ping=False,  # pinged below, inside the deadline (a pre-ping on a stalled server never returns)
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=5,
            hide_parameters=True,  # error messages must never carry request bodies (personal data)
            connect_args={"connect_timeout": 3, "application_name": "complaint-decisions", "options": options},
        )
        watchdog = Watchdog(timeout / 1000)

        @event.listens_for(engine, "checkout")
        def _checkout(dbapi_connection: Any, _record: object, _proxy: object) -> None:
            watchdog.arm(dbapi_connection, dbapi_connection.fileno())
            try:
                cursor = dbapi_connection.cursor()
                cursor.execute("SELECT 1")
                cursor.close()
            except Exception as exc:  # noqa: BLE001 - any failure: let the pool try a fresh connection
                watchdog.disarm(dbapi_connection)
                raise DisconnectionError(f"ping failed: {exc}") from exc

        @event.listens_for(engine, "checkin")
        def _checkin(dbapi_connection: Any, _record: object) -> None:
            if dbapi_connection is not None:
                watchdog.disarm(dbapi_connection)

        @event.listens_for(engine, "invalidate")
        def _invalidate(dbapi_connection: Any, _record: object, _exception: object) -> None:
            if dbapi_connection is not None:
                watchdog.disarm(dbapi_connection)

        return engine

    # -- plumbing --------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise
        except (OperationalError, InterfaceError, PoolTimeout) as exc:
            raise StoreUnavailable(_reason(exc)) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable(_reason(exc)) from exc
            raise

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction holding the append lock; commits on exit. Its outcome is kept for readiness."""
        try:
            if self.dialect != "sqlite":
                with self.engine.connect() as conn, conn.begin():
                    yield conn
            else:
                with self._writers.held(), self.engine.connect() as conn:
                    conn.execution_options(immediate=True)
                    with conn.begin():
                        yield conn
        except IntegrityError:
            raise  # the caller's concern (a duplicate), not a store that cannot write
        except (OperationalError, InterfaceError, PoolTimeout, DBAPIError) as exc:
            self._last_write = (time.monotonic(), _reason(exc))
            raise
        self._last_write = (time.monotonic(), None)

    def check_writes(self, fresh_seconds: float) -> None:
        """Raise ``StoreUnavailable`` unless writes commit: the last write's success if it is at most
        ``fresh_seconds`` old (no probe under load), else a probe write that commits a no-op update.
        A failed last write is probed again rather than trusted, so readiness returns with the store."""
        last = self._last_write
        if last is not None and last[1] is None and time.monotonic() - last[0] < fresh_seconds:
            return
        self._ensure_schema()
        with self._guard(), self._write() as conn:
            conn.execute(update(chain_head).where(chain_head.c.id == 1).values(seq=chain_head.c.seq))

    def dispose(self) -> None:
        self.engine.dispose()

    def init_schema(self) -> None:
        """Create a new store at this release's schema; use one already at it; safe from many processes at once.

        A store at an older schema revision (or made before migrations) raises ``StoreNeedsUpgrade``
        naming `complaints store upgrade`, having changed nothing (``store/schema.py``)."""
        with self._guard(), self._write() as conn:
            self._lock_schema(conn)
            state = schema_state(conn)
            if state.empty:
                create_at_head(conn)
            elif not state.ready:
                raise StoreNeedsUpgrade(state.problem(display_url(self.url)))
            self._head_rows(conn)
        self._schema_ready = True

    def upgrade_schema(self) -> tuple[str | None, str]:
        """Bring the store to this release's schema (every revision it lacks); (revision before, after)."""
        with self._guard(), self._write() as conn:
            self._lock_schema(conn)
            if schema_state(conn).empty:
                create_at_head(conn)
                changed: tuple[str | None, str] = (None, head_revision())
            else:
                changed = upgrade(conn)
            self._head_rows(conn)
        self._schema_ready = True
        return changed

    def schema_state(self) -> SchemaState:
        with self._guard(), self.engine.connect() as conn:
            return schema_state(conn)

    def _lock_schema(self, conn: Connection) -> None:
        if self.dialect == "postgresql":  # SQLite: the write transaction (BEGIN IMMEDIATE) already serialises
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})

    @staticmethod
    def _head_rows(conn: Connection) -> None:
        for head in (chain_head, policy_event_head):  # the decision chain's, the policy register's
            if conn.execute(select(head.c.id).where(head.c.id == 1)).first() is None:
                conn.execute(insert(head).values(id=1, seq=0, hash=GENESIS))

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            with self._schema_lock:
                if not self._schema_ready:
                    self.init_schema()

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the database answers and the schema is in place."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            conn.execute(select(chain_head.c.seq).where(chain_head.c.id == 1)).one()


def _reason(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
