"""Whole complaint lives on the deadline clock, generated: the invariants of brief §9 at every decision.

A life is a complaint (received around the holidays and make-up days of 2025-2026) followed by a
random mix of reported events (the goods back at the seller or at the service centre, pauses and
resumptions, rejected offers, payments, resolution) and escalation runs, over a real SQLite store.
After each life, over every decision it recorded:

- no deadline starts before its own event (it starts exactly at it);
- a breach recorded stays `breached` at its original due time in every later decision;
- each deadline is breached at most once;
- `legal_deadline_breached` is set when, and only when, a legal deadline was missed or breached;
- every time the service wrote is in +08:00; due soon falls between the start and the due time;
- every decision replays to the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.replay import StoredPolicies, replay
from canonical import canonical_json
from engine.compiled import decider_for_file
from engine.complaint import ComplaintError
from lifecycle.clock_service import ClockService
from lifecycle.decision_service import DecisionService
from store import DecisionStore
from store.clock import events_of
from tests.helpers.samples import POLICY

CST = dt.timezone(dt.timedelta(hours=8))
DECIDER = decider_for_file(POLICY)
# Days where counting turns: the first and last days of holidays, make-up working days, weekends around them.
TURNS = [
    dt.date(2025, 1, 26), dt.date(2025, 1, 27), dt.date(2025, 2, 4), dt.date(2025, 2, 8), dt.date(2025, 4, 3),
    dt.date(2025, 4, 18), dt.date(2025, 4, 27), dt.date(2025, 4, 30), dt.date(2025, 5, 5), dt.date(2025, 5, 30),
    dt.date(2025, 9, 28), dt.date(2025, 9, 30), dt.date(2025, 10, 8), dt.date(2025, 10, 11), dt.date(2025, 12, 31),
    dt.date(2026, 1, 3), dt.date(2026, 1, 4), dt.date(2026, 2, 13), dt.date(2026, 2, 14), dt.date(2026, 2, 23),
    dt.date(2026, 2, 28), dt.date(2026, 5, 1), dt.date(2026, 5, 9), dt.date(2026, 6, 18), dt.date(2026, 9, 20),
    dt.date(2026, 9, 24), dt.date(2026, 9, 30), dt.date(2026, 10, 7), dt.date(2026, 10, 10), dt.date(2026, 11, 6),
]  # fmt: skip
CATEGORIES = ["quality_defect", "no_reason_return", "no_reason_return", "wrong_item", "service_attitude", "counterfeit"]
EVENTS = [
    "return_received",
    "goods_at_service_centre",
    "responded",
    "offer_rejected",
    "waiting_for_customer",
    "resumed",
    "customer_replied",
    "refund_paid",
    "resolved",
    "followed_up",
]
OFFSETS = [dt.timezone(dt.timedelta(hours=h)) for h in (8, 0, -5)] + [dt.timezone(dt.timedelta(hours=5, minutes=30))]
TIME_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$")


@st.composite
def lives(draw):
    day = draw(st.sampled_from(TURNS))
    received = dt.datetime.combine(day, dt.time(0), CST) + dt.timedelta(minutes=draw(st.integers(0, 24 * 60 - 1)))
    category = draw(st.sampled_from(CATEGORIES))
    delivered = received - dt.timedelta(hours=draw(st.integers(1, 20 * 24)))
    amount = draw(st.sampled_from(["99.00", "200.01", "1999.00", "2500.00"]))
    flags = draw(st.lists(st.sampled_from(["expedited", "media_exposure", "human_review_requested"]), unique=True))
    complaint = {
        "complaint_id": "LIFE",
        "received_at": received.astimezone(draw(st.sampled_from(OFFSETS))).isoformat(),
        "channel": draw(st.sampled_from(["online_chat", "regulator"])),
        "category": category,
        "order": {"amount": amount, "delivered_at": delivered.isoformat(), "goods_condition": "intact"},
        "customer": {"customer_id": "U-1", "tier": draw(st.sampled_from(["regular", "vip"]))},
        "flags": flags,
    }
    steps = []
    moment = received
    if draw(st.integers(0, 4)) < 3:  # most lives return the goods: the refund's legal clock runs
        moment += dt.timedelta(minutes=draw(st.integers(10, 3 * 1440)))
        steps.append(("return_received", moment.astimezone(draw(st.sampled_from(OFFSETS)))))
    for _ in range(draw(st.integers(1, 9))):
        moment += dt.timedelta(
            minutes=draw(st.sampled_from([3, 20, 90, 600, 1440, 2880, 4 * 1440, 7 * 1440, 9 * 1440]))
        )
        if draw(st.integers(0, 3)) == 0:
            steps.append(("escalate", moment))
        else:
            steps.append((draw(st.sampled_from(EVENTS)), moment.astimezone(draw(st.sampled_from(OFFSETS)))))
    return complaint, steps


def _store(folder: str) -> DecisionStore:
    store = DecisionStore(f"sqlite:///{Path(folder) / 'life.db'}")
    store.init_schema()
    return store


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lives())
def test_every_decision_of_a_life_keeps_the_clock_s_invariants(life):
    complaint, steps = life
    with tempfile.TemporaryDirectory() as folder:
        store = _store(folder)
        try:
            service = DecisionService(DECIDER, store)
            service.submit(complaint, canonical_json(complaint))
            clock = ClockService(store)
            for kind, moment in steps:
                if kind == "escalate":
                    clock.escalate(moment)
                    continue
                try:
                    clock.report("LIFE", {"type": kind, "at": moment.isoformat()})
                except ComplaintError:
                    pass  # a second `resolved`, an event the policy refuses: nothing recorded, which is checked below
            _check(store)
        finally:
            store.dispose()


def _check(store: DecisionStore) -> None:
    records = [r for r in store.all_decisions() if r.complaint_id == "LIFE"]
    decisions = [r.decision_dict() for r in records]
    events = events_of(store, "LIFE")
    breaches = [e for e in events if e["type"] == "deadline_breached"]
    # at most one breach per deadline
    kinds = [e["kind"] for e in breaches]
    assert len(kinds) == len(set(kinds)), kinds
    recorded: dict[str, str] = {}  # kind -> its breach's due time, once recorded
    for decision in decisions:
        _times_in_policy_zone(decision)
        by_kind = {d["kind"]: d for d in decision["deadlines"]}
        for kind, due in recorded.items():  # a recorded breach is final
            assert kind in by_kind, (kind, decision["deadlines"])
            assert (by_kind[kind]["status"], by_kind[kind]["due_at"]) == ("breached", due)
            assert by_kind[kind]["breach_recorded"] is True
        for deadline in decision["deadlines"]:
            if deadline.get("breach_recorded"):
                recorded.setdefault(deadline["kind"], deadline["due_at"])
            _starts_at_its_own_event(deadline, decision, by_kind)
            if deadline.get("due_soon_at"):
                assert deadline["started_at"] <= deadline["due_soon_at"] <= deadline["due_at"] or _instants_ordered(
                    deadline["started_at"], deadline["due_soon_at"], deadline["due_at"]
                )
        _legal_flag_means_a_legal_deadline_missed(decision)
    for before, after in zip(decisions, decisions[1:], strict=False):
        _escalates_as_the_brief_says(before, after)
    policies = StoredPolicies(store)
    for record in records:
        result = replay(record, policies)
        assert result.identical, result.as_dict()


LEVELS = ["frontline", "supervisor", "manager"]


def _escalates_as_the_brief_says(before: dict, after: dict) -> None:
    """§9: each rejected offer from the second on, and the resolution's breach, raise the level one step
    above the previous decision's (capped at manager); every other event keeps it. Checked where the new
    event is the latest (a breach recorded at a past due time re-decides the events after it)."""
    old, new = before.get("clock", {}).get("events", []), after["clock"]["events"]
    if len(new) != len(old) + 1 or new[:-1] != old:
        return  # the new event slots in before others
    event = new[-1]
    level, previous = after["route"]["level"], before["route"]["level"]
    if level is None or previous is None:
        return
    rejected = sum(e["type"] == "offer_rejected" for e in new)
    raises = (event["type"] == "offer_rejected" and rejected >= 2) or (
        event["type"] == "deadline_breached" and event["kind"] == "resolution"
    )
    expected = LEVELS[min(LEVELS.index(previous) + 1, 2)] if raises else previous
    assert level == expected, (event, previous, level)


def _instants_ordered(*texts: str) -> bool:
    moments = [dt.datetime.fromisoformat(t) for t in texts]
    return moments == sorted(moments)


def _times_in_policy_zone(value: object) -> None:
    if isinstance(value, str) and TIME_TEXT.match(value):
        assert value.endswith("+08:00"), value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "complaint":
                _times_in_policy_zone(item)
    elif isinstance(value, list):
        for item in value:
            _times_in_policy_zone(item)


def _starts_at_its_own_event(deadline: dict, decision: dict, by_kind: dict) -> None:
    started = deadline.get("started_at")
    if started is None:
        return
    period = deadline["period"]
    if "with" in period:
        return  # runs as the deadline it is due with
    after = period["after"]
    if after == "received":
        expected = decision["received_at"]
    else:
        reported = [e for e in decision["clock"]["events"] if e["type"] == after]
        assert reported, (deadline, decision["clock"]["events"])  # started only by its own event
        expected = reported[0]["at"]
    assert dt.datetime.fromisoformat(started) == dt.datetime.fromisoformat(expected), (deadline["kind"], started)


def _legal_flag_means_a_legal_deadline_missed(decision: dict) -> None:
    """The flag iff a legal deadline (the binding rule or one it cites) is missed, breached or overdue; and a
    legal deadline reads missed only when its due time passed before it was met (or by `as_of`)."""
    missed = ("missed", "breached", "overdue")
    legal_missed = False
    as_of = (decision.get("clock") or {}).get("as_of") or decision["received_at"]
    for deadline in decision["deadlines"]:
        candidates = [deadline, *deadline["cited"]]
        for candidate in candidates:
            if not candidate["legal"] or candidate["status"] not in missed:
                continue
            legal_missed = True
            due = dt.datetime.fromisoformat(candidate["due_at"])
            met = deadline.get("fulfilled")
            if met is not None:
                assert dt.datetime.fromisoformat(met["at"]) > due or deadline.get("breach_recorded"), (candidate, met)
            else:
                assert due <= dt.datetime.fromisoformat(as_of), (candidate, as_of)
        assert deadline["legal_breached"] == any(c["legal"] and c["status"] in missed for c in candidates)
    assert ("legal_deadline_breached" in decision["flags"]) == legal_missed, decision["deadlines"]
