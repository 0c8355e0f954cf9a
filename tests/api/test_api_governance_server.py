"""Two keys, four eyes, over HTTP against the production server (gunicorn, 2 workers) on SQLite and PostgreSQL.

Alice (policy_admin and policy_approver) proposes; she may not approve her own proposal; Bob approves
with the command line's --server; the version is scheduled, then in force at its date, and decisions
received from effective_from on name it. The notice is shortened (acknowledged with a reason) so that
the test can watch the version come into force.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from cli.main import cli
from tests.helpers.governance_samples import SHANGHAI, TESTS_TEXT, dated
from tests.helpers.lifecycle_samples import refund_complaint
from tests.helpers.server_process import REPO, Server

LEAD_SECONDS = 40  # proposal (tests, lint, impact) and approval must fit before effective_from


def create_key(db_url: str, name: str, *roles: str, extra: tuple[str, ...] = ()) -> str:
    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    init = [sys.executable, "-m", "cli.main", "store", "init"]  # keys go into an existing store only
    assert subprocess.run(init, cwd=REPO, env=env, capture_output=True, text=True).returncode == 0
    args = [sys.executable, "-m", "cli.main", "keys", "create", "--name", name]
    for role in roles:
        args += ["--role", role]
    args += list(extra)
    result = subprocess.run(
        args, cwd=REPO, env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'governed.db'}"
    return request.getfixturevalue("postgres").create_database()


def test_propose_with_one_key_approve_with_another_then_in_force_at_its_date(db_url, tmp_path):
    alice = create_key(db_url, "Alice (compliance)", "policy_admin", "policy_approver", extra=("--person", "alice"))
    confirming = tmp_path / "alice.key"  # a second approver needs another approver's confirmation (issue 25)
    confirming.write_text(alice)
    bob = create_key(
        db_url,
        "Bob (head of compliance)",
        "policy_approver",
        extra=("--person", "bob", "--confirmed-by", str(confirming)),
    )
    decider = create_key(db_url, "order system", "decider", "auditor")
    server = Server(
        tmp_path, {"DATABASE_URL": db_url, "COMPLAINTS_ENV": "production", "COMPLAINTS_POLICY_POLL_SECONDS": "1"}
    ).start()
    try:
        base, as_alice = server.base, {"Authorization": f"Bearer {alice}"}
        as_decider = {"Authorization": f"Bearer {decider}"}
        ready = requests.get(base + "/readyz", timeout=10).json()
        assert ready["policy_mode"]["mode"] == "governed"
        listed = requests.get(base + "/v1/policies", headers=as_decider, timeout=10).json()
        assert [(v["version"], v["state"]) for v in listed["register"]] == [("2026.1", "in force")]

        effective = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=LEAD_SECONDS)).replace(microsecond=0)
        proposal = {
            "text": dated("2026.2", effective),
            "tests": TESTS_TEXT,
            "reason": "raise the frontline refund limit to 300.00",
            "short_notice_reason": "test of the approval path: notice shortened on purpose",
        }
        proposed = requests.post(base + "/v1/policies", json=proposal, headers=as_alice, timeout=120)
        assert proposed.status_code == 201, proposed.text
        digest = proposed.json()["digest"]
        assert proposed.json()["review_packet"]["diff"]["against"]["version"] == "2026.1"

        own = requests.post(f"{base}/v1/policies/{digest}/approve", json={"comment": "mine"}, headers=as_alice)
        assert own.status_code == 409 and own.json()["errors"][0]["code"] == "self_approval", own.text

        approved = CliRunner().invoke(
            cli,
            ["approve", digest[:12], "--comment", "impact read: approve", "--server", base, "--json"],
            env={"COMPLAINTS_API_KEY": bob},
        )
        assert approved.exit_code == 0, approved.output
        view = json.loads(approved.stdout)
        assert view["state"] == "scheduled"
        assert [(h["event"], h["by_name"]) for h in view["history"]] == [
            ("proposed", "Alice (compliance)"),
            ("approved", "Bob (head of compliance)"),
            ("scheduled", "Bob (head of compliance)"),
        ]
        time.sleep(2.5)  # both workers poll the register every second

        def decide(complaint_id: str, moment: dt.datetime) -> dict:
            complaint = refund_complaint(complaint_id, moment.astimezone(SHANGHAI).isoformat())
            answer = requests.post(base + "/v1/decisions", json=complaint, headers=as_decider, timeout=30)
            assert answer.status_code == 201, answer.text
            return answer.json()

        for n in range(4):  # several requests: both workers
            assert decide(f"C-before-{n}", effective - dt.timedelta(seconds=1))["policy"]["version"] == "2026.1"
            after = decide(f"C-after-{n}", effective)
            assert after["policy"] == {"version": "2026.2", "digest": digest}
            assert after["decision"]["route"]["level"] == "frontline"

        time.sleep(max(0.0, (effective - dt.datetime.now(dt.UTC)).total_seconds()) + 1)
        shown = requests.get(f"{base}/v1/policies/{digest}", headers=as_decider, timeout=10).json()
        assert shown["state"] == "in force"
        assert requests.get(base + "/v1/policy", headers=as_decider, timeout=10).json()["version"] == "2026.2"
        notice = requests.get(f"{base}/v1/policies/{digest}/notice", headers=as_decider, timeout=10).json()
        assert "施行时间" in notice["zh"] and "frontline limit 200.00 → 300.00" in notice["en"]

        verified = requests.get(base + "/v1/audit/verify", headers=as_decider, timeout=30).json()
        assert verified["ok"] and verified["policy_register"]["events"] == 4
    finally:
        server.stop()
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "store", "verify", "--database-url", db_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 policy register events: intact" in result.stdout
