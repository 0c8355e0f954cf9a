"""The deadline clock over HTTP, on SQLite and PostgreSQL: a complaint's whole life, event by event.

received → responded → offer rejected twice (escalated once) → return received → resolution breached
(two concurrent escalation runs record it once, escalating once more) → resolved → refund paid →
followed up. At every step: the decision's deadlines, the due list and the summary as of an explicit
"now", and a replay of every decision recorded so far, byte for byte.
"""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from app import create_app
from audit.replay import StoredPolicies, replay
from store import DecisionStore
from store.clock import events_of
from store.tables import webhook_events
from tests.helpers.api_samples import POLICY, post_json

RECEIVED = "2026-11-02T10:00:00+08:00"  # a Monday, a working day
COMPLAINT = {
    "complaint_id": "LIFE-1",
    "received_at": RECEIVED,
    "channel": "online_chat",
    "category": "no_reason_return",
    "order": {
        "order_id": "O-LIFE-1",
        "amount": "199.00",
        "delivered_at": "2026-10-30T15:00:00+08:00",
        "goods_condition": "intact",
    },
    "customer": {"customer_id": "U-LIFE-1"},
}


@pytest.fixture
def life(store_url):
    app = create_app(
        {
            "DATABASE_URL": store_url,
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_ENV": "development",
            "COMPLAINTS_AUTH": "off",
        }
    )
    yield app
    app.extensions["complaints"].store.dispose()


def _event(client, kind, at, status=201, complaint_id="LIFE-1", **extra):
    answer = post_json(client, f"/v1/complaints/{complaint_id}/events", {"type": kind, "at": at, **extra})
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()


def _deadlines(record) -> dict:
    return {d["kind"]: d for d in record["decision"]["deadlines"]}


def _queue(client, now, **query) -> list[tuple[str, str, str]]:
    answer = client.get("/v1/deadlines", query_string={"now": now, **query})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["now"] == now
    assert body["total"] == len(body["items"])
    return [(item["kind"], item["status"], item["due_at"]) for item in body["items"]]


def _summary(client, now, by="day", **query) -> tuple[dict, int]:
    answer = client.get("/v1/deadlines/summary", query_string={"now": now, "by": by, **query})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    return {p["period"]: p["due"] for p in body["periods"]}, body["breached"]


def _replays_identically(store: DecisionStore) -> int:
    policies = StoredPolicies(store)
    results = [replay(record, policies) for record in store.all_decisions()]
    assert all(r.identical for r in results), [r.as_dict() for r in results if not r.identical]
    return len(results)


