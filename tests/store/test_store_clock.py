"""The store's side of the deadline clock on SQLite and PostgreSQL: the work queue is replaced with
each decision in its transaction, counted up to a cap, and read only through its indexes."""

from __future__ import annotations

import datetime as dt
import json

from lifecycle.decision_service import DecisionService
from store.clock import breach_candidates, due_list, due_summary, events_of

NOW = dt.datetime(2026, 11, 2, 10, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _complaint(number: int, **extra) -> dict:
    body = {
        "complaint_id": f"S-{number}",
        "received_at": "2026-11-02T10:00:00+08:00",
        "channel": "online_chat",
        "category": "other",
        "order": {"amount": "10.00"},
    }
    body.update(extra)
    return body


def test_each_decision_replaces_its_complaint_s_queue_rows(decider, store):
    service = DecisionService(decider, store)
    for number in range(3):
        body = _complaint(number)
        service.submit(body, json.dumps(body))
    entries, total = due_list(store, now=NOW)
    assert total == 6 and [e.kind for e in entries[:3]] == ["first_response"] * 3
    assert [e.status_at(NOW) for e in entries] == ["scheduled"] * 6
    # the cap: more than it reads as cap + 1, however many there are
    assert due_list(store, now=NOW, count_cap=4)[1] == 5
    # a re-evaluation at manager level (a regulator's complaint) replaces S-0's rows: resolution 48 h
    again = _complaint(0, channel="regulator")
    service.submit(again, json.dumps(again))
    kinds = {e.kind: e.due_local for e in due_list(store, now=NOW, kind="resolution")[0] if e.complaint_id == "S-0"}
    assert kinds == {"resolution": "2026-11-04T10:00:00+08:00"}
    assert due_list(store, now=NOW, team="legal_compliance")[1] == 3  # first response, resolution, regulator reply
    assert events_of(store, "S-0") == []


def test_breach_candidates_and_the_summary(decider, store):
    service = DecisionService(decider, store)
    body = _complaint(1)
    service.submit(body, json.dumps(body))
    later = NOW + dt.timedelta(days=2)
    assert [e.kind for e in breach_candidates(store, now=later)] == ["resolution"]  # first_response does not record
    counts, breached = due_summary(store, now=NOW, until=later, by="hour")
    assert counts == [("2026-11-02T10", 1), ("2026-11-03T10", 1)] and breached == 0
    assert due_summary(store, now=later, until=later + dt.timedelta(days=1), by="day") == ([], 2)
