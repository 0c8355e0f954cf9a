"""HTTP: GET/POST /v1/policies, review transitions and POST /v1/policies/impact, with roles and problems."""

from __future__ import annotations

import datetime as dt

import pytest

from app import create_app
from tests.helpers.governance_samples import TESTS_TEXT, dated
from tests.helpers.lifecycle_samples import DEFAULT_TEXT, refund_complaint, variant

ROLES = ("decider", "auditor", "policy_admin", "policy_approver")


def in_days(days: float) -> dt.datetime:
    """A whole minute ``days`` from the real clock: the server's clock decides notice over HTTP."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).replace(second=0, microsecond=0)


@pytest.fixture
def keyed(tmp_path):
    policy = tmp_path / "policies.yaml"
    policy.write_text(DEFAULT_TEXT, encoding="utf-8")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}",
            "COMPLAINTS_POLICY": str(policy),
            "COMPLAINTS_AUTH": "keys",
            "COMPLAINTS_POLICY_POLL_SECONDS": 0,
        }
    )
    store = app.extensions["complaints"].store
    tokens = {role: store.create_key(role, [role])[1] for role in ROLES}
    return app.test_client(), {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}


def test_propose_needs_policy_admin_and_approval_another_key(keyed):
    client, auth = keyed
    effective = in_days(8)
    proposal = {"text": dated("2026.2", effective), "tests": TESTS_TEXT, "reason": "raise the frontline limit"}
    assert client.post("/v1/policies", json=proposal).status_code == 401
    for role in ("decider", "auditor", "policy_approver"):
        assert client.post("/v1/policies", json=proposal, headers=auth[role]).status_code == 403
    answer = client.post("/v1/policies", json=proposal, headers=auth["policy_admin"])
    assert answer.status_code == 201, answer.get_json()
    digest = answer.get_json()["digest"]
    assert answer.get_json()["state"] == "proposed"
    assert answer.get_json()["review_packet"]["tests"]["failed"] == 0
    again = client.post("/v1/policies", json=proposal, headers=auth["policy_admin"])
    assert again.status_code == 409 and again.get_json()["errors"][0]["code"] == "already_proposed"
    # A policy admin may not approve; an approver may.
    approve = {"comment": "checked"}
    assert client.post(f"/v1/policies/{digest}/approve", json=approve, headers=auth["policy_admin"]).status_code == 403
    approved = client.post(f"/v1/policies/{digest[:12]}/approve", json=approve, headers=auth["policy_approver"])
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["state"] == "scheduled"
    listed = client.get("/v1/policies", headers=auth["decider"]).get_json()
    assert [(v["version"], v["state"]) for v in listed["versions"]] == [("2026.1", "in force"), ("2026.2", "scheduled")]
    assert listed["mode"]["mode"] == "development"
    # Complaints either side of the new effective date are decided under the right version.
    for moment, version in ((effective - dt.timedelta(seconds=1), "2026.1"), (effective, "2026.2")):
        received = moment.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
        made = client.post("/v1/decisions", json=refund_complaint(f"C-{version}", received), headers=auth["decider"])
        assert made.status_code == 201 and made.get_json()["policy"]["version"] == version


def test_invalid_policy_is_a_422_problem_with_line_and_column(keyed):
    client, auth = keyed
    broken = DEFAULT_TEXT.replace("frontline: 200.00, supervisor: 2000.00", "frontline: -5, supervisor: 2000.00")
    answer = client.post(
        "/v1/policies", json={"text": broken, "tests": TESTS_TEXT, "reason": "x"}, headers=auth["policy_admin"]
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert problem["type"].endswith("problem-invalid-policy")
    (entry,) = problem["errors"]
    assert entry["field"].startswith("authority.remedies.refund.limits.frontline (")
    assert "at least 0.00" in entry["messages"][0]
    assert problem["code"] == "invalid-policy" and entry["code"] == "schema"
    assert answer.headers["Content-Language"] == "en"
    missing = client.post("/v1/policies", json={"text": DEFAULT_TEXT}, headers=auth["policy_admin"])
    assert missing.status_code == 422
    assert {e["field"] for e in missing.get_json()["errors"]} == {"reason", "tests"}


def test_invalid_policy_speaks_the_caller_s_language(keyed):
    client, auth = keyed
    broken = DEFAULT_TEXT.replace(
        "then: {team: legal_compliance, min_level: manager", "then: {team: legal, min_level: manager", 1
    )
    assert broken != DEFAULT_TEXT
    answers = {}
    for accept in (None, "zh-CN,zh;q=0.9,en;q=0.8", "en-GB", "fr"):
        headers = {**auth["policy_admin"], **({"Accept-Language": accept} if accept else {})}
        answer = client.post("/v1/policies", json={"text": broken, "tests": TESTS_TEXT, "reason": "x"}, headers=headers)
        assert answer.status_code == 422
        answers[accept] = answer
    chinese = answers["zh-CN,zh;q=0.9,en;q=0.8"]
    (entry,) = chinese.get_json()["errors"]
    assert entry["field"].startswith("routing[R01_regulator_channel].then.team (")
    assert entry["messages"][0].startswith("未定义的团队 `legal`；")
    assert entry["messages"][1] == "改法：是不是想写 `legal_compliance`？"
    assert chinese.get_json()["detail"] == "政策中有 1 个问题" and chinese.headers["Content-Language"] == "zh"
    assert entry["code"] == "unknown_name"
    for accept in (None, "en-GB", "fr"):  # English unless Chinese is asked for
        (english,) = answers[accept].get_json()["errors"]
        assert english["messages"] == [
            "unknown team `legal`; expected one of: legal_compliance, quality_assurance, merchant_management, "
            "logistics, customer_service",
            "fix: did you mean `legal_compliance`?",
        ]


def test_short_notice_is_a_409_naming_the_rule_until_a_reason_is_given(keyed):
    client, auth = keyed
    short = {"text": dated("2026.3", in_days(3)), "tests": TESTS_TEXT, "reason": "fix"}
    refused = client.post("/v1/policies", json=short, headers=auth["policy_admin"])
    assert refused.status_code == 409, refused.get_json()
    problem = refused.get_json()
    assert problem["code"] == "policy-change-refused"
    assert problem["errors"][0]["field"] == problem["errors"][0]["code"] == "notice_too_short"
    assert client.get("/v1/policies", headers=auth["auditor"]).get_json()["register"] == []
    accepted = client.post(
        "/v1/policies", json={**short, "short_notice_reason": "court order"}, headers=auth["policy_admin"]
    )
    assert accepted.status_code == 201 and accepted.get_json()["short_notice"] == {"reason": "court order"}


def test_impact_preview_over_http(keyed):
    client, auth = keyed
    for n, amount in enumerate(("150.00", "250.00", "299.99", "300.01")):
        complaint = refund_complaint(f"C-{n}", "2026-07-01T10:00:00+08:00", amount=amount)
        assert client.post("/v1/decisions", json=complaint, headers=auth["decider"]).status_code == 201
    request = {"text": variant("2026.2", frontline_refund="300.00"), "since": "2020-01-01T00:00:00+08:00"}
    assert client.post("/v1/policies/impact", json=request, headers=auth["decider"]).status_code == 403
    answer = client.post("/v1/policies/impact", json=request, headers=auth["auditor"])
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert (report["decisions"], report["changed"]) == (4, 2)  # 250.00 and 299.99 move to frontline
    assert report["by_kind"]["level"] == 2
    assert report["totals"]["refund"]["before"] == report["totals"]["refund"]["after"] == "1000.00"
    missing = client.post("/v1/policies/impact", json={"text": "x"}, headers=auth["auditor"])
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "since"


def test_lint_findings_refusing_a_proposal_follow_accept_language(keyed):
    client, auth = keyed
    text = dated("2026.2", in_days(8))
    marker = "\n# ---------------------------------------------------------------------------\n# 检查结论"
    assert marker in text
    bare = text.split(marker)[0] + "\n"  # without `lint: accept`, two findings refuse it
    answers = {}
    for accept in (None, "zh-CN,zh;q=0.9", "en-GB"):
        headers = {**auth["policy_admin"], **({"Accept-Language": accept} if accept else {})}
        answer = client.post("/v1/policies", json={"text": bare, "tests": TESTS_TEXT, "reason": "x"}, headers=headers)
        assert answer.status_code == 409, answer.get_json()
        assert answer.headers["Content-Language"] == ("zh" if accept and accept.startswith("zh") else "en")
        answers[accept] = answer.get_json()
    chinese = answers["zh-CN,zh;q=0.9"]
    (entry,) = chinese["errors"]
    assert entry["code"] == "lint_findings"
    assert chinese["detail"] == (
        "refused by rule lint_findings: 有 2 项检查结果须修正，或在政策的 `lint: accept` 部分中接受"
    )
    redirects = next(m for m in entry["messages"] if "code: conflicting_redirects" in m)
    assert "会同时触发，并以不同的理由转出；政策没有规定转出之间的先后，因此只会给出一个理由" in redirects
    assert "R13_not_consumer_dispute（第 " in redirects
    for accept in (None, "en-GB"):  # English unless Chinese is asked for
        english = answers[accept]
        assert english["detail"] == (
            "refused by rule lint_findings: 2 lint finding(s) must be fixed or accepted in the policy's "
            "`lint: accept` section"
        )
        redirects = next(m for m in english["errors"][0]["messages"] if "code: conflicting_redirects" in m)
        assert "fire together and redirect with different reasons" in redirects
    assert client.get("/v1/policies", headers=auth["auditor"]).get_json()["register"] == []
