"""Fixtures for the HTTP API tests: real app, real engine, real SQLite store in a temp dir."""

from __future__ import annotations

import pytest

from app import create_app
from engine.compiled import decider_for_file
from store import DecisionStore
from tests.helpers.api_samples import POLICY


@pytest.fixture(scope="session")
def decider():
    return decider_for_file(POLICY)


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'decisions.db'}"


@pytest.fixture
def make_app(db_url):
    def make(**config):
        settings = {"DATABASE_URL": db_url, "COMPLAINTS_POLICY": str(POLICY), "COMPLAINTS_ENV": "development"}
        settings.setdefault("COMPLAINTS_AUTH", "off")
        settings.update(config)
        return create_app(settings)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app) -> DecisionStore:
    return app.extensions["complaints"].store


@pytest.fixture
def keyed(make_app):
    """An app with API keys on, and one key per role (plus a revoked one)."""
    app = make_app(COMPLAINTS_AUTH="keys")
    store = app.extensions["complaints"].store
    tokens = {}
    for role in ("decider", "auditor", "policy_admin", "personal_data"):
        _, tokens[role] = store.create_key(f"test {role}", [role])
    revoked, tokens["revoked"] = store.create_key("old", ["decider", "auditor"])
    store.revoke_key(revoked.key_id)
    return app, tokens
