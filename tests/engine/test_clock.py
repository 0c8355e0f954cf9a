"""The deadline clock in the engine: a decision on a complaint and its events, pure and exact.

Pauses are added back as the deadline counts (clock time, calendar days, working days); a pause
before a deadline starts or after it fell due changes nothing; escalation happens on the events
that change what R10 reads, once each; the stored request decides to the same bytes.
"""

from __future__ import annotations

import pytest

from canonical import canonical_json
from engine.clock import envelope
from engine.compiled import decider_for_text
from engine.complaint import ComplaintError, validate_complaint
from tests.helpers.samples import POLICY

TEXT = POLICY.read_text(encoding="utf-8")
# A variant whose refund pauses while waiting for the customer, to count paused days.
PAUSING = TEXT.replace(
    "    refund: {met_by: [refund_paid], record_breach: true}",
    "    refund: {met_by: [refund_paid], pauses_on: [waiting_for_customer], resumes_on: [resumed], record_breach: true}",
)


def _complaint(**extra) -> dict:
    body = {
        "complaint_id": "E-1",
        "received_at": "2026-11-02T10:00:00+08:00",
        "channel": "online_chat",
        "category": "no_reason_return",
        "order": {"amount": "199.00", "delivered_at": "2026-10-30T15:00:00+08:00", "goods_condition": "intact"},
    }
    body.update(extra)
    return body


def _decide(text: str, events: list[dict], **extra) -> dict:
    decider = decider_for_text(text)
    complaint = validate_complaint(_complaint(**extra), decider.policy.levels)
    return decider.decide_on_events(complaint, events)


def _deadline(decision: dict, kind: str) -> dict:
    return next(d for d in decision["deadlines"] if d["kind"] == kind)


RETURNED = {"type": "return_received", "at": "2026-11-06T09:00:00+08:00"}  # a Friday


def test_a_pause_extends_a_calendar_day_deadline_by_the_calendar_days_it_took():
    plain = _deadline(_decide(PAUSING, [RETURNED]), "refund")
    assert plain["due_at"] == "2026-11-13T23:59:59+08:00"  # 7 calendar days after Fri 11-06
    paused = [
        RETURNED,
        {"type": "waiting_for_customer", "at": "2026-11-06T12:00:00+08:00"},
        {"type": "resumed", "at": "2026-11-10T08:00:00+08:00"},  # Fri to Tue: 4 days
    ]
    refund = _deadline(_decide(PAUSING, paused), "refund")
    assert refund["due_at"] == "2026-11-17T23:59:59+08:00"
    assert refund["paused"] == [{"from": "2026-11-06T12:00:00+08:00", "until": "2026-11-10T08:00:00+08:00"}]


def test_a_pause_extends_a_working_day_deadline_by_the_working_days_it_took():
    paused = [
        RETURNED,
        {"type": "waiting_for_customer", "at": "2026-11-06T12:00:00+08:00"},
        {"type": "resumed", "at": "2026-11-10T08:00:00+08:00"},  # Sat, Sun skipped: Mon and Tue count
    ]
    plain = _deadline(_decide(PAUSING, [RETURNED], flags=["expedited"]), "refund")
    assert plain["due_at"] == "2026-11-11T23:59:59+08:00"  # 3 working days: Mon, Tue, Wed
    refund = _deadline(_decide(PAUSING, paused, flags=["expedited"]), "refund")
    assert refund["due_at"] == "2026-11-13T23:59:59+08:00"  # and 2 more: Thu, Fri
    assert refund["rule"] == "D08_refund_after_return_expedited"


def test_an_open_pause_holds_the_deadline_and_a_pause_outside_it_changes_nothing():
    open_pause = [RETURNED, {"type": "waiting_for_customer", "at": "2026-11-07T12:00:00+08:00"}]
    refund = _deadline(_decide(PAUSING, open_pause), "refund")
    assert (refund["status"], refund["due_at"]) == ("paused", None)
    assert refund["waiting_for"]["event"] == "resumed"
    before_start = [
        {"type": "waiting_for_customer", "at": "2026-11-03T12:00:00+08:00"},
        {"type": "resumed", "at": "2026-11-04T12:00:00+08:00"},
        RETURNED,
    ]
    assert _deadline(_decide(PAUSING, before_start), "refund")["due_at"] == "2026-11-13T23:59:59+08:00"


def test_the_resolution_pauses_on_the_clock_and_is_met_or_missed():
    events = [
        {"type": "waiting_for_customer", "at": "2026-11-02T11:00:00+08:00"},
        {"type": "customer_replied", "at": "2026-11-02T11:45:30+08:00"},
        {"type": "resolved", "at": "2026-11-03T10:30:00+08:00"},
    ]
    resolution = _deadline(_decide(TEXT, events), "resolution")
    assert resolution["due_at"] == "2026-11-03T10:45:30+08:00"  # 24 hours and 45.5 minutes paused
    assert resolution["status"] == "met"
    late = [*events[:2], {"type": "resolved", "at": "2026-11-03T11:00:00+08:00"}]
    resolution = _deadline(_decide(TEXT, late), "resolution")
    assert resolution["status"] == "missed"
    assert resolution["fulfilled"] == {"event": "resolved", "at": "2026-11-03T11:00:00+08:00"}


