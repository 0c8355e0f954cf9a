"""The deadline clock over HTTP: report events, the work queue and its summary, the escalation run.

HTTP only: recording and re-deciding is lifecycle.clock_service, the queue's queries store.clock.
"Now" of a queue query or an escalation run is an explicit parameter (default: the request's time),
stated in every answer.
"""

from __future__ import annotations

import datetime as dt

from flask import g, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import require
from api.body import load_body, read_json
from api.context import services
from api.decisions import record_out
from api.openapi import errors
from api.problems import Problem
from api.schemas import DecisionRecordSchema
from engine.complaint import ComplaintError
from engine.events import parse_time
from lifecycle.clock_service import ClockService, UnknownComplaint
from store.clock import COUNT_CAP, PERIODS, STATUSES, due_list, due_summary
from store.times import DISPLAY_ZONE

blp = Blueprint("clock", __name__, url_prefix="/v1", description="The deadline clock: events, work queues, escalation")

_EVENT_BODY = {
    "required": True,
    "description": "One event: `type` (an event of the policy: return_received, goods_at_service_centre, "
    "responded, offer_rejected, customer_replied, waiting_for_customer, resumed, refund_paid, resolved, "
    "followed_up, closed), `at` (ISO 8601 with offset), optional `note` and `reference`.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["type", "at"],
                "properties": {
                    "type": {"type": "string", "example": "return_received"},
                    "at": {"type": "string", "example": "2026-11-03T10:00:00+08:00"},
                    "note": {"type": "string", "maxLength": 2000},
                    "reference": {"type": "string", "maxLength": 128},
                },
                "additionalProperties": False,
            }
        }
    },
}
SUMMARY_HORIZON = {"hour": dt.timedelta(hours=48), "day": dt.timedelta(days=14)}


def clock_service() -> ClockService:
    shared = services()
    if shared.clock_service is None:
        shared.clock_service = ClockService(
            shared.store,
            lambda: shared.policies.current().versions,
            max_skew=dt.timedelta(seconds=shared.settings.event_max_skew_seconds),
        )
    return shared.clock_service


class Moment(fields.Field):
    """A time with its offset (ISO 8601)."""

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        try:
            return parse_time(value, attr or "time")
        except ComplaintError as exc:
            raise ValidationError(next(iter(exc.errors.values()))) from None


_NAME = validate.Regexp(
    r"^[A-Za-z][A-Za-z0-9_]{0,63}$", error="expected an identifier of the policy (letters, digits, _)"
)
_NOW_DOC = {"description": "the time the queue is read at (default: the request's time); stated in the answer"}


class QueueArgsSchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(STATUSES))
    due_before = Moment(metadata={"description": "only deadlines due before this time"})
    team = fields.String(validate=_NAME)
    level = fields.String(validate=_NAME)
    kind = fields.String(validate=_NAME)
    now = Moment(metadata=_NOW_DOC)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1))


class SummaryArgsSchema(Schema):
    by = fields.String(load_default="hour", validate=validate.OneOf(sorted(PERIODS)))
    team = fields.String(validate=_NAME)
    now = Moment(metadata=_NOW_DOC)
    until = Moment(metadata={"description": "count deadlines due before this (default: 48 hours or 14 days ahead)"})

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("now") and data.get("until") and data["until"] <= data["now"]:
            raise ValidationError("expected a time after now", "until")


class EscalationArgsSchema(Schema):
    now = Moment(metadata={"description": "breaches due at or before this time are recorded (default: now)"})


class QueueEntrySchema(Schema):
    complaint_id = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"description": "scheduled, due_soon or breached as of `now`"})
    due_at = fields.String()
    due_soon_at = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    rule = fields.String()
    decision_id = fields.String()
    decision = fields.String(metadata={"description": "URL of the decision that set this deadline"})


