"""Decide and record: the path policy -> ruleset -> decision -> log.

Order matters: validate (pure), look for the stored answer (store must be
reachable, else nothing is decided), decide, then append and commit. A
decision is handed back only once it is committed; if the append fails the
decision is dropped and the caller answers 503.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from engine.complaint import validate_complaint
from engine.decide import ENGINE_VERSION, Decider
from engine.store.db import DecisionStore, StoredDecision
from rules.canonical import canonical_json, sha256_hex


@dataclass(frozen=True)
class Outcome:
    record: StoredDecision
    created: bool  # False: the same request was decided before; this is the stored answer


def request_digest(raw: object) -> str:
    """sha256 of the canonical JSON of a parsed request body (amounts parsed as Decimal)."""
    return sha256_hex(canonical_json(raw))


def fired_rules(decision: dict) -> list[str]:
    """The ids of the rules a decision cites, each once, in citation order."""
    seen: list[str] = []
    for cited in decision["explanation"]["rules"]:
        if cited["id"] not in seen:
            seen.append(cited["id"])
    return seen


class DecisionService:
    def __init__(self, decider: Decider, store: DecisionStore):
        self.decider = decider
        self.store = store

    def submit(self, raw: object, body_text: str) -> Outcome:
        """Decide ``raw`` (parsed from ``body_text``) once and record it.

        Raises ``ComplaintError``/``CalendarError`` for a complaint that cannot
        be decided and ``StoreUnavailable`` when the answer cannot be recorded.
        """
        policy = self.decider.policy
        complaint = validate_complaint(raw, policy.levels)
        digest = request_digest(raw)
        existing = self.store.find(complaint["complaint_id"], digest, policy.digest)
        if existing is not None:
            return Outcome(existing, created=False)
        decision = self.decider.decide_valid(complaint)
        record, created = self.store.append(
            decision_id=str(uuid.uuid4()),
            policy=policy,
            complaint_id=complaint["complaint_id"],
            request_body=body_text,
            request_digest=digest,
            decision=decision,
            fired_rules=fired_rules(decision),
            engine_version=ENGINE_VERSION,
        )
        return Outcome(record, created=created)
