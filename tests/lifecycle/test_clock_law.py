"""The deadline clock, right by the law at every event (issue 23, brief §9), on SQLite and PostgreSQL.

Each reproducer of the issue is a test here: the two goods-arrival events start only their own
deadlines; a missed internal deadline is never a legal breach; a recorded breach is final (escalation
never moves it) and happens once per deadline; every time the service writes is in +08:00.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from audit.replay import StoredPolicies, replay
from canonical import canonical_json
from engine.complaint import ComplaintError
from lifecycle.clock_service import ClockService
from lifecycle.decision_service import DecisionService
from store.clock import events_of
from store.tables import webhook_events

CST = dt.timezone(dt.timedelta(hours=8))


def _decide(service: DecisionService, **body) -> dict:
    complaint = {"channel": "online_chat", "customer": {"customer_id": "U-" + body["complaint_id"]}, **body}
    outcome = service.submit(complaint, canonical_json(complaint))
    return outcome.record.decision_dict()


def _returnable(service: DecisionService, complaint_id: str, received_at: str) -> dict:
    """A no-reason return within its 7 days, delivered Fri 2026-10-30."""
    return _decide(
        service,
        complaint_id=complaint_id,
        received_at=received_at,
        category="no_reason_return",
        order={"amount": "199.00", "delivered_at": "2026-10-30T15:00:00+08:00", "goods_condition": "intact"},
    )


def _deadline(decision: dict, kind: str) -> dict:
    return next(d for d in decision["deadlines"] if d["kind"] == kind)


def _outbox(store) -> list[dict]:
    with store.engine.connect() as conn:
        return [json.loads(body) for (body,) in conn.execute(select(webhook_events.c.body))]


def _replays(store) -> None:
    policies = StoredPolicies(store)
    results = [replay(record, policies) for record in store.all_decisions()]
    assert all(r.identical for r in results), [r.as_dict() for r in results if not r.identical]


def test_goods_at_the_service_centre_never_start_the_refund(service, store):
    """Reproducer 1: a return and refund stays pending until `return_received`, whatever else arrives."""
    _decide(
        service,
        complaint_id="G-1",
        received_at="2026-08-22T23:29:00+08:00",
        category="quality_defect",
        order={"amount": "1999.00", "delivered_at": "2026-08-18T21:13:00+08:00"},
    )
    clock = ClockService(store)
    outcome = clock.report("G-1", {"type": "goods_at_service_centre", "at": "2026-08-25T02:04:00Z"})
    refund = _deadline(outcome.record.decision_dict(), "refund")
    assert (refund["status"], refund["due_at"]) == ("pending", None)
    assert refund["waiting_for"]["event"] == "return_received"
    outcome = clock.report("G-1", {"type": "return_received", "at": "2026-08-26T10:00:00+08:00"})
    refund = _deadline(outcome.record.decision_dict(), "refund")
    assert (refund["status"], refund["started_at"]) == ("scheduled", "2026-08-26T10:00:00+08:00")
    assert refund["due_at"] == "2026-09-02T23:59:59+08:00"  # 7 calendar days after 08-26
    _replays(store)


def test_the_goods_back_at_the_seller_never_start_an_exchange(service, store):
    """Reproducer 1, the other way: `return_received` does not start an exchange's 15 working days, and
    the later `goods_at_service_centre` does."""
    decision = _decide(
        service,
        complaint_id="G-2",
        received_at="2026-03-15T10:00:00+08:00",
        category="quality_defect",
        order={"amount": "300.00", "delivered_at": "2026-03-05T10:00:00+08:00"},
    )
    assert decision["remedy"]["components"][0]["type"] == "exchange"
    clock = ClockService(store)
    early = clock.report("G-2", {"type": "return_received", "at": "2026-03-16T09:00:00+08:00"})
    exchange = _deadline(early.record.decision_dict(), "exchange")
    assert (exchange["status"], exchange["due_at"]) == ("pending", None)
    later = clock.report("G-2", {"type": "goods_at_service_centre", "at": "2026-03-18T09:00:00+08:00"})
    exchange = _deadline(later.record.decision_dict(), "exchange")
    assert exchange["started_at"] == "2026-03-18T09:00:00+08:00"
    assert exchange["due_at"] == "2026-04-09T23:59:59+08:00"  # 15 working days, Qingming 04-04..06 skipped
    _replays(store)


def _expedited_return(service, store, complaint_id: str) -> ClockService:
    """Reproducer 2's complaint: an expedited return and refund, the goods back at the seller on Sat 04-19
    in Beijing time (04-18 at +05:30): the expedited refund due in 3 working days (04-23), the legal one
    in 7 calendar days (Sat 04-26, moved to Sun 04-27, a make-up working day)."""
    _decide(
        service,
        complaint_id=complaint_id,
        received_at="2025-04-17T01:12:00+08:00",
        category="quality_defect",
        flags=["expedited"],
        order={"amount": "200.01", "delivered_at": "2025-04-15T16:42:00+08:00"},
    )
    clock = ClockService(store)
    clock.report(complaint_id, {"type": "return_received", "at": "2025-04-18T23:27:00+05:30"})
    return clock


def test_an_internal_deadline_missed_is_not_a_legal_breach(service, store):
    """Reproducer 2: the expedited refund (3 working days, internal) missed, the legal one (7 calendar
    days, CPL Art. 25; 04-27 is a make-up working day) met: no legal breach, in the decision and in the
    breach notification of the escalation run."""
    clock = _expedited_return(service, store, "L-1")
    run = clock.escalate(dt.datetime(2025, 4, 24, 12, 0, tzinfo=CST))
    breaches = [n.payload for n in run.notifications if n.kind == "deadline.breached"]
    refund_breach = next(p for p in breaches if p["kind"] == "refund")
    assert refund_breach["due_at"] == "2025-04-23T23:59:59+08:00"
    assert refund_breach["legal_deadline_breached"] is False
    paid = clock.report("L-1", {"type": "refund_paid", "at": "2025-04-27T09:51:00+08:00"})
    decision = paid.record.decision_dict()
    assert "legal_deadline_breached" not in decision["flags"]
    refund = _deadline(decision, "refund")
    assert (refund["status"], refund["rule"], refund["legal"]) == (
        "breached",
        "D08_refund_after_return_expedited",
        False,
    )
    assert refund["due_at"] == "2025-04-23T23:59:59+08:00"
    assert refund["legal_breached"] is False
    (legal,) = refund["cited"]
    assert (legal["rule"], legal["legal"], legal["status"]) == ("D07_refund_after_return", True, "met")
    assert legal["due_at"] == "2025-04-27T23:59:59+08:00"
    assert refund["status_reason"]["code"] == "breach_recorded_met"
    assert "not the law" in refund["status_reason"]["en"]
    stored = [n for n in _outbox(store) if n["type"] == "deadline.breached" and n["data"]["kind"] == "refund"]
    assert [n["data"]["legal_deadline_breached"] for n in stored] == [False]
    _replays(store)


def test_the_legal_deadline_missed_is_a_legal_breach(service, store):
    """The same complaint with the refund paid after the legal 7 days: now the law was broken."""
    clock = _expedited_return(service, store, "L-2")
    paid = clock.report("L-2", {"type": "refund_paid", "at": "2025-04-28T09:00:00+08:00"})
    decision = paid.record.decision_dict()
    assert "legal_deadline_breached" in decision["flags"]
    refund = _deadline(decision, "refund")
    assert refund["legal_breached"] is True
    assert refund["cited"][0]["status"] == "missed"


def test_escalation_never_moves_the_deadline_it_recorded_as_breached(service, store):
    """Reproducer 3: the resolution breached at its 24 hours; at manager the 48-hour rule applies, and
    the deadline stays breached at its original due time."""
    _decide(
        service,
        complaint_id="E-3",
        received_at="2026-09-20T12:05:00Z",
        category="quality_defect",
        order={"amount": "1999.00", "delivered_at": "2026-09-20T11:58:00+08:00"},
    )
    run = ClockService(store).escalate(dt.datetime.fromisoformat("2026-09-21T19:32:00+05:30"))
    (recorded,) = [r for r in run.recorded if r["kind"] == "resolution"]
    assert recorded["due_at"] == "2026-09-21T20:05:00+08:00"
    assert recorded["level"] == "manager"
    decision = store.get(recorded["decision_id"]).decision_dict()
    resolution = _deadline(decision, "resolution")
    assert resolution["status"] == "breached"
    assert resolution["due_at"] == "2026-09-21T20:05:00+08:00"
    assert resolution["breach_recorded"] is True
    assert resolution["rule"] == "D05_resolution_ordinary"
    assert resolution["cited"] == []  # the 48-hour rule that fires at manager never reschedules it
    assert decision["received_at"] == "2026-09-20T20:05:00+08:00"
    _replays(store)


def test_one_overdue_resolution_is_breached_once(service, store):
    """Reproducer 4: one breach, one decision added, one notification, however the level moves."""
    _decide(
        service,
        complaint_id="E-4",
        received_at="2025-05-26T01:32:00+08:00",
        category="no_reason_return",
        flags=["media_exposure"],
        order={"amount": "2000.00", "delivered_at": "2025-05-23T23:01:00+08:00", "goods_condition": "intact"},
    )
    clock = ClockService(store)
    run = clock.escalate(dt.datetime(2025, 5, 28, 4, 47, tzinfo=CST))
    resolution = [r for r in run.recorded if r["kind"] == "resolution"]
    assert [r["due_at"] for r in resolution] == ["2025-05-27T01:32:00+08:00"]
    again = clock.escalate(dt.datetime(2025, 6, 30, 0, 0, tzinfo=CST))
    assert [r for r in again.recorded if r["kind"] == "resolution"] == []
    breaches = [e for e in events_of(store, "E-4") if e["type"] == "deadline_breached" and e["kind"] == "resolution"]
    assert len(breaches) == 1
    notified = [n for n in _outbox(store) if n["type"] == "deadline.breached" and n["data"]["kind"] == "resolution"]
    assert len(notified) == 1
    _replays(store)


def test_the_follow_up_is_not_rolled_forward(service, store):
    """§9: an internal period in calendar days ends on its last day, a holiday or not (customer service
    works every day); the legal refund's 7 days still roll forward."""
    _decide(
        service,
        complaint_id="F-1",
        received_at="2026-09-28T10:00:00+08:00",
        category="service_attitude",
        order={"amount": "100.00", "delivered_at": "2026-09-20T10:00:00+08:00"},
    )
    outcome = ClockService(store).report("F-1", {"type": "resolved", "at": "2026-09-28T15:00:00+08:00"})
    follow_up = _deadline(outcome.record.decision_dict(), "follow_up")
    assert follow_up["due_at"] == "2026-10-01T23:59:59+08:00"  # National Day, not moved to 10-08
    assert follow_up["period"]["roll_forward"] is False


