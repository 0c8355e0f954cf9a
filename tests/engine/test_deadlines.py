"""Brief section 5: every deadline kind, with exact due times in Asia/Shanghai (+08:00),
including 2026's Spring Festival (holidays 02-15..02-23, make-up Sat 02-14 and Sat 02-28)
and National Day week (holidays 10-01..10-07, make-up Sun 09-20 and Sat 10-10).
"""

from __future__ import annotations

import datetime as dt

import pytest

from engine.complaint import validate_complaint
from tests.conftest import REMOVE, make_complaint

# first_response ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "tier", "due", "rule"),
    [
        ("2026-03-10T10:00:00+08:00", "regular", "2026-03-10T10:15:00+08:00", "D03_first_response_working"),
        ("2026-03-14T10:00:00+08:00", "regular", "2026-03-14T10:30:00+08:00", "D04_first_response_non_working"),
        ("2026-03-10T10:00:00+08:00", "vip", "2026-03-10T10:10:00+08:00", "D01_first_response_vip_working"),
        ("2026-03-14T10:00:00+08:00", "vip", "2026-03-14T10:20:00+08:00", "D02_first_response_vip_non_working"),
        # public holidays on a weekday
        ("2026-10-02T09:00:00+08:00", "regular", "2026-10-02T09:30:00+08:00", "D04_first_response_non_working"),
        ("2026-02-16T09:00:00+08:00", "vip", "2026-02-16T09:20:00+08:00", "D02_first_response_vip_non_working"),
        # make-up working days on a weekend
        ("2026-09-20T09:00:00+08:00", "regular", "2026-09-20T09:15:00+08:00", "D03_first_response_working"),
        ("2026-10-10T09:00:00+08:00", "vip", "2026-10-10T09:10:00+08:00", "D01_first_response_vip_working"),
        ("2026-02-14T09:00:00+08:00", "regular", "2026-02-14T09:15:00+08:00", "D03_first_response_working"),
        ("2026-02-28T09:00:00+08:00", "vip", "2026-02-28T09:10:00+08:00", "D01_first_response_vip_working"),
        # across midnight
        ("2026-03-10T23:50:00+08:00", "regular", "2026-03-11T00:05:00+08:00", "D03_first_response_working"),
        # the day is Shanghai's: Fri 20:00 UTC is Sat 04:00 in Shanghai
        ("2026-03-13T20:00:00+00:00", "regular", "2026-03-14T04:30:00+08:00", "D04_first_response_non_working"),
        # and a Sunday evening in UTC-5 is Monday morning in Shanghai
        ("2026-03-15T21:00:00-05:00", "regular", "2026-03-16T10:15:00+08:00", "D03_first_response_working"),
    ],
)
def test_first_response(decide, look, received, tier, due, rule):
    decision = decide(received_at=received, customer={"tier": tier}, order={"delivered_at": REMOVE})
    first = look.deadline(decision, "first_response")
    assert first["due_at"] == due
    assert first["rule"] == rule
    assert first["status"] == "scheduled"
    assert first["basis"].startswith("internal SLA")


# resolution -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "due", "rule"),
    [
        ({}, "2026-03-11T10:00:00+08:00", "D05_resolution_ordinary"),
        ({"category": "service_attitude"}, "2026-03-11T10:00:00+08:00", "D05_resolution_ordinary"),  # supervisor, CS
        ({"category": "missing_item"}, "2026-03-12T10:00:00+08:00", "D06_resolution_complex"),  # logistics
        ({"category": "false_advertising"}, "2026-03-12T10:00:00+08:00", "D06_resolution_complex"),
        ({"category": "privacy"}, "2026-03-12T10:00:00+08:00", "D06_resolution_complex"),
        (
            {"category": "quality_defect", "order": {"amount": "2500.00"}},
            "2026-03-12T10:00:00+08:00",
            "D06_resolution_complex",
        ),
        # customer_service at manager level (a resend above 3,000.00)
        (
            {"category": "wrong_item", "order": {"amount": "3000.01"}},
            "2026-03-12T10:00:00+08:00",
            "D06_resolution_complex",
        ),
        (
            {"history": {"level": "supervisor", "rejected_offers": 2}},
            "2026-03-12T10:00:00+08:00",
            "D06_resolution_complex",
        ),
    ],
)
def test_resolution_24_hours_or_48_when_complex(decide, look, overrides, due, rule):
    resolution = look.deadline(decide(**overrides), "resolution")
    assert (resolution["due_at"], resolution["rule"]) == (due, rule)


