"""Brief section 4 as executable examples: the remedy proposed for each category,
with the claim cap and the order cap.

Baseline (conftest): order of 100.00 delivered Thu 2026-03-05, complaint Tue 2026-03-10.
"""

from __future__ import annotations

import pytest

from engine.complaint import ComplaintError
from rules.vocabulary import CATEGORIES

DELIVERED = "2026-03-05T10:00:00+08:00"  # Thursday


def on_day(n: int) -> str:
    """The complaint time on day ``n`` after the delivery of the baseline order."""
    return f"2026-03-{5 + n:02d}T15:00:00+08:00"


# 七日无理由退货 ---------------------------------------------------------------------


@pytest.mark.parametrize("condition", ["intact", "opened_for_inspection"])
def test_no_reason_return_within_7_days(decide, look, condition):
    decision = decide(category="no_reason_return", received_at=on_day(7), order={"goods_condition": condition})
    assert decision["remedy"]["rule"] == "M01_no_reason_return"
    assert look.components(decision) == [("return_refund", "100.00")]
    (part,) = decision["remedy"]["components"]
    assert part["goods_return"] is True
    assert part["return_shipping_paid_by"] == "consumer"
    assert decision["remedy"]["reason"] is None


def test_no_reason_return_day_8_is_too_late(decide, look):
    decision = decide(category="no_reason_return", received_at=on_day(8))
    assert decision["remedy"]["rule"] == "M02b_no_reason_return_too_late"
    assert look.components(decision) == []
    assert decision["remedy"]["reason"].startswith("已超过签收后七日")


def test_no_reason_return_the_day_of_delivery_counts(decide):
    decision = decide(category="no_reason_return", received_at="2026-03-05T22:00:00+08:00")
    assert decision["remedy"]["rule"] == "M01_no_reason_return"


@pytest.mark.parametrize("condition", ["used", "damaged", None])
def test_no_reason_return_goods_not_intact(decide, look, complaint, condition):
    order = {"goods_condition": condition if condition else complaint.REMOVE}
    decision = decide(category="no_reason_return", order=order)
    assert decision["remedy"]["rule"] == "M03_no_reason_return_goods_not_intact"
    assert look.components(decision) == []
    assert "goods are not intact" in decision["remedy"]["reason"]


@pytest.mark.parametrize("goods_type", ["custom_made", "fresh_perishable", "digital_unsealed", "periodical"])
def test_no_reason_return_excluded_goods(decide, look, goods_type):
    decision = decide(category="no_reason_return", order={"goods_type": goods_type})
    assert decision["remedy"]["rule"] == "M04_no_reason_return_excluded_goods"
    assert look.components(decision) == []
    assert "excluded from no-reason returns" in decision["remedy"]["reason"]


@pytest.mark.parametrize("goods_type", ["custom_made", "fresh_perishable", "digital_unsealed", "periodical"])
def test_no_reason_return_excluded_goods_when_merchant_promised(decide, look, goods_type):
    decision = decide(category="no_reason_return", order={"goods_type": goods_type}, flags=["merchant_promised_return"])
    assert decision["remedy"]["rule"] == "M01_no_reason_return"
    assert look.components(decision) == [("return_refund", "100.00")]


@pytest.mark.parametrize("goods_type", ["general", "food"])
def test_no_reason_return_ordinary_goods_eligible(decide, goods_type):
    decision = decide(category="no_reason_return", order={"goods_type": goods_type})
    assert decision["remedy"]["rule"] == "M01_no_reason_return"


def test_no_reason_return_not_delivered_yet(decide, look, complaint):
    decision = decide(category="no_reason_return", order={"delivered_at": complaint.REMOVE})
    assert decision["remedy"]["rule"] == "M02_no_reason_return_not_delivered"
    assert look.components(decision) == []
    assert "not been delivered" in decision["remedy"]["reason"]


def test_no_reason_return_late_and_used_gives_the_first_reason(decide):
    decision = decide(category="no_reason_return", received_at=on_day(9), order={"goods_condition": "used"})
    assert decision["remedy"]["rule"] == "M02b_no_reason_return_too_late"


