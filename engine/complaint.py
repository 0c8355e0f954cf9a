"""Validate a complaint against the brief's input vocabulary.

Every problem is reported at once, one message per field, with the field's
dotted path. Amounts become Decimal (never float); times must carry an offset.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import TypedDict, Unpack

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from engine.fast_path import MAX_AMOUNT, MAX_YEAR, MIN_YEAR, fast_load
from engine.shapes import Complaint
from rules.amounts import AmountError, parse_amount
from rules.field_errors import flatten_messages
from rules.offsets import OFFSET_MESSAGE, whole_minutes
from rules.schema import FieldInput, Loaded
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


class ComplaintError(ValueError):
    """A complaint that cannot be decided; ``errors`` maps field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in sorted(errors.items())))


class Amount(fields.Field[Decimal]):
    """CNY in ``rules.amounts``' grammar, given as a string ("12.50") or a JSON number, at most ``MAX_AMOUNT``."""

    def _deserialize(self, value: object, attr: str | None, data: FieldInput, **kwargs: object) -> Decimal:
        try:
            amount = parse_amount(value)
        except AmountError as exc:
            raise ValidationError(str(exc)) from None
        if amount > MAX_AMOUNT:
            raise ValidationError(f"expected at most {MAX_AMOUNT}, got {amount}")
        return amount


# Periods of years and days are added to these times; near datetime.max that
# overflows. A policy calendar lists years up to 2200 at most.


def _plausible_year(value: dt.datetime) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(f"expected a time between the years {MIN_YEAR} and {MAX_YEAR}, got {value.isoformat()}")
    if not whole_minutes(value):
        raise ValidationError(OFFSET_MESSAGE)


class _Options(TypedDict, total=False):
    """What a field of the complaint may set besides its validation."""

    required: bool
    load_default: str


def _timestamp(**kwargs: Unpack[_Options]) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        format="iso",
        validate=_plausible_year,
        error_messages={
            "invalid": "expected an ISO 8601 timestamp with offset, e.g. 2026-10-02T10:00:00+08:00",
            "invalid_awareness": "expected a timezone offset (e.g. +08:00); a time without one is ambiguous",
        },
        **kwargs,
    )


def _choice(values: tuple[str, ...], **kwargs: Unpack[_Options]) -> fields.String:
    return fields.String(validate=validate.OneOf(values, error="expected one of: {choices}; got {input}"), **kwargs)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class OrderSchema(_Strict):
    order_id = fields.String(validate=validate.Length(min=1, max=128))
    amount = Amount(required=True)
    paid_at = _timestamp()
    completed_at = _timestamp()
    delivered_at = _timestamp()
    promised_delivery_at = _timestamp()
    goods_type = _choice(GOODS_TYPES, load_default="general")
    goods_condition = _choice(GOODS_CONDITIONS)
    merchant = _choice(MERCHANTS)

    @validates_schema(skip_on_field_errors=False)
    def order_of_events(self, data: Loaded, **kwargs: object) -> None:
        paid = data.get("paid_at")
        errors: dict[str, list[str]] = {}
        for name in ("delivered_at", "completed_at"):
            if paid and data.get(name) and data[name] < paid:
                errors[name] = [f"{name} is before paid_at; expected a time at or after the payment"]
        if errors:
            raise ValidationError(errors)


def _claimed_amount(value: Decimal) -> None:
    if value == 0:
        raise ValidationError("expected an amount above 0.00; leave claim.amount out when no amount is claimed")


class ClaimSchema(_Strict):
    remedy = _choice(CLAIM_REMEDIES)
    amount = Amount(validate=_claimed_amount)


class CustomerSchema(_Strict):
    customer_id = fields.String(validate=validate.Length(min=1, max=128))
    tier = _choice(TIERS, load_default="regular")
    complaints_last_30_days = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=100_000))


