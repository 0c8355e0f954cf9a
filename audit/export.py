"""Exports for auditors and regulators: decisions as JSON Lines or CSV, policies by digest.

Every export streams: rows are read in batches by ``seq`` and written one by
one, so a month of decisions never sits in memory. Each row carries the
digest and version of the policy it was decided under; ``export-policy`` gives
that policy's exact text.

Every row carries ``integrity``: ``ok`` when the stored row still hashes to
its ``chain_hash``, ``mismatch`` when it was changed after it was recorded.

JSON Lines rows hold every column the hash chain covers. Unmasked, the chain
can be recomputed from the export alone (``verify_rows``): each row's
``chain_hash`` from its content and the previous row's hash. Masked, the
request body differs from what was hashed, so ``verify_rows`` cannot confirm
those rows (it says so); the ``chain_hash`` still identifies each row in the
store.

``import_rows`` loads exported rows into another (empty) store, e.g. for a
regulator to replay them: decisions keep their ids and their stored answer,
and get a new chain in the new store.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from audit.closing import ClosingWriter, store_state
from audit.masking import Masker
from canonical import canonical_json
from lifecycle.decision_service import request_digest
from rules.loader import load_policy_text
from store.chain import integrity, link_hash
from store.db import DecisionStore, StoredDecision
from store.signing import SigningKey
from store.times import shown, stored_form

FORMATS = ("jsonl", "csv")
MEDIA_TYPES = {"jsonl": "application/x-ndjson; charset=utf-8", "csv": "text/csv; charset=utf-8"}

CSV_COLUMNS = (
    "seq",
    "decision_id",
    "complaint_id",
    "created_at",
    "received_at",
    "channel",
    "category",
    "policy_digest",
    "policy_version",
    "engine_version",
    "team",
    "level",
    "redirect",
    "remedy",
    "refund_total",
    "compensation_total",
    "deadlines",
    "flags",
    "fired_rules",
    "previous_decision_id",
    "request_digest",
    "prev_hash",
    "chain_hash",
    "integrity",
    "masking",
    "request_body",
)

OnMismatch = Callable[[StoredDecision], None]


def _checked(records: Iterable[StoredDecision], on_mismatch: OnMismatch | None) -> Iterator[tuple[StoredDecision, str]]:
    """Each record with its link recomputed (``ok`` / ``mismatch``); ``on_mismatch`` hears of each bad one."""
    for record in records:
        result = integrity(record.as_row())
        if result == "mismatch" and on_mismatch is not None:
            on_mismatch(record)
        yield record, result


def export_row(record: StoredDecision, masker: Masker, checked: str | None = None) -> dict:
    """One stored decision as an export row (JSON-ready); ``integrity`` is its link recomputed.

    ``created_at`` is shown at +08:00 (store.times); the chain covers the stored UTC text, which
    ``chained_created_at`` gives back exactly (``created_at_stored`` carries it when it would not)."""
    row: dict = {
        "seq": record.seq,
        "decision_id": record.decision_id,
        "complaint_id": record.complaint_id,
        "created_at": shown(record.created_at),
        "policy_digest": record.policy_digest,
        "policy_version": record.policy_version,
        "engine_version": record.engine_version,
        "previous_decision_id": record.previous_decision_id,
        "request_digest": record.request_digest,
        "request_body": masker.mask_body(record.request_body),
        "masking": masker.mode,
        "decision": masker.mask_dict(record.decision_dict()),
        "fired_rules": record.fired_rule_ids(),
        "prev_hash": record.prev_hash,
        "chain_hash": record.chain_hash,
        "integrity": checked or integrity(record.as_row()),
    }
    if stored_form(row["created_at"]) != record.created_at:
        row["created_at_stored"] = record.created_at
    return row


def chained_created_at(row: dict) -> str:
    """The ``created_at`` text the chain covers, from an export row."""
    return row.get("created_at_stored") or stored_form(row["created_at"])


def jsonl_lines(
    records: Iterable[StoredDecision], masker: Masker, on_mismatch: OnMismatch | None = None
) -> Iterator[str]:
    for record, checked in _checked(records, on_mismatch):
        yield json.dumps(export_row(record, masker, checked), ensure_ascii=False, separators=(",", ":")) + "\n"


def _csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def _totals(decision: dict, types: tuple[str, ...]) -> str:
    totals = decision.get("remedy", {}).get("totals", {})
    return f"{sum((Decimal(totals[t]) for t in types if t in totals), Decimal('0.00')):.2f}"


def _redirect(redirect) -> str:
    if isinstance(redirect, dict):
        return f"{redirect.get('rule', '')}: {redirect.get('reason', '')}"
    return redirect or ""


def csv_row(record: StoredDecision, masker: Masker, checked: str | None = None) -> list:
    d = record.decision_dict()
    route, remedy = d.get("route", {}), d.get("remedy", {})
    deadlines = "; ".join(f"{x.get('kind')}={x.get('due_at') or x.get('status')}" for x in d.get("deadlines", []))
    return [
        record.seq,
        record.decision_id,
        record.complaint_id,
        shown(record.created_at),
        d.get("received_at"),
        d.get("channel"),
        d.get("category"),
        record.policy_digest,
        record.policy_version,
        record.engine_version,
        route.get("team"),
        route.get("level"),
        _redirect(route.get("redirect")),
        " + ".join(f"{c['type']} {c.get('amount') or ''}".strip() for c in remedy.get("components", [])) or "none",
        _totals(d, ("refund", "return_refund")),
        _totals(d, ("compensation", "punitive_damages")),
        deadlines,
        " ".join(d.get("flags", [])),
        " ".join(record.fired_rule_ids()),
        record.previous_decision_id or "",
        record.request_digest,
        record.prev_hash,
        record.chain_hash,
        checked or integrity(record.as_row()),
        masker.mode,
        masker.mask_body(record.request_body),
    ]


def csv_lines(
    records: Iterable[StoredDecision], masker: Masker, on_mismatch: OnMismatch | None = None
) -> Iterator[str]:
    """CSV (RFC 4180, CRLF) with a header row; one line per decision, the request body as JSON text."""
    yield "\ufeff" + _csv_line(CSV_COLUMNS)  # BOM: spreadsheet programs then read the Chinese labels right
    for record, checked in _checked(records, on_mismatch):
        yield _csv_line(csv_row(record, masker, checked))


def export_lines(
    records: Iterable[StoredDecision], fmt: str, masker: Masker, on_mismatch: OnMismatch | None = None
) -> Iterator[str]:
    """The export, line by line; ``on_mismatch`` is called for each row that no longer hashes to its chain_hash."""
    if fmt == "jsonl":
        return jsonl_lines(records, masker, on_mismatch)
    if fmt == "csv":
        return csv_lines(records, masker, on_mismatch)
    raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")


def export_with_closing(
    store: DecisionStore,
    records: Iterable[StoredDecision],
    fmt: str,
    masker: Masker,
    *,
    signer: SigningKey | None,
    range_shown: dict,
    on_mismatch: OnMismatch | None = None,
) -> Iterator[str]:
    """The export line by line, then its closing record (``audit.closing``): rows, first/last seq, the
    store's chain head and last checkpoint when the export ended, sha256 of every line, signed by
    ``signer`` if given. An export cut off midway has no closing record."""
    closing = ClosingWriter("export")
    seqs: list[int] = []

    def counted() -> Iterator[StoredDecision]:
        for record in records:
            seqs.append(record.seq)
            yield record

    for line in export_lines(counted(), fmt, masker, on_mismatch):
        yield closing.add(line)
    head, checkpoint = store_state(store)
    summary = {
        "rows": len(seqs),
        "first_seq": seqs[0] if seqs else None,
        "last_seq": seqs[-1] if seqs else None,
        "chain_head": head,
        "checkpoint": checkpoint,
        "range": range_shown,
        "masking": masker.mode,
        "format_of_rows": fmt,
    }
    yield closing.csv_line(summary, signer) if fmt == "csv" else closing.jsonl_line(summary, signer)


# -- reading exports back ---------------------------------------------------


def read_jsonl(lines: Iterable[str]) -> Iterator[dict]:
    """The decision rows of a JSON Lines export (its closing record left out)."""
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"line {number}: not JSON: {exc}") from None
            if item.get("type") != "closing":
                yield item


def stored_from_row(row: dict) -> StoredDecision:
    return StoredDecision(
        seq=row["seq"],
        decision_id=row["decision_id"],
        complaint_id=row["complaint_id"],
        request_body=row["request_body"],
        request_digest=row["request_digest"],
        decision=canonical_json(row["decision"]),
        fired_rules=canonical_json(row["fired_rules"]),
        policy_digest=row["policy_digest"],
        policy_version=row["policy_version"],
        engine_version=row["engine_version"],
        created_at=chained_created_at(row),
        previous_decision_id=row["previous_decision_id"],
        prev_hash=row["prev_hash"],
        chain_hash=row["chain_hash"],
    )


def verify_rows(rows: Iterable[dict]) -> list[str]:
    """Check an unmasked JSON Lines export on its own: every link, and that the rows are contiguous.

    Returns the problems found (empty: the export is exactly what the store held, in order).
    """
    problems: list[str] = []
    previous: StoredDecision | None = None
    for row in rows:
        if row.get("type") == "closing":
            continue
        record = stored_from_row(row)
        who = f"seq {record.seq} (decision {record.decision_id})"
        if row.get("masking", "none") != "none":
            problems.append(f"{who}: masked ({row['masking']}): its link cannot be recomputed")
        elif link_hash(record.as_row()) != record.chain_hash:
            problems.append(f"{who}: content does not hash to its chain_hash")
        if previous is not None:
            if record.seq != previous.seq + 1:
                problems.append(f"{who}: follows seq {previous.seq}; rows in between are not in the export")
            elif record.prev_hash != previous.chain_hash:
                problems.append(f"{who}: prev_hash is not seq {previous.seq}'s chain_hash")
        previous = record
    return problems


def import_rows(store: DecisionStore, rows: Iterable[dict], policy_text: Callable[[str], str | None]) -> dict:
    """Append exported decisions to ``store`` (keeping ids and stored answers); ``policy_text(digest)``
    gives each policy's exact text (e.g. from ``complaints export-policy``)."""
    policies: dict = {}
    counts = {"imported": 0, "existing": 0}
    for row in rows:
        digest = row["policy_digest"]
        if digest not in policies:
            text = policy_text(digest)
            if text is None:
                raise LookupError(f"policy {digest} is needed by decision {row['decision_id']} and was not given")
            policy = load_policy_text(text, f"policy:{digest[:12]}")
            if policy.digest != digest:
                raise LookupError(f"the text given for policy {digest} digests to {policy.digest}")
            policies[digest] = policy
        body = row["request_body"]
        _, created = store.append(
            decision_id=row["decision_id"],
            policy=policies[digest],
            complaint_id=row["complaint_id"],
            request_body=body,
            request_digest=request_digest(json.loads(body, parse_float=Decimal)),
            decision=row["decision"],
            fired_rules=row["fired_rules"],
            engine_version=row["engine_version"],
        )
        counts["imported" if created else "existing"] += 1
    return counts
