"""Fixtures for the console: the real app on a real SQLite store, with staff accounts signed in."""

from __future__ import annotations

import re

import pytest

from app import create_app
from tests.helpers.samples import POLICY

PASSWORD = "console test password"
ACCOUNTS = {
    "ada": ["auditor", "personal_data"],
    "olga": ["auditor"],
    "paul": ["policy_admin"],
    "anna": ["policy_approver"],
    "tina": ["team_lead"],
    "dan": ["decider"],
}


@pytest.fixture(scope="module")
def console_app(tmp_path_factory):
    """One app per module (building it and hashing six passwords is slow): tests use their own names' state."""
    tmp_path = tmp_path_factory.mktemp("console")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_ENV": "development",
            "COMPLAINTS_AUTH": "keys",
        }
    )
    staff = app.extensions["complaints_staff"]
    for name, roles in ACCOUNTS.items():
        staff.create(name, name.title(), roles, PASSWORD, by="operator:test")
    return app


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def signed_in(app, username: str):
    """A test client with ``username``'s session cookie, and the session's CSRF token."""
    client = app.test_client()
    token = csrf_of(client.get("/console/sign-in").text)
    response = client.post("/console/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.text
    return client, csrf_of(client.get("/console/sign-in").text)
