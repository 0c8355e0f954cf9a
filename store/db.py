"""The decision store: one interface over SQLite (default) and PostgreSQL.

Appends are serialized so that the hash chain has exactly one head:
SQLite takes the write lock up front (``BEGIN IMMEDIATE``), PostgreSQL locks
the single ``chain_head`` row (``SELECT ... FOR UPDATE``). Inside that lock the
idempotency key (complaint_id, request_digest, policy_digest) is checked again,
and the unique constraint on it is the last line of defence, so two identical
requests at once give one decision. A method returns only after COMMIT.

Any failure to reach or write the database surfaces as ``StoreUnavailable``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import bindparam, create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import URL, Connection, Engine, Row, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql.elements import ColumnElement

from canonical import canonical_json, sha256_hex
from store import prefixes
from store.chain import GENESIS, link_hash
from store.group_commit import GroupCommit, Slot
from store.keys import ApiKey, check_roles, hash_key, new_key
from store.schema import SchemaState, StoreNeedsUpgrade, create_at_head, head_revision, schema_state, upgrade
from store.tables import (
    api_keys,
    chain_head,
    complaint_events,
    deadline_index,
    decisions,
    policies,
    policy_event_head,
    policy_sources,
    policy_text_digests,
    publications,
)
from store.watchdog import Watchdog
from store.writer_lock import WriterLock

DEFAULT_URL = "sqlite:///var/complaints.db"
_SCHEMA_LOCK_KEY = 7_261_354_001  # pg_advisory_xact_lock key for schema creation


class PolicyText(Protocol):
    """What the store keeps of a policy version: its text by digest, with the dates that place it in time."""

    @property
    def digest(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def announced_at(self) -> dt.datetime: ...
    @property
    def effective_from(self) -> dt.datetime: ...


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or written right now; retry later."""


class StaleComplaint(RuntimeError):
    """Another decision on the complaint was appended since the caller read it: read again and retry."""


class ComplaintHasEvents(StaleComplaint):
    """``append(without_events=True)``: events were recorded on the complaint, so it must be decided on
    them (``lifecycle.decision_service``); checked under the write lock, nothing was written."""


_ANY = object()  # append(expect_previous=...) not given: no check


