"""Prove the decision log intact: recompute every link and name the first broken one.

Verification starts at GENESIS, or, after retention purges, at the chain hash
recorded for the last purge (``decision_purges.cut_hash``): the first
remaining decision must have ``seq = last_seq + 1`` and ``prev_hash =
cut_hash``. Purges themselves must be contiguous from seq 1.

Each break names the seq and the decision where it shows, what was expected
and what was found, and what it means:

- ``edited``: the row's content no longer hashes to its ``chain_hash``: this
  decision was changed in place.
- ``reordered``: the row's content hashes to its ``chain_hash`` only with
  another ``seq`` (tried within ``REORDER_REACH`` places): the decision was
  moved from there.
- ``relinked``: the row's ``prev_hash`` is not the previous row's
  ``chain_hash``: the previous row was rewritten with a fresh hash, or this
  row's link was edited, or (when it names a nearby row) rows were reordered.
- ``missing``: ``seq`` jumps: the rows in between were deleted; the report
  names the seq numbers missing and the decision after the gap.
- ``head``: the chain head does not match the last row: rows at the end were
  deleted, or the head was moved.
- ``purge-log``: the purge log does not cover the start of the chain in order,
  or a purge record is not what a signed purge statement says (forged or edited),
  or a signed purge has lost its record.
- ``policy-text``: a stored policy text changed: it no longer hashes to the
  text digest recorded when it was stored (any byte, a comment too), or it no
  longer gives the digest every decision cites (its meaning). Texts stored
  before text digests were kept are checked by the second test only.

Signed statements (``store.checkpoints``) prove more than the chain can:

- ``rewritten``: a checkpoint signed seq S with a chain hash the log no longer
  has there: someone recomputed the links (``link_hash``) after editing,
  deleting or reordering rows, which the chain alone cannot show. The report
  names the last checkpoint that still matches: the rewrite lies after it.
- ``truncated``: a checkpoint signed a seq beyond the last row: the tail of the
  log was deleted (and the head moved back to hide it).
- ``statement``: a statement whose signature does not verify, signed by a key
  not among those checked against, or out of sequence (one deleted, replaced or
  reordered); or a statement the auditor holds that the store no longer has.

What a checkpoint covers besides the chain (``store.consistency.anchors``) is checked too:

- ``register``: the policy register no longer reaches the head a checkpoint signed (an event edited and the
  register chain recomputed, events deleted from its end).
- ``staff-trail``: the console's staff trail is broken (edited, removed events) or no longer reaches the head
  a checkpoint signed (its last events deleted).
- ``policy-text``: also when a stored text no longer hashes as a checkpoint signed it (a comment edited and its
  recorded text digest updated to match).

Witnesses (``store.witness``: the signer's ``KEY.head``, an auditor's copy) are compared statement by statement:

- ``fork``: the store holds a different statement under a number a witness holds;
- ``tree``: a log's leaves (decisions, register, staff trail, recorded events) no longer give the Merkle
  root the newest checkpoint signed (``store.merkle``).
- ``rollback``: the store no longer holds a statement a witness holds (statements deleted, or the store
  restored from an older copy).

A store whose signer recorded its key but which holds no statement is reported (``statement``); with
``require_checkpoint`` (production), a log with no matching checkpoint at all is a finding too.

Signatures are checked with the public keys given (the ones auditors hold);
without any, with the keys recorded in the store, which the report says, since
a database operator could replace those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from audit.proofs import tree_problems
from audit.purges import PurgeRecord, purge_log, signed_fields
from audit.records import every
from canonical import sha256_hex
from rules.errors import PolicyError
from rules.loader import load_policy_text
from store.chain import GENESIS, link_hash
from store.checkpoints import SignedStatement, all_statements, recorded_keys
from store.db import DecisionStore, StoredDecision
from store.signing import PublicKey
from store.staff import StaffStore
from store.tables import chain_head, policy_events, signing_keys, staff_events

MAX_LISTED = 100  # problems listed in a report; the count is always complete
REORDER_REACH = 64  # how far from its place an edited-looking row is tried, to tell a reorder from an edit
KINDS = (
    "edited",
    "reordered",
    "relinked",
    "missing",
    "head",
    "purge-log",
    "rewritten",
    "truncated",
    "statement",
    "policy-text",
    "register",
    "staff-trail",
    "fork",
    "rollback",
    "derived",
    "tree",
)


@dataclass
class Break:
    """One finding: where (seq, decision), what was expected and found there, and what that means."""

    kind: str  # one of KINDS
    seq: int | None
    decision_id: str | None
    expected: str
    found: str
    meaning: str

    @property
    def detail(self) -> str:
        return f"expected {self.expected}, found {self.found}: {self.meaning}"

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "seq": self.seq,
            "decision_id": self.decision_id,
            "expected": self.expected,
            "found": self.found,
            "meaning": self.meaning,
            "detail": self.detail,
        }

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
    staff_events: int = 0
    complaints_checked: int = 0  # complaints whose work queue and recorded events were checked
    problem_count: int = 0
    problems: list[Break] = field(default_factory=list)
    statements: int = 0  # signed statements in the store (checkpoints and purges)
    checkpoints_checked: int = 0  # checkpoints compared with the chain and found to match
    last_checkpoint: dict | None = None  # the highest checkpoint that matches: number, seq, signed_at, key_id
    keys: list[str] = field(default_factory=list)  # key ids signatures were checked against
    key_source: str = "store"  # given (the auditor's public keys) | store (recorded there, not proof)

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
            "staff_events": self.staff_events,
            "complaints_checked": self.complaints_checked,
            "first_break": first.as_dict() if first else None,
            "problem_count": self.problem_count,
            "problems": [p.as_dict() for p in self.problems],
            "checkpoints": {
                "statements": self.statements,
                "matched": self.checkpoints_checked,
                "last": self.last_checkpoint,
                "unsigned_after": self.unsigned_after,
                "keys": self.keys,
                "key_source": self.key_source,
            },
        }

    @property
    def unsigned_after(self) -> int:
        """Decisions after the last matching checkpoint: the part of the log no signature covers yet."""
        covered = self.last_checkpoint["seq"] if self.last_checkpoint else self.start_seq - 1
        return max(0, (self.last_seq or 0) - covered)

    def checkpoint_lines(self) -> list[str]:
        if not self.statements and not self.last_checkpoint:
            return [
                "no signed checkpoints: the chain shows edits, but not a chain recomputed from the start "
                "(configure COMPLAINTS_SIGNING_KEY_FILE so the service signs checkpoints)"
            ]
        lines = []
        if self.last_checkpoint:
            last = self.last_checkpoint
            lines.append(
                f"{self.checkpoints_checked} checkpoints match the chain; the last, checkpoint {last['number']}, "
                f"signed seq {last['seq']} at {last['signed_at']} (key {last['key_id']}); "
                f"{self.unsigned_after} decisions recorded after it are not yet under a signature"
            )
        if self.key_source == "store":
            lines.append(
                f"signatures checked with the public keys recorded in the store ({', '.join(self.keys) or 'none'}), "
                "which whoever writes the database could replace: pass --public-key with the key you hold"
            )
        else:
            lines.append(f"signatures checked with the public keys given ({', '.join(self.keys)})")
        return lines

    def as_text(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.problem_count > len(self.problems):
            lines.append(f"... and {self.problem_count - len(self.problems)} more")
        lines.extend(self.checkpoint_lines())
        lines.append(
            f"{self.staff_events} staff trail events checked; the work queue and recorded events of "
            f"{self.complaints_checked} complaints checked against their latest decisions"
        )
        start = "genesis" if self.purges == 0 else f"the chain hash at purge cut (seq {self.start_seq - 1})"
        if self.policies_without_text_digest:
            n = self.policies_without_text_digest
            lines.append(
                f"{n} policy text{'s' if n > 1 else ''} checked by {'their' if n > 1 else 'its'} content digest only "
                "(stored before text digests were kept)"
            )
        lines.append(
            f"{self.count} decisions and {self.policies} policy text{'' if self.policies == 1 else 's'} from {start}, chain head {self.head_seq}: "
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
                    f"purge {purge.id} to start at seq {expected_first}",
                    f"purge {purge.id} covers seq {purge.first_seq}..{purge.last_seq}",
                    "the purge log was edited to hide deleted decisions, or a purge record is missing",
                )
            )
        expected_first = purge.last_seq + 1
    if log:
        report.purges = len(log)
        report.start_seq = log[-1].last_seq + 1
        report.start_hash = log[-1].cut_hash


def _purges_signed(report: VerifyReport, log: list[PurgeRecord], signed: list[SignedStatement]) -> None:
    """Every purge log row must be what a valid purge statement signed, and every signed purge must have its row."""
    by_id = {}
    for statement in signed:
        fields = statement.body().get("purge")
        if isinstance(fields, dict):
            by_id[fields.get("id")] = (statement, fields)
    for purge in log:
        found = by_id.pop(purge.id, None)
        if found is None:
            report.add(
                Break(
                    "purge-log",
                    purge.last_seq,
                    purge.last_decision_id,
                    f"a signed purge statement for purge {purge.id} (seq {purge.first_seq}..{purge.last_seq})",
                    "none",
                    f"purge {purge.id} is not signed: its record was written without the signing key (forged), "
                    "so the decisions it claims to have purged may simply have been deleted",
                )
            )
            continue
        statement, fields = found
        wrong = sorted(name for name, value in signed_fields(purge).items() if fields.get(name) != value)
        if wrong:
            report.add(
                Break(
                    "purge-log",
                    purge.last_seq,
                    purge.last_decision_id,
                    f"purge {purge.id} as purge statement {statement.number} signed it",
                    f"a purge log row that differs in {', '.join(wrong)}",
                    "the purge log was edited after the purge",
                )
            )
    for statement, fields in by_id.values():
        report.add(
            Break(
                "purge-log",
                statement.seq,
                fields.get("last_decision_id"),
                f"purge {fields.get('id')} in the purge log (signed in purge statement {statement.number})",
                "no such row",
                "the purge log row was deleted",
            )
        )


def _short(digest: str | None) -> str:
    return f"{digest[:16]}…" if digest else "nothing"


def _statements(
    report: VerifyReport,
    stored: list[SignedStatement],
    keys: Mapping[str, PublicKey],
    held: list[SignedStatement],
    signed_purges: list[SignedStatement],
) -> list[SignedStatement]:
    """Check every statement's signature and place in the sequence; the checkpoints worth comparing with the
    chain. Valid purge statements are added to ``signed_purges``."""
    trusted: list[SignedStatement] = []
    previous: SignedStatement | None = None
    for statement in stored:
        name = f"{statement.kind} statement {statement.number}"
        expected_number = previous.number + 1 if previous else 1
        if statement.number != expected_number:
            report.add(
                Break(
                    "statement",
                    statement.seq,
                    None,
                    f"statement {expected_number}",
                    f"statement {statement.number}",
                    f"statements {expected_number}..{statement.number - 1} are missing: they were deleted",
                )
            )
        problem = statement.problem(keys)
        if problem is not None:
            report.add(
                Break("statement", statement.seq, None, f"a valid {name}", f"{name} (seq {statement.seq})", problem)
            )
        else:
            body = statement.body()
            want = previous.digest if previous is not None and previous.number == statement.number - 1 else None
            if statement.number == expected_number and body.get("previous") != want:
                report.add(
                    Break(
                        "statement",
                        statement.seq,
                        None,
                        f"{name} to name statement {statement.number - 1} ({_short(want)})",
                        f"it names {_short(body.get('previous'))}",
                        "a statement was replaced, or the statements were reordered",
                    )
                )
            if statement.kind == "checkpoint":
                trusted.append(statement)
            elif statement.kind == "purge":
                signed_purges.append(statement)
        previous = statement
    stored_digests = {s.digest for s in stored}
    for statement in held:
        if statement.digest in stored_digests:
            continue
        name = f"{statement.kind} statement {statement.number}"
        problem = statement.problem(keys)
        if problem is not None:
            report.add(Break("statement", statement.seq, None, f"a valid {name}", f"the {name} you hold", problem))
            continue
        report.add(
            Break(
                "statement",
                statement.seq,
                None,
                f"{name} that you hold (seq {statement.seq}, signed at {statement.body().get('signed_at')})",
                "no such statement in the store",
                "statements were deleted or replaced after you kept this one",
            )
        )
        if statement.kind == "checkpoint":
            trusted.append(statement)
    return sorted(trusted, key=lambda s: (s.seq, s.number))


class _Checkpoints:
    """Compares signed checkpoints with the chain as the walk reaches their seq."""

    def __init__(self, report: VerifyReport, checkpoints: list[SignedStatement]):
        self.report = report
        self.pending = checkpoints
        self.index = 0
        self.anchor = "genesis" if report.purges == 0 else f"the purge cut (seq {report.start_seq - 1})"

    def _matched(self, checkpoint: SignedStatement) -> None:
        self.report.checkpoints_checked += 1
        self.report.last_checkpoint = {
            "number": checkpoint.number,
            "seq": checkpoint.seq,
            "signed_at": checkpoint.body().get("signed_at"),
            "key_id": checkpoint.key_id,
        }
        self.anchor = f"checkpoint {checkpoint.number} (seq {checkpoint.seq})"

    def _mismatch(self, checkpoint: SignedStatement, found: str, decision_id: str | None) -> None:
        self.report.add(
            Break(
                "rewritten",
                checkpoint.seq,
                decision_id,
                f"chain_hash {checkpoint.chain_hash} (signed in checkpoint {checkpoint.number} at "
                f"{checkpoint.body().get('signed_at')})",
                found,
                f"chain rewritten after {self.anchor}: the links up to seq {checkpoint.seq} were recomputed by "
                "someone without the signing key, so decisions in between were edited, deleted or reordered",
            )
        )

    def reach(self, seq: int, chain_hash: str, decision_id: str | None) -> None:
        """The walk is at ``seq``: settle every checkpoint at or before it."""
        while self.index < len(self.pending) and self.pending[self.index].seq <= seq:
            checkpoint = self.pending[self.index]
            self.index += 1
            if checkpoint.seq < self.report.start_seq:
                if checkpoint.seq == self.report.start_seq - 1 and self.report.purges:
                    if checkpoint.chain_hash == self.report.start_hash:
                        self._matched(checkpoint)
                    else:
                        self._mismatch(checkpoint, f"{self.report.start_hash} (the purge cut)", None)
                continue  # signed before a purge removed its rows: only its signature can be checked
            if checkpoint.seq < seq:
                self.report.add(
                    Break(
                        "missing",
                        checkpoint.seq,
                        None,
                        f"seq {checkpoint.seq} (signed in checkpoint {checkpoint.number})",
                        "no row at that seq",
                        "the decision a checkpoint signed was deleted",
                    )
                )
            elif checkpoint.chain_hash == chain_hash:
                self._matched(checkpoint)
            else:
                self._mismatch(checkpoint, chain_hash, decision_id)

    def finish(self, last_seq: int | None) -> None:
        """After the last row: checkpoints beyond it mean the tail was cut."""
        rest = self.pending[self.index :]
        if last_seq is None and rest and rest[0].seq < self.report.start_seq:
            self.reach(self.report.start_seq - 1, self.report.start_hash, None)
            rest = self.pending[self.index :]
        if not rest:
            return
        end = last_seq if last_seq is not None else self.report.start_seq - 1
        highest = max(rest, key=lambda s: s.seq)
        self.report.add(
            Break(
                "truncated",
                highest.seq,
                None,
                f"the log to reach seq {highest.seq} (signed in checkpoint {highest.number})",
                f"the log ends at seq {end}",
                f"decisions seq {end + 1}..{highest.seq} were deleted from the end of the log",
            )
        )


def _moved_from(record, row: dict) -> int | None:
    """The seq this row's content was chained at, if it is a nearby one: the row was moved, not edited."""
    for distance in range(1, REORDER_REACH + 1):
        for seq in (record.seq - distance, record.seq + distance):
            if seq > 0 and link_hash({**row, "seq": seq}) == record.chain_hash:
                return seq
    return None