def test_resolution_runs_on_the_clock_through_holidays(decide, look):
    decision = decide(received_at="2026-09-30T18:30:00+08:00", category="damaged_in_transit")
    assert look.due(decision, "resolution") == "2026-10-02T18:30:00+08:00"


def test_redirect_has_no_resolution(decide, look):
    assert look.deadline(decide(category="not_consumer_dispute"), "resolution") is None


# refund --------------------------------------------------------------------------------------------

RETURN = {"category": "no_reason_return", "received_at": "2026-03-10T10:00:00+08:00"}


def _returned(decide, received_back: str, expedited: bool = False, **overrides):
    args = {**RETURN, "history": {"return_received_at": received_back}, **overrides}
    if expedited:
        args["flags"] = ["expedited"]
    return decide(**args)


def test_refund_pending_until_the_return_arrives(decide, look):
    refund = look.deadline(decide(**RETURN), "refund")
    assert refund["status"] == "pending"
    assert refund["due_at"] is None
    assert refund["waiting_for"] == {"event": "return_received", "label": "退回商品已送达商家（开始退款时限）"}
    assert refund["period"] == {"after": "return_received", "calendar_days": 7}
    assert refund["rule"] == "D07_refund_after_return"
    assert refund["basis"] == "CPL Art. 25; 7DR Art. 20"


def test_refund_pending_expedited_cites_both_rules(decide, look):
    refund = look.deadline(decide(**RETURN, flags=["expedited"]), "refund")
    assert refund["status"] == "pending"
    assert [c["rule"] for c in refund["cited"]] == ["D08_refund_after_return_expedited"]


@pytest.mark.parametrize(
    ("received_back", "due"),
    [
        ("2026-03-12T11:00:00+08:00", "2026-03-19T23:59:59+08:00"),  # Thu -> Thu
        ("2026-03-06T11:00:00+08:00", "2026-03-13T23:59:59+08:00"),
        ("2026-03-07T11:00:00+08:00", "2026-03-16T23:59:59+08:00"),  # ends Sat 03-14 -> Mon 03-16
        ("2026-09-30T11:00:00+08:00", "2026-10-08T23:59:59+08:00"),  # ends 10-07 (holiday) -> Thu 10-08
        ("2026-09-24T11:00:00+08:00", "2026-10-08T23:59:59+08:00"),  # ends 10-01 (holiday) -> 10-08
        ("2026-10-03T11:00:00+08:00", "2026-10-10T23:59:59+08:00"),  # ends Sat 10-10, a make-up working day
        ("2026-09-13T11:00:00+08:00", "2026-09-20T23:59:59+08:00"),  # ends Sun 09-20, a make-up working day
        ("2026-02-12T11:00:00+08:00", "2026-02-24T23:59:59+08:00"),  # ends 02-19 (Spring Festival) -> Tue 02-24
        ("2026-02-07T11:00:00+08:00", "2026-02-14T23:59:59+08:00"),  # ends Sat 02-14, a make-up working day
        ("2026-02-21T11:00:00+08:00", "2026-02-28T23:59:59+08:00"),  # ends Sat 02-28, a make-up working day
    ],
)
def test_refund_7_calendar_days_after_the_return_arrives(decide, look, received_back, due):
    decision = _returned(decide, received_back)
    refund = look.deadline(decision, "refund")
    # the complaint arrives on 2026-03-10: a refund due before that is already overdue, a legal breach
    overdue = dt.datetime.fromisoformat(due) < dt.datetime.fromisoformat(decision["received_at"])
    assert refund["status"] == ("overdue" if overdue else "scheduled")
    assert ("legal_deadline_breached" in decision["flags"]) is overdue
    assert refund["due_at"] == due
    assert refund["rule"] == "D07_refund_after_return"
    assert refund["cited"] == []


