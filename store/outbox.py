"""The webhook outbox: notifications kept as rows until each subscriber has taken them.

The store knows rows, not what a kind means: ``lifecycle/webhooks.py`` names the
kinds and builds the body, ``lifecycle/webhook_delivery.py`` sends it. Here:

- ``add_event`` inserts an event on the caller's connection, inside the caller's
  transaction (so a breach recorded and its notification commit together);
  ``enqueue`` does the same in a transaction of its own. A repeated ``event_id``
  is ignored (``ON CONFLICT DO NOTHING``), which makes enqueueing idempotent.
- ``fan_out`` gives each new event one delivery row per subscriber a deliverer
  is configured with.
- ``claim`` leases due rows to one deliverer. On PostgreSQL the rows are taken
  with ``FOR UPDATE SKIP LOCKED`` so two deliverers never wait for, nor take,
  the same row; on SQLite the write transaction (``BEGIN IMMEDIATE``) is the
  lock. A leased row is skipped by everyone else until its lease runs out, so a
  deliverer that dies mid-send leaves its rows to be sent again: at least once.
- ``settle`` records an attempt's outcome, only by the lease holder.

Times are aware datetimes in, stored as UTC text (they sort as text, as everywhere in the store).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row

from store.db import DecisionStore
from store.tables import webhook_deliveries, webhook_events

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATUSES = (PENDING, DELIVERED, DEAD)
_ERROR_CHARS = 500  # webhook_deliveries.last_error


def stored_time(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()}: a time without a time zone")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Delivery:
    """One event for one subscriber, with the event's kind and exact body."""

    id: int
    event_id: str
    kind: str
    body: str
    subscriber: str
    status: str
    attempts: int
    next_attempt_at: str
    lease_owner: str | None
    lease_until: str | None
    last_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    delivered_at: str | None
    created_at: str


_DELIVERY_COLUMNS = [
    webhook_deliveries.c.id,
    webhook_deliveries.c.event_id,
    webhook_events.c.kind,
    webhook_events.c.body,
    webhook_deliveries.c.subscriber,
    webhook_deliveries.c.status,
    webhook_deliveries.c.attempts,
    webhook_deliveries.c.next_attempt_at,
    webhook_deliveries.c.lease_owner,
    webhook_deliveries.c.lease_until,
    webhook_deliveries.c.last_attempt_at,
    webhook_deliveries.c.last_status,
    webhook_deliveries.c.last_error,
    webhook_deliveries.c.delivered_at,
    webhook_deliveries.c.created_at,
]
_JOINED = webhook_deliveries.join(webhook_events, webhook_events.c.event_id == webhook_deliveries.c.event_id)


def _delivery(row: Row[Any]) -> Delivery:
    return Delivery(**{name: getattr(row, name) for name in Delivery.__dataclass_fields__})


def _insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]) -> int:
    """Insert ``rows``, skipping those whose unique ``keys`` exist (also when another transaction just added them)."""
    if not rows:
        return 0
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    result = conn.execute(insert(table).values(rows).on_conflict_do_nothing(index_elements=keys))
    return max(result.rowcount, 0)


def _any(store: DecisionStore, query: Select[Any]) -> bool:
    """Whether ``query`` finds a row, read without the write lock: an idle deliverer's pass writes nothing."""
    with store._guard(), store.engine.connect() as conn:
        return conn.execute(query.limit(1)).first() is not None


def add_event(conn: Connection, *, event_id: str, kind: str, body: str, created_at: dt.datetime) -> bool:
    """Queue an event in the caller's transaction; False if ``event_id`` is queued already."""
    row = {"event_id": event_id, "kind": kind, "body": body, "created_at": stored_time(created_at)}
    return _insert_new(conn, webhook_events, [row], ["event_id"]) == 1


def enqueue(store: DecisionStore, *, event_id: str, kind: str, body: str, created_at: dt.datetime) -> bool:
    """``add_event`` in a write transaction of its own (raises ``StoreUnavailable``)."""
    store._ensure_schema()
    with store._guard(), store._write() as conn:
        return add_event(conn, event_id=event_id, kind=kind, body=body, created_at=created_at)


def fan_out(store: DecisionStore, subscribers: Sequence[str], now: dt.datetime, *, limit: int = 500) -> int:
    """Make the delivery rows of up to ``limit`` events not fanned out yet; how many events were fanned out.

    An event fanned out while no subscriber is configured gets no rows: it was for nobody."""
    store._ensure_schema()
    at = stored_time(now)
    waiting = select(webhook_events.c.id, webhook_events.c.event_id).where(webhook_events.c.fanned_out_at.is_(None))
    if not _any(store, waiting):
        return 0
    with store._guard(), store._write() as conn:
        events = conn.execute(
            waiting.order_by(webhook_events.c.id).limit(limit).with_for_update(skip_locked=True)
        ).all()
        if not events:
            return 0
        rows = [
            {
                "event_id": event.event_id,
                "subscriber": subscriber,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": at,
                "created_at": at,
            }
            for event in events
            for subscriber in dict.fromkeys(subscribers)
        ]
        _insert_new(conn, webhook_deliveries, rows, ["event_id", "subscriber"])
        conn.execute(
            update(webhook_events)
            .where(webhook_events.c.id.in_([event.id for event in events]))
            .values(fanned_out_at=at)
        )
    return len(events)


