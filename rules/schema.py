"""Marshmallow schema of a policy file: structure, types and required keys.

Cross-references (unknown team, duplicate id, limit order) are checked in
``rules.loader`` once the structure is known to be sound.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from rules.amounts import AMOUNT_FORM, AmountError, parse_amount
from rules.finding_codes import FINDING_CODES
from rules.offsets import OFFSET_MESSAGE, whole_minutes
from rules.vocabulary import CATEGORIES, DEADLINE_UNITS, REMEDY_TYPES, SHIPPING_PAYERS, WEEKDAYS

# What a schema has loaded, as its validators (`@validates_schema`) see it: each value has the type
# its field gives, which differs from field to field.
Loaded = dict[str, Any]
FieldInput = Mapping[str, object] | None  # the input a field is read from, as marshmallow passes it

IDENTIFIER = validate.Regexp(r"^[A-Za-z][A-Za-z0-9_]*$", error="expected an identifier (letters, digits, _)")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


class Money(fields.Field[Decimal]):
    """An amount in CNY, written 200.00 or "200.00" (``rules.amounts``' grammar), read as Decimal (never float)."""

    def _deserialize(self, value: object, attr: str | None, data: FieldInput, **kwargs: object) -> Decimal:
        try:
            return parse_amount(value)
        except AmountError as exc:
            raise ValidationError(str(exc)) from None


# A limit's own wording where it differs from an amount's: it may also be `any` or `never`.
_LIMIT_MESSAGES = {
    "form": f"expected {AMOUNT_FORM}, `any` or `never`; got {{value}}",
    "negative": "expected a limit of at least 0.00, `any` or `never`; got {value}",
}


class Limit(fields.Field[Decimal | str]):
    """An authority limit: an amount (as ``Money`` reads it), ``any`` (no limit) or ``never``."""

    def _deserialize(self, value: object, attr: str | None, data: FieldInput, **kwargs: object) -> Decimal | str:
        if value in ("any", "never"):
            return value
        try:
            return parse_amount(value)
        except AmountError as exc:
            template = _LIMIT_MESSAGES.get(exc.kind)
            raise ValidationError(template.format(value=exc.value) if template else str(exc)) from None


class Timestamp(fields.Field[dt.datetime]):
    def _deserialize(self, value: object, attr: str | None, data: FieldInput, **kwargs: object) -> dt.datetime:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValidationError("expected a timestamp with offset, e.g. 2026-01-10T00:00:00+08:00")
            if not whole_minutes(value):
                raise ValidationError(OFFSET_MESSAGE)
            return value
        raise ValidationError("expected a timestamp with offset, e.g. 2026-01-10T00:00:00+08:00")


class DayList(fields.Field[list[dt.date]]):
    """Dates and inclusive ranges ``2026-10-01..2026-10-07``, expanded to dates."""

    def _deserialize(self, value: object, attr: str | None, data: FieldInput, **kwargs: object) -> list[dt.date]:
        if not isinstance(value, list):
            raise ValidationError("expected a list of dates or ranges like 2026-10-01..2026-10-07")
        days: list[dt.date] = []
        for index, item in enumerate(value):
            days.extend(_expand(item, index))
        return days


def _expand(item: object, index: int) -> list[dt.date]:
    if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
        return [item]
    match = _RANGE.match(item) if isinstance(item, str) else None
    if not match:
        raise ValidationError(f"item {index}: expected a date (2026-10-01) or a range (2026-10-01..2026-10-07)")
    try:
        first, last = (dt.date.fromisoformat(part) for part in match.groups())
    except ValueError as exc:
        raise ValidationError(f"item {index}: {exc}") from None
    if last < first:
        raise ValidationError(f"item {index}: range ends before it starts")
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


class TimeZone(fields.String):
    """An IANA zone this machine knows: a typo is refused when the policy loads (with the close match),
    rather than a traceback at the first decision, test or lint."""

    def _deserialize(self, value: object, attr: str | None, data: FieldInput, **kwargs: object) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            close = difflib.get_close_matches(name, sorted(available_timezones()), n=1, cutoff=0.6)
            words = f"unknown timezone `{name}`; expected an IANA time zone name such as Asia/Shanghai"
            raise ValidationError(f"{words}: did you mean `{close[0]}`?" if close else words) from None
        return name


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class Described(StrictSchema):
    id = fields.String(required=True, validate=IDENTIFIER)
    description = fields.String(required=True, validate=validate.Length(min=1))
    basis = fields.String(required=True, validate=validate.Length(min=1))


class Header(StrictSchema):
    name = fields.String(required=True)
    version = fields.String(required=True, validate=validate.Length(min=1, max=64))
    announced_at = Timestamp(required=True)
    effective_from = Timestamp(required=True)
    major = fields.Boolean(load_default=False)
    timezone = TimeZone(load_default="Asia/Shanghai")
    currency = fields.String(load_default="CNY", validate=validate.OneOf(["CNY"]))


class Labelled(StrictSchema):
    id = fields.String(required=True, validate=IDENTIFIER)
    label = fields.String(required=True)


class TeamSchema(Labelled):
    default = fields.Boolean(load_default=False)


class FirstResponder(StrictSchema):
    description = fields.String(required=True)
    basis = fields.String(required=True, validate=validate.Length(min=1))


class AuthorityEntry(StrictSchema):
    label = fields.String(required=True)
    limits = fields.Dict(keys=fields.String(), values=Limit())
    limits_of = fields.String(validate=validate.OneOf(REMEDY_TYPES))
    approved_by_team = fields.String(validate=IDENTIFIER)

    @validates_schema
    def one_source(self, data: Loaded, **kwargs: object) -> None:
        if ("limits" in data) == ("limits_of" in data):
            raise ValidationError("give exactly one of `limits` or `limits_of`", "limits")


class Caps(StrictSchema):
    types = fields.List(fields.String(validate=validate.OneOf(REMEDY_TYPES)), required=True)
    basis = fields.String(required=True, validate=validate.Length(min=1))


class ApprovalFloor(Described):
    pass


class AuthoritySchema(StrictSchema):
    basis = fields.String(required=True, validate=validate.Length(min=1))
    approval_floor = fields.Nested(ApprovalFloor, required=True)
    remedies = fields.Dict(
        keys=fields.String(validate=validate.OneOf(REMEDY_TYPES)),
        values=fields.Nested(AuthorityEntry),
        required=True,
    )
    claim_caps = fields.Nested(Caps, required=True)
    order_caps = fields.Nested(Caps, required=True)


class PeriodSchema(StrictSchema):
    calendar_days = fields.Integer(validate=validate.Range(min=1, max=3660))
    working_days = fields.Integer(validate=validate.Range(min=1, max=366))
    years = fields.Integer(validate=validate.Range(min=1, max=30))
    hours = fields.Integer(validate=validate.Range(min=0, max=100_000))  # on the clock; 0: until the time itself

    @validates_schema
    def exactly_one(self, data: Loaded, **kwargs: object) -> None:
        if len(data) != 1:
            raise ValidationError("give exactly one of calendar_days, working_days, years or hours", "calendar_days")


class WindowSchema(StrictSchema):
    id = fields.String(required=True, validate=IDENTIFIER)
    label = fields.String(required=True)
    # `from` is a Python keyword; data_key keeps the YAML word.
    anchor = fields.String(required=True, data_key="from")
    period = fields.Nested(PeriodSchema, required=True)
    # Optional, no default: a policy without it keeps its digest (the law's roll-forward applies).
    roll_forward = fields.Boolean()
    basis = fields.String(required=True, validate=validate.Length(min=1))


Condition = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))


