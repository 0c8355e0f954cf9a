"""Marshmallow schemas of the HTTP API: they shape responses and the OpenAPI document.

Complaint bodies are not loaded through these schemas: the engine validates
complaints itself (engine.complaint) and the body is parsed with Decimal amounts.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class FieldErrorSchema(Schema):
    field = fields.String(required=True, metadata={"description": "dotted path of the bad field, e.g. order.amount"})
    messages = fields.List(fields.String(), required=True)
    code = fields.String(
        metadata={"description": "policy issues only: the issue's stable code (the manual, /docs/reference/codes/)"}
    )


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"description": "URI reference of the problem type (see /docs)"})
    code = fields.String(
        required=True, metadata={"description": "the problem's stable code (the manual, /docs/reference/codes/)"}
    )
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(allow_none=True, metadata={"description": "the request path"})
    request_id = fields.String(allow_none=True, metadata={"description": "also sent as the X-Request-ID header"})
    errors = fields.List(
        fields.Nested(FieldErrorSchema),
        metadata={"description": "validation problems only: one entry per bad field"},
    )


class PolicyRefSchema(Schema):
    digest = fields.String(required=True)
    version = fields.String(required=True)


class ReceiptRefSchema(Schema):
    log = fields.String(required=True, metadata={"description": "the Merkle tree the decision is a leaf of: decisions"})
    index = fields.Integer(
        required=True, metadata={"description": "the decision's leaf index in that tree (its seq - 1), fixed forever"}
    )
    proof = fields.String(
        required=True,
        metadata={
            "description": "URL of the inclusion proof (GET /v1/decisions/{id}/receipt), given once a signed "
            "checkpoint covers the decision: fetch and keep it"
        },
    )


class ReceiptSchema(Schema):
    """An inclusion proof (RFC 9162 2.1.3) of one decision under a signed checkpoint, as `complaints audit prove`
    writes it; examples/verify_proof.py checks it offline with the public key."""

    format = fields.String(required=True, metadata={"description": "complaints-inclusion-proof/1"})
    log = fields.String(required=True, metadata={"description": "decisions"})
    leaf = fields.String(
        required=True,
        metadata={"description": "the leaf's data: canonical JSON of the decision's log, seq, decision_id, chain_hash"},
    )
    index = fields.Integer(required=True, metadata={"description": "the leaf's index (seq - 1)"})
    tree_size = fields.Integer(required=True, metadata={"description": "leaves of the signed tree"})
    path = fields.List(fields.String(), required=True, metadata={"description": "the audit path, hex sha256 hashes"})
    statement = fields.Dict(
        required=True,
        metadata={
            "description": "the signed checkpoint stating the tree's size and root: its canonical JSON text "
            "(`statement`), base64 Ed25519 `signature` and `key_id`"
        },
    )


class DecisionRecordSchema(Schema):
    """A stored decision: the engine's decision plus what the store recorded about it."""

    decision_id = fields.String(required=True)
    complaint_id = fields.String(required=True)
    previous_decision_id = fields.String(
        allow_none=True, metadata={"description": "the decision this one supersedes on the same complaint"}
    )
    created_at = fields.String(
        required=True,
        metadata={"description": "when it was recorded: RFC 3339 at +08:00 (Asia/Shanghai), like every time we show"},
    )
    request_digest = fields.String(
        required=True, metadata={"description": "sha256 of the canonical JSON of the request body"}
    )
    policy = fields.Nested(PolicyRefSchema, required=True)
    engine_version = fields.String(required=True)
    fired_rules = fields.List(fields.String(), required=True)
    chain_hash = fields.String(required=True, metadata={"description": "link of the store's tamper-evident hash chain"})
    integrity = fields.String(
        required=True,
        metadata={
            "description": "ok: the stored row still hashes to its chain_hash; mismatch: it was changed after it "
            "was recorded (logged and counted in /metrics as complaints_integrity_mismatches)",
            "enum": ["ok", "mismatch"],
        },
    )
    decision = fields.Dict(
        required=True,
        metadata={
            "description": "the engine's decision: route, remedy, deadlines, flags, warnings, explanation "
            "(the same bytes a replay on the same policy gives)"
        },
    )
    receipt = fields.Nested(
        ReceiptRefSchema,
        required=True,
        metadata={"description": "where the decision sits in the log's Merkle tree and where to fetch its proof"},
    )


class DecisionPageSchema(Schema):
    items = fields.List(fields.Nested(DecisionRecordSchema), required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)
    next = fields.String(allow_none=True, metadata={"description": "URL of the next page, or null"})


MAX_PAGE = 1_000_000  # times page_size_max: more decisions than one complaint ever has; keeps the offset small


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1))


class BatchRequestSchema(Schema):
    complaints = fields.List(
        fields.Dict(), required=True, metadata={"description": "complaints, each as for POST /v1/decisions"}
    )


class BatchItemSchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "position in the request's complaints list"})
    complaint_id = fields.String(allow_none=True)
    status = fields.Integer(
        required=True, metadata={"description": "201 new, 200 stored before, else the error status"}
    )
    decision = fields.Nested(DecisionRecordSchema, allow_none=True)
    problem = fields.Nested(ProblemSchema, allow_none=True)


class BatchSummarySchema(Schema):
    created = fields.Integer(required=True)
    existing = fields.Integer(required=True)
    failed = fields.Integer(required=True)


class BatchResponseSchema(Schema):
    results = fields.List(fields.Nested(BatchItemSchema), required=True)
    summary = fields.Nested(BatchSummarySchema, required=True)


class RuleSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "routing, remedy, deadline or approval"})
    description = fields.String(required=True)
    basis = fields.String(required=True)
    line = fields.Integer(required=True, metadata={"description": "line in the policy file"})


class PolicyOutSchema(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)
    digest = fields.String(required=True)
    announced_at = fields.String(required=True)
    effective_from = fields.String(required=True)
    major = fields.Boolean(required=True)
    timezone = fields.String(required=True)
    engine_version = fields.String(required=True)
    rules = fields.List(fields.Nested(RuleSchema), required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    version = fields.String(required=True, metadata={"description": "the service's version (the package's)"})


class CalendarHorizonSchema(Schema):
    today = fields.String(required=True)
    last_day = fields.String(required=True, metadata={"description": "last day of the last listed year"})
    days_left = fields.Integer(required=True, metadata={"description": "0 or less: the calendar has run out"})
    warn_days = fields.Integer(required=True, metadata={"description": "calendar.warn_days_before_end"})
    running_out = fields.Boolean(required=True)


class ReadySchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    policy = fields.Nested(PolicyRefSchema, required=True)
    calendar = fields.Nested(CalendarHorizonSchema, allow_none=True, required=True)
    policy_mode = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "governed (production: only scheduled versions decide) or development (the file too)"},
    )
