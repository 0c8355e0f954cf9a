"""Prove the decision log intact: recompute every link and name the first broken one.

Verification starts at GENESIS, or, after retention purges, at the chain hash
recorded for the last purge (``decision_purges.cut_hash``): the first
remaining decision must have ``seq = last_seq + 1`` and ``prev_hash =
cut_hash``. Purges themselves must be contiguous from seq 1.

What each break means (the report names the decision where it shows):

- ``edited``: the row's content no longer hashes to its ``chain_hash``: this
  decision was changed in place.
- ``relinked``: the row's ``prev_hash`` is not the previous row's
  ``chain_hash``: the previous row was rewritten with a fresh hash, or this
  row's link was edited.
- ``missing``: ``seq`` jumps: the rows in between were deleted; the report
  names the seq numbers missing and the decision after the gap.
- ``head``: the chain head does not match the last row: rows at the end were
  deleted (or the head was moved).
- ``policy-text``: a stored policy text changed: it no longer hashes to the
  text digest recorded when it was stored (any byte, a comment too), or it no
  longer gives the digest every decision cites (its meaning). Texts stored
  before text digests were kept are checked by the second test only.

Reordering rows (swapping ``seq``) shows as ``edited`` at the first moved row,
since ``seq`` is part of what each link covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from audit.purges import PurgeRecord, purge_log
from audit.records import every
from canonical import sha256_hex
from rules.errors import PolicyError
from rules.loader import load_policy_text
from store.chain import GENESIS, link_hash
from store.db import DecisionStore
from store.tables import chain_head

MAX_LISTED = 100  # problems listed in a report; the count is always complete


@dataclass
class Break:
    kind: str  # edited | relinked | missing | head | purge-log
    seq: int | None
    decision_id: str | None
    detail: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "seq": self.seq, "decision_id": self.decision_id, "detail": self.detail}

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "log"
        who = f" (decision {self.decision_id})" if self.decision_id else ""
        return f"{where}{who}: {self.kind}: {self.detail}"


@dataclass
class VerifyReport:
    ok: bool = True
    count: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_seq: int = 0
    start_seq: int = 1
    start_hash: str = GENESIS
    purges: int = 0
    policies: int = 0
    policies_without_text_digest: int = 0
    problem_count: int = 0
    problems: list[Break] = field(default_factory=list)

    @property
    def first_break(self) -> Break | None:
        return self.problems[0] if self.problems else None

    def add(self, problem: Break) -> None:
        self.ok = False
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)

    def as_dict(self) -> dict:
        first = self.first_break
        return {
            "ok": self.ok,
            "result": "intact" if self.ok else "broken",
            "decisions": self.count,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "head_seq": self.head_seq,
            "starts_from": {
                "seq": self.start_seq,
                "prev_hash": self.start_hash,
                "after": "genesis" if self.purges == 0 else f"purge {self.purges}",
            },
            "policies": self.policies,
            "policies_without_text_digest": self.policies_without_text_digest,
            "first_break": first.as_dict() if first else None,
            "problem_count": self.problem_count,
            "problems": [p.as_dict() for p in self.problems],
        }

    def as_text(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.problem_count > len(self.problems):
            lines.append(f"... and {self.problem_count - len(self.problems)} more")
        start = "genesis" if self.purges == 0 else f"the chain hash at purge cut (seq {self.start_seq - 1})"
        if self.policies_without_text_digest:
            n = self.policies_without_text_digest
            lines.append(
                f"{n} policy text{'s' if n > 1 else ''} checked by {'their' if n > 1 else 'its'} content digest only "
                "(stored before text digests were kept)"
            )
        lines.append(
            f"{self.count} decisions and {self.policies} policy texts from {start}, chain head {self.head_seq}: "
            f"{'intact' if self.ok else 'BROKEN'}"
        )
        if self.first_break:
            lines.append(f"first break: {self.first_break}")
        return "\n".join(lines)


def _start(report: VerifyReport, log: list[PurgeRecord]) -> None:
    expected_first = 1
    for purge in log:
        if purge.first_seq != expected_first or purge.last_seq < purge.first_seq:
            report.add(
                Break(
                    "purge-log",
                    purge.first_seq,
                    purge.first_decision_id,
                    f"purge {purge.id} covers seq {purge.first_seq}..{purge.last_seq}; "
                    f"expected it to start at seq {expected_first}",
                )
            )
        expected_first = purge.last_seq + 1
    if log:
        report.purges = len(log)
        report.start_seq = log[-1].last_seq + 1
        report.start_hash = log[-1].cut_hash


def verify_log(store: DecisionStore) -> VerifyReport:
    """Recompute the chain over every stored decision (in batches) and report every break."""
    report = VerifyReport()
    _start(report, purge_log(store))
    expected_seq, expected_prev = report.start_seq, report.start_hash
    previous_id: str | None = None
    for record in every(store):
        report.count += 1
        if report.first_seq is None:
            report.first_seq = record.seq
        report.last_seq = record.seq
        if record.seq != expected_seq:
            if record.seq > expected_seq:
                gap = (
                    f"seq {expected_seq}" if record.seq == expected_seq + 1 else f"seq {expected_seq}..{record.seq - 1}"
                )
                after = f" after decision {previous_id}" if previous_id else ""
                report.add(
                    Break(
                        "missing",
                        record.seq,
                        record.decision_id,
                        f"{gap} missing{after}: rows were deleted before this decision",
                    )
                )
            else:
                report.add(
                    Break(
                        "missing",
                        record.seq,
                        record.decision_id,
                        f"seq {record.seq} is at or before the start of the chain (seq {expected_seq})",
                    )
                )
        if record.prev_hash != expected_prev:
            before = f"seq {record.seq - 1}'s chain_hash" if previous_id else "the chain start"
            report.add(
                Break(
                    "relinked",
                    record.seq,
                    record.decision_id,
                    f"prev_hash does not match {before}: the previous row was rewritten or this link edited",
                )
            )
        if link_hash(record.as_row()) != record.chain_hash:
            report.add(
                Break(
                    "edited",
                    record.seq,
                    record.decision_id,
                    "the row's content does not hash to its chain_hash: this decision was changed",
                )
            )
        expected_seq, expected_prev, previous_id = record.seq + 1, record.chain_hash, record.decision_id
    with store._guard(), store.engine.connect() as conn:
        head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).one()
    report.head_seq = head.seq
    if head.seq != expected_seq - 1 or head.hash != expected_prev:
        last = f"the last row is seq {expected_seq - 1}" + (f" (decision {previous_id})" if previous_id else "")
        report.add(
            Break(
                "head",
                head.seq,
                None,
                f"chain head is seq {head.seq} but {last}: rows after it were deleted or the head moved",
            )
        )
    _verify_policies(store, report)
    return report


def _verify_policies(store: DecisionStore, report: VerifyReport) -> None:
    """Every stored policy text: the exact bytes against its text digest, the meaning against its digest."""
    for stored in store.policy_texts():
        report.policies += 1
        digest, text = stored["digest"], stored["text"]
        if stored["text_sha256"] is None:
            report.policies_without_text_digest += 1
        elif sha256_hex(text) != stored["text_sha256"]:
            report.add(
                Break(
                    "policy-text",
                    None,
                    None,
                    f"policy {digest[:12]}: the stored text does not hash to the text digest recorded when it was "
                    "stored: it was edited",
                )
            )
            continue
        try:
            recomputed = load_policy_text(text, f"policy:{digest[:12]}").digest
        except PolicyError as error:
            recomputed = f"an invalid policy ({error.issues[0] if error.issues else error})"
        if recomputed != digest:
            report.add(
                Break(
                    "policy-text",
                    None,
                    None,
                    f"policy {digest[:12]}: the stored text no longer gives its digest (it gives {recomputed[:80]}): "
                    "it was edited",
                )
            )
