"""Brief section 3 as executable examples: who handles a complaint, at which level.

The baseline complaint (conftest) is category `other` on an ordinary working
day, which the first responder keeps: customer_service, frontline.
"""

from __future__ import annotations

import pytest


def test_baseline_stays_with_the_first_responder(decide, look):
    decision = decide()
    assert look.route(decision) == ("customer_service", "frontline")
    assert decision["route"]["decided_by"] == {"team": "first_responder", "level": "first_responder"}
    assert decision["route"]["redirect"] is None
    assert decision["route"]["escalated_from"] is None
    assert look.fired(decision, "route") == []
    assert decision["flags"] == []


# R01 -------------------------------------------------------------------------


def test_r01_regulator_channel_goes_to_legal_at_manager(decide, look):
    decision = decide(channel="regulator")
    assert look.route(decision) == ("legal_compliance", "manager")
    assert decision["route"]["decided_by"] == {"team": "R01_regulator_channel", "level": "R01_regulator_channel"}
    assert "R01_regulator_channel" in look.fired(decision, "route")


@pytest.mark.parametrize(
    "channel", ["online_chat", "phone", "email", "platform_message", "social_media", "self_service"]
)
def test_r01_other_channels_do_not_route_to_legal(decide, look, channel):
    assert look.route(decide(channel=channel)) == ("customer_service", "frontline")


# R02 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"category": "counterfeit"},
        {"category": "privacy"},
        {"flags": ["punitive_damages_claimed"]},
        {"flags": ["safety_hazard"]},
    ],
    ids=["counterfeit", "privacy", "punitive_claim", "safety_hazard"],
)
def test_r02_legal_matters_go_to_legal_at_least_supervisor(decide, look, overrides):
    decision = decide(**overrides)
    assert look.route(decision) == ("legal_compliance", "supervisor")
    assert decision["route"]["decided_by"]["team"] == "R02_legal_matters"
    assert "R02_legal_matters" in look.fired(decision, "route")


# R03 / R04 / R05 ---------------------------------------------------------------


@pytest.mark.parametrize("category", ["logistics_delay", "damaged_in_transit", "missing_item"])
def test_r03_logistics_categories_go_to_logistics(decide, look, category):
    decision = decide(category=category)
    assert decision["route"]["team"] == "logistics"
    assert decision["route"]["decided_by"]["team"] == "R03_logistics"


def test_r03_wrong_item_is_not_a_logistics_matter(decide, look):
    assert decide(category="wrong_item")["route"]["team"] == "customer_service"


def test_r04_false_advertising_goes_to_merchant_management(decide, look):
    decision = decide(category="false_advertising")
    assert look.route(decision) == ("merchant_management", "frontline")
    assert decision["route"]["decided_by"]["team"] == "R04_false_advertising"


def test_r05_quality_defect_above_2000_goes_to_quality_assurance(decide, look):
    decision = decide(category="quality_defect", order={"amount": "2000.01"})
    assert decision["route"]["team"] == "quality_assurance"
    assert "R05_quality_high_value" in look.fired(decision, "route")


def test_r05_quality_defect_of_exactly_2000_stays_with_customer_service(decide, look):
    decision = decide(category="quality_defect", order={"amount": "2000.00"})
    assert decision["route"]["team"] == "customer_service"
    assert "R05_quality_high_value" not in look.fired(decision)


def test_r05_needs_the_quality_category(decide):
    assert decide(category="wrong_item", order={"amount": "5000.00"})["route"]["team"] == "customer_service"


# R06 .. R09 --------------------------------------------------------------------


def test_r06_service_attitude_is_never_judged_by_a_peer(decide, look):
    decision = decide(category="service_attitude")
    assert look.route(decision) == ("customer_service", "supervisor")
    assert decision["route"]["decided_by"]["level"] == "R06_service_attitude"


@pytest.mark.parametrize(
    ("count", "level"), [(0, "frontline"), (2, "frontline"), (3, "supervisor"), (12, "supervisor")]
)
def test_r07_repeat_complainant_from_3_complaints(decide, look, count, level):
    decision = decide(customer={"complaints_last_30_days": count})
    assert look.route(decision) == ("customer_service", level)
    assert ("R07_repeat_complainant" in look.fired(decision)) is (count >= 3)


def test_r08_media_exposure_needs_supervisor_and_public_relations(decide, look):
    decision = decide(flags=["media_exposure"])
    assert look.route(decision) == ("customer_service", "supervisor")
    assert decision["flags"] == ["public_relations"]
    assert decision["route"]["decided_by"]["level"] == "R08_media_exposure"


def test_r08_no_public_relations_without_media_exposure(decide):
    assert "public_relations" not in decide(flags=["safety_hazard"])["flags"]


def test_r09_human_review_is_done_by_a_supervisor(decide, look):
    decision = decide(flags=["human_review_requested"])
    assert look.route(decision) == ("customer_service", "supervisor")
    assert decision["route"]["decided_by"]["level"] == "R09_human_review"


# R10: escalation on re-evaluation ------------------------------------------------