def _witnesses(
    report: VerifyReport,
    stored: list[SignedStatement],
    keys: Mapping[str, PublicKey],
    witnesses: Iterable[tuple[str, list[SignedStatement]]],
) -> list[SignedStatement]:
    """Compare each witness's statements with the store's: forks and rollbacks, by witness and number. The
    valid witness checkpoints the store lacks or holds differently, to compare with the chain as well."""
    by_number = {s.number: s for s in stored}
    extra: list[SignedStatement] = []
    for name, held in witnesses:
        for statement in held:
            mine = by_number.get(statement.number)
            if mine is not None and mine.digest == statement.digest:
                continue
            problem = statement.problem(keys)
            if problem is not None:
                report.add(
                    Break(
                        "statement",
                        statement.seq,
                        None,
                        f"a valid statement {statement.number} in witness {name}",
                        f"witness {name}'s statement {statement.number}",
                        problem,
                    )
                )
                continue
            signed = (
                f"statement {statement.number} (seq {statement.seq}, signed at {statement.body().get('signed_at')})"
            )
            if mine is None:
                last = max(by_number) if by_number else 0
                report.add(
                    Break(
                        "rollback",
                        statement.seq,
                        None,
                        f"{signed}, which witness {name} holds",
                        f"no statement {statement.number} in the store (its statements end at {last or 'none'})",
                        f"the store was rolled back past statement {statement.number}: statements were deleted or an "
                        "older copy restored",
                    )
                )
            else:
                report.add(
                    Break(
                        "fork",
                        statement.seq,
                        None,
                        f"{signed}, as witness {name} holds it",
                        f"another statement {statement.number} in the store (seq {mine.seq}, signed at "
                        f"{mine.body().get('signed_at')})",
                        f"the log forked at statement {statement.number}: the store's history is not the one "
                        f"witness {name} saw signed",
                    )
                )
            if statement.kind == "checkpoint":
                extra.append(statement)
    return extra


