"""Verify an audit bundle offline: no database, no service, only the file and the public key.

``complaints audit verify-bundle OUT`` checks, and says, in order:

1. the closing record: present (else the file was cut off), counting the lines
   before it and hashing to them, signed by a trusted key;
2. every signed statement: signature, key, and the sequence (numbers and
   ``previous`` digests);
3. the chain segment: from its start anchor (genesis, or a signed checkpoint or
   purge record) every link recomputed row by row (``store.chain.link_hash``),
   every checkpoint inside the segment matched, and the last row equal to the
   signed end checkpoint;
4. the range: each decision flagged in range is in it by the bundle's clock,
   and none of the segment's other decisions is;
5. every decision replayed on the bundled policy text it cites (whose digest is
   recomputed from the text), byte for byte;
6. what the checkpoints signed besides the chain: each bundled policy text hashes
   (every byte, comments too) as the newest checkpoint naming it signed; the
   policy register and the staff trail (bundled whole) recompute link by link
   and reach the heads the newest checkpoint signed;
7. every witness given (``--witness``): each statement it holds is in the bundle,
   identical (else a fork), unless signed after the bundle was closed (else a
   rollback).

Keys: the public keys given (``--public-key``, the ones the auditor holds), or
else those in the bundle, which the report says: then compare their ids with
the key you were given.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from audit.bundle import FORMAT, anchor_name, read_lines
from audit.closing import check_closing, split_closing
from audit.export import stored_from_row, verify_rows
from audit.records import received_at
from audit.replay import StoredPolicies, replay
from canonical import sha256_hex
from store import merkle
from store.chain import GENESIS, link_hash
from store.checkpoints import SignedStatement
from store.governance import event_hash as register_hash
from store.signing import PublicKey, SigningKeyError
from store.staff import event_hash as staff_hash
from store.times import stored_form


@dataclass
class BundleReport:
    problems: list[str] = field(default_factory=list)
    proved: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the bundle does not prove
    key_source: str = "bundle"
    keys: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "result": "verified" if self.ok else "not verified",
            "proved": self.proved,
            "notes": self.notes,
            "problems": self.problems,
            "keys": self.keys,
            "key_source": self.key_source,
        }

    def as_text(self) -> str:
        lines = [f"proved: {line}" for line in self.proved]
        lines += [f"note: {line}" for line in self.notes]
        lines += [f"PROBLEM: {line}" for line in self.problems]
        if self.key_source == "none":
            lines.append("no public key given: pass --public-key with the key you were given")
        if self.key_source == "bundle":
            lines.append(
                f"signatures were checked with the keys in the bundle ({', '.join(self.keys) or 'none'}): compare "
                "these ids with the public key you were given, or pass --public-key"
            )
        lines.append("RESULT: verified" if self.ok else f"RESULT: NOT verified ({len(self.problems)} problems)")
        return "\n".join(lines)


class _BundledPolicies:
    """The policy texts of the bundle, looked up by digest as the store would (for ``StoredPolicies``)."""

    def __init__(self, texts: Mapping[str, str]):
        self.texts = texts

    def policy_text(self, digest: str) -> str | None:
        return self.texts.get(digest)


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _in_range(row: dict, record, by: str, since: dt.datetime | None, until: dt.datetime | None) -> bool:
    moment = received_at(record) if by == "received" else dt.datetime.fromisoformat(stored_form(row["created_at"]))
    if moment is None:
        return False
    return (since is None or moment >= since) and (until is None or moment < until)


def verify_bundle(
    data: bytes,
    keys: Mapping[str, PublicKey] | None = None,
    *,
    witnesses: Iterable[tuple[str, list[SignedStatement]]] = (),
) -> BundleReport:
    """Verify a bundle, or an export (JSON Lines or CSV, which ``verify_export`` checks)."""
    report = BundleReport()
    first_line = data.split(b"\n", 1)[0]
    try:
        first = json.loads(first_line)
    except ValueError:
        first = None
    if not isinstance(first, dict) or first.get("type") != "bundle":
        if first_line.startswith(b"\xef\xbb\xbf") or (isinstance(first, dict) and "decision_id" in first):
            return verify_export(data, keys)
        if not (isinstance(first, dict) and first.get("type") == "closing"):
            report.problems.append(f"not an audit bundle (the first line is not a {FORMAT} header) nor an export")
            return report
        return verify_export(data, keys)  # an export of no rows: only its closing record
    before, _ = split_closing(data)
    try:
        items = [item for _, item in read_lines(before)]
    except ValueError as exc:
        report.problems.append(f"{exc}: the bundle was damaged")
        return report
    if first.get("format") != FORMAT:
        report.problems.append(f"not an audit bundle (the first line is not a {FORMAT} header)")
        return report
    header = items[0]
    bundled: dict[str, PublicKey] = {}
    for item in items:
        if item.get("type") == "public_key":
            try:
                key = PublicKey.from_pem(item["public_key"], f"bundled key {item.get('key_id')}")
            except (SigningKeyError, KeyError, TypeError):
                report.problems.append(f"bundled public key {item.get('key_id')} cannot be read")
                continue
            bundled[key.key_id] = key
    if keys is None:
        keys, report.key_source = bundled, "bundle"
    else:
        report.key_source = "given"
    report.keys = sorted(keys)

    closing = check_closing(data, keys, "bundle")
    report.problems.extend(closing.problems)
    if closing.body is not None and closing.ok:
        report.proved.append(
            f"the file is complete: {closing.body['lines']} lines before a closing record that hashes to them, "
            f"signed by key {closing.signed_by} at {closing.body.get('closed_at')}"
        )

    statements = _check_statements(report, items, keys)
    decisions = [item for item in items if item.get("type") == "decision"]
    policies = {item["digest"]: item["text"] for item in items if item.get("type") == "policy"}
    records = _check_chain(report, header, decisions, statements)
    _check_range(report, header, decisions, records)
    _check_counts(report, closing.body, decisions)
    _replay_all(report, records, policies)
    _check_signed_anchors(report, items, policies, statements)
    _check_recorded_events(report, items, statements)
    _check_queue(report, items, records, policies)
    _check_witnesses(report, items, keys, witnesses, closing.body)
    return report


def _newest_covering(statements: Mapping[int, SignedStatement], name: str) -> SignedStatement | None:
    covering = [s for s in statements.values() if s.kind == "checkpoint" and name in s.body()]
    return max(covering, key=lambda s: s.number) if covering else None


def _check_events(report: BundleReport, items: list[dict], kind: str, name: str, hash_of, signed: dict | None) -> None:
    """A bundled hash-chained event list: every link recomputed, and the head the newest checkpoint signed reached."""
    events = [item for item in items if item.get("type") == kind]
    expected_seq, expected_prev, broken = 1, GENESIS, 0
    reached = not signed or not signed.get("seq")
    for event in events:
        try:
            if event["seq"] != expected_seq or event["prev_hash"] != expected_prev:
                report.problems.append(
                    f"{name} event {event['seq']}: does not follow event {expected_seq - 1}: removed"
                )
                broken += 1
            if hash_of(event) != event["chain_hash"]:
                report.problems.append(f"{name} event {event['seq']}: its content does not hash to its link: edited")
                broken += 1
        except (KeyError, TypeError):
            report.problems.append(f"a {name} line lacks fields: the bundle was damaged")
            return
        if signed and event["seq"] == signed.get("seq"):
            reached = True
            if event["chain_hash"] != signed.get("hash"):
                report.problems.append(
                    f"{name} event {event['seq']} is not the one the newest checkpoint signed: the {name} was "
                    "rewritten and its links recomputed"
                )
                broken += 1
        expected_seq, expected_prev = event["seq"] + 1, event["chain_hash"]
    if not reached:
        report.problems.append(
            f"the {name} ends at event {expected_seq - 1}, the newest checkpoint signed event {signed['seq']}: "  # type: ignore[index]
            "events were deleted from its end"
        )
    elif not broken and signed:
        report.proved.append(f"the {name}: {len(events)} events, every link recomputed, reaching the signed head")


def _check_signed_anchors(
    report: BundleReport, items: list[dict], policies: Mapping[str, str], statements: Mapping[int, SignedStatement]
) -> None:
    texts = _newest_covering(statements, "policy_texts")
    if texts is not None:
        signed = dict(texts.body()["policy_texts"])
        for digest, text in policies.items():
            if digest in signed and sha256_hex(text or "") != signed[digest]:
                report.problems.append(
                    f"policy {digest[:12]}: its bundled text does not hash as checkpoint {texts.number} signed it: "
                    "the stored text was edited (a comment too)"
                )
    for kind, name, field_name, hash_of in (
        ("policy_event", "policy register", "register", register_hash),
        ("staff_event", "staff trail", "staff", staff_hash),
    ):
        newest = _newest_covering(statements, field_name)
        if newest is not None or any(item.get("type") == kind for item in items):
            _check_events(report, items, kind, name, hash_of, newest.body()[field_name] if newest else None)


def _check_recorded_events(report: BundleReport, items: list[dict], statements: Mapping[int, SignedStatement]) -> None:
    """The bundled recorded events against the events tree the newest checkpoint signed."""
    newest = _newest_covering(statements, "trees")
    tree = (newest.body()["trees"].get("events") or {}) if newest else {}
    size = int(tree.get("size", 0))
    if not size:
        return
    leaves: list[bytes] = []
    for item in items:
        if item.get("type") == "complaint_event" and len(leaves) < size:
            row = item.get("row") or {}
            data = {key: row.get(key) for key in ("id", "complaint_id", "decision_id", "event")}
            leaves.append(merkle.leaf_hash(merkle.leaf_data({"log": "events", **data})))
    if len(leaves) < size or merkle.root(leaves).hex() != tree.get("root"):
        report.problems.append(
            f"the recorded complaint events no longer give the events tree checkpoint {newest.number} signed "  # type: ignore[union-attr]
            f"({size} events): events were edited, deleted or inserted, and a re-decision would build on them"
        )
    else:
        report.proved.append(f"the recorded complaint events: {size} under the signed events tree")


def _check_queue(report: BundleReport, items: list[dict], records, policies: Mapping[str, str]) -> None:
    """Each bundled work-queue row as the bundled decision it names gives it (``audit.derived``)."""
    from audit.derived import COMPARED, expected_rows  # the engine rebuilds the rows

    rows = [item for item in items if item.get("type") == "queue_row"]
    if not rows:
        return
    by_id = {record.decision_id: record for record in records}
    deciders = StoredPolicies(_BundledPolicies(policies))
    wrong = 0
    for row in rows:
        record = by_id.get(row.get("decision_id"))
        if record is None:
            continue  # a decision before the segment: not in this bundle to rebuild from
        try:
            expected = expected_rows(record, deciders).get(str(row.get("kind")))
        except Exception as exc:  # noqa: BLE001 - a decision that cannot be rebuilt is reported by replay
            report.notes.append(f"work queue of decision {record.decision_id} not rebuilt: {type(exc).__name__}")
            continue
        differs = [name for name in COMPARED if expected is None or row.get(name) != expected[name]]
        if differs:
            wrong += 1
            report.problems.append(
                f"work-queue row {row.get('complaint_id')}/{row.get('kind')}: {', '.join(differs)} not what decision "
                f"{record.decision_id} gives: the work queue was edited (escalation and warnings read it)"
            )
    if not wrong:
        report.proved.append(f"the work queue: {len(rows)} rows, each as the decision it names gives it")


def _check_witnesses(
    report: BundleReport,
    items: list[dict],
    keys: Mapping[str, PublicKey],
    witnesses: Iterable[tuple[str, list[SignedStatement]]],
    closing: dict | None,
) -> None:
    bundled: dict[int, SignedStatement] = {}
    for item in items:
        if item.get("type") == "statement":
            try:
                statement = SignedStatement.from_dict(item)
            except (KeyError, TypeError):
                continue
            bundled[statement.number] = statement
    closed_at = _instant((closing or {}).get("closed_at"))
    for name, held in witnesses:
        agreed = 0
        for statement in held:
            mine = bundled.get(statement.number)
            if mine is not None and mine.digest == statement.digest:
                agreed += 1
                continue
            problem = statement.problem(keys)
            if problem is not None:
                report.problems.append(f"witness {name}: statement {statement.number}: {problem}")
                continue
            signed_at = _instant(statement.body().get("signed_at"))
            if mine is None and closed_at is not None and signed_at is not None and signed_at > closed_at:
                report.notes.append(f"witness {name} holds statement {statement.number}, signed after the bundle")
                continue
            what = f"statement {statement.number} (seq {statement.seq}, signed at {statement.body().get('signed_at')})"
            if mine is None:
                report.problems.append(
                    f"rollback: witness {name} holds {what}, which the bundle's store no longer has: statements were "
                    "deleted or an older copy restored"
                )
            else:
                report.problems.append(
                    f"fork: witness {name} holds {what}; the bundle holds another statement {statement.number} "
                    f"(seq {mine.seq}): the store's history is not the one the witness saw signed"
                )
        if held and agreed == len(held):
            report.proved.append(f"witness {name}: its {agreed} statements are in the bundle, identical")


def _check_statements(
    report: BundleReport, items: list[dict], keys: Mapping[str, PublicKey]
) -> dict[int, SignedStatement]:
    """Valid statements by number; every problem reported."""
    valid: dict[int, SignedStatement] = {}
    previous: SignedStatement | None = None
    count = 0
    for item in items:
        if item.get("type") != "statement":
            continue
        count += 1
        try:
            statement = SignedStatement.from_dict(item)
        except (KeyError, TypeError):
            report.problems.append("a statement line lacks fields: the bundle was damaged")
            continue
        expected = previous.number + 1 if previous else 1
        if statement.number != expected:
            report.problems.append(f"statement {expected} is missing before statement {statement.number}")
        problem = statement.problem(keys)
        if problem is not None:
            report.problems.append(f"{statement.kind} statement {statement.number}: {problem}")
        else:
            want = previous.digest if previous is not None and previous.number == statement.number - 1 else None
            if statement.number == expected and statement.body().get("previous") != want:
                report.problems.append(
                    f"{statement.kind} statement {statement.number} does not follow statement {statement.number - 1}"
                )
            else:
                valid[statement.number] = statement
        previous = statement
    if count and len(valid) == count:
        report.proved.append(
            f"{count} signed statements (checkpoints, purge records): every signature valid, in sequence"
        )
    return valid


def _start(report: BundleReport, anchor: dict, statements: Mapping[int, SignedStatement]) -> tuple[int, str] | None:
    """(first seq expected, prev_hash expected) from the segment's start anchor, if it is proven."""
    kind = anchor.get("kind")
    if kind == "genesis":
        return 1, GENESIS
    if kind in ("checkpoint", "purge"):
        statement = statements.get(anchor.get("number"))  # type: ignore[arg-type]
        if statement is None or statement.seq != anchor.get("seq") or statement.chain_hash != anchor.get("chain_hash"):
            report.problems.append(
                f"the segment starts from {kind} statement {anchor.get('number')}, which is not valid"
            )
            return None
        return statement.seq + 1, statement.chain_hash
    if kind == "purge-log":
        report.problems.append(
            f"the segment starts at an unsigned purge record (seq {anchor.get('seq')}): its start is not proven"
        )
        return anchor["seq"] + 1, anchor["chain_hash"]
    return None


