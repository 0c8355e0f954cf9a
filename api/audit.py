"""Audit over HTTP: replay, what-if, verify the log, export decisions and policy texts (role auditor).

Range replays and exports stream (JSON Lines / CSV) and read the log in
batches by seq, never all at once. Request bodies (personal data) leave only
through exports, masked unless the caller holds the ``personal_data`` role and
asks for ``personal_data=include`` (see audit.masking).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from zoneinfo import ZoneInfo

from flask import Response, current_app, g, stream_with_context
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import require
from api.body import load_body
from api.context import current_decider, services
from api.decisions import report_mismatch
from api.openapi import errors
from api.prefixes import full_decision_id, full_digest
from api.problems import Problem
from audit import records as walk
from audit.export import FORMATS, MEDIA_TYPES, export_with_closing
from audit.masking import Masker
from audit.register_verify import verify_register
from audit.replay import PolicyNotStored, StoredPolicies
from audit.runs import Tally, candidate_ref, replay_one, replay_stream
from audit.verify import verify_log
from store import StoreUnavailable
from store.checkpoints import all_statements, recorded_keys
from store.times import shown

blp = Blueprint("audit", __name__, url_prefix="/v1", description="Audit: replay, verify, export")
log = logging.getLogger("complaints.service")
NDJSON = "application/x-ndjson; charset=utf-8"
PERSONAL_DATA_ROLE = "personal_data"
_BODY_LIMIT = 65_536


@blp.record_once
def _configure(state) -> None:
    """At registration: read COMPLAINTS_MASKING_KEY (a key too short refuses to start)."""
    state.app.extensions["complaints_audit"] = {"masker": Masker.from_env(), "policies": None}


def _audit() -> dict:
    return current_app.extensions["complaints_audit"]


def _stored_policies() -> StoredPolicies:
    audit = _audit()
    if audit["policies"] is None or audit["policies"].store is not services().store:
        audit["policies"] = StoredPolicies(services().store)
    return audit["policies"]


# -- schemas (shape the OpenAPI document; bodies are checked with them too) --------


class PolicyChoice(fields.Field):
    """ "stored" (each decision's own policy), "current" (the one in force) or {"digest": ...}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("stored", "current"):
            return value
        if isinstance(value, dict) and set(value) == {"digest"} and isinstance(value["digest"], str):
            return value
        raise ValidationError('expected "stored", "current" or {"digest": "<64 hex>"}')


_POLICY_DOC = {
    "description": '"stored" (default: replay on each decision\'s own policy text), "current" (what-if on the '
    'policy in force) or {"digest": "..."} (what-if on a stored policy)',
    "oneOf": [
        {"type": "string", "enum": ["stored", "current"]},
        {"type": "object", "properties": {"digest": {"type": "string"}}, "required": ["digest"]},
    ],
}


class ReplayOneSchema(Schema):
    policy = PolicyChoice(load_default="stored", metadata=_POLICY_DOC)


class ReplayRangeSchema(Schema):
    complaint_id = fields.String(
        validate=validate.Length(min=1, max=128), metadata={"description": "every decision on this complaint"}
    )
    since = fields.String(
        metadata={
            "description": "recorded at or after (ISO date or date-time; no offset: policy time zone, Asia/Shanghai)",
            "example": "2026-03-01",
        }
    )
    until = fields.String(metadata={"description": "recorded before (exclusive)", "example": "2026-04-01"})
    by = fields.String(
        load_default=walk.DEFAULT_BY,
        validate=validate.OneOf(walk.BY),
        metadata={
            "description": "which time since/until apply to: recorded (default: when the store recorded the "
            "decision) or received (the complaint's received_at, its business time; reads the whole log)"
        },
    )
    policy = PolicyChoice(load_default="stored", metadata=_POLICY_DOC)

    @validates_schema
    def one_selection(self, data, **kwargs):
        ranged = "since" in data or "until" in data
        if ("complaint_id" in data) == ranged:
            raise ValidationError("give complaint_id, or since and/or until (not both)", "complaint_id")


class ExportArgsSchema(Schema):
    since = fields.String(
        required=True, metadata={"description": "recorded at or after (inclusive)", "example": "2026-03-01"}
    )
    until = fields.String(
        required=True, metadata={"description": "recorded before (exclusive)", "example": "2026-04-01"}
    )
    by = fields.String(
        load_default=walk.DEFAULT_BY,
        validate=validate.OneOf(walk.BY),
        metadata={
            "description": "which time since/until apply to: recorded (default: when the store recorded the "
            "decision) or received (the complaint's received_at, its business time; reads the whole log)"
        },
    )
    format = fields.String(load_default="jsonl", validate=validate.OneOf(FORMATS))
    personal_data = fields.String(
        load_default="masked",
        validate=validate.OneOf(("masked", "include")),
        metadata={
            "description": "include: customer_id, order_id and description as received (needs the role "
            "personal_data as well as auditor)"
        },
    )


class DifferenceSchema(Schema):
    path = fields.String(required=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class ReplayResultSchema(Schema):
    seq = fields.Integer(required=True)
    decision_id = fields.String(required=True)
    complaint_id = fields.String(required=True)
    policy_digest = fields.String(required=True, metadata={"description": "the policy the decision was made with"})
    result = fields.String(
        required=True,
        metadata={"description": "identical | different | error (replay); unchanged | changed | error (what-if)"},
    )
    differences = fields.List(fields.Nested(DifferenceSchema), required=True)
    error = fields.String(allow_none=True)
    candidate = fields.Dict(metadata={"description": "what-if only: the policy decided on (digest, version)"})
    kinds = fields.List(
        fields.String(), metadata={"description": "what-if only: route, level, remedy, amount, deadline, flags"}
    )
    totals = fields.Dict(metadata={"description": "what-if only: refund and compensation before/after"})


class BreakSchema(Schema):
    kind = fields.String(
        required=True,
        metadata={
            "description": "edited | reordered | relinked | missing | head | purge-log | rewritten | truncated "
            "| statement"
        },
    )
    seq = fields.Integer(allow_none=True)
    decision_id = fields.String(allow_none=True)
    expected = fields.String(required=True, metadata={"description": "what the log should show there"})
    found = fields.String(required=True, metadata={"description": "what it shows"})
    meaning = fields.String(required=True, metadata={"description": "what that means (edited, deleted, ...)"})
    detail = fields.String(required=True, metadata={"description": "expected, found and meaning in one sentence"})


class VerifySchema(Schema):
    ok = fields.Boolean(required=True)
    result = fields.String(required=True, metadata={"description": "intact | broken"})
    decisions = fields.Integer(required=True)
    first_seq = fields.Integer(allow_none=True)
    last_seq = fields.Integer(allow_none=True)
    head_seq = fields.Integer(required=True)
    starts_from = fields.Dict(
        required=True, metadata={"description": "genesis, or the chain hash recorded at the last purge"}
    )
    first_break = fields.Nested(BreakSchema, allow_none=True, required=True)
    problem_count = fields.Integer(required=True)
    problems = fields.List(fields.Nested(BreakSchema), required=True, metadata={"description": "the first 100"})
    checkpoints = fields.Dict(
        required=True,
        metadata={
            "description": "signed statements in the store, how many checkpoints match the chain, the last one "
            "(number, seq, signed_at, key_id), decisions after it not yet under a signature (unsigned_after), and "
            "the keys checked against (key_source: store, i.e. recorded there)"
        },
    )
    policy_register = fields.Dict(
        metadata={"description": "the policy register's hash chain: ok, events, problems (each event named)"}
    )


def _candidate(choice):
    if choice == "stored":
        return None
    if choice == "current":
        return current_decider()
    try:
        return _stored_policies().decider(choice["digest"])
    except PolicyNotStored:
        raise Problem(
            "invalid-parameters",
            f"no stored policy {choice['digest']}",
            errors={"policy.digest": ["no stored policy with this digest"]},
        ) from None


def _utc(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        zone = ZoneInfo(current_decider().policy.timezone)
        return walk.utc_text(value, zone)
    except walk.BadTime as exc:
        raise Problem("invalid-parameters", f"{name}: {exc}", errors={name: [str(exc)]}) from None


# -- replay ---------------------------------------------------------------------------------


@blp.route("/decisions/<string:decision_id>/replay", methods=["POST"])
@blp.doc(
    summary="Replay one stored decision",
    description="Decides the stored request again on the exact policy text the decision was made with and "
    'reports `identical`, or each field that differs. With `policy` "current" or {"digest"}: what-if, i.e. '
    "which of route, level, remedy, amounts, deadlines would change. The body is optional. Role: auditor.",
    requestBody={"required": False, "content": {"application/json": {"schema": ReplayOneSchema}}},
)
@blp.response(200, ReplayResultSchema)
@errors(blp, 400, 401, 403, 404, 415, 422, 503)
def replay_decision(decision_id: str):
    require("auditor")
    args = load_body(ReplayOneSchema(), _BODY_LIMIT, optional=True)
    record = services().store.get(full_decision_id(decision_id))
    if record is None:
        raise Problem("not-found", f"no decision {decision_id}")
    g.decision_id = record.decision_id
    return replay_one(record, _stored_policies(), _candidate(args["policy"]))


@blp.route("/replays", methods=["POST"])
@blp.doc(
    summary="Replay many stored decisions (streamed)",
    description="All decisions on one complaint (`complaint_id`) or recorded in [`since`, `until`) (either bound "
    "may be left out). The answer streams as JSON Lines: one result per decision in chain order (as for "
    'POST /v1/decisions/{id}/replay), then one line with `"summary": true` and the counts. If the store fails '
    'mid-way the last line is `{"error": "store-unavailable"}`. Role: auditor.',
    requestBody={"required": True, "content": {"application/json": {"schema": ReplayRangeSchema}}},
    responses={
        "200": {
            "description": "JSON Lines: results, then a summary line",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
)
@errors(blp, 400, 401, 403, 415, 422, 503)
def replay_range():
    require("auditor")
    args = load_body(ReplayRangeSchema(), _BODY_LIMIT)
    candidate = _candidate(args["policy"])
    store, policies = services().store, _stored_policies()
    if "complaint_id" in args:
        records = walk.of_complaint(store, args["complaint_id"])
    else:
        records = walk.in_range(
            store, _utc("since", args.get("since")), _utc("until", args.get("until")), by=args["by"]
        )
    tally = Tally("what-if" if candidate else "replay", candidate_ref(candidate) if candidate else None)

    def lines():
        try:
            for result in replay_stream(records, policies, candidate, tally):
                yield json.dumps(result, ensure_ascii=False) + "\n"
        except StoreUnavailable as exc:
            log.warning("decision store unavailable during a replay", extra={"reason": str(exc)})
            yield json.dumps({"error": "store-unavailable", "after": tally.total}) + "\n"
            return
        yield json.dumps(tally.as_dict(), ensure_ascii=False) + "\n"

    return Response(stream_with_context(lines()), mimetype="application/x-ndjson", content_type=NDJSON)


# -- verify ---------------------------------------------------------------------------------


@blp.route("/audit/verify", methods=["GET"])
@blp.doc(
    summary="Verify the decision log's hash chain",
    description="Recomputes every link (from GENESIS, or from the chain hash recorded at the last retention "
    "purge) and reports `intact`, or the breaks, the first one naming the exact decision (seq and decision_id) "
    "where the log was edited, cut or reordered; `policy_register` does the same for every policy governance "
    "transition. 200 either way: read `ok`. Role: auditor.",
)
@blp.response(200, VerifySchema)
@errors(blp, 401, 403, 503)
def verify():
    require("auditor")
    report = verify_log(services().store).as_dict()
    register = verify_register(services().store)  # the governance transitions (issue 12)
    report["policy_register"] = register.as_dict()
    if not register.ok:
        report["ok"], report["result"] = False, "broken"
    return report


class StatementSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the statement's number"})
    kind = fields.String(required=True, metadata={"description": "checkpoint | purge"})
    seq = fields.Integer(required=True, metadata={"description": "the chain position signed"})
    chain_hash = fields.String(required=True)
    statement = fields.String(required=True, metadata={"description": "the canonical JSON that was signed"})
    key_id = fields.String(required=True)
    signature = fields.String(required=True, metadata={"description": "base64 Ed25519 over the statement's bytes"})


class PublicKeySchema(Schema):
    key_id = fields.String(required=True)
    public_key = fields.String(required=True, metadata={"description": "PEM"})


class CheckpointsSchema(Schema):
    statements = fields.List(fields.Nested(StatementSchema), required=True)
    public_keys = fields.List(
        fields.Nested(PublicKeySchema),
        required=True,
        metadata={"description": "as recorded in the store: compare their ids with the public key you hold"},
    )


@blp.route("/audit/checkpoints", methods=["GET"])
@blp.doc(
    summary="Signed checkpoints and purge records",
    description="Every signed statement about the hash chain, oldest first: checkpoints of the chain head and "
    "purge records, each the exact signed text, its Ed25519 signature and the id of the key that signed it. Keep "
    "them: `complaints store verify --checkpoints FILE` later proves none was removed. Role: auditor.",
)
@blp.response(200, CheckpointsSchema)
@errors(blp, 401, 403, 503)
def checkpoints():
    require("auditor")
    store = services().store
    keys = recorded_keys(store)
    return {
        "statements": [s.as_dict() for s in all_statements(store)],
        "public_keys": [
            {"key_id": k.key_id, "public_key": k.pem} for k in sorted(keys.values(), key=lambda k: k.key_id)
        ],
    }


# -- exports --------------------------------------------------------------------------------


@blp.route("/exports/decisions", methods=["GET"])
@blp.doc(
    summary="Export decisions (streamed JSON Lines or CSV)",
    description="Every decision recorded in [`since`, `until`), in chain order, each with its policy digest and "
    "version, request, decision, fired rules and chain links. Personal data (customer_id, order_id, description) "
    "is masked (keyed pseudonyms, or redacted without COMPLAINTS_MASKING_KEY) unless `personal_data=include` "
    "and the key has the role personal_data. Each row carries `integrity` (`ok`, or `mismatch`: the stored row "
    "no longer hashes to its chain_hash; logged and counted in /metrics). The last line is the closing record "
    '({"type": "closing", ...}; in CSV a last row whose first cell is #closing): row count, first and last seq, '
    "the chain head and the last checkpoint, sha256 of every line before it, signed with the service's key when "
    "one is configured. An export without it was cut off. Role: auditor.",
    responses={
        "200": {
            "description": "the export",
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
@blp.arguments(ExportArgsSchema, location="query", as_kwargs=True)
@errors(blp, 401, 403, 422, 503)
def export_decisions(since: str, until: str, by: str, format: str, personal_data: str):
    require("auditor")
    masker = _audit()["masker"]
    if personal_data == "include":
        if PERSONAL_DATA_ROLE not in g.roles:
            raise Problem("forbidden", "personal_data=include needs the role personal_data as well as auditor")
        masker = masker.unmasked()
    low, high = _utc("since", since), _utc("until", until)
    store = services().store
    store.ping()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "Content-Disposition": f'attachment; filename="decisions-{stamp}.{format}"',
        "X-Personal-Data": masker.mode,
    }
    records = walk.in_range(store, low, high, by=by)
    checkpointer = services().checkpointer
    scope = {"since": shown(low) if low else None, "until": shown(high) if high else None, "by": by}
    lines = export_with_closing(
        store,
        records,
        format,
        masker,
        signer=checkpointer.signer if checkpointer else None,
        range_shown=scope,
        on_mismatch=lambda r: report_mismatch(r, "export"),
    )
    return Response(stream_with_context(lines), content_type=MEDIA_TYPES[format], headers=headers)


@blp.route("/policies/<string:digest>/text", methods=["GET"])
@blp.doc(
    summary="The exact text of a stored policy",
    description="The policy text (YAML) byte for byte as stored, by the digest every decision cites "
    "(`policy.digest`), or a unique prefix of at least 8 characters of it. Roles: auditor, policy_admin.",
    responses={
        "200": {"description": "the policy text", "content": {"application/yaml": {"schema": {"type": "string"}}}}
    },
)
@errors(blp, 401, 403, 404, 422, 503)
def policy_text(digest: str):
    require("auditor", "policy_admin")
    digest = full_digest(digest)
    text = services().store.policy_text(digest)
    if text is None:
        raise Problem("not-found", f"no stored policy {digest}")
    return Response(text, content_type="application/yaml; charset=utf-8", headers={"X-Policy-Digest": digest})