class QueuePageSchema(Schema):
    now = fields.String()
    items = fields.List(fields.Nested(QueueEntrySchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer(metadata={"description": f"matching deadlines, counted up to {COUNT_CAP:,}"})
    total_exact = fields.Boolean(metadata={"description": f"false: more than {COUNT_CAP:,} match"})
    next = fields.String(allow_none=True)


class PeriodCountSchema(Schema):
    period = fields.String(metadata={"description": "the hour (2026-11-03T10) or day (2026-11-03), Asia/Shanghai"})
    due = fields.Integer()


class SummarySchema(Schema):
    now = fields.String()
    until = fields.String()
    by = fields.String()
    team = fields.String(allow_none=True)
    breached = fields.Integer(metadata={"description": "open deadlines already past due at `now`"})
    periods = fields.List(fields.Nested(PeriodCountSchema))


class NotificationSchema(Schema):
    kind = fields.String(metadata={"description": "deadline.due_soon, deadline.breached or decision.escalated"})
    payload = fields.Dict()


class EventAnswerSchema(DecisionRecordSchema):
    notifications = fields.List(fields.Nested(NotificationSchema))


class EscalationRunSchema(Schema):
    now = fields.String()
    examined = fields.Integer()
    recorded = fields.List(fields.Dict(), metadata={"description": "breaches recorded by this run"})
    already = fields.Integer(metadata={"description": "recorded meanwhile by another run, or met since"})
    failed = fields.List(fields.Dict())
    warned = fields.List(fields.Dict(), metadata={"description": "due_soon warnings given by this run"})
    notifications = fields.List(fields.Nested(NotificationSchema))


def _now(given: dt.datetime | None) -> dt.datetime:
    return (given or services().clock()).astimezone(DISPLAY_ZONE)


@blp.route("/complaints/<path:complaint_id>/events", methods=["POST"])
@blp.doc(
    summary="Report an event on a complaint",
    description="Records the event in the hash chain with the decision re-made on the complaint and all its "
    "events (pending deadlines scheduled, met or missed ones marked, paused time added back, escalation applied), "
    "linked to the previous decision: 201. The same event again (complaint, type and `at`) records nothing "
    "and answers the decision it produced: 200. An unknown type, a time before the complaint or before the last "
    "event, a second `resolved`: 422 naming the field, nothing recorded. Role: decider.",
    requestBody=_EVENT_BODY,
)
@blp.response(201, EventAnswerSchema, description="Recorded, with the decision re-made on it")
@blp.alt_response(200, schema=EventAnswerSchema, description="Recorded before: its decision", success=True)
@errors(blp, 400, 401, 403, 404, 413, 415, 422, 503)
def report_event(complaint_id: str):
    require("decider")
    raw, _text = read_json(services().settings.max_body_bytes)
    try:
        outcome = clock_service().report(complaint_id, raw, now=services().clock())
    except UnknownComplaint:
        raise Problem(
            "not-found", f"no decision was recorded for complaint {complaint_id}; POST /v1/decisions first"
        ) from None
    except ComplaintError as exc:
        raise Problem("validation", "the event cannot be recorded; see errors", errors=exc.errors) from None
    g.decision_id = outcome.record.decision_id
    body = record_out(outcome.record, fresh=outcome.created)
    body["notifications"] = [{"kind": n.kind, "payload": n.payload} for n in outcome.notifications]
    location = url_for("decisions.get_decision", decision_id=outcome.record.decision_id)
    return body, 201 if outcome.created else 200, {"Location": location}


@blp.route("/deadlines", methods=["GET"])
@blp.doc(
    summary="The work queue: open deadlines across complaints",
    description="Deadlines on the clock of each complaint's latest decision, soonest first, paginated, from the "
    "store's deadline index. `status`: open (all), due_soon (the policy's share of the period has run, not yet "
    "due) or breached (due at or before `now`). Roles: decider, auditor.",
)
@blp.arguments(QueueArgsSchema, location="query", as_kwargs=True)
@blp.response(200, QueuePageSchema)
@errors(blp, 401, 403, 422, 503)
def list_deadlines(status, page, page_size, now=None, due_before=None, team=None, level=None, kind=None):
    require("decider", "auditor")
    limit = services().settings.page_size_max
    if page_size > limit:
        raise Problem(
            "invalid-parameters", f"page_size is at most {limit}", errors={"page_size": [f"expected 1 to {limit}"]}
        )
    moment = _now(now)
    offset = (page - 1) * page_size
    entries, total = due_list(
        services().store,
        now=moment,
        status=status,
        due_before=due_before,
        team=team,
        level=level,
        kind=kind,
        limit=page_size,
        offset=offset,
    )
    assert total is not None
    exact = total <= COUNT_CAP
    total = min(total, COUNT_CAP)
    query = {"status": status, "now": moment.isoformat(), "page_size": page_size}
    query.update({k: v for k, v in (("team", team), ("level", level), ("kind", kind)) if v})
    if due_before is not None:
        query["due_before"] = due_before.isoformat()
    return {
        "now": moment.isoformat(),
        "items": [_entry_out(entry, moment) for entry in entries],
        "page": page,
        "page_size": page_size,
        "total": total,
        "total_exact": exact,
        "next": url_for("clock.list_deadlines", page=page + 1, **query)
        if offset + len(entries) < total or not exact
        else None,
    }


def _entry_out(entry, moment: dt.datetime) -> dict:
    soon = dt.datetime.fromisoformat(entry.due_soon_at) if entry.due_soon_at else None
    return {
        "complaint_id": entry.complaint_id,
        "kind": entry.kind,
        "status": entry.status_at(moment),
        "due_at": entry.due_local,
        "due_soon_at": soon.astimezone(DISPLAY_ZONE).isoformat() if soon else None,
        "team": entry.team,
        "level": entry.level,
        "rule": entry.rule,
        "decision_id": entry.decision_id,
        "decision": url_for("decisions.get_decision", decision_id=entry.decision_id),
    }


@blp.route("/deadlines/summary", methods=["GET"])
@blp.doc(
    summary="Deadlines due per hour or day, for staffing",
    description="Open deadlines due after `now` and before `until`, counted per hour or day (Asia/Shanghai), "
    "and how many are already past due. Roles: decider, auditor.",
)
@blp.arguments(SummaryArgsSchema, location="query", as_kwargs=True)
@blp.response(200, SummarySchema)
@errors(blp, 401, 403, 422, 503)
def summarise_deadlines(by, now=None, until=None, team=None):
    require("decider", "auditor")
    moment = _now(now)
    end = (until or moment + SUMMARY_HORIZON[by]).astimezone(DISPLAY_ZONE)
    if end <= moment:
        raise Problem("invalid-parameters", "until is not after now", errors={"until": ["expected a time after now"]})
    counts, breached = due_summary(services().store, now=moment, until=end, by=by, team=team)
    return {
        "now": moment.isoformat(),
        "until": end.isoformat(),
        "by": by,
        "team": team,
        "breached": breached,
        "periods": [{"period": period, "due": count} for period, count in counts],
    }


@blp.route("/escalations:run", methods=["POST"])
@blp.doc(
    summary="Record breaches and escalate",
    description="Every deadline whose kind records its breach (the policy's clock), due at or before `now` and "
    "not met, gets its breach recorded as an event at its due time, and its complaint is re-decided (escalation "
    "per §3.10, `legal_deadline_breached` for a legal deadline); the due_soon warnings reached by `now` are "
    "given. Two runs at once record each breach once. The answer lists what this run recorded and the "
    'notifications it produced. Body: `{"now": "..."}` (optional; default: the request\'s time). Role: decider.',
)
@blp.response(200, EscalationRunSchema)
@errors(blp, 400, 401, 403, 413, 415, 422, 503)
def run_escalations():
    require("decider")
    args = load_body(EscalationArgsSchema(), services().settings.max_body_bytes, optional=True)
    run = clock_service().escalate(_now(args.get("now")))
    return run.as_dict()
