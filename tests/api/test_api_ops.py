"""Health, readiness, Prometheus metrics and structured logs."""

from __future__ import annotations

import datetime as dt
import json
from importlib.metadata import version

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.api_samples import make_complaint, post_json


def samples(client) -> dict:
    text = client.get("/metrics").get_data(as_text=True)
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_health_and_ready(client, decider):
    assert client.get("/healthz").get_json() == {"status": "ok", "version": version("complaint-decisions")}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["policy"]["digest"] == decider.policy.digest


def test_metrics_count_decisions_errors_and_latency(client, decider):
    body = make_complaint(1)
    decision = decider.decide(body)
    labels = {
        "team": decision["route"]["team"],
        "level": decision["route"]["level"],
        "remedy": "+".join(sorted({c["type"] for c in decision["remedy"]["components"]})) or "none",
    }
    before = samples(client)
    post_json(client, "/v1/decisions", body)
    post_json(client, "/v1/decisions", body)
    post_json(client, "/v1/decisions", {"complaint_id": "x"})
    client.get("/v1/decisions/none")
    after = samples(client)
    assert (
        value(after, "complaints_decisions_total", **labels) - value(before, "complaints_decisions_total", **labels)
        == 1
    )
    assert (
        value(after, "complaints_idempotent_replays_total") - value(before, "complaints_idempotent_replays_total") == 1
    )
    for kind in ("validation", "not-found"):
        assert (
            value(after, "complaints_errors_total", kind=kind) - value(before, "complaints_errors_total", kind=kind)
            == 1
        )
    assert value(after, "complaints_decision_seconds_count") - value(before, "complaints_decision_seconds_count") == 2
    route = {"route": "/v1/decisions", "method": "POST", "status": "201"}
    assert (
        value(after, "complaints_http_request_seconds_count", **route)
        - value(before, "complaints_http_request_seconds_count", **route)
        == 1
    )


def test_access_log_is_json_without_personal_fields(client, capsys):
    body = make_complaint(3)
    body["customer"]["customer_id"] = "U-secret-77"
    body["order"]["order_id"] = "O-secret-88"
    body["description"] = "我的电话是13800000000"
    capsys.readouterr()
    response = post_json(client, "/v1/decisions", body, headers={"X-Request-ID": "req-1"})
    bad = dict(body, channel="pigeon")
    post_json(client, "/v1/decisions", bad, headers={"X-Request-ID": "req-2"})
    client.get(f"/v1/complaints/{body['complaint_id']}/decisions")
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "complaints.access"]
    assert len(access) == 3
    first = access[0]
    assert first["request_id"] == "req-1" and first["route"] == "/v1/decisions" and first["status"] == 201
    assert first["decision_id"] == response.get_json()["decision_id"] and first["latency_ms"] >= 0
    assert access[1]["status"] == 422 and access[1]["error"] == "validation"
    assert access[2]["route"] == "/v1/complaints/<path:complaint_id>/decisions"
    for secret in ("U-secret-77", "O-secret-88", "13800000000", body["complaint_id"], "pigeon"):
        assert secret not in err


def _at(app, moment: str) -> None:
    app.extensions["complaints"].clock = lambda: dt.datetime.fromisoformat(moment)


def test_readyz_warns_when_the_calendar_runs_out_and_stays_ready(app, client):
    _at(app, "2026-12-01T09:00:00+08:00")
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["calendar"].startswith(
        "warning: 30 days of holiday calendar left (last listed day 2026-12-31)"
    )
    assert body["calendar"] == {
        "today": "2026-12-01",
        "last_day": "2026-12-31",
        "days_left": 30,
        "warn_days": 60,
        "running_out": True,
    }
    _at(app, "2026-10-01T09:00:00+08:00")
    assert client.get("/readyz").get_json()["checks"]["calendar"].startswith("ok: 91 days")


def test_readyz_counts_the_day_in_the_policy_s_timezone(app, client):
    _at(app, "2026-11-30T17:00:00+00:00")  # already 1 December in Shanghai
    assert client.get("/readyz").get_json()["calendar"]["days_left"] == 30


def test_metrics_report_the_calendar_days_left(app, client):
    _at(app, "2026-12-21T12:00:00+08:00")
    assert value(samples(client), "complaints_calendar_days_left") == 10


def test_ready_is_degraded_and_the_metric_set_while_the_signer_refuses(make_app, tmp_path):
    """Issue 25: the signer's refusal to sign a rewritten history is loud: /readyz degraded, a metric."""
    from store.signing import write_key_pair

    key = tmp_path / "signing.pem"
    write_key_pair(key)
    app = make_app(
        COMPLAINTS_SIGNING_KEY_FILE=str(key), COMPLAINTS_CHECKPOINT_EVERY="0", COMPLAINTS_CHECKPOINT_SECONDS="0"
    )
    client, services = app.test_client(), app.extensions["complaints"]
    post_json(client, "/v1/decisions", make_complaint(1))
    assert services.checkpointer.sign() is not None and (tmp_path / "signing.pem.head").is_file()
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["checks"]["signing"] == "ok"
    with services.store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM signed_statements")
    post_json(client, "/v1/decisions", make_complaint(2))
    assert services.checkpointer.sign() is None
    ready = client.get("/readyz")
    assert ready.status_code == 200  # still deciding: decisions are recorded, only signing stopped
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["checks"]["signing"].startswith("refused: statement 1 (seq 1)")
    assert value(samples(client), "complaints_signing_refused") == 1
