"""The sign-in door under hostile input: issue 24, item 1.

The argon2 check no longer runs inside the store's write transaction; an address is throttled and a
username locked only for the address its failures came from (the same for unknown names); the
sign-in form's token must be one the console signed; ``next`` is held to a console path. The
hostile-input run: clients posting wrong passwords to a real gunicorn while decisions keep a loose
latency bound on SQLite (measured in bench/signin_flood.py, BENCHMARKS.md).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench import signin_flood
from store.staff import _ARGON2_SLOTS, ADDRESS_ATTEMPTS, LOCKOUT_ATTEMPTS, StaffStore
from store.tables import staff_events
from tests.console.conftest import PASSWORD, csrf_of
from tests.helpers.server_process import Server

WRONG = "not the password at all"


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def staff(store) -> StaffStore:
    staff = StaffStore(store, Clock())
    for name in ("anna", "bert"):
        staff.create(name, name.title(), ["policy_approver"], PASSWORD, by="operator:test")
    return staff


def _events(staff: StaffStore) -> int:
    with staff.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(staff_events)).scalar_one()


def test_failures_from_one_address_lock_that_username_there_only(staff):
    for _ in range(LOCKOUT_ATTEMPTS):
        assert staff.sign_in("anna", WRONG, remote="203.0.113.9").token is None
    assert staff.sign_in("anna", PASSWORD, remote="203.0.113.9").refusal == "locked"
    assert staff.sign_in("anna", PASSWORD, remote="198.51.100.7").token is not None  # anna still signs in
    assert staff.sign_in("bert", PASSWORD, remote="203.0.113.9").token is not None  # and bert from there
    staff.clock.now += dt.timedelta(minutes=16)
    assert staff.sign_in("anna", PASSWORD, remote="203.0.113.9").token is not None


def test_an_unknown_name_is_locked_exactly_as_an_existing_one(staff):
    answers = {}
    for name in ("anna", "nobody"):
        answers[name] = [staff.sign_in(name, WRONG, remote="203.0.113.9").refusal for _ in range(LOCKOUT_ATTEMPTS + 2)]
    assert answers["anna"] == answers["nobody"]
    assert answers["anna"] == ["bad_credentials"] * (LOCKOUT_ATTEMPTS - 1) + ["locked"] * 3


def test_an_address_past_its_failures_is_throttled_without_hashing_or_writing(staff):
    for index in range(ADDRESS_ATTEMPTS):
        staff.sign_in(f"guess{index}", WRONG, remote="203.0.113.9")
    recorded = _events(staff)
    slots_taken = []
    _ARGON2_SLOTS.acquire()  # a hash would now wait for ever: a throttled attempt must not need one
    try:
        for name in ("anna", "bert", "someone"):
            slots_taken.append(staff.sign_in(name, PASSWORD, remote="203.0.113.9").refusal)
    finally:
        _ARGON2_SLOTS.release()
    assert slots_taken == ["throttled"] * 3
    assert _events(staff) == recorded  # nothing written per refused attempt (the start was recorded)
    assert staff.sign_in("anna", PASSWORD, remote="198.51.100.7").token is not None


def test_the_password_is_checked_outside_the_write_transaction(staff, complaint, decider):
    """While a sign-in hashes, a decision commits: the store's write lock is not held meanwhile."""
    from lifecycle.decision_service import DecisionService

    service = DecisionService(decider, staff.store)
    outcome: list[object] = []
    _ARGON2_SLOTS.acquire()  # the sign-in stops where it hashes
    try:
        signing = threading.Thread(target=lambda: outcome.append(staff.sign_in("anna", WRONG, remote="10.0.0.1")))
        signing.start()
        signing.join(timeout=0.5)
        assert signing.is_alive()  # waiting to hash
        raw = complaint(complaint_id="DURING-SIGN-IN")
        recorded = service.submit(raw, __import__("json").dumps(raw))
        assert recorded.created
    finally:
        _ARGON2_SLOTS.release()
    signing.join(timeout=30)
    assert [o.refusal for o in outcome] == ["bad_credentials"]  # type: ignore[attr-defined]


# -- over HTTP ------------------------------------------------------------------------------------


