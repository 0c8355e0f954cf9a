"""Four eyes in development: with API keys off (`make run`) every caller was the same anonymous one,
so a proposal could never be approved. A caller names a person with ``X-Complaints-Actor`` (honoured
only with keys off); an approval or rejection without it is refused in words, in both languages."""

from __future__ import annotations

import datetime as dt

from tests.helpers.api_samples import post_json
from tests.helpers.governance_samples import TESTS_TEXT, dated


def _proposal(version: str = "2026.2") -> dict:
    effective = (dt.datetime.now(dt.UTC) + dt.timedelta(days=9)).replace(second=0, microsecond=0)
    return {"text": dated(version, effective), "tests": TESTS_TEXT, "reason": "raise the frontline limit"}


def _as(name: str) -> dict:
    return {"X-Complaints-Actor": name}


def test_an_anonymous_proposal_is_approved_by_a_named_person(client):
    made = post_json(client, "/v1/policies", _proposal())
    assert made.status_code == 201, made.get_json()
    digest = made.get_json()["digest"]
    anonymous = post_json(client, f"/v1/policies/{digest}/approve", {"comment": "fine"})
    assert anonymous.status_code == 409
    problem = anonymous.get_json()
    assert problem["errors"][0]["code"] == "anonymous_actor"
    assert "X-Complaints-Actor: <name>" in problem["detail"] and "COMPLAINTS_AUTH=keys" in problem["detail"]
    chinese = post_json(client, f"/v1/policies/{digest}/approve", {"comment": "好"}, headers={"Accept-Language": "zh"})
    assert chinese.status_code == 409 and "四眼原则需要两个人" in chinese.get_json()["detail"]
    approved = post_json(client, f"/v1/policies/{digest}/approve", {"comment": "checked"}, headers=_as("bob"))
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["state"] == "scheduled"
    assert made.get_json()["proposed_by"] == "anonymous (API keys off)"
    assert approved.get_json()["history"][-1]["by_name"] == "bob (development, API keys off)"


def test_named_people_keep_four_eyes(client):
    made = post_json(client, "/v1/policies", _proposal(), headers=_as("alice"))
    assert made.status_code == 201, made.get_json()
    digest = made.get_json()["digest"]
    own = post_json(client, f"/v1/policies/{digest}/approve", {"comment": "mine"}, headers=_as("alice"))
    assert own.status_code == 409 and own.get_json()["errors"][0]["code"] == "self_approval"
    bad = post_json(client, f"/v1/policies/{digest}/reject", {"comment": "no"}, headers=_as("bob smith"))
    assert bad.status_code == 409 and "`bob smith` is not a name" in bad.get_json()["detail"]
    rejected = post_json(client, f"/v1/policies/{digest}/reject", {"comment": "not yet"}, headers=_as("bob"))
    assert rejected.status_code == 200 and rejected.get_json()["state"] == "rejected"


def test_the_header_means_nothing_with_keys_on(keyed):
    app, tokens = keyed
    client = app.test_client()
    admin = {"Authorization": f"Bearer {tokens['policy_admin']}", "X-Complaints-Actor": "bob"}
    made = post_json(client, "/v1/policies", _proposal(), headers=admin)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["proposed_by"] == "test policy_admin"