@pytest.mark.parametrize(
    ("delivered", "last_day", "first_late_day"),
    [
        # day 7 = Thu 2026-10-01 (National Day): runs to Thu 10-08
        ("2026-09-24T09:00:00+08:00", "2026-10-08", "2026-10-09"),
        # day 7 = Tue 2026-02-17 (Spring Festival): runs to Tue 02-24
        ("2026-02-10T09:00:00+08:00", "2026-02-24", "2026-02-25"),
        # day 7 = Sat 2026-02-14, a make-up working day: no extension
        ("2026-02-07T09:00:00+08:00", "2026-02-14", "2026-02-15"),
        # day 7 = Sun 2026-09-20, a make-up working day: no extension
        ("2026-09-13T09:00:00+08:00", "2026-09-20", "2026-09-21"),
        # day 7 = Sat 2026-03-14, an ordinary weekend: runs to Mon 03-16
        ("2026-03-07T09:00:00+08:00", "2026-03-16", "2026-03-17"),
    ],
)
def test_no_reason_return_window_across_holidays(decide, delivered, last_day, first_late_day):
    order = {"paid_at": "2026-01-05T10:00:00+08:00", "delivered_at": delivered}
    inside = decide(category="no_reason_return", received_at=f"{last_day}T23:59:00+08:00", order=order)
    assert inside["remedy"]["rule"] == "M01_no_reason_return"
    outside = decide(category="no_reason_return", received_at=f"{first_late_day}T00:01:00+08:00", order=order)
    assert outside["remedy"]["rule"] == "M02b_no_reason_return_too_late"


def test_no_reason_return_window_counts_in_shanghai_time(decide):
    # 16:30 UTC on 03-12 is 00:30 on 03-13 in Shanghai: day 8.
    late = decide(category="no_reason_return", received_at="2026-03-12T16:30:00+00:00")
    assert late["remedy"]["rule"] == "M02b_no_reason_return_too_late"
    in_time = decide(category="no_reason_return", received_at="2026-03-12T15:30:00+00:00")
    assert in_time["remedy"]["rule"] == "M01_no_reason_return"


# 质量问题 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "repairs", "rule", "remedy"),
    [
        (0, 0, "M05_quality_return_7_days", "return_refund"),
        (7, 0, "M05_quality_return_7_days", "return_refund"),
        (8, 0, "M06_quality_exchange_15_days", "exchange"),
        (15, 0, "M06_quality_exchange_15_days", "exchange"),
        (16, 0, "M08_quality_repair", "repair"),
        (16, 1, "M08_quality_repair", "repair"),
        (16, 2, "M07_quality_exchange_after_repairs", "exchange"),
        (20, 5, "M07_quality_exchange_after_repairs", "exchange"),
    ],
)
def test_quality_defect_by_day_after_delivery(decide, day, repairs, rule, remedy):
    decision = decide(category="quality_defect", received_at=on_day(day), history={"repairs": repairs})
    assert decision["remedy"]["rule"] == rule
    (part,) = decision["remedy"]["components"]
    assert part["type"] == remedy
    assert part["amount"] == ("100.00" if remedy == "return_refund" else None)
    assert part["goods_return"] is True
    assert part["return_shipping_paid_by"] == "seller"
    # the seller pays shipping both ways: out again for an exchange or a repaired item (issue 11, case 6)
    assert part["outbound_shipping_paid_by"] == (None if remedy == "return_refund" else "seller")


def test_quality_defect_15_day_window_ending_in_national_day(decide):
    # Delivered Wed 09-16: day 15 = Thu 10-01, a holiday: the exchange window runs to Thu 10-08.
    order = {"paid_at": "2026-09-01T10:00:00+08:00", "delivered_at": "2026-09-16T10:00:00+08:00"}
    assert (
        decide(category="quality_defect", received_at="2026-10-08T12:00:00+08:00", order=order)["remedy"]["rule"]
        == "M06_quality_exchange_15_days"
    )
    assert (
        decide(category="quality_defect", received_at="2026-10-09T12:00:00+08:00", order=order)["remedy"]["rule"]
        == "M08_quality_repair"
    )


# 错发 / 漏发 ---------------------------------------------------------------------------


