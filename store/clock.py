"""The deadline clock's reads: a complaint's events, the work queue and its summary, breach candidates.

The rows are written by ``DecisionStore.append`` in the transaction of the decision they belong to
(``deadlines=``, ``event=``); here they are only read. Every query of the work queue is a range scan
of an index of ``deadline_index`` (``store/tables.py``); none reads ``decisions``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.engine import Connection, Row

from store.appends import _event_decision, _replace_deadlines
from store.db import DecisionStore, StoredDecision
from store.records import _stored
from store.tables import complaint_events, deadline_index, decisions

STATUSES = ("open", "due_soon", "breached")
COUNT_CAP = 10_000  # the due list counts its matches up to this many; more reads as "more than 10,000"
PERIODS = {"hour": 13, "day": 10}  # characters of due_local that name the period


def utc_text(moment: dt.datetime) -> str:
    """A time as the store keeps it: UTC, microseconds (sorts as text)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def queue_row(
    *,
    kind: str,
    status: str,
    due_at: dt.datetime,
    due_soon_at: dt.datetime | None,
    team: str | None,
    level: str | None,
    rule: str,
    record_breach: bool,
    breach_recorded: bool,
) -> dict[str, Any]:
    """One work-queue row for ``DecisionStore.append(deadlines=[...])``."""
    return {
        "kind": kind,
        "status": status,
        "due_at": utc_text(due_at),
        "due_local": due_at.isoformat(),
        "due_soon_at": utc_text(due_soon_at) if due_soon_at else None,
        "team": team,
        "level": level,
        "rule": rule,
        "record_breach": int(record_breach),
        "breach_recorded": int(breach_recorded),
    }


def event_row(complaint_event: dict[str, Any], event_json: str) -> dict[str, Any]:
    """The ``event=`` of ``DecisionStore.append``: its idempotency key and its recorded JSON."""
    return {
        "type": complaint_event["type"],
        "at": utc_text(dt.datetime.fromisoformat(complaint_event["at"])),
        "subject": complaint_event.get("kind", ""),
        "event": event_json,
    }


@dataclass(frozen=True)
class QueueEntry:
    complaint_id: str
    kind: str
    decision_id: str
    status: str
    due_at: str
    due_local: str
    due_soon_at: str | None
    team: str | None
    level: str | None
    rule: str
    record_breach: bool
    breach_recorded: bool

    def status_at(self, now: dt.datetime) -> str:
        """``breached`` (due at or before ``now``), ``due_soon`` (past its warning time) or ``scheduled``."""
        if dt.datetime.fromisoformat(self.due_at) <= now:
            return "breached"
        if self.due_soon_at is not None and dt.datetime.fromisoformat(self.due_soon_at) <= now:
            return "due_soon"
        return "scheduled"


def events_of(store: DecisionStore, complaint_id: str) -> list[dict[str, Any]]:
    """The events recorded on a complaint, in the order they were recorded."""
    store._ensure_schema()
    query = (
        select(complaint_events.c.event)
        .where(complaint_events.c.complaint_id == complaint_id)
        .order_by(complaint_events.c.id)
    )
    with store._guard(), store.engine.connect() as conn:
        return [json.loads(text, parse_float=Decimal) for (text,) in conn.execute(query)]


def latest_decision(store: DecisionStore, complaint_id: str) -> StoredDecision | None:
    store._ensure_schema()
    query = select(decisions).where(decisions.c.complaint_id == complaint_id).order_by(decisions.c.seq.desc()).limit(1)
    with store._guard(), store.engine.connect() as conn:
        row = conn.execute(query).first()
    return _stored(row) if row else None


def _filters(
    now: dt.datetime,
    status: str,
    due_before: dt.datetime | None,
    team: str | None,
    level: str | None,
    kind: str | None,
) -> list[Any]:
    now_text = utc_text(now)
    where = []
    if status == "due_soon":
        where += [deadline_index.c.due_soon_at <= now_text, deadline_index.c.due_at > now_text]
    elif status == "breached":
        where.append(deadline_index.c.due_at <= now_text)
    if due_before is not None:
        where.append(deadline_index.c.due_at < utc_text(due_before))
    for column, value in (("team", team), ("level", level), ("kind", kind)):
        if value is not None:
            where.append(deadline_index.c[column] == value)
    return where


