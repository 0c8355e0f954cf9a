"""A PostgreSQL server that goes away: 503 + Retry-After, nothing decided-but-unlogged, recovery after restart."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from app import create_app
from lifecycle.decision_service import DecisionService
from store import DecisionStore, StoreUnavailable
from tests.helpers.postgres import start_postgres
from tests.helpers.store_samples import POLICY, make_complaint


@pytest.fixture(scope="module")
def own_postgres():
    server = start_postgres()  # its own server: these tests stop it
    yield server
    server.cleanup()


def test_store_raises_unavailable_and_recovers(own_postgres, decider):
    store = DecisionStore(own_postgres.create_database())
    service = DecisionService(decider, store)
    body = make_complaint(1)
    assert service.submit(body, json.dumps(body)).created
    own_postgres.stop()
    try:
        other = make_complaint(2)
        with pytest.raises(StoreUnavailable):
            service.submit(other, json.dumps(other))
        with pytest.raises(StoreUnavailable):
            store.ping()
    finally:
        own_postgres.start()
    assert store.count() == 1
    assert service.submit(other, json.dumps(other)).created
    assert store.verify_chain().ok
    store.dispose()


def test_api_answers_503_while_postgres_is_down(own_postgres):
    url = own_postgres.create_database()
    app = create_app(
        {"DATABASE_URL": url, "COMPLAINTS_POLICY": str(POLICY), "COMPLAINTS_AUTH": "off", "COMPLAINTS_RETRY_AFTER": 11}
    )
    client = app.test_client()
    first = client.post("/v1/decisions", json=make_complaint(10))
    assert first.status_code == 201
    own_postgres.stop()
    try:
        down = client.post("/v1/decisions", json=make_complaint(11))
        assert down.status_code == 503 and down.headers["Retry-After"] == "11"
        assert down.content_type == "application/problem+json"
        assert client.get("/readyz").status_code == 503
        assert client.get(first.headers["Location"]).status_code == 503
    finally:
        own_postgres.start()
    assert client.get("/readyz").status_code == 200
    store = app.extensions["complaints"].store
    assert store.count() == 1  # the 503'd complaint was not decided and recorded
    again = client.post("/v1/decisions", json=make_complaint(11))
    assert again.status_code == 201
    assert client.get(first.headers["Location"]).get_json() == first.get_json()
    assert store.verify_chain().ok


def test_service_starts_while_postgres_is_down(own_postgres):
    url = own_postgres.create_database()
    own_postgres.stop()
    try:
        app = create_app({"DATABASE_URL": url, "COMPLAINTS_POLICY": str(POLICY), "COMPLAINTS_AUTH": "off"})
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
        assert client.post("/v1/decisions", json=make_complaint(20)).status_code == 503
    finally:
        own_postgres.start()
    assert client.get("/readyz").status_code == 200  # schema made on first use
    assert client.post("/v1/decisions", json=make_complaint(20)).status_code == 201


def _stall(server) -> list[int]:
    """SIGSTOP the PostgreSQL server and every backend: it accepts connections but never answers."""
    postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    pids = [postmaster, *map(int, children)]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    return pids


def _resume(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def test_a_stalled_postgres_gives_503_in_bounded_time(own_postgres):
    url = own_postgres.create_database()
    app = create_app(
        {
            "DATABASE_URL": url,
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_AUTH": "off",
            "COMPLAINTS_RETRY_AFTER": 3,
            "COMPLAINTS_DB_STATEMENT_TIMEOUT_MS": 1500,
        }
    )
    client = app.test_client()
    assert client.post("/v1/decisions", json=make_complaint(20)).status_code == 201
    answers: dict[str, object] = {}

    def ask(name: str, call) -> threading.Thread:
        def run() -> None:
            started = time.monotonic()
            response = call()
            answers[name] = (response.status_code, response.headers.get("Retry-After"), time.monotonic() - started)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    pids = _stall(own_postgres)
    try:
        # Each on its own connection, as concurrent requests would be.
        threads = [
            ask("decide", lambda: app.test_client().post("/v1/decisions", json=make_complaint(21))),
            ask("readyz", lambda: app.test_client().get("/readyz")),
        ]
        for thread in threads:
            thread.join(30)  # a hang fails here, bounded, instead of hanging the suite
        assert set(answers) == {"decide", "readyz"}, f"still waiting on a stalled store: {answers}"
        assert [answers[name][:2] for name in ("decide", "readyz")] == [(503, "3"), (503, "3")], answers
    finally:
        _resume(pids)
    deadline = time.monotonic() + 30
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "not ready again after the server resumed"
        time.sleep(0.2)
    assert client.post("/v1/decisions", json=make_complaint(21)).status_code == 201
    app.extensions["complaints"].store.dispose()