@pytest.mark.parametrize("category", ["wrong_item", "missing_item"])
def test_wrong_or_missing_item_resend(decide, look, category):
    decision = decide(category=category, order={"amount": "88.80"})
    assert look.components(decision) == [("resend", "88.80")]
    assert decision["remedy"]["rule"] == "M10_wrong_or_missing_resend"
    part = decision["remedy"]["components"][0]
    assert (part["return_shipping_paid_by"], part["outbound_shipping_paid_by"]) == (None, "seller")


@pytest.mark.parametrize("category", ["wrong_item", "missing_item"])
@pytest.mark.parametrize("asked", ["refund", "return_refund"])
def test_wrong_or_missing_item_refund_when_asked(decide, look, category, asked):
    decision = decide(category=category, claim={"remedy": asked})
    assert look.components(decision) == [("refund", "100.00")]
    assert decision["remedy"]["rule"] == "M09_wrong_or_missing_refund"


def test_wrong_item_asking_for_an_exchange_gets_a_resend(decide, look):
    assert look.components(decide(category="wrong_item", claim={"remedy": "exchange"})) == [("resend", "100.00")]


# 运输损坏 ------------------------------------------------------------------------------


def test_damaged_in_transit_resend(decide, look):
    decision = decide(category="damaged_in_transit")
    assert look.components(decision) == [("resend", "100.00")]
    part = decision["remedy"]["components"][0]
    assert (part["return_shipping_paid_by"], part["outbound_shipping_paid_by"]) == (None, "seller")


def test_damaged_in_transit_refund_when_asked(decide, look):
    decision = decide(category="damaged_in_transit", claim={"remedy": "refund"})
    assert look.components(decision) == [("refund", "100.00")]
    assert decision["remedy"]["rule"] == "M12_transit_damage_refund"


@pytest.mark.parametrize("claim", [{}, {"remedy": "refund"}])
def test_damaged_in_transit_consumer_chose_courier(decide, look, claim):
    decision = decide(category="damaged_in_transit", claim=claim, flags=["consumer_chose_courier"])
    assert decision["remedy"]["rule"] == "M11_transit_damage_consumer_courier"
    assert look.components(decision) == []
    assert "consumer chose the courier" in decision["remedy"]["reason"]


# 物流延迟 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "compensation"),
    [
        ("100.00", "10.00"),
        ("30.00", "5.00"),  # at least 5.00
        ("50.00", "5.00"),
        ("50.10", "5.01"),
        ("123.45", "12.35"),  # 12.345 rounds half up
        ("499.90", "49.99"),
        ("500.00", "50.00"),
        ("1000.00", "50.00"),  # at most 50.00
        ("0.00", "5.00"),
    ],
)
def test_logistics_delay_compensation_10_percent_min_5_max_50(decide, look, amount, compensation):
    decision = decide(category="logistics_delay", order={"amount": amount})
    assert look.components(decision) == [("compensation", compensation)]
    assert decision["remedy"]["rule"] == "M15_delay_compensation"


def test_logistics_delay_more_than_7_days_late_not_delivered_refund(decide, look, complaint):
    # promised Mon 03-02; day 7 = Mon 03-09; complaint Tue 03-10
    order = {"promised_delivery_at": "2026-03-02T18:00:00+08:00", "delivered_at": complaint.REMOVE, "amount": "260.00"}
    decision = decide(category="logistics_delay", order=order)
    assert decision["remedy"]["rule"] == "M14_delay_refund_not_delivered"
    assert look.components(decision) == [("refund", "260.00")]


def test_logistics_delay_exactly_7_days_late_compensation(decide, look, complaint):
    order = {"promised_delivery_at": "2026-03-03T18:00:00+08:00", "delivered_at": complaint.REMOVE}
    assert look.components(decide(category="logistics_delay", order=order)) == [("compensation", "10.00")]


def test_logistics_delay_late_but_delivered_compensation(decide, look):
    order = {"promised_delivery_at": "2026-02-02T18:00:00+08:00", "paid_at": "2026-01-30T10:00:00+08:00"}
    assert look.components(decide(category="logistics_delay", order=order)) == [("compensation", "10.00")]