@pytest.mark.parametrize(
    ("history", "level"),
    [
        ({"level": "frontline", "rejected_offers": 2}, "supervisor"),
        ({"level": "supervisor", "rejected_offers": 3}, "manager"),
        ({"level": "manager", "rejected_offers": 2}, "manager"),  # capped
        ({"level": "frontline", "resolution_overdue": True}, "supervisor"),
        ({"level": "supervisor", "resolution_overdue": True}, "manager"),
        ({"level": "manager", "resolution_overdue": True}, "manager"),
    ],
)
def test_r10_escalates_one_level_above_the_previous_decision(decide, look, history, level):
    decision = decide(history=history)
    assert look.route(decision) == ("customer_service", level)
    assert decision["route"]["escalated_from"] == history["level"]
    assert "R10_escalate_on_reevaluation" in look.fired(decision, "route")


@pytest.mark.parametrize(
    "history",
    [
        {"level": "supervisor", "rejected_offers": 1},
        {"level": "supervisor", "rejected_offers": 0, "resolution_overdue": False},
        {"level": "supervisor"},
    ],
)
def test_r10_no_escalation_below_two_rejections_and_in_time(decide, look, history):
    decision = decide(history=history)
    assert decision["route"]["level"] == "frontline"
    assert decision["route"]["escalated_from"] is None
    assert "R10_escalate_on_reevaluation" not in look.fired(decision)


def test_r10_escalation_never_lowers_a_higher_minimum(decide, look):
    decision = decide(channel="regulator", history={"level": "frontline", "rejected_offers": 2})
    assert look.route(decision) == ("legal_compliance", "manager")
    assert decision["route"]["decided_by"]["level"] == "R01_regulator_channel"


# R11 / R12: refund delay -----------------------------------------------------------


def test_r11_refund_delay_at_least_supervisor(decide, look):
    decision = decide(category="refund_delay", history={"refund_overdue_days": 3})
    assert look.route(decision) == ("customer_service", "supervisor")
    assert "legal_deadline_breached" not in decision["flags"]


@pytest.mark.parametrize(("days", "breached"), [(7, False), (8, True), (30, True)])
def test_r12_legal_deadline_breached_after_more_than_7_days(decide, days, breached):
    decision = decide(category="refund_delay", history={"refund_overdue_days": days})
    assert ("legal_deadline_breached" in decision["flags"]) is breached


# A01: the level is never below the approval level --------------------------------------


def test_level_raised_to_the_approval_level_of_the_remedy(decide, look):
    decision = decide(category="wrong_item", order={"amount": "300.01"})
    assert look.components(decision) == [("resend", "300.01")]
    assert look.route(decision) == ("customer_service", "supervisor")
    assert decision["route"]["decided_by"]["level"] == "A01_level_not_below_approval"
    assert "A01_level_not_below_approval" in look.fired(decision, "route")


def test_approval_floor_silent_when_routing_already_high_enough(decide, look):
    decision = decide(category="wrong_item", order={"amount": "300.01"}, flags=["human_review_requested"])
    assert decision["route"]["level"] == "supervisor"
    assert decision["route"]["decided_by"]["level"] == "R09_human_review"
    assert "A01_level_not_below_approval" not in look.fired(decision)


def test_punitive_damages_proposed_make_it_a_legal_matter(decide, look):
    decision = decide(category="false_advertising", flags=["fraud_alleged"])
    assert look.route(decision) == ("legal_compliance", "supervisor")
    assert decision["route"]["decided_by"] == {"team": "R02_legal_matters", "level": "R02_legal_matters"}
    assert decision["remedy"]["approval"]["teams"] == ["legal_compliance"]


def test_the_approval_floor_still_brings_in_the_approving_team(policy, complaint):
    """Without R02's line for fraud, A01 still names legal_compliance (but not the level: lint reports that)."""
    from engine.compiled import decider_for_text

    line = "      - {category: false_advertising, flags.fraud_alleged: true}   # M18/M19 propose punitive damages\n"
    assert line in policy.text
    decision = decider_for_text(policy.text.replace(line, ""), "no-fraud-line.yaml").decide(
        complaint(category="false_advertising", flags=["fraud_alleged"])
    )
    assert decision["route"]["team"] == "legal_compliance"
    assert decision["route"]["decided_by"]["team"] == "A01_level_not_below_approval"


# R13 / R14: redirects -------------------------------------------------------------------


def _assert_redirect(decision: dict, rule: str) -> None:
    assert decision["route"]["redirect"]["rule"] == rule
    assert decision["route"]["redirect"]["reason"]
    assert decision["route"]["team"] is None and decision["route"]["level"] is None
    assert decision["remedy"]["components"] == []
    assert decision["remedy"]["rule"] is None
    assert decision["remedy"]["reason"] == decision["route"]["redirect"]["reason"]
    assert [d["kind"] for d in decision["deadlines"]] == ["first_response"]