def _unsigned(report: VerifyReport, store: DecisionStore, require_checkpoint: bool) -> None:
    """Statements gone from a store whose signer recorded its key; no checkpoint at all where one is required."""
    with store._guard(), store.engine.connect() as conn:
        used = conn.execute(select(signing_keys.c.key_id, signing_keys.c.first_used_at)).all()
    if not report.statements and used:
        report.add(
            Break(
                "statement",
                None,
                None,
                f"the statements signed by key {', '.join(row.key_id for row in used)} (first used at "
                f"{min(row.first_used_at for row in used)})",
                "no signed statement in the store",
                "the signed statements were deleted: this is not a store that was never signed",
            )
        )
    if require_checkpoint and report.count and report.last_checkpoint is None:
        report.add(
            Break(
                "statement",
                None,
                None,
                "a signed checkpoint matching the chain (required in production)",
                "none",
                "nothing proves this log was not rewritten: configure COMPLAINTS_SIGNING_KEY_FILE and sign "
                "(`complaints checkpoint`), or compare with a witness",
            )
        )


def _signed_anchors(report: VerifyReport, store: DecisionStore, checkpoints: list[SignedStatement]) -> None:
    """The register, staff trail and policy texts against every valid checkpoint that signed their heads."""
    with store._guard(), store.engine.connect() as conn:
        register = dict(conn.execute(select(policy_events.c.seq, policy_events.c.chain_hash)).all())
        staff = dict(conn.execute(select(staff_events.c.seq, staff_events.c.chain_hash)).all())
    texts = {row["digest"]: sha256_hex(row["text"]) for row in store.policy_texts()}
    reported: set[tuple] = set()
    for checkpoint in checkpoints:
        body = checkpoint.body()
        where = f"checkpoint {checkpoint.number} (signed at {body.get('signed_at')})"
        for kind, name, events in (("register", "policy register", register), ("staff-trail", "staff trail", staff)):
            signed = body.get("register" if kind == "register" else "staff")
            if not isinstance(signed, dict) or not signed.get("seq"):
                continue
            found = events.get(signed["seq"])
            if found == signed.get("hash") or (kind, signed["seq"]) in reported:
                continue
            reported.add((kind, signed["seq"]))
            report.add(
                Break(
                    kind,
                    None,
                    None,
                    f"{name} event {signed['seq']} with chain_hash {_short(signed.get('hash'))}, as {where} signed",
                    f"event {signed['seq']} with chain_hash {_short(found)}" if found else f"no event {signed['seq']}",
                    f"the {name} was rewritten (an event edited and the links recomputed)"
                    if found
                    else f"the {name}'s events were deleted from its end",
                )
            )
        for digest, text_sha in body.get("policy_texts") or []:
            if texts.get(digest) == text_sha or ("text", digest) in reported:
                continue
            reported.add(("text", digest))
            report.add(
                Break(
                    "policy-text",
                    None,
                    None,
                    f"policy {digest[:12]}'s text hashing to {text_sha[:12]}, as {where} signed",
                    f"text hashing to {(texts.get(digest) or 'nothing')[:12]}" if digest in texts else "no such text",
                    "the stored policy text was edited after it was signed (a comment too), or deleted",
                )
            )