# 退款延迟 / 服务态度 ------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "flags"), [(0, []), (7, []), (8, ["legal_deadline_breached"])])
def test_refund_delay_compensation_20(decide, look, days, flags):
    decision = decide(category="refund_delay", history={"refund_overdue_days": days})
    assert look.components(decision) == [("compensation", "20.00")]
    assert decision["flags"] == flags
    assert decision["route"]["level"] == "supervisor"


def test_service_attitude_apology_and_20(decide, look):
    decision = decide(category="service_attitude")
    assert look.components(decision) == [("apology", None), ("compensation", "20.00")]


# 虚假宣传 / 假冒 --------------------------------------------------------------------------


def test_false_advertising_return_refund(decide, look):
    decision = decide(category="false_advertising", order={"amount": "320.00"})
    assert look.components(decision) == [("return_refund", "320.00")]
    assert decision["remedy"]["components"][0]["return_shipping_paid_by"] == "seller"
    assert decision["remedy"]["approval"] == {"level": "supervisor", "teams": []}


@pytest.mark.parametrize(
    ("goods_type", "amount", "punitive"),
    [
        ("general", "100.00", "500.00"),  # 3 x 100 = 300, at least 500
        ("general", "166.66", "500.00"),
        ("general", "166.67", "500.01"),
        ("general", "400.00", "1200.00"),
        ("food", "50.00", "1000.00"),  # 10 x 50 = 500, at least 1000
        ("food", "100.01", "1000.10"),
        ("food", "150.00", "1500.00"),
    ],
)
def test_false_advertising_with_fraud_punitive_damages(decide, look, goods_type, amount, punitive):
    decision = decide(
        category="false_advertising", order={"amount": amount, "goods_type": goods_type}, flags=["fraud_alleged"]
    )
    assert look.components(decision) == [("return_refund", amount), ("punitive_damages", punitive)]
    assert decision["remedy"]["components"][1]["approved_by"] == {"team": "legal_compliance"}
    assert decision["remedy"]["approval"]["teams"] == ["legal_compliance"]


@pytest.mark.parametrize(
    ("goods_type", "amount", "punitive", "rule"),
    [
        ("general", "100.00", "500.00", "M22_counterfeit"),
        ("general", "1000.00", "3000.00", "M22_counterfeit"),
        ("fresh_perishable", "10.00", "500.00", "M22_counterfeit"),
        ("food", "99.99", "1000.00", "M21_counterfeit_food"),
        ("food", "250.00", "2500.00", "M21_counterfeit_food"),
    ],
)
def test_counterfeit_refund_plus_punitive_damages(decide, look, goods_type, amount, punitive, rule):
    decision = decide(category="counterfeit", order={"amount": amount, "goods_type": goods_type})
    assert decision["remedy"]["rule"] == rule
    assert look.components(decision) == [("refund", amount), ("punitive_damages", punitive)]
    assert decision["remedy"]["components"][1]["approved_by"] == {"team": "legal_compliance"}
    assert decision["remedy"]["approval"]["teams"] == ["legal_compliance"]
    assert decision["route"]["team"] == "legal_compliance"
    assert decision["remedy"]["totals"] == {"punitive_damages": punitive, "refund": amount}


# 个人信息 / 价格 / 其他 -----------------------------------------------------------------------


def test_privacy_apology_and_data_correction(decide, look):
    decision = decide(category="privacy")
    assert look.components(decision) == [("apology", None), ("data_correction", None)]
    assert decision["remedy"]["approval"] == {"level": "frontline", "teams": []}


@pytest.mark.parametrize(
    ("claimed", "refund", "capped"),
    [
        ("30.00", "30.00", []),
        ("100.00", "100.00", []),
        ("100.01", "100.00", ["order"]),
        ("999.00", "100.00", ["order"]),
    ],
)
def test_price_dispute_refund_of_the_claimed_difference_at_most_the_order(decide, look, claimed, refund, capped):
    decision = decide(category="price_dispute", claim={"amount": claimed})
    assert look.components(decision) == [("refund", refund)]
    assert decision["remedy"]["components"][0]["capped_by"] == capped


