"""The policy register: every governance transition of a policy version, in its own hash chain.

One row per transition (proposed, approved, rejected, scheduled, withdrawn, adopted), append-only,
each chained to the one before by sha256 like decisions are (``store/chain.py``), with a head row
that writers lock. The register is the only source of a version's state: nothing is kept as a
mutable column, so ``verify`` over these rows covers who did what, when, why and to which digest.

The tables are in ``store/tables.py`` with the others (created with the store, migrated with it).

What a transition may do is decided above (``lifecycle/governance.py``): ``transition`` takes a
function that sees every event and the server's clock, inside the write lock, and returns the
events to append or raises; a refusal therefore appends nothing and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row

from canonical import canonical_json
from store.chain import GENESIS
from store.db import DecisionStore, PolicyText
from store.tables import EVENTS, chain_head, policies, policy_event_head, policy_events

CHAINED = (
    "seq",
    "digest",
    "version",
    "event",
    "actor",
    "actor_name",
    "recorded_at",
    "reason",
    "detail",
    "decision_seq",
    "decision_hash",
    "prev_hash",
)


def event_hash(row: dict[str, Any]) -> str:
    content = canonical_json({name: row[name] for name in CHAINED})
    return hashlib.sha256(f"{row['prev_hash']}\n{content}".encode()).hexdigest()


@dataclass(frozen=True)
class PolicyEvent:
    seq: int
    digest: str
    version: str
    event: str
    actor: str
    actor_name: str
    recorded_at: str
    reason: str
    detail: str
    decision_seq: int
    decision_hash: str
    prev_hash: str
    chain_hash: str

    def details(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.detail)
        return loaded

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class NewEvent:
    """An event to append; the register adds its place in the chain and the server's time."""

    digest: str
    version: str
    event: str
    actor: str
    actor_name: str
    reason: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class RegisterProblem:
    seq: int | None
    kind: str  # edited | relinked | missing | head | text
    detail: str

    def __str__(self) -> str:
        where = f"policy event {self.seq}" if self.seq is not None else "policy register"
        return f"{where}: {self.kind}: {self.detail}"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PolicyRegister:
    """The governance events of one decision store."""

    def __init__(self, store: DecisionStore, clock: Callable[[], dt.datetime] = _utc_now):
        self.store = store
        self.clock = clock
        self._ready = False

    def ensure(self) -> None:
        if self._ready:
            return
        self.store._ensure_schema()  # the tables and the head row come with the store (init_schema)
        self._ready = True

    def events(self, after_seq: int = 0) -> list[PolicyEvent]:
        """Every event after ``after_seq``, in chain order."""
        self.ensure()
        query = select(policy_events).where(policy_events.c.seq > after_seq).order_by(policy_events.c.seq)
        with self.store._guard(), self.store.engine.connect() as conn:
            return [_event(row) for row in conn.execute(query)]

    def last_seq(self) -> int:
        self.ensure()
        with self.store._guard(), self.store.engine.connect() as conn:
            return int(conn.execute(select(policy_event_head.c.seq).where(policy_event_head.c.id == 1)).scalar_one())

    def transition(
        self,
        decide: Callable[[list[PolicyEvent], dt.datetime], list[NewEvent]],
        policy: PolicyText | None = None,
    ) -> list[PolicyEvent]:
        """Append what ``decide(events, now)`` returns, atomically; it raises to refuse (nothing is written).

        ``now`` is read inside the write lock: it is the moment the transition is recorded.
        ``policy`` is stored by digest in the same transaction (a proposal's text).
        """
        self.ensure()
        with self.store._guard(), self.store._write() as conn:
            head = conn.execute(
                select(policy_event_head.c.seq, policy_event_head.c.hash)
                .where(policy_event_head.c.id == 1)
                .with_for_update()
            ).one()
            events = [_event(row) for row in conn.execute(select(policy_events).order_by(policy_events.c.seq))]
            now = self.clock()
            new = decide(events, now)
            if not new:
                return []
            if policy is not None:
                self.store._ensure_policy(conn, policy)
            decisions = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).one()
            seq, prev, written = head.seq, head.hash, []
            for item in new:
                if item.event not in EVENTS:
                    raise ValueError(f"unknown policy event {item.event!r}")
                seq += 1
                row = {
                    "seq": seq,
                    "digest": item.digest,
                    "version": item.version,
                    "event": item.event,
                    "actor": item.actor[:200],
                    "actor_name": item.actor_name[:200],
                    "recorded_at": now.astimezone(dt.UTC).isoformat(timespec="microseconds"),
                    "reason": item.reason,
                    "detail": canonical_json(item.detail),
                    "decision_seq": decisions.seq,
                    "decision_hash": decisions.hash,
                    "prev_hash": prev,
                }
                row["chain_hash"] = event_hash(row)
                conn.execute(insert(policy_events).values(**row))
                prev = row["chain_hash"]
                written.append(PolicyEvent(**row))
            conn.execute(update(policy_event_head).where(policy_event_head.c.id == 1).values(seq=seq, hash=prev))
        return written

    def policy_text(self, digest: str) -> str | None:
        return self.store.policy_text(digest)

    def verify(self) -> tuple[int, list[RegisterProblem]]:
        """Recompute every link of the register; (events checked, problems found)."""
        self.ensure()
        problems: list[RegisterProblem] = []
        expected_seq, expected_prev, count = 1, GENESIS, 0
        with self.store._guard(), self.store.engine.connect() as conn:
            rows = [_event(row) for row in conn.execute(select(policy_events).order_by(policy_events.c.seq))]
            head = conn.execute(select(policy_event_head.c.seq, policy_event_head.c.hash)).one()
            known = set(conn.execute(select(policies.c.digest)).scalars())
        for event in rows:
            count += 1
            if event.seq != expected_seq:
                problems.append(RegisterProblem(event.seq, "missing", f"expected event {expected_seq} before it"))
            if event.prev_hash != expected_prev:
                problems.append(
                    RegisterProblem(event.seq, "relinked", "prev_hash does not match the previous event's chain_hash")
                )
            if event_hash(event.as_row()) != event.chain_hash:
                problems.append(RegisterProblem(event.seq, "edited", "the event's content does not hash to its link"))
            if event.digest not in known:
                problems.append(RegisterProblem(event.seq, "text", f"policy {event.digest[:12]} is not in the store"))
            expected_seq, expected_prev = event.seq + 1, event.chain_hash
        if head.seq != expected_seq - 1 or head.hash != expected_prev:
            problems.append(
                RegisterProblem(
                    None, "head", f"head is event {head.seq} but the last event is {expected_seq - 1}: events removed"
                )
            )
        return count, problems


def _event(row: Row[Any]) -> PolicyEvent:
    return PolicyEvent(**{name: getattr(row, name) for name in PolicyEvent.__dataclass_fields__})
