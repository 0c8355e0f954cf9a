"""Proofs a regulator or a consumer checks offline, with the public key and nothing of this service.

``inclusion(store, decision)``: that a decision is leaf ``seq - 1`` of the decisions tree whose size and
root a signed checkpoint states (RFC 9162 2.1.3). ``consistency(store, first, second)``: that the tree a
checkpoint signed is a prefix of the tree a later one signed (2.1.4): nothing signed was rewritten in
between. Each proof carries the signed statements it rests on; examples/verify_proof.py checks them.

``tree_problems`` is ``store verify``'s check of the trees: each log's leaves, as the store holds them now,
must still give the root the newest checkpoint signed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from store import merkle
from store.checkpoints import SignedStatement, all_statements
from store.consistency import leaf_hashes
from store.db import DecisionStore
from store.tables import purges

INCLUSION_FORMAT = "complaints-inclusion-proof/1"
CONSISTENCY_FORMAT = "complaints-consistency-proof/1"


class ProofUnavailable(LookupError):
    """No proof can be given; the message says why and what to do."""


@dataclass(frozen=True)
class TreeProblem:
    log: str
    detail: str


def _with_trees(store: DecisionStore) -> list[SignedStatement]:
    return [s for s in all_statements(store) if s.kind == "checkpoint" and isinstance(s.body().get("trees"), dict)]


def _purged(store: DecisionStore) -> bool:
    with store._guard(), store.engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(purges)).scalar())


def _leaves(store: DecisionStore, log: str, size: int) -> list[bytes]:
    with store._guard(), store.engine.connect() as conn:
        return leaf_hashes(conn, log, size)


def _checked_leaves(store: DecisionStore, statement: SignedStatement, log: str) -> list[bytes]:
    tree = statement.body()["trees"][log]
    leaves = _leaves(store, log, tree["size"])
    if len(leaves) < tree["size"] or merkle.root(leaves).hex() != tree["root"]:
        raise ProofUnavailable(
            f"the store's {log} no longer give the root checkpoint {statement.number} signed: they were altered or "
            "purged (run `complaints store verify`)"
        )
    return leaves


def inclusion(store: DecisionStore, decision_id: str) -> dict:
    """The inclusion proof of one stored decision under the newest checkpoint that covers it."""
    record = store.get(decision_id)
    if record is None:
        raise ProofUnavailable(f"no decision {decision_id}")
    covering = [s for s in _with_trees(store) if s.body()["trees"]["decisions"]["size"] >= record.seq]
    if not covering:
        raise ProofUnavailable(
            f"decision {decision_id} (seq {record.seq}) is under no signed checkpoint yet: sign one "
            "(`complaints checkpoint`) and ask again"
        )
    statement = covering[-1]
    leaves = _checked_leaves(store, statement, "decisions")
    leaf = {"log": "decisions", "seq": record.seq, "decision_id": record.decision_id, "chain_hash": record.chain_hash}
    return {
        "format": INCLUSION_FORMAT,
        "log": "decisions",
        "leaf": merkle.leaf_data(leaf).decode("utf-8"),
        "index": record.seq - 1,
        "tree_size": statement.body()["trees"]["decisions"]["size"],
        "path": [h.hex() for h in merkle.inclusion_proof(record.seq - 1, leaves)],
        "statement": statement.as_dict(),
    }


def consistency(store: DecisionStore, first: int, second: int, log: str = "decisions") -> dict:
    """The consistency proof of ``log``'s tree between checkpoints ``first`` and ``second`` (numbers)."""
    if log not in merkle.LOGS:
        raise ProofUnavailable(f"log {log!r}: expected one of {', '.join(merkle.LOGS)}")
    by_number = {s.number: s for s in _with_trees(store)}
    for number in (first, second):
        if number not in by_number:
            raise ProofUnavailable(f"checkpoint {number} is not in the store, or signed no trees (signed before them)")
    older, newer = by_number[first], by_number[second]
    m, n = older.body()["trees"][log]["size"], newer.body()["trees"][log]["size"]
    if m == 0 or m > n:
        raise ProofUnavailable(f"checkpoint {first}'s {log} tree ({m} leaves) is not a prefix of {second}'s ({n})")
    leaves = _checked_leaves(store, newer, log)
    return {
        "format": CONSISTENCY_FORMAT,
        "log": log,
        "first_size": m,
        "second_size": n,
        "path": [h.hex() for h in merkle.consistency_proof(m, leaves)],
        "first": older.as_dict(),
        "second": newer.as_dict(),
    }


def tree_problems(store: DecisionStore, checkpoints: list[SignedStatement]) -> list[TreeProblem]:
    """Each log's leaves against the tree the newest valid checkpoint signed (when the store was never purged:
    a purge removes leaves a tree still counts)."""
    signed = [c for c in checkpoints if isinstance(c.body().get("trees"), dict)]
    if not signed:
        return []
    newest = max(signed, key=lambda s: s.number)
    purged = _purged(store)
    problems = []
    for log in merkle.LOGS:
        if purged and log in ("decisions", "events"):
            continue
        tree = newest.body()["trees"].get(log) or {}
        size = int(tree.get("size", 0))
        leaves = _leaves(store, log, size)
        if len(leaves) < size:
            problems.append(
                TreeProblem(log, f"checkpoint {newest.number} signed {size} leaves, the store has {len(leaves)}")
            )
        elif merkle.root(leaves).hex() != tree.get("root"):
            problems.append(
                TreeProblem(
                    log,
                    f"its first {size} leaves no longer give the root checkpoint {newest.number} signed: "
                    "entries were edited, reordered or replaced",
                )
            )
    return problems
