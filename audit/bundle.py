"""An audit bundle: what an external auditor needs to check a period offline, in one JSON Lines file.

``complaints audit bundle --since --until OUT`` writes, one JSON object a line:

1. ``{"type": "bundle", ...}``: the format, the range (and by which clock), when
   written, and the segment of the chain the bundle holds, from its start
   anchor (genesis, a checkpoint, or a purge cut) to its end anchor (a
   checkpoint);
2. ``{"type": "public_key", ...}``: the public keys that signed what follows;
3. ``{"type": "statement", ...}``: every signed statement in the store
   (checkpoints, purge records), so their sequence can be checked whole;
4. ``{"type": "decision", "in_range": true|false, ...}``: every decision of the
   segment, unmasked (the chain covers the request as received): those of the
   range, and those around them needed to reach the two anchors;
5. ``{"type": "policy", ...}``: the exact text of every policy those decisions cite;
6. ``{"type": "closing", ...}``: the closing record (``audit.closing``): lines,
   sha256 of everything before it, counts, the store's head and last checkpoint,
   signed.

Anchoring: the segment starts right after the last checkpoint (or purge cut,
or genesis) before the range's first decision, and ends at the first
checkpoint at or after its last. When the command holds the signing key and
no checkpoint covers the range's end yet, it signs one first. Without a
signing key and such a checkpoint, the end is unanchored and
``verify-bundle`` says how far the proof reaches.

The bundle holds personal data as received (ECL Art. 23-24): handle it like
an unmasked export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from sqlalchemy import func, select

from audit import records as walk
from audit.closing import ClosingWriter, store_state
from audit.export import export_row
from audit.masking import Masker
from audit.purges import purge_log
from store.checkpoints import SignedStatement, all_statements, recorded_keys, take_checkpoint
from store.db import DecisionStore
from store.governance import PolicyRegister
from store.signing import SigningKey
from store.staff import StaffStore
from store.tables import complaint_events, deadline_index, decisions
from store.witness import HeadFile

FORMAT = "complaints-bundle/1"


@dataclass
class BundleSummary:
    decisions: int = 0
    in_range: int = 0
    first_seq: int | None = None  # of the range's decisions
    last_seq: int | None = None
    start: dict = field(default_factory=dict)
    end: dict | None = None
    policies: int = 0
    statements: int = 0
    signed_checkpoint: SignedStatement | None = None  # one this command signed to anchor the end


def anchor_name(anchor: dict) -> str:
    """``checkpoint 3 (seq 30)``, ``genesis``, ``purge 2 (seq 1000)``: how reports name a segment's end."""
    if anchor.get("kind") in ("genesis", "empty"):
        return str(anchor.get("kind"))
    number = f" {anchor['number']}" if anchor.get("number") is not None else ""
    return f"{anchor.get('kind')}{number} (seq {anchor.get('seq')})"


def _line(item: dict) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"


def _anchor(statement: SignedStatement) -> dict:
    return {
        "kind": statement.kind,
        "number": statement.number,
        "seq": statement.seq,
        "chain_hash": statement.chain_hash,
    }


def _start_anchor(store: DecisionStore, checkpoints: list[SignedStatement], first_seq: int) -> dict:
    """The latest signed point before ``first_seq`` whose rows are still in the store: where the segment starts."""
    log = purge_log(store)
    cut = log[-1].last_seq if log else 0
    best: dict = {"kind": "genesis", "number": None, "seq": 0, "chain_hash": None}
    if log:
        purge = next((s for s in reversed(checkpoints) if s.kind == "purge" and s.seq == cut), None)
        best = (
            _anchor(purge)
            if purge is not None
            else {"kind": "purge-log", "number": None, "seq": cut, "chain_hash": log[-1].cut_hash}
        )
    for statement in checkpoints:
        if statement.kind == "checkpoint" and best["seq"] <= statement.seq < first_seq and statement.seq >= cut:
            best = _anchor(statement)
    return best


def _end_anchor(checkpoints: list[SignedStatement], last_seq: int) -> dict | None:
    later = [s for s in checkpoints if s.kind == "checkpoint" and s.seq >= last_seq]
    return _anchor(min(later, key=lambda s: s.seq)) if later else None


