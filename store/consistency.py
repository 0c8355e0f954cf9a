"""What a signed head covers besides the decision chain, and the signer's check that a new head extends the last.

A checkpoint signs, with the decision chain's head:

- ``register``: the policy register's head (``seq``, ``hash``: its last event's chain hash),
- ``staff``: the console's staff trail head (``seq``, ``hash``),
- ``clock_since``: the first decision seq a work-queue row or recorded event names, from which on every
  complaint's latest decision must have its queue rows (``audit.derived``),
- ``trees``: the RFC 9162 Merkle tree of each log (``store.merkle``): size, root and peaks,
- ``policy_texts``: ``[[digest, sha256 of the exact stored text], ...]`` for every stored policy text,
  so a comment edited in a stored text (with its recorded text digest updated to match) is found.

Before signing, ``check_extends`` proves the head about to be signed extends the last one this signer
signed (kept outside the database, ``store.witness``): the store still holds that statement, byte for
byte; every statement after it is signed by this signer; the decision chain still reaches the last signed
chain hash at its seq, and every link after it recomputes to the current head; the register and the staff
trail still reach their signed heads and recompute to their current heads; every signed policy text still
hashes as signed. Any failure raises ``HeadRefused`` naming what no longer holds: signing would otherwise
bless a rewritten history.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from canonical import sha256_hex
from store import merkle
from store.chain import GENESIS, link_hash
from store.db import stored_decision
from store.governance import event_hash as register_hash
from store.staff import event_hash as staff_hash

if TYPE_CHECKING:
    from store.checkpoints import SignedStatement
    from store.signing import PublicKey

from store.tables import (
    chain_head,
    complaint_events,
    deadline_index,
    decisions,
    policies,
    policy_event_head,
    policy_events,
    purges,
    signing_keys,
    staff_events,
    statements,
)

WALK_BATCH = 1000


def clock_since(conn: Connection) -> int | None:
    """The first decision seq any queue row or recorded event names: the deadline clock ran from there."""
    firsts = [
        conn.execute(
            select(func.min(decisions.c.seq)).select_from(
                table.join(decisions, decisions.c.decision_id == table.c.decision_id)
            )
        ).scalar()
        for table in (deadline_index, complaint_events)
    ]
    return min((seq for seq in firsts if seq is not None), default=None)


class HeadRefused(RuntimeError):
    """The signer refuses to sign: the store's history no longer extends the head it signed last."""


def _leaves(conn: Connection, log: str, after: int) -> Iterator[tuple[int, bytes]]:
    """(position key, leaf hash) of ``log``'s leaves after ``after`` (a seq, or for events an id), in order."""
    if log == "decisions":
        chosen = (
            select(decisions.c.seq, decisions.c.decision_id, decisions.c.chain_hash)
            .where(decisions.c.seq > after)
            .order_by(decisions.c.seq)
        )
        for row in conn.execute(chosen):
            data = {"log": log, "seq": row.seq, "decision_id": row.decision_id, "chain_hash": row.chain_hash}
            yield row.seq, merkle.leaf_hash(merkle.leaf_data(data))
    elif log in ("register", "staff"):
        table = policy_events if log == "register" else staff_events
        heads = select(table.c.seq, table.c.chain_hash).where(table.c.seq > after).order_by(table.c.seq)
        for head in conn.execute(heads):
            yield (
                head.seq,
                merkle.leaf_hash(merkle.leaf_data({"log": log, "seq": head.seq, "chain_hash": head.chain_hash})),
            )
    else:
        query = select(complaint_events).where(complaint_events.c.id > after).order_by(complaint_events.c.id)
        for event in conn.execute(query):
            data = {
                "log": log,
                "id": event.id,
                "complaint_id": event.complaint_id,
                "decision_id": event.decision_id,
                "event": event.event,
            }
            yield event.id, merkle.leaf_hash(merkle.leaf_data(data))


def leaf_hashes(conn: Connection, log: str, size: int | None = None) -> list[bytes]:
    """The first ``size`` (default all) leaf hashes of ``log``'s tree, as the store holds them now."""
    found: list[bytes] = []
    for _, leaf in _leaves(conn, log, 0):
        if size is not None and len(found) >= size:
            break
        found.append(leaf)
    return found


