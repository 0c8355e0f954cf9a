"""The deadline clock: a decision re-made from a complaint and the events reported on it.

A decision on events is still a pure function, of (complaint, its events, policy, calendar): "now"
is the time of the last event, an input like any other, so replaying the stored request (the
complaint and its events, ``EVALUATION``) gives the same bytes. What the policy says about each
event is data: ``events`` (which history count it adds to, whether it happens once) and ``clock``
(which events meet, pause and resume each deadline kind, what a breach sets). Here:

- the history a rule reads is brought up to date from the events: an event with ``field`` sets that
  date (``return_received`` → ``history.return_received_at``), one with ``counts`` adds 1
  (``offer_rejected`` → ``history.rejected_offers``), a recorded breach sets ``breach_sets``
  (``history.resolution_overdue``);
- escalation (§3.10) is "one above the previous decision's level": at each event that changes an
  escalating count or flag, ``history.level`` becomes the level decided just before that event, so
  the second rejected offer raises the level once, and later events keep it;
- a deadline starts at its event's reported time, is extended by its kind's paused time, counted as
  the deadline counts, and is ``met``/``missed`` by the first event that meets it, ``paused`` while
  paused, ``breached`` once past due unmet.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict
from zoneinfo import ZoneInfo

from engine.deadline_status import missed, reason
from engine.shapes import Complaint, Deadline, Decision, Event
from rules.calendar import CountingTrace, WorkCalendar
from rules.model import BREACH_EVENT, DeadlineRule, Policy

if TYPE_CHECKING:
    from engine.deadlines import DeadlinePlan

EVALUATION = "events"  # the stored request of a decision on events: {"evaluation": "events", ...}
ON_THE_CLOCK = ("scheduled", "overdue", "breached")  # statuses with a due time still running or past


def envelope(complaint_body: object, events: list[Event]) -> dict[str, object]:
    """The request a decision on events answers: the complaint as sent, and its events in order."""
    return {"evaluation": EVALUATION, "complaint": complaint_body, "events": events}


def is_envelope(raw: object) -> bool:
    return isinstance(raw, dict) and raw.get("evaluation") == EVALUATION


def ordered(events: list[Event]) -> list[Event]:
    """Events by time; reported order breaks ties (a breach recorded at its due time slots in)."""
    return [e for _, _, e in sorted((_instant(e["at"]), i, e) for i, e in enumerate(events))]


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@dataclass
class Run:
    """How one deadline ran: from when, paused when, due when."""

    started_at: dt.datetime
    due_at: dt.datetime | None  # None while paused
    paused: list[tuple[dt.datetime, dt.datetime | None]] = field(default_factory=list)
    kind: str = ""  # the kind whose pauses it follows (a deadline due `with` another runs as that one)


class EventClock:
    """The events of one complaint up to ``as_of``, as the deadline scheduler asks about them."""

    def __init__(self, policy: Policy, events: list[Event], received_at: dt.datetime | None = None):
        self.policy = policy
        self.events = events
        self.tz = ZoneInfo(policy.timezone)
        self.received_at = received_at
        # "Now" is the last event, never before the complaint (a breach recorded for a deadline
        # already past when the complaint arrived sits at its due time, before the complaint).
        last = _instant(events[-1]["at"]) if events else None
        self.as_of = max(last, received_at) if last and received_at else last
        self.runs: dict[str, Run] = {}
        # The first breach recorded of each kind, at its due time: a fact no later decision moves.
        self.recorded: dict[str, dt.datetime] = {}
        for event in events:
            if event["type"] == BREACH_EVENT and event["kind"] not in self.recorded:
                self.recorded[event["kind"]] = _instant(event["at"])

    def local(self, moment: dt.datetime) -> str:
        """A time as the service writes it: in the policy's zone (+08:00 for Asia/Shanghai), whatever
        offset the caller used."""
        return moment.astimezone(self.tz).isoformat()

    def breaches(self, planned: DeadlinePlan, fired: dict[str, list[DeadlineRule]]) -> dict[str, DeadlineRule]:
        """Per kind with a recorded breach, the rule that was breached: the one the breach names, else
        (a breach recorded before breaches named their rule) the kind's first rule that fires, else
        the kind's first rule in the policy."""
        found: dict[str, DeadlineRule] = {}
        named = {e["kind"]: e.get("rule") for e in reversed(self.events) if e["type"] == BREACH_EVENT}
        for kind in self.recorded:
            rule = planned.by_id.get(named.get(kind) or "")
            if rule is None or rule.kind != kind:
                candidates = fired.get(kind) or [r for r in planned.by_id.values() if r.kind == kind]
                rule = candidates[0] if candidates else None
            if rule is not None and rule.info.id in planned.rules:
                found[kind] = rule
        return found

    def first(self, event_type: str, after: dt.datetime | None = None) -> dt.datetime | None:
        for event in self.events:
            if event["type"] == event_type and (after is None or _instant(event["at"]) >= after):
                return _instant(event["at"])
        return None

    def pauses(self, kind: str) -> list[tuple[dt.datetime, dt.datetime | None]]:
        """The kind's paused intervals, in order; the last may still be open (None)."""
        spec = self.policy.clock.kinds.get(kind)
        if spec is None or not spec.pauses_on:
            return []
        intervals: list[tuple[dt.datetime, dt.datetime | None]] = []
        started: dt.datetime | None = None
        for event in self.events:
            if event["type"] in spec.pauses_on and started is None:
                started = _instant(event["at"])
            elif event["type"] in spec.resumes_on and started is not None:
                intervals.append((started, _instant(event["at"])))
                started = None
        if started is not None:
            intervals.append((started, None))
        return intervals

    def run(
        self,
        rule_id: str,
        kind: str,
        start: dt.datetime,
        unit: str,
        amount: int,
        cal: WorkCalendar,
        trace: CountingTrace,
        roll_forward: bool = True,
    ) -> dt.datetime | None:
        """The due time of a deadline started at ``start``, extended by the pauses before it fell due."""
        due = cal.period_end(start, unit, amount, trace, roll_forward)
        extra_days = 0
        extra_time = dt.timedelta(0)
        taken: list[tuple[dt.datetime, dt.datetime | None]] = []
        for begin, end in self.pauses(kind):
            if begin >= due or (end is not None and end <= start):
                continue  # after it fell due (breached meanwhile), or before it started
            begin = max(begin, start)
            taken.append((begin, end))
            if end is None:
                self.runs[rule_id] = Run(start, None, taken, kind)
                return None
            if unit in ("minutes", "hours"):
                extra_time += end - begin
                due = cal.period_end(start, unit, amount, trace) + extra_time
            else:
                extra_days += _days_paused(begin, end, unit, cal, trace)
                due = cal.period_end(start, unit, amount + extra_days, trace, roll_forward)
        self.runs[rule_id] = Run(start, due, taken, kind)
        return due

    def share(self, rule_id: str, other_rule: str) -> None:
        """A deadline due `with` another runs as that one."""
        if other_rule in self.runs:
            self.runs[rule_id] = self.runs[other_rule]


