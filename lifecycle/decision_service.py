"""Decide and record: the path policy -> ruleset -> decision -> log.

Order matters: validate (pure), decide, then append and commit. A decision is
handed back only once it is committed; if the append fails the decision is
dropped and the caller answers 503. Idempotency is the append's: under the
store's write lock it finds a request already decided under the same policy
and returns that row instead (a repeated request is decided again, in about
0.1 ms, rather than every new one paying a look-up before deciding).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from canonical import canonical_json, sha256_hex
from engine.complaint import ComplaintError, validate_complaint
from engine.decider import Decider
from engine.version import ENGINE_VERSION
from lifecycle.reloader import PolicyRegistry
from lifecycle.versions import PolicyBook
from store.db import DecisionStore, StoredDecision


@dataclass(frozen=True)
class Outcome:
    record: StoredDecision
    created: bool  # False: the same request was decided before; this is the stored answer
    decision: dict | None = None  # created: the decision in hand (record.decision is its canonical JSON)


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
    """Decides under the policy version in force at each complaint's ``received_at``.

    ``policies`` is a ``PolicyRegistry`` (reloading) or, for a fixed policy, a ``Decider``.
    ``on_recorded`` is called with each newly committed decision (the checkpoint schedule).
    """

    def __init__(
        self,
        policies: Decider | PolicyRegistry,
        store: DecisionStore,
        on_recorded: Callable[[StoredDecision], None] | None = None,
    ):
        if isinstance(policies, Decider):
            fixed = PolicyBook([policies])
            self.book: Callable[[], PolicyBook] = lambda: fixed
        else:
            self.book = policies.current
        self.store = store
        self.on_recorded = on_recorded

    def submit(self, raw: object, body_text: str) -> Outcome:
        """Decide ``raw`` (parsed from ``body_text``) once and record it.

        Raises ``ComplaintError``/``CalendarError`` for a complaint that cannot
        be decided and ``StoreUnavailable`` when the answer cannot be recorded.
        """
        nul = _nul_fields(raw)
        if nul:  # PostgreSQL text cannot hold U+0000; refuse it on every store alike
            raise ComplaintError({path: ["text may not contain the NUL character (\\u0000)"] for path in nul})
        decider = self.book().decider_for(raw)
        policy = decider.policy
        complaint = validate_complaint(raw, policy.levels)
        digest = request_digest(raw)
        decision = decider.decide_valid(complaint)
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
        if created and self.on_recorded is not None:
            self.on_recorded(record)
        return Outcome(record, created=created, decision=decision if created else None)


def _nul_fields(value: object, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [path or "complaint"] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                found.append(child)
            found.extend(_nul_fields(item, child))
        return found
    if isinstance(value, list):
        return [
            p for index, item in enumerate(value) for p in _nul_fields(item, f"{path}.{index}" if path else str(index))
        ]
    return []
