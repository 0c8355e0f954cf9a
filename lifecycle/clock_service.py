"""The deadline clock over the store: report an event, escalate what is late, keep the work queue.

Reporting an event re-decides the complaint on its base complaint (the latest one sent) and all its
events, under the policy version of its latest decision (by digest, from the store), and appends the
new decision with the event and the complaint's work-queue rows in one transaction
(``DecisionStore.append``). The stored request is the complaint with its events
(``engine.clock.envelope``), so a replay re-makes the same bytes.

Concurrency: the append expects the complaint's latest decision to be the one decided on
(``StaleComplaint`` otherwise: read again and retry), and the event's idempotency key (complaint,
type, instant, breached kind) is unique in the store, so two systems reporting one event, or two
escalation runs recording one breach, record it once.

Notifications (``deadline.due_soon``, ``deadline.breached``, ``decision.escalated``) are produced here,
as data on each outcome and run (``notifications``), and written to the webhook outbox
(``lifecycle.webhooks``) in the transaction of what caused them (the decision, or the warning's mark
on the work queue): a crash between the two cannot lose one. Each goes under a key of what it is
about, so that a run or a retry that finds the same breach again queues it once. An event post
warns of the complaint's deadlines that are due soon at the time it is posted, as a run would.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.engine import Connection

from canonical import canonical_json, sha256_hex
from engine.clock import envelope, is_envelope
from engine.compiled import decider_for_text
from engine.complaint import ComplaintError, validate_complaint
from engine.decider import Decider
from engine.events import breach_event, check_event, parse_time, validate_event
from lifecycle.decision_service import queue_rows, record_decision
from lifecycle.webhooks import enqueue_notification
from rules.model import BREACH_EVENT, Policy
from store.clock import (
    QueueEntry,
    breach_candidates,
    claim_warning,
    event_decision,
    event_row,
    events_of,
    latest_decision,
    latest_decisions,
    replace_queue,
    warnings_due,
)
from store.db import DecisionStore, StaleComplaint, StoredDecision, StoreUnavailable

ATTEMPTS = 8  # appends retried when another decision on the complaint came first
DEFAULT_SKEW = dt.timedelta(minutes=5)  # how far ahead of the server's clock an event may be dated


class UnknownComplaint(LookupError):
    """No decision was ever recorded for this complaint id."""


@dataclass(frozen=True)
class Notification:
    """One outbound notification: its kind and its JSON payload (for lifecycle.webhooks)."""

    kind: str  # deadline.due_soon | deadline.breached | decision.escalated
    payload: dict


@dataclass(frozen=True)
class EventOutcome:
    record: StoredDecision
    created: bool  # False: this event was recorded before; ``record`` is the decision it produced
    notifications: list[Notification] = field(default_factory=list)


@dataclass
class EscalationRun:
    now: str
    examined: int = 0
    recorded: list[dict] = field(default_factory=list)  # breaches recorded by this run
    already: int = 0  # recorded meanwhile by another run, or met since
    failed: list[dict] = field(default_factory=list)
    warned: list[dict] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "now": self.now,
            "examined": self.examined,
            "recorded": self.recorded,
            "already": self.already,
            "failed": self.failed,
            "warned": self.warned,
            "notifications": [{"kind": n.kind, "payload": n.payload} for n in self.notifications],
        }


@dataclass
class QueueRebuild:
    complaints: int = 0  # complaints whose latest decision was read
    changed: int = 0  # of them, those whose work-queue rows were rewritten


class ClockService:
    """``loaded``: the deciders the process holds already (the policy book), found by digest before
    a stored policy text is loaded and compiled."""

    def __init__(
        self,
        store: DecisionStore,
        loaded: Callable[[], Iterable[Decider]] | None = None,
        max_skew: dt.timedelta = DEFAULT_SKEW,
    ):
        self.store = store
        self.loaded = loaded
        self.max_skew = max_skew
        self._lock = threading.Lock()
        self._deciders: dict[str, Decider] = {}

    def decider(self, digest: str) -> Decider:
        for held in self.loaded() if self.loaded else ():
            if held.policy.digest == digest:
                return held
        with self._lock:
            found = self._deciders.get(digest)
        if found is not None:
            return found
        text = self.store.policy_text(digest)
        if text is None:
            raise StoreUnavailable(f"policy {digest} of a stored decision is not in the store")
        decider = decider_for_text(text, f"policy:{digest[:12]}")
        with self._lock:
            self._deciders[digest] = decider
        return decider

    # -- events ----------------------------------------------------------

    def report(self, complaint_id: str, raw: object, now: dt.datetime | None = None) -> EventOutcome:
        """Record the event ``raw`` on the complaint and answer the decision re-made on it.

        ``now``: the server's clock when the event is posted: an event dated more than ``max_skew``
        after it is refused (``at`` names it), and the deadlines due soon at ``now`` are warned of.
        Raises ``UnknownComplaint``, ``ComplaintError`` (naming the field; nothing recorded),
        ``StoreUnavailable``."""

        def make(policy, received, events) -> dict:
            event = validate_event(raw, policy, received, events)
            if now is not None and _instant(event["at"]) > now + self.max_skew:
                raise ComplaintError(
                    {
                        "at": [
                            f"{raw['at']} is in the future (the server's clock reads "  # type: ignore[index]
                            f"{now.astimezone(dt.UTC).isoformat(timespec='seconds')}); report an event once it "
                            f"has happened, with its offset (at most {int(self.max_skew.total_seconds())} s ahead)"
                        ]
                    }
                )
            return event

        return self._record(
            complaint_id, make, repeat=_repeat_key(raw), now=now, check=lambda policy: check_event(raw, policy)
        )

    def _record(
        self,
        complaint_id: str,
        make_event,
        still_due=None,
        repeat: dict | None = None,
        now: dt.datetime | None = None,
        announce: Callable[[dict, StoredDecision, str], list[Notification]] | None = None,
        check: Callable[[Policy], object] | None = None,
    ) -> EventOutcome:
        """Re-decide the complaint on its events and ``make_event``'s, and append the decision, its event,
        its work-queue rows and the notifications it causes in one transaction. ``announce`` gives the
        notifications that come before the decision's own changes (the breach a run recorded);
        ``now``, the time whose due-soon warnings are given with it; ``check``, what a reported event must
        pass before a repeat of it is answered (a retry with a bad note is refused, not taken as the same)."""
        for _attempt in range(ATTEMPTS):
            latest = latest_decision(self.store, complaint_id)
            if latest is None:
                raise UnknownComplaint(complaint_id)
            decider = self.decider(latest.policy_digest)
            base = _base_complaint(latest)
            complaint = validate_complaint(base, decider.policy.levels)
            if repeat is not None:  # the same event reported again (a retry): its decision, nothing recorded
                if check is not None:
                    check(decider.policy)  # ... once its fields are sound: a bad note is refused, not a retry
                found = event_decision(self.store, complaint_id, repeat)
                if found is not None:
                    return EventOutcome(found, created=False)
            recorded = events_of(self.store, complaint_id)
            event = make_event(decider.policy, complaint["received_at"], recorded)
            if still_due is not None and not still_due(latest.decision_dict()):
                return EventOutcome(latest, created=False)
            key = event_row(event, canonical_json(event))
            found = event_decision(self.store, complaint_id, key)
            if found is not None:
                return EventOutcome(found, created=False)
            events = [*recorded, event]
            decision = decider.decide_on_events(complaint, events)
            request = envelope(base, events)
            body = canonical_json(request)
            decision_id = new_decision_id()
            rows = queue_rows(decision, decider, complaint)
            notes = [*(announce(decision, latest, decision_id) if announce else [])]
            notes += changes(latest, complaint_id, decision_id, decision, event, decider.policy.level_rank)
            if now is not None:
                notes += _due_soon(complaint_id, decision_id, rows, now)
            try:
                record, created = record_decision(
                    self.store,
                    decider,
                    complaint,
                    body,
                    sha256_hex(body),
                    decision,
                    event=key,
                    expect_previous=latest.decision_id,
                    decision_id=decision_id,
                    deadlines=rows,
                    in_transaction=_outbox(self.store, notes),
                )
            except StaleComplaint:
                continue
            return EventOutcome(record, created, notes if created else [])
        raise StoreUnavailable(f"complaint {complaint_id} kept changing while the event was recorded; retry")

    # -- escalation ------------------------------------------------------

    def escalate(self, now: dt.datetime, batch: int = 500) -> EscalationRun:
        """Record every breach due at or before ``now`` that its kind records (the breach at its due time),
        re-deciding each complaint (escalation per §3.10), and give the due_soon warnings reached by ``now``."""
        run = EscalationRun(now=now.isoformat())
        skipped: set[tuple[str, str, str]] = set()
        while True:
            entries = [
                e for e in breach_candidates(self.store, now=now, limit=batch + len(skipped)) if _id(e) not in skipped
            ]
            if not entries:
                break
            for entry in entries:
                run.examined += 1
                skipped.add(_id(entry))
                self._breach(entry, run)
        for entry in warnings_due(self.store, now=now, limit=100_000):
            payload = _deadline_payload(entry)
            warning = Notification("deadline.due_soon", payload)
            if claim_warning(self.store, entry, also=_outbox(self.store, [warning])):  # one transaction
                run.warned.append(payload)
                run.notifications.append(warning)
        return run

    # -- the work queue -------------------------------------------------

    def rebuild_queue(self, progress: Callable[[int, int], None] | None = None, batch: int = 500) -> QueueRebuild:
        """Make every complaint's work-queue rows those of its latest decision (a store upgraded from
        release 1.1.0 has none for its earlier complaints). Idempotent: a complaint whose rows are right
        already is left as it is. ``progress(done, changed)`` after each complaint."""
        result = QueueRebuild()
        after: str | None = None
        while True:
            records = latest_decisions(self.store, after=after, limit=batch)
            if not records:
                return result
            for record in records:
                decider = self.decider(record.policy_digest)
                complaint = validate_complaint(_base_complaint(record), decider.policy.levels)
                rows = queue_rows(record.decision_dict(), decider, complaint)
                result.complaints += 1
                if replace_queue(self.store, record.complaint_id, record.decision_id, rows):
                    result.changed += 1
                if progress is not None:
                    progress(result.complaints, result.changed)
            after = records[-1].complaint_id

    def _breach(self, entry: QueueEntry, run: EscalationRun) -> None:
        due_local = entry.due_local

        def make(_policy, _received, _events) -> dict:
            return breach_event(entry.kind, due_local, entry.rule)

        def still_due(decision: dict) -> bool:
            return any(
                d["kind"] == entry.kind
                and d["due_at"] == due_local
                and d["status"] in ("scheduled", "overdue", "breached")
                and not d.get("breach_recorded")
                for d in decision["deadlines"]
            )

        def breached(decision: dict, _before: StoredDecision, decision_id: str) -> list[Notification]:
            deadline = next((d for d in decision["deadlines"] if d["kind"] == entry.kind), None)
            return [
                Notification(
                    "deadline.breached",
                    {
                        **_deadline_payload(entry),
                        "decision_id": decision_id,
                        # this deadline's breach (its binding rule, or a legal one it cites), not the decision's flags
                        "legal_deadline_breached": bool(deadline and deadline.get("legal_breached")),
                    },
                )
            ]

        try:
            outcome = self._record(entry.complaint_id, make, still_due, announce=breached)
        except (ComplaintError, UnknownComplaint) as exc:
            run.failed.append({"complaint_id": entry.complaint_id, "kind": entry.kind, "error": str(exc)})
            return
        if not outcome.created:
            run.already += 1
            return
        decision = outcome.record.decision_dict()
        run.recorded.append(
            {
                "complaint_id": entry.complaint_id,
                "kind": entry.kind,
                "due_at": due_local,
                "decision_id": outcome.record.decision_id,
                "level": decision["route"]["level"],
                "flags": decision["flags"],
            }
        )
        run.notifications.extend(outcome.notifications)  # the breach, then what it caused


def new_decision_id() -> str:
    return str(uuid.uuid4())


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _outbox(store: DecisionStore, notes: list[Notification]) -> Callable[[Connection], None] | None:
    """What writes ``notes`` to the webhook outbox on the caller's open transaction."""
    if not notes:
        return None

    def write(conn: Connection) -> None:
        for note in notes:
            enqueue_notification(store, note.kind, note.payload, key=notification_key(note), conn=conn)

    return write


