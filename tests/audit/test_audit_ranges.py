"""Ranges by business time too: October's complaints recorded in December are found with --by received
(CLI and HTTP: replay, export, impact), never by the default recorded time; times shown are +08:00."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from app import create_app
from cli.main import cli
from store.times import stored_form
from tests.conftest import make_complaint
from tests.helpers.audit_samples import POLICY, backdate, row

OCTOBER = ["2026-10-01T00:00:00+08:00", "2026-10-15T10:00:00+08:00", "2026-10-31T23:59:59+08:00"]
OUTSIDE = ["2026-09-30T23:59:59+08:00", "2026-11-01T00:00:00+08:00", "2026-11-20T09:00:00+08:00"]
PERIOD = ["--since", "2026-10-01", "--until", "2026-11-01"]


@pytest.fixture
def late(service, store):
    """Six complaints, three received in October, all recorded in December."""
    for number, received in enumerate(OCTOBER + OUTSIDE):
        body = make_complaint(
            complaint_id=f"C-LATE-{number}",
            received_at=received,
            order={"paid_at": "2026-09-01T10:00:00+08:00", "delivered_at": "2026-09-05T10:00:00+08:00"},
        )
        service.submit(json.loads(json.dumps(body)), json.dumps(body))
    backdate(store, {seq: f"2026-12-0{seq}T02:00:00.000000+00:00" for seq in range(1, 7)})
    return store


def _run(store_url, *args):
    return CliRunner().invoke(cli, [*args, "--database-url", store_url])


def test_export_by_received_finds_october_recorded_in_december(late, store_url):
    recorded = _run(store_url, "export", *PERIOD)
    assert recorded.exit_code == 0 and [json.loads(x)["type"] for x in recorded.stdout.splitlines()] == ["closing"]
    received = _run(store_url, "export", *PERIOD, "--by", "received")
    assert received.exit_code == 0, received.output
    rows = [json.loads(line) for line in received.stdout.splitlines()][:-1]
    assert [r["decision"]["received_at"] for r in rows] == OCTOBER
    assert rows[0]["created_at"] == "2026-12-01T10:00:00.000000+08:00"  # shown at +08:00, stored in UTC
    assert stored_form(rows[0]["created_at"]) == row(late, 1).created_at
    december = _run(store_url, "export", "--since", "2026-12-01", "--until", "2027-01-01")
    assert len(december.stdout.splitlines()) == 6 + 1  # and the closing record


def test_replay_and_impact_by_received(late, store_url):
    replayed = _run(store_url, "replay", *PERIOD, "--by", "received")
    assert replayed.exit_code == 0, replayed.output
    assert [json.loads(x)["seq"] for x in replayed.stdout.splitlines()] == [1, 2, 3]
    assert _run(store_url, "replay", *PERIOD).stderr.strip().endswith("0 decisions replayed (replay): nothing")
    impact = _run(store_url, "impact", str(POLICY), *PERIOD, "--by", "received", "--json")
    assert impact.exit_code == 0, impact.output
    assert json.loads(impact.stdout)["decisions"] == 3
    assert json.loads(_run(store_url, "impact", str(POLICY), *PERIOD, "--json").stdout)["decisions"] == 0


@pytest.mark.parametrize("command", [["replay"], ["export"], ["impact", str(POLICY)], ["audit", "bundle", "x"]])
def test_the_help_states_the_default(command):
    text = CliRunner().invoke(cli, [*command, "--help"]).output
    assert "--by [recorded|received]" in text and "[default: recorded]" in text


def test_http_ranges_by_received_and_times_at_plus_eight(late, store_url):
    app = create_app({"DATABASE_URL": store_url, "COMPLAINTS_POLICY": str(POLICY)})
    client = app.test_client()
    period = {"since": "2026-10-01", "until": "2026-11-01"}
    lines = client.post("/v1/replays", json={**period, "by": "received"}).get_data(as_text=True).splitlines()
    assert [json.loads(x).get("seq") for x in lines[:-1]] == [1, 2, 3] and json.loads(lines[-1])["decisions"] == 3
    assert json.loads(client.post("/v1/replays", json=period).get_data(as_text=True).splitlines()[-1])["decisions"] == 0
    export = client.get("/v1/exports/decisions?since=2026-10-01&until=2026-11-01&by=received").get_data(as_text=True)
    assert len(export.splitlines()) == 3 + 1
    bad = client.get("/v1/exports/decisions?since=2026-10-01&until=2026-11-01&by=business")
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid-parameters"
    impact = client.post(
        "/v1/policies/impact",
        json={"text": POLICY.read_text(encoding="utf-8"), "since": "2026-10-01T00:00:00+08:00", "by": "received"},
    )
    assert impact.status_code == 200 and impact.get_json()["decisions"] == 6 - 1  # 30 September is before
    served = client.get(f"/v1/decisions/{row(late, 2).decision_id}").get_json()
    assert served["created_at"] == "2026-12-02T10:00:00.000000+08:00"
    assert dt.datetime.fromisoformat(served["created_at"]).utcoffset() == dt.timedelta(hours=8)