@dataclass(frozen=True)
class StoredDecision:
    seq: int
    decision_id: str
    complaint_id: str
    request_body: str
    request_digest: str
    decision: str  # canonical JSON
    fired_rules: str  # canonical JSON list
    policy_digest: str
    policy_version: str
    engine_version: str
    created_at: str
    previous_decision_id: str | None
    prev_hash: str
    chain_hash: str

    def decision_dict(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.decision)
        return loaded

    def fired_rule_ids(self) -> list[str]:
        loaded: list[str] = json.loads(self.fired_rules)
        return loaded

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Pending:
    """An append waiting for its batch: the row's content, already serialised."""

    decision_id: str
    policy: PolicyText
    complaint_id: str
    request_body: str
    request_digest: str
    decision: str  # canonical JSON
    fired_rules: str  # canonical JSON list
    engine_version: str
    deadlines: list[dict[str, Any]] | None = None  # the deadline clock: the complaint's work-queue rows
    event: dict[str, Any] | None = None  # the event this decision records
    expect_previous: object = _ANY  # the complaint's latest decision the caller decided on
    without_events: bool = False  # decided on the complaint alone: refused if it has recorded events
    # What else the decision's transaction writes (its notifications in the webhook outbox), run on its
    # connection once the decision is inserted: both commit, or neither.
    in_transaction: Callable[[Connection], None] | None = None


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head_seq: int
    problems: list[str]


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


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class DecisionStore:
    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        sqlite_busy_timeout_ms: int = 5000,
        pool_size: int = 5,
        statement_timeout_ms: int = 5000,
        group_commit_max_batch: int = 64,
        group_commit_wait_us: int = 0,
    ):
        """``group_commit_*``: appends of this process's threads share a transaction, at most
        ``max_batch`` in one, the writer waiting at most ``wait_us`` µs for a short batch to fill."""
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
        self._known_policies: set[str] = set()
        self.group_commit: GroupCommit[_Pending, tuple[StoredDecision, bool]] = GroupCommit(
            self._write_appends, max_batch=group_commit_max_batch, max_wait=group_commit_wait_us / 1_000_000
        )

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

    # -- policies --------------------------------------------------------

    def store_policy(self, policy: PolicyText) -> None:
        self._ensure_schema()
        with self._guard(), self._write() as conn:
            self._ensure_policy(conn, policy)
        self._known_policies.add(policy.digest)

    def _ensure_policy(self, conn: Connection, policy: PolicyText) -> None:
        if policy.digest in self._known_policies:
            return
        found = conn.execute(select(policies.c.digest).where(policies.c.digest == policy.digest)).first()
        if found is None:
            stored_at = utc_now()
            conn.execute(
                insert(policies).values(
                    digest=policy.digest,
                    version=policy.version,
                    text=policy.text,
                    announced_at=policy.announced_at.isoformat(),
                    effective_from=policy.effective_from.isoformat(),
                    stored_at=stored_at,
                )
            )
            conn.execute(
                insert(policy_text_digests).values(
                    digest=policy.digest, text_sha256=sha256_hex(policy.text), recorded_at=stored_at
                )
            )

    def policy_texts(self) -> Iterator[dict[str, Any]]:
        """Every stored policy: digest, text and the recorded text_sha256 (None if stored before it was kept)."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            digests = conn.execute(select(policies.c.digest).order_by(policies.c.stored_at, policies.c.digest)).all()
        for (digest,) in digests:  # one text at a time: texts may be large
            query = (
                select(policies.c.digest, policies.c.text, policy_text_digests.c.text_sha256)
                .select_from(policies.outerjoin(policy_text_digests, policy_text_digests.c.digest == policies.c.digest))
                .where(policies.c.digest == digest)
            )
            with self._guard(), self.engine.connect() as conn:
                found = conn.execute(query).first()
            if found is not None:
                yield dict(found._mapping)

    def policy_text(self, digest: str) -> str | None:
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            return conn.execute(select(policies.c.text).where(policies.c.digest == digest)).scalar()

    def remember_policy_source(self, source: str, policy: PolicyText) -> None:
        """Store ``policy`` as the last good version loaded from ``source`` (a policy file's path)."""
        self._ensure_schema()
        for attempt in (1, 2):
            try:
                with self._guard(), self._write() as conn:
                    self._ensure_policy(conn, policy)
                    values = {"digest": policy.digest, "loaded_at": utc_now()}
                    changed = conn.execute(
                        update(policy_sources).where(policy_sources.c.source == source).values(**values)
                    )
                    if changed.rowcount == 0:
                        conn.execute(insert(policy_sources).values(source=source, **values))
                break
            except IntegrityError:
                if attempt == 2:  # another worker inserted the row first: the update now finds it
                    raise
        self._known_policies.add(policy.digest)

    def policy_for_source(self, source: str) -> dict[str, Any] | None:
        """The last good version remembered for ``source``: digest, version, text, loaded_at; or None."""
        self._ensure_schema()
        query = (
            select(policy_sources.c.digest, policy_sources.c.loaded_at, policies.c.version, policies.c.text)
            .join(policies, policies.c.digest == policy_sources.c.digest)
            .where(policy_sources.c.source == source)
        )
        with self._guard(), self.engine.connect() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row else None

    def publish_policy(self, policy: PolicyText, published_by: str, acknowledged: list[str]) -> bool:
        """Store ``policy`` and publish it; False if that exact policy was published before."""
        self._ensure_schema()
        with self._guard(), self._write() as conn:
            self._ensure_policy(conn, policy)
            found = conn.execute(select(publications.c.id).where(publications.c.digest == policy.digest)).first()
            if found is not None:
                return False
            conn.execute(
                insert(publications).values(
                    digest=policy.digest,
                    published_at=utc_now(),
                    published_by=published_by,
                    acknowledged=canonical_json(sorted(acknowledged)),
                )
            )
        self._known_policies.add(policy.digest)
        return True

    def published_after(self, last_id: int) -> list[dict[str, Any]]:
        """Publications newer than ``last_id``, oldest first, with their policy text."""
        self._ensure_schema()
        query = (
            select(
                publications.c.id,
                publications.c.digest,
                publications.c.published_at,
                publications.c.published_by,
                policies.c.version,
                policies.c.text,
                policies.c.effective_from,
                policies.c.announced_at,
            )
            .join(policies, policies.c.digest == publications.c.digest)
            .where(publications.c.id > last_id)
            .order_by(publications.c.id)
        )
        with self._guard(), self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def decisions_between(self, since: str, until: str | None = None, batch: int = 500) -> Iterator[StoredDecision]:
        """Stored decisions created in [since, until), in chain order, fetched in batches."""
        self._ensure_schema()
        last = 0
        while True:
            query = select(decisions).where(decisions.c.seq > last, decisions.c.created_at >= since)
            if until is not None:
                query = query.where(decisions.c.created_at < until)
            with self._guard(), self.engine.connect() as conn:
                rows = conn.execute(query.order_by(decisions.c.seq).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                yield _stored(row)
            last = rows[-1].seq

    # -- decisions -------------------------------------------------------

    def find(self, complaint_id: str, request_digest: str, policy_digest: str) -> StoredDecision | None:
        """The decision already stored for this exact request under this policy, if any."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            row = conn.execute(_IDEMPOTENT, _idempotency_key(complaint_id, request_digest, policy_digest)).first()
        return _stored(row) if row else None

    def append(
        self,
        *,
        decision_id: str,
        policy: PolicyText,
        complaint_id: str,
        request_body: str,
        request_digest: str,
        decision: dict[str, Any],
        fired_rules: list[str],
        engine_version: str,
        deadlines: list[dict[str, Any]] | None = None,
        event: dict[str, Any] | None = None,
        expect_previous: object = _ANY,
        without_events: bool = False,
        in_transaction: Callable[[Connection], None] | None = None,
    ) -> tuple[StoredDecision, bool]:
        """Store a new decision and return (it, True), or (the one already stored, False).

        Returns once the COMMIT holding it has returned; it may share that transaction with
        other threads' appends (group commit, store/group_commit.py).

        The deadline clock, in the same transaction: ``deadlines`` (``store.clock.DeadlineRow``
        fields) replace the complaint's rows in the work queue; ``event`` (type, at, subject, event)
        is recorded with the decision, once per complaint, type, instant and subject (a repeat
        returns the decision that recorded it); ``expect_previous``, the complaint's latest decision
        the caller decided on, else ``StaleComplaint``; ``without_events``: the decision was made on the
        complaint alone, so ``ComplaintHasEvents`` if events were recorded on it (one look-up for the
        batch's complaints already decided, none for a new complaint); ``in_transaction``, what else
        to write with a new decision, on its connection (not called for one stored before)."""
        self._ensure_schema()
        # Serialised here, in the caller's thread, so the writer holds the lock for as short as it can.
        pending = _Pending(
            decision_id=decision_id,
            policy=policy,
            complaint_id=complaint_id,
            request_body=request_body,
            request_digest=request_digest,
            decision=canonical_json(decision),
            fired_rules=canonical_json(fired_rules),
            engine_version=engine_version,
            deadlines=deadlines,
            event=event,
            expect_previous=expect_previous,
            without_events=without_events,
            in_transaction=in_transaction,
        )
        return self.group_commit.submit(pending)

    def _write_appends(self, take: Callable[[], Sequence[Slot[_Pending, tuple[StoredDecision, bool]]]]) -> None:
        """Write a batch in one transaction and answer each slot after COMMIT.

        ``take()`` hands over the batch, called once the write lock is held: appends that queued
        while this writer waited for another process's transaction join this one. The store
        unreachable: every slot gets ``StoreUnavailable``. Anything else failing a batch of several
        (a row the database refuses): each is written again alone, so only the offending request
        fails; a lone request that loses an idempotency race gets the stored row."""
        slots: Sequence[Slot[_Pending, tuple[StoredDecision, bool]]] = ()

        def items() -> list[_Pending]:
            nonlocal slots
            slots = take()
            return [slot.item for slot in slots]

        try:
            answers = self._append_batch(items)
        except StoreUnavailable:
            raise  # GroupCommit fails every slot of the batch with it
        except Exception as exc:
            if len(slots) > 1:
                for index, slot in enumerate(slots):
                    try:
                        self._write_appends(functools.partial(list, [slot]))
                    except StoreUnavailable as down:  # the store went away meanwhile: so it is for the rest too
                        for rest in slots[index:]:
                            rest.fail(down)
                        return
                    except Exception as refused:  # noqa: BLE001 - this request's own error, the others go on
                        slot.fail(refused)
                return
            if not slots:
                raise
            pending = slots[0].item
            stored = None
            if isinstance(exc, IntegrityError):
                # Another writer stored the same request (or recorded the same event) between our check and our insert.
                stored = self.find(pending.complaint_id, pending.request_digest, pending.policy.digest)
                if stored is None and pending.event is not None:
                    with self._guard(), self.engine.connect() as conn:
                        stored = _event_decision(conn, pending.complaint_id, pending.event)
            if stored is None:
                raise
            answers = [(stored, False)]
        for slot, answer in zip(slots, answers, strict=True):
            if isinstance(answer, StaleComplaint):
                slot.fail(answer)
            else:
                slot.answer(answer)

    def _append_batch(self, take: Callable[[], list[_Pending]]) -> list[tuple[StoredDecision, bool] | StaleComplaint]:
        """One transaction: the head read (and locked) once, the batch taken, every key checked under
        the lock, the rows inserted in queue order as consecutive links, the head moved once; then the
        deadline clock's event rows and work-queue rows of the new decisions. An append whose
        ``expect_previous`` is no longer the complaint's latest decision gets ``StaleComplaint``
        (the others are written)."""
        with self._guard():
            with self._write() as conn:
                head = conn.execute(_HEAD).one()
                batch = take()
                seq, prev_hash = head.seq, head.hash
                ids = list(dict.fromkeys(p.complaint_id for p in batch))
                taken: dict[tuple[str, str, str], int | StoredDecision] = {}
                latest: dict[str, tuple[int, str]] = {}
                for known_seq, known_id, complaint_id, digest, policy_digest in conn.execute(_KNOWN, {"ids": ids}):
                    taken[(complaint_id, digest, policy_digest)] = known_seq
                    if complaint_id not in latest or latest[complaint_id][0] < known_seq:
                        latest[complaint_id] = (known_seq, known_id)
                for policy in {p.policy.digest: p.policy for p in batch}.values():
                    self._ensure_policy(conn, policy)
                # Only a complaint decided before can have events (each is recorded with a decision).
                asked = [p.complaint_id for p in batch if p.without_events and p.complaint_id in latest]
                with_events = {row[0] for row in conn.execute(_WITH_EVENTS, {"ids": asked})} if asked else set()
                decided_before = set(latest)
                answers: list[tuple[int | StoredDecision, bool] | StaleComplaint] = []
                rows: list[dict[str, Any]] = []
                created: list[_Pending] = []
                events_taken: dict[tuple[Any, ...], StoredDecision] = {}
                for pending in batch:
                    if pending.without_events and pending.complaint_id in with_events:
                        answers.append(ComplaintHasEvents(f"complaint {pending.complaint_id} has recorded events"))
                        continue
                    key = (pending.complaint_id, pending.request_digest, pending.policy.digest)
                    found = taken.get(key)
                    if found is not None:  # stored before (its seq), or earlier in this batch (its record)
                        answers.append((found, False))
                        continue
                    previous = latest.get(pending.complaint_id)
                    if pending.event is not None:  # an event recorded before answers with its decision
                        event_key = (pending.complaint_id, *(pending.event[k] for k in ("type", "at", "subject")))
                        recorded = events_taken.get(event_key) or _event_decision(
                            conn, pending.complaint_id, pending.event
                        )
                        if recorded is not None:
                            answers.append((recorded, False))
                            continue
                    if pending.expect_previous is not _ANY and (previous[1] if previous else None) != (
                        pending.expect_previous
                    ):
                        answers.append(
                            StaleComplaint(
                                f"complaint {pending.complaint_id} has a newer decision than {pending.expect_previous}"
                            )
                        )
                        continue
                    seq += 1
                    row = {
                        "seq": seq,
                        "decision_id": pending.decision_id,
                        "complaint_id": pending.complaint_id,
                        "request_body": pending.request_body,
                        "request_digest": pending.request_digest,
                        "decision": pending.decision,
                        "fired_rules": pending.fired_rules,
                        "policy_digest": pending.policy.digest,
                        "policy_version": pending.policy.version,
                        "engine_version": pending.engine_version,
                        "created_at": utc_now(),
                        "previous_decision_id": previous[1] if previous else None,
                        "prev_hash": prev_hash,
                    }
                    row["chain_hash"] = prev_hash = link_hash(row)
                    rows.append(row)
                    record = StoredDecision(**row)
                    taken[key] = record
                    latest[pending.complaint_id] = (seq, pending.decision_id)
                    if pending.event is not None:
                        events_taken[event_key] = record
                        with_events.add(pending.complaint_id)
                    created.append(pending)
                    answers.append((record, True))
                earlier: dict[int, StoredDecision | None] = {
                    a[0]: None for a in answers if isinstance(a, tuple) and isinstance(a[0], int)
                }
                if earlier:
                    for found_row in conn.execute(_BY_SEQ, {"seqs": list(earlier)}):
                        earlier[found_row.seq] = _stored(found_row)
                if rows:
                    conn.execute(_INSERT, rows)
                    conn.execute(_ADVANCE, {"new_seq": seq, "new_hash": prev_hash})
                    _record_clock(conn, created, rows, decided_before)
                    for pending in created:
                        if pending.in_transaction is not None:
                            pending.in_transaction(conn)
        # Committed: only now may any caller be answered.
        self._known_policies.update(p.policy.digest for p in batch)
        result: list[tuple[StoredDecision, bool] | StaleComplaint] = []
        for answer in answers:
            if isinstance(answer, StaleComplaint):
                result.append(answer)
                continue
            found, is_new = answer
            stored = earlier[found] if isinstance(found, int) else found
            assert stored is not None  # its key was found under the same lock, so its row was read
            result.append((stored, is_new))
        return result

    def resolve_decision_id(self, given: str) -> str:
        """The stored decision id that ``given`` is, or begins (at least 8 characters); ``PrefixError`` otherwise."""
        return self._resolve(given, decisions.c.decision_id, "decision")

    def resolve_policy_digest(self, given: str) -> str:
        """The stored policy digest that ``given`` is, or begins (at least 8 characters); ``PrefixError`` otherwise."""
        return self._resolve(given, policies.c.digest, "stored policy")

    def _resolve(self, given: str, column: ColumnElement[str], what: str) -> str:
        prefix = prefixes.check(given, what)
        self._ensure_schema()
        # A range on the unique index, not LIKE: indexed on both databases.
        query = select(column).where(column >= prefix, column < prefixes.upper_bound(prefix))
        with self._guard(), self.engine.connect() as conn:
            found = conn.execute(query.order_by(column).limit(prefixes.SHOWN_CANDIDATES + 1)).scalars().all()
        return prefixes.pick(given, prefix, found, what)

    def get(self, decision_id: str) -> StoredDecision | None:
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            row = conn.execute(select(decisions).where(decisions.c.decision_id == decision_id)).first()
        return _stored(row) if row else None

    def for_complaint(self, complaint_id: str, *, limit: int, offset: int = 0) -> tuple[list[StoredDecision], int]:
        """Decisions on one complaint, newest first, and how many there are in all."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(decisions).where(decisions.c.complaint_id == complaint_id)
            ).scalar_one()
            rows = conn.execute(
                select(decisions)
                .where(decisions.c.complaint_id == complaint_id)
                .order_by(decisions.c.seq.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return [_stored(row) for row in rows], total

    def count(self) -> int:
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(decisions)).scalar_one()

    def seq_bounds(self) -> tuple[int, int]:
        """The lowest and highest stored ``seq`` ((0, 0) when empty): the range to split over workers."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            low, high = conn.execute(select(func.min(decisions.c.seq), func.max(decisions.c.seq))).one()
        return (low or 0, high or 0)

    def all_decisions(self, batch: int = 500) -> Iterator[StoredDecision]:
        """Every stored decision in chain order."""
        self._ensure_schema()
        last = 0
        while True:
            with self._guard(), self.engine.connect() as conn:
                rows = conn.execute(
                    select(decisions).where(decisions.c.seq > last).order_by(decisions.c.seq).limit(batch)
                ).all()
            if not rows:
                return
            for row in rows:
                yield _stored(row)
            last = rows[-1].seq

    def verify_chain(self) -> ChainReport:
        """Recompute every link; report each break (edited, removed or reordered rows)."""
        self._ensure_schema()
        problems: list[str] = []
        expected_prev, expected_seq, count = GENESIS, 1, 0
        for record in self.all_decisions():
            count += 1
            row = record.as_row()
            if record.seq != expected_seq:
                problems.append(f"seq {record.seq}: expected seq {expected_seq} (a row is missing)")
            if record.prev_hash != expected_prev:
                problems.append(f"seq {record.seq}: prev_hash does not match the previous row's chain_hash")
            if link_hash(row) != record.chain_hash:
                problems.append(f"seq {record.seq}: chain_hash does not match the row's content (edited)")
            expected_prev, expected_seq = record.chain_hash, record.seq + 1
        with self._guard(), self.engine.connect() as conn:
            head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).one()
        if head.hash != expected_prev or head.seq != expected_seq - 1:
            problems.append(f"chain head (seq {head.seq}) does not match the last stored row")
        return ChainReport(ok=not problems, count=count, head_seq=head.seq, problems=problems)

    # -- API keys --------------------------------------------------------

    def create_key(self, name: str, roles: list[str], person: str | None = None) -> tuple[ApiKey, str]:
        """A new key; the returned token is the only copy of the secret. ``person``: who it belongs to."""
        role_set = check_roles(roles)
        key_id, token, digest = new_key()
        key = ApiKey(key_id=key_id, name=name, roles=role_set, created_at=utc_now(), person=person or None)
        self._ensure_schema()
        with self._guard(), self._write() as conn:
            conn.execute(
                insert(api_keys).values(
                    key_id=key_id,
                    key_hash=digest,
                    name=name,
                    roles=",".join(sorted(role_set)),
                    created_at=key.created_at,
                    person=key.person,
                )
            )
        return key, token

    def key_for_token(self, token: str) -> ApiKey | None:
        """The active key whose secret is ``token``, or None."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys).where(api_keys.c.key_hash == hash_key(token), api_keys.c.revoked_at.is_(None))
            ).first()
        return _key(row) if row else None

    def list_keys(self) -> list[ApiKey]:
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
        return [_key(row) for row in rows]

    def active_key_count(self) -> int:
        return sum(1 for key in self.list_keys() if key.revoked_at is None)

    def revoke_key(self, key_id: str) -> bool:
        self._ensure_schema()
        with self._guard(), self._write() as conn:
            result = conn.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
        return result.rowcount == 1


# The statements of the hot path, built once: building a Core statement per call cost
# more CPU than executing it (bench/http.py profile).
_HEAD = select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1).with_for_update()
_IDEMPOTENT = select(decisions).where(
    decisions.c.complaint_id == bindparam("complaint_id"),
    decisions.c.request_digest == bindparam("request_digest"),
    decisions.c.policy_digest == bindparam("policy_digest"),
)
_PREVIOUS = (
    select(decisions.c.decision_id)
    .where(decisions.c.complaint_id == bindparam("complaint_id"))
    .order_by(decisions.c.seq.desc())
    .limit(1)
)
_KNOWN = select(
    decisions.c.seq,
    decisions.c.decision_id,
    decisions.c.complaint_id,
    decisions.c.request_digest,
    decisions.c.policy_digest,
).where(decisions.c.complaint_id.in_(bindparam("ids", expanding=True)))
_BY_SEQ = select(decisions).where(decisions.c.seq.in_(bindparam("seqs", expanding=True)))
_WITH_EVENTS = (
    select(complaint_events.c.complaint_id)
    .where(complaint_events.c.complaint_id.in_(bindparam("ids", expanding=True)))
    .distinct()
)
_INSERT = insert(decisions)
_ADVANCE = update(chain_head).where(chain_head.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))