def trees(conn: Connection) -> dict[str, Any]:
    """Each log's tree (size, root, peaks): continued from the newest checkpoint that signed one, with the
    leaves appended since, so the new root extends the signed one whatever became of the rows before."""
    last = None
    for row in conn.execute(
        select(statements.c.statement).where(statements.c.kind == "checkpoint").order_by(statements.c.id.desc())
    ):
        body = json.loads(row.statement)
        if isinstance(body.get("trees"), dict):
            last = body["trees"]
            break
    out = {}
    for log in merkle.LOGS:
        signed = (last or {}).get(log) or {}
        size, peaks = int(signed.get("size", 0)), merkle.peaks_in(signed.get("peaks"))
        position = int(signed.get("last_id", size)) if log == "events" else size
        added: list[bytes] = []
        for key, leaf in _leaves(conn, log, position):
            if log != "events" and key != size + len(added) + 1:
                break  # a gap (rows purged before they were in a tree): the tree stops at the last leaf it has
            added.append(leaf)
            position = key
        peaks = merkle.append_peaks(peaks, added)
        size += len(added)
        out[log] = {"size": size, "root": merkle.root_of_peaks(peaks).hex(), "peaks": merkle.peaks_out(peaks)}
        if log == "events":
            out[log]["last_id"] = position
    return out


def anchors(conn: Connection) -> dict[str, Any]:
    """The heads a checkpoint covers besides the decision chain's (see the module docstring)."""
    register = conn.execute(select(policy_event_head.c.seq, policy_event_head.c.hash)).first()
    staff = conn.execute(
        select(staff_events.c.seq, staff_events.c.chain_hash).order_by(staff_events.c.seq.desc()).limit(1)
    ).first()
    texts = [
        [row.digest, sha256_hex(row.text)]
        for row in conn.execute(select(policies.c.digest, policies.c.text).order_by(policies.c.digest))
    ]
    return {
        "trees": trees(conn),
        "clock_since": clock_since(conn),
        "register": {"seq": register.seq if register else 0, "hash": register.hash if register else GENESIS},
        "staff": {"seq": staff.seq if staff else 0, "hash": staff.chain_hash if staff else GENESIS},
        "policy_texts": texts,
    }


def _decisions_extend(conn: Connection, seq: int, chain_hash: str, label: str) -> None:
    """The decision chain at ``seq`` is ``chain_hash``, and every link after it recomputes to the head."""
    head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).one()
    cut = conn.execute(select(func.max(purges.c.last_seq))).scalar() or 0
    if seq < cut:
        expected_seq, expected_prev = (
            cut + 1,
            conn.execute(select(purges.c.cut_hash).where(purges.c.last_seq == cut)).scalar_one(),
        )
    else:
        found = conn.execute(select(decisions.c.chain_hash).where(decisions.c.seq == seq)).scalar() if seq else GENESIS
        if seq and seq == cut and found is None:
            found = conn.execute(select(purges.c.cut_hash).where(purges.c.last_seq == cut)).scalar()
        if found != chain_hash:
            raise HeadRefused(
                f"the decision chain at seq {seq} is {found or 'missing'}, not {chain_hash} as {label} signed: "
                "decisions up to it were edited, deleted or reordered and the links recomputed"
            )
        expected_seq, expected_prev = seq + 1, chain_hash
    while True:
        rows = conn.execute(
            select(decisions).where(decisions.c.seq >= expected_seq).order_by(decisions.c.seq).limit(WALK_BATCH)
        ).all()
        for row in rows:
            record = stored_decision(row)
            if record.seq != expected_seq or record.prev_hash != expected_prev:
                raise HeadRefused(
                    f"decision seq {record.seq} does not link to seq {expected_seq - 1} after {label}: "
                    "decisions were deleted or relinked"
                )
            if link_hash(record.as_row()) != record.chain_hash:
                raise HeadRefused(f"decision seq {record.seq} no longer hashes to its chain_hash: it was edited")
            expected_seq, expected_prev = record.seq + 1, record.chain_hash
        if len(rows) < WALK_BATCH:
            break
    if head.seq != expected_seq - 1 or head.hash != expected_prev:
        raise HeadRefused(
            f"the chain head (seq {head.seq}) is not the last decision (seq {expected_seq - 1}): the head was moved"
        )


