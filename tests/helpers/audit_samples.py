"""Helpers of the audit tests: a varied stored log, raw SQL tampering, and back-dating a log."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, text, update

from bench.corpus import iter_complaints
from canonical import canonical_json
from engine.complaint import ComplaintError
from lifecycle.decision_service import DecisionService
from rules.calendar import CalendarError
from store import DecisionStore
from store.chain import GENESIS, link_hash
from store.tables import chain_head, decisions
from store.times import shown

POLICY = Path(__file__).resolve().parents[2] / "policies.yaml"
SEED = 20260404


def fill(service: DecisionService, n: int, *, seed: int = SEED, reevaluate_every: int = 5) -> list[str]:
    """Store ``n`` corpus complaints (and a re-evaluation of every ``reevaluate_every``-th one): decision ids."""
    ids = []
    for i, complaint in enumerate(iter_complaints(n, seed)):
        bodies = [complaint]
        if reevaluate_every and i % reevaluate_every == 0:
            again = json.loads(json.dumps(complaint))
            again["history"] = {**again.get("history", {}), "rejected_offers": 2}
            bodies.append(again)
        for body in bodies:
            try:
                outcome = service.submit(json.loads(json.dumps(body)), json.dumps(body, ensure_ascii=False))
            except (ComplaintError, CalendarError):
                continue
            ids.append(outcome.record.decision_id)
    return ids


def execute(store: DecisionStore, sql: str, **params) -> None:
    """Raw SQL, as someone with database access would tamper."""
    with store.engine.begin() as conn:
        conn.execute(text(sql), params)


def row(store: DecisionStore, seq: int):
    with store.engine.connect() as conn:
        return conn.execute(select(decisions).where(decisions.c.seq == seq)).one()


def backdate(store: DecisionStore, created_at: dict[int, str], *, received_too: bool = False) -> None:
    """Give rows other recording times (and, ``received_too``, the same business time in the stored decision)
    and re-link the whole chain: a legitimately old log (the shipped policy cannot decide 2022 complaints)."""
    with store.engine.begin() as conn:
        for seq, when in created_at.items():
            values: dict = {"created_at": when}
            if received_too:
                stored = conn.execute(select(decisions.c.decision).where(decisions.c.seq == seq)).scalar_one()
                decision = json.loads(stored)
                decision["received_at"] = shown(when)
                values["decision"] = canonical_json(decision)
            conn.execute(update(decisions).where(decisions.c.seq == seq).values(**values))
    recompute_chain(store)


def set_received(store: DecisionStore, seq: int, when: str) -> None:
    """Give one stored decision another business time (received_at) and re-link the chain."""
    with store.engine.begin() as conn:
        decision = json.loads(conn.execute(select(decisions.c.decision).where(decisions.c.seq == seq)).scalar_one())
        decision["received_at"] = when
        conn.execute(update(decisions).where(decisions.c.seq == seq).values(decision=canonical_json(decision)))
    recompute_chain(store)


def recompute_chain(store: DecisionStore) -> None:
    """The attack the chain alone cannot show: recompute every prev_hash and chain_hash with the
    project's own link function and move the head, as anyone with write access to the database can."""
    with store.engine.begin() as conn:
        prev = GENESIS
        for record in conn.execute(select(decisions).order_by(decisions.c.seq)).all():
            values = record._asdict()
            values["prev_hash"] = prev
            values["chain_hash"] = link_hash(values)
            conn.execute(
                update(decisions)
                .where(decisions.c.seq == record.seq)
                .values(prev_hash=values["prev_hash"], chain_hash=values["chain_hash"])
            )
            prev = values["chain_hash"]
        last = conn.execute(select(decisions.c.seq).order_by(decisions.c.seq.desc()).limit(1)).scalar() or 0
        conn.execute(update(chain_head).where(chain_head.c.id == 1).values(seq=last, hash=prev))
