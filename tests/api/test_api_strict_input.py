"""Strict at every door over HTTP: money in one grammar, offsets in whole minutes, events checked
before an idempotent repeat is answered, and a 29-digit amount in a proposed policy a 422 (not a 500)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from store.clock import events_of
from tests.helpers.api_samples import post_json
from tests.helpers.governance_samples import TESTS_TEXT
from tests.helpers.lifecycle_samples import DEFAULT_TEXT

LENIENT = ["1e3", "１００.００", "٣٠٠", "1_000.00", " 100.00 ", "+5.00", "5.", ".5", "19.9"]
HUGE = "99999999999999999999999999999.00"


@pytest.mark.parametrize("amount", [*LENIENT, HUGE])
def test_a_complaint_with_an_amount_out_of_the_grammar_is_a_422_naming_it(client, store, complaint, amount):
    answer = post_json(client, "/v1/decisions", complaint(order={"amount": amount}))
    assert answer.status_code == 422, answer.get_json()
    (entry,) = answer.get_json()["errors"]
    assert entry["field"] == "order.amount" and entry["messages"][0].startswith("expected ")
    assert store.count() == 0


def test_a_json_number_is_held_to_the_same_grammar(client, complaint):
    text = json.dumps(complaint(), ensure_ascii=False)
    assert text.count('"amount": "100.00"') == 1
    for number, status in (("1e3", 422), ("19.9", 422), ("199.00", 201), ("199", 201)):
        answer = client.post(
            "/v1/decisions",
            data=text.replace('"amount": "100.00"', f'"amount": {number}'),
            content_type="application/json",
        )
        assert answer.status_code == status, (number, answer.get_json())
        if status == 422:
            assert answer.get_json()["errors"][0]["field"] == "order.amount"


def test_an_offset_with_seconds_is_a_422(client, store, complaint):
    answer = post_json(client, "/v1/decisions", complaint(received_at="2026-03-10T10:00:00+08:00:30"))
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == [
        {
            "field": "received_at",
            "messages": ["expected an offset of whole minutes such as +08:00, not one with seconds"],
        }
    ]
    assert store.count() == 0


def test_a_29_digit_amount_in_a_proposed_policy_is_a_422_naming_the_line(client):
    text = DEFAULT_TEXT.replace("frontline: 200.00, supervisor: 2000.00", f'frontline: "{HUGE}", supervisor: 2000.00')
    assert text != DEFAULT_TEXT
    answer = client.post("/v1/policies", json={"text": text, "tests": TESTS_TEXT, "reason": "hostile"})
    assert answer.status_code == 422, answer.get_data(as_text=True)[:500]
    problem = answer.get_json()
    assert problem["code"] == "invalid-policy"
    (entry,) = problem["errors"]
    assert entry["field"].startswith("authority.remedies.refund.limits.frontline (62:")
    assert "at most 12 digits before the point" in entry["messages"][0]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"note": ""}, "note"),
        ({"note": "a\u0000b"}, "note"),
        ({"colour": "red"}, "colour"),
        ({"reference": 5}, "reference"),
    ],
)
def test_a_repeated_event_with_a_bad_field_is_refused_not_answered_as_a_retry(client, store, complaint, extra, field):
    raw = complaint(complaint_id="EV-1")
    assert post_json(client, "/v1/decisions", raw).status_code == 201
    event = {"type": "responded", "at": _later(raw["received_at"])}
    assert post_json(client, "/v1/complaints/EV-1/events", event).status_code == 201
    again = post_json(client, "/v1/complaints/EV-1/events", {**event, **extra})
    assert again.status_code == 422, again.get_json()
    assert [entry["field"] for entry in again.get_json()["errors"]] == [field]
    assert post_json(client, "/v1/complaints/EV-1/events", event).status_code == 200  # a true retry still is one
    assert len(events_of(store, "EV-1")) == 1


def _later(received_at: str) -> str:
    return (dt.datetime.fromisoformat(received_at) + dt.timedelta(minutes=5)).isoformat()