def _check_chain(report: BundleReport, header: dict, decisions: list[dict], statements: Mapping[int, SignedStatement]):
    """Recompute every link of the segment; the decisions as records (for replay)."""
    segment = header.get("segment", {})
    start_anchor, end_anchor = segment.get("start", {}), segment.get("end")
    records: list = []
    if not decisions:
        if start_anchor.get("kind") != "empty":
            report.problems.append("the bundle holds no decisions but its header names a segment: rows were removed")
        return records
    start = _start(report, start_anchor, statements)
    expected_seq, expected_prev = (
        start if start is not None else (decisions[0].get("seq"), decisions[0].get("prev_hash"))
    )
    by_seq = {s.seq: s for s in statements.values() if s.kind == "checkpoint"}
    broken = 0
    for row in decisions:
        try:
            record = stored_from_row(row)
        except (KeyError, TypeError):
            report.problems.append(f"decision line {row.get('seq')} lacks fields: the bundle was damaged")
            broken += 1
            continue
        records.append(record)
        who = f"seq {record.seq} (decision {record.decision_id})"
        if record.seq != expected_seq:
            report.problems.append(f"{who}: expected seq {expected_seq}: decisions were removed or reordered")
            broken += 1
        if record.prev_hash != expected_prev:
            report.problems.append(f"{who}: prev_hash is not the chain hash before it: the chain was altered")
            broken += 1
        if link_hash(record.as_row()) != record.chain_hash:
            report.problems.append(f"{who}: its content does not hash to its chain_hash: edited")
            broken += 1
        checkpoint = by_seq.get(record.seq)
        if checkpoint is not None and checkpoint.chain_hash != record.chain_hash:
            report.problems.append(
                f"{who}: checkpoint {checkpoint.number} signed chain_hash {checkpoint.chain_hash} here: "
                "the chain was rewritten"
            )
            broken += 1
        expected_seq, expected_prev = record.seq + 1, record.chain_hash
    last = records[-1] if records else None
    anchored = False
    if end_anchor is None:
        report.problems.append(
            f"the segment's end (seq {last.seq if last else '?'}) is under no signed checkpoint: the last "
            "decisions are not proven (sign one with `complaints checkpoint`, then bundle again)"
        )
    else:
        statement = statements.get(end_anchor.get("number"))
        if statement is None or statement.seq != end_anchor.get("seq"):
            report.problems.append(f"the segment ends at checkpoint {end_anchor.get('number')}, which is not valid")
        elif last is None or last.seq != statement.seq:
            report.problems.append(
                f"checkpoint {statement.number} signed seq {statement.seq}, the bundle ends at seq "
                f"{last.seq if last else '?'}: the bundle was cut"
            )
        elif last.chain_hash != statement.chain_hash:
            report.problems.append(f"the last decision does not hash to what checkpoint {statement.number} signed")
        else:
            anchored = True
    if not broken and anchored and start is not None and records:
        report.proved.append(
            f"the chain from {anchor_name(start_anchor)} to {anchor_name(end_anchor)}: {len(records)} decisions, "
            "every link recomputed, "
            "reaching the signed head: these are the decisions the service recorded there, unchanged since"
        )
    return records