def _record_clock(
    conn: Connection, created: list[_Pending], rows: list[dict[str, Any]], decided_before: set[str]
) -> None:
    """The deadline clock's rows of a batch's new decisions (``rows``, in the same order): each
    recorded event, and each complaint's work queue replaced by its latest decision's deadlines.
    A complaint first decided in this batch has no queue rows yet: its rows are only inserted, all
    such rows of the batch in one statement (the common case: a new complaint)."""
    events = [
        dict(p.event, complaint_id=p.complaint_id, decision_id=p.decision_id, recorded_at=row["created_at"])
        for p, row in zip(created, rows, strict=True)
        if p.event is not None
    ]
    if events:
        conn.execute(insert(complaint_events), events)
    fresh: list[dict[str, Any]] = []
    for index, pending in enumerate(created):
        if pending.deadlines is None:
            continue
        later = any(other.complaint_id == pending.complaint_id for other in created[index + 1 :])
        if pending.complaint_id in decided_before or later:
            _replace_deadlines(conn, pending.complaint_id, pending.decision_id, pending.deadlines)
            decided_before.add(pending.complaint_id)  # a later decision of the batch replaces these rows
        else:
            fresh.extend(_queue_rows(pending.complaint_id, pending.decision_id, pending.deadlines, set()))
    if fresh:
        conn.execute(insert(deadline_index), fresh)