@pytest.mark.parametrize(
    ("received_back", "due", "binding", "cited"),
    [
        # 3 working days Wed 03-11 -> Mon 03-16 beats 7 calendar days -> Wed 03-18
        (
            "2026-03-11T11:00:00+08:00",
            "2026-03-16T23:59:59+08:00",
            "D08_refund_after_return_expedited",
            "D07_refund_after_return",
        ),
        # 09-30: legal 10-07 -> 10-08; expedited 10-08, 10-09, Sat 10-10: the legal one is earlier
        (
            "2026-09-30T11:00:00+08:00",
            "2026-10-08T23:59:59+08:00",
            "D07_refund_after_return",
            "D08_refund_after_return_expedited",
        ),
        # 09-25 (a holiday): legal 10-02 -> 10-08; expedited 09-28, 09-29, 09-30
        (
            "2026-09-25T11:00:00+08:00",
            "2026-09-30T23:59:59+08:00",
            "D08_refund_after_return_expedited",
            "D07_refund_after_return",
        ),
        # 02-09: legal 02-16 -> 02-24; expedited 02-10, 02-11, 02-12
        (
            "2026-02-09T11:00:00+08:00",
            "2026-02-12T23:59:59+08:00",
            "D08_refund_after_return_expedited",
            "D07_refund_after_return",
        ),
        # 02-12: legal 02-19 -> 02-24; expedited 02-13, Sat 02-14, 02-24: a tie, policy order stands
        (
            "2026-02-12T11:00:00+08:00",
            "2026-02-24T23:59:59+08:00",
            "D07_refund_after_return",
            "D08_refund_after_return_expedited",
        ),
    ],
)
def test_refund_expedited_the_earlier_binds_and_both_are_cited(decide, look, received_back, due, binding, cited):
    refund = look.deadline(_returned(decide, received_back, expedited=True), "refund")
    assert refund["due_at"] == due
    assert refund["rule"] == binding
    assert [c["rule"] for c in refund["cited"]] == [cited]
    assert refund["cited"][0]["due_at"] is not None
    cited_ids = [r["id"] for r in decide(**RETURN)["explanation"]["rules"]]
    assert "D07_refund_after_return" in cited_ids


def test_refund_expedited_period_and_counting(decide, look):
    refund = look.deadline(_returned(decide, "2026-03-11T11:00:00+08:00", expedited=True), "refund")
    assert refund["period"] == {"after": "return_received", "working_days": 3}
    assert "working days" in refund["counting"]
    assert refund["cited"][0]["period"] == {"after": "return_received", "calendar_days": 7}


@pytest.mark.parametrize(
    "overrides",
    [
        {"category": "wrong_item", "claim": {"remedy": "refund"}},
        {"category": "counterfeit"},
        {"category": "price_dispute", "claim": {"amount": "12.00"}},
        {"category": "wrong_item", "claim": {"remedy": "refund"}, "flags": ["expedited"]},
    ],
)
def test_refund_without_a_return_is_due_with_the_resolution(decide, look, overrides):
    decision = decide(**overrides)
    refund = look.deadline(decision, "refund")
    assert refund["due_at"] == look.due(decision, "resolution")
    assert refund["rule"] == "D09_refund_without_return"
    assert refund["period"] == {"with": "resolution"}
    assert refund["status"] == "scheduled"


def test_no_refund_deadline_without_a_refund(decide, look):
    for overrides in ({}, {"category": "wrong_item"}, {"category": "service_attitude"}):
        assert look.deadline(decide(**overrides), "refund") is None


# exchange and repair ---------------------------------------------------------------------------------


