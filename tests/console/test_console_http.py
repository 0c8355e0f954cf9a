"""The console's guards over the real app (Flask's test client, real SQLite): every page checks roles,
every state change needs its session's CSRF token and a same-site origin, cookies are locked down."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.console.conftest import PASSWORD, csrf_of, signed_in
from tests.helpers.samples import REPO

CONSOLE_RULES_OPEN = {
    "console.sign_in_form",
    "console.sign_in",
    "console.sign_out",
    "console.language",
    "console.static",
}


def _console_routes(app) -> list[tuple[str, str]]:
    """Every console route with placeholders filled, and its method."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/console") or rule.endpoint in CONSOLE_RULES_OPEN:
            continue
        url = rule.rule.replace("<decision_id>", "00000000-0000-0000-0000-000000000000").replace("<digest>", "0" * 64)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_the_root_redirects_to_the_console(console_app):
    response = console_app.test_client().get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")


def test_every_console_page_needs_a_session(console_app):
    client = console_app.test_client()
    routes = _console_routes(console_app)
    assert len(routes) >= 20
    for method, url in routes:
        response = client.open(url, method=method)
        # GETs go to the sign-in page; POSTs fail the CSRF check before anything else (403).
        assert response.status_code in (302, 403), (method, url, response.status_code)
        if response.status_code == 302:
            assert "/console/sign-in" in response.headers["Location"]


def test_a_decider_only_account_reaches_no_console_page(console_app):
    client, token = signed_in(console_app, "dan")
    for method, url in _console_routes(console_app):
        response = client.open(url, method=method, data={"csrf_token": token}, headers={"X-CSRF-Token": token})
        assert response.status_code == 403, (method, url, response.status_code)
        assert "decider" in response.text


@pytest.mark.parametrize(
    "username, url, allowed",
    [
        ("olga", "/console/decisions", True),
        ("olga", "/console/policy/draft", False),
        ("paul", "/console/policy/draft", True),
        ("paul", "/console/decisions", False),
        ("anna", "/console/versions", True),
        ("anna", "/console/policy/draft", False),
        ("tina", "/console/dashboard", True),
        ("tina", "/console/decisions", False),
        ("tina", "/console/versions", False),
    ],
)
def test_each_role_opens_the_pages_of_the_api_operation_it_holds(console_app, username, url, allowed):
    client, _ = signed_in(console_app, username)
    assert client.get(url).status_code == (200 if allowed else 403)


def _draft_text(app, username: str) -> str | None:
    found = app.extensions["complaints_staff"].draft(username)
    return found[0] if found else None


def test_a_state_change_without_the_csrf_token_is_refused_and_changes_nothing(console_app):
    client, token = signed_in(console_app, "paul")
    refused = client.post("/console/policy/draft/save", data={"text": "policy: refused", "tests": ""})
    assert refused.status_code == 403
    wrong = client.post(
        "/console/policy/draft/save", data={"text": "policy: refused", "tests": "", "csrf_token": "x" * 43}
    )
    assert wrong.status_code == 403
    assert _draft_text(console_app, "paul") != "policy: refused"
    done = client.post(
        "/console/policy/draft/save", data={"text": "policy: saved", "tests": ""}, headers={"X-CSRF-Token": token}
    )
    assert done.status_code == 200 and _draft_text(console_app, "paul") == "policy: saved"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
    ],
)
def test_a_cross_site_request_is_refused_even_with_the_token(console_app, headers):
    client, token = signed_in(console_app, "paul")
    response = client.post(
        "/console/policy/draft/save",
        data={"text": "policy: cross-site", "tests": "", "csrf_token": token},
        headers=headers,
    )
    assert response.status_code == 403
    assert _draft_text(console_app, "paul") != "policy: cross-site"


def test_sign_in_without_the_login_token_is_refused(console_app):
    response = console_app.test_client().post("/console/sign-in", data={"username": "olga", "password": PASSWORD})
    assert response.status_code == 403


def test_the_session_cookie_is_httponly_strict_and_secure_over_tls(console_app):
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = console_app.test_client()
        token = csrf_of(client.get("/console/sign-in", base_url=base).text)
        response = client.post(
            "/console/sign-in", data={"username": "olga", "password": PASSWORD, "csrf_token": token}, base_url=base
        )
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("console_session="))
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
        assert ("Secure" in cookie) is secure


