"""/v1/policies: which version decides when, and previewing a candidate's impact. HTTP only.

Proposing, approving and the notice are in ``api/proposals.py``.
"""

from __future__ import annotations

import datetime as dt

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates

from api.auth import require
from api.body import load_body
from api.context import services
from api.openapi import errors
from api.problems import policy_problem
from api.proposals import governance
from audit import records as walk
from audit.replay import impact
from engine.compiled import decider_for
from rules.errors import PolicyError
from rules.loader import load_policy_text
from rules.offsets import OFFSET_MESSAGE, whole_minutes
from store import ROLES

blp = Blueprint("policies", __name__, url_prefix="/v1", description="Policy versions: which decides when, and preview")


class VersionSchema(Schema):
    version = fields.String(required=True)
    digest = fields.String(required=True)
    announced_at = fields.String(required=True)
    effective_from = fields.String(required=True)
    major = fields.Boolean(required=True)
    state = fields.String(required=True, metadata={"description": "in force, scheduled or superseded"})
    source = fields.String(required=True, metadata={"description": "register (governed) or file (development)"})
    decides = fields.String(required=True, metadata={"description": "the complaints this version decides"})


class VersionsSchema(Schema):
    mode = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "governed (only scheduled versions decide) or development (the file too)"},
    )
    versions = fields.List(
        fields.Nested(VersionSchema), required=True, metadata={"description": "by effective_from, never tied"}
    )
    register = fields.List(
        fields.Dict(), required=True, metadata={"description": "every version in the policy register, any state"}
    )
    reload = fields.Dict(required=True, metadata={"description": "reloads, failures and the last reload error"})


def _in_utc_range(value: dt.datetime) -> None:
    try:
        value.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        raise ValidationError("outside the years 1 to 9999 once converted to UTC") from None
    if not whole_minutes(value):
        raise ValidationError(OFFSET_MESSAGE)


class ImpactRequestSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1), metadata={"description": "candidate YAML"})
    since = fields.AwareDateTime(required=True, format="iso", validate=_in_utc_range)
    until = fields.AwareDateTime(load_default=None, format="iso", validate=_in_utc_range)
    by = fields.String(
        load_default=walk.DEFAULT_BY,
        validate=validate.OneOf(walk.BY),
        metadata={
            "description": "which time since/until apply to: recorded (default: when the store recorded the "
            "decision) or received (the complaint's received_at, its business time; reads the whole log)"
        },
    )
    examples = fields.Integer(load_default=3, validate=validate.Range(min=0, max=50))

    @validates("until")
    def after_since(self, value, **kwargs):
        if value is not None and value.year > 2200:
            raise ValidationError("expected a time before 2200")


def _body_doc(schema: str, description: str) -> dict:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def register_schemas(spec) -> None:
    spec.components.schema("ImpactRequest", schema=ImpactRequestSchema)


def _versions(book, scheduled: set[str], now: dt.datetime) -> list[dict]:
    """Each version of the book, the complaints it decides: received from its start to the next one's."""
    out = []
    versions = book.versions
    for index, decider in enumerate(versions):
        policy = decider.policy
        following = versions[index + 1].policy.effective_from if index + 1 < len(versions) else None
        if now < policy.effective_from:
            state = "scheduled"
        elif following is not None and following <= now:
            state = "superseded"
        else:
            state = "in force"
        until = f" and before {following.isoformat()}" if following else ""
        out.append(
            {
                "version": policy.version,
                "digest": policy.digest,
                "announced_at": policy.announced_at.isoformat(),
                "effective_from": policy.effective_from.isoformat(),
                "major": policy.major,
                "state": state,
                "source": "register" if policy.digest in scheduled else "file",
                "decides": f"complaints received at or after {policy.effective_from.isoformat()}{until}",
            }
        )
    return out


@blp.route("/policies", methods=["GET"])
@blp.doc(
    summary="Which version decides a complaint received when",
    description="The versions this instance decides under, ordered by effective_from (never tied): a complaint "
    "is decided under the latest one at or before its received_at. In governed mode (production) these are the "
    "versions scheduled in the policy register; in development the policy file decides too. `register` lists "
    "every version proposed, in any state. Roles: any (decider, auditor, policy_admin, policy_approver, personal_data).",
)
@blp.response(200, VersionsSchema)
@errors(blp, 401, 403, 503)
def list_versions():
    require(*ROLES)  # any role: the policy in force is no secret (README, API table)
    registry = services().policies
    status = registry.status
    register = governance().versions()
    scheduled = {v["digest"] for v in register if v["state"] in ("scheduled", "in force", "superseded")}
    return {
        "mode": registry.mode,
        "versions": _versions(registry.current(), scheduled, dt.datetime.now(dt.UTC)),
        "register": register,
        "reload": {
            "reloads": status.reloads,
            "failures": status.failures,
            "last_error": status.last_error,
            "last_error_at": status.last_error_at,
        },
    }


@blp.route("/policies/impact", methods=["POST"])
@blp.doc(
    summary="Preview a candidate policy on past decisions",
    description="Replays the decisions recorded (or, with `by: received`, received) in [since, until) under the "
    "candidate and reports how many "
    "change and how (route, level, remedy, amounts, deadlines), refund and compensation totals before and "
    "after, and examples of each kind. Nothing is stored. Roles: policy_admin, auditor.",
    requestBody=_body_doc("ImpactRequest", "The candidate policy text and the period to replay"),
)
@blp.response(200, description="The impact report")
@errors(blp, 400, 401, 403, 415, 422, 503)
def preview_impact():
    require("policy_admin", "auditor")
    body = load_body(ImpactRequestSchema(), services().settings.max_batch_body_bytes)
    try:
        candidate = decider_for(load_policy_text(body["text"], "<candidate policy>"))
    except PolicyError as error:
        raise policy_problem(error) from None
    since = body["since"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    until = body["until"].astimezone(dt.UTC).isoformat(timespec="microseconds") if body["until"] else None
    records = walk.in_range(services().store, since, until, by=body["by"])
    report = impact(records, candidate, body["examples"])
    return {"policy": {"version": candidate.policy.version, "digest": candidate.policy.digest}, **report.as_dict()}