def test_escalation_happens_on_the_escalating_events_only():
    rejected = [
        {"type": "offer_rejected", "at": "2026-11-02T11:00:00+08:00"},
        {"type": "offer_rejected", "at": "2026-11-02T12:00:00+08:00"},
    ]
    assert _decide(TEXT, rejected[:1])["route"]["level"] == "frontline"
    assert _decide(TEXT, rejected)["route"]["level"] == "supervisor"
    later = [*rejected, RETURNED, {"type": "customer_replied", "at": "2026-11-07T09:00:00+08:00"}]
    decision = _decide(TEXT, later)
    assert (decision["route"]["level"], decision["route"]["escalated_from"]) == ("supervisor", "frontline")
    third = [*later, {"type": "offer_rejected", "at": "2026-11-08T09:00:00+08:00"}]
    # one above the previous decision's level (§3.10), at the rejection itself
    assert _decide(TEXT, third)["route"]["level"] == "manager"


def test_the_stored_request_decides_to_the_same_bytes_and_ties_keep_reported_order():
    decider = decider_for_text(TEXT)
    events = [
        RETURNED,
        {"type": "deadline_breached", "kind": "resolution", "at": "2026-11-03T10:00:00+08:00"},
        {"type": "refund_paid", "at": "2026-11-07T10:00:00+08:00"},
    ]
    complaint = validate_complaint(_complaint(), decider.policy.levels)
    direct = decider.decide_on_events(complaint, events)
    replayed = decider.decide_request(envelope(_complaint(), events))
    assert canonical_json(direct) == canonical_json(replayed)
    # the breach sits at its due time, before the return that was reported first
    assert [e["type"] for e in direct["clock"]["events"]] == ["deadline_breached", "return_received", "refund_paid"]
    assert direct["route"]["level"] == "supervisor"  # resolution overdue: R10
    with pytest.raises(ComplaintError):
        decider.decide_request(envelope(_complaint(), [{"type": "teleported", "at": "2026-11-03T10:00:00+08:00"}]))


def test_now_is_never_before_the_complaint():
    # the goods came back 10 days before the complaint: the legal refund deadline was past on arrival
    history = {"return_received_at": "2026-10-20T09:00:00+08:00"}
    breach = {"type": "deadline_breached", "kind": "refund", "at": "2026-10-27T23:59:59+08:00"}
    decision = _decide(TEXT, [breach], history=history)
    assert decision["clock"]["as_of"] == "2026-11-02T10:00:00+08:00"
    refund = _deadline(decision, "refund")
    assert (refund["status"], refund["breach_recorded"]) == ("breached", True)  # brief §9: a recorded breach is final
    assert "legal_deadline_breached" in decision["flags"]


def _levels(events: list[dict], **extra) -> list[str]:
    """The level decided after each prefix of ``events`` (a frontline complaint to begin with)."""
    decider = decider_for_text(TEXT)
    complaint = validate_complaint(_complaint(category="wrong_item", **extra), decider.policy.levels)
    first = decider.decide_valid(complaint)["route"]["level"]
    return [first] + [
        decider.decide_on_events(complaint, events[: n + 1])["route"]["level"] for n in range(len(events))
    ]


def _at(hour: int, minute: int = 0) -> str:
    return f"2026-11-02T{hour:02d}:{minute:02d}:00+08:00"


def test_each_rejected_offer_from_the_second_on_raises_the_level_one_step():
    """Brief §9: the second rejected offer raises one above the previous decision's level, so does each
    later one (capped at manager); other events keep the level."""
    events = [
        {"type": "offer_rejected", "at": _at(10, 5)},
        {"type": "responded", "at": _at(10, 6)},
        {"type": "offer_rejected", "at": _at(10, 10)},
        {"type": "customer_replied", "at": _at(10, 20)},
        {"type": "offer_rejected", "at": _at(10, 30)},
        {"type": "offer_rejected", "at": _at(10, 40)},
    ]
    assert _levels(events) == ["frontline", "frontline", "frontline", "supervisor", "supervisor", "manager", "manager"]


def test_a_rejected_offer_after_a_breach_raises_only_from_the_second_offer():
    """The resolution breach raises the level once; the first rejected offer after it keeps the level (it
    is not a second rejection), the second raises it again."""
    events = [
        {"type": "deadline_breached", "kind": "resolution", "at": "2026-11-03T10:00:00+08:00"},
        {"type": "offer_rejected", "at": "2026-11-03T11:00:00+08:00"},
        {"type": "offer_rejected", "at": "2026-11-03T12:00:00+08:00"},
    ]
    assert _levels(events) == ["frontline", "supervisor", "supervisor", "manager"]


def test_a_deadline_due_with_a_paused_one_is_paused_waiting_for_what_resumes_that_one():
    """A refund without a return is due with the resolution: while the resolution waits for the customer,
    the refund waits too, for the event that resumes the resolution (it once raised IndexError)."""
    decider = decider_for_text(TEXT)
    body = _complaint(category="counterfeit", order={"amount": "100.00", "delivered_at": "2026-10-30T15:00:00+08:00"})
    complaint = validate_complaint(body, decider.policy.levels)
    decision = decider.decide_on_events(
        complaint, [{"type": "waiting_for_customer", "at": "2026-11-02T11:00:00+08:00"}]
    )
    refund, resolution = _deadline(decision, "refund"), _deadline(decision, "resolution")
    assert refund["period"] == {"with": "resolution"}
    assert refund["status"] == resolution["status"] == "paused"
    assert refund["waiting_for"] == resolution["waiting_for"]
    assert refund["waiting_for"]["event"] == "resumed"