def _days_paused(begin: dt.datetime, end: dt.datetime, unit: str, cal: WorkCalendar, trace: CountingTrace) -> int:
    """The days a pause took, in the deadline's own unit: each day after the pause began up to the day
    it ended (a pause within one day costs no day); working days count only working days."""
    first, last = begin.astimezone(cal.tz).date(), end.astimezone(cal.tz).date()
    if unit == "calendar_days":
        return (last - first).days
    count, day = 0, first
    while day < last:
        day += dt.timedelta(days=1)
        count += cal.is_working_day(day, trace)
    return count


def effective_complaint(complaint: Complaint, policy: Policy, events: list[Event], level: str | None) -> Complaint:
    """The validated complaint with its history brought up to date by ``events``."""
    result = copy.copy(complaint)
    history = dict(complaint["history"])
    for event in events:
        if event["type"] == BREACH_EVENT:
            spec = policy.clock.kinds.get(event["kind"])
            if spec is not None and spec.breach_sets:
                history[spec.breach_sets.removeprefix("history.")] = True
            continue
        definition = policy.events[event["type"]]
        if definition.field and definition.field.startswith("history."):
            history.setdefault(definition.field.removeprefix("history."), _instant(event["at"]))
        if definition.counts:
            name = definition.counts.removeprefix("history.")
            history[name] = history.get(name, 0) + 1
    if level is None:
        history.pop("level", None)
    else:
        history["level"] = level
    result["history"] = history
    return result


def escalated_field(event: Event, policy: Policy) -> str | None:
    """The history field an event changes that escalation may read: the count it adds to, or what its
    breach sets; None for an event that changes neither."""
    if event["type"] == BREACH_EVENT:
        spec = policy.clock.kinds.get(event["kind"])
        return spec.breach_sets if spec is not None else None
    return policy.events[event["type"]].counts


