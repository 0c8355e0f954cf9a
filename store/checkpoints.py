"""Signed statements about the hash chain: checkpoints of its head, and purge records.

The chain alone is an unkeyed sha256: whoever can write the database can edit a
row and recompute every later link. A **checkpoint** is the chain head (seq
and chain_hash) signed with an Ed25519 key kept outside the database
(``store.signing``): once signed, the history up to that seq cannot be
rewritten without the key, because the recomputed chain no longer reaches the
signed hash. A **purge** statement signs a retention purge's record the same
way, so a purge log entry written by hand is found.

Statements form their own sequence (``signed_statements.id`` = ``number``):
each names the digest (sha256 of the exact text) of the one before, so a
statement removed from the middle or reordered is found. The signed text is
canonical JSON of::

    {"format": "complaints-statement/1", "kind": "checkpoint" | "purge",
     "number": 7, "previous": "<sha256 of statement 6>" | null,
     "seq": 1234, "chain_hash": "<chain_hash of seq 1234>",
     "signed_at": "2026-10-03T10:15:00.123456+08:00", "key_id": "<16 hex>",
     ... kind-specific fields (checkpoint: "policies" in force; purge: the purge record)}

Statements are appended under the append lock (SQLite ``BEGIN IMMEDIATE``,
PostgreSQL the ``chain_head`` row lock), so the head they sign is the head.

Later anchoring (not built): an RFC 3161 time-stamp token, or a publication,
is taken over ``digest`` (sha256 of the statement text) and kept beside the
statement (a new table keyed by ``number``); the signed text does not change,
so statements signed before remain valid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Row

from canonical import canonical_json, sha256_hex
from store.consistency import HeadRefused, anchors, check_extends
from store.db import DecisionStore, utc_now
from store.signing import PublicKey, SigningKey, SigningKeyError
from store.tables import chain_head, signing_keys, statements
from store.times import now_shown

if TYPE_CHECKING:
    from store.witness import HeadFile

__all__ = ["HeadRefused", "SignedStatement", "append_statement", "take_checkpoint"]

FORMAT = "complaints-statement/1"
KINDS = ("checkpoint", "purge")
_HEAD = select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1).with_for_update()


@dataclass(frozen=True)
class SignedStatement:
    id: int
    kind: str
    seq: int
    chain_hash: str
    statement: str  # the canonical JSON that was signed
    key_id: str
    signature: str

    @property
    def number(self) -> int:
        return self.id

    @property
    def digest(self) -> str:
        return sha256_hex(self.statement)

    def body(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.statement)
        return loaded

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedStatement:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})

    def problem(self, keys: Mapping[str, PublicKey]) -> str | None:
        """Why this statement cannot be trusted with ``keys`` (key id -> public key), or None."""
        key = keys.get(self.key_id)
        if key is None:
            return f"signed by key {self.key_id}, which is not one of the keys checked against ({', '.join(sorted(keys)) or 'none'})"
        if not key.verify(self.statement.encode("utf-8"), self.signature):
            return f"its signature does not verify with key {self.key_id}: the statement or its signature was altered"
        try:
            body = self.body()
        except ValueError:
            return "its text is not JSON"
        expected = {
            "format": FORMAT,
            "kind": self.kind,
            "number": self.id,
            "seq": self.seq,
            "chain_hash": self.chain_hash,
            "key_id": self.key_id,
        }
        wrong = [name for name, value in expected.items() if body.get(name) != value]
        if wrong:
            return f"its columns disagree with the signed text ({', '.join(wrong)})"
        return None


def _row(row: Row[Any]) -> SignedStatement:
    return SignedStatement(**{name: getattr(row, name) for name in SignedStatement.__dataclass_fields__})


def append_statement(
    conn: Connection, signer: SigningKey, kind: str, seq: int, chain_hash: str, fields: Mapping[str, Any]
) -> SignedStatement:
    """Sign and insert the next statement. The caller holds the append lock on ``conn``'s transaction."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    last = conn.execute(select(statements).order_by(statements.c.id.desc()).limit(1)).first()
    number = last.id + 1 if last is not None else 1
    body = {
        **fields,
        "format": FORMAT,
        "kind": kind,
        "number": number,
        "previous": sha256_hex(last.statement) if last is not None else None,
        "seq": seq,
        "chain_hash": chain_hash,
        "signed_at": now_shown(),
        "key_id": signer.key_id,
    }
    if kind == "checkpoint":
        body = {**anchors(conn), **body}
    text = canonical_json(body)
    record = SignedStatement(number, kind, seq, chain_hash, text, signer.key_id, signer.sign(text.encode("utf-8")))
    known = conn.execute(select(signing_keys.c.key_id).where(signing_keys.c.key_id == signer.key_id)).first()
    if known is None:
        conn.execute(
            insert(signing_keys).values(key_id=signer.key_id, public_key=signer.public.pem, first_used_at=utc_now())
        )
    conn.execute(insert(statements).values(**record.as_dict()))
    return record


