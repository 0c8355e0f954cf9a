"""Walks over the decision log in batches by ``seq``: one decision, a complaint, a time range.

A time range is by one of two clocks (``BY``), ``since`` inclusive, ``until``
exclusive, always in chain order:

- ``recorded`` (the default): ``created_at``, when the store recorded the
  decision. It grows with ``seq``, retention counts from it, and the database
  compares it (stored times are ISO 8601 UTC text with microseconds, so
  comparing text compares instants).
- ``received``: the complaint's ``received_at``, its business time (October's
  complaints recorded in December are October's). It is inside the stored
  decision, not a column, so such a walk reads the whole log once and
  compares instants in Python.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from sqlalchemy import func, select

from store.db import DecisionStore, StoredDecision, stored_decision
from store.tables import decisions

BATCH = 500
BY = ("recorded", "received")
DEFAULT_BY = "recorded"
_PLUS_AS_SPACE = re.compile(r"\d \d\d:\d\d\s*$")


class BadTime(ValueError):
    """A --since/--until value that is not an ISO date or date-time."""


def utc_text(value: str | dt.datetime | dt.date, tz: dt.tzinfo = dt.UTC) -> str:
    """An ISO date or date-time (naive means ``tz``) as the store writes times: UTC, microseconds."""
    if isinstance(value, str):
        text = value.strip()
        if _PLUS_AS_SPACE.search(value):  # "+08:00" in a query string left unencoded arrives as " 08:00"
            text = value.rstrip()[:-6] + "+" + value.rstrip()[-5:]
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadTime(
                f"expected an ISO date or date-time like 2026-03-01 or 2026-03-01T00:00:00+08:00, got {value!r}"
            ) from None
    elif isinstance(value, dt.datetime):
        moment = value
    else:
        moment = dt.datetime.combine(value, dt.time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    try:
        return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        raise BadTime(f"{value!s} is outside the years 1 to 9999 once converted to UTC") from None


def stored(row) -> StoredDecision:
    return stored_decision(row)


def _batches(store: DecisionStore, *conditions, batch: int = BATCH) -> Iterator[StoredDecision]:
    store._ensure_schema()
    last = 0
    while True:
        with store._guard(), store.engine.connect() as conn:
            rows = conn.execute(
                select(decisions).where(decisions.c.seq > last, *conditions).order_by(decisions.c.seq).limit(batch)
            ).all()
        if not rows:
            return
        for row in rows:
            yield stored(row)
        last = rows[-1].seq
        if len(rows) < batch:
            return


def received_at(record: StoredDecision) -> dt.datetime | None:
    """The complaint's business time, as the decision states it (None if the stored decision does not say)."""
    try:
        value = record.decision_dict().get("received_at")
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _received_in(records: Iterator[StoredDecision], since: str | None, until: str | None) -> Iterator[StoredDecision]:
    low = dt.datetime.fromisoformat(since) if since else None
    high = dt.datetime.fromisoformat(until) if until else None
    for record in records:
        moment = received_at(record)
        if moment is None or (low is not None and moment < low) or (high is not None and moment >= high):
            continue
        yield record


def in_range(
    store: DecisionStore,
    since: str | None = None,
    until: str | None = None,
    *,
    by: str = DEFAULT_BY,
    batch: int = BATCH,
    after: int = 0,
    upto: int | None = None,
) -> Iterator[StoredDecision]:
    """Decisions whose ``by`` time (``recorded`` or ``received``) is in [since, until) (UTC text from
    ``utc_text``), in chain order; only those with ``after < seq <= upto`` (a worker's share,
    audit/parallel.py)."""
    seqs = [decisions.c.seq > after] if after else []
    if upto is not None:
        seqs.append(decisions.c.seq <= upto)
    if by == "received":
        return _received_in(_batches(store, *seqs, batch=batch), since, until)
    if by != "recorded":
        raise ValueError(f"by {by!r}: expected one of {', '.join(BY)}")
    conditions = seqs
    if since:
        conditions.append(decisions.c.created_at >= since)
    if until:
        conditions.append(decisions.c.created_at < until)
    return _batches(store, *conditions, batch=batch)


def count_in_range(
    store: DecisionStore, since: str | None = None, until: str | None = None, *, by: str = DEFAULT_BY
) -> int | None:
    """How many decisions ``in_range`` gives (for progress); None by ``received`` time, which only the walk knows."""
    if by != "recorded":
        return None
    query = select(func.count()).select_from(decisions)
    if since:
        query = query.where(decisions.c.created_at >= since)
    if until:
        query = query.where(decisions.c.created_at < until)
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def count_of_complaint(store: DecisionStore, complaint_id: str) -> int:
    store._ensure_schema()
    query = select(func.count()).select_from(decisions).where(decisions.c.complaint_id == complaint_id)
    with store._guard(), store.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def of_complaint(store: DecisionStore, complaint_id: str, *, batch: int = BATCH) -> Iterator[StoredDecision]:
    """Every decision on one complaint, oldest first."""
    return _batches(store, decisions.c.complaint_id == complaint_id, batch=batch)


def every(store: DecisionStore, *, batch: int = BATCH) -> Iterator[StoredDecision]:
    return _batches(store, batch=batch)


def between_seqs(store: DecisionStore, after: int, upto: int | None, *, batch: int = BATCH) -> Iterator[StoredDecision]:
    """Decisions with ``after < seq <= upto`` (no upper bound when ``upto`` is None), in chain order."""
    conditions = [decisions.c.seq > after]
    if upto is not None:
        conditions.append(decisions.c.seq <= upto)
    return _batches(store, *conditions, batch=batch)