def claim(
    store: DecisionStore,
    *,
    owner: str,
    subscribers: Sequence[str],
    now: dt.datetime,
    lease_until: dt.datetime,
    limit: int,
) -> list[Delivery]:
    """Lease up to ``limit`` pending rows due at ``now`` for ``subscribers`` to ``owner``, oldest due first.

    Each claim counts as an attempt, so a row whose sending kills the deliverer still runs out of attempts."""
    if not subscribers or limit < 1:
        return []
    store._ensure_schema()
    at = stored_time(now)
    due = select(webhook_deliveries.c.id).where(
        webhook_deliveries.c.status == PENDING,
        webhook_deliveries.c.next_attempt_at <= at,
        or_(webhook_deliveries.c.lease_until.is_(None), webhook_deliveries.c.lease_until <= at),
        webhook_deliveries.c.subscriber.in_(list(subscribers)),
    )
    if not _any(store, due):
        return []
    with store._guard(), store._write() as conn:
        ids = list(
            conn.execute(
                due.order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            return []
        conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id.in_(ids))
            .values(
                lease_owner=owner,
                lease_until=stored_time(lease_until),
                attempts=webhook_deliveries.c.attempts + 1,
                last_attempt_at=at,
            )
        )
        rows = conn.execute(
            select(*_DELIVERY_COLUMNS).select_from(_JOINED).where(webhook_deliveries.c.id.in_(ids))
        ).all()
    claimed = sorted((_delivery(row) for row in rows), key=lambda d: (d.next_attempt_at, d.id))
    return claimed


def settle(
    store: DecisionStore,
    delivery_id: int,
    owner: str,
    *,
    status: str,
    at: dt.datetime,
    http_status: int | None,
    error: str | None = None,
    next_attempt_at: dt.datetime | None = None,
) -> bool:
    """Record an attempt's outcome and free the lease: ``status`` delivered, pending (again at
    ``next_attempt_at``) or dead. False if ``owner`` no longer holds the row (its lease ran out and
    another deliverer took it: that one's outcome stands)."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
    if status == PENDING and next_attempt_at is None:
        raise ValueError("a pending row needs next_attempt_at")
    values: dict[str, object] = {
        "status": status,
        "last_attempt_at": stored_time(at),
        "lease_owner": None,
        "lease_until": None,
        "last_status": http_status,
        "last_error": error[:_ERROR_CHARS] if error else None,
    }
    if status == DELIVERED:
        values["delivered_at"] = stored_time(at)
    if next_attempt_at is not None:
        values["next_attempt_at"] = stored_time(next_attempt_at)
    store._ensure_schema()
    with store._guard(), store._write() as conn:
        result = conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.lease_owner == owner)
            .values(**values)
        )
    return result.rowcount == 1


def deliveries(store: DecisionStore, *, statuses: Sequence[str] = (PENDING, DEAD), limit: int = 100) -> list[Delivery]:
    """Delivery rows in the given states, the ones due soonest first."""
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:
        raise ValueError(f"status {', '.join(unknown)}: expected one of {', '.join(STATUSES)}")
    store._ensure_schema()
    query = (
        select(*_DELIVERY_COLUMNS)
        .select_from(_JOINED)
        .where(webhook_deliveries.c.status.in_(list(statuses)))
        .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id)
        .limit(limit)
    )
    with store._guard(), store.engine.connect() as conn:
        return [_delivery(row) for row in conn.execute(query)]


def depth(store: DecisionStore) -> dict[str, int]:
    """How many rows are in each state, and ``queued``: events no deliverer has fanned out yet."""
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        rows = conn.execute(
            select(webhook_deliveries.c.status, func.count()).group_by(webhook_deliveries.c.status)
        ).all()
        counts = {status: int(count) for status, count in rows}
        queued = conn.execute(
            select(func.count()).select_from(webhook_events).where(webhook_events.c.fanned_out_at.is_(None))
        ).scalar_one()
    return {"queued": queued, **{status: int(counts.get(status, 0)) for status in STATUSES}}


def revive(store: DecisionStore, now: dt.datetime, delivery_ids: Sequence[int] | None = None) -> int:
    """Dead rows (all, or those of ``delivery_ids``) pending again at ``now`` with a fresh count of attempts."""
    store._ensure_schema()
    query = update(webhook_deliveries).where(webhook_deliveries.c.status == DEAD)
    if delivery_ids is not None:
        query = query.where(webhook_deliveries.c.id.in_(list(delivery_ids)))
    with store._guard(), store._write() as conn:
        result = conn.execute(query.values(status=PENDING, attempts=0, next_attempt_at=stored_time(now)))
    return result.rowcount


def prune(store: DecisionStore, before: dt.datetime) -> tuple[int, int]:
    """Delete what is done with: deliveries delivered before ``before``, then the events queued before it
    that no delivery row names any more. Pending and dead deliveries, and their events, stay.
    Returns (deliveries, events) deleted."""
    store._ensure_schema()
    at = stored_time(before)
    with store._guard(), store._write() as conn:
        gone = conn.execute(
            delete(webhook_deliveries).where(
                webhook_deliveries.c.status == DELIVERED, webhook_deliveries.c.delivered_at < at
            )
        ).rowcount
        named = exists().where(webhook_deliveries.c.event_id == webhook_events.c.event_id)
        events = conn.execute(
            delete(webhook_events).where(
                webhook_events.c.fanned_out_at.is_not(None), webhook_events.c.created_at < at, ~named
            )
        ).rowcount
    return gone, events