def _event_decision(conn: Connection, complaint_id: str, event: dict[str, Any]) -> StoredDecision | None:
    """The decision that recorded this event on the complaint already, if any."""
    query = (
        select(decisions)
        .join(complaint_events, complaint_events.c.decision_id == decisions.c.decision_id)
        .where(
            complaint_events.c.complaint_id == complaint_id,
            complaint_events.c.type == event["type"],
            complaint_events.c.at == event["at"],
            complaint_events.c.subject == event["subject"],
        )
    )
    row = conn.execute(query).first()
    return _stored(row) if row else None


def _replace_deadlines(conn: Connection, complaint_id: str, decision_id: str, rows: list[dict[str, Any]]) -> None:
    """The complaint's work-queue rows become ``rows``; a due_soon warning given stays given for the same due time."""
    mine = deadline_index.c.complaint_id == complaint_id
    warned = {
        (kind, due)
        for kind, due in conn.execute(
            select(deadline_index.c.kind, deadline_index.c.due_at).where(mine, deadline_index.c.warned == 1)
        )
    }
    conn.execute(deadline_index.delete().where(mine))
    if rows:
        conn.execute(insert(deadline_index), _queue_rows(complaint_id, decision_id, rows, warned))


def _queue_rows(
    complaint_id: str, decision_id: str, rows: list[dict[str, Any]], warned: set[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """``rows`` as stored; a row is warned if its warning was given for the same due time, or with this
    decision (``warned`` in the row: an event post warned of it)."""
    return [
        dict(
            row,
            complaint_id=complaint_id,
            decision_id=decision_id,
            warned=int(bool(row.get("warned")) or (row["kind"], row["due_at"]) in warned),
        )
        for row in rows
    ]


def _idempotency_key(complaint_id: str, request_digest: str, policy_digest: str) -> dict[str, Any]:
    return {"complaint_id": complaint_id, "request_digest": request_digest, "policy_digest": policy_digest}


_STORED_FIELDS = tuple(StoredDecision.__dataclass_fields__)
# The decisions table lists StoredDecision's fields first and in order (a store test holds them
# so): a row of ``select(decisions)`` is then the dataclass's arguments as it stands, which a
# replay of a million rows feels (14 attribute look-ups a row otherwise).
_ROW_IN_FIELD_ORDER = tuple(column.name for column in decisions.c)[: len(_STORED_FIELDS)] == _STORED_FIELDS


def stored_decision(row: Row[Any]) -> StoredDecision:
    """The StoredDecision of a row of ``select(decisions)``."""
    if _ROW_IN_FIELD_ORDER:
        return StoredDecision(*row[: len(_STORED_FIELDS)])
    return StoredDecision(**{name: getattr(row, name) for name in _STORED_FIELDS})


_stored = stored_decision


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        name=row.name,
        roles=frozenset(row.roles.split(",")),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        person=row.person,
    )


def _reason(exc: Exception) -> str:
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
