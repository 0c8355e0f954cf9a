"""Amounts and approval of a remedy's components, all in Decimal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.shapes import Complaint
from rules.model import AmountSpec, Component, Policy

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Granted:
    """One component of the remedy as decided."""

    type: str
    amount: Decimal | None
    approver_level: str | None  # lowest level allowed to grant it
    approver_team: str | None  # when no level may (punitive damages)
    goods_return: bool
    return_shipping_paid_by: str | None
    capped_by: tuple[str, ...]  # "claim" and/or "order", when a cap lowered the amount
    outbound_shipping_paid_by: str | None = None

    def as_dict(self, policy: Policy) -> dict[str, object]:
        return {
            "type": self.type,
            "label": policy.authority[self.type].label,
            "amount": None if self.amount is None else f"{self.amount:.2f}",
            "approved_by": {"team": self.approver_team} if self.approver_team else {"level": self.approver_level},
            "goods_return": self.goods_return,
            # Who pays the return leg is said only where goods come back.
            "return_shipping_paid_by": self.return_shipping_paid_by if self.goods_return else None,
            "outbound_shipping_paid_by": self.outbound_shipping_paid_by,
            "capped_by": list(self.capped_by),
        }


# A claim of either refund type asks for the price back; it caps a component of either.
_CLAIM_FAMILY = {"return_refund": "refund"}


def claim_capped(components: tuple[Component, ...], claim: Mapping[str, Any], policy: Policy) -> frozenset[int]:
    """Positions of the components a claimed amount caps: only the component of the claimed type.

    A compensation claim never caps a refund. A claim that names no remedy caps the remedy's one
    capped money component, if it has exactly one; with several, nothing says which was meant.
    """
    if claim.get("amount") is None:
        return frozenset()
    capped = [i for i, c in enumerate(components) if c.amount is not None and c.type in policy.claim_caps.types]
    wanted = claim.get("remedy")
    if wanted is None:
        return frozenset(capped) if len(capped) == 1 else frozenset()
    family = _CLAIM_FAMILY.get(wanted, wanted)
    return frozenset(i for i in capped if _CLAIM_FAMILY.get(components[i].type, components[i].type) == family)


def grant(component: Component, complaint: Complaint, policy: Policy, claim_caps_it: bool = False) -> Granted:
    amount, capped = None, []
    if component.amount is not None:
        amount = _base_amount(component.amount, complaint)
        claim = complaint["claim"].get("amount")
        if claim is not None and claim_caps_it and claim < amount:
            amount, capped = claim, ["claim"]
        order_amount = complaint["order"]["amount"]
        if component.type in policy.order_caps.types and amount > order_amount:
            amount = order_amount
            capped.append("order")
    level, team = approver(component.type, amount, policy)
    return Granted(
        component.type,
        amount,
        level,
        team,
        component.goods_return,
        component.return_shipping_paid_by,
        tuple(capped),
        component.outbound_shipping_paid_by,
    )


def _base_amount(spec: AmountSpec, complaint: Complaint) -> Decimal:
    if spec.fixed is not None:
        amount = spec.fixed
    else:
        amount = complaint["claim"].get("amount") if spec.of == "claim.amount" else complaint["order"]["amount"]
        if amount is None:
            amount = Decimal("0")  # rules test `claim.amount: {present: true}` before using it
        if spec.percent is not None:
            amount = amount * spec.percent / 100
        if spec.times is not None:
            amount = amount * spec.times
    if spec.min is not None:
        amount = max(amount, spec.min)
    if spec.max is not None:
        amount = min(amount, spec.max)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def approver(kind: str, amount: Decimal | None, policy: Policy) -> tuple[str | None, str | None]:
    """The lowest level whose limit covers ``amount``, or the team that must approve instead."""
    authority = policy.authority[kind]
    for level in policy.levels:
        limit = authority.limits[level]
        # A limit is an amount, "any" or "never" (rules.schema.Limit).
        if limit == "any" or (isinstance(limit, Decimal) and (amount is None or amount <= limit)):
            return level, None
    return None, authority.approved_by_team
