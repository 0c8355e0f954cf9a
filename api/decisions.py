"""/v1/decisions and /v1/complaints/{id}/decisions: HTTP only, the deciding is lifecycle.decision_service."""

from __future__ import annotations

import logging
import time

from flask import current_app, g, request, url_for
from flask_smorest import Blueprint

from api import metrics
from api.auth import require
from api.body import array_item_texts, read_json
from api.context import services
from api.openapi import errors
from api.prefixes import full_decision_id
from api.problems import Problem, problem_for
from api.record_json import record_response
from api.schemas import BatchResponseSchema, DecisionPageSchema, DecisionRecordSchema, PageArgsSchema, ReceiptSchema
from audit.masking import Masker
from audit.proofs import ProofUnavailable, inclusion
from lifecycle.decision_service import Outcome
from store import StoredDecision
from store.chain import integrity
from store.times import shown

blp = Blueprint("decisions", __name__, url_prefix="/v1", description="Decide complaints and read stored decisions")
log = logging.getLogger("complaints.service")

_COMPLAINT_BODY = {
    "required": True,
    "description": 'One complaint (see the input vocabulary). Amounts as strings ("199.00") or JSON numbers; '
    "numbers are read as decimals, never floats.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Complaint"}}},
}
_BATCH_BODY = {
    "required": True,
    "description": "Up to the configured batch limit (default 500) of complaints.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}}},
}
_LOCATION = {"Location": {"description": "URL of the stored decision", "schema": {"type": "string"}}}


def report_mismatch(record: StoredDecision, where: str) -> None:
    """A served row that no longer hashes to its chain_hash: logged (no personal data) and counted in /metrics."""
    metrics.INTEGRITY_MISMATCHES.labels(where=where).inc()
    log.warning(
        "stored decision does not hash to its chain_hash: it was changed after it was recorded",
        extra={"decision_id": record.decision_id, "seq": record.seq, "where": where},
    )


def checked(record: StoredDecision) -> str:
    """The row's link recomputed: ``ok`` or ``mismatch`` (reported)."""
    result = integrity(record.as_row())
    if result == "mismatch":
        report_mismatch(record, "read")
    return result


def reader_masker() -> Masker:
    """What a reader of stored decisions gets: masked (``audit.masking``) unless the key holds personal_data."""
    audit = current_app.extensions.get("complaints_audit")
    masker = audit["masker"] if audit else Masker.from_env()
    return masker.unmasked() if "personal_data" in g.roles else masker


def receipt_of(record: StoredDecision) -> dict:
    """The decision's receipt as every answer carries it: its leaf in the decisions Merkle tree (leaf
    ``seq - 1``: store.merkle) and where to fetch the inclusion proof once a signed checkpoint covers it.
    Nothing is computed here (the POST path stays cheap); GET .../receipt computes the proof."""
    return {
        "log": "decisions",
        "index": record.seq - 1,
        "proof": url_for("decisions.get_receipt", decision_id=record.decision_id),
    }


def record_out(record: StoredDecision, *, fresh: bool = False, masker: Masker | None = None) -> dict:
    """A stored decision as served; ``fresh``: just appended (its chain_hash was computed from these values);
    ``masker``: a reader's (personal fields in the decision masked), None for the caller's own submission."""
    return {
        "decision_id": record.decision_id,
        "complaint_id": record.complaint_id,
        "previous_decision_id": record.previous_decision_id,
        "created_at": shown(record.created_at),
        "request_digest": record.request_digest,
        "policy": {"digest": record.policy_digest, "version": record.policy_version},
        "engine_version": record.engine_version,
        "fired_rules": record.fired_rule_ids(),
        "chain_hash": record.chain_hash,
        "integrity": "ok" if fresh else checked(record),
        "decision": masker.mask_dict(record.decision_dict()) if masker is not None else record.decision_dict(),
        "receipt": receipt_of(record),
    }