def _check_range(report: BundleReport, header: dict, decisions: list[dict], records) -> None:
    scope = header.get("range", {})
    by = scope.get("by", "recorded")
    try:
        since, until = _instant(scope.get("since")), _instant(scope.get("until"))
    except ValueError:
        report.problems.append("the bundle's range is not made of times")
        return
    wrong = 0
    for row, record in zip(decisions, records, strict=False):
        if bool(row.get("in_range")) != _in_range(row, record, by, since, until):
            wrong += 1
            report.problems.append(f"seq {record.seq}: marked in_range={row.get('in_range')}, its {by} time says not")
    count = sum(1 for row in decisions if row.get("in_range"))
    if not count:
        report.notes.append(
            f"no decision {by} in [{scope.get('since') or 'the start'}, {scope.get('until') or 'now'}) is in the "
            "bundle; a bundle proves what it holds, not that nothing else exists"
        )
    elif not wrong:
        seqs = [row["seq"] for row in decisions if row.get("in_range")]
        where = f" (seq {min(seqs)}..{max(seqs)})" if seqs else ""
        report.proved.append(
            f"{count} decisions {by} in [{scope.get('since') or 'the start'}, {scope.get('until') or 'now'}){where}"
        )
        report.notes.append(
            "by recorded time, the period's decisions lie inside the segment unless the recording clock went back"
            if by == "recorded"
            else "by received time, the period's decisions were sought among the decisions of the segment only: "
            "a complaint of the period recorded after it is not here"
        )


