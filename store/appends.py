"""Batched appends: decisions written in one transaction per batch (group commit), each a link of the hash
chain, with the deadline clock's rows (recorded events, the work queue) and whatever else the decision's
transaction writes.

Appends are serialized so that the hash chain has exactly one head:
SQLite takes the write lock up front (``BEGIN IMMEDIATE``), PostgreSQL locks
the single ``chain_head`` row (``SELECT ... FOR UPDATE``). Inside that lock the
idempotency key (complaint_id, request_digest, policy_digest) is checked again,
and the unique constraint on it is the last line of defence, so two identical
requests at once give one decision. A method returns only after COMMIT.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from canonical import canonical_json
from store.chain import link_hash
from store.group_commit import GroupCommit, Slot
from store.policy_texts import PolicyTexts
from store.records import (
    ComplaintHasEvents,
    PolicyText,
    StaleComplaint,
    StoredDecision,
    StoreUnavailable,
    _stored,
    utc_now,
)
from store.tables import chain_head, complaint_events, deadline_index, decisions

_ANY = object()  # append(expect_previous=...) not given: no check


@dataclass(frozen=True)
class _Pending:
    """An append waiting for its batch: the row's content, already serialised."""

    decision_id: str
    policy: PolicyText
    complaint_id: str
    request_body: str
    request_digest: str
    decision: str  # canonical JSON
    fired_rules: str  # canonical JSON list
    engine_version: str
    deadlines: list[dict[str, Any]] | None = None  # the deadline clock: the complaint's work-queue rows
    event: dict[str, Any] | None = None  # the event this decision records
    expect_previous: object = _ANY  # the complaint's latest decision the caller decided on
    without_events: bool = False  # decided on the complaint alone: refused if it has recorded events
    # What else the decision's transaction writes (its notifications in the webhook outbox), run on its
    # connection once the decision is inserted: both commit, or neither.
    in_transaction: Callable[[Connection], None] | None = None