def _staff_trail(report: VerifyReport, store: DecisionStore) -> None:
    count, problems = StaffStore(store).verify_events()
    report.staff_events = count
    for problem in problems:
        report.add(
            Break(
                "staff-trail",
                None,
                None,
                "the staff trail's chain intact",
                problem,
                "the staff trail was edited or events removed",
            )
        )


def verify_log(
    store: DecisionStore,
    keys: Mapping[str, PublicKey] | None = None,
    held: Iterable[SignedStatement] = (),
    track: Callable[[Iterable[StoredDecision]], Iterable[StoredDecision]] | None = None,
    *,
    witnesses: Iterable[tuple[str, list[SignedStatement]]] = (),
    require_checkpoint: bool = False,
) -> VerifyReport:
    """Recompute the chain over every stored decision (in batches), check every signed statement with
    ``keys`` (default: the keys recorded in the store) and every checkpoint against the chain; report every break.

    ``held``: statements the auditor kept from earlier (``complaints export-checkpoints``); each must still
    be in the store and match the chain. ``track`` wraps the walk over the decisions (progress on the
    command line)."""
    report = VerifyReport()
    log = purge_log(store)
    _start(report, log)
    stored = all_statements(store)
    report.statements = len(stored)
    if keys is None:
        keys = recorded_keys(store)
        report.key_source = "store"
    else:
        report.key_source = "given"
    report.keys = sorted(keys)
    signed_purges: list[SignedStatement] = []
    trusted = _statements(report, stored, keys, list(held), signed_purges)
    trusted = sorted(trusted + _witnesses(report, stored, keys, witnesses), key=lambda s: (s.seq, s.number))
    checkpoints = _Checkpoints(report, trusted)
    _purges_signed(report, log, signed_purges)
    expected_seq, expected_prev = report.start_seq, report.start_hash
    previous_id: str | None = None
    recent: dict[str, int] = {}  # chain_hash -> seq of the last rows, to name where a wrong link points
    for record in track(every(store)) if track is not None else every(store):
        report.count += 1
        if report.first_seq is None:
            report.first_seq = record.seq
        report.last_seq = record.seq
        if record.seq > expected_seq:
            gap = f"seq {expected_seq}" if record.seq == expected_seq + 1 else f"seq {expected_seq}..{record.seq - 1}"
            after = f" after decision {previous_id}" if previous_id else ""
            report.add(
                Break(
                    "missing",
                    record.seq,
                    record.decision_id,
                    f"seq {expected_seq}",
                    f"seq {record.seq}",
                    f"{gap} missing{after}: those decisions were deleted",
                )
            )
        elif record.seq < expected_seq:
            report.add(
                Break(
                    "missing",
                    record.seq,
                    record.decision_id,
                    f"seq {expected_seq} or later",
                    f"seq {record.seq}",
                    "a decision at or before the start of the chain (the purge cut): the purge log was edited",
                )
            )
        if record.prev_hash != expected_prev:
            before = f"seq {record.seq - 1}'s chain_hash" if previous_id else "the chain start"
            points_to = recent.get(record.prev_hash)
            if points_to is not None:
                meaning = f"it links to seq {points_to} instead: the decisions before it were reordered"
            elif record.seq > expected_seq:
                meaning = "it links to a decision that is no longer in the log (deleted, see the gap)"
            else:
                meaning = "the previous row was rewritten with a fresh hash, or this link was edited"
            report.add(
                Break(
                    "relinked",
                    record.seq,
                    record.decision_id,
                    f"prev_hash {expected_prev} ({before})",
                    f"prev_hash {record.prev_hash}",
                    meaning,
                )
            )
        row = record.as_row()
        recomputed = link_hash(row)
        if recomputed != record.chain_hash:
            moved = _moved_from(record, row)
            if moved is not None:
                report.add(
                    Break(
                        "reordered",
                        record.seq,
                        record.decision_id,
                        f"this decision at seq {moved}, where it was recorded",
                        f"it at seq {record.seq}",
                        "the decision was moved: decisions were reordered",
                    )
                )
            else:
                report.add(
                    Break(
                        "edited",
                        record.seq,
                        record.decision_id,
                        f"chain_hash {record.chain_hash} (as stored)",
                        f"the row's content hashes to {recomputed}",
                        "this decision was changed after it was recorded",
                    )
                )
        checkpoints.reach(record.seq, record.chain_hash, record.decision_id)
        recent[record.chain_hash] = record.seq
        if len(recent) > REORDER_REACH:
            recent.pop(next(iter(recent)))
        expected_seq, expected_prev, previous_id = record.seq + 1, record.chain_hash, record.decision_id
    checkpoints.finish(report.last_seq)
    with store._guard(), store.engine.connect() as conn:
        head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).one()
    report.head_seq = head.seq
    last_seq = expected_seq - 1
    if head.seq != last_seq:
        meaning = (
            f"decisions seq {last_seq + 1}..{head.seq} were deleted from the end of the log"
            if head.seq > last_seq
            else "the head was moved back"
        )
        report.add(
            Break(
                "head",
                last_seq if previous_id else None,
                previous_id,
                f"the chain head at the last row, seq {last_seq}",
                f"the chain head at seq {head.seq}",
                meaning,
            )
        )
    elif head.hash != expected_prev:
        report.add(
            Break(
                "head",
                last_seq if previous_id else None,
                previous_id,
                f"the chain head's hash {expected_prev} (seq {last_seq}'s chain_hash)",
                f"{head.hash}",
                "the head was moved, or the last decision rewritten with a fresh hash",
            )
        )
    _verify_policies(store, report)
    _signed_anchors(report, store, trusted)
    _staff_trail(report, store)
    _derived(report, store, trusted)
    for problem in tree_problems(store, trusted):
        report.add(
            Break("tree", None, None, f"the {problem.log} tree as signed", problem.detail, "the log was rewritten")
        )
    _unsigned(report, store, require_checkpoint)
    return report