def _due_soon(complaint_id: str, decision_id: str, rows: list[dict], now: dt.datetime) -> list[Notification]:
    """The warnings an event post gives with its decision: the deadlines due soon at ``now`` (past their
    warning time, not yet due). Each is marked warned in the work queue the decision writes."""
    notes = []
    for row in rows:
        soon, due = row["due_soon_at"], row["due_at"]
        if soon is None or not (_instant(soon) <= now < _instant(due)):
            continue
        row["warned"] = 1
        payload = {
            "complaint_id": complaint_id,
            "decision_id": decision_id,
            "kind": row["kind"],
            "due_at": row["due_local"],
            "rule": row["rule"],
            "team": row["team"],
            "level": row["level"],
        }
        notes.append(Notification("deadline.due_soon", payload))
    return notes


def notification_key(note: Notification) -> str:
    """What a notification is about, so that the outbox holds it once: a deadline's warning or breach
    by complaint, kind and due time; an escalation by the decision that raised the level."""
    payload = note.payload
    if note.kind == "decision.escalated":
        return str(payload["decision_id"])
    return f"{payload['complaint_id']}/{payload['kind']}@{payload['due_at']}"


def _id(entry: QueueEntry) -> tuple[str, str, str]:
    return entry.complaint_id, entry.kind, entry.due_at