def test_r13_not_a_consumer_dispute_is_redirected(decide):
    decision = decide(category="not_consumer_dispute")
    _assert_redirect(decision, "R13_not_consumer_dispute")
    assert decision["route"]["redirect"]["reason"].startswith("不属于消费纠纷")


def _old_order(completed_at: str) -> dict:
    return {
        "paid_at": "2022-12-01T10:00:00+08:00",
        "delivered_at": "2022-12-05T10:00:00+08:00",
        "completed_at": completed_at,
    }


def test_r14_order_completed_more_than_3_years_ago_is_redirected(decide):
    # Completed Mon 2023-03-09; three years end Mon 2026-03-09; complaint Tue 2026-03-10.
    decision = decide(order=_old_order("2023-03-09T18:00:00+08:00"))
    _assert_redirect(decision, "R14_older_than_3_years")
    assert "三年" in decision["route"]["redirect"]["reason"]


def test_r14_exactly_3_years_is_still_in_scope(decide, look):
    decision = decide(order=_old_order("2023-03-10T09:00:00+08:00"))
    assert decision["route"]["redirect"] is None
    assert look.route(decision) == ("customer_service", "frontline")


def test_r14_three_years_ending_in_the_national_day_week_run_to_the_next_working_day(decide):
    # 2023-10-01 + 3 years = 2026-10-01, a holiday: the period ends on Thu 2026-10-08.
    order = _old_order("2023-10-01T12:00:00+08:00")
    assert decide(received_at="2026-10-08T20:00:00+08:00", order=order)["route"]["redirect"] is None
    late = decide(received_at="2026-10-09T09:00:00+08:00", order=order)
    assert late["route"]["redirect"]["rule"] == "R14_older_than_3_years"


def test_redirect_overrides_every_other_rule(decide):
    decision = decide(category="counterfeit", channel="regulator", order=_old_order("2022-12-31T10:00:00+08:00"))
    assert decision["route"]["redirect"]["rule"] == "R14_older_than_3_years"
    assert decision["remedy"]["components"] == []
    # the regulator still gets its reply
    assert [d["kind"] for d in decision["deadlines"]] == ["first_response", "regulator_reply"]


# Several rules at once: highest level, most specific team -------------------------------------


@pytest.mark.parametrize(
    ("overrides", "team"),
    [
        (
            {"category": "quality_defect", "order": {"amount": "2500.00"}, "flags": ["safety_hazard"]},
            "legal_compliance",
        ),
        ({"category": "false_advertising", "flags": ["punitive_damages_claimed"]}, "legal_compliance"),
        ({"category": "damaged_in_transit", "flags": ["safety_hazard"]}, "legal_compliance"),
        ({"category": "missing_item", "channel": "regulator"}, "legal_compliance"),
        (
            {"category": "quality_defect", "order": {"amount": "2500.00"}, "flags": ["media_exposure"]},
            "quality_assurance",
        ),
        ({"category": "false_advertising", "flags": ["media_exposure"]}, "merchant_management"),
        ({"category": "logistics_delay", "customer": {"complaints_last_30_days": 5}}, "logistics"),
    ],
)
def test_most_specific_team_wins(decide, overrides, team):
    assert decide(**overrides)["route"]["team"] == team


def test_highest_level_wins(decide, look):
    decision = decide(
        category="service_attitude",
        channel="regulator",
        flags=["media_exposure", "human_review_requested"],
        customer={"complaints_last_30_days": 4},
    )
    assert look.route(decision) == ("legal_compliance", "manager")
    assert decision["flags"] == ["public_relations"]
    cited = look.fired(decision, "route")
    for rule in ("R01_regulator_channel", "R06_service_attitude", "R07_repeat_complainant", "R08_media_exposure"):
        assert rule in cited


def test_team_and_level_can_come_from_different_rules(decide):
    decision = decide(category="missing_item", flags=["human_review_requested"])
    assert decision["route"]["team"] == "logistics"
    assert decision["route"]["level"] == "supervisor"
    assert decision["route"]["decided_by"] == {"team": "R03_logistics", "level": "R09_human_review"}


# The record of a decision ---------------------------------------------------------------


def test_decision_states_policy_version_rules_basis_and_summary(decide, policy):
    decision = decide(category="wrong_item", order={"amount": "300.01"}, customer={"tier": "vip"})
    assert decision["policy"] == {"version": "2026.1", "digest": policy.digest}
    assert decision["engine_version"]
    for rule in decision["explanation"]["rules"]:
        assert rule["basis"] and rule["description"] and rule["effect"]
        assert "line" not in rule  # the digest ignores layout, so decisions must too
        assert policy.rules_by_id[rule["id"]].basis == rule["basis"]
    assert decision["explanation"]["summary"] == (
        "您的投诉由客服（客服主管）负责处理。拟定方案：补发 ¥300.01。我们将在 2026-03-11T10:00:00+08:00 前处理完毕。"
    )
    assert decision["explanation"]["summary_en"] == (
        "Your complaint is handled by customer service at supervisor level. Proposed remedy: resend of CNY 300.01. "
        "We will resolve it by 2026-03-11T10:00:00+08:00."
    )
