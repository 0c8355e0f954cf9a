"""`complaints events add`, `deadlines` and `escalate` on a real store (SQLite and PostgreSQL).

Two `complaints escalate` processes started at once record each breach exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import cli
from lifecycle.decision_service import DecisionService
from store.clock import events_of
from store.tables import webhook_events
from tests.helpers.samples import REPO

NOW_BREACHED = "2026-11-03T10:30:00+08:00"


def _complaint(number: int) -> dict:
    return {
        "complaint_id": f"CLI-{number}",
        "received_at": "2026-11-02T10:00:00+08:00",
        "channel": "online_chat",
        "category": "service_attitude",
        "order": {"amount": "88.00"},
        "customer": {"customer_id": f"U-{number}"},
    }


@pytest.fixture
def decided(decider, store, store_url):
    service = DecisionService(decider, store)
    for number in range(1, 6):
        body = _complaint(number)
        service.submit(body, json.dumps(body))
    return store_url


def test_events_add_records_once_and_refuses_naming_the_field(decided, store):
    runner = CliRunner()
    args = ["events", "add", "CLI-1", "--type", "responded", "--at", "2026-11-02T10:04:00+08:00"]
    first = runner.invoke(cli, [*args, "--database-url", decided])
    assert first.exit_code == 0, first.output
    answer = json.loads(first.stdout)
    assert answer["created"] is True
    assert {d["kind"]: d["status"] for d in answer["decision"]["deadlines"]}["first_response"] == "met"
    again = runner.invoke(cli, [*args, "--database-url", decided])
    assert again.exit_code == 0 and json.loads(again.stdout)["created"] is False
    bad = runner.invoke(
        cli,
        [
            "events",
            "add",
            "CLI-1",
            "--type",
            "teleported",
            "--at",
            "2026-11-02T11:00:00+08:00",
            "--database-url",
            decided,
        ],
    )
    assert bad.exit_code == 1
    assert "type: unknown event type `teleported`" in bad.stderr
    missing = runner.invoke(
        cli,
        [
            "events",
            "add",
            "CLI-9",
            "--type",
            "resolved",
            "--at",
            "2026-11-02T11:00:00+08:00",
            "--database-url",
            decided,
        ],
    )
    assert missing.exit_code == 2
    assert [e["type"] for e in events_of(store, "CLI-1")] == ["responded"]


def test_deadlines_lists_the_queue_and_exits_3_on_breaches(decided):
    runner = CliRunner()
    listed = runner.invoke(
        cli, ["deadlines", "--now", "2026-11-02T10:01:00+08:00", "--json", "--database-url", decided]
    )
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == 10  # 5 complaints: first response and resolution each
    assert rows[0]["kind"] == "first_response" and rows[-1]["kind"] == "resolution"
    breached = runner.invoke(
        cli, ["deadlines", "--breached", "--now", NOW_BREACHED, "--kind", "resolution", "--database-url", decided]
    )
    assert breached.exit_code == 3
    assert breached.stdout.startswith(f"5 breached deadline(s) as of {NOW_BREACHED}")
    soon = runner.invoke(
        cli,
        [
            "deadlines",
            "--due-before",
            "2026-11-02T12:00:00+08:00",
            "--now",
            "2026-11-02T10:01:00+08:00",
            "--database-url",
            decided,
        ],
    )
    assert soon.exit_code == 0 and soon.stdout.startswith("5 open deadline(s)")
    wrong = runner.invoke(cli, ["deadlines", "--now", "tomorrow", "--database-url", decided])
    assert wrong.exit_code == 2 and "--now" in wrong.stderr


def test_two_escalate_processes_at_once_record_each_breach_once(decided, store):
    command = [sys.executable, "-m", "cli.main", "escalate", "--now", NOW_BREACHED, "--database-url", decided]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    runs = [
        subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    answers = [json.loads(out) for out, _err in outputs]
    recorded = sorted(entry["complaint_id"] for answer in answers for entry in answer["recorded"])
    assert recorded == [f"CLI-{n}" for n in range(1, 6)]
    for number in range(1, 6):
        breaches = [e for e in events_of(store, f"CLI-{number}") if e["type"] == "deadline_breached"]
        assert breaches == [
            {
                "type": "deadline_breached",
                "kind": "resolution",
                "at": "2026-11-03T10:00:00+08:00",
                "rule": "D05_resolution_ordinary",
            }
        ]
    # service_attitude is handled by a supervisor (R06): the breach raises it to manager (R10)
    latest = json.loads(store.for_complaint("CLI-1", limit=1)[0][0].decision)
    assert latest["route"]["level"] == "manager"
    assert latest["route"]["escalated_from"] == "supervisor"
    rerun = CliRunner().invoke(cli, ["escalate", "--now", NOW_BREACHED, "--database-url", decided])
    assert rerun.exit_code == 0 and json.loads(rerun.stdout)["recorded"] == []
    # the webhook outbox holds each breach and each escalation once, whichever run recorded it
    with store.engine.connect() as conn:
        queued = [
            (row.kind, json.loads(row.body)["data"])
            for row in conn.execute(select(webhook_events.c.kind, webhook_events.c.body).order_by(webhook_events.c.id))
        ]
    breached = sorted(p["complaint_id"] for kind, p in queued if kind == "deadline.breached")
    escalated = sorted((p["complaint_id"], p["to_level"]) for kind, p in queued if kind == "decision.escalated")
    assert breached == [f"CLI-{n}" for n in range(1, 6)]
    assert escalated == [(f"CLI-{n}", "manager") for n in range(1, 6)]


def _queue_rows(store) -> list[tuple]:
    from store.tables import deadline_index

    with store.engine.connect() as conn:
        return sorted(
            tuple(row)
            for row in conn.execute(
                select(
                    deadline_index.c.complaint_id,
                    deadline_index.c.kind,
                    deadline_index.c.decision_id,
                    deadline_index.c.due_at,
                    deadline_index.c.due_soon_at,
                    deadline_index.c.status,
                    deadline_index.c.breach_recorded,
                )
            )
        )


def test_deadlines_rebuild_makes_the_work_queue_again_from_the_latest_decisions(decided, store):
    """A store upgraded from release 1.1.0 has no work-queue rows for its earlier complaints: `deadlines
    rebuild` makes them from each complaint's latest decision, the same rows the appends wrote; run again it
    changes nothing."""
    from store.tables import deadline_index

    runner = CliRunner()
    recorded = runner.invoke(
        cli,
        [
            "events",
            "add",
            "CLI-2",
            "--type",
            "responded",
            "--at",
            "2026-11-02T10:04:00+08:00",
            "--database-url",
            decided,
        ],
    )
    assert recorded.exit_code == 0, recorded.output
    escalated = runner.invoke(cli, ["escalate", "--now", NOW_BREACHED, "--database-url", decided])
    assert escalated.exit_code == 0, escalated.output
    written = _queue_rows(store)
    assert {row[0] for row in written} == {f"CLI-{n}" for n in range(1, 6)}
    with store.engine.begin() as conn:  # as after an upgrade from 1.1.0: CLI-1 and CLI-3 have no rows
        conn.execute(deadline_index.delete().where(deadline_index.c.complaint_id.in_(["CLI-1", "CLI-3"])))
        conn.execute(deadline_index.update().where(deadline_index.c.complaint_id == "CLI-4").values(due_at="2099"))
    rebuilt = runner.invoke(cli, ["deadlines", "rebuild", "--database-url", decided])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "5 complaint(s) read, 3 work queue(s) rebuilt" in rebuilt.stdout
    assert _queue_rows(store) == written
    again = runner.invoke(cli, ["deadlines", "rebuild", "--database-url", decided])
    assert "5 complaint(s) read, 0 work queue(s) rebuilt" in again.stdout
    assert _queue_rows(store) == written
    listed = runner.invoke(cli, ["deadlines", "--now", "2026-11-02T10:01:00+08:00", "--database-url", decided])
    assert listed.exit_code == 0 and "deadline(s) as of" in listed.stdout