class Appends(PolicyTexts):
    group_commit: GroupCommit[_Pending, tuple[StoredDecision, bool]]  # made by DecisionStore.__init__

    def find(self, complaint_id: str, request_digest: str, policy_digest: str) -> StoredDecision | None:
        """The decision already stored for this exact request under this policy, if any."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            row = conn.execute(_IDEMPOTENT, _idempotency_key(complaint_id, request_digest, policy_digest)).first()
        return _stored(row) if row else None

    def append(
        self,
        *,
        decision_id: str,
        policy: PolicyText,
        complaint_id: str,
        request_body: str,
        request_digest: str,
        decision: dict[str, Any],
        fired_rules: list[str],
        engine_version: str,
        deadlines: list[dict[str, Any]] | None = None,
        event: dict[str, Any] | None = None,
        expect_previous: object = _ANY,
        without_events: bool = False,
        in_transaction: Callable[[Connection], None] | None = None,
    ) -> tuple[StoredDecision, bool]:
        """Store a new decision and return (it, True), or (the one already stored, False).

        Returns once the COMMIT holding it has returned; it may share that transaction with
        other threads' appends (group commit, store/group_commit.py).

        The deadline clock, in the same transaction: ``deadlines`` (``store.clock.DeadlineRow``
        fields) replace the complaint's rows in the work queue; ``event`` (type, at, subject, event)
        is recorded with the decision, once per complaint, type, instant and subject (a repeat
        returns the decision that recorded it); ``expect_previous``, the complaint's latest decision
        the caller decided on, else ``StaleComplaint``; ``without_events``: the decision was made on the
        complaint alone, so ``ComplaintHasEvents`` if events were recorded on it (one look-up for the
        batch's complaints already decided, none for a new complaint); ``in_transaction``, what else
        to write with a new decision, on its connection (not called for one stored before)."""
        self._ensure_schema()
        # Serialised here, in the caller's thread, so the writer holds the lock for as short as it can.
        pending = _Pending(
            decision_id=decision_id,
            policy=policy,
            complaint_id=complaint_id,
            request_body=request_body,
            request_digest=request_digest,
            decision=canonical_json(decision),
            fired_rules=canonical_json(fired_rules),
            engine_version=engine_version,
            deadlines=deadlines,
            event=event,
            expect_previous=expect_previous,
            without_events=without_events,
            in_transaction=in_transaction,
        )
        return self.group_commit.submit(pending)

    def _write_appends(self, take: Callable[[], Sequence[Slot[_Pending, tuple[StoredDecision, bool]]]]) -> None:
        """Write a batch in one transaction and answer each slot after COMMIT.

        ``take()`` hands over the batch, called once the write lock is held: appends that queued
        while this writer waited for another process's transaction join this one. The store
        unreachable: every slot gets ``StoreUnavailable``. Anything else failing a batch of several
        (a row the database refuses): each is written again alone, so only the offending request
        fails; a lone request that loses an idempotency race gets the stored row."""
        slots: Sequence[Slot[_Pending, tuple[StoredDecision, bool]]] = ()

        def items() -> list[_Pending]:
            nonlocal slots
            slots = take()
            return [slot.item for slot in slots]

        try:
            answers = self._append_batch(items)
        except StoreUnavailable:
            raise  # GroupCommit fails every slot of the batch with it
        except Exception as exc:
            if len(slots) > 1:
                for index, slot in enumerate(slots):
                    try:
                        self._write_appends(functools.partial(list, [slot]))
                    except StoreUnavailable as down:  # the store went away meanwhile: so it is for the rest too
                        for rest in slots[index:]:
                            rest.fail(down)
                        return
                    except Exception as refused:  # noqa: BLE001 - this request's own error, the others go on
                        slot.fail(refused)
                return
            if not slots:
                raise
            pending = slots[0].item
            stored = None
            if isinstance(exc, IntegrityError):
                # Another writer stored the same request (or recorded the same event) between our check and our insert.
                stored = self.find(pending.complaint_id, pending.request_digest, pending.policy.digest)
                if stored is None and pending.event is not None:
                    with self._guard(), self.engine.connect() as conn:
                        stored = _event_decision(conn, pending.complaint_id, pending.event)
            if stored is None:
                raise
            answers = [(stored, False)]
        for slot, answer in zip(slots, answers, strict=True):
            if isinstance(answer, StaleComplaint):
                slot.fail(answer)
            else:
                slot.answer(answer)

    def _append_batch(self, take: Callable[[], list[_Pending]]) -> list[tuple[StoredDecision, bool] | StaleComplaint]:
        """One transaction: the head read (and locked) once, the batch taken, every key checked under
        the lock, the rows inserted in queue order as consecutive links, the head moved once; then the
        deadline clock's event rows and work-queue rows of the new decisions. An append whose
        ``expect_previous`` is no longer the complaint's latest decision gets ``StaleComplaint``
        (the others are written)."""
        with self._guard():
            with self._write() as conn:
                head = conn.execute(_HEAD).one()
                batch = take()
                seq, prev_hash = head.seq, head.hash
                ids = list(dict.fromkeys(p.complaint_id for p in batch))
                taken: dict[tuple[str, str, str], int | StoredDecision] = {}
                latest: dict[str, tuple[int, str]] = {}
                for known_seq, known_id, complaint_id, digest, policy_digest in conn.execute(_KNOWN, {"ids": ids}):
                    taken[(complaint_id, digest, policy_digest)] = known_seq
                    if complaint_id not in latest or latest[complaint_id][0] < known_seq:
                        latest[complaint_id] = (known_seq, known_id)
                for policy in {p.policy.digest: p.policy for p in batch}.values():
                    self._ensure_policy(conn, policy)
                # Only a complaint decided before can have events (each is recorded with a decision).
                asked = [p.complaint_id for p in batch if p.without_events and p.complaint_id in latest]
                with_events = {row[0] for row in conn.execute(_WITH_EVENTS, {"ids": asked})} if asked else set()
                decided_before = set(latest)
                answers: list[tuple[int | StoredDecision, bool] | StaleComplaint] = []
                rows: list[dict[str, Any]] = []
                created: list[_Pending] = []
                events_taken: dict[tuple[Any, ...], StoredDecision] = {}
                for pending in batch:
                    if pending.without_events and pending.complaint_id in with_events:
                        answers.append(ComplaintHasEvents(f"complaint {pending.complaint_id} has recorded events"))
                        continue
                    key = (pending.complaint_id, pending.request_digest, pending.policy.digest)
                    found = taken.get(key)
                    if found is not None:  # stored before (its seq), or earlier in this batch (its record)
                        answers.append((found, False))
                        continue
                    previous = latest.get(pending.complaint_id)
                    if pending.event is not None:  # an event recorded before answers with its decision
                        event_key = (pending.complaint_id, *(pending.event[k] for k in ("type", "at", "subject")))
                        recorded = events_taken.get(event_key) or _event_decision(
                            conn, pending.complaint_id, pending.event
                        )
                        if recorded is not None:
                            answers.append((recorded, False))
                            continue
                    if pending.expect_previous is not _ANY and (previous[1] if previous else None) != (
                        pending.expect_previous
                    ):
                        answers.append(
                            StaleComplaint(
                                f"complaint {pending.complaint_id} has a newer decision than {pending.expect_previous}"
                            )
                        )
                        continue
                    seq += 1
                    row = {
                        "seq": seq,
                        "decision_id": pending.decision_id,
                        "complaint_id": pending.complaint_id,
                        "request_body": pending.request_body,
                        "request_digest": pending.request_digest,
                        "decision": pending.decision,
                        "fired_rules": pending.fired_rules,
                        "policy_digest": pending.policy.digest,
                        "policy_version": pending.policy.version,
                        "engine_version": pending.engine_version,
                        "created_at": utc_now(),
                        "previous_decision_id": previous[1] if previous else None,
                        "prev_hash": prev_hash,
                    }
                    row["chain_hash"] = prev_hash = link_hash(row)
                    rows.append(row)
                    record = StoredDecision(**row)
                    taken[key] = record
                    latest[pending.complaint_id] = (seq, pending.decision_id)
                    if pending.event is not None:
                        events_taken[event_key] = record
                        with_events.add(pending.complaint_id)
                    created.append(pending)
                    answers.append((record, True))
                earlier: dict[int, StoredDecision | None] = {
                    a[0]: None for a in answers if isinstance(a, tuple) and isinstance(a[0], int)
                }
                if earlier:
                    for found_row in conn.execute(_BY_SEQ, {"seqs": list(earlier)}):
                        earlier[found_row.seq] = _stored(found_row)
                if rows:
                    conn.execute(_INSERT, rows)
                    conn.execute(_ADVANCE, {"new_seq": seq, "new_hash": prev_hash})
                    _record_clock(conn, created, rows, decided_before)
                    for pending in created:
                        if pending.in_transaction is not None:
                            pending.in_transaction(conn)
        # Committed: only now may any caller be answered.
        self._known_policies.update(p.policy.digest for p in batch)
        result: list[tuple[StoredDecision, bool] | StaleComplaint] = []
        for answer in answers:
            if isinstance(answer, StaleComplaint):
                result.append(answer)
                continue
            found, is_new = answer
            stored = earlier[found] if isinstance(found, int) else found
            assert stored is not None  # its key was found under the same lock, so its row was read
            result.append((stored, is_new))
        return result


# The statements of the hot path, built once: building a Core statement per call cost
# more CPU than executing it (bench/http.py profile).
_HEAD = select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1).with_for_update()
_IDEMPOTENT = select(decisions).where(
    decisions.c.complaint_id == bindparam("complaint_id"),
    decisions.c.request_digest == bindparam("request_digest"),
    decisions.c.policy_digest == bindparam("policy_digest"),
)
_PREVIOUS = (
    select(decisions.c.decision_id)
    .where(decisions.c.complaint_id == bindparam("complaint_id"))
    .order_by(decisions.c.seq.desc())
    .limit(1)
)
_KNOWN = select(
    decisions.c.seq,
    decisions.c.decision_id,
    decisions.c.complaint_id,
    decisions.c.request_digest,
    decisions.c.policy_digest,
).where(decisions.c.complaint_id.in_(bindparam("ids", expanding=True)))
_BY_SEQ = select(decisions).where(decisions.c.seq.in_(bindparam("seqs", expanding=True)))
_WITH_EVENTS = (
    select(complaint_events.c.complaint_id)
    .where(complaint_events.c.complaint_id.in_(bindparam("ids", expanding=True)))
    .distinct()
)
_INSERT = insert(decisions)
_ADVANCE = update(chain_head).where(chain_head.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))


def _record_clock(
    conn: Connection, created: list[_Pending], rows: list[dict[str, Any]], decided_before: set[str]
) -> None:
    """The deadline clock's rows of a batch's new decisions (``rows``, in the same order): each
    recorded event, and each complaint's work queue replaced by its latest decision's deadlines.
    A complaint first decided in this batch has no queue rows yet: its rows are only inserted, all
    such rows of the batch in one statement (the common case: a new complaint)."""
    events = [
        dict(p.event, complaint_id=p.complaint_id, decision_id=p.decision_id, recorded_at=row["created_at"])
        for p, row in zip(created, rows, strict=True)
        if p.event is not None
    ]
    if events:
        conn.execute(insert(complaint_events), events)
    fresh: list[dict[str, Any]] = []
    for index, pending in enumerate(created):
        if pending.deadlines is None:
            continue
        later = any(other.complaint_id == pending.complaint_id for other in created[index + 1 :])
        if pending.complaint_id in decided_before or later:
            _replace_deadlines(conn, pending.complaint_id, pending.decision_id, pending.deadlines)
            decided_before.add(pending.complaint_id)  # a later decision of the batch replaces these rows
        else:
            fresh.extend(_queue_rows(pending.complaint_id, pending.decision_id, pending.deadlines, set()))
    if fresh:
        conn.execute(insert(deadline_index), fresh)


def _event_decision(conn: Connection, complaint_id: str, event: dict[str, Any]) -> StoredDecision | None:
    """The decision that recorded this event on the complaint already, if any."""
    query = (
        select(decisions)
        .join(complaint_events, complaint_events.c.decision_id == decisions.c.decision_id)
        .where(
            complaint_events.c.complaint_id == complaint_id,
            complaint_events.c.type == event["type"],
            complaint_events.c.at == event["at"],
            complaint_events.c.subject == event["subject"],
        )
    )
    row = conn.execute(query).first()
    return _stored(row) if row else None


def _replace_deadlines(conn: Connection, complaint_id: str, decision_id: str, rows: list[dict[str, Any]]) -> None:
    """The complaint's work-queue rows become ``rows``; a due_soon warning given stays given for the same due time."""
    mine = deadline_index.c.complaint_id == complaint_id
    warned = {
        (kind, due)
        for kind, due in conn.execute(
            select(deadline_index.c.kind, deadline_index.c.due_at).where(mine, deadline_index.c.warned == 1)
        )
    }
    conn.execute(deadline_index.delete().where(mine))
    if rows:
        conn.execute(insert(deadline_index), _queue_rows(complaint_id, decision_id, rows, warned))


def _queue_rows(
    complaint_id: str, decision_id: str, rows: list[dict[str, Any]], warned: set[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """``rows`` as stored; a row is warned if its warning was given for the same due time, or with this
    decision (``warned`` in the row: an event post warned of it)."""
    return [
        dict(
            row,
            complaint_id=complaint_id,
            decision_id=decision_id,
            warned=int(bool(row.get("warned")) or (row["kind"], row["due_at"]) in warned),
        )
        for row in rows
    ]


def _idempotency_key(complaint_id: str, request_digest: str, policy_digest: str) -> dict[str, Any]:
    return {"complaint_id": complaint_id, "request_digest": request_digest, "policy_digest": policy_digest}
