"""The default policy's routing, authority and remedy logic as one plain Python function.

This is the practical ceiling for the engine: no rules engine, no tables, the
numbers of ``policies.yaml`` written in as constants. It reads the same
prepared fact the engine's rule stage reads (``engine.facts.route_fact``:
money in integer fen, booleans 1/0, eligibility windows already counted with
``rules.calendar.WorkCalendar`` as ``within.<id>``), so that counting
windows is outside the comparison for every implementation alike.

It returns an ``Outcome`` (bench/outcome.py): route team/level/redirect,
flags, remedy rule, components (type, amount as Decimal 2dp, approver) and
the approval level.
"""

from __future__ import annotations

from bench.outcome import Outcome, fen_to_decimal

LEVELS = ("frontline", "supervisor", "manager")
FRONTLINE, SUPERVISOR, MANAGER = 0, 1, 2
# most specific first (policies.yaml `teams`)
TEAMS = ("legal_compliance", "quality_assurance", "merchant_management", "logistics", "customer_service")
LEGAL, QUALITY, MERCHANT, LOGISTICS, SERVICE = range(5)
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}

# Authority (section 2), in fen: (frontline limit, supervisor limit); above both: manager.
LIMITS = {
    "refund": (20_000, 200_000),
    "return_refund": (20_000, 200_000),
    "resend": (30_000, 300_000),
    "compensation": (5_000, 50_000),
}
CLAIM_CAPPED = frozenset(("refund", "return_refund", "compensation"))
ORDER_CAPPED = frozenset(("refund", "return_refund"))
INTACT = frozenset(("intact", "opened_for_inspection"))
NO_RETURN_GOODS = frozenset(("custom_made", "fresh_perishable", "digital_unsealed", "periodical"))
REFUND_CLAIMS = frozenset(("refund", "return_refund"))
LEGAL_CATEGORIES = frozenset(("counterfeit", "privacy"))
LOGISTICS_CATEGORIES = frozenset(("logistics_delay", "damaged_in_transit", "missing_item"))
QUALITY_EDGE = 200_000


def _family(kind: str) -> str:
    return "refund" if kind == "return_refund" else kind


def decide(f: dict) -> Outcome:
    """Route, remedy and approval for the prepared fact ``f`` of one complaint."""
    category = f["category"]
    amount = f["order.amount"]

    # Routing (section 3): every rule that applies contributes.
    redirect = None
    if category == "not_consumer_dispute":
        redirect = "R13_not_consumer_dispute"
    elif f.get("within.completed_3_years") == 0:
        redirect = "R14_older_than_3_years"
    team, level, flags = SERVICE, FRONTLINE, []
    if f["channel"] == "regulator":
        team, level = LEGAL, MANAGER
    punitive_proposed = category == "false_advertising" and f["flags.fraud_alleged"]  # M18/M19
    if (
        category in LEGAL_CATEGORIES
        or f["flags.punitive_damages_claimed"]
        or punitive_proposed
        or f["flags.safety_hazard"]
    ):
        team = LEGAL
        level = max(level, SUPERVISOR)
    if category in LOGISTICS_CATEGORIES:
        team = min(team, LOGISTICS)
    elif category == "false_advertising":
        team = min(team, MERCHANT)
    elif category == "quality_defect" and amount > QUALITY_EDGE:
        team = min(team, QUALITY)
    elif category in ("service_attitude", "refund_delay"):
        level = max(level, SUPERVISOR)
    if f["customer.complaints_last_30_days"] >= 3 or f["flags.human_review_requested"]:
        level = max(level, SUPERVISOR)
    if f["flags.media_exposure"]:
        level = max(level, SUPERVISOR)
        flags.append("public_relations")
    if f.get("history.rejected_offers", 0) >= 2 or f.get("history.resolution_overdue") == 1:
        level = max(level, min(LEVEL_RANK[f.get("history.level", "frontline")] + 1, MANAGER))
    if category == "refund_delay" and f.get("history.refund_overdue_days", 0) > 7:
        flags.append("legal_deadline_breached")
    if redirect:
        return Outcome(redirect, None, None, tuple(flags), None, (), None)

    # Remedy (section 4): within a category the first rule that holds.
    rule, parts = _remedy(f, category, amount)

    # Caps and authority (section 2); the level is never below the approval level.
    components = []
    approval = None
    claim = f.get("claim.amount")
    # A claimed amount caps only the component of the claimed type (refund and return_refund alike);
    # a claim naming no remedy caps the one capped money component, if there is just one.
    wanted = f.get("claim.remedy")
    cappable = [kind for kind, fen in parts if fen is not None and kind in CLAIM_CAPPED]
    for kind, fen in parts:
        approver_level = FRONTLINE
        approver_team = None
        if fen is not None:
            if wanted is None:
                caps = len(cappable) == 1 and kind in CLAIM_CAPPED
            else:
                caps = kind in CLAIM_CAPPED and _family(kind) == _family(wanted)
            if claim is not None and caps and claim < fen:
                fen = claim
            if kind in ORDER_CAPPED and fen > amount:
                fen = amount
            limits = LIMITS.get(kind)
            if limits:
                approver_level = FRONTLINE if fen <= limits[0] else SUPERVISOR if fen <= limits[1] else MANAGER
        if kind == "punitive_damages":
            approver_level, approver_team = None, "legal_compliance"
            team = LEGAL
        else:
            level = max(level, approver_level)
            approval = approver_level if approval is None else max(approval, approver_level)
        components.append(
            (
                kind,
                None if fen is None else fen_to_decimal(fen),
                None if approver_level is None else LEVELS[approver_level],
                approver_team,
            )
        )
    return Outcome(
        None,
        TEAMS[team],
        LEVELS[level],
        tuple(flags),
        rule,
        tuple(components),
        None if approval is None else LEVELS[approval],
    )


