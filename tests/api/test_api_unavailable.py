"""503 + Retry-After when the store cannot record, and nothing decided-but-unlogged.

Made real: the SQLite database is write-locked by another connection (busy
timeout runs out), or its path cannot be opened at all.
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.api.test_api_ops import samples, value
from tests.helpers.api_samples import POLICY, make_complaint, post_json


def _locked(db_path: str) -> sqlite3.Connection:
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # takes the write lock and keeps it
    return holder


def test_locked_store_gives_503_and_records_nothing(make_app, tmp_path):
    app = make_app(COMPLAINTS_SQLITE_BUSY_TIMEOUT_MS=150, COMPLAINTS_RETRY_AFTER=7)
    client = app.test_client()
    store = app.extensions["complaints"].store
    body = make_complaint(1)
    before = samples(client)
    holder = _locked(str(tmp_path / "decisions.db"))
    try:
        response = post_json(client, "/v1/decisions", body)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"
        assert response.content_type == "application/problem+json"
        assert response.get_json()["type"] == "/docs#problem-store-unavailable"
        batch = post_json(client, "/v1/decisions/batch", {"complaints": [make_complaint(2), make_complaint(3)]})
        assert batch.status_code == 200
        assert [r["status"] for r in batch.get_json()["results"]] == [503, 503]
        assert batch.get_json()["summary"]["failed"] == 2
        assert store.count() == 0  # reads still work under WAL: nothing was recorded
    finally:
        holder.rollback()
        holder.close()
    after = samples(client)
    assert sum(v for (name, _), v in after.items() if name == "complaints_decisions_total") == sum(
        v for (name, _), v in before.items() if name == "complaints_decisions_total"
    )
    assert value(after, "complaints_errors_total", kind="store-unavailable") > value(
        before, "complaints_errors_total", kind="store-unavailable"
    )
    retry = post_json(client, "/v1/decisions", body)
    assert retry.status_code == 201
    assert store.count() == 1 and store.verify_chain().ok


def test_unreachable_store_starts_but_is_not_ready(make_app):
    app = make_app(DATABASE_URL="sqlite:////dev/null/nowhere/decisions.db", COMPLAINTS_RETRY_AFTER=3)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "3"
    assert ready.get_json()["type"] == "/docs#problem-not-ready"
    created = post_json(client, "/v1/decisions", make_complaint(4))
    assert created.status_code == 503 and created.headers["Retry-After"] == "3"
    assert client.get("/v1/decisions/0f0c2a9e-0000-4000-8000-000000000000").status_code == 503
    assert client.get("/v1/complaints/C-000004/decisions").status_code == 503
    invalid = post_json(client, "/v1/decisions", {"complaint_id": "x"})
    assert invalid.status_code == 422  # validation needs no store


def test_unreachable_store_with_keys_is_503_not_401(make_app):
    client = make_app(DATABASE_URL="sqlite:////dev/null/nowhere/decisions.db", COMPLAINTS_AUTH="keys").test_client()
    response = client.get("/v1/policy", headers={"Authorization": "Bearer cds_x_y"})
    assert response.status_code == 503 and "Retry-After" in response.headers


STORE_READS = [
    ("GET", "/v1/decisions/0f0c2a9e-0000-4000-8000-000000000000", None),
    ("GET", "/v1/complaints/C-1/decisions", None),
    ("POST", "/v1/decisions/0f0c2a9e-0000-4000-8000-000000000000/replay", {}),
    ("GET", "/v1/audit/verify", None),
    ("GET", "/v1/exports/decisions?since=2026-01-01T00:00:00%2B08:00&until=2026-02-01T00:00:00%2B08:00", None),
    ("GET", "/v1/policies/" + "0" * 64 + "/text", None),
    ("POST", "/v1/policies/impact", {"text": POLICY.read_text(encoding="utf-8"), "since": "2026-01-01T00:00:00+08:00"}),
]


@pytest.mark.parametrize(("method", "path", "body"), STORE_READS, ids=[f"{m} {p[:40]}" for m, p, _ in STORE_READS])
def test_every_endpoint_that_needs_the_store_answers_one_503(make_app, method, path, body):
    # One error handler (api.problems.problem_for), not a try/except per view: each answers the same document.
    client = make_app(DATABASE_URL="sqlite:////dev/null/nowhere/decisions.db", COMPLAINTS_RETRY_AFTER=4).test_client()
    response = client.open(path, method=method, json=body) if body is not None else client.open(path, method=method)
    assert response.status_code == 503, response.get_json()
    assert response.headers["Retry-After"] == "4"
    problem = response.get_json()
    assert problem["code"] == "store-unavailable" and problem["type"] == "/docs#problem-store-unavailable"


def test_readiness_fails_while_writes_fail(make_app, tmp_path):
    """Reads still work (WAL) but no write can commit: /readyz must not say ready."""
    app = make_app(COMPLAINTS_SQLITE_BUSY_TIMEOUT_MS=150, COMPLAINTS_RETRY_AFTER=1)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    holder = _locked(str(tmp_path / "decisions.db"))
    try:
        time.sleep(1.1)  # past the window in which the last good write vouches for the store
        answer = client.get("/readyz")
        assert answer.status_code == 503, answer.get_json()
        assert answer.headers["Retry-After"] == "1"
        assert "write" in answer.get_json()["detail"]
        # A decision that cannot be written keeps the instance not ready, without a probe of its own.
        assert post_json(client, "/v1/decisions", make_complaint(1)).status_code == 503
        assert client.get("/readyz").status_code == 503
    finally:
        holder.rollback()
        holder.close()
    time.sleep(1.1)
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["checks"]["store_writes"] == "ok"