class RuleBase(Described):
    when = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)
    when_any = fields.List(
        fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)),
        validate=validate.Length(min=1),
    )


class RouteOutcome(StrictSchema):
    team = fields.String(validate=IDENTIFIER)
    min_level = fields.String(validate=IDENTIFIER)
    escalate_above = fields.String(validate=validate.OneOf(["history.level"]))
    flags = fields.List(fields.String(validate=IDENTIFIER))
    redirect = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def not_empty(self, data: Loaded, **kwargs: object) -> None:
        if not data:
            raise ValidationError("expected at least one of team, min_level, escalate_above, flags, redirect", "team")


class RoutingRule(RuleBase):
    then = fields.Nested(RouteOutcome, required=True)


class AmountSchema(StrictSchema):
    of = fields.String(validate=validate.OneOf(["order.amount", "claim.amount"]))
    fixed = Money()
    percent = fields.Decimal(validate=validate.Range(min=0, max=1000), as_string=False)
    times = fields.Decimal(validate=validate.Range(min=0, max=100), as_string=False)
    min = Money()
    max = Money()

    @validates_schema
    def base(self, data: Loaded, **kwargs: object) -> None:
        if ("of" in data) == ("fixed" in data):
            raise ValidationError("give exactly one of `of` (order.amount, claim.amount) or `fixed`", "of")
        if "fixed" in data and ({"percent", "times"} & data.keys()):
            raise ValidationError("`percent` and `times` apply to `of`, not to `fixed`", "fixed")
        if "min" in data and "max" in data and data["min"] > data["max"]:
            raise ValidationError(f"min {data['min']} is above max {data['max']}", "min")


