"""/v1/policies: governed policy change over HTTP (propose, approve, reject, withdraw, show, notice). HTTP only.

Identities come from API keys: the proposer is the key that proposed, and an approver's key must
be another one. The rules themselves are in ``lifecycle/governance.py``.
"""

from __future__ import annotations

import re

from flask import current_app, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import require
from api.body import load_body
from api.context import services
from api.openapi import errors
from api.problems import Problem, answer_language, policy_problem
from audit.recent_impact import recent_impact
from lifecycle.governance import Actor, ChangeRefused, Governance, VersionNotFound
from rules.errors import PolicyError

blp = Blueprint("governance", __name__, url_prefix="/v1", description="Governed policy change: four eyes, notice")

READERS = ("decider", "auditor", "policy_admin", "policy_approver")
_TEXT = validate.Length(min=1, max=4000)


class ProposeSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1), metadata={"description": "policy YAML"})
    tests = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "the policy tests YAML (policies.tests.yaml); they must pass"},
    )
    reason = fields.String(required=True, validate=_TEXT, metadata={"description": "why this change"})
    short_notice_reason = fields.String(
        load_default=None,
        validate=_TEXT,
        metadata={"description": "acknowledges a notice shorter than 7 days (major: 15), with the written reason"},
    )


class CommentSchema(Schema):
    comment = fields.String(required=True, validate=_TEXT, metadata={"description": "the reviewer's comment"})


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=_TEXT, metadata={"description": "why it is withdrawn"})


class PolicyEventSchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "position in the policy register's hash chain"})
    event = fields.String(required=True)
    at = fields.String(required=True, metadata={"description": "the server's clock (UTC)"})
    by = fields.String(required=True, metadata={"description": "key:<key_id>, operator:<user@host> or system"})
    by_name = fields.String(required=True)
    reason = fields.String(required=True)
    chain_hash = fields.String(required=True)


class GovernedVersionSchema(Schema):
    digest = fields.String(required=True)
    version = fields.String(required=True)
    effective_from = fields.String(required=True)
    major = fields.Boolean(required=True)
    state = fields.String(
        required=True,
        metadata={"description": "proposed, approved, rejected, scheduled, in force, superseded or withdrawn"},
    )
    proposed_by = fields.String(allow_none=True)
    proposed_at = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    scheduled_at = fields.String(allow_none=True)
    notice = fields.Dict(allow_none=True, metadata={"description": "the notice measured when it was scheduled"})
    short_notice = fields.Dict(allow_none=True, metadata={"description": "the acknowledged shorter notice, if any"})


class VersionDetailSchema(GovernedVersionSchema):
    history = fields.List(fields.Nested(PolicyEventSchema), required=True)
    review_packet = fields.Dict(
        allow_none=True,
        metadata={"description": "check, lint, policy tests and coverage, diff against the version replaced, impact"},
    )


class NoticeSchema(Schema):
    version = fields.String(required=True)
    digest = fields.String(required=True)
    state = fields.String(required=True)
    effective_from = fields.String(required=True)
    announced_at = fields.String(allow_none=True)
    notice_days = fields.Integer(allow_none=True)
    replaces = fields.Dict(allow_none=True)
    changes = fields.List(fields.Dict(), required=True)
    zh = fields.String(required=True, metadata={"description": "the notice in Chinese"})
    en = fields.String(required=True, metadata={"description": "the notice in English"})


def register_schemas(spec) -> None:
    for name, schema in (
        ("ProposeRequest", ProposeSchema),
        ("ReviewComment", CommentSchema),
        ("WithdrawReason", ReasonSchema),
    ):
        spec.components.schema(name, schema=schema)


def _body_doc(schema: str, description: str) -> dict:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def governance() -> Governance:
    """One per app: the register remembers that its tables exist."""
    found = current_app.extensions.get("complaints_governance")
    if found is None:
        ctx = services()
        found = Governance(
            ctx.store,
            min_coverage=ctx.settings.min_coverage,
            impact=recent_impact(ctx.store, ctx.settings.impact_days),
        )
        current_app.extensions["complaints_governance"] = found
    return found