def _check_counts(report: BundleReport, body: dict | None, decisions: list[dict]) -> None:
    if body is None:
        return
    in_range = sum(1 for row in decisions if row.get("in_range"))
    if body.get("rows") != len(decisions) or body.get("in_range") != in_range:
        report.problems.append(
            f"the closing record counts {body.get('rows')} decisions ({body.get('in_range')} in range), the file "
            f"holds {len(decisions)} ({in_range})"
        )


def _replay_all(report: BundleReport, records, policies: Mapping[str, str]) -> None:
    if not records:
        return
    deciders = StoredPolicies(_BundledPolicies(policies))
    identical = 0
    for record in records:
        result = replay(record, deciders)
        if result.identical:
            identical += 1
        elif result.error:
            report.problems.append(
                f"seq {record.seq} (decision {record.decision_id}): cannot be replayed: {result.error}"
            )
        else:
            paths = ", ".join(d["path"] for d in result.differences[:5])
            report.problems.append(f"seq {record.seq} (decision {record.decision_id}): replays differently ({paths})")
    if identical == len(records):
        report.proved.append(
            f"every decision replayed identical, byte for byte, on the {len(policies)} bundled policy texts "
            "(each text's digest recomputed)"
        )


def load_bundle_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def dumps(report: BundleReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2)