class ComponentSchema(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(REMEDY_TYPES))
    amount = fields.Nested(AmountSchema)
    goods_return = fields.Boolean(load_default=False)
    return_shipping_paid_by = fields.String(validate=validate.OneOf(SHIPPING_PAYERS))
    outbound_shipping_paid_by = fields.String(validate=validate.OneOf(SHIPPING_PAYERS))


class RemedyField(fields.Field[list[Loaded]]):
    """``none`` or a list of remedy components."""

    def _deserialize(self, value: object, attr: str | None, data: FieldInput, **kwargs: object) -> list[Loaded]:
        if value == "none":
            return []
        if not isinstance(value, list) or not value:
            raise ValidationError("expected `none` or a list of remedy components")
        components: list[Loaded] = ComponentSchema(many=True).load(value)
        return components


class RemedyRule(RuleBase):
    category = fields.Raw(required=True)
    remedy = RemedyField(required=True)
    reason = fields.String()

    @validates_schema
    def categories(self, data: Loaded, **kwargs: object) -> None:
        category = data.get("category")
        names = category if isinstance(category, list) else [category]
        unknown = [name for name in names if name not in CATEGORIES]
        if unknown or not names:
            raise ValidationError(
                f"expected one or more of {', '.join(CATEGORIES)}; got {unknown or names}", "category"
            )
        if data.get("remedy") == [] and not data.get("reason"):
            raise ValidationError("a rule with remedy `none` must state its `reason`", "reason")


class EventSchema(StrictSchema):
    label = fields.String(required=True)
    field = fields.String()
    # Optional, no defaults: policies without them keep their digest (the deadline clock).
    counts = fields.String()  # a count field of `history` each reported event of this type adds 1 to
    once = fields.Boolean()  # reported at most once per complaint (a second one is refused)


class ClockKindSchema(StrictSchema):
    """How one deadline kind runs on reported events: what meets it, what pauses it, what a breach does."""

    met_by = fields.List(fields.String(validate=IDENTIFIER), required=True, validate=validate.Length(min=1))
    pauses_on = fields.List(fields.String(validate=IDENTIFIER))
    resumes_on = fields.List(fields.String(validate=IDENTIFIER))
    record_breach = fields.Boolean()  # `complaints escalate` records a breach of this kind as an event
    breach_sets = fields.String()  # a yes/no field of `history` a recorded breach sets (escalation, §3.10)


class ClockSchema(StrictSchema):
    due_soon_percent = fields.Integer(required=True, validate=validate.Range(min=1, max=99))
    kinds = fields.Dict(keys=fields.String(validate=IDENTIFIER), values=fields.Nested(ClockKindSchema), required=True)