def _events_extend(
    conn: Connection,
    name: str,
    table: Table,
    hash_of: Callable[[dict[str, Any]], str],
    signed: dict[str, Any] | None,
    label: str,
) -> None:
    """A hash-chained event table still reaches ``signed`` ({seq, hash}) and recomputes after it."""
    expected_seq, expected_prev = 1, GENESIS
    reached = signed is None or signed.get("seq", 0) == 0
    for row in conn.execute(select(table).order_by(table.c.seq)):
        event = dict(row._mapping)
        if event["seq"] != expected_seq or event["prev_hash"] != expected_prev:
            raise HeadRefused(f"{name} event {event['seq']} does not follow event {expected_seq - 1}: events removed")
        if hash_of(event) != event["chain_hash"]:
            raise HeadRefused(f"{name} event {event['seq']} no longer hashes to its link: it was edited")
        if signed is not None and event["seq"] == signed.get("seq"):
            if event["chain_hash"] != signed.get("hash"):
                raise HeadRefused(
                    f"{name} event {event['seq']} is not the one {label} signed: the {name} was rewritten"
                )
            reached = True
        expected_seq, expected_prev = event["seq"] + 1, event["chain_hash"]
    if not reached:
        raise HeadRefused(
            f"the {name} ends at event {expected_seq - 1}, but {label} signed event {signed['seq']}: "  # type: ignore[index]
            "events were deleted from its end"
        )


def check_extends(
    conn: Connection, signer_key_id: str, last_signed: SignedStatement | None, public_key: PublicKey
) -> None:
    """Raise ``HeadRefused`` unless the store's history extends ``last_signed`` (a ``SignedStatement`` the
    signer kept, or None), as the module docstring says. The caller holds the append lock."""
    stored = conn.execute(select(statements).order_by(statements.c.id)).all()
    if last_signed is None:
        used = conn.execute(select(signing_keys.c.first_used_at).where(signing_keys.c.key_id == signer_key_id)).first()
        if used is not None and not stored:
            raise HeadRefused(
                f"key {signer_key_id} signed statements in this store (first at {used.first_used_at}), and the store "
                "holds none: the signed statements were deleted"
            )
        return
    label = f"statement {last_signed.number} (seq {last_signed.seq})"
    by_number = {row.id: row for row in stored}
    mine = by_number.get(last_signed.number)
    if mine is None:
        raise HeadRefused(
            f"{label}, which this signer signed and kept, is not in the store (it holds "
            f"{len(stored)} statements): the signed statements were deleted or rolled back"
        )
    if sha256_hex(mine.statement) != last_signed.digest or mine.signature != last_signed.signature:
        raise HeadRefused(f"the store's statement {last_signed.number} is not the one this signer signed: replaced")
    newest_id, newest_seq, newest_hash = last_signed.number, last_signed.seq, last_signed.chain_hash
    covered = last_signed.body()  # the latest statement that signed the register, staff and text anchors
    for row in stored:
        if row.id <= last_signed.number:
            continue
        if row.key_id != signer_key_id or not public_key.verify(row.statement.encode("utf-8"), row.signature):
            raise HeadRefused(
                f"statement {row.id} after {label} is not signed by this signer's key {signer_key_id}: forged"
            )
        newest_id, newest_seq, newest_hash = row.id, row.seq, row.chain_hash
        body = json.loads(row.statement)
        if "register" in body:
            covered = body
    _decisions_extend(conn, newest_seq, newest_hash, f"statement {newest_id} (seq {newest_seq})")
    _events_extend(conn, "policy register", policy_events, register_hash, covered.get("register"), label)
    _events_extend(conn, "staff trail", staff_events, staff_hash, covered.get("staff"), label)
    texts = dict(anchors(conn)["policy_texts"])
    for digest, text_sha in covered.get("policy_texts") or []:
        if texts.get(digest) != text_sha:
            raise HeadRefused(
                f"policy {digest[:12]}'s stored text no longer hashes to {text_sha[:12]} as signed: "
                "it was edited or deleted"
            )