def settle(deadlines: list[Deadline], clock: EventClock, policy: Policy) -> bool:
    """Give each deadline its state on the clock as of the last event, and why; True if a legal
    deadline (the binding one or one it cites) was missed or breached (brief §9)."""
    assert clock.as_of is not None
    breached_legal = False
    received = clock.received_at
    for deadline in deadlines:
        run = clock.runs.get(deadline["rule"])
        spec = policy.clock.kinds.get(deadline["kind"])
        met = None
        if spec is not None:
            times = [(clock.first(name), name) for name in spec.met_by]
            found = [(moment, name) for moment, name in times if moment is not None]
            met = min(found) if found else None
        recorded = clock.recorded.get(deadline["kind"])
        if recorded is not None:
            deadline["due_at"] = clock.local(recorded)
        due = _instant(deadline["due_at"]) if deadline["due_at"] else None
        deadline["started_at"] = clock.local(run.started_at) if run else None
        deadline["paused"] = [
            {"from": clock.local(begin), "until": clock.local(end) if end else None}
            for begin, end in (run.paused if run else [])
        ]
        deadline["fulfilled"] = {"event": met[1], "at": clock.local(met[0])} if met else None
        deadline["due_soon_at"] = None
        deadline["breach_recorded"] = recorded is not None
        if recorded is not None:
            deadline["status"] = "breached"  # final: met later or not, rescheduled never
        elif met is not None:
            deadline["status"] = "met" if due is None or met[0] <= due else "missed"
        elif (
            run is not None and run.due_at is None
        ):  # paused: its own kind's pauses, or those of the kind it is due with
            resumes = policy.clock.kinds[run.kind].resumes_on
            deadline["status"] = "paused"
            deadline["waiting_for"] = {"event": resumes[0], "label": policy.events[resumes[0]].label}
        elif due is not None and deadline["status"] != "overdue" and due <= clock.as_of:
            deadline["status"] = "breached"
        if deadline["status"] == "scheduled" and run is not None and due is not None:
            soon = due_soon(run.started_at, due, policy.clock.due_soon_percent, run.paused)
            deadline["due_soon_at"] = clock.local(soon)
        for cited in deadline["cited"]:
            cited["status"] = _candidate_status(cited, clock, met)
        if _explain(deadline, policy, clock, met, received):
            breached_legal = True
    return breached_legal


def settle_plain(deadlines: list[Deadline], policy: Policy, received_at: dt.datetime) -> bool:
    """Why each deadline of a decision on the complaint alone has its status; True if a legal deadline
    was already past when the complaint arrived."""
    breached_legal = False
    for deadline in deadlines:
        if _explain(deadline, policy, None, None, received_at):
            breached_legal = True
    return breached_legal


def _candidate_status(cited: Deadline, clock: EventClock, met: tuple[dt.datetime, str] | None) -> str:
    """A cited rule's own status, against its own due time (a legal deadline cited beside an internal
    one that binds is met, missed or breached on its own)."""
    run = clock.runs.get(cited["rule"])
    if cited["due_at"] is None:
        return "paused" if run is not None and run.due_at is None else cited["status"]
    due = _instant(cited["due_at"])
    if met is not None:
        return "met" if met[0] <= due else "missed"
    if cited["status"] == "overdue":
        return "overdue"
    assert clock.as_of is not None
    return "breached" if due <= clock.as_of else "scheduled"


def _explain(
    deadline: Deadline,
    policy: Policy,
    clock: EventClock | None,
    met: tuple[dt.datetime, str] | None,
    received: dt.datetime | None,
) -> bool:
    """Set the deadline's ``legal_breached`` and ``status_reason``; answer ``legal_breached``."""
    legal_cited = next((c for c in deadline["cited"] if c["legal"] and missed(c["status"])), None)
    legal_breached: bool = (deadline["legal"] and missed(deadline["status"])) or legal_cited is not None
    deadline["legal_breached"] = legal_breached
    status, due = deadline["status"], deadline["due_at"]
    args: dict[str, str] = {"due": due or ""}
    if status == "pending":
        waiting = deadline["waiting_for"] or {}
        if "deadline" in waiting:
            code, args["deadline"] = "waiting_for_deadline", waiting["deadline"]
        else:
            code = "waiting_for_event"
            args["event"] = waiting.get("event", "")
            args["event_label"] = waiting.get("label", args["event"])
    elif status == "paused":
        code = "paused"
        paused = deadline["paused"]
        args["since"] = paused[-1]["from"] if paused else ""
        args["event"] = deadline["waiting_for"]["event"]
        args["event_label"] = deadline["waiting_for"]["label"]
    elif status == "overdue" and met is None:
        code = "past_at_receipt"
        args["received"] = clock.local(received) if clock is not None and received else _text(received)
    elif deadline.get("breach_recorded"):
        code = "breach_recorded_met" if met is not None else "breach_recorded"
    elif status in ("met", "missed", "overdue"):
        code = "met" if status == "met" else "met_late"
    elif status == "breached":
        code = "past_due"
        args["as_of"] = clock.local(clock.as_of) if clock is not None and clock.as_of else ""
    else:
        code = "running"
    if met is not None and clock is not None:
        args["at"] = clock.local(met[0])
        args["event"] = met[1]
        args["event_label"] = policy.events[met[1]].label if met[1] in policy.events else met[1]
    words = None
    if legal_cited is not None:
        words = {"rule": legal_cited["rule"], "due": legal_cited["due_at"] or ""}
    deadline["status_reason"] = reason(code, deadline["legal"], deadline["basis"], policy.timezone, words, **args)
    return legal_breached