class DueSchema(StrictSchema):
    after = fields.String(validate=IDENTIFIER)
    with_ = fields.String(data_key="with", validate=IDENTIFIER)
    minutes = fields.Integer(validate=validate.Range(min=1, max=100_000))
    hours = fields.Integer(validate=validate.Range(min=1, max=10_000))
    calendar_days = fields.Integer(validate=validate.Range(min=1, max=3660))
    working_days = fields.Integer(validate=validate.Range(min=1, max=366))
    # Optional, no default: a policy without it keeps its digest (the rule's `legal` decides).
    roll_forward = fields.Boolean()

    @validates_schema
    def shape(self, data: Loaded, **kwargs: object) -> None:
        units = [unit for unit in DEADLINE_UNITS if unit in data]
        if "roll_forward" in data and units != ["calendar_days"]:
            raise ValidationError(
                "roll_forward applies to a period of calendar_days: working days end on a working day already,"
                " minutes and hours are counted on the clock",
                "roll_forward",
            )
        if "with_" in data:
            if units or "after" in data:
                raise ValidationError("`with` stands alone: the deadline is that of another kind", "with")
            return
        if "after" not in data:
            raise ValidationError("expected `after: <event>` with one period, or `with: <kind>`", "after")
        if len(units) != 1:
            raise ValidationError(f"expected exactly one of {', '.join(DEADLINE_UNITS)}", "after")


class DeadlineRule(RuleBase):
    kind = fields.String(required=True, validate=IDENTIFIER)
    due = fields.Nested(DueSchema, required=True)
    legal = fields.Boolean()  # optional, no default: policies without it keep their digest


class YearSchema(StrictSchema):
    holidays = DayList(required=True)
    makeup_working_days = DayList(load_default=list)


class CalendarSchema(StrictSchema):
    basis = fields.String(required=True, validate=validate.Length(min=1))
    weekend = fields.List(fields.String(validate=validate.OneOf(WEEKDAYS)), load_default=lambda: ["saturday", "sunday"])
    outside_known_years = fields.String(required=True, validate=validate.OneOf(["error", "weekends_only", "statutory"]))
    # Optional, no default: a policy without it keeps its digest (the model defaults to 60).
    warn_days_before_end = fields.Integer(validate=validate.Range(min=1, max=3660))
    years = fields.Dict(
        keys=fields.Integer(validate=validate.Range(min=1990, max=2200)),
        values=fields.Nested(YearSchema),
        required=True,
    )


class RecordsSchema(StrictSchema):
    retention_years = fields.Integer(
        required=True, validate=validate.Range(min=3, error="expected at least 3 (ECL Art. 31)")
    )
    retention_basis = fields.String(required=True)
    explanation_basis = fields.String(required=True)
    change_notice_days = fields.Integer(required=True, validate=validate.Range(min=0))
    major_change_notice_days = fields.Integer(required=True, validate=validate.Range(min=0))
    change_notice_basis = fields.String(required=True)


class AcceptedFindingSchema(StrictSchema):
    """A lint finding the authors mean: which finding, about which rules, and why."""

    finding = fields.String(required=True, validate=validate.OneOf(sorted(FINDING_CODES)))
    rules = fields.List(fields.String(validate=IDENTIFIER), load_default=list)
    about = fields.String()
    reason = fields.String(required=True, validate=validate.Length(min=1))


class LintSchema(StrictSchema):
    accept = fields.List(fields.Nested(AcceptedFindingSchema), load_default=list)


class PolicySchema(StrictSchema):
    policy = fields.Nested(Header, required=True)
    levels = fields.List(fields.Nested(Labelled), required=True, validate=validate.Length(min=1))
    teams = fields.List(fields.Nested(TeamSchema), required=True, validate=validate.Length(min=1))
    first_responder = fields.Nested(FirstResponder, required=True)
    authority = fields.Nested(AuthoritySchema, required=True)
    windows = fields.List(fields.Nested(WindowSchema), load_default=list)
    routing = fields.List(fields.Nested(RoutingRule), required=True)
    remedies = fields.List(fields.Nested(RemedyRule), required=True)
    events = fields.Dict(keys=fields.String(validate=IDENTIFIER), values=fields.Nested(EventSchema), required=True)
    deadlines = fields.List(fields.Nested(DeadlineRule), required=True)
    clock = fields.Nested(ClockSchema)  # optional: absent keeps the digest of policies without it
    calendar = fields.Nested(CalendarSchema, required=True)
    records = fields.Nested(RecordsSchema, required=True)
    lint = fields.Nested(LintSchema)  # optional: absent keeps the digest of policies without it
