"""Closing records: the last line of an export or a bundle, saying what came before it, signed.

A file cut off midway (a dropped connection, a full disk, someone deleting its
end) has no closing record, or one whose count and sha256 no longer match the
lines before it. The record is canonical JSON of::

    {"format": "complaints-closing/1", "kind": "export" | "bundle",
     "lines": 245 (physical lines before it), "sha256": "<sha256 of every byte before the closing line>",
     "rows": 230, "first_seq": 101, "last_seq": 345,
     "chain_head": {"seq": …, "chain_hash": …},           # the store's head when written
     "checkpoint": {"number": …, "seq": …, "chain_hash": …} | null,   # the last checkpoint then
     "range": {…}, "masking": "none" | …, "closed_at": "…+08:00", "key_id": "…" | null}

signed with the service's signing key (``store.signing``) like a checkpoint,
when one is configured; written as ``{"type": "closing", "statement": …,
"key_id": …, "signature": …}`` (JSON Lines), or as a last CSV row whose first
cell is ``#closing`` and whose second is that JSON.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from canonical import canonical_json
from store.checkpoints import last_checkpoint
from store.db import DecisionStore
from store.signing import PublicKey, SigningKey
from store.tables import chain_head
from store.times import now_shown

FORMAT = "complaints-closing/1"
CSV_MARK = "#closing"


class ClosingWriter:
    """Hashes every line as it is written; ``close`` gives the closing line over them."""

    def __init__(self, kind: str):
        self.kind = kind
        self.lines = 0
        self._sha = hashlib.sha256()

    def add(self, line: str) -> str:
        self._sha.update(line.encode("utf-8"))
        self.lines += line.count("\n")  # physical lines: a CSV field may hold a line break
        return line

    def record(self, summary: Mapping, signer: SigningKey | None) -> dict:
        body = {
            **summary,
            "format": FORMAT,
            "kind": self.kind,
            "lines": self.lines,
            "sha256": self._sha.hexdigest(),
            "closed_at": now_shown(),
            "key_id": signer.key_id if signer else None,
        }
        text = canonical_json(body)
        return {
            "type": "closing",
            "statement": text,
            "key_id": signer.key_id if signer else None,
            "signature": signer.sign(text.encode("utf-8")) if signer else None,
        }

    def jsonl_line(self, summary: Mapping, signer: SigningKey | None) -> str:
        return json.dumps(self.record(summary, signer), ensure_ascii=False, separators=(",", ":")) + "\n"

    def csv_line(self, summary: Mapping, signer: SigningKey | None) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(
            [CSV_MARK, json.dumps(self.record(summary, signer), ensure_ascii=False)]
        )
        return buffer.getvalue()


@dataclass
class ClosingCheck:
    """What the closing record of a file proves, or why it proves nothing."""

    body: dict | None = None
    problems: list[str] = field(default_factory=list)
    signed_by: str | None = None  # key id, when the signature verified

    @property
    def ok(self) -> bool:
        return not self.problems


def split_closing(data: bytes) -> tuple[bytes, bytes]:
    """(everything before the last line, the last line): the closing record is always the last line."""
    stripped = data.rstrip(b"\r\n")
    cut = stripped.rfind(b"\n")
    return (data[: cut + 1], stripped[cut + 1 :]) if cut >= 0 else (b"", stripped)


def _parse(last: bytes) -> dict | None:
    text = last.decode("utf-8", errors="replace").strip()
    if text.startswith(CSV_MARK):
        try:
            cells = next(csv.reader([text]))
            text = cells[1]
        except (StopIteration, IndexError, csv.Error):
            return None
    try:
        item = json.loads(text)
    except ValueError:
        return None
    return item if isinstance(item, dict) and item.get("type") == "closing" else None


def check_closing(data: bytes, keys: Mapping[str, PublicKey], kind: str) -> ClosingCheck:
    """Check the file's closing record against the bytes before it, and its signature against ``keys``."""
    check = ClosingCheck()
    before, last = split_closing(data)
    item = _parse(last)
    lines = before.count(b"\n")
    if item is None:
        check.problems.append(
            f"no closing record at the end: the file was cut off (it ends after line {lines + (1 if last else 0)})"
        )
        return check
    try:
        body = json.loads(item["statement"])
    except (KeyError, TypeError, ValueError):
        check.problems.append("the closing record's statement is not JSON")
        return check
    check.body = body
    if body.get("format") != FORMAT or body.get("kind") != kind:
        check.problems.append(f"the closing record is not a {kind}'s ({body.get('format')}, {body.get('kind')})")
    if body.get("lines") != lines:
        check.problems.append(f"the closing record counts {body.get('lines')} lines before it, the file has {lines}")
    if body.get("sha256") != hashlib.sha256(before).hexdigest():
        check.problems.append("the lines before the closing record are not those it was written after (edited)")
    key_id, signature = item.get("key_id"), item.get("signature")
    if not signature:
        check.problems.append("the closing record is not signed (no signing key was configured when it was written)")
    elif not isinstance(key_id, str) or key_id not in keys:
        check.problems.append(f"the closing record is signed by key {key_id}, not one of {', '.join(sorted(keys))}")
    elif not keys[key_id].verify(item["statement"].encode("utf-8"), signature):
        check.problems.append(f"the closing record's signature does not verify with key {key_id}")
    elif body.get("key_id") != key_id:
        check.problems.append("the closing record names another key than the one that signed it")
    else:
        check.signed_by = key_id
    return check


def store_state(store: DecisionStore) -> tuple[dict, dict | None]:
    """The store's chain head and its last checkpoint, as a closing record states them."""
    with store._guard(), store.engine.connect() as conn:
        head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).one()
    last = last_checkpoint(store)
    return (
        {"seq": head.seq, "chain_hash": head.hash},
        {"number": last.number, "seq": last.seq, "chain_hash": last.chain_hash} if last else None,
    )