def _submit(raw: object, text: str) -> Outcome:
    """Decide and record one complaint; raises for anything but success (see api.problems.SHARED_FAILURES)."""
    started = time.perf_counter()
    # A bad complaint, a date off the calendar or the store down: problems by api.problems.problem_for.
    outcome = services().service.submit(raw, text)
    metrics.DECISION_SECONDS.observe(time.perf_counter() - started)
    if outcome.decision is not None:  # created: counted from the decision in hand, not the stored text
        metrics.count_decision(outcome.decision)
    else:
        metrics.REPLAYS.inc()
    return outcome


@blp.route("/decisions", methods=["POST"])
@blp.doc(
    summary="Decide one complaint",
    description="Validates, decides and durably records the complaint, then returns the stored decision (201). "
    "Sending the same body again returns the stored decision (200) and records nothing. The same complaint_id "
    "with a different body (e.g. a re-evaluation with `history`) is a new decision whose `previous_decision_id` "
    "links the one before. Role: decider.",
    requestBody=_COMPLAINT_BODY,
)
@blp.response(201, DecisionRecordSchema, description="Decided and recorded", headers=_LOCATION)
@blp.alt_response(200, schema=DecisionRecordSchema, description="Decided before: the stored decision", success=True)
@errors(blp, 400, 401, 403, 413, 415, 422, 503)
def create_decision():
    require("decider")
    raw, text = read_json(services().settings.max_body_bytes)
    outcome = _submit(raw, text)
    g.decision_id = outcome.record.decision_id
    location = url_for("decisions.get_decision", decision_id=outcome.record.decision_id)
    integrity = "ok" if outcome.created else checked(outcome.record)
    return record_response(outcome.record, integrity, 201 if outcome.created else 200, {"Location": location})


@blp.route("/decisions/batch", methods=["POST"])
@blp.doc(
    summary="Decide many complaints",
    description="Each complaint is decided and recorded on its own (its own transaction): one bad item never "
    "sinks the others. The answer is 200 with one result per item, in order; each result has the status the "
    "item would have had alone (201, 200, 422, 503...) and either the decision or a problem document. "
    "Once the store is found unavailable, the remaining items are not decided (503 each). Role: decider.",
    requestBody=_BATCH_BODY,
)
@blp.response(200, BatchResponseSchema, description="Per-item results")
@errors(blp, 400, 401, 403, 413, 415, 422)
def create_batch():
    require("decider")
    settings = services().settings
    raw, text = read_json(settings.max_batch_body_bytes)
    if not isinstance(raw, dict) or not isinstance(raw.get("complaints"), list):
        raise Problem(
            "validation",
            'expected an object {"complaints": [...]}',
            errors={"complaints": ["expected a list of complaints"]},
        )
    unknown = sorted(set(raw) - {"complaints"})
    if unknown:
        raise Problem("validation", "unknown fields in the batch", errors={name: ["unknown field"] for name in unknown})
    items = raw["complaints"]
    if not items:
        raise Problem("validation", "the batch is empty", errors={"complaints": ["expected at least one complaint"]})
    if len(items) > settings.batch_limit:
        raise Problem(
            "batch-too-large",
            f"{len(items)} complaints in one batch; the limit is {settings.batch_limit}",
            errors={"complaints": [f"expected at most {settings.batch_limit} complaints"]},
        )
    texts = array_item_texts(text, "complaints")
    assert texts is not None  # raw["complaints"] is a list: checked above
    results: list[dict] = []
    summary = {"created": 0, "existing": 0, "failed": 0}
    store_down: Problem | None = None
    for index, (item, item_text) in enumerate(zip(items, texts, strict=True)):
        complaint_id = item.get("complaint_id") if isinstance(item, dict) else None
        result: dict[str, object] = {
            "index": index,
            "complaint_id": complaint_id if isinstance(complaint_id, str) else None,
        }
        try:
            if store_down is not None:
                raise store_down
            outcome = _submit(item, item_text)
        except Exception as exc:  # noqa: BLE001 - one item's failure must not sink the batch
            problem = problem_for(exc) or _internal(exc, index)
            if problem.slug == "store-unavailable":
                store_down = problem
            document = problem.document()
            document["instance"] = f"{request.path}#/complaints/{index}"
            metrics.ERRORS.labels(kind=problem.slug).inc()
            result.update(status=problem.status, decision=None, problem=document)
            summary["failed"] += 1
        else:
            result.update(
                status=201 if outcome.created else 200,
                decision=record_out(outcome.record, fresh=outcome.created),
                problem=None,
            )
            summary["created" if outcome.created else "existing"] += 1
        results.append(result)
    g.batch = summary
    return {"results": results, "summary": summary}