def test_sign_out_ends_the_session(console_app):
    client, token = signed_in(console_app, "olga")
    assert client.get("/console/decisions").status_code == 200
    client.post("/console/sign-out", data={"csrf_token": token})
    assert client.get("/console/decisions").status_code == 302


def test_chinese_by_default_english_remembered(console_app):
    client, token = signed_in(console_app, "ada")
    assert "查询决定" in client.get("/console/decisions").text
    client.post("/console/language", data={"csrf_token": token, "lang": "en", "next": "/console/decisions"})
    assert "Search decisions" in client.get("/console/decisions").text
    assert "Verify the log" in client.get("/console/verify").text  # remembered on the next page
    other, _ = signed_in(console_app, "olga")
    assert "查询决定" in other.get("/console/decisions").text  # a choice of one browser, not of the account


def test_the_trail_records_sign_in_and_failures(console_app):
    client = console_app.test_client()
    token = csrf_of(client.get("/console/sign-in").text)
    client.post("/console/sign-in", data={"username": "olga", "password": "not it at all", "csrf_token": token})
    signed_in(console_app, "olga")
    actions = [(e.username, e.action) for e in console_app.extensions["complaints_staff"].events(limit=2)]
    assert actions == [("olga", "signed_in"), ("olga", "sign_in_failed")]


def test_pages_forbid_framing_and_inline_scripts(console_app):
    client, _ = signed_in(console_app, "olga")
    policy = client.get("/console/decisions").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_an_auditor_reads_the_trail_of_sign_ins_and_exports(console_app):
    client, token = signed_in(console_app, "olga")
    export = client.post(
        "/console/export",
        data={"csrf_token": token, "since": "2020-01-01", "until": "2030-01-01", "format": "csv", "by": "recorded"},
    )
    assert export.status_code == 200 and export.headers["X-Personal-Data"] != "included"
    page = client.get("/console/trail?username=olga").text
    assert "signed_in" in page and "export" in page and "personal_data: " in page
    assert "dan" not in page  # filtered by username


def _proposable(label: str, days: int) -> str:
    """The default policy under a new label, in force ``days`` from today (its year's calendar accepted)."""
    effective = dt.date.today() + dt.timedelta(days=days)
    text = (REPO / "policies.yaml").read_text(encoding="utf-8")
    text = text.replace('  version: "2026.1"', f'  version: "{label}"')
    text = text.replace("effective_from: 2025-01-01T00:00:00+08:00", f"effective_from: {effective}T00:00:00+08:00")
    if f"    {effective.year}:" not in text:
        text = text.rstrip("\n") + (
            f'\n    - finding: calendar_year_missing\n      about: "{effective.year}"\n      reason: notice not out yet\n'
        )
    return text


def _propose(client, token, label: str, days: int) -> str:
    tests = (REPO / "policies.tests.yaml").read_text(encoding="utf-8")
    answer = client.post(
        "/console/policy/propose",
        data={"csrf_token": token, "text": _proposable(label, days), "tests": tests, "reason": f"why {label}"},
    )
    assert answer.status_code == 200 and "HX-Redirect" in answer.headers, answer.text
    return answer.headers["HX-Redirect"]


def test_reject_needs_a_comment_and_withdraw_a_reason(console_app):
    author, author_token = signed_in(console_app, "paul")
    reviewer, reviewer_token = signed_in(console_app, "anna")
    first = _propose(author, author_token, "2027.reject", 20)
    assert reviewer.post(first + "/reject", data={"csrf_token": reviewer_token, "comment": " "}).status_code == 400
    assert 'data-state="proposed"' in reviewer.get(first).text
    done = reviewer.post(first + "/reject", data={"csrf_token": reviewer_token, "comment": "影响过大"})
    assert done.status_code == 302 and 'data-state="rejected"' in reviewer.get(first).text
    # The author may not approve (no policy_approver role), but may withdraw their own proposal.
    second = _propose(author, author_token, "2027.withdraw", 21)
    assert author.post(second + "/approve", data={"csrf_token": author_token, "comment": "ok"}).status_code == 403
    assert author.post(second + "/withdraw", data={"csrf_token": author_token, "reason": "改期"}).status_code == 302
    assert 'data-state="withdrawn"' in author.get(second).text
    actions = [e.action for e in console_app.extensions["complaints_staff"].events(limit=3)]
    assert actions[0] == "withdrawn" and "rejected" in actions
