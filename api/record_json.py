"""A stored decision's JSON as served, written from the stored texts without parsing them.

The row's ``decision`` and ``fired_rules`` are canonical JSON already (sorted keys, no spaces,
UTF-8 as is: store/appends.py), so they are spliced into the answer as stored instead of being
parsed and serialised again. The bytes are the ones Flask's ``jsonify`` gives for
``DecisionRecordSchema().dump(record_out(record))`` (sorted keys, compact, a final newline):
tests/api/test_record_json.py holds the two equal, so the OpenAPI document stays exact.
"""

from __future__ import annotations

import json

from flask import Response, url_for

from audit.masking import Masker
from store import StoredDecision
from store.times import shown

_string = json.JSONEncoder(ensure_ascii=False).encode  # a JSON string literal, as jsonify writes it


def record_json(record: StoredDecision, integrity: str, masker: Masker | None = None) -> str:
    previous = "null" if record.previous_decision_id is None else _string(record.previous_decision_id)
    proof = url_for("decisions.get_receipt", decision_id=record.decision_id)  # as api.decisions.receipt_of
    # Keys in sorted order, as jsonify (sort_keys) writes them.
    return "".join(
        (
            '{"chain_hash":',
            _string(record.chain_hash),
            ',"complaint_id":',
            _string(record.complaint_id),
            ',"created_at":',
            _string(shown(record.created_at)),
            ',"decision":',
            record.decision if masker is None else masker.mask_text(record.decision),
            ',"decision_id":',
            _string(record.decision_id),
            ',"engine_version":',
            _string(record.engine_version),
            ',"fired_rules":',
            record.fired_rules,
            ',"integrity":',
            _string(integrity),
            ',"policy":{"digest":',
            _string(record.policy_digest),
            ',"version":',
            _string(record.policy_version),
            '},"previous_decision_id":',
            previous,
            ',"receipt":{"index":',
            str(record.seq - 1),
            ',"log":"decisions","proof":',
            _string(proof),
            '},"request_digest":',
            _string(record.request_digest),
            "}\n",
        )
    )


def record_response(
    record: StoredDecision, integrity: str, status: int = 200, headers=None, *, masker: Masker | None = None
) -> Response:
    """``masker``: a reader's (``api.decisions.reader_masker``); None for the caller's own submission."""
    return Response(record_json(record, integrity, masker), status=status, headers=headers, mimetype="application/json")
