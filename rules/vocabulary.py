"""The words a complaint may use (the brief's input vocabulary) and the facts rules may test."""

from __future__ import annotations

from dataclasses import dataclass

CHANNELS = (
    "online_chat",
    "phone",
    "email",
    "platform_message",
    "social_media",
    "self_service",
    "regulator",
)
CATEGORIES = (
    "no_reason_return",
    "quality_defect",
    "wrong_item",
    "missing_item",
    "damaged_in_transit",
    "logistics_delay",
    "refund_delay",
    "service_attitude",
    "false_advertising",
    "counterfeit",
    "privacy",
    "price_dispute",
    "not_consumer_dispute",
    "other",
)
GOODS_TYPES = (
    "general",
    "food",
    "custom_made",
    "fresh_perishable",
    "digital_unsealed",
    "periodical",
)
GOODS_CONDITIONS = ("intact", "opened_for_inspection", "used", "damaged")
MERCHANTS = ("self_operated", "third_party")
TIERS = ("regular", "vip")
INPUT_FLAGS = (
    "safety_hazard",
    "media_exposure",
    "fraud_alleged",
    "punitive_damages_claimed",
    "human_review_requested",
    "merchant_promised_return",
    "consumer_chose_courier",
    "expedited",
)
REMEDY_TYPES = (
    "refund",
    "return_refund",
    "resend",
    "exchange",
    "repair",
    "compensation",
    "apology",
    "data_correction",
    "punitive_damages",
)
CLAIM_REMEDIES = REMEDY_TYPES + ("none",)
SHIPPING_PAYERS = ("consumer", "seller")
DEADLINE_UNITS = ("minutes", "hours", "calendar_days", "working_days")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class FieldKind:
    """What a rule may test a fact field against."""

    kind: str  # enum | money | count | bool | date
    values: tuple[str, ...] = ()


def fact_fields(
    levels: tuple[str, ...], teams: tuple[str, ...], windows: tuple[str, ...], output_flags: tuple[str, ...]
) -> dict[str, FieldKind]:
    """Fields a condition may name. Stage-2 (deadline) rules may also test ``decision.*``."""
    fields: dict[str, FieldKind] = {
        "channel": FieldKind("enum", CHANNELS),
        "category": FieldKind("enum", CATEGORIES),
        "received_on_working_day": FieldKind("bool"),
        "order.amount": FieldKind("money"),
        "order.goods_type": FieldKind("enum", GOODS_TYPES),
        "order.goods_condition": FieldKind("enum", GOODS_CONDITIONS),
        "order.merchant": FieldKind("enum", MERCHANTS),
        "order.paid_at": FieldKind("date"),
        "order.completed_at": FieldKind("date"),
        "order.delivered_at": FieldKind("date"),
        "order.promised_delivery_at": FieldKind("date"),
        "claim.remedy": FieldKind("enum", CLAIM_REMEDIES),
        "claim.amount": FieldKind("money"),
        "customer.tier": FieldKind("enum", TIERS),
        "customer.complaints_last_30_days": FieldKind("count"),
        "history.level": FieldKind("enum", levels),
        "history.rejected_offers": FieldKind("count"),
        "history.resolution_overdue": FieldKind("bool"),
        "history.repairs": FieldKind("count"),
        "history.refund_overdue_days": FieldKind("count"),
        "history.return_received_at": FieldKind("date"),
        "history.goods_at_service_centre_at": FieldKind("date"),
    }
    fields.update({f"flags.{flag}": FieldKind("bool") for flag in INPUT_FLAGS})
    fields.update({f"within.{window}": FieldKind("bool") for window in windows})
    return fields


def decision_fields(
    levels: tuple[str, ...], teams: tuple[str, ...], output_flags: tuple[str, ...]
) -> dict[str, FieldKind]:
    """Fields describing the route and remedy, available to deadline rules."""
    fields: dict[str, FieldKind] = {
        "decision.team": FieldKind("enum", teams),
        "decision.level": FieldKind("enum", levels),
        "decision.redirect": FieldKind("bool"),
        "decision.goods_return": FieldKind("bool"),
    }
    fields.update({f"decision.remedy.{kind}": FieldKind("bool") for kind in REMEDY_TYPES})
    fields.update({f"decision.flags.{flag}": FieldKind("bool") for flag in output_flags})
    return fields