def write_bundle(
    store: DecisionStore,
    out: TextIO,
    *,
    since: str | None,
    until: str | None,
    by: str,
    range_shown: dict,
    signer: SigningKey | None,
    policies_in_force: list[dict] | None = None,
    signed_heads: HeadFile | None = None,
) -> BundleSummary:
    """Write the bundle of the decisions whose ``by`` time is in [since, until) to ``out``."""
    summary = BundleSummary()
    in_range: set[int] = set()
    for record in walk.in_range(store, since, until, by=by):
        in_range.add(record.seq)
    summary.in_range = len(in_range)
    if in_range:
        summary.first_seq, summary.last_seq = min(in_range), max(in_range)
    statements = all_statements(store)
    if signer is not None and summary.last_seq is not None and _end_anchor(statements, summary.last_seq) is None:
        summary.signed_checkpoint = take_checkpoint(store, signer, policies_in_force or [], signed_heads=signed_heads)
        statements = all_statements(store)
    if summary.first_seq is not None and summary.last_seq is not None:
        summary.start = _start_anchor(store, statements, summary.first_seq)
        summary.end = _end_anchor(statements, summary.last_seq)
    else:
        summary.start = {"kind": "empty", "number": None, "seq": 0, "chain_hash": None}
    keys = recorded_keys(store)
    if signer is not None:
        keys[signer.key_id] = signer.public
    closing = ClosingWriter("bundle")
    header = {
        "type": "bundle",
        "format": FORMAT,
        "range": range_shown,
        "segment": {"start": summary.start, "end": summary.end},
    }
    out.write(closing.add(_line(header)))
    for key in sorted(keys.values(), key=lambda k: k.key_id):
        out.write(closing.add(_line({"type": "public_key", "key_id": key.key_id, "public_key": key.pem})))
    for statement in statements:
        out.write(closing.add(_line({"type": "statement", **statement.as_dict()})))
    summary.statements = len(statements)
    cited: dict[str, str] = {}
    if summary.last_seq is not None:
        upto = summary.end["seq"] if summary.end else summary.last_seq
        unmasked = Masker().unmasked()
        for record in walk.between_seqs(store, summary.start["seq"], upto):
            row = {"type": "decision", "in_range": record.seq in in_range, **export_row(record, unmasked)}
            out.write(closing.add(_line(row)))
            summary.decisions += 1
            cited.setdefault(record.policy_digest, record.policy_version)
    for digest, version in cited.items():
        text = store.policy_text(digest)
        out.write(closing.add(_line({"type": "policy", "digest": digest, "version": version, "text": text})))
    summary.policies = len(cited)
    # The register and the staff trail whole: the verifier recomputes their chains to the heads checkpoints signed.
    for event in PolicyRegister(store).events():
        out.write(closing.add(_line({"type": "policy_event", **event.as_row()})))
    for staff_event in StaffStore(store).all_events():
        out.write(closing.add(_line({"type": "staff_event", **staff_event})))
    # The recorded events whole (their tree's root is signed), and the work queue of the bundled decisions.
    with store._guard(), store.engine.connect() as conn:
        for recorded in conn.execute(select(complaint_events).order_by(complaint_events.c.id)):
            out.write(closing.add(_line({"type": "complaint_event", "row": _plain(recorded._mapping)})))
        latest = select(func.max(decisions.c.seq)).group_by(decisions.c.complaint_id)
        for queued in conn.execute(
            select(deadline_index)
            .join(decisions, decisions.c.decision_id == deadline_index.c.decision_id)
            .where(decisions.c.seq.in_(latest), decisions.c.seq >= summary.start["seq"])
            .order_by(deadline_index.c.complaint_id, deadline_index.c.kind)
        ):
            out.write(closing.add(_line({"type": "queue_row", **_plain(queued._mapping)})))
    out.write(closing.jsonl_line(_closing_summary(store, summary, range_shown), signer))
    return summary


def _closing_summary(store: DecisionStore, summary: BundleSummary, range_shown: dict) -> dict:
    head, checkpoint = store_state(store)
    return {
        "rows": summary.decisions,
        "in_range": summary.in_range,
        "first_seq": summary.first_seq,
        "last_seq": summary.last_seq,
        "chain_head": head,
        "checkpoint": checkpoint,
        "range": range_shown,
        "masking": "none",
    }


def _plain(row) -> dict:
    return {name: row[name] for name in row.keys()}


def read_lines(data: bytes) -> Iterable[tuple[int, dict]]:
    """(line number, object) for each non-empty line; raises ValueError naming a line that is not JSON."""
    for number, raw in enumerate(data.split(b"\n"), 1):
        if raw.strip():
            try:
                yield number, json.loads(raw)
            except ValueError:
                raise ValueError(f"line {number} is not JSON") from None
