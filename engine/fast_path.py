"""A fast path for complaints that are plainly valid.

Marshmallow validation is ~45% of a decision's time. This checks the same
rules in plain Python and returns the same loaded dict; on anything unusual
(a wrong type, an unknown key, a value out of range, a bool where a number is
expected) it declines with ``None`` and the marshmallow schema decides,
naming every bad field. A differential test holds the two to the same result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Any

from rules.amounts import as_amount
from rules.offsets import whole_minutes
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

MAX_AMOUNT = Decimal("100000000.00")
MIN_YEAR, MAX_YEAR = 1970, 2200
CENT = Decimal("0.01")

_TOP = frozenset(
    {
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
    }
)
_ORDER = frozenset(
    {
        "order_id",
        "amount",
        "paid_at",
        "completed_at",
        "delivered_at",
        "promised_delivery_at",
        "goods_type",
        "goods_condition",
        "merchant",
    }
)
_ORDER_TIMES = ("paid_at", "completed_at", "delivered_at", "promised_delivery_at")
_CLAIM = frozenset({"remedy", "amount"})
_CUSTOMER = frozenset({"customer_id", "tier", "complaints_last_30_days"})
_HISTORY_COUNTS = {"rejected_offers": 1000, "repairs": 1000, "refund_overdue_days": 100_000}
_HISTORY_TIMES = ("return_received_at", "goods_at_service_centre_at")
_HISTORY = frozenset({"level", "resolution_overdue", *_HISTORY_TIMES, *_HISTORY_COUNTS})
_FLAGS = frozenset(INPUT_FLAGS)


class _Decline(Exception):
    pass


def fast_load(raw: object, levels: tuple[str, ...]) -> dict[str, Any] | None:
    """The loaded complaint, or None to let the full schema decide (and explain)."""
    try:
        return _load(raw, levels)
    except (_Decline, KeyError, TypeError, ValueError, InvalidOperation, OverflowError):
        return None


def _load(raw: object, levels: tuple[str, ...]) -> dict[str, Any]:
    if type(raw) is not dict or not raw.keys() <= _TOP:
        raise _Decline
    out: dict[str, Any] = {
        "complaint_id": _text(raw["complaint_id"], 1, 128),
        "received_at": _time(raw["received_at"]),
        "channel": _one_of(raw["channel"], CHANNELS),
        "category": _one_of(raw["category"], CATEGORIES),
        "order": _order(raw["order"]),
        "claim": _claim(raw.get("claim", {})),
        "customer": _customer(raw["customer"])
        if "customer" in raw
        else {"tier": "regular", "complaints_last_30_days": 0},
        "history": _history(raw.get("history", {}), levels),
        "flags": _flags(raw.get("flags", [])),
    }
    if "description" in raw:
        out["description"] = _text(raw["description"], 0, 20_000)
    received = out["received_at"]
    for name in ("paid_at", "delivered_at", "completed_at"):  # engine.complaint.ORDER_TIMES_BEFORE_RECEIPT
        moment = out["order"].get(name)
        if moment is not None and moment > received:
            raise _Decline
    return out


def _order(raw: object) -> dict[str, Any]:
    if type(raw) is not dict or not raw.keys() <= _ORDER:
        raise _Decline
    out: dict[str, Any] = {
        "amount": _amount(raw["amount"]),
        "goods_type": _one_of(raw.get("goods_type", "general"), GOODS_TYPES),
    }
    if "order_id" in raw:
        out["order_id"] = _text(raw["order_id"], 1, 128)
    for name in _ORDER_TIMES:
        if name in raw:
            out[name] = _time(raw[name])
    if "goods_condition" in raw:
        out["goods_condition"] = _one_of(raw["goods_condition"], GOODS_CONDITIONS)
    if "merchant" in raw:
        out["merchant"] = _one_of(raw["merchant"], MERCHANTS)
    paid = out.get("paid_at")
    if paid is not None:
        for name in ("delivered_at", "completed_at"):
            if name in out and out[name] < paid:
                raise _Decline
    return out


def _claim(raw: object) -> dict[str, Any]:
    if type(raw) is not dict or not raw.keys() <= _CLAIM:
        raise _Decline
    out: dict[str, Any] = {}
    if "remedy" in raw:
        out["remedy"] = _one_of(raw["remedy"], CLAIM_REMEDIES)
    if "amount" in raw:
        out["amount"] = _amount(raw["amount"])
        if out["amount"] == 0:  # a claim of nothing is a field error (engine.complaint.ClaimSchema)
            raise _Decline
    return out


def _customer(raw: object) -> dict[str, Any]:
    if type(raw) is not dict or not raw.keys() <= _CUSTOMER:
        raise _Decline
    out: dict[str, Any] = {
        "tier": _one_of(raw.get("tier", "regular"), TIERS),
        "complaints_last_30_days": _count(raw.get("complaints_last_30_days", 0), 100_000),
    }
    if "customer_id" in raw:
        out["customer_id"] = _text(raw["customer_id"], 1, 128)
    return out


def _history(raw: object, levels: tuple[str, ...]) -> dict[str, Any]:
    if type(raw) is not dict or not raw.keys() <= _HISTORY:
        raise _Decline
    out: dict[str, Any] = {}
    if "level" in raw:
        out["level"] = _one_of(raw["level"], levels)
    for name, top in _HISTORY_COUNTS.items():
        if name in raw:
            out[name] = _count(raw[name], top)
    if "resolution_overdue" in raw:
        if type(raw["resolution_overdue"]) is not bool:
            raise _Decline
        out["resolution_overdue"] = raw["resolution_overdue"]
    for name in _HISTORY_TIMES:
        if name in raw:
            out[name] = _time(raw[name])
    return out


def _flags(raw: object) -> list[str]:
    if type(raw) is not list or len(set(raw)) != len(raw):
        raise _Decline
    for flag in raw:
        if type(flag) is not str or flag not in _FLAGS:
            raise _Decline
    return list(raw)


def _text(value: object, low: int, high: int) -> str:
    if type(value) is not str or not low <= len(value) <= high:
        raise _Decline
    return value


def _one_of(value: object, allowed: Collection[str]) -> str:
    if type(value) is not str or value not in allowed:
        raise _Decline
    return value


def _count(value: object, top: int) -> int:
    if type(value) is not int or not 0 <= value <= top:
        raise _Decline
    return value


def _amount(value: object) -> Decimal:
    if type(value) is not str and type(value) is not int and type(value) is not Decimal:
        raise _Decline
    amount = as_amount(value)  # the one grammar of money (rules.amounts)
    if amount is None or amount > MAX_AMOUNT:
        raise _Decline
    return amount


def _time(value: object) -> dt.datetime:
    if type(value) is not str:
        raise _Decline
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None or moment.utcoffset() is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise _Decline
    if not whole_minutes(moment):
        raise _Decline
    return moment