def _repeat_key(raw: object) -> dict | None:
    """The idempotency key of a reported event, if it has a type and a readable time."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        return None
    try:
        moment = parse_time(raw.get("at"), "at")
    except ComplaintError:
        return None
    return event_row({"type": raw["type"], "at": moment.isoformat()}, "")


def _base_complaint(record: StoredDecision) -> object:
    """The complaint as last sent: the request of a plain decision, or the complaint inside a decision on events."""
    raw = json.loads(record.request_body, parse_float=Decimal)
    return raw["complaint"] if is_envelope(raw) else raw


def _deadline_payload(entry: QueueEntry) -> dict:
    return {
        "complaint_id": entry.complaint_id,
        "decision_id": entry.decision_id,
        "kind": entry.kind,
        "due_at": entry.due_local,
        "rule": entry.rule,
        "team": entry.team,
        "level": entry.level,
    }


def changes(
    before: StoredDecision, complaint_id: str, decision_id: str, new: dict, event: dict, rank: Callable[[str], int]
) -> list[Notification]:
    """What a new decision on an event changed that someone should hear of: a breach, an escalation."""
    old = before.decision_dict()
    notes = []
    was = {d["kind"]: d for d in old["deadlines"]}
    for deadline in new["deadlines"]:
        earlier = was.get(deadline["kind"], {})
        if event["type"] == BREACH_EVENT:
            break  # the escalation run announces the breach it recorded itself
        if deadline["status"] == "breached" and earlier.get("status") != "breached":
            notes.append(
                Notification(
                    "deadline.breached",
                    {
                        "complaint_id": complaint_id,
                        "decision_id": decision_id,
                        "kind": deadline["kind"],
                        "due_at": deadline["due_at"],
                        "rule": deadline["rule"],
                        "legal_deadline_breached": bool(deadline.get("legal_breached")),
                    },
                )
            )
    levels = old["route"]["level"], new["route"]["level"]
    if levels[0] is not None and levels[1] is not None and rank(levels[1]) > rank(levels[0]):
        notes.append(
            Notification(
                "decision.escalated",
                {
                    "complaint_id": complaint_id,
                    "decision_id": decision_id,
                    "previous_decision_id": before.decision_id,
                    "from_level": levels[0],
                    "to_level": levels[1],
                    "team": new["route"]["team"],
                    "event": {"type": event["type"], "at": event["at"]},
                },
            )
        )
    return notes
