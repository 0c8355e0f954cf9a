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
from engine.clock import envelope, index_entries
from engine.complaint import ComplaintError, validate_complaint
from engine.decider import Decider
from engine.version import ENGINE_VERSION
from lifecycle.reloader import PolicyRegistry
from lifecycle.versions import PolicyBook
from store.clock import events_of, latest_decision, queue_row
from store.db import ComplaintHasEvents, DecisionStore, StaleComplaint, StoredDecision, StoreUnavailable


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
        try:
            # Decided on the complaint alone; the store refuses it, under its write lock, if events were
            # recorded on the complaint (no look-up before deciding: a new complaint has none).
            record, created = record_decision(
                self.store, decider, complaint, body_text, digest, decision, without_events=True
            )
        except ComplaintHasEvents:
            return self._resubmit(decider, raw, complaint)
        if created and self.on_recorded is not None:
            self.on_recorded(record)
        return Outcome(record, created=created, decision=decision if created else None)

    def _resubmit(self, decider: Decider, raw: object, complaint: dict) -> Outcome:
        """A complaint sent again after events were reported on it: decided on this body and those
        events (the stored request is the two together, ``engine.clock.envelope``)."""
        complaint_id = complaint["complaint_id"]
        for _attempt in range(8):
            latest = latest_decision(self.store, complaint_id)
            request = envelope(raw, events_of(self.store, complaint_id))
            body = canonical_json(request)
            digest = sha256_hex(body)
            existing = self.store.find(complaint_id, digest, decider.policy.digest)
            if existing is not None:
                return Outcome(existing, created=False)
            decision = decider.decide_request(request)
            try:
                record, created = record_decision(
                    self.store,
                    decider,
                    complaint,
                    body,
                    digest,
                    decision,
                    expect_previous=latest.decision_id if latest else None,
                )
            except StaleComplaint:
                continue  # an event was recorded meanwhile: decide again with it
            if created and self.on_recorded is not None:
                self.on_recorded(record)
            return Outcome(record, created=created)
        raise StoreUnavailable(f"complaint {complaint_id} kept changing while it was decided; retry")


def record_decision(
    store: DecisionStore,
    decider: Decider,
    complaint: dict,
    body: str,
    digest: str,
    decision: dict,
    *,
    decision_id: str | None = None,
    deadlines: list[dict] | None = None,
    **clock,
) -> tuple[StoredDecision, bool]:
    """Append a decision with its complaint's work-queue rows (``deadlines``, made from the decision when
    not given); ``clock``: the event, the expected previous decision, what else the transaction writes
    (``DecisionStore.append``)."""
    return store.append(
        decision_id=decision_id or str(uuid.uuid4()),
        policy=decider.policy,
        complaint_id=complaint["complaint_id"],
        request_body=body,
        request_digest=digest,
        decision=decision,
        fired_rules=fired_rules(decision),
        engine_version=ENGINE_VERSION,
        deadlines=queue_rows(decision, decider, complaint) if deadlines is None else deadlines,
        **clock,
    )


def queue_rows(decision: dict, decider: Decider, complaint: dict) -> list[dict]:
    """The work-queue rows of a decision (its deadlines on the clock), in the store's form."""
    return [queue_row(**entry) for entry in index_entries(decision, decider.policy, complaint, decider.calendar)]


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
