"""U+0000 in every text field and path or query parameter: a 4xx naming it, on SQLite and PostgreSQL.

PostgreSQL text cannot hold the NUL character (SQLite stores it), so each of these answered 500 on
PostgreSQL: the proposal's reason, an approval's comment, a console username, and a complaint id in
the path of GET .../decisions and POST .../events.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app import create_app
from tests.helpers.api_samples import POLICY, post_json
from tests.helpers.governance_samples import TESTS_TEXT, dated

NUL_MESSAGE = "text may not contain the NUL character (\\u0000); remove it"


@pytest.fixture
def app(store_url):
    app = create_app(
        {
            "DATABASE_URL": store_url,
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_ENV": "development",
            "COMPLAINTS_AUTH": "off",
            "COMPLAINTS_POLICY_POLL_SECONDS": 0,
        }
    )
    yield app
    app.extensions["complaints"].store.dispose()


def _refused(answer, field: str) -> None:
    assert answer.status_code == 422, (answer.status_code, answer.get_data(as_text=True)[:300])
    problem = answer.get_json()
    assert problem["code"] == "invalid-parameters"
    assert {"field": field, "messages": [NUL_MESSAGE]} in problem["errors"], problem


def _proposal(reason: str = "raise the frontline limit") -> dict:
    effective = (dt.datetime.now(dt.UTC) + dt.timedelta(days=9)).replace(second=0, microsecond=0)
    return {"text": dated("2026.2", effective), "tests": TESTS_TEXT, "reason": reason}


def test_a_proposal_s_reason(app):
    client = app.test_client()
    _refused(post_json(client, "/v1/policies", _proposal("a\u0000b")), "reason")
    assert all(entry["state"] != "proposed" for entry in client.get("/v1/policies").get_json()["register"])


def test_an_approval_s_comment(app):
    client = app.test_client()
    made = post_json(client, "/v1/policies", _proposal())
    assert made.status_code == 201, made.get_json()
    digest = made.get_json()["digest"]
    _refused(post_json(client, f"/v1/policies/{digest}/approve", {"comment": "ok\u0000"}), "comment")
    _refused(post_json(client, f"/v1/policies/{digest}/reject", {"comment": "\u0000"}), "comment")
    assert client.get(f"/v1/policies/{digest}").get_json()["state"] == "proposed"


def test_a_key_of_a_body(app):
    _refused(post_json(app.test_client(), "/v1/replays", {"since\u0000": "x"}), "since\\u0000")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/complaints/a%00b/decisions"),
        ("POST", "/v1/complaints/a%00b/events"),
        ("GET", "/v1/policies/ab%00cdefgh"),
        ("POST", "/v1/decisions/a%00b/replay"),
    ],
)
def test_a_path_parameter(app, method, path):
    answer = app.test_client().open(
        path, method=method, json={"type": "responded", "at": "2026-03-10T10:00:00+08:00"} if method == "POST" else None
    )
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    (entry,) = answer.get_json()["errors"]
    assert entry["messages"] == [NUL_MESSAGE] and entry["field"] in ("complaint_id", "digest", "decision_id")


def test_a_query_parameter(app):
    answer = app.test_client().get("/v1/deadlines", query_string={"now": "2026-03-10T10:00:00+08:00\u0000"})
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == [{"field": "now", "messages": [NUL_MESSAGE]}]


def test_a_console_username(app):
    client = app.test_client()
    page = client.get("/console/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    answer = client.post(
        "/console/sign-in", data={"username": "pg.admin\u0000", "password": "whatever", "csrf_token": token}
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert "username" in answer.get_data(as_text=True)