def test_times_are_written_in_the_policy_zone(service, store):
    _returnable(service, "T-1", "2026-11-02T02:00:00Z")
    clock = ClockService(store)
    outcome = clock.report("T-1", {"type": "responded", "at": "2026-11-02T02:05:00Z", "note": "called"})
    decision = outcome.record.decision_dict()
    assert decision["received_at"] == "2026-11-02T10:00:00+08:00"
    assert decision["clock"]["as_of"] == "2026-11-02T10:05:00+08:00"
    assert [e["at"] for e in decision["clock"]["events"]] == ["2026-11-02T10:05:00+08:00"]
    first = _deadline(decision, "first_response")
    assert first["fulfilled"]["at"] == "2026-11-02T10:05:00+08:00"
    assert first["started_at"] == "2026-11-02T10:00:00+08:00"
    assert _deadline(decision, "resolution")["due_soon_at"].endswith("+08:00")
    assert events_of(store, "T-1")[0]["at"] == "2026-11-02T10:05:00+08:00"


def test_an_event_dated_in_the_future_is_refused(service, store):
    _returnable(service, "FUT-1", "2026-11-02T10:00:00+08:00")
    clock = ClockService(store, max_skew=dt.timedelta(minutes=5))
    now = dt.datetime(2026, 11, 2, 11, 0, tzinfo=CST)
    with pytest.raises(ComplaintError) as refused:
        clock.report("FUT-1", {"type": "responded", "at": "2026-11-02T11:06:00+08:00"}, now=now)
    assert "in the future" in refused.value.errors["at"][0]
    assert events_of(store, "FUT-1") == []
    # within the skew it is taken
    clock.report("FUT-1", {"type": "responded", "at": "2026-11-02T11:04:00+08:00"}, now=now)


def test_an_event_post_warns_of_what_is_due_soon_with_its_decision(service, store):
    _returnable(service, "W-1", "2026-11-02T10:00:00+08:00")
    clock = ClockService(store)
    # 80 % of the 24-hour resolution has run by 2026-11-03T05:12
    now = dt.datetime(2026, 11, 3, 6, 0, tzinfo=CST)
    outcome = clock.report("W-1", {"type": "responded", "at": "2026-11-02T10:05:00+08:00"}, now=now)
    warned = [n.payload for n in outcome.notifications if n.kind == "deadline.due_soon"]
    assert [(w["kind"], w["due_at"]) for w in warned] == [("resolution", "2026-11-03T10:00:00+08:00")]
    stored = [n for n in _outbox(store) if n["type"] == "deadline.due_soon"]
    assert [n["data"]["kind"] for n in stored] == ["resolution"]
    # the escalation run does not warn of it a second time
    run = clock.escalate(dt.datetime(2026, 11, 3, 6, 30, tzinfo=CST))
    assert run.warned == []
