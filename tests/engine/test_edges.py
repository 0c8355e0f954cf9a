"""Decisions at the edges found in review (issue 11): each case failed before its fix."""

from __future__ import annotations

import pytest

from engine.complaint import ComplaintError, validate_complaint
from tests.conftest import REMOVE, make_complaint

# B2, B9: order times after the complaint -----------------------------------------------------------


@pytest.mark.parametrize("name", ["delivered_at", "completed_at", "paid_at"])
def test_an_order_time_after_received_at_is_a_field_error_naming_both(decide, name):
    order = {"paid_at": "2026-02-20T10:00:00+08:00", "delivered_at": "2026-02-25T10:00:00+08:00"}
    order[name] = "2026-03-05T10:00:00+08:00"
    if name == "paid_at":
        order["delivered_at"] = REMOVE
    with pytest.raises(ComplaintError) as caught:
        decide(received_at="2026-03-01T10:00:00+08:00", category="no_reason_return", order=order)
    assert list(caught.value.errors) == [f"order.{name}"]
    (message,) = caught.value.errors[f"order.{name}"]
    assert message.startswith(
        f"order.{name} (2026-03-05T10:00:00+08:00) is after received_at (2026-03-01T10:00:00+08:00)"
    )


def test_a_complaint_received_before_the_delivery_is_not_a_return_inside_the_window(decide):
    """Issue 11, case 2: received 03-01, delivered 03-05, answered return_refund."""
    with pytest.raises(ComplaintError) as caught:
        decide(
            received_at="2026-03-01T10:00:00+08:00",
            category="no_reason_return",
            order={"paid_at": "2026-02-20T10:00:00+08:00", "delivered_at": "2026-03-05T10:00:00+08:00"},
        )
    assert "order.delivered_at" in caught.value.errors


def test_a_promised_delivery_still_ahead_is_accepted(decide):
    decision = decide(category="logistics_delay", order={"promised_delivery_at": "2026-03-20T10:00:00+08:00"})
    assert decision["category"] == "logistics_delay"


def test_a_return_received_before_the_complaint_is_legitimate_and_its_past_deadline_is_overdue(decide, look):
    decision = decide(
        received_at="2026-03-20T10:00:00+08:00",
        category="false_advertising",
        order={"delivered_at": "2026-03-05T10:00:00+08:00"},
        history={"return_received_at": "2026-03-10T10:00:00+08:00"},
    )
    refund = look.deadline(decision, "refund")
    assert refund["status"] == "overdue"
    assert refund["due_at"] == "2026-03-17T23:59:59+08:00"
    assert "legal_deadline_breached" in decision["flags"]
    cited = next(r for r in decision["explanation"]["rules"] if r["id"] == "D07_refund_after_return")
    assert cited["effect"].endswith("already past when the complaint arrived: overdue")


def test_a_past_internal_deadline_is_overdue_without_a_legal_breach(decider, look):
    complaint = make_complaint(
        received_at="2026-03-20T10:00:00+08:00",
        category="quality_defect",
        order={"delivered_at": "2026-03-10T10:00:00+08:00"},
        flags=["expedited"],
    )
    at_centre = [{"type": "goods_at_service_centre", "at": "2026-02-16T10:00:00+08:00"}]
    decision = decider.decide_on_events(validate_complaint(complaint, decider.policy.levels), at_centre)
    exchange = look.deadline(decision, "exchange")
    assert exchange["status"] == "overdue"  # 7 working days after 02-16 (Spring Festival): 03-04
    assert "legal_deadline_breached" not in decision["flags"]


# B3: a window is counted only when a rule that can fire for the complaint tests it -----------------


OLD_DELIVERY = {"paid_at": "2022-12-10T10:00:00+08:00", "delivered_at": "2022-12-20T10:00:00+08:00"}


def test_the_compiler_knows_which_windows_each_category_reads(decider):
    read = {category: [w.id for w in windows] for category, windows in decider.compiled.windows_read.items()}
    assert read["other"] == ["completed_3_years"]
    assert read["no_reason_return"] == ["delivery_7_days", "completed_3_years"]
    assert read["quality_defect"] == ["delivery_7_days", "delivery_15_days", "completed_3_years"]
    assert read["logistics_delay"] == ["promised_delivery_due", "promised_delivery_7_days", "completed_3_years"]


def test_a_window_no_rule_reads_costs_no_calendar_fallback(decide):
    """Issue 11, case 3: category other, delivered in a year the calendar does not list."""
    decision = decide(received_at="2025-01-02T10:00:00+08:00", category="other", order=OLD_DELIVERY)
    assert "calendar_fallback" not in decision["flags"]
    assert decision["warnings"] == []
    assert [w["id"] for w in decision["explanation"]["windows"]] == []  # no completed_at: nothing counted


