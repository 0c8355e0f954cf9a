"""/v1/policies: the versions known, publishing a new one, and previewing its impact. HTTP only."""

from __future__ import annotations

import datetime as dt

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates

from api.auth import require
from api.body import load_body
from api.context import services
from api.openapi import errors
from api.problems import Problem, policy_problem
from audit import records as walk
from audit.replay import impact
from engine.compiled import decider_for
from lifecycle.publish import ACKNOWLEDGEABLE, PublishRefused, publish
from rules.errors import PolicyError
from rules.loader import load_policy_text
from store import ROLES

blp = Blueprint("policies", __name__, url_prefix="/v1", description="Policy versions: publish and preview")


class VersionSchema(Schema):
    version = fields.String(required=True)
    digest = fields.String(required=True)
    announced_at = fields.String(required=True)
    effective_from = fields.String(required=True)
    major = fields.Boolean(required=True)


class VersionsSchema(Schema):
    versions = fields.List(fields.Nested(VersionSchema), required=True, metadata={"description": "oldest first"})
    reload = fields.Dict(required=True, metadata={"description": "reloads, failures and the last reload error"})


class PublishSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1), metadata={"description": "policy YAML"})
    acknowledge = fields.List(fields.String(validate=validate.OneOf(ACKNOWLEDGEABLE)), load_default=list)
    published_by = fields.String(load_default=None, validate=validate.Length(max=200))


class PublishedSchema(VersionSchema):
    published = fields.Boolean(
        required=True, metadata={"description": "false: this exact version was published before"}
    )
    acknowledged = fields.List(fields.String(), required=True)


def _in_utc_range(value: dt.datetime) -> None:
    try:
        value.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        raise ValidationError("outside the years 1 to 9999 once converted to UTC") from None


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
    spec.components.schema("PublishRequest", schema=PublishSchema)
    spec.components.schema("ImpactRequest", schema=ImpactRequestSchema)


def _version(policy) -> dict:
    return {
        "version": policy.version,
        "digest": policy.digest,
        "announced_at": policy.announced_at.isoformat(),
        "effective_from": policy.effective_from.isoformat(),
        "major": policy.major,
    }


@blp.route("/policies", methods=["GET"])
@blp.doc(
    summary="Policy versions this instance applies",
    description="Each complaint is decided under the version whose effective_from is the latest at or before "
    "its received_at. Includes reload status. Roles: any (decider, auditor, policy_admin, personal_data).",
)
@blp.response(200, VersionsSchema)
@errors(blp, 401, 403)
def list_versions():
    require(*ROLES)  # any role: the policy in force is no secret (README, API table)
    registry = services().policies
    status = registry.status
    return {
        "versions": [_version(d.policy) for d in registry.current().versions],
        "reload": {
            "reloads": status.reloads,
            "failures": status.failures,
            "last_error": status.last_error,
            "last_error_at": status.last_error_at,
        },
    }


@blp.route("/policies", methods=["POST"])
@blp.doc(
    summary="Publish a policy version",
    description="Validates, compiles and lints the text, stores it by digest and publishes it to every instance "
    "sharing the store (they pick it up within COMPLAINTS_POLICY_POLL_SECONDS). A version announced less "
    "than 7 days (major: 15) before it takes effect needs `acknowledge: [short_notice]`. Role: policy_admin.",
    requestBody=_body_doc("PublishRequest", "The policy text and any acknowledged warning"),
)
@blp.response(201, PublishedSchema, description="Published")
@blp.alt_response(200, schema=PublishedSchema, description="Published before: nothing changed", success=True)
@errors(blp, 400, 401, 403, 409, 415, 422, 503)
def publish_version():
    require("policy_admin")
    body = load_body(PublishSchema(), services().settings.max_batch_body_bytes)
    try:
        result = publish(
            services().store,
            body["text"],
            "<published policy>",
            body["published_by"] or g.get("key_id") or "api",
            tuple(body["acknowledge"]),
        )
    except PolicyError as error:
        raise policy_problem(error) from None
    except PublishRefused as refused:
        raise Problem(
            "publish-refused",
            str(refused),
            errors={f"{f['code']} (line {f['line']})": [f["message"]] for f in refused.findings},
            error_codes={f"{f['code']} (line {f['line']})": f["code"] for f in refused.findings},
        ) from None
    services().policies.refresh(force=True)
    out = {**_version(result.policy), "published": result.published, "acknowledged": result.acknowledged}
    return out, 201 if result.published else 200


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