def _remedy(f: dict, category: str, amount: int) -> tuple[str | None, tuple]:
    if category == "no_reason_return":
        within = f.get("within.delivery_7_days")
        condition = f.get("order.goods_condition")
        if (
            within == 1
            and condition in INTACT
            and (f["order.goods_type"] not in NO_RETURN_GOODS or f["flags.merchant_promised_return"])
        ):
            return "M01_no_reason_return", (("return_refund", amount),)
        if "order.delivered_at" not in f:
            return "M02_no_reason_return_not_delivered", ()
        if within == 0:
            return "M02b_no_reason_return_too_late", ()
        if condition not in INTACT:
            return "M03_no_reason_return_goods_not_intact", ()
        return "M04_no_reason_return_excluded_goods", ()
    if category == "quality_defect":
        if f.get("within.delivery_7_days") == 1:
            return "M05_quality_return_7_days", (("return_refund", amount),)
        if f.get("within.delivery_15_days") == 1:
            return "M06_quality_exchange_15_days", (("exchange", None),)
        if f.get("history.repairs", 0) >= 2:
            return "M07_quality_exchange_after_repairs", (("exchange", None),)
        if "order.delivered_at" not in f:
            return "M07b_quality_delivery_date_needed", ()
        return "M08_quality_repair", (("repair", None),)
    if category in ("wrong_item", "missing_item"):
        if f.get("claim.remedy") in REFUND_CLAIMS:
            return "M09_wrong_or_missing_refund", (("refund", amount),)
        return "M10_wrong_or_missing_resend", (("resend", amount),)
    if category == "damaged_in_transit":
        if f["flags.consumer_chose_courier"]:
            return "M11_transit_damage_consumer_courier", ()
        if f.get("claim.remedy") in REFUND_CLAIMS:
            return "M12_transit_damage_refund", (("refund", amount),)
        return "M13_transit_damage_resend", (("resend", amount),)
    if category == "logistics_delay":
        if f.get("within.promised_delivery_due") == 1:
            return "M13b_delay_not_yet_late", ()
        if f.get("within.promised_delivery_7_days") == 0 and "order.delivered_at" not in f:
            return "M14_delay_refund_not_delivered", (("refund", amount),)
        # 10 % of the order, rounded half up to the cent, at least 5.00 and at most 50.00
        return "M15_delay_compensation", (("compensation", min(max((amount * 10 + 50) // 100, 500), 5_000)),)
    if category == "refund_delay":
        return "M16_refund_delay_compensation", (("compensation", 2_000),)
    if category == "service_attitude":
        return "M17_service_attitude", (("apology", None), ("compensation", 2_000))
    if category == "false_advertising":
        if f["flags.fraud_alleged"]:
            if f["order.goods_type"] == "food":
                return "M18_false_advertising_fraud_food", (
                    ("return_refund", amount),
                    ("punitive_damages", max(amount * 10, 100_000)),
                )
            return "M19_false_advertising_fraud", (
                ("return_refund", amount),
                ("punitive_damages", max(amount * 3, 50_000)),
            )
        return "M20_false_advertising", (("return_refund", amount),)
    if category == "counterfeit":
        if f["order.goods_type"] == "food":
            return "M21_counterfeit_food", (("refund", amount), ("punitive_damages", max(amount * 10, 100_000)))
        return "M22_counterfeit", (("refund", amount), ("punitive_damages", max(amount * 3, 50_000)))
    if category == "privacy":
        return "M23_privacy", (("apology", None), ("data_correction", None))
    if category == "price_dispute":
        if "claim.amount" in f:
            return "M24_price_dispute", (("refund", f["claim.amount"]),)
        return "M25_price_dispute_no_amount", ()
    if category == "other":
        return "M26_other", ()
    return "M27_not_consumer_dispute", ()