def due_list(
    store: DecisionStore,
    *,
    now: dt.datetime,
    status: str = "open",
    due_before: dt.datetime | None = None,
    team: str | None = None,
    level: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
    with_total: bool = True,
    count_cap: int = COUNT_CAP,
) -> tuple[list[QueueEntry], int | None]:
    """Deadlines on the clock, soonest first: ``open`` (all), ``due_soon`` (warned, not yet due) or
    ``breached`` (due at or before ``now``), and how many match in all, counted up to ``count_cap``
    + 1 (a total above the cap reads as "more than the cap": counting further costs a scan of the
    whole queue for a number no one pages through)."""
    store._ensure_schema()
    where = and_(True, *_filters(now, status, due_before, team, level, kind))
    query = (
        select(deadline_index)
        .where(where)
        .order_by(deadline_index.c.due_at, deadline_index.c.complaint_id, deadline_index.c.kind)
        .limit(limit)
        .offset(offset)
    )
    with store._guard(), store.engine.connect() as conn:
        rows = conn.execute(query).all()
        capped = select(deadline_index.c.due_at).where(where).limit(count_cap + 1).subquery()
        total = conn.execute(select(func.count()).select_from(capped)).scalar_one() if with_total else None
    return [_entry(row) for row in rows], total


def due_summary(
    store: DecisionStore, *, now: dt.datetime, until: dt.datetime, by: str, team: str | None = None
) -> tuple[list[tuple[str, int]], int]:
    """Open deadlines due in [now, until) counted per hour or day (of the shown due time), and how
    many are past due already."""
    store._ensure_schema()
    width = PERIODS[by]
    period = func.substr(deadline_index.c.due_local, 1, width)
    ahead = [deadline_index.c.due_at > utc_text(now), deadline_index.c.due_at < utc_text(until)]
    past = [deadline_index.c.due_at <= utc_text(now)]
    if team is not None:
        ahead.append(deadline_index.c.team == team)
        past.append(deadline_index.c.team == team)
    with store._guard(), store.engine.connect() as conn:
        counts = conn.execute(
            select(period.label("period"), func.count()).where(*ahead).group_by(period).order_by(period)
        ).all()
        breached = conn.execute(select(func.count()).select_from(deadline_index).where(*past)).scalar_one()
    return [(row[0], row[1]) for row in counts], breached


def breach_candidates(store: DecisionStore, *, now: dt.datetime, limit: int = 500) -> list[QueueEntry]:
    """Deadlines whose kind records its breach, due at or before ``now``, with the breach not yet recorded."""
    store._ensure_schema()
    query = (
        select(deadline_index)
        .where(
            deadline_index.c.record_breach == 1,
            deadline_index.c.breach_recorded == 0,
            deadline_index.c.due_at <= utc_text(now),
        )
        .order_by(deadline_index.c.due_at, deadline_index.c.complaint_id, deadline_index.c.kind)
        .limit(limit)
    )
    with store._guard(), store.engine.connect() as conn:
        return [_entry(row) for row in conn.execute(query)]


def _entry(row: Row[Any]) -> QueueEntry:
    values = {name: getattr(row, name) for name in QueueEntry.__dataclass_fields__}
    values["record_breach"] = bool(values["record_breach"])
    values["breach_recorded"] = bool(values["breach_recorded"])
    return QueueEntry(**values)


def warnings_due(store: DecisionStore, *, now: dt.datetime, limit: int = 500) -> list[QueueEntry]:
    """Deadlines past their due_soon time, not yet due, whose warning was not given yet."""
    store._ensure_schema()
    now_text = utc_text(now)
    query = (
        select(deadline_index)
        .where(
            deadline_index.c.due_soon_at <= now_text,
            deadline_index.c.due_at > now_text,
            deadline_index.c.warned == 0,
        )
        .order_by(deadline_index.c.due_soon_at, deadline_index.c.complaint_id, deadline_index.c.kind)
        .limit(limit)
    )
    with store._guard(), store.engine.connect() as conn:
        return [_entry(row) for row in conn.execute(query)]


