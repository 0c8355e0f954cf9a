"""Deadlines from the deadline rules that fired: earliest binds, all are cited."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from engine.facts import lookup
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
    "working_days": (
        "{n} working days, counted from the day after the event, ending at 23:59:59 of the last one;"
        " weekends and public holidays are skipped, make-up working days (调休) count"
    ),
}


def periods(policy: Policy) -> dict[str, tuple[dict, str]]:
    """Per deadline rule, its period as a decision states it and the counting words: fixed by the
    policy, so a ``Decider`` words them once instead of once per decision."""
    found = {}
    for rule in policy.deadlines:
        due = rule.due
        if due.with_kind:
            period: dict = {"with": due.with_kind}
        elif due.after is not None and due.unit is not None and due.amount is not None:
            period = {"after": due.after, due.unit: due.amount}
        else:
            continue  # not a period the schema admits: `_due` refuses it when the rule fires
        found[rule.info.id] = (period, _counting(period))
    return found


def schedule(
    fired: list[DeadlineRule],
    complaint: dict,
    policy: Policy,
    calendar: WorkCalendar,
    trace: CountingTrace,
    clock: EventClock | None = None,
    worded: dict[str, tuple[dict, str]] | None = None,
) -> list[dict]:
    """The deadlines of the rules that fired, one per kind. With ``clock`` (reported events) a deadline
    starts at its event's reported time and is extended by the time its kind was paused.
    ``worded`` is ``periods(policy)``, when the caller keeps it."""
    if worded is None:
        worded = periods(policy)
    by_kind: dict[str, list[DeadlineRule]] = {}
    for rule in fired:
        by_kind.setdefault(rule.kind, []).append(rule)
    resolved: dict[str, dict] = {}
    # Kinds that hang on another kind (`with`) are settled after the rest.
    order = sorted(by_kind, key=lambda kind: any(r.due.with_kind for r in by_kind[kind]))
    for kind in order:
        resolved[kind] = _settle(kind, by_kind[kind], complaint, policy, calendar, trace, resolved, clock, worded)
    kinds_in_policy = list(dict.fromkeys(rule.kind for rule in policy.deadlines))
    return [resolved[kind] for kind in kinds_in_policy if kind in resolved]


def _settle(kind, rules, complaint, policy, calendar, trace, resolved, clock, worded) -> dict:
    candidates = []
    for rule in rules:
        due_at, waiting_for = _due(rule, complaint, policy, calendar, trace, resolved, clock)
        candidates.append(
            {
                "rule": rule.info.id,
                "basis": rule.info.basis,
                "due_at": due_at.isoformat() if due_at else None,
                "waiting_for": waiting_for,
                "period": dict(worded[rule.info.id][0]),
                "_sort": due_at,
            }
        )
    # Earliest binds. A candidate still waiting on an event cannot be ranked yet:
    # then the first rule in policy order stands and the others are cited.
    if all(c["_sort"] is not None for c in candidates):
        binding = min(candidates, key=lambda c: c["_sort"])
    else:
        binding = candidates[0]
    # A deadline that ran out before the complaint arrived (the goods came back, then the
    # complaint) is overdue now; a legal one so breached flags the decision.
    received = complaint["received_at"]
    past = {c["rule"] for c in candidates if c["_sort"] is not None and c["_sort"] < received}
    for candidate in candidates:
        del candidate["_sort"]
    unit = next(iter(binding["period"])) if binding["period"] else None
    counting = worded[binding["rule"]][1]
    status = "pending" if binding["due_at"] is None else ("overdue" if binding["rule"] in past else "scheduled")
    legal_breached = [r.info.id for r in rules if r.legal and r.info.id in past]
    return {
        "kind": kind,
        "status": status,
        "due_at": binding["due_at"],
        "waiting_for": binding["waiting_for"],
        "period": binding["period"],
        "counting": counting if unit else "",
        "rule": binding["rule"],
        "basis": binding["basis"],
        "cited": [c for c in candidates if c is not binding],
        "legal_deadline_breached": legal_breached,
    }


def _due(rule: DeadlineRule, complaint, policy: Policy, calendar: WorkCalendar, trace, resolved, clock=None):
    due = rule.due
    if due.with_kind:
        other = resolved.get(due.with_kind)
        if other is None:
            return None, {"deadline": due.with_kind}
        if clock is not None:
            clock.share(rule.info.id, other["rule"])
        return dt.datetime.fromisoformat(other["due_at"]) if other["due_at"] else None, other["waiting_for"]
    # Without `with`, the schema requires `after` and exactly one period.
    assert due.after is not None and due.unit is not None and due.amount is not None
    event = policy.events[due.after]
    moment = lookup(complaint, event.field) if event.field else None
    if not isinstance(moment, dt.datetime) and clock is not None:
        moment = clock.first(event.id)
    if not isinstance(moment, dt.datetime):
        return None, {"event": event.id, "label": event.label}
    if clock is not None:
        return clock.run(rule.info.id, rule.kind, moment, due.unit, due.amount, calendar, trace), None
    return calendar.period_end(moment, due.unit, due.amount, trace), None


def _counting(period: dict | None) -> str:
    if not period or "with" in period:
        return "due together with the `{}` deadline".format(period["with"]) if period else ""
    unit = next(key for key in period if key != "after")
    return COUNTING[unit].format(n=period[unit])