def take_checkpoint(
    store: DecisionStore,
    signer: SigningKey,
    policies: list[dict[str, Any]],
    *,
    min_new: int = 1,
    signed_heads: HeadFile | None = None,
) -> SignedStatement | None:
    """Sign the chain head now, if at least ``min_new`` decisions were recorded since the last checkpoint.

    ``policies``: the versions the signer applies ({digest, version, effective_from}). None when there
    is nothing new to sign (another worker or instance may just have signed).

    ``signed_heads``: the signer's own record of what it signed, kept outside the database
    (``store.witness``). With it, the head is signed only if the store's history extends the last
    statement recorded there (``store.consistency.check_extends``); else ``HeadRefused`` is raised and
    nothing is signed. The new statement is added to the file after the store commits it."""
    store._ensure_schema()
    try:
        kept = signed_heads.last() if signed_heads is not None else None
    except ValueError as exc:  # store.witness.WitnessError: unreadable, or a line that is not a statement
        raise HeadRefused(f"{exc}: the signer cannot tell what it signed last, so it signs nothing") from None
    with store._guard(), store._write() as conn:
        if signed_heads is not None:
            check_extends(conn, signer.key_id, kept, signer.public)
        head = conn.execute(_HEAD).one()
        last = conn.execute(select(func.max(statements.c.seq)).where(statements.c.kind == "checkpoint")).scalar()
        if head.seq == 0 or head.seq - (last or 0) < max(min_new, 1):
            statement = None
        else:
            statement = append_statement(conn, signer, "checkpoint", head.seq, head.hash, {"policies": policies})
    if signed_heads is not None:
        newest = statement if statement is not None else last_statement(store)
        if newest is not None and newest.key_id == signer.key_id and (kept is None or newest.number > kept.number):
            try:
                signed_heads.append(newest)  # catch up with what other workers signed too (all checked above)
            except OSError as exc:
                raise HeadRefused(
                    f"statement {newest.number} is signed, but the signed-head file {signed_heads.path} cannot be "
                    f"written ({type(exc).__name__}: {exc}): give COMPLAINTS_SIGNED_HEAD_FILE a writable place "
                    "outside the database"
                ) from None
    return statement


def last_statement(store: DecisionStore) -> SignedStatement | None:
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        row = conn.execute(select(statements).order_by(statements.c.id.desc()).limit(1)).first()
    return _row(row) if row is not None else None


def all_statements(store: DecisionStore) -> list[SignedStatement]:
    """Every signed statement, in order."""
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        return [_row(row) for row in conn.execute(select(statements).order_by(statements.c.id))]


def last_checkpoint(store: DecisionStore) -> SignedStatement | None:
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        row = conn.execute(
            select(statements).where(statements.c.kind == "checkpoint").order_by(statements.c.id.desc()).limit(1)
        ).first()
    return _row(row) if row is not None else None


def recorded_keys(store: DecisionStore) -> dict[str, PublicKey]:
    """The public keys signers recorded in the store (convenient, not proof: see ``signing_keys``)."""
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        rows = conn.execute(select(signing_keys.c.key_id, signing_keys.c.public_key)).all()
    keys = {}
    for row in rows:
        try:
            key = PublicKey.from_pem(row.public_key, f"recorded key {row.key_id}")
        except SigningKeyError:
            continue  # a damaged row: statements it signed then name an unknown key
        keys[key.key_id] = key  # by the id the key really has, not the one the row claims
    return keys
