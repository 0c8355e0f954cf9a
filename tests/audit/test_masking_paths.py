"""Masking in one place (issue 25): a phone number, an ID number and an address planted in every free-text and
identifier field of a complaint and of its events must not come back, on any output path, to a reader without
the personal_data role: the API's decision reads and exports, the console's pages and exports, export rows,
webhook payloads. The same paths give them back to a reader who holds personal_data (so the test can fail)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app import create_app
from store.tables import webhook_events
from tests.console.conftest import PASSWORD, csrf_of
from tests.helpers.samples import POLICY

PHONE, ID_NUMBER, ADDRESS = "13900139000", "110101199003078515", "北京市朝阳区建国路88号"
PLANTED = (PHONE, ID_NUMBER, ADDRESS)
TEXT = f"请回电{PHONE}，身份证{ID_NUMBER}，住{ADDRESS}"
COMPLAINT = {
    "complaint_id": "MASK-1",
    "received_at": "2026-11-02T10:00:00+08:00",
    "channel": "online_chat",
    "category": "other",
    "order": {"amount": "10.00", "order_id": f"O-{PHONE}"},
    "customer": {"customer_id": f"C-{ID_NUMBER}"},
    "description": TEXT,
}
EVENTS = [
    {"type": "responded", "at": "2026-11-02T10:05:00+08:00", "note": TEXT, "reference": f"R-{PHONE}"},
    {"type": "customer_replied", "at": "2026-11-02T11:00:00+08:00", "note": f"地址 {ADDRESS}"},
]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = tmp_path_factory.mktemp("masking")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{path / 'm.db'}",
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_ENV": "development",
            "COMPLAINTS_AUTH": "keys",
        }
    )
    store = app.extensions["complaints"].store
    staff = app.extensions["complaints_staff"]
    staff.create("olga", "Olga", ["auditor"], PASSWORD, by="operator:test")
    staff.create("ada", "Ada", ["auditor", "personal_data"], PASSWORD, by="operator:test")
    tokens = {}
    for name, roles in {
        "decider": ["decider"],
        "auditor": ["auditor"],
        "reader": ["decider", "auditor"],
        "personal": ["auditor", "personal_data"],
    }.items():
        _, tokens[name] = store.create_key(f"test {name}", roles)
    client = app.test_client()
    answer = client.post("/v1/decisions", json=COMPLAINT, headers=bearer(tokens["decider"]))
    assert answer.status_code == 201, answer.text
    for event in EVENTS:
        answer = client.post("/v1/complaints/MASK-1/events", json=event, headers=bearer(tokens["decider"]))
        assert answer.status_code == 201, answer.text
    run = client.post(
        "/v1/escalations:run", json={"now": "2027-06-01T00:00:00+08:00"}, headers=bearer(tokens["decider"])
    )
    assert run.status_code == 200, run.text
    return app, store, tokens, answer.json["decision_id"]


def _console(app, username: str):
    client = app.test_client()
    token = csrf_of(client.get("/console/sign-in").text)
    answer = client.post("/console/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.text
    return client, csrf_of(client.get("/console/sign-in").text)


def _outputs(planted, api_key: str, username: str, include: bool) -> dict[str, str]:
    """Every output path's text, as ``api_key``'s holder and ``username`` see them."""
    app, store, tokens, decision_id = planted
    api = app.test_client()
    headers = bearer(tokens[api_key])
    extra = {"personal_data": "include"} if include else {}
    found = {
        "GET decision": api.get(f"/v1/decisions/{decision_id}", headers=headers).text,
        "GET complaint decisions": api.get("/v1/complaints/MASK-1/decisions", headers=headers).text,
    }
    for fmt in ("jsonl", "csv"):
        found[f"API export {fmt}"] = api.get(
            "/v1/exports/decisions",
            query_string={"since": "2000-01-01", "until": "2100-01-01", "format": fmt, **extra},
            headers=headers,
        ).text
    console, csrf = _console(app, username)
    found["console decision page"] = console.get(f"/console/decisions/{decision_id}").text
    found["console search"] = console.get("/console/decisions?complaint_id=MASK-1&since=2000-01-01").text
    for fmt in ("jsonl", "csv"):
        found[f"console export {fmt}"] = console.post(
            "/console/export",
            data={"format": fmt, "since": "2000-01-01", "until": "2100-01-01", "csrf_token": csrf, **extra},
        ).text
    with store.engine.connect() as conn:
        found["webhook payloads"] = "\n".join(conn.execute(select(webhook_events.c.body)).scalars())
    return found


def test_nothing_planted_reaches_a_reader_without_personal_data(planted):
    outputs = _outputs(planted, "reader", "olga", include=False)
    for path, text in outputs.items():
        assert text, f"{path}: empty answer"
        leaked = [value for value in PLANTED if value in text]
        assert not leaked, f"{path} shows {leaked} to a reader without personal_data"
    assert "[redacted:" in outputs["GET decision"]  # the event notes in decision.clock.events, masked
    assert "[redacted:" in outputs["API export jsonl"] and "[redacted:" in outputs["console export jsonl"]


def test_the_same_paths_give_them_to_a_reader_with_personal_data(planted):
    """The planted values are really on these paths: the test above would see a leak."""
    outputs = _outputs(planted, "personal", "ada", include=True)
    for path in ("GET decision", "GET complaint decisions", "API export jsonl", "console export jsonl"):
        assert all(value in outputs[path] for value in PLANTED), path
    assert PHONE in outputs["console decision page"]


def test_the_notes_are_in_the_stored_decision(planted):
    """What makes the decision a path: the decision itself states the events it was made on, notes included."""
    _, store, _, decision_id = planted
    clock = store.get(decision_id).decision_dict()["clock"]
    assert any(PHONE in (event.get("note") or "") for event in clock["events"])
    assert json.dumps(clock, ensure_ascii=False).count(ADDRESS) == 2