def _derived(report: VerifyReport, store: DecisionStore, checkpoints: list[SignedStatement]) -> None:
    """The work queue and recorded events against each complaint's latest decision (``audit.derived``)."""
    from audit.derived import verify_derived  # the engine rebuilds queue rows: loaded only when verifying

    signed = [c.body().get("clock_since") for c in checkpoints]
    since = min((seq for seq in signed if isinstance(seq, int)), default=None)

    def add(complaint_id: str, decision_id: str | None, expected: str, found: str, meaning: str) -> None:
        record = store.get(decision_id) if decision_id and report.problem_count < MAX_LISTED else None
        seq = record.seq if record is not None else None
        report.add(Break("derived", seq, decision_id, f"complaint {complaint_id}: {expected}", found, meaning))

    report.complaints_checked = verify_derived(store, add, since)


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
                    f"policy {digest[:12]}'s text to hash to {stored['text_sha256'][:12]}, the text digest recorded when it was stored",
                    f"text hashing to {sha256_hex(text)[:12]}",
                    "the stored policy text was edited (any byte, a comment too)",
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
                    f"policy {digest[:12]}'s text to give the digest its decisions cite",
                    f"a text that gives {recomputed[:80]}",
                    "the stored policy text was edited: it no longer gives its digest, so no longer says what the decisions were decided under",
                )
            )