def _export_rows(before: bytes) -> tuple[str, list[dict]]:
    """(format, rows) of an export's lines before its closing record."""
    if before.startswith(b"\xef\xbb\xbf"):
        text = before.decode("utf-8").lstrip("\ufeff")
        return "csv", list(csv.DictReader(io.StringIO(text, newline="")))
    return "jsonl", [item for _, item in read_lines(before)]


def verify_export(data: bytes, keys: Mapping[str, PublicKey] | None = None) -> BundleReport:
    """An export (``complaints export``, ``GET /v1/exports/decisions``): complete, unedited, as signed.

    Without ``keys`` the closing record's signature cannot be checked (an export carries no key): it is
    noted, not trusted. Unmasked JSON Lines rows also get every link between them recomputed."""
    report = BundleReport(key_source="given" if keys is not None else "none")
    report.keys = sorted(keys or {})
    closing = check_closing(data, keys or {}, "export")
    for problem in closing.problems:
        if keys is None and "signed by key" in problem and "not one of" in problem:
            report.notes.append(
                f"the closing record is signed by key {closing.body.get('key_id') if closing.body else '?'}: "
                "pass --public-key to check the signature"
            )
        else:
            report.problems.append(problem)
    body = closing.body
    if body is None:
        return report
    try:
        fmt, rows = _export_rows(split_closing(data)[0])
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        report.problems.append(f"the export's rows cannot be read: {exc}")
        return report
    seqs = [int(row["seq"]) for row in rows if str(row.get("seq", "")).isdigit()]
    if body.get("rows") != len(rows) or (seqs and (body.get("first_seq"), body.get("last_seq")) != (seqs[0], seqs[-1])):
        report.problems.append(
            f"the closing record counts {body.get('rows')} rows (seq {body.get('first_seq')}..{body.get('last_seq')}), "
            f"the file holds {len(rows)}"
        )
    if closing.ok or (keys is None and not report.problems):
        signed = f"signed by key {closing.signed_by}" if closing.signed_by else "signed (signature not checked)"
        report.proved.append(
            f"the export is complete and unedited: {len(rows)} rows"
            + (f", seq {seqs[0]}..{seqs[-1]}" if seqs else "")
            + f", as its closing record ({signed}, {body.get('closed_at')}) says; the store's head then was seq "
            f"{(body.get('chain_head') or {}).get('seq')}"
        )
    if fmt == "jsonl" and body.get("masking") == "none":
        links = verify_rows(rows)
        report.problems.extend(links)
        if not links and rows:
            report.proved.append("every row hashes to its chain_hash and links to the row before it")
    elif rows:
        report.notes.append(
            f"rows {'masked' if body.get('masking') != 'none' else 'in CSV'}: links cannot be recomputed from "
            "the file; the closing record's sha256 covers the rows as written"
        )
    report.notes.append("an export holds no policy texts or checkpoints: use `complaints audit bundle` to replay")
    return report