def test_price_dispute_without_a_claimed_amount(decide, look):
    decision = decide(category="price_dispute")
    assert decision["remedy"]["rule"] == "M25_price_dispute_no_amount"
    assert look.components(decision) == []
    assert "price difference is missing" in decision["remedy"]["reason"]


def test_other_no_remedy_for_the_agent_to_propose(decide, look):
    decision = decide(category="other")
    assert decision["remedy"]["rule"] == "M26_other"
    assert look.components(decision) == []
    assert decision["remedy"]["approval"] == {"level": None, "teams": []}
    assert "agent will propose" in decision["remedy"]["reason"]


def test_every_category_has_a_remedy_rule_or_redirect(decide):
    for category in CATEGORIES:
        decision = decide(category=category)
        assert decision["remedy"]["rule"] or decision["route"]["redirect"], category


# Caps ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected", "capped"),
    [
        (
            {"category": "service_attitude", "claim": {"amount": "10.00"}},
            [("apology", None), ("compensation", "10.00")],
            ["claim"],
        ),
        (
            {"category": "service_attitude", "claim": {"amount": "25.00"}},
            [("apology", None), ("compensation", "20.00")],
            [],
        ),
        (
            {"category": "logistics_delay", "order": {"amount": "1000.00"}, "claim": {"amount": "30.00"}},
            [("compensation", "30.00")],
            ["claim"],
        ),
        (
            {"category": "wrong_item", "claim": {"remedy": "refund", "amount": "40.00"}},
            [("refund", "40.00")],
            ["claim"],
        ),
        ({"category": "no_reason_return", "claim": {"amount": "60.00"}}, [("return_refund", "60.00")], ["claim"]),
        ({"category": "refund_delay", "claim": {"amount": "0.01"}}, [("compensation", "0.01")], ["claim"]),
        (
            {"category": "no_reason_return", "claim": {"remedy": "refund", "amount": "60.00"}},
            [("return_refund", "60.00")],
            ["claim"],
        ),
    ],
)
def test_claim_caps_refund_and_compensation(decide, look, overrides, expected, capped):
    decision = decide(**overrides)
    assert look.components(decision) == expected
    assert decision["remedy"]["components"][-1]["capped_by"] == capped


def test_claim_does_not_cap_a_resend(decide, look):
    assert look.components(decide(category="wrong_item", claim={"amount": "5.00"})) == [("resend", "100.00")]


def test_claim_does_not_cap_punitive_damages(decide, look):
    decision = decide(category="counterfeit", claim={"amount": "30.00"})
    assert look.components(decision) == [("refund", "30.00"), ("punitive_damages", "500.00")]


# Issue 11, case 5: a claim caps only its own component; a claim of 0 is a field error


def test_a_compensation_claim_never_caps_a_refund(decide, look):
    decision = decide(category="no_reason_return", claim={"remedy": "compensation", "amount": "5.00"})
    assert look.components(decision) == [("return_refund", "100.00")]
    assert decision["remedy"]["components"][0]["capped_by"] == []


def test_a_refund_claim_caps_the_refund_not_the_compensation(decide, look):
    decision = decide(category="service_attitude", claim={"remedy": "refund", "amount": "5.00"})
    assert look.components(decision) == [("apology", None), ("compensation", "20.00")]


def test_a_claim_of_the_compensation_caps_only_it(decide, look):
    decision = decide(category="service_attitude", claim={"remedy": "compensation", "amount": "5.00"})
    assert look.components(decision) == [("apology", None), ("compensation", "5.00")]


@pytest.mark.parametrize("amount", ["0.00", "0", 0])
def test_a_claimed_amount_of_zero_is_a_field_error(decide, amount):
    with pytest.raises(ComplaintError) as caught:
        decide(category="no_reason_return", claim={"amount": amount})
    assert caught.value.errors == {
        "claim.amount": ["expected an amount above 0.00; leave claim.amount out when no amount is claimed"]
    }


@pytest.mark.parametrize("category", ["wrong_item", "damaged_in_transit"])
def test_no_return_shipping_is_stated_where_no_goods_come_back(decide, category):
    part = decide(category=category, claim={"remedy": "refund"})["remedy"]["components"][0]
    assert part["type"] == "refund" and part["goods_return"] is False
    assert part["return_shipping_paid_by"] is None