def _form_token(client, address: str = "127.0.0.1") -> str:
    return csrf_of(client.get("/console/sign-in", environ_base={"REMOTE_ADDR": address}).text)


def test_a_made_up_login_token_is_refused(console_app):
    client = console_app.test_client()
    client.set_cookie("console_login_csrf", "x" * 43, path="/console")
    answer = client.post("/console/sign-in", data={"username": "anna", "password": PASSWORD, "csrf_token": "x" * 43})
    assert answer.status_code == 403
    # A token the console signed passes.
    fresh = console_app.test_client()
    token = _form_token(fresh)
    assert re.fullmatch(r"\d+\.[\w-]+\.[0-9a-f]{64}", token), token
    signed_in = fresh.post("/console/sign-in", data={"username": "anna", "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302


def test_a_signed_token_works_only_from_the_address_it_was_issued_to(console_app):
    """Cookie tossing with a real token: fetched by the attacker, planted in the victim's browser."""
    attacker = console_app.test_client()
    token = _form_token(attacker, "198.51.100.66")
    victim = console_app.test_client()
    victim.set_cookie("console_login_csrf", token, path="/console")
    answer = victim.post(
        "/console/sign-in",
        data={"username": "anna", "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "203.0.113.20"},
    )
    assert answer.status_code == 403


def test_a_signed_token_altered_is_refused(console_app):
    client = console_app.test_client()
    token = _form_token(client)
    issued, nonce, signature = token.split(".")
    forged = f"{issued}.{nonce[:-1]}{'A' if nonce[-1] != 'A' else 'B'}.{signature}"
    client.set_cookie("console_login_csrf", forged, path="/console")
    answer = client.post("/console/sign-in", data={"username": "anna", "password": PASSWORD, "csrf_token": forged})
    assert answer.status_code == 403


@pytest.mark.parametrize(
    "wanted", ["/console/\r\nX: y", "/console/\nSet-Cookie: a=b", "//evil.example/", "/console/\\evil", "/console/ a"]
)
def test_next_is_a_console_path_or_home(console_app, wanted):
    client = console_app.test_client()
    token = _form_token(client)
    answer = client.post(
        "/console/sign-in", data={"username": "tina", "password": PASSWORD, "csrf_token": token, "next": wanted}
    )
    assert answer.status_code == 302, answer.text[:300]
    assert answer.headers["Location"] == "/console/"


def test_the_same_answer_for_an_unknown_and_an_existing_name(console_app):
    answers = {}
    for name in ("olga", "no.such.person"):
        client = console_app.test_client()
        statuses = []
        for _ in range(LOCKOUT_ATTEMPTS + 1):
            token = _form_token(client, "192.0.2.44")
            answer = client.post(
                "/console/sign-in",
                data={"username": name, "password": WRONG, "csrf_token": token},
                environ_base={"REMOTE_ADDR": "192.0.2.44"},
            )
            statuses.append((answer.status_code, answer.text.replace(name, "NAME").replace(token, "TOKEN")))
        answers[name] = statuses
    assert [status for status, _ in answers["olga"]] == [401] * (LOCKOUT_ATTEMPTS - 1) + [429, 429]
    assert answers["olga"] == answers["no.such.person"]
    # olga from another address is not locked out.
    client = console_app.test_client()
    token = _form_token(client, "192.0.2.45")
    ok = client.post(
        "/console/sign-in",
        data={"username": "olga", "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "192.0.2.45"},
    )
    assert ok.status_code == 302


# -- the hostile-input run: a real server, SQLite -----------------------------------------------------


def test_wrong_passwords_from_several_clients_leave_decisions_fast(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'decisions.db'}"
    signin_flood.prepare_store(url)
    server = Server(tmp_path, {"DATABASE_URL": url, "COMPLAINTS_AUTH": "off"}).start(timeout=60)
    try:
        report = signin_flood.measure(server.port, seconds=4.0, attackers=4, tag="test")
    finally:
        server.stop()
    assert report["sign_in_attempts"] >= 4 and set(report["statuses"]) == {"401"}, report
    under = report["under_flood"]
    # Loose, for a shared machine: before the fix p50 was ~1.9 s and max ~3.7 s (BENCHMARKS.md).
    assert under["p50_ms"] < 400 and under["max_ms"] < 2500, report