def _internal(exc: Exception, index: int) -> Problem:
    log.error(
        "batch item failed unexpectedly",
        exc_info=exc,
        extra={"request_id": g.get("request_id"), "index": index},
    )
    return Problem("internal", "an unexpected error occurred on this item; it was logged with the request id")


@blp.route("/decisions/<string:decision_id>", methods=["GET"])
@blp.doc(
    summary="One stored decision",
    description="By its id, or a unique prefix of at least 8 characters of it. Roles: decider, auditor.",
)
@blp.response(200, DecisionRecordSchema)
@errors(blp, 401, 403, 404, 422, 503)
def get_decision(decision_id: str):
    require("decider", "auditor")
    record = services().store.get(full_decision_id(decision_id))
    if record is None:
        raise Problem("not-found", f"no decision {decision_id}")
    g.decision_id = record.decision_id
    return record_response(record, checked(record), masker=reader_masker())


@blp.route("/decisions/<string:decision_id>/receipt", methods=["GET"])
@blp.doc(
    summary="A decision's receipt: its inclusion proof",
    description="The proof that the decision is leaf `index` (its seq - 1) of the decisions Merkle tree whose size "
    "and root the newest signed checkpoint covering it states (RFC 9162 2.1.3), with that signed statement: the "
    "same document as `complaints audit prove`. Whoever keeps it checks it offline with the service's public key "
    "(`python examples/verify_proof.py RECEIPT.json --public-key signing.pem.pub`), and can show later that the "
    "decision was logged and never altered. 409 `proof-unavailable` until a checkpoint covers the decision (ask "
    "again after the next one), or when the log's leaves no longer give the signed root (purged or altered). By id "
    "or a unique prefix of at least 8 characters. Roles: decider, auditor.",
)
@blp.response(200, ReceiptSchema)
@errors(blp, 401, 403, 404, 409, 422, 503)
def get_receipt(decision_id: str):
    require("decider", "auditor")
    store = services().store
    record = store.get(full_decision_id(decision_id))
    if record is None:
        raise Problem("not-found", f"no decision {decision_id}")
    g.decision_id = record.decision_id
    try:
        return inclusion(store, record.decision_id)
    except ProofUnavailable as exc:
        raise Problem("proof-unavailable", str(exc)) from None


@blp.route("/complaints/<path:complaint_id>/decisions", methods=["GET"])
@blp.doc(
    summary="Decisions on one complaint",
    description="Newest first, paginated (`page`, `page_size`). An unknown complaint has no decisions "
    "(empty list). Roles: decider, auditor.",
)
@blp.arguments(PageArgsSchema, location="query", as_kwargs=True)
@blp.response(200, DecisionPageSchema)
@errors(blp, 401, 403, 422, 503)
def list_complaint_decisions(complaint_id: str, page: int, page_size: int):
    require("decider", "auditor")
    limit = services().settings.page_size_max
    if page_size > limit:
        raise Problem(
            "invalid-parameters", f"page_size is at most {limit}", errors={"page_size": [f"expected 1 to {limit}"]}
        )
    offset = (page - 1) * page_size
    records, total = services().store.for_complaint(complaint_id, limit=page_size, offset=offset)
    more = offset + len(records) < total
    return {
        "items": [record_out(r, masker=reader_masker()) for r in records],
        "page": page,
        "page_size": page_size,
        "total": total,
        "next": url_for(
            "decisions.list_complaint_decisions", complaint_id=complaint_id, page=page + 1, page_size=page_size
        )
        if more
        else None,
    }
