"""`complaints users`: console accounts created, listed, disabled and reset on a real SQLite store."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.main import cli
from store import DecisionStore
from store.staff import StaffStore


@pytest.fixture
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'complaints.db'}"
    DecisionStore(url).init_schema()
    return url


def _run(url: str, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["users", *args, "--database-url", url], input=stdin)


def test_create_prints_a_generated_password_once_and_it_signs_in(url):
    result = _run(url, "create", "alice", "--role", "auditor", "--role", "personal_data", "--name", "Alice Li")
    assert result.exit_code == 0, result.output
    password = result.stdout.strip()
    assert len(password) >= 16 and "not shown again" in result.stderr
    staff = StaffStore(DecisionStore(url))
    assert staff.sign_in("alice", password, remote="test").token is not None
    assert staff.get("alice").roles == {"auditor", "personal_data"}
    assert [e.action for e in staff.events(limit=2)] == ["signed_in", "account_created"]
    assert "operator:" in staff.events(limit=2)[1].detail


def test_create_from_stdin_refuses_a_short_password_and_a_duplicate(url):
    assert _run(url, "create", "bob", "--role", "auditor", "--password-stdin", stdin="short\n").exit_code == 1
    done = _run(url, "create", "bob", "--role", "auditor", "--password-stdin", stdin="a long enough secret\n")
    assert done.exit_code == 0 and done.stdout == ""
    again = _run(url, "create", "bob", "--role", "auditor", "--password-stdin", stdin="a long enough secret\n")
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_disable_and_reset(url):
    _run(url, "create", "carol", "--role", "policy_admin", "--password-stdin", stdin="a long enough secret\n")
    assert _run(url, "disable", "carol").exit_code == 0
    assert "disabled" in _run(url, "list").stdout
    staff = StaffStore(DecisionStore(url))
    assert staff.sign_in("carol", "a long enough secret", remote="test").refusal == "disabled"
    reset = _run(url, "reset", "carol")
    assert reset.exit_code == 0
    assert staff.sign_in("carol", reset.stdout.strip(), remote="test").token is not None
    assert "active" in _run(url, "list").stdout
    assert _run(url, "disable", "nobody").exit_code == 1
