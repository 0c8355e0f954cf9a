"""Property tests: any valid complaint gets a sound decision; any invalid one a ComplaintError
naming the field at fault."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canonical import canonical_json
from engine.complaint import ComplaintError
from rules.vocabulary import (
    CATEGORIES,
    CHANNELS,
    CLAIM_REMEDIES,
    GOODS_CONDITIONS,
    GOODS_TYPES,
    INPUT_FLAGS,
    MERCHANTS,
    TIERS,
)

LEVELS = ("frontline", "supervisor", "manager")
OFFSETS = [dt.timezone(dt.timedelta(hours=h)) for h in (8, 0, -5, 9)]
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def money(max_fen: int = 500_000_00) -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=max_fen).map(lambda fen: f"{Decimal(fen) / 100:.2f}")


@st.composite
def valid_complaints(draw) -> dict:
    tz = draw(st.sampled_from(OFFSETS))
    received = draw(st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 3, 31))).replace(
        microsecond=0, tzinfo=tz
    )
    paid = received - dt.timedelta(minutes=draw(st.integers(0, 4 * 365 * 24 * 60)))
    order: dict = {"order_id": "O-1", "amount": draw(money()), "paid_at": paid.isoformat()}
    for name, days in (("delivered_at", 30), ("completed_at", 60), ("promised_delivery_at", 20)):
        if draw(st.booleans()):
            moment = paid + dt.timedelta(minutes=draw(st.integers(0, days * 24 * 60)))
            if name != "promised_delivery_at":  # a promise may lie ahead; a delivery or completion may not
                moment = min(moment, received)
            order[name] = moment.isoformat()
    order["goods_type"] = draw(st.sampled_from(GOODS_TYPES))
    if draw(st.booleans()):
        order["goods_condition"] = draw(st.sampled_from(GOODS_CONDITIONS))
    if draw(st.booleans()):
        order["merchant"] = draw(st.sampled_from(MERCHANTS))
    claim: dict = {}
    if draw(st.booleans()):
        claim["remedy"] = draw(st.sampled_from(CLAIM_REMEDIES))
    if draw(st.booleans()):
        claim["amount"] = draw(money().filter(lambda m: Decimal(m) > 0))  # a claim of 0 is a field error
    history: dict = {}
    if draw(st.booleans()):
        history = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "level": st.sampled_from(LEVELS),
                    "rejected_offers": st.integers(0, 5),
                    "resolution_overdue": st.booleans(),
                    "repairs": st.integers(0, 4),
                    "refund_overdue_days": st.integers(0, 40),
                },
            )
        )
        if draw(st.booleans()):
            back = received + dt.timedelta(minutes=draw(st.integers(0, 30 * 24 * 60)))
            history["return_received_at"] = back.isoformat()
    return {
        "complaint_id": f"P-{draw(st.integers(0, 10**9))}",
        "received_at": received.isoformat(),
        "channel": draw(st.sampled_from(CHANNELS)),
        "category": draw(st.sampled_from(CATEGORIES)),
        "order": order,
        "claim": claim,
        "customer": {
            "customer_id": "U-1",
            "tier": draw(st.sampled_from(TIERS)),
            "complaints_last_30_days": draw(st.integers(0, 10)),
        },
        "history": history,
        "flags": draw(st.lists(st.sampled_from(INPUT_FLAGS), unique=True, max_size=4)),
    }


@PROPERTY_SETTINGS
@given(raw=valid_complaints())
def test_valid_complaints_get_a_sound_decision(decider, raw):
    decision = decider.decide(raw)
    canonical_json(decision)  # serializable
    route, remedy = decision["route"], decision["remedy"]
    order_amount = Decimal(raw["order"]["amount"])
    if route["redirect"]:
        assert route["team"] is None and route["level"] is None
        assert remedy["components"] == []
        return
    level = LEVELS.index(route["level"])
    if remedy["approval"]["level"] is not None:
        assert level >= LEVELS.index(remedy["approval"]["level"])
    for part in remedy["components"]:
        if "level" in part["approved_by"]:
            assert level >= LEVELS.index(part["approved_by"]["level"])
        else:
            assert route["team"] == part["approved_by"]["team"] == "legal_compliance"
        if part["type"] in ("refund", "return_refund"):
            assert Decimal(part["amount"]) <= order_amount
        if part["amount"] is not None:
            assert Decimal(part["amount"]) >= 0
            assert Decimal(part["amount"]).as_tuple().exponent == -2
    for deadline in decision["deadlines"]:
        if deadline["due_at"]:
            due = dt.datetime.fromisoformat(deadline["due_at"])
            assert due.utcoffset() == dt.timedelta(hours=8)
            assert due >= dt.datetime.fromisoformat(raw["received_at"]) or deadline["period"].get("after") != "received"
            # a deadline already past when the complaint arrived is reported overdue, never scheduled
            assert (due < dt.datetime.fromisoformat(raw["received_at"])) == (deadline["status"] == "overdue")
    assert decision["deadlines"][0]["kind"] == "first_response"
    if "calendar_fallback" in decision["flags"]:
        assert decision["warnings"]


# Invalid complaints ---------------------------------------------------------------------------


def _set(raw: dict, path: str, value) -> dict:
    target = raw
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value
    return raw


BAD_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


@st.composite
def invalid_complaints(draw) -> tuple[dict, str]:
    raw = draw(valid_complaints())
    kind = draw(st.sampled_from(["enum", "decimals", "negative", "naive", "delivered_before_paid", "unknown"]))
    if kind == "enum":
        path, values = draw(
            st.sampled_from(
                [
                    ("channel", CHANNELS),
                    ("category", CATEGORIES),
                    ("order.goods_type", GOODS_TYPES),
                    ("order.goods_condition", GOODS_CONDITIONS),
                    ("order.merchant", MERCHANTS),
                    ("claim.remedy", CLAIM_REMEDIES),
                    ("customer.tier", TIERS),
                    ("history.level", LEVELS),
                ]
            )
        )
        word = draw(BAD_WORDS.filter(lambda w: w not in values))
        return _set(raw, path, word), path
    if kind == "decimals":
        path = draw(st.sampled_from(["order.amount", "claim.amount"]))
        fen = draw(st.integers(0, 10**9))
        thousandth = draw(st.integers(1, 9))
        return _set(raw, path, f"{fen // 100}.{fen % 100:02d}{thousandth}"), path
    if kind == "negative":
        path = draw(st.sampled_from(["order.amount", "claim.amount"]))
        return _set(raw, path, f"-{draw(money(10**8))}".replace("-0.00", "-0.01")), path
    if kind == "naive":
        path = draw(
            st.sampled_from(["received_at", "order.paid_at", "order.delivered_at", "history.return_received_at"])
        )
        moment = draw(st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 12, 31)))
        return _set(raw, path, moment.replace(microsecond=0).isoformat()), path
    if kind == "delivered_before_paid":
        paid = dt.datetime.fromisoformat(raw["order"]["paid_at"])
        early = paid - dt.timedelta(seconds=draw(st.integers(1, 90 * 24 * 3600)))
        return _set(raw, "order.delivered_at", early.isoformat()), "order.delivered_at"
    section = draw(st.sampled_from(["", "order.", "claim.", "customer.", "history."]))
    name = draw(BAD_WORDS.filter(lambda w: w not in ("description", "colour_") and not w.startswith("_")))
    known = {
        "": {
            "complaint_id",
            "received_at",
            "channel",
            "category",
            "order",
            "claim",
            "customer",
            "history",
            "flags",
            "description",
        },
        "order.": {
            "order_id",
            "amount",
            "paid_at",
            "completed_at",
            "delivered_at",
            "promised_delivery_at",
            "goods_type",
            "goods_condition",
            "merchant",
        },
        "claim.": {"remedy", "amount"},
        "customer.": {"customer_id", "tier", "complaints_last_30_days"},
        "history.": {
            "level",
            "rejected_offers",
            "resolution_overdue",
            "repairs",
            "refund_overdue_days",
            "return_received_at",
        },
    }[section]
    name = name + "_x" if name in known else name
    return _set(raw, section + name, "?"), section + name


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=invalid_complaints())
def test_invalid_complaints_raise_complaint_error_naming_the_field(decider, case):
    raw, path = case
    with pytest.raises(ComplaintError) as caught:
        decider.decide(raw)
    assert path in caught.value.errors, caught.value.errors
    assert all(messages for messages in caught.value.errors.values())


@pytest.mark.parametrize(
    ("mutation", "path", "fragment"),
    [
        ({"channel": "fax"}, "channel", "expected one of"),
        ({"order": {"amount": "12.345"}}, "order.amount", "at most 2 decimals"),
        ({"order": {"amount": "-5.00"}}, "order.amount", "at least 0.00"),
        ({"order": {"amount": "123456789.00"}}, "order.amount", "at most 100000000.00"),
        (
            {"order": {"amount": "1234567890123456789012345678.12"}},
            "order.amount",
            "at most 12 digits before the point",
        ),
        ({"received_at": "2026-03-10T10:00:00"}, "received_at", "timezone offset"),
        ({"order": {"delivered_at": "2026-01-14T10:00:00+08:00"}}, "order.delivered_at", "before paid_at"),
        ({"colour": "red"}, "colour", "unknown field"),
        (
            {"order": {"delivered_at": "9999-12-30T10:00:00+08:00"}},
            "order.delivered_at",
            "between the years 1970 and 2200",
        ),
        ({"flags": ["expedited", "expedited"]}, "flags", "once"),
        ({"customer": {"complaints_last_30_days": "3"}}, "customer.complaints_last_30_days", "whole number"),
    ],
)
def test_invalid_examples(decide, mutation, path, fragment):
    with pytest.raises(ComplaintError) as caught:
        decide(**mutation)
    assert path in caught.value.errors, caught.value.errors
    assert fragment in " ".join(caught.value.errors[path])


def test_all_problems_of_a_complaint_at_once(decide):
    with pytest.raises(ComplaintError) as caught:
        decide(channel="fax", order={"amount": "1.001"}, received_at="2026-03-10 10:00")
    assert {"channel", "order.amount", "received_at"} <= caught.value.errors.keys()


def test_not_an_object(decider):
    with pytest.raises(ComplaintError):
        decider.decide(["not", "a", "complaint"])
