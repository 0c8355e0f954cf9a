"""Deadlines from the deadline rules that fired: earliest binds, all are cited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.shapes import Complaint, Deadline, Period, Waiting
from rules.calendar import CountingTrace, WorkCalendar
from rules.model import DeadlineRule, Policy

if TYPE_CHECKING:
    from engine.clock import EventClock

COUNTING = {
    "minutes": "{n} minutes on the clock from the event",
    "hours": "{n} hours on the clock from the event",
    "calendar_days": (
        "{n} calendar days, counted from the day after the event, ending at 23:59:59 of the last day;"
        " a last day that is not a working day moves to the next working day (CC Art. 201, 203)"
    ),
    "calendar_days_fixed": (
        "{n} calendar days, counted from the day after the event, ending at 23:59:59 of the last day,"
        " whether or not it is a working day (an internal period: customer service works every day)"
    ),
    "working_days": (
        "{n} working days, counted from the day after the event, ending at 23:59:59 of the last one;"
        " weekends and public holidays are skipped, make-up working days (调休) count"
    ),
}


@dataclass(frozen=True)
class _Planned:
    """What a deadline rule's candidate takes from the policy, worked out once."""

    rule: DeadlineRule
    period: Period  # as a decision states it; copied into each candidate
    counting: str
    event: str | None  # its `after` event
    path: tuple[str, ...]  # that event's dotted field, split; () without one
    waiting: Waiting  # what it waits for while its event has no time; copied into each candidate
    roll_forward: bool  # a last day that is not a working day moves to the next working day


@dataclass(frozen=True)
class DeadlinePlan:
    """Per deadline rule, what is fixed by the policy: its period and counting words, its event's
    field and label, and the policy's kinds in order. A ``Decider`` makes it once."""

    rules: dict[str, _Planned]
    kinds: tuple[str, ...]  # in policy order
    position: dict[str, int]  # each deadline rule's place in the policy
    by_id: dict[str, DeadlineRule]


def plan(policy: Policy) -> DeadlinePlan:
    rules: dict[str, _Planned] = {}
    for rule in policy.deadlines:
        due = rule.due
        if due.with_kind:
            period: Period = {"with": due.with_kind}
            event_id: str | None = None
            path: tuple[str, ...] = ()
            waiting: Waiting = {"deadline": due.with_kind}
        elif due.after is not None and due.unit is not None and due.amount is not None:
            event = policy.events[due.after]
            event_id = event.id
            period = {"after": due.after, due.unit: due.amount}
            if due.unit == "calendar_days" and not rule.rolls_forward:
                period["roll_forward"] = False
            path = tuple(event.field.split(".")) if event.field else ()
            waiting = {"event": event.id, "label": event.label}
        else:
            continue  # not a period the schema admits: `_due` refuses it when the rule fires
        rules[rule.info.id] = _Planned(rule, period, _counting(period), event_id, path, waiting, rule.rolls_forward)
    kinds = tuple(dict.fromkeys(rule.kind for rule in policy.deadlines))
    position = {rule.info.id: index for index, rule in enumerate(policy.deadlines)}
    return DeadlinePlan(rules, kinds, position, {rule.info.id: rule for rule in policy.deadlines})


def schedule(
    fired: list[DeadlineRule],
    complaint: Complaint,
    policy: Policy,
    calendar: WorkCalendar,
    trace: CountingTrace,
    clock: EventClock | None = None,
    planned: DeadlinePlan | None = None,
) -> list[Deadline]:
    """The deadlines of the rules that fired, one per kind. With ``clock`` (reported events) a deadline
    starts at its event's reported time and is extended by the time its kind was paused, and a breach
    the escalation run recorded settles its kind: the rule breached binds, at its due time (brief §9).
    ``planned`` is ``plan(policy)``, when the caller keeps it."""
    if planned is None:
        planned = plan(policy)
    # Policy order, not the engine's firing order: the first of equal candidates binds.
    fired = sorted(fired, key=lambda rule: planned.position[rule.info.id])
    by_kind: dict[str, list[DeadlineRule]] = {}
    hanging: set[str] = set()  # kinds with a rule that fired due `with` another kind
    for rule in fired:
        by_kind.setdefault(rule.kind, []).append(rule)
        if rule.due.with_kind:
            hanging.add(rule.kind)
    breaches = clock.breaches(planned, by_kind) if clock is not None else {}
    for kind, rule in breaches.items():
        rules = by_kind.setdefault(kind, [])
        if rule not in rules:
            rules.insert(0, rule)
    resolved: dict[str, Deadline] = {}
    due_of: dict[str, dt.datetime | None] = {}  # each settled kind's binding due time, as a datetime
    # Kinds that hang on another kind (`with`) are settled after the rest.
    order = sorted(by_kind, key=hanging.__contains__) if hanging else by_kind
    for kind in order:
        resolved[kind] = _settle(
            kind, by_kind[kind], complaint, calendar, trace, resolved, due_of, clock, planned, breaches.get(kind)
        )
    return [resolved[kind] for kind in planned.kinds if kind in resolved]


