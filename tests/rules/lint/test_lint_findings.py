"""Lint: a gallery of policies with one seeded defect each, found, located and shown by an example."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.compiled import decider_for
from rules.errors import PolicyError
from rules.fact_space import FactSpace
from rules.lint import lint_policy
from rules.loader import load_policy_file, load_policy_text
from tests.helpers.lint_gallery import DEFAULT_POLICY, line_of, rule_line

# The default policy's own findings, accepted in its `lint:` section.
ACCEPTED_IN_DEFAULT = {
    ("conflicting_redirects", ("R13_not_consumer_dispute", "R14_older_than_3_years")),
    ("redirected", ("M27_not_consumer_dispute", "R13_not_consumer_dispute")),
}

SHADOW = (
    """    when: {order.delivered_at: {present: false}}
    remedy: none
    reason: 商品尚未签收""",
    """    when: {}
    remedy: none
    reason: 商品尚未签收""",
)
CONTRADICTION = (
    "when: {category: quality_defect, order.amount: {above: 2000.00}}",
    "when: {category: quality_defect, order.amount: {above: 2000.00, below: 1000.00}}",
)
OWN_CATEGORY_EXCLUDED = (
    """    when: {claim.remedy: [refund, return_refund]}
    remedy:
      - {type: refund, amount: {of: order.amount}}
  - id: M13""",
    """    when: {claim.remedy: [refund, return_refund], category: {not: damaged_in_transit}}
    remedy:
      - {type: refund, amount: {of: order.amount}}
  - id: M13""",
)
NO_FALLBACK = (
    """    when: {}
    remedy:
      - {type: compensation, amount: {of: order.amount, percent: 10""",
    """    when: {within.promised_delivery_7_days: true}
    remedy:
      - {type: compensation, amount: {of: order.amount, percent: 10""",
)
FIRST_RESPONSE_GAP = (
    "when: {customer.tier: {not: vip}, received_on_working_day: false}",
    "when: {customer.tier: vip, received_on_working_day: false}",
)
SECOND_REDIRECT = (
    """    then: {redirect: 订单完成已超过三年，超出受理范围 (order completed more than 3 years ago)}
""",
    """    then: {redirect: 订单完成已超过三年，超出受理范围 (order completed more than 3 years ago)}

  - id: R15_merchant_only
    description: Matters between merchants are redirected to merchant services.
    basis: internal SLA
    when: {category: other, order.merchant: third_party}
    then: {redirect: 商家之间的事务请联系商家服务 (a matter between merchants)}
""",
)
BAND_OVERLAP = (
    "limits: {frontline: 50.00, supervisor: 500.00",
    "limits: {frontline: 50.00, supervisor: 50.00",
)


def _findings(policy, code):
    return [f for f in lint_policy(policy).unaccepted if f.code == code]


def _decide(policy, complaint):
    return decider_for(policy).decide(complaint)


def test_default_policy_lints_with_accepted_findings_only():
    report = lint_policy(load_policy_file(DEFAULT_POLICY))
    assert report.unaccepted == []
    assert {(f.code, f.rules) for f in report.accepted} == ACCEPTED_IN_DEFAULT
    assert all(f.accepted for f in report.accepted)


def test_unreachable_remedy_after_an_unconditional_one(variant):
    policy, text, _ = variant(SHADOW)
    found = _findings(policy, "shadowed")
    assert [f.rules for f in found] == [
        ("M02b_no_reason_return_too_late", "M02_no_reason_return_not_delivered"),
        ("M03_no_reason_return_goods_not_intact", "M02_no_reason_return_not_delivered"),
        ("M04_no_reason_return_excluded_goods", "M02_no_reason_return_not_delivered"),
    ]
    first = found[0]
    assert first.line == rule_line(text, "M02b_no_reason_return_too_late")
    assert first.lines == (first.line, rule_line(text, "M02_no_reason_return_not_delivered"))
    assert "is never reached" in first.message and "M02_no_reason_return_not_delivered" in first.message
    # The example is a real complaint: the engine answers it with the shadowing rule.
    for finding in found:
        decision = _decide(policy, finding.complaint)
        assert decision["remedy"]["rule"] == "M02_no_reason_return_not_delivered"
        assert decision["category"] == "no_reason_return"


def test_contradictory_amount_band(variant):
    policy, text, _ = variant(CONTRADICTION)
    (finding,) = _findings(policy, "contradiction")
    assert finding.rules == ("R05_quality_high_value",)
    assert finding.line == rule_line(text, "R05_quality_high_value")
    assert "order.amount above 2000.00 and order.amount below 1000.00 cannot both hold" in finding.message
    assert finding.complaint is None  # nothing to show: no complaint fires it


def test_amounts_listed_with_in_or_not_in_are_each_a_threshold(variant):
    # Lint once crashed (TypeError: tuple - int) on a list of amounts; each listed amount is an edge to probe.
    policy, _, _ = variant(
        (
            "when: {category: quality_defect, order.amount: {above: 2000.00}}",
            "when: {category: quality_defect, order.amount: {not_in: [2000.00, 3000.00]}}",
        )
    )
    assert {200000, 300000} <= FactSpace(policy).thresholds["order.amount"]  # in fen
    lint_policy(policy)  # completes: the probes include each listed amount


def test_category_test_excluding_the_rules_own_category(variant):
    policy, text, _ = variant(OWN_CATEGORY_EXCLUDED)
    (finding,) = _findings(policy, "contradiction")
    assert finding.rules == ("M12_transit_damage_refund",)
    assert finding.line == rule_line(text, "M12_transit_damage_refund")
    assert "excludes the rule's own category (damaged_in_transit)" in finding.message
    # A contradictory rule is not reported a second time as shadowed.
    assert not [f for f in lint_policy(policy).findings if f.code == "shadowed" and "M12" in f.rules[0]]


def test_category_without_unconditional_fallback(variant):
    policy, text, _ = variant(NO_FALLBACK)
    (finding,) = _findings(policy, "remedy_gap")
    assert finding.about == "logistics_delay"
    assert finding.rules == ("M13b_delay_not_yet_late", "M14_delay_refund_not_delivered", "M15_delay_compensation")
    assert finding.line == rule_line(text, "M15_delay_compensation")
    decision = _decide(policy, finding.complaint)
    assert decision["category"] == "logistics_delay"
    assert decision["route"]["redirect"] is None
    assert decision["remedy"]["rule"] is None
    assert "no remedy rule of the policy covers this complaint" in decision["remedy"]["reason"]


def test_category_with_no_remedy_rule_at_all(variant):
    policy, _, _ = variant(
        (
            """  - id: M26_other
    category: other""",
            """  - id: M26_other
    category: price_dispute""",
        )
    )
    gaps = {f.about: f for f in _findings(policy, "remedy_gap")}
    assert gaps["other"].rules == ()
    assert "no remedy rule covers category `other`" in gaps["other"].message
    assert _decide(policy, gaps["other"].complaint)["remedy"]["rule"] is None


def test_first_response_gap(variant):
    policy, text, _ = variant(FIRST_RESPONSE_GAP)
    (finding,) = _findings(policy, "deadline_gap")
    assert finding.about == "first_response"
    assert finding.rules == (
        "D01_first_response_vip_working",
        "D02_first_response_vip_non_working",
        "D03_first_response_working",
        "D04_first_response_non_working",
    )
    assert finding.line == rule_line(text, "D01_first_response_vip_working")
    assert finding.example == "customer.tier=regular, received_on_working_day=false"
    decision = _decide(policy, finding.complaint)
    assert "first_response" not in [d["kind"] for d in decision["deadlines"]]


def test_two_conflicting_redirects(variant):
    policy, text, _ = variant(SECOND_REDIRECT)
    found = _findings(policy, "conflicting_redirects")
    pairs = {f.rules for f in found}
    assert ("R14_older_than_3_years", "R15_merchant_only") in pairs
    finding = next(f for f in found if f.rules == ("R14_older_than_3_years", "R15_merchant_only"))
    assert finding.lines == (rule_line(text, "R14_older_than_3_years"), rule_line(text, "R15_merchant_only"))
    decision = _decide(policy, finding.complaint)
    cited = [r["id"] for r in decision["explanation"]["rules"]]
    assert {"R14_older_than_3_years", "R15_merchant_only"} <= set(cited)
    assert decision["route"]["redirect"]["rule"] in ("R14_older_than_3_years", "R15_merchant_only")


def test_same_reason_redirects_do_not_conflict(variant):
    reason = "订单完成已超过三年，超出受理范围 (order completed more than 3 years ago)"
    policy, _, _ = variant(
        (
            SECOND_REDIRECT[0],
            SECOND_REDIRECT[1].replace("商家之间的事务请联系商家服务 (a matter between merchants)", reason),
        )
    )
    assert not [f for f in _findings(policy, "conflicting_redirects") if "R15_merchant_only" in f.rules]


def test_authority_band_overlap(variant):
    policy, text, _ = variant(BAND_OVERLAP)
    (finding,) = _findings(policy, "authority_band_empty")
    assert finding.about == "compensation"
    assert finding.line == line_of(text, "    compensation: {label")
    assert "supervisor limit 50.00 equals the frontline limit" in finding.message


def test_shared_limits_are_reported_once(variant):
    policy, _, _ = variant(
        ("limits: {frontline: 200.00, supervisor: 2000.00", "limits: {frontline: 200.00, supervisor: 200.00")
    )
    (finding,) = _findings(policy, "authority_band_empty")
    assert "refund, return_refund" in finding.message


def test_authority_hole_is_not_expressible(default_text):
    # A lower level with more authority than a higher one would leave a hole; the loader refuses it outright.
    text = default_text.replace(
        "limits: {frontline: 200.00, supervisor: 2000.00", "limits: {frontline: 2500.00, supervisor: 2000.00"
    )
    with pytest.raises(PolicyError, match="limits must not decrease up the levels"):
        load_policy_text(text, "hole.yaml")
    # ... and so is a top level that can approve nothing with no approving team.
    text = default_text.replace("supervisor: 2000.00, manager: any", "supervisor: 2000.00, manager: 5000.00")
    with pytest.raises(PolicyError, match="have no approver"):
        load_policy_text(text, "hole.yaml")


def test_pending_forever_when_the_with_kind_does_not_apply(variant):
    policy, text, _ = variant(
        (
            "    when: {decision.team: customer_service, decision.level: {not: manager}}\n",
            "    when: {decision.team: customer_service, decision.level: {not: manager}, channel: phone}\n",
        )
    )
    (finding,) = _findings(policy, "pending_forever")
    assert finding.rules[0] == "D09_refund_without_return"
    assert finding.line == rule_line(text, "D09_refund_without_return")
    assert finding.about == "resolution"
    assert "decision.remedy.refund=true" in finding.example


def test_decision_flag_tested_false_never_fires(variant):
    policy, _, _ = variant(
        ("      - {decision.flags.public_relations: true}", "      - {decision.flags.public_relations: false}")
    )
    found = _findings(policy, "contradiction")
    assert found == []  # the other alternatives of D14 still hold
    policy, _, _ = variant(
        ("    when: {channel: regulator}\n    due:", "    when: {decision.flags.public_relations: false}\n    due:")
    )
    (finding,) = _findings(policy, "contradiction")
    assert finding.rules == ("D15_regulator_reply",)
    assert "a decision flag is only ever given as true" in finding.message


def test_placeholder_basis_unused_window_short_notice_and_missing_year(variant):
    policy, text, _ = variant(
        ("basis: internal SLA; CPL Art. 46\n", "basis: TODO\n"),
        ("effective_from: 2025-01-01T00:00:00+08:00", "effective_from: 2024-12-20T00:00:00+08:00"),
        (
            "    when: {within.promised_delivery_7_days: false, order.delivered_at: {present: false}}",
            "    when: {order.delivered_at: {present: false}}",
        ),
    )
    codes = {(f.code, f.rules, f.about) for f in lint_policy(policy).unaccepted}
    assert ("missing_basis", ("D15_regulator_reply",), None) in codes
    assert ("unused_window", (), "promised_delivery_7_days") in codes
    assert ("short_notice", (), "policy") in codes
    policy, _, _ = variant(
        ("announced_at: 2024-12-16T09:00:00+08:00", "announced_at: 2026-12-01T09:00:00+08:00"),
        ("effective_from: 2025-01-01T00:00:00+08:00", "effective_from: 2027-01-10T00:00:00+08:00"),
    )
    (finding,) = _findings(policy, "calendar_year_missing")
    assert finding.about == "2027"


def test_acceptance_marks_a_finding_and_stale_ones_are_reported(variant):
    accept = """
    - finding: shadowed
      rules: [M02b_no_reason_return_too_late, M02_no_reason_return_not_delivered]
      reason: seeded for the test
    - finding: remedy_gap
      about: privacy
      reason: no such gap
"""
    policy, text, _ = variant(SHADOW, ("  accept:\n", "  accept:\n" + accept))
    report = lint_policy(policy)
    accepted = [f for f in report.accepted if f.code == "shadowed"]
    assert [f.rules[0] for f in accepted] == ["M02b_no_reason_return_too_late"]
    assert accepted[0].accepted == "seeded for the test"
    (stale,) = [f for f in report.unaccepted if f.code == "stale_acceptance"]
    assert stale.line == line_of(text, "finding: remedy_gap")


def test_acceptance_of_an_unknown_rule_is_a_policy_error(default_text):
    text = default_text.replace(
        "rules: [R13_not_consumer_dispute, R14_older_than_3_years]", "rules: [R13_not_consumer_dispute, R99]"
    )
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "accept.yaml")
    (issue,) = caught.value.issues
    assert issue.path == "lint.accept.0.rules.1"
    assert issue.message == "unknown rule `R99`"
    assert issue.line == line_of(text, "R99")
    text = default_text.replace("- finding: conflicting_redirects", "- finding: conflicting_redirect")
    with pytest.raises(PolicyError, match="lint.accept.0.finding"):
        load_policy_text(text, "accept.yaml")


def test_policy_without_lint_section_keeps_its_digest(default_text):
    bare = (
        default_text.split(
            "\n# ---------------------------------------------------------------------------\n# 检查结论"
        )[0]
        + "\n"
    )
    policy = load_policy_text(bare, "bare.yaml")
    assert policy.accepted_findings == ()
    assert {f.code for f in lint_policy(policy).unaccepted} == {"conflicting_redirects", "redirected"}


def test_cli_lint_exit_codes_and_check_warnings(variant):
    runner = CliRunner()
    result = runner.invoke(cli, ["lint", str(DEFAULT_POLICY), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "0 finding(s) to resolve, 2 accepted" in result.stdout
    result = runner.invoke(cli, ["lint", str(DEFAULT_POLICY), "--lang", "zh"])
    assert "0 项待解决，2 项已接受" in result.stdout
    _, text, path = variant(SHADOW)
    line = rule_line(text, "M02b_no_reason_return_too_late")
    result = runner.invoke(cli, ["lint", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert f"{path}:{line}: warning [shadowed] M02b_no_reason_return_too_late (line {line})" in result.stdout
    assert "    complaint: {" in result.stdout
    # Chinese is the command line's default; the code, rule id and line stay as they are.
    result = runner.invoke(cli, ["lint", str(path)])
    assert result.exit_code == 1
    blocker = f"M02_no_reason_return_not_delivered（第 {rule_line(text, 'M02_no_reason_return_not_delivered')} 行）"
    assert (
        f"{path}:{line}: 警告 [shadowed] M02b_no_reason_return_too_late（第 {line} 行）永远不会被用到："
        f"它匹配的每一条投诉都已由排在前面的 {blocker}处理"
    ) in result.stdout
    assert "is never reached" not in result.stdout
    assert "    投诉：{" in result.stdout
    result = runner.invoke(cli, ["lint", str(path), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    # JSON for scripts: English sentences unless a language is asked for; the keys never change.
    assert next(f for f in payload["findings"] if f["code"] == "shadowed")["message"].startswith(
        f"M02b_no_reason_return_too_late (line {line}) is never reached"
    )
    zh = json.loads(runner.invoke(cli, ["lint", str(path), "--json", "--lang", "zh"]).stdout)
    assert [list(f) for f in zh["findings"]] == [list(f) for f in payload["findings"]]
    assert next(f for f in zh["findings"] if f["code"] == "shadowed")["message"].startswith(
        f"M02b_no_reason_return_too_late（第 {line} 行）永远不会被用到"
    )
    assert payload["unaccepted"] == 3
    first = next(f for f in payload["findings"] if not f["accepted"])
    assert first["code"] == "shadowed" and first["accepted"] is None
    assert first["rules"] == [
        {"id": "M02b_no_reason_return_too_late", "line": line},
        {"id": "M02_no_reason_return_not_delivered", "line": rule_line(text, "M02_no_reason_return_not_delivered")},
    ]
    # `check` reports findings as warnings and still succeeds.
    result = runner.invoke(cli, ["check", str(path), "--lang", "en"])
    assert result.exit_code == 0
    assert "OK — version 2026.1" in result.stdout
    assert "warning [shadowed]" in result.stderr
    result = runner.invoke(cli, ["check", str(path), "--lang", "zh"])
    assert "警告 [shadowed]" in result.stderr


PUNITIVE_NOT_ROUTED = (
    "      - {category: false_advertising, flags.fraud_alleged: true}   # M18/M19 propose punitive damages\n",
    "",
)


def test_a_team_approved_remedy_the_routing_never_sends_to_that_team(variant):
    policy, text, _ = variant(PUNITIVE_NOT_ROUTED)
    found = _findings(policy, "approver_not_routed")
    assert [f.rules[0] for f in found] == ["M18_false_advertising_fraud_food", "M19_false_advertising_fraud"]
    finding = found[1]
    assert finding.line == rule_line(text, "M19_false_advertising_fraud")
    assert finding.about == "punitive_damages:false_advertising"
    assert "which only team `legal_compliance` approves" in finding.message
    # The example is a real complaint: the engine proposes punitive damages and keeps it off a supervisor's desk.
    decision = _decide(policy, finding.complaint)
    assert "punitive_damages" in {c["type"] for c in decision["remedy"]["components"]}
    assert decision["route"]["level"] == "frontline"


def test_the_default_policy_routes_punitive_damages_to_legal_at_supervisor(decide):
    """Issue 11, case B1: a frontline agent was left holding a 500.00 punitive-damages proposal."""
    decision = decide(
        complaint_id="B1",
        received_at="2026-03-10T10:00:00+08:00",
        channel="phone",
        category="false_advertising",
        order={"amount": "100.00"},
        flags=["fraud_alleged"],
    )
    assert (decision["route"]["team"], decision["route"]["level"]) == ("legal_compliance", "supervisor")
    assert decision["explanation"]["summary"].startswith("您的投诉由法务合规（客服主管）负责处理。")


def test_a_shipping_leg_no_goods_travel_is_found(variant):
    policy, text, _ = variant(
        (
            "      - {type: resend, amount: {of: order.amount}, outbound_shipping_paid_by: seller}\n\n  # 运输损坏",
            "      - {type: resend, amount: {of: order.amount}, return_shipping_paid_by: seller}\n\n  # 运输损坏",
        ),
        (
            "    when: {flags.fraud_alleged: true}\n    remedy:\n"
            "      - {type: return_refund, amount: {of: order.amount}, goods_return: true, return_shipping_paid_by: seller}",
            "    when: {flags.fraud_alleged: true}\n    remedy:\n"
            "      - {type: return_refund, amount: {of: order.amount}, goods_return: true, return_shipping_paid_by: seller,"
            " outbound_shipping_paid_by: seller}",
        ),
    )
    found = {f.rules[0]: f for f in _findings(policy, "shipping_without_goods")}
    assert set(found) == {"M10_wrong_or_missing_resend", "M19_false_advertising_fraud"}
    assert "no goods come back" in found["M10_wrong_or_missing_resend"].message
    assert "a `return_refund` sends no goods" in found["M19_false_advertising_fraud"].message
    assert found["M10_wrong_or_missing_resend"].line == rule_line(text, "M10_wrong_or_missing_resend")
