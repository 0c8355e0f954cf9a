"""A PostgreSQL server that goes away: 503 + Retry-After, nothing decided-but-unlogged, recovery after restart."""

from __future__ import annotations

import json

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