DEV_ACTOR_HEADER = "X-Complaints-Actor"
_DEV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._@-]{0,63}")
_NO_ACTOR = {
    "en": (
        "API keys are off (development), so this request names nobody, and four eyes need two people: "
        f"say who acts with the header `{DEV_ACTOR_HEADER}: <name>` (honoured only with keys off, never in "
        "production; the approver must name someone else), or turn keys on (COMPLAINTS_AUTH=keys) and use "
        "one key per person, or sign in to the web console"
    ),
    "zh": (
        "API 密钥已关闭（开发环境），此请求没有指明是谁，而四眼原则需要两个人："
        f"请用请求头 `{DEV_ACTOR_HEADER}: <姓名>` 说明由谁操作（仅在密钥关闭时有效，生产环境中从不采用；"
        "批准人须是另一个人），或开启密钥（COMPLAINTS_AUTH=keys）每人使用自己的密钥，或登录网页控制台"
    ),
}


def _actor(review: bool = False) -> Actor:
    """Who proposes, approves, rejects or withdraws: the API key's holder. With keys off (development
    only) every caller is the same anonymous one, who could never approve what they proposed: a caller
    names a person with ``X-Complaints-Actor``; an approval or rejection (``review``) without one is
    refused in words, saying what to do."""
    settings = services().settings
    if settings.auth_mode != "off":
        return Actor.key(g.get("key_id") or "anonymous", g.get("key_name") or "anonymous", g.get("key_person"))
    named = request.headers.get(DEV_ACTOR_HEADER, "").strip()
    if not named and not review:
        return Actor.key("anonymous", "anonymous (API keys off)")
    if settings.env == "production" or not _DEV_NAME.fullmatch(named):
        lang = answer_language()
        problem = _NO_ACTOR[lang]
        if named:
            problem += (
                f"; `{named[:64]}` is not a name (letters, digits, . _ @ -)"
                if lang == "en"
                else f"；`{named[:64]}` 不是有效的名称（字母、数字、. _ @ -）"
            )
        raise Problem(
            "policy-change-refused",
            f"refused by rule anonymous_actor: {problem}",
            errors={"anonymous_actor": [problem]},
            error_codes={"anonymous_actor": "anonymous_actor"},
            headers={"Content-Language": lang},
        )
    return Actor.key(f"dev-{named}", f"{named} (development, API keys off)")


def refused(error: ChangeRefused) -> Problem:
    """The refusal; lint findings in the language ``Accept-Language`` prefers (English unless zh), codes unchanged."""
    lang = answer_language()
    messages = [error.text(lang)]
    for detail in error.detail_dicts(lang)[:20]:
        messages.append("; ".join(f"{k}: {v}" for k, v in detail.items() if v not in (None, [], {})))
    return Problem(
        "policy-change-refused",
        f"refused by rule {error.rule}: {error.text(lang)}",
        errors={error.rule: messages},
        error_codes={error.rule: error.rule},
        headers={"Content-Language": lang} if error.words is not None else None,
    )


def _transition(run):
    try:
        out = run()
    except ChangeRefused as error:
        raise refused(error) from None
    except VersionNotFound as error:
        raise Problem("not-found", str(error)) from None
    services().policies.refresh(force=True)
    return out


