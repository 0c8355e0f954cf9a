"""A crash between any two writes loses no notification: each breach and escalation recorded has its
webhook notification, because both are written in one transaction (SQLite and PostgreSQL).

A child process decides complaints, reports events and runs escalations as fast as it can and is killed
with SIGKILL at a random moment, several times over; after each kill, every breach event in the store
has its `deadline.breached` notification and every escalated decision its `decision.escalated` one.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

from sqlalchemy import select

from lifecycle.clock_service import notification_key
from lifecycle.webhooks import event_id_for
from store import DecisionStore
from store.clock import events_of
from store.tables import complaint_events, webhook_events
from tests.helpers.samples import POLICY, REPO

CHILD = r"""
import datetime as dt, json, sys
from canonical import canonical_json
from engine.compiled import decider_for_file
from lifecycle.clock_service import ClockService
from lifecycle.decision_service import DecisionService
from store import DecisionStore

url, policy, round_ = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = DecisionStore(url)
store.init_schema()
service, clock = DecisionService(decider_for_file(policy), store), ClockService(store)
base = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
print("ready", flush=True)
for number in range(100_000):
    received = base + dt.timedelta(minutes=number)
    body = {
        "complaint_id": f"K{round_}-{number}", "received_at": received.isoformat(), "channel": "online_chat",
        "category": "no_reason_return", "customer": {"customer_id": f"U{number}"},
        "order": {"amount": "199.00", "delivered_at": "2026-10-30T15:00:00+08:00", "goods_condition": "intact"},
    }
    service.submit(body, canonical_json(body))
    for _ in range(2):
        at = (received + dt.timedelta(minutes=5)).isoformat()
        clock.report(body["complaint_id"], {"type": "offer_rejected", "at": at})
        received += dt.timedelta(minutes=1)
    if number % 3 == 2:
        clock.escalate(received + dt.timedelta(hours=30))
"""


def _notified(store: DecisionStore) -> set[str]:
    with store.engine.connect() as conn:
        return {row[0] for row in conn.execute(select(webhook_events.c.event_id))}


def _check(store: DecisionStore) -> tuple[int, int]:
    notified = _notified(store)
    with store.engine.connect() as conn:
        complaints = sorted({row[0] for row in conn.execute(select(complaint_events.c.complaint_id))})
    breaches = escalations = 0
    for complaint_id in complaints:
        for event in events_of(store, complaint_id):
            if event["type"] != "deadline_breached":
                continue
            breaches += 1
            key = f"{complaint_id}/{event['kind']}@{event['at']}"
            assert event_id_for("deadline.breached", key) in notified, key
    for record in store.all_decisions():
        previous = store.get(record.previous_decision_id) if record.previous_decision_id else None
        if previous is None:
            continue
        before, after = previous.decision_dict()["route"]["level"], record.decision_dict()["route"]["level"]
        if before != after:
            escalations += 1
            key = notification_key_for_escalation(record.decision_id)
            assert event_id_for("decision.escalated", key) in notified, (record.complaint_id, before, after)
    return breaches, escalations


def notification_key_for_escalation(decision_id: str) -> str:
    from lifecycle.clock_service import Notification

    return notification_key(Notification("decision.escalated", {"decision_id": decision_id}))


def test_a_kill_between_any_two_writes_loses_no_notification(store_url):
    store = DecisionStore(store_url)
    store.init_schema()
    rng = random.Random(23)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    seen = (0, 0)
    try:
        for round_ in range(5):
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, store_url, str(POLICY), str(round_)],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert child.stdout is not None and child.stdout.readline().strip() == "ready", child.stderr
            time.sleep(rng.uniform(0.4, 2.5))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            seen = _check(store)
        breaches, escalations = seen
        assert breaches > 0 and escalations > 0, seen  # the kills landed amid real work
    finally:
        store.dispose()


def test_the_notification_is_in_the_decision_s_transaction(store_url):
    """Without a crash, and in the same order: the breach, then the escalation it caused."""
    store = DecisionStore(store_url)
    store.init_schema()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD.replace("range(100_000)", "range(3)"), store_url, str(POLICY), "9"],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        breaches, escalations = _check(store)
        assert breaches >= 1 and escalations >= 3
        with store.engine.connect() as conn:
            kinds = [json.loads(body)["type"] for (body,) in conn.execute(select(webhook_events.c.body))]
        assert "deadline.breached" in kinds and "decision.escalated" in kinds
    finally:
        store.dispose()
