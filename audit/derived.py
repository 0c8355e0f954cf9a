"""Derived state checked against the decisions it came from: the work queue and the recorded events.

Two tables change outcomes without being links of the chain:

- ``deadline_index`` (the work queue): escalation, due-soon warnings and the due list read only it. Each
  complaint's rows must be exactly what its latest decision's deadlines give (``engine.clock.index_entries``
  on the stored policy text it cites, the form ``store.clock.queue_row`` writes): same decision, kinds, due
  times, statuses, team, level, rule, breach flags. Only ``warned`` (a warning claimed) is the queue's own.
- ``complaint_events``: the next re-decision builds on them. A complaint's rows must be, in order, the events
  its latest decision's request carries (the request is chained, so it is the record), each naming a
  decision of that complaint.

A complaint whose latest decision predates the deadline clock (a store upgraded from release 1.1.0) has no
queue rows until its next decision. Rows are therefore expected from the clock's start on: the first
decision any queue row or recorded event names, or, earlier, the ``clock_since`` a checkpoint signed
(``store.consistency.anchors``), so deleting the rows of the oldest complaints cannot move the start past
them once a checkpoint was signed. Without a checkpoint, rows deleted from complaints older than every
remaining row are not found: sign checkpoints.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select

from audit.replay import PolicyNotStored, StoredPolicies
from canonical import canonical_json
from engine.clock import index_entries, is_envelope
from engine.complaint import ComplaintError, validate_complaint
from rules.calendar import CalendarError
from rules.errors import PolicyError
from store.clock import queue_row
from store.consistency import clock_since
from store.db import DecisionStore, stored_decision
from store.tables import complaint_events, deadline_index, decisions

COMPARED = (
    "decision_id",
    "status",
    "due_at",
    "due_local",
    "due_soon_at",
    "team",
    "level",
    "rule",
    "record_breach",
    "breach_recorded",
)
BATCH = 500


def expected_rows(record, policies: StoredPolicies) -> dict[str, dict]:
    """The work-queue rows (by kind) the decision gives, in the store's form."""
    decider = policies.decider(record.policy_digest)
    raw = json.loads(record.request_body, parse_float=Decimal)
    complaint = validate_complaint(raw["complaint"] if is_envelope(raw) else raw, decider.policy.levels)
    entries = index_entries(record.decision_dict(), decider.policy, complaint, decider.calendar)
    return {entry["kind"]: dict(queue_row(**entry), decision_id=record.decision_id) for entry in entries}


def verify_derived(
    store: DecisionStore, add: Callable[[str, str | None, str, str, str], None], signed_since: int | None = None
) -> int:
    """Compare every complaint's queue rows and recorded events with its latest decision; ``add(complaint_id,
    decision_id, expected, found, meaning)`` for each mismatch. The number of complaints checked."""
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        since = clock_since(conn)
        queue: dict[str, dict[str, dict]] = defaultdict(dict)
        for row in conn.execute(select(deadline_index)):
            queue[row.complaint_id][row.kind] = dict(row._mapping)
        events: dict[str, list] = defaultdict(list)
        owners = dict(
            conn.execute(
                select(decisions.c.decision_id, decisions.c.complaint_id).where(
                    decisions.c.decision_id.in_(select(complaint_events.c.decision_id))
                )
            ).all()
        )
        for row in conn.execute(select(complaint_events).order_by(complaint_events.c.id)):
            events[row.complaint_id].append(row)
    if signed_since is not None:
        since = signed_since if since is None else min(since, signed_since)
    policies = StoredPolicies(store)
    latest_seqs = select(func.max(decisions.c.seq)).group_by(decisions.c.complaint_id)
    checked, last = 0, 0
    while True:
        with store._guard(), store.engine.connect() as conn:
            rows = conn.execute(
                select(decisions)
                .where(decisions.c.seq.in_(latest_seqs), decisions.c.seq > last)
                .order_by(decisions.c.seq)
                .limit(BATCH)
            ).all()
        for row in rows:
            record = stored_decision(row)
            checked += 1
            _check_one(
                record,
                queue.pop(record.complaint_id, {}),
                events.pop(record.complaint_id, []),
                owners,
                since,
                policies,
                add,
            )
        if len(rows) < BATCH:
            break
        last = rows[-1].seq
    for complaint_id, rows_left in queue.items():
        for kind, found in rows_left.items():
            add(
                complaint_id,
                found["decision_id"],
                "no work-queue row (no decision of this complaint is stored)",
                f"a {kind} row due {found['due_local']}",
                "the decision the row names is no longer in the log (deleted), or the row was inserted by hand",
            )
    for complaint_id, stray in events.items():
        add(
            complaint_id,
            stray[0].decision_id,
            "no recorded event (no decision of this complaint is stored)",
            f"{len(stray)} events",
            "the decisions the events name are no longer in the log (deleted), or the events were inserted by hand",
        )
    return checked


def _check_one(record, queue: dict[str, dict], recorded: list, owners: dict, since, policies, add) -> None:
    who = record.complaint_id
    try:
        want = expected_rows(record, policies)
    except (PolicyNotStored, PolicyError, ComplaintError, CalendarError, ValueError, KeyError, TypeError) as exc:
        add(
            who,
            record.decision_id,
            "a decision whose work-queue rows can be rebuilt",
            f"{type(exc).__name__}: {exc}",
            "the stored decision or its policy text cannot be read: see the chain's findings",
        )
        return
    raw = json.loads(record.request_body, parse_float=Decimal)
    clocked = bool(queue) or bool(recorded) or is_envelope(raw) or (since is not None and record.seq >= since)
    for kind, row in queue.items():
        expected = want.get(kind)
        if expected is None:
            add(
                who,
                row["decision_id"],
                f"no {kind} row (the latest decision, {record.decision_id}, has no such deadline on the clock)",
                f"a {kind} row due {row['due_local']}",
                "a work-queue row was inserted or left behind by hand",
            )
            continue
        wrong = [name for name in COMPARED if row[name] != expected[name]]
        if wrong:
            shown = ", ".join(f"{name} {row[name]!r} (expected {expected[name]!r})" for name in wrong[:4])
            add(
                who,
                record.decision_id,
                f"the {kind} row as decision {record.decision_id} gives it",
                shown,
                "the work queue was edited: escalation, warnings and the due list read these rows",
            )
    if clocked:
        for kind in sorted(set(want) - set(queue)):
            add(
                who,
                record.decision_id,
                f"a {kind} row due {want[kind]['due_local']} (decision {record.decision_id})",
                "no such row",
                "a work-queue row was deleted: that deadline would never escalate or warn",
            )
    carried = [canonical_json(event) for event in raw["events"]] if is_envelope(raw) else []
    stored = [row.event for row in recorded]
    if stored != carried:
        add(
            who,
            record.decision_id,
            f"{len(carried)} recorded events, as decision {record.decision_id}'s request carries them",
            f"{len(stored)} stored events" + (" that differ" if len(stored) == len(carried) else ""),
            "the complaint's recorded events were edited, deleted or inserted: its next decision would build on them",
        )
    for row in recorded:
        if owners.get(row.decision_id) != who:
            add(
                who,
                row.decision_id,
                f"event {row.id} recorded by a decision of complaint {who}",
                f"decision {row.decision_id} of {owners.get(row.decision_id) or 'no stored complaint'}",
                "a recorded event was moved between complaints",
            )