@blp.route("/policies", methods=["POST"])
@blp.doc(
    summary="Propose a policy version",
    description="Checks, compiles and lints the text, runs its policy tests (they must pass, with at least "
    "COMPLAINTS_MIN_COVERAGE % of rules and when_any alternatives exercised), and records the proposal with "
    "its review packet (findings, test results, the diff against the version it replaces, the impact over the "
    "last COMPLAINTS_IMPACT_DAYS days). effective_from must be at least 7 days (major: 15) after the moment it "
    "will be scheduled, unless `short_notice_reason` acknowledges a shorter notice; never in the past. "
    "Nothing decides under it until another key approves it. Role: policy_admin.",
    requestBody=_body_doc("ProposeRequest", "The policy text, its tests and the reason for the change"),
)
@blp.response(201, VersionDetailSchema, description="Proposed")
@errors(blp, 400, 401, 403, 409, 413, 415, 422, 503)
def propose():
    require("policy_admin")
    body = load_body(ProposeSchema(), services().settings.max_batch_body_bytes)
    try:
        out = _transition(
            lambda: governance().propose(
                body["text"],
                body["tests"],
                _actor(),
                body["reason"],
                short_notice_reason=body["short_notice_reason"],
                book=services().policies.current(),
            )
        )
    except PolicyError as error:
        raise policy_problem(error) from None
    return out, 201


@blp.route("/policies/<string:digest>", methods=["GET"])
@blp.doc(
    summary="A version's state, history and review packet",
    description="The digest or a unique prefix of at least 8 characters. Roles: decider, auditor, policy_admin, "
    "policy_approver.",
)
@blp.response(200, VersionDetailSchema)
@errors(blp, 401, 403, 404, 503)
def show(digest: str):
    require(*READERS)
    try:
        return governance().view(digest)
    except VersionNotFound as error:
        raise Problem("not-found", str(error)) from None


@blp.route("/policies/<string:digest>/approve", methods=["POST"])
@blp.doc(
    summary="Approve a proposal, which schedules it",
    description="By a key other than the proposer's. The notice is measured from this moment: refused if "
    "effective_from is now in the past, or closer than the notice period without an acknowledgement. "
    "Role: policy_approver.",
    requestBody=_body_doc("ReviewComment", "The approver's comment"),
)
@blp.response(200, VersionDetailSchema)
@errors(blp, 400, 401, 403, 404, 409, 415, 422, 503)
def approve(digest: str):
    require("policy_approver")
    body = load_body(CommentSchema(), services().settings.max_body_bytes)
    return _transition(lambda: governance().approve(digest, _actor(review=True), body["comment"]))


@blp.route("/policies/<string:digest>/reject", methods=["POST"])
@blp.doc(
    summary="Reject a proposal",
    description="By a key other than the proposer's, with a comment. Role: policy_approver.",
    requestBody=_body_doc("ReviewComment", "The reviewer's comment"),
)
@blp.response(200, VersionDetailSchema)
@errors(blp, 400, 401, 403, 404, 409, 415, 422, 503)
def reject(digest: str):
    require("policy_approver")
    body = load_body(CommentSchema(), services().settings.max_body_bytes)
    return _transition(lambda: governance().reject(digest, _actor(review=True), body["comment"]))


@blp.route("/policies/<string:digest>/withdraw", methods=["POST"])
@blp.doc(
    summary="Withdraw a version before it takes effect",
    description="A proposed, approved or scheduled version whose effective_from has not come. "
    "Roles: policy_admin, policy_approver.",
    requestBody=_body_doc("WithdrawReason", "Why it is withdrawn"),
)
@blp.response(200, VersionDetailSchema)
@errors(blp, 400, 401, 403, 404, 409, 415, 422, 503)
def withdraw(digest: str):
    require("policy_admin", "policy_approver")
    body = load_body(ReasonSchema(), services().settings.max_body_bytes)
    return _transition(lambda: governance().withdraw(digest, _actor(), body["reason"]))


@blp.route("/policies/<string:digest>/notice", methods=["GET"])
@blp.doc(
    summary="The public change notice (公示), in Chinese and English",
    description="The version, when it takes effect, when it was announced and the changes in words against the "
    "version it replaces. A version not scheduled is marked as a draft. Roles: decider, auditor, policy_admin, "
    "policy_approver.",
)
@blp.response(200, NoticeSchema)
@errors(blp, 401, 403, 404, 503)
def notice(digest: str):
    require(*READERS)
    try:
        return governance().notice(digest)
    except VersionNotFound as error:
        raise Problem("not-found", str(error)) from None
