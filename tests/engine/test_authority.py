"""Brief section 2: who may grant a remedy, at every edge of every authority band."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.compiled import decider_for_text
from engine.remedy import approver

BANDS = {
    "refund": [("200.00", "frontline"), ("200.01", "supervisor"), ("2000.00", "supervisor"), ("2000.01", "manager")],
    "return_refund": [
        ("200.00", "frontline"),
        ("200.01", "supervisor"),
        ("2000.00", "supervisor"),
        ("2000.01", "manager"),
    ],
    "resend": [("300.00", "frontline"), ("300.01", "supervisor"), ("3000.00", "supervisor"), ("3000.01", "manager")],
    "compensation": [("50.00", "frontline"), ("50.01", "supervisor"), ("500.00", "supervisor"), ("500.01", "manager")],
}


@pytest.mark.parametrize(
    ("kind", "amount", "level"),
    [(kind, amount, level) for kind, edges in BANDS.items() for amount, level in edges]
    + [(kind, "0.00", "frontline") for kind in BANDS]
    + [(kind, "99999999.99", "manager") for kind in BANDS],
)
def test_approver_at_each_band_edge(policy, kind, amount, level):
    assert approver(kind, Decimal(amount), policy) == (level, None)


@pytest.mark.parametrize("kind", ["exchange", "repair", "apology", "data_correction"])
def test_remedies_without_amount_any_level_may_grant(policy, kind):
    assert approver(kind, None, policy) == ("frontline", None)


@pytest.mark.parametrize("amount", ["0.01", "500.00", "1000000.00"])
def test_punitive_damages_never_by_a_level_only_legal_compliance(policy, amount):
    assert approver("punitive_damages", Decimal(amount), policy) == (None, "legal_compliance")


# End to end: the decision's approval and its level ------------------------------------------


@pytest.mark.parametrize(("amount", "level"), BANDS["refund"])
def test_refund_band_edges_end_to_end(decide, look, amount, level):
    decision = decide(category="wrong_item", order={"amount": amount}, claim={"remedy": "refund"})
    assert look.components(decision) == [("refund", amount)]
    assert decision["remedy"]["components"][0]["approved_by"] == {"level": level}
    assert decision["remedy"]["approval"] == {"level": level, "teams": []}
    assert decision["route"]["level"] == level


@pytest.mark.parametrize(("amount", "level"), BANDS["return_refund"])
def test_return_refund_shares_the_refund_limits(decide, look, amount, level):
    decision = decide(category="no_reason_return", order={"amount": amount})
    assert look.components(decision) == [("return_refund", amount)]
    assert decision["remedy"]["approval"]["level"] == level
    assert decision["route"]["level"] == level


@pytest.mark.parametrize(("amount", "level"), BANDS["resend"])
def test_resend_band_edges_end_to_end(decide, look, amount, level):
    decision = decide(category="wrong_item", order={"amount": amount})
    assert look.components(decision) == [("resend", amount)]
    assert decision["remedy"]["approval"]["level"] == level
    assert decision["route"]["level"] == level


@pytest.fixture(scope="module")
def claim_compensation_decider(policy):
    """The default policy, but a price dispute is settled by compensation of the claimed amount.

    The default policy never proposes compensation above 50.00, so its bands are
    reached through this variant.
    """
    old = "      - {type: refund, amount: {of: claim.amount}}"
    assert policy.text.count(old) == 1
    text = policy.text.replace(old, "      - {type: compensation, amount: {of: claim.amount}}")
    return decider_for_text(text, "claim-compensation.yaml")


@pytest.mark.parametrize(("amount", "level"), BANDS["compensation"])
def test_compensation_band_edges_end_to_end(claim_compensation_decider, complaint, look, amount, level):
    decision = claim_compensation_decider.decide(
        complaint(category="price_dispute", order={"amount": "10000.00"}, claim={"amount": amount})
    )
    assert look.components(decision) == [("compensation", amount)]
    assert decision["remedy"]["approval"]["level"] == level
    assert decision["route"]["level"] == level


@pytest.mark.parametrize("kind", ["exchange", "repair"])
def test_exchange_and_repair_any_level(decide, kind):
    received = {"exchange": "2026-03-15T10:00:00+08:00", "repair": "2026-03-30T10:00:00+08:00"}[kind]
    decision = decide(category="quality_defect", order={"amount": "9000.00"}, received_at=received)
    assert decision["remedy"]["components"][0]["type"] == kind
    assert decision["remedy"]["approval"]["level"] == "frontline"
    assert decision["route"]["level"] == "frontline"


def test_refund_never_exceeds_the_order_amount(decide, look):
    decision = decide(category="price_dispute", order={"amount": "1999.99"}, claim={"amount": "5000.00"})
    assert look.components(decision) == [("refund", "1999.99")]
    assert decision["remedy"]["components"][0]["capped_by"] == ["order"]
    # the approval follows the capped amount, not the claim
    assert decision["remedy"]["approval"]["level"] == "supervisor"


def test_approval_level_is_the_highest_of_the_components(decide):
    # refund 300 (supervisor) + punitive damages (legal_compliance)
    decision = decide(category="counterfeit", order={"amount": "300.00"})
    assert decision["remedy"]["approval"] == {"level": "supervisor", "teams": ["legal_compliance"]}
