"""Turn a validated complaint into the flat fact durable_rules evaluates.

The engine compares only JSON numbers and strings, so money becomes integer
fen, booleans 1/0 and timestamps epoch seconds; eligibility windows are
counted here with the policy's calendar and given as ``within.<id>``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from engine.shapes import Complaint, Fact
from rules.calendar import CountingTrace, WorkCalendar
from rules.compiler import DEADLINE_FACT, ROUTE_FACT
from rules.model import Policy, Window
from rules.vocabulary import INPUT_FLAGS, REMEDY_TYPES

_DATE_FIELDS = ("paid_at", "completed_at", "delivered_at", "promised_delivery_at")
# (complaint field, fact key) pairs, the keys formatted once rather than once per fact.
_ORDER_KEYS = tuple((name, f"order.{name}") for name in ("goods_condition", "merchant"))
_DATE_KEYS = tuple((name, f"order.{name}") for name in _DATE_FIELDS)
_FLAG_KEYS = tuple((flag, f"flags.{flag}") for flag in INPUT_FLAGS)
_REMEDY_KEYS = tuple((kind, f"decision.remedy.{kind}") for kind in REMEDY_TYPES)


def to_fen(amount: Decimal) -> int:
    return int(amount * 100)


def lookup(complaint: Complaint, path: str) -> object:
    """Value at a dotted path of the validated complaint, or None."""
    value: object = complaint
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def route_fact(
    complaint: Complaint, policy: Policy, calendar: WorkCalendar, trace: CountingTrace, windows: tuple[Window, ...]
) -> Fact:
    """The rule fact; of the eligibility windows only ``windows`` (those a rule that can fire reads) are counted."""
    order, claim = complaint["order"], complaint["claim"]
    customer, history = complaint["customer"], complaint["history"]
    received: dt.datetime = complaint["received_at"]
    fact: dict[str, object] = {
        "t": ROUTE_FACT,
        "channel": complaint["channel"],
        "category": complaint["category"],
        "received_on_working_day": int(calendar.is_working_day(received.astimezone(calendar.tz).date(), trace)),
        "order.amount": to_fen(order["amount"]),
        "order.goods_type": order["goods_type"],
        "customer.tier": customer["tier"],
        "customer.complaints_last_30_days": customer["complaints_last_30_days"],
    }
    for name, key in _ORDER_KEYS:
        if name in order:
            fact[key] = order[name]
    for name, key in _DATE_KEYS:
        if name in order:
            fact[key] = int(order[name].timestamp())
    if "remedy" in claim:
        fact["claim.remedy"] = claim["remedy"]
    if "amount" in claim:
        fact["claim.amount"] = to_fen(claim["amount"])
    for name, value in history.items():
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, dt.datetime):
            value = int(value.timestamp())
        fact[f"history.{name}"] = value
    flags = set(complaint["flags"])
    for flag, key in _FLAG_KEYS:
        fact[key] = int(flag in flags)
    for window in windows:
        anchor = lookup(complaint, window.anchor)
        if isinstance(anchor, dt.datetime):
            within = calendar.within(anchor, received, window.unit, window.amount, trace, window.roll_forward)
            fact[f"within.{window.id}"] = int(within)
    return fact


def deadline_fact(
    base: Fact, team: str | None, level: str | None, remedy_types: set[str], goods_return: bool, flags: list[str]
) -> Fact:
    return dict(base, t=DEADLINE_FACT, **decision_keys(team, level, remedy_types, goods_return, flags))


def decision_keys(
    team: str | None, level: str | None, remedy_types: set[str], goods_return: bool, flags: list[str]
) -> Fact:
    """The ``decision.*`` keys the deadline fact adds to the route fact."""
    fact: dict[str, object] = {"decision.redirect": int(team is None), "decision.goods_return": int(goods_return)}
    if team is not None:
        fact["decision.team"] = team
        fact["decision.level"] = level
    for kind, key in _REMEDY_KEYS:
        fact[key] = int(kind in remedy_types)
    for flag in flags:
        fact[f"decision.flags.{flag}"] = 1
    return fact