def claim_warning(store: DecisionStore, entry: QueueEntry, also: Callable[[Connection], None] | None = None) -> bool:
    """Mark the warning of ``entry`` given; True for the one caller that did (concurrent runs warn once).
    ``also``: what else to write in the same transaction, once the mark is taken (the notification)."""
    store._ensure_schema()
    with store._guard(), store._write() as conn:
        changed = conn.execute(
            update(deadline_index)
            .where(
                deadline_index.c.complaint_id == entry.complaint_id,
                deadline_index.c.kind == entry.kind,
                deadline_index.c.due_at == entry.due_at,
                deadline_index.c.warned == 0,
            )
            .values(warned=1)
        )
        taken = changed.rowcount == 1
        if taken and also is not None:
            also(conn)
    return taken


def event_decision(store: DecisionStore, complaint_id: str, event: dict[str, Any]) -> StoredDecision | None:
    """The decision that recorded ``event`` (an ``event_row``) on the complaint, if it was recorded."""
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        return _event_decision(conn, complaint_id, event)


def events_recorded(store: DecisionStore, complaint_id: str) -> list[tuple[dict[str, Any], str, str]]:
    """The events recorded on a complaint, in order, each with the decision it produced and when it was stored."""
    store._ensure_schema()
    query = (
        select(complaint_events.c.event, complaint_events.c.decision_id, complaint_events.c.recorded_at)
        .where(complaint_events.c.complaint_id == complaint_id)
        .order_by(complaint_events.c.id)
    )
    with store._guard(), store.engine.connect() as conn:
        return [
            (json.loads(text, parse_float=Decimal), decision_id, at) for text, decision_id, at in conn.execute(query)
        ]


def open_by_team(store: DecisionStore, *, now: dt.datetime) -> list[tuple[str | None, int, int]]:
    """Per team, the deadlines on the clock and how many of them are past due at ``now`` (breached:
    due without the event that meets them), from the team index of the work queue."""
    store._ensure_schema()
    past = func.sum(case((deadline_index.c.due_at <= utc_text(now), 1), else_=0))
    query = (
        select(deadline_index.c.team, func.count(), past)
        .group_by(deadline_index.c.team)
        .order_by(deadline_index.c.team)
    )
    with store._guard(), store.engine.connect() as conn:
        return [(team, int(total), int(breached or 0)) for team, total, breached in conn.execute(query)]


def latest_decisions(store: DecisionStore, *, after: str | None = None, limit: int = 500) -> list[StoredDecision]:
    """Each complaint's latest decision, by complaint id, the first ``limit`` after complaint ``after``."""
    store._ensure_schema()
    latest = select(func.max(decisions.c.seq)).group_by(decisions.c.complaint_id)
    if after is not None:
        latest = latest.where(decisions.c.complaint_id > after)
    query = (
        select(decisions)
        .where(decisions.c.seq.in_(latest.scalar_subquery()))
        .order_by(decisions.c.complaint_id)
        .limit(limit)
    )
    with store._guard(), store.engine.connect() as conn:
        return [_stored(row) for row in conn.execute(query)]


def complaint_count(store: DecisionStore) -> int:
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        return int(conn.execute(select(func.count(func.distinct(decisions.c.complaint_id)))).scalar_one())


def replace_queue(store: DecisionStore, complaint_id: str, decision_id: str, rows: list[dict[str, Any]]) -> bool:
    """Make the complaint's work-queue rows ``rows`` (of its latest decision ``decision_id``), keeping the
    warnings given for the same due times; False if they were so already (nothing written)."""
    store._ensure_schema()
    wanted = sorted((r["kind"], r["due_at"], r["status"], r["rule"], r["breach_recorded"]) for r in rows)
    mine = deadline_index.c.complaint_id == complaint_id
    columns = (
        deadline_index.c.kind,
        deadline_index.c.due_at,
        deadline_index.c.status,
        deadline_index.c.rule,
        deadline_index.c.breach_recorded,
        deadline_index.c.decision_id,
    )
    with store._guard(), store._write() as conn:
        found = conn.execute(select(*columns).where(mine)).all()
        if sorted(tuple(row[:5]) for row in found) == wanted and all(row[5] == decision_id for row in found):
            return False
        _replace_deadlines(conn, complaint_id, decision_id, rows)
    return True