def test_a_complaints_whole_life(life):
    client = life.test_client()
    store = life.extensions["complaints"].store

    # 1. received: first response in 15 minutes, resolution in 24 hours, the refund waits for the goods
    answer = post_json(client, "/v1/decisions", COMPLAINT)
    assert answer.status_code == 201
    first = answer.get_json()
    found = _deadlines(first)
    assert found["first_response"]["due_at"] == "2026-11-02T10:15:00+08:00"
    assert found["resolution"]["due_at"] == "2026-11-03T10:00:00+08:00"
    assert found["refund"]["status"] == "pending"
    assert _queue(client, "2026-11-02T10:01:00+08:00") == [
        ("first_response", "scheduled", "2026-11-02T10:15:00+08:00"),
        ("resolution", "scheduled", "2026-11-03T10:00:00+08:00"),
    ]
    # 80 % of 15 minutes is 12: due soon from 10:12
    assert _queue(client, "2026-11-02T10:13:00+08:00", status="due_soon") == [
        ("first_response", "due_soon", "2026-11-02T10:15:00+08:00")
    ]
    assert _summary(client, "2026-11-02T10:01:00+08:00") == ({"2026-11-02": 1, "2026-11-03": 1}, 0)
    assert _summary(client, "2026-11-02T10:20:00+08:00", by="hour") == ({"2026-11-03T10": 1}, 1)
    assert _replays_identically(store) == 1

    # 2. the first response meets its deadline
    record = _event(client, "responded", "2026-11-02T10:05:00+08:00")
    assert record["previous_decision_id"] == first["decision_id"]
    assert _deadlines(record)["first_response"]["status"] == "met"
    assert _deadlines(record)["first_response"]["fulfilled"] == {
        "event": "responded",
        "at": "2026-11-02T10:05:00+08:00",
    }
    assert record["decision"]["clock"]["as_of"] == "2026-11-02T10:05:00+08:00"
    assert _queue(client, "2026-11-02T10:20:00+08:00", status="breached") == []
    assert _queue(client, "2026-11-02T10:20:00+08:00") == [("resolution", "scheduled", "2026-11-03T10:00:00+08:00")]

    # 3-4. two rejected offers: one level up, once (R10), with a follow-up due after resolution
    record = _event(client, "offer_rejected", "2026-11-02T11:00:00+08:00")
    assert record["decision"]["route"]["level"] == "frontline"
    assert record["notifications"] == []
    record = _event(client, "offer_rejected", "2026-11-02T12:00:00+08:00")
    assert record["decision"]["route"]["level"] == "supervisor"
    assert record["decision"]["route"]["escalated_from"] == "frontline"
    assert [n["kind"] for n in record["notifications"]] == ["decision.escalated"]
    assert record["notifications"][0]["payload"]["to_level"] == "supervisor"
    assert _deadlines(record)["follow_up"]["status"] == "pending"
    assert _queue(client, "2026-11-02T12:01:00+08:00", level="supervisor") == [
        ("resolution", "scheduled", "2026-11-03T10:00:00+08:00")
    ]
    assert _queue(client, "2026-11-02T12:01:00+08:00", level="frontline") == []

    # 5. the goods come back: the refund is due 7 calendar days later (CPL Art. 25); the level stays
    record = _event(client, "return_received", "2026-11-03T09:00:00+08:00")
    assert record["decision"]["route"]["level"] == "supervisor"
    refund = _deadlines(record)["refund"]
    assert (refund["status"], refund["due_at"], refund["started_at"]) == (
        "scheduled",
        "2026-11-10T23:59:59+08:00",
        "2026-11-03T09:00:00+08:00",
    )
    # 80 % of the resolution's 24 hours ran at 05:12
    assert _queue(client, "2026-11-03T09:30:00+08:00") == [
        ("resolution", "due_soon", "2026-11-03T10:00:00+08:00"),
        ("refund", "scheduled", "2026-11-10T23:59:59+08:00"),
    ]
    assert _queue(client, "2026-11-03T09:30:00+08:00", kind="refund") == [
        ("refund", "scheduled", "2026-11-10T23:59:59+08:00")
    ]
    assert _queue(client, "2026-11-03T09:30:00+08:00", due_before="2026-11-04T00:00:00+08:00") == [
        ("resolution", "due_soon", "2026-11-03T10:00:00+08:00")
    ]
    assert _summary(client, "2026-11-03T09:30:00+08:00") == ({"2026-11-03": 1, "2026-11-10": 1}, 0)

    # 6. the resolution is not met by 10:00: two escalation runs at once record the breach once
    assert _queue(client, "2026-11-03T10:30:00+08:00", status="breached") == [
        ("resolution", "breached", "2026-11-03T10:00:00+08:00")
    ]
    runs: list[dict] = []
    barrier = threading.Barrier(2)

    def escalate():
        mine = life.test_client()
        barrier.wait()
        answer = post_json(mine, "/v1/escalations:run", {"now": "2026-11-03T10:30:00+08:00"})
        assert answer.status_code == 200
        runs.append(answer.get_json())

    threads = [threading.Thread(target=escalate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorded = [entry for run in runs for entry in run["recorded"]]
    assert len(recorded) == 1, runs
    assert recorded[0]["level"] == "manager"
    notified = [n["kind"] for run in runs for n in run["notifications"]]
    assert sorted(notified) == ["deadline.breached", "decision.escalated"]
    breaches = [e for e in events_of(store, "LIFE-1") if e["type"] == "deadline_breached"]
    assert breaches == [
        {
            "type": "deadline_breached",
            "kind": "resolution",
            "at": "2026-11-03T10:00:00+08:00",
            "rule": "D05_resolution_ordinary",
        }
    ]
    latest = client.get(f"/v1/decisions/{recorded[0]['decision_id']}").get_json()
    # at manager level the complex rule (D06, 48 hours) applies, but the breach recorded is final (brief §9)
    assert latest["decision"]["route"]["level"] == "manager"
    resolution = _deadlines(latest)["resolution"]
    assert (resolution["status"], resolution["due_at"]) == ("breached", "2026-11-03T10:00:00+08:00")
    assert resolution["rule"] == "D05_resolution_ordinary"
    assert latest["decision"]["clock"]["as_of"] == "2026-11-03T10:00:00+08:00"
    again = post_json(client, "/v1/escalations:run", {"now": "2026-11-03T10:30:00+08:00"}).get_json()
    assert again["recorded"] == []

    # 7. resolved after the breach: it stays breached; the follow-up is due 3 calendar days later, Sat
    # 11-07 (an internal period: not rolled forward to Monday, brief §9)
    record = _event(client, "resolved", "2026-11-04T09:00:00+08:00")
    found = _deadlines(record)
    assert found["resolution"]["status"] == "breached"
    assert found["resolution"]["fulfilled"] == {"event": "resolved", "at": "2026-11-04T09:00:00+08:00"}
    assert found["follow_up"]["due_at"] == "2026-11-07T23:59:59+08:00"
    assert record["decision"]["route"]["level"] == "manager"
    assert (
        _queue(client, "2026-11-04T09:30:00+08:00")
        == [
            ("refund", "scheduled", "2026-11-10T23:59:59+08:00"),
            ("follow_up", "scheduled", "2026-11-07T23:59:59+08:00"),
        ][::-1]
    )

    # 8. the refund is paid in time; 9. the follow-up is done: nothing is left on the clock
    record = _event(client, "refund_paid", "2026-11-05T10:00:00+08:00")
    assert _deadlines(record)["refund"]["status"] == "met"
    record = _event(client, "followed_up", "2026-11-06T15:00:00+08:00")
    assert {k: d["status"] for k, d in _deadlines(record).items()} == {
        "first_response": "met",
        "resolution": "breached",
        "refund": "met",
        "follow_up": "met",
    }
    assert "legal_deadline_breached" not in record["decision"]["flags"]
    assert _queue(client, "2026-11-20T00:00:00+08:00") == []
    assert _summary(client, "2026-11-06T16:00:00+08:00") == ({}, 0)

    # every decision of the life replays to the same bytes: the plain one and the nine on events
    assert _replays_identically(store) == 9
    listed = client.get("/v1/complaints/LIFE-1/decisions", query_string={"page_size": 100}).get_json()
    chain = [item["previous_decision_id"] for item in reversed(listed["items"])]
    ids = [item["decision_id"] for item in reversed(listed["items"])]
    assert chain == [None, *ids[:-1]]

    # the webhook outbox holds what the answers announced, each once: the escalation by the second
    # rejected offer, then the breach and the escalation it caused (two concurrent runs, one each)
    with store.engine.connect() as conn:
        queued = [
            (row.kind, json.loads(row.body)["data"])
            for row in conn.execute(select(webhook_events.c.kind, webhook_events.c.body).order_by(webhook_events.c.id))
        ]
    assert [(kind, data.get("to_level") or data["kind"]) for kind, data in queued] == [
        ("decision.escalated", "supervisor"),
        ("deadline.breached", "resolution"),
        ("decision.escalated", "manager"),
    ]


def test_a_legal_deadline_breached_flags_the_decision(life):
    client = life.test_client()
    assert post_json(client, "/v1/decisions", COMPLAINT).status_code == 201
    _event(client, "return_received", "2026-11-03T09:00:00+08:00")
    run = post_json(client, "/v1/escalations:run", {"now": "2026-11-11T00:00:01+08:00"}).get_json()
    kinds = sorted(entry["kind"] for entry in run["recorded"])
    assert kinds == ["refund", "resolution"]
    final = client.get("/v1/complaints/LIFE-1/decisions", query_string={"page_size": 1}).get_json()["items"][0]
    assert "legal_deadline_breached" in final["decision"]["flags"]
    assert _deadlines(final)["refund"]["status"] == "breached"
    # paid late: the breach recorded stands, still flagged (D07 is the law's deadline)
    record = _event(client, "refund_paid", "2026-11-12T10:00:00+08:00")
    assert _deadlines(record)["refund"]["status"] == "breached"
    assert _deadlines(record)["refund"]["fulfilled"]["event"] == "refund_paid"
    assert "legal_deadline_breached" in record["decision"]["flags"]


def test_waiting_for_the_customer_pauses_the_resolution(life):
    client = life.test_client()
    assert post_json(client, "/v1/decisions", COMPLAINT).status_code == 201
    record = _event(client, "waiting_for_customer", "2026-11-02T12:00:00+08:00")
    resolution = _deadlines(record)["resolution"]
    assert resolution["status"] == "paused"
    assert resolution["paused"] == [{"from": "2026-11-02T12:00:00+08:00", "until": None}]
    assert _queue(client, "2026-11-03T12:00:00+08:00", kind="resolution") == []  # off the clock while paused
    record = _event(client, "customer_replied", "2026-11-02T15:30:00+08:00")
    resolution = _deadlines(record)["resolution"]
    # 24 hours on the clock, plus the 3.5 hours paused
    assert (resolution["status"], resolution["due_at"]) == ("scheduled", "2026-11-03T13:30:00+08:00")
    assert resolution["paused"] == [{"from": "2026-11-02T12:00:00+08:00", "until": "2026-11-02T15:30:00+08:00"}]
    assert _queue(client, "2026-11-03T07:00:00+08:00", kind="resolution") == [
        ("resolution", "scheduled", "2026-11-03T13:30:00+08:00")
    ]
    # due soon once 80 % of its 24 running hours has run (19.2 h; the 3.5 hours paused do not count,
    # brief §9): 2 h before the pause, 17.2 h after it, at 08:42
    assert _queue(client, "2026-11-03T08:41:00+08:00", status="due_soon") == []
    assert _queue(client, "2026-11-03T08:42:00+08:00", status="due_soon") == [
        ("resolution", "due_soon", "2026-11-03T13:30:00+08:00")
    ]
    assert resolution["due_soon_at"] == "2026-11-03T08:42:00+08:00"
    assert _replays_identically(life.extensions["complaints"].store) == 3


@pytest.mark.parametrize(
    ("event", "field", "words"),
    [
        ({"type": "teleported", "at": "2026-11-02T11:00:00+08:00"}, "type", "unknown event type `teleported`"),
        ({"type": "resolved", "at": "2026-11-02T09:00:00+08:00"}, "at", "before the complaint was received"),
        ({"type": "resolved", "at": "2026-11-02T11:00:00"}, "at", "timezone offset"),
        ({"type": "resolved"}, "at", "required"),
        ({"type": "resolved", "at": "2026-11-02T11:00:00+08:00", "by": "me"}, "by", "unknown field"),
        ({"type": "deadline_breached", "at": "2026-11-02T11:00:00+08:00"}, "type", "escalation run"),
        ({"type": "received", "at": "2026-11-02T11:00:00+08:00"}, "type", "unknown event type"),
        # dated after the server's clock (beyond COMPLAINTS_EVENT_MAX_SKEW_SECONDS): a typo'd year
        ({"type": "resolved", "at": "2099-11-02T11:00:00+08:00"}, "at", "in the future"),
    ],
)
def test_a_bad_event_is_refused_naming_the_field_and_nothing_is_recorded(life, event, field, words):
    client = life.test_client()
    store = life.extensions["complaints"].store
    assert post_json(client, "/v1/decisions", COMPLAINT).status_code == 201
    answer = post_json(client, "/v1/complaints/LIFE-1/events", event)
    assert answer.status_code == 422
    problem = answer.get_json()
    assert problem["code"] == "validation"
    assert words in " ".join(problem["errors"][0]["messages"]) and problem["errors"][0]["field"] == field
    assert store.count() == 1 and events_of(store, "LIFE-1") == []


def test_out_of_order_a_second_resolved_and_an_unknown_complaint(life):
    client = life.test_client()
    store = life.extensions["complaints"].store
    assert post_json(client, "/v1/decisions", COMPLAINT).status_code == 201
    _event(client, "resolved", "2026-11-02T14:00:00+08:00")
    late = _event(client, "responded", "2026-11-02T13:00:00+08:00", status=422)
    assert late["errors"][0]["field"] == "at" and "before the last event" in late["errors"][0]["messages"][0]
    twice = _event(client, "resolved", "2026-11-02T15:00:00+08:00", status=422)
    assert twice["errors"][0]["field"] == "type" and "already recorded" in twice["errors"][0]["messages"][0]
    missing = _event(client, "resolved", "2026-11-02T15:00:00+08:00", status=404, complaint_id="NOPE")
    assert missing["code"] == "not-found"
    assert store.count() == 2 and len(events_of(store, "LIFE-1")) == 1


def test_the_same_event_twice_and_at_once_is_recorded_once(life):
    client = life.test_client()
    store = life.extensions["complaints"].store
    assert post_json(client, "/v1/decisions", COMPLAINT).status_code == 201
    first = _event(client, "responded", "2026-11-02T10:05:00+08:00")
    # the same instant with another offset is the same event
    again = _event(client, "responded", "2026-11-02T02:05:00+00:00", status=200)
    assert again["decision_id"] == first["decision_id"]
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def report():
        mine = life.test_client()
        barrier.wait()
        answer = post_json(
            mine, "/v1/complaints/LIFE-1/events", {"type": "offer_rejected", "at": RECEIVED[:11] + "11:00:00+08:00"}
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=report) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 201]
    assert [e["type"] for e in events_of(store, "LIFE-1")] == ["responded", "offer_rejected"]
    assert store.count() == 3


def test_queue_parameters_are_checked(life):
    client = life.test_client()
    for query, field in (
        ({"status": "late"}, "status"),
        ({"now": "yesterday"}, "now"),
        ({"due_before": "2026-11-02T10:00:00"}, "due_before"),
        ({"page_size": 100_000}, "page_size"),
    ):
        answer = client.get("/v1/deadlines", query_string=query)
        assert answer.status_code == 422, query
        assert answer.get_json()["errors"][0]["field"] == field
    answer = client.get("/v1/deadlines/summary", query_string={"by": "week"})
    assert answer.status_code == 422 and answer.get_json()["errors"][0]["field"] == "by"
    answer = client.get(
        "/v1/deadlines/summary", query_string={"now": "2026-11-02T10:00:00+08:00", "until": "2026-11-01T10:00:00+08:00"}
    )
    assert answer.status_code == 422 and answer.get_json()["errors"][0]["field"] == "until"
    answer = client.get("/v1/deadlines")
    assert answer.status_code == 200 and answer.get_json()["now"]  # default now: the request's time, stated


def test_roles(keyed):
    app, tokens = keyed
    client = app.test_client()
    auth = {"Authorization": f"Bearer {tokens['auditor']}"}
    assert client.get("/v1/deadlines", headers=auth).status_code == 200
    answer = post_json(client, "/v1/complaints/X/events", {"type": "resolved", "at": RECEIVED}, headers=auth)
    assert answer.status_code == 403
    assert post_json(client, "/v1/escalations:run", {}, headers=auth).status_code == 403
    assert client.get("/v1/deadlines/summary").status_code == 401


def test_a_complaint_sent_again_keeps_its_events(life):
    client = life.test_client()
    store = life.extensions["complaints"].store
    assert post_json(client, "/v1/decisions", COMPLAINT).status_code == 201
    _event(client, "return_received", "2026-11-03T09:00:00+08:00")
    expedited = dict(COMPLAINT, flags=["expedited"])
    answer = post_json(client, "/v1/decisions", expedited)
    assert answer.status_code == 201
    refund = _deadlines(answer.get_json())["refund"]
    # decided on the new body and the recorded return: expedited, 3 working days after it binds
    assert (refund["rule"], refund["due_at"]) == ("D08_refund_after_return_expedited", "2026-11-06T23:59:59+08:00")
    assert answer.get_json()["decision"]["clock"]["events"][0]["type"] == "return_received"
    assert post_json(client, "/v1/decisions", expedited).status_code == 200
    assert _queue(client, "2026-11-03T09:30:00+08:00", kind="refund") == [
        ("refund", "scheduled", "2026-11-06T23:59:59+08:00")
    ]
    record = _event(client, "refund_paid", "2026-11-04T10:00:00+08:00")
    assert _deadlines(record)["refund"]["status"] == "met"
    assert _deadlines(record)["refund"]["rule"] == "D08_refund_after_return_expedited"  # the new body stands
    assert _replays_identically(store) == 4