def _history_schema(levels: tuple[str, ...]) -> type[Schema]:
    class HistorySchema(_Strict):
        level = _choice(levels)
        rejected_offers = fields.Integer(strict=True, validate=validate.Range(min=0, max=1000))
        resolution_overdue = fields.Boolean(truthy={True}, falsy={False})
        repairs = fields.Integer(strict=True, validate=validate.Range(min=0, max=1000))
        refund_overdue_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))
        return_received_at = _timestamp()  # the returned goods reached the seller: starts the refund
        goods_at_service_centre_at = _timestamp()  # the goods reached the after-sales centre: exchange, repair

    return HistorySchema


@lru_cache(maxsize=16)
def complaint_schema(levels: tuple[str, ...]) -> Schema:
    """The complaint schema; ``history.level`` names the levels of the policy in force."""

    class ComplaintSchema(_Strict):
        complaint_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
        received_at = _timestamp(required=True)
        channel = _choice(CHANNELS, required=True)
        category = _choice(CATEGORIES, required=True)
        order = fields.Nested(OrderSchema, required=True)
        claim = fields.Nested(ClaimSchema, load_default=dict)
        customer = fields.Nested(CustomerSchema, load_default=lambda: {"tier": "regular", "complaints_last_30_days": 0})
        history = fields.Nested(_history_schema(levels), load_default=dict)
        flags = fields.List(_choice(INPUT_FLAGS), load_default=list)
        description = fields.String(validate=validate.Length(max=20_000))

        @validates_schema
        def flags_once(self, data: Loaded, **kwargs: object) -> None:
            flags = data.get("flags", [])
            if len(set(flags)) != len(flags):
                raise ValidationError("each flag may be given once", "flags")

        @validates_schema(skip_on_field_errors=False)
        def order_times_before_receipt(self, data: Loaded, **kwargs: object) -> None:
            received = data.get("received_at")
            order = data.get("order") or {}
            late = {
                name: [order_time_error(name, order[name], received)]
                for name in ORDER_TIMES_BEFORE_RECEIPT
                if received and order.get(name) and order[name] > received
            }
            if late:
                raise ValidationError({"order": late})

    return ComplaintSchema()


# Order events a complaint can only report once they happened; promised_delivery_at may lie ahead.
ORDER_TIMES_BEFORE_RECEIPT = ("paid_at", "delivered_at", "completed_at")
_EVENT_WORDS = {"paid_at": "a payment", "delivered_at": "a delivery", "completed_at": "a completion"}


def order_time_error(name: str, moment: dt.datetime, received: dt.datetime) -> str:
    return (
        f"order.{name} ({moment.isoformat()}) is after received_at ({received.isoformat()}); a complaint cannot "
        f"report {_EVENT_WORDS[name]} still to come: expected order.{name} at or before received_at"
    )


def validate_complaint(raw: object, levels: tuple[str, ...]) -> Complaint:
    """The complaint as typed values, or ``ComplaintError`` naming every bad field."""
    if not isinstance(raw, dict):
        raise ComplaintError({"": ["expected a JSON object describing one complaint"]})
    loaded = fast_load(raw, levels)  # plainly valid input skips marshmallow; anything else gets its messages
    if loaded is not None:
        return loaded
    try:
        complaint: Complaint = complaint_schema(levels).load(raw)
        return complaint
    except ValidationError as exc:
        found = flatten_messages(exc.messages)
        raise ComplaintError({path or "complaint": [_plain(m) for m in msgs] for path, msgs in found.items()}) from None


def _plain(message: str) -> str:
    return {
        "Unknown field.": "unknown field; the fields a complaint may have are in the Complaint schema (/openapi.json, /docs/api/)",
        "Missing data for required field.": "required field is missing",
        "Not a valid integer.": "expected a whole number",
        "Not a valid string.": "expected text",
        "Not a valid boolean.": "expected true or false",
        "Invalid input type.": "expected an object",
        "Not a valid list.": "expected a list",
    }.get(message, message)
