"""Staff accounts on a real SQLite store and a real PostgreSQL server (the shared ``store`` fixture):
passwords, lockout, sessions, drafts, and the audit trail's chain."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from store.staff import LOCKOUT_ATTEMPTS, SESSION_IDLE_MINUTES, AccountError, StaffStore
from store.tables import staff_accounts, staff_events

PASSWORD = "a long enough secret"


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def staff(store, clock) -> StaffStore:
    staff = StaffStore(store, clock)
    staff.create("alice", "Alice", ["auditor"], PASSWORD, by="operator:test")
    return staff


def test_the_password_is_kept_only_as_an_argon2id_hash(staff):
    with staff.store.engine.connect() as conn:
        stored = conn.execute(select(staff_accounts.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_a_sign_in_opens_a_session_and_a_wrong_password_does_not(staff):
    assert staff.sign_in("alice", "wrong password!!", remote="127.0.0.1").refusal == "bad_credentials"
    assert staff.sign_in("nobody", PASSWORD, remote="127.0.0.1").refusal == "bad_credentials"
    result = staff.sign_in("alice", PASSWORD, remote="127.0.0.1")
    session = staff.session(result.token)
    assert session is not None and session.account.username == "alice"
    assert len(session.csrf_token) >= 32
    assert staff.session("not-a-token") is None


def test_repeated_failures_lock_the_account_even_for_the_right_password(staff, clock):
    for _ in range(LOCKOUT_ATTEMPTS):
        staff.sign_in("alice", "wrong password!!", remote="127.0.0.1")
    assert staff.sign_in("alice", PASSWORD, remote="127.0.0.1").refusal == "locked"
    clock.now += dt.timedelta(minutes=16)
    assert staff.sign_in("alice", PASSWORD, remote="127.0.0.1").token is not None


def test_disable_and_reset_end_open_sessions(staff):
    token = staff.sign_in("alice", PASSWORD, remote="127.0.0.1").token
    staff.disable("alice", by="operator:test")
    assert staff.session(token) is None
    assert staff.sign_in("alice", PASSWORD, remote="127.0.0.1").refusal == "disabled"
    staff.reset("alice", "another long secret", by="operator:test")
    token = staff.sign_in("alice", "another long secret", remote="127.0.0.1").token
    assert staff.session(token) is not None
    staff.reset("alice", "a third long secret", by="operator:test")
    assert staff.session(token) is None


def test_an_idle_session_ends(staff, clock):
    token = staff.sign_in("alice", PASSWORD, remote="127.0.0.1").token
    clock.now += dt.timedelta(minutes=SESSION_IDLE_MINUTES + 1)
    assert staff.session(token) is None


@pytest.mark.parametrize(
    "username, roles, password, expected",
    [
        ("Bob", ["auditor"], PASSWORD, "username"),
        ("bob", ["root"], PASSWORD, "unknown role"),
        ("bob", [], PASSWORD, "at least one role"),
        ("bob", ["auditor"], "short", "at least 12"),
        ("alice", ["auditor"], PASSWORD, "already exists"),
    ],
)
def test_bad_accounts_are_refused_by_name(staff, username, roles, password, expected):
    with pytest.raises(AccountError, match=expected):
        staff.create(username, "", roles, password, by="operator:test")


def test_the_trail_records_sign_ins_and_failures_in_a_chain_that_finds_an_edit(staff):
    staff.sign_in("alice", "wrong password!!", remote="10.0.0.1")
    staff.sign_in("alice", PASSWORD, remote="10.0.0.1")
    actions = [e.action for e in reversed(staff.events())]
    assert actions == ["account_created", "sign_in_failed", "signed_in"]
    assert staff.verify_events() == (3, [])
    with staff.store.engine.begin() as conn:
        conn.execute(update(staff_events).where(staff_events.c.seq == 2).values(username="mallory"))
    count, problems = staff.verify_events()
    assert count == 3 and problems == ["event 2: its content does not hash to its link (edited)"]


def test_a_draft_is_kept_per_account(staff):
    assert staff.draft("alice") is None
    staff.save_draft("alice", "policy: one", "tests: one")
    staff.save_draft("alice", "policy: two", "tests: two")
    assert staff.draft("alice")[:2] == ("policy: two", "tests: two")