def _settle(
    kind: str,
    rules: list[DeadlineRule],
    complaint: Complaint,
    calendar: WorkCalendar,
    trace: CountingTrace,
    resolved: dict[str, Deadline],
    due_of: dict[str, dt.datetime | None],
    clock: EventClock | None,
    planned: DeadlinePlan,
    breached: DeadlineRule | None,
) -> Deadline:
    # Per rule, in policy order: (its plan, due time, what it waits for).
    found: list[tuple[_Planned, dt.datetime | None, Waiting | None]] = []
    for rule in rules:
        step = planned.rules.get(rule.info.id)
        assert step is not None, f"{rule.info.id}: not a period the schema admits"
        found.append((step, *_due(step, complaint, calendar, trace, resolved, due_of, clock)))
    first = 0
    if breached is not None:
        # A recorded breach is a fact: the rule breached binds; of the others only a legal deadline,
        # which still counts in law, is cited (an internal one that fires later never reschedules it).
        first = next(i for i, (step, _, _) in enumerate(found) if step.rule is breached)
        found = [item for index, item in enumerate(found) if index == first or item[0].rule.legal]
        first = next(i for i, (step, _, _) in enumerate(found) if step.rule is breached)
    elif len(found) > 1 and len(ranked := [due for _, due, _ in found if due is not None]) == len(found):
        # Earliest binds (the first of equals). A candidate still waiting on an event cannot be ranked
        # yet: then the first rule in policy order stands and the others are cited.
        for index in range(1, len(ranked)):
            if ranked[index] < ranked[first]:
                first = index
    step, due_at, waiting_for = found[first]
    due_of[kind] = due_at
    received = complaint["received_at"]
    cited = [
        _candidate(other, due, waiting, received) for index, (other, due, waiting) in enumerate(found) if index != first
    ]
    info = step.rule.info
    return {
        "kind": kind,
        "status": _plain_status(due_at, received),
        "due_at": due_at.isoformat() if due_at else None,
        "waiting_for": waiting_for,
        "period": dict(step.period),
        "counting": step.counting,
        "rule": info.id,
        "basis": info.basis,
        "legal": step.rule.legal,
        "cited": cited,
    }


def _plain_status(due_at: dt.datetime | None, received: dt.datetime) -> str:
    """As of receipt: waiting for its event, running, or already past when the complaint arrived (§8)."""
    if due_at is None:
        return "pending"
    return "overdue" if due_at < received else "scheduled"


def _candidate(
    step: _Planned, due_at: dt.datetime | None, waiting_for: Waiting | None, received: dt.datetime
) -> Deadline:
    """A rule that fired for a kind another rule of it binds, as the deadline cites it (some of a
    deadline's keys)."""
    info = step.rule.info
    return {
        "rule": info.id,
        "basis": info.basis,
        "legal": step.rule.legal,
        "status": _plain_status(due_at, received),
        "due_at": due_at.isoformat() if due_at else None,
        "waiting_for": waiting_for,
        "period": dict(step.period),
    }


def _due(
    step: _Planned,
    complaint: Complaint,
    calendar: WorkCalendar,
    trace: CountingTrace,
    resolved: dict[str, Deadline],
    due_of: dict[str, dt.datetime | None],
    clock: EventClock | None = None,
) -> tuple[dt.datetime | None, Waiting | None]:
    rule, due = step.rule, step.rule.due
    if due.with_kind:
        other = resolved.get(due.with_kind)
        if other is None:
            return None, dict(step.waiting)
        if clock is not None:
            clock.share(rule.info.id, other["rule"])
        return due_of[due.with_kind], other["waiting_for"]
    moment = _at(complaint, step.path) if step.path else None
    if not isinstance(moment, dt.datetime) and clock is not None and step.event is not None:
        moment = clock.first(step.event)
    if not isinstance(moment, dt.datetime):
        return None, dict(step.waiting)
    assert due.unit is not None and due.amount is not None  # `plan` admits only whole periods
    if clock is not None:
        return clock.run(
            rule.info.id, rule.kind, moment, due.unit, due.amount, calendar, trace, step.roll_forward
        ), None
    return calendar.period_end(moment, due.unit, due.amount, trace, step.roll_forward), None


def _at(value: object, path: tuple[str, ...]) -> object:
    """``engine.facts.lookup`` on a field split once."""
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _counting(period: Period | None) -> str:
    if not period or "with" in period:
        return "due together with the `{}` deadline".format(period["with"]) if period else ""
    unit = next(key for key in period if key not in ("after", "roll_forward"))
    words = "calendar_days_fixed" if period.get("roll_forward") is False else unit
    return COUNTING[words].format(n=period[unit])
