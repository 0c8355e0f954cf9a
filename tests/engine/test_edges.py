"""Decisions at the edges found in review (issue 11): each case failed before its fix."""

from __future__ import annotations

import pytest

from engine.complaint import ComplaintError
from tests.conftest import REMOVE

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


def test_a_past_internal_deadline_is_overdue_without_a_legal_breach(decide, look):
    decision = decide(
        received_at="2026-03-20T10:00:00+08:00",
        category="quality_defect",
        order={"delivered_at": "2026-03-10T10:00:00+08:00"},
        history={"return_received_at": "2026-02-16T10:00:00+08:00"},
        flags=["expedited"],
    )
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
    assert read["logistics_delay"] == ["promised_delivery_7_days", "completed_3_years"]


def test_a_window_no_rule_reads_costs_no_calendar_fallback(decide):
    """Issue 11, case 3: category other, delivered in a year the calendar does not list."""
    decision = decide(received_at="2025-01-02T10:00:00+08:00", category="other", order=OLD_DELIVERY)
    assert "calendar_fallback" not in decision["flags"]
    assert decision["warnings"] == []


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