def _quality(decider, day: str, at_centre: str | None, expedited: bool = False):
    """A quality defect on day 10 (exchange) or day 20 (repair) after a delivery on Thu 03-05, the goods
    at the after-sales centre at ``at_centre`` (the event that starts an exchange or a repair, brief §9)."""
    received = {"exchange": "2026-03-15T10:00:00+08:00", "repair": "2026-03-25T10:00:00+08:00"}[day]
    args: dict = {"category": "quality_defect", "received_at": received}
    if expedited:
        args["flags"] = ["expedited"]
    complaint = validate_complaint(make_complaint(**args), decider.policy.levels)
    events = [{"type": "goods_at_service_centre", "at": at_centre}] if at_centre else []
    return decider.decide_on_events(complaint, events) if events else decider.decide_valid(complaint)


@pytest.mark.parametrize(
    ("kind", "received_back", "due"),
    [
        # 15 working days from Mon 03-16: 03-17 .. 04-06 minus Qingming (04-04..04-06) -> 04-07
        ("exchange", "2026-03-16T09:00:00+08:00", "2026-04-07T23:59:59+08:00"),
        # from Wed 09-30: 10-08, 10-09, Sat 10-10, 10-12 .. 10-16, 10-19 .. 10-23, 10-26, 10-27
        ("exchange", "2026-09-30T09:00:00+08:00", "2026-10-27T23:59:59+08:00"),
        # from Wed 02-11: 02-12, 02-13, Sat 02-14, 02-24 .. 02-27, Sat 02-28, 03-02 .. 03-06, 03-09, 03-10
        ("exchange", "2026-02-11T09:00:00+08:00", "2026-03-10T23:59:59+08:00"),
        # 20 working days from Wed 09-30 -> Tue 11-03
        ("repair", "2026-09-30T09:00:00+08:00", "2026-11-03T23:59:59+08:00"),
        # 20 working days from Wed 02-11 -> Tue 03-17
        ("repair", "2026-02-11T09:00:00+08:00", "2026-03-17T23:59:59+08:00"),
        # from Fri 09-18: Sun 09-20 counts: 09-20 .. 09-24, 09-28 .. 09-30, 10-08 .. 10-10, 10-12 .. 10-16, 10-19 .. 10-22
        ("repair", "2026-09-18T09:00:00+08:00", "2026-10-22T23:59:59+08:00"),
    ],
)
def test_exchange_15_and_repair_20_working_days(decider, look, kind, received_back, due):
    decision = _quality(decider, kind, received_back)
    assert decision["remedy"]["components"][0]["type"] == kind
    found = look.deadline(decision, kind)
    assert found["due_at"] == due
    assert found["rule"] == {"exchange": "D10_exchange", "repair": "D12_repair"}[kind]
    assert found["cited"] == []


@pytest.mark.parametrize(
    ("kind", "received_back", "due", "binding", "cited"),
    [
        (
            "exchange",
            "2026-09-30T09:00:00+08:00",
            "2026-10-15T23:59:59+08:00",
            "D11_exchange_expedited",
            "D10_exchange",
        ),
        (
            "exchange",
            "2026-02-11T09:00:00+08:00",
            "2026-02-27T23:59:59+08:00",
            "D11_exchange_expedited",
            "D10_exchange",
        ),
        ("repair", "2026-09-30T09:00:00+08:00", "2026-10-20T23:59:59+08:00", "D13_repair_expedited", "D12_repair"),
        ("repair", "2026-02-11T09:00:00+08:00", "2026-03-03T23:59:59+08:00", "D13_repair_expedited", "D12_repair"),
    ],
)
def test_exchange_7_and_repair_10_working_days_expedited(decider, look, kind, received_back, due, binding, cited):
    found = look.deadline(_quality(decider, kind, received_back, expedited=True), kind)
    assert found["due_at"] == due
    assert found["rule"] == binding
    assert [c["rule"] for c in found["cited"]] == [cited]


@pytest.mark.parametrize("kind", ["exchange", "repair"])
def test_exchange_and_repair_pending_until_the_goods_arrive(decider, look, kind):
    found = look.deadline(_quality(decider, kind, None), kind)
    assert found["status"] == "pending"
    # only the goods reaching the after-sales centre start it (brief §9)
    assert found["waiting_for"]["event"] == "goods_at_service_centre"