def test_a_window_no_rule_reads_is_no_reason_to_refuse(policy, complaint):
    from engine.compiled import decider_for_text
    from rules.calendar import CalendarError

    strict = decider_for_text(
        policy.text.replace("outside_known_years: statutory", "outside_known_years: error"), "strict.yaml"
    )
    assert strict.decide(complaint(received_at="2025-01-02T10:00:00+08:00", category="other", order=OLD_DELIVERY))
    with pytest.raises(CalendarError, match="2022"):  # here the 7-day window is read, and reaches 2022
        strict.decide(
            complaint(received_at="2025-01-02T10:00:00+08:00", category="no_reason_return", order=OLD_DELIVERY)
        )


# B7: no guess without a delivery date --------------------------------------------------------------


def test_a_quality_defect_without_a_delivery_date_gets_no_guessed_repair(decide, look):
    decision = decide(category="quality_defect", order={"delivered_at": REMOVE})
    assert decision["remedy"]["rule"] == "M07b_quality_delivery_date_needed"
    assert look.components(decision) == []
    assert decision["remedy"]["reason"].endswith("(delivery date needed)")


def test_two_failed_repairs_need_no_delivery_date(decide):
    decision = decide(category="quality_defect", order={"delivered_at": REMOVE}, history={"repairs": 2})
    assert decision["remedy"]["rule"] == "M07_quality_exchange_after_repairs"


# B8: no compensation for a delay that has not happened ----------------------------------------------


@pytest.mark.parametrize(
    ("promised", "rule"),
    [
        ("2026-03-10T10:00:01+08:00", "M13b_delay_not_yet_late"),  # one second ahead
        ("2026-03-10T10:00:00+08:00", "M13b_delay_not_yet_late"),  # the promised time itself: not late yet
        ("2026-03-10T09:59:59+08:00", "M15_delay_compensation"),  # one second late
    ],
)
def test_a_delay_is_counted_from_the_promised_time_on_the_clock(decide, promised, rule):
    decision = decide(category="logistics_delay", order={"promised_delivery_at": promised})
    assert decision["remedy"]["rule"] == rule
    due = next(w for w in decision["explanation"]["windows"] if w["id"] == "promised_delivery_due")
    assert due["counting"] == "until the time of order.promised_delivery_at itself, on the clock"
    assert due["roll_forward"] is None


# B10: each window states its counting; the lateness SLA is not extended by holidays ----------------


def test_more_than_7_days_late_is_not_extended_by_a_holiday(decide):
    """Promised 09-25; the 7th day, 10-02, is in the National Day holiday. Rolled forward it would run to 10-08."""
    decision = decide(
        category="logistics_delay",
        received_at="2026-10-05T10:00:00+08:00",
        order={"promised_delivery_at": "2026-09-25T18:00:00+08:00", "delivered_at": REMOVE},
    )
    assert decision["remedy"]["rule"] == "M14_delay_refund_not_delivered"
    late = next(w for w in decision["explanation"]["windows"] if w["id"] == "promised_delivery_7_days")
    assert late["within"] is False
    assert late["roll_forward"] is False
    assert "no roll-forward" in late["counting"]


def test_the_return_window_still_rolls_forward_as_the_law_counts(decide):
    """Delivered 09-24: day 7 is 10-01, a holiday, so the window runs to the end of 10-08 (CC Art. 203)."""
    decision = decide(
        category="no_reason_return",
        received_at="2026-10-08T20:00:00+08:00",
        order={"paid_at": "2026-09-20T10:00:00+08:00", "delivered_at": "2026-09-24T10:00:00+08:00"},
    )
    assert decision["remedy"]["rule"] == "M01_no_reason_return"
    (window,) = [w for w in decision["explanation"]["windows"] if w["id"] == "delivery_7_days"]
    assert window == {
        "id": "delivery_7_days",
        "label": "签收后七日",
        "from": "order.delivered_at",
        "from_at": "2026-09-24T10:00:00+08:00",
        "period": {"calendar_days": 7},
        "roll_forward": True,
        "counting": "7 calendar days, counted from the day after order.delivered_at, up to 23:59:59 of the last "
        "day; a last day that is not a working day moves to the end of the next working day (CC Art. 201, 203)",
        "within": True,
        "basis": "CPL Art. 25; 7DR Art. 6-7",
    }


def test_roll_forward_on_a_clock_or_working_day_window_is_a_policy_error(policy):
    from rules.errors import PolicyError
    from rules.loader import load_policy_text

    text = policy.text.replace("    period: {hours: 0}       #", "    period: {hours: 0}\n    roll_forward: false   #")
    assert text != policy.text
    with pytest.raises(PolicyError, match="roll_forward applies to periods of calendar_days or years"):
        load_policy_text(text)