def _text(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment else ""


def due_soon(
    started: dt.datetime,
    due: dt.datetime,
    percent: int,
    paused: Sequence[tuple[dt.datetime, dt.datetime | None]] = (),
) -> dt.datetime:
    """When ``percent`` of the period from ``started`` to ``due`` has run (a warning before the breach).
    Paused time does not run: the share is of the running time, and a pause moves the warning on."""
    closed = sorted((max(b, started), min(e, due)) for b, e in paused if e is not None and e > started and b < due)
    running = (due - started) - sum((e - b for b, e in closed), dt.timedelta(0))
    left = running * percent / 100
    at = started
    for begin, end in closed:
        if at + left <= begin:
            break
        left -= max(begin - at, dt.timedelta(0))
        at = max(at, end)
    return at + left


class ClockSection(TypedDict):
    """A decision on events' ``clock``: "now", and the events it was made on."""

    as_of: str | None
    events: list[Event]


def clock_section(clock: EventClock) -> ClockSection:
    """What a decision on events states about its input: "now" and the events it was made on, each
    time in the policy's zone."""
    events = [dict(event, at=clock.local(_instant(event["at"]))) for event in clock.events]
    return {"as_of": clock.local(clock.as_of) if clock.as_of else None, "events": events}


class QueueEntry(TypedDict):
    """A work-queue row of a decision, as ``store.clock.queue_row`` takes it."""

    kind: str
    status: str
    due_at: dt.datetime
    due_soon_at: dt.datetime | None
    team: str | None
    level: str | None
    rule: str
    record_breach: bool
    breach_recorded: bool


def index_entries(decision: Decision, policy: Policy, complaint: Complaint, calendar: WorkCalendar) -> list[QueueEntry]:
    """The work-queue rows of a decision: its deadlines on the clock, with when each is due soon.

    A decision on events states ``started_at`` and ``due_soon_at``; a plain one does not (its bytes
    predate the clock), so the start is found again from the complaint as the scheduler found it."""
    route = decision["route"]
    rows: list[QueueEntry] = []
    for deadline in decision["deadlines"]:
        if deadline["status"] not in ON_THE_CLOCK or not deadline["due_at"] or deadline.get("fulfilled"):
            continue  # a recorded breach met later stays `breached` in the decision, off the work queue
        due = _instant(deadline["due_at"])
        if "due_soon_at" in deadline:
            soon = deadline["due_soon_at"]
        else:
            started = _start_of(deadline, decision, policy, complaint)
            soon = due_soon(started, due, policy.clock.due_soon_percent).isoformat() if started else None
        spec = policy.clock.kinds.get(deadline["kind"])
        rows.append(
            {
                "kind": deadline["kind"],
                "status": deadline["status"],
                "due_at": due,
                "due_soon_at": _instant(soon) if soon else None,
                "team": route["team"],
                "level": route["level"],
                "rule": deadline["rule"],
                "record_breach": bool(spec and spec.record_breach),
                "breach_recorded": bool(deadline.get("breach_recorded")),
            }
        )
    return rows


def _start_of(deadline: Deadline, decision: Decision, policy: Policy, complaint: Complaint) -> dt.datetime | None:
    period = deadline["period"] or {}
    if "with" in period:
        other = next((d for d in decision["deadlines"] if d["kind"] == period["with"]), None)
        return _start_of(other, decision, policy, complaint) if other else None
    event = policy.events.get(period.get("after", ""))
    if event is None or not event.field:
        return None
    value: object = complaint
    for part in event.field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, dt.datetime) else None


def anchor_level(
    decide: Callable[[Complaint, list[Event]], Decision],
    raises: Callable[[Complaint, str], bool],
    complaint: Complaint,
    policy: Policy,
    events: list[Event],
) -> str | None:
    """``history.level`` for deciding on ``events``: the level decided just before the last event that
    escalates (brief §9: each rejected offer from the second on, a breach of the resolution; other events
    keep the level). ``raises(effective, field)``: whether, with the event's change to ``field``, an
    escalation rule holds by a condition on that field (the first rejected offer after a breach does not
    raise the level again: escalation holds by the breach, not by the offer)."""
    level: str | None = complaint["history"].get("level")
    for index, event in enumerate(events):
        field = escalated_field(event, policy)
        if field is None or not raises(effective_complaint(complaint, policy, events[: index + 1], level), field):
            continue
        level = decide(effective_complaint(complaint, policy, events[:index], level), events[:index])["route"]["level"]
    return level
