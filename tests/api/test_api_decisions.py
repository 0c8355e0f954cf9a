"""POST/GET decisions over the Flask test client: real engine, real SQLite store."""

from __future__ import annotations

import json

from canonical import canonical_json, sha256_hex
from tests.helpers.api_samples import make_complaint, post_json


def test_create_returns_the_engines_decision_with_201_and_location(client, decider, store):
    body = make_complaint(1)
    response = post_json(client, "/v1/decisions", body)
    assert response.status_code == 201
    assert response.content_type == "application/json"
    record = response.get_json()
    assert response.headers["Location"] == f"/v1/decisions/{record['decision_id']}"
    assert canonical_json(record["decision"]) == canonical_json(decider.decide(body))
    assert record["complaint_id"] == body["complaint_id"]
    assert record["policy"] == {"digest": decider.policy.digest, "version": decider.policy.version}
    assert record["engine_version"] == "2.0.0"  # decisions are stamped with the release (2.0.0)
    assert record["previous_decision_id"] is None
    assert record["fired_rules"] == list(dict.fromkeys(r["id"] for r in record["decision"]["explanation"]["rules"]))
    assert record["request_digest"] == sha256_hex(canonical_json(json.loads(json.dumps(body))))
    assert store.count() == 1


def test_same_body_again_returns_the_stored_decision_and_writes_nothing(client, store):
    body = make_complaint(2)
    first = post_json(client, "/v1/decisions", body)
    again = post_json(client, "/v1/decisions", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    # key order and spacing do not matter: the digest is over canonical JSON
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=3, ensure_ascii=True)
    third = client.post("/v1/decisions", data=reordered, content_type="application/json")
    assert third.status_code == 200 and third.get_json()["decision_id"] == first.get_json()["decision_id"]
    assert store.count() == 1


def test_changed_body_is_a_new_decision_linked_to_the_earlier_ones(client, store):
    body = make_complaint(3)
    first = post_json(client, "/v1/decisions", body).get_json()
    body["history"] = {"level": "frontline", "rejected_offers": 1}
    second = post_json(client, "/v1/decisions", body)
    assert second.status_code == 201
    assert second.get_json()["previous_decision_id"] == first["decision_id"]
    body["history"]["rejected_offers"] = 2
    third = post_json(client, "/v1/decisions", body).get_json()
    assert third["previous_decision_id"] == second.get_json()["decision_id"]
    listing = client.get(f"/v1/complaints/{body['complaint_id']}/decisions").get_json()
    assert [item["decision_id"] for item in listing["items"]] == [
        third["decision_id"],
        second.get_json()["decision_id"],
        first["decision_id"],
    ]
    assert listing["total"] == 3 and listing["next"] is None
    assert store.verify_chain().ok


def test_money_is_parsed_as_decimal_and_the_body_is_stored_exactly(client, store):
    text = (
        '{"complaint_id": "C-money", "received_at": "2026-03-02T10:00:00+08:00", "channel": "phone",\n'
        '  "category": "quality_defect", "order": {"amount": 100.10, "paid_at": "2026-02-20T10:00:00+08:00",'
        ' "delivered_at": "2026-02-25T10:00:00+08:00"}, "claim": {"remedy": "refund"}, '
        '"description": "屏幕坏了"}'
    )
    response = client.post("/v1/decisions", data=text.encode(), content_type="application/json; charset=utf-8")
    assert response.status_code == 201, response.get_json()
    amounts = [c["amount"] for c in response.get_json()["decision"]["remedy"]["components"] if c.get("amount")]
    assert amounts and all(a == "100.10" for a in amounts)
    stored = store.get(response.get_json()["decision_id"])
    assert stored.request_body == text


def test_get_decision_and_404(client):
    created = post_json(client, "/v1/decisions", make_complaint(4)).get_json()
    fetched = client.get(f"/v1/decisions/{created['decision_id']}")
    assert fetched.status_code == 200 and fetched.get_json() == created
    assert fetched.headers["Cache-Control"] == "no-store"
    missing = client.get("/v1/decisions/no-such-id")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    problem = missing.get_json()
    assert problem["status"] == 404 and problem["type"] == "/docs#problem-not-found"
    assert problem["instance"] == "/v1/decisions/no-such-id"


def test_list_is_newest_first_and_paginated(client):
    body = make_complaint(5)
    ids = []
    for n in range(5):
        body["history"] = {"rejected_offers": n}
        ids.append(post_json(client, "/v1/decisions", body).get_json()["decision_id"])
    url = f"/v1/complaints/{body['complaint_id']}/decisions"
    page1 = client.get(f"{url}?page_size=2").get_json()
    assert [i["decision_id"] for i in page1["items"]] == ids[::-1][:2]
    assert page1["total"] == 5 and page1["page"] == 1
    page2 = client.get(page1["next"]).get_json()
    assert [i["decision_id"] for i in page2["items"]] == ids[::-1][2:4]
    page3 = client.get(page2["next"]).get_json()
    assert [i["decision_id"] for i in page3["items"]] == ids[:1] and page3["next"] is None
    empty = client.get("/v1/complaints/nobody/decisions").get_json()
    assert empty["items"] == [] and empty["total"] == 0


def test_complaint_ids_with_odd_characters_round_trip(client):
    body = make_complaint(6)
    body["complaint_id"] = "投诉/2026 #1?x"
    assert post_json(client, "/v1/decisions", body).status_code == 201
    from urllib.parse import quote

    listing = client.get(f"/v1/complaints/{quote(body['complaint_id'], safe='')}/decisions").get_json()
    assert listing["total"] == 1 and listing["items"][0]["complaint_id"] == body["complaint_id"]


def test_policy_in_force(client, decider):
    response = client.get("/v1/policy")
    assert response.status_code == 200
    policy = response.get_json()
    assert policy["version"] == decider.policy.version
    assert policy["digest"] == decider.policy.digest
    assert policy["effective_from"] == decider.policy.effective_from.isoformat()
    ids = {rule["id"] for rule in policy["rules"]}
    assert {r.info.id for r in decider.policy.routing} <= ids
    assert all(rule["description"] and rule["basis"] and rule["line"] > 0 for rule in policy["rules"])
    assert {rule["kind"] for rule in policy["rules"]} == {"routing", "remedy", "deadline", "approval"}


def test_policy_text_is_stored_once_per_digest(client, store, decider):
    post_json(client, "/v1/decisions", make_complaint(7))
    assert store.policy_text(decider.policy.digest) == decider.policy.text


def test_a_complaint_received_before_the_policy_took_effect_is_refused_as_on_the_command_line(client, store):
    """The same rule as `complaints decide` (tests/cli/test_cli.py): 422, nothing recorded."""
    body = make_complaint(5)
    body["received_at"] = "2024-12-31T10:00:00+08:00"
    body["order"]["paid_at"] = "2024-12-01T10:00:00+08:00"
    body["order"]["delivered_at"] = "2024-12-20T10:00:00+08:00"
    response = post_json(client, "/v1/decisions", body)
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "validation"
    assert problem["errors"] == [
        {
            "field": "received_at",
            "messages": [
                "2024-12-31T10:00:00+08:00 is before the first policy version in force "
                "(2026.1, effective 2025-01-01T00:00:00+08:00)"
            ],
        }
    ]
    assert store.count() == 0