@pytest.mark.parametrize("kind", ["exchange", "repair"])
def test_the_goods_back_at_the_seller_never_start_an_exchange_or_a_repair(decide, look, kind):
    """Brief §9: `return_received` (history.return_received_at) starts the refund, never an exchange."""
    received = {"exchange": "2026-03-15T10:00:00+08:00", "repair": "2026-03-25T10:00:00+08:00"}[kind]
    decision = decide(
        category="quality_defect", received_at=received, history={"return_received_at": "2026-03-16T09:00:00+08:00"}
    )
    found = look.deadline(decision, kind)
    assert (found["status"], found["due_at"]) == ("pending", None)
    assert found["waiting_for"]["event"] == "goods_at_service_centre"


# follow_up ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"category": "service_attitude"},  # supervisor
        {"channel": "regulator"},  # manager, legal
        {"category": "counterfeit"},  # legal
        {"category": "false_advertising", "flags": ["fraud_alleged"]},  # legal at frontline
        {"flags": ["media_exposure"]},  # public relations
        {"category": "wrong_item", "order": {"amount": "300.01"}},  # supervisor by approval
    ],
)
def test_follow_up_required(decide, look, overrides):
    follow_up = look.deadline(decide(**overrides), "follow_up")
    assert follow_up is not None
    assert follow_up["status"] == "pending"
    assert follow_up["waiting_for"] == {"event": "resolved", "label": "投诉处理完结"}
    assert follow_up["period"] == {"after": "resolved", "calendar_days": 3, "roll_forward": False}
    assert follow_up["rule"] == "D14_follow_up"


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"category": "missing_item"},
        {"category": "false_advertising"},
        {"category": "quality_defect", "order": {"amount": "2500.00"}, "received_at": "2026-03-25T10:00:00+08:00"},
        {"category": "not_consumer_dispute"},
    ],
)
def test_follow_up_absent_otherwise(decide, look, overrides):
    decision = decide(**overrides)
    assert decision["route"]["level"] in (None, "frontline")
    assert look.deadline(decision, "follow_up") is None


# regulator_reply -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-03-10T10:00:00+08:00", "2026-03-13T23:59:59+08:00"),
        ("2026-03-12T10:00:00+08:00", "2026-03-17T23:59:59+08:00"),  # over a weekend
        ("2026-09-29T10:00:00+08:00", "2026-10-09T23:59:59+08:00"),  # 09-30, 10-08, 10-09
        ("2026-10-01T10:00:00+08:00", "2026-10-10T23:59:59+08:00"),  # 10-08, 10-09, Sat 10-10
        ("2026-09-18T10:00:00+08:00", "2026-09-22T23:59:59+08:00"),  # Sun 09-20, 09-21, 09-22
        ("2026-02-12T10:00:00+08:00", "2026-02-24T23:59:59+08:00"),  # 02-13, Sat 02-14, 02-24
        ("2026-02-26T10:00:00+08:00", "2026-03-02T23:59:59+08:00"),  # 02-27, Sat 02-28, 03-02
    ],
)
def test_regulator_reply_3_working_days(decide, look, received, due):
    decision = decide(channel="regulator", received_at=received, order={"delivered_at": REMOVE})
    reply = look.deadline(decision, "regulator_reply")
    assert reply["due_at"] == due
    assert reply["rule"] == "D15_regulator_reply"
    assert "CPL Art. 46" in reply["basis"]


def test_no_regulator_reply_for_other_channels(decide, look):
    assert look.deadline(decide(channel="phone"), "regulator_reply") is None


def test_deadline_kinds_in_policy_order(decide):
    decision = decide(
        channel="regulator", category="no_reason_return", history={"return_received_at": "2026-03-12T10:00:00+08:00"}
    )
    assert [d["kind"] for d in decision["deadlines"]] == [
        "first_response",
        "resolution",
        "refund",
        "follow_up",
        "regulator_reply",
    ]
