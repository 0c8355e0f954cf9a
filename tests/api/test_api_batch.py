"""POST /v1/decisions/batch: per-item results; one bad item never sinks the others."""

from __future__ import annotations

import json

from canonical import canonical_json
from tests.helpers.api_samples import make_complaint, post_json


def test_mixed_batch(client, store, decider):
    good = [make_complaint(i, "B") for i in range(4)]
    bad = {"complaint_id": "B-bad", "category": "nonsense"}
    body = {"complaints": [good[0], bad, good[1], "not an object", good[2], good[3]]}
    post_json(client, "/v1/decisions", good[3])  # decided before: 200 inside the batch
    response = post_json(client, "/v1/decisions/batch", body)
    assert response.status_code == 200
    result = response.get_json()
    assert [r["status"] for r in result["results"]] == [201, 422, 201, 422, 201, 200]
    assert result["summary"] == {"created": 3, "existing": 1, "failed": 2}
    assert [r["index"] for r in result["results"]] == list(range(6))
    problem = result["results"][1]["problem"]
    assert problem["status"] == 422 and problem["instance"] == "/v1/decisions/batch#/complaints/1"
    assert {e["field"] for e in problem["errors"]} >= {"category", "channel", "order", "received_at"}
    assert result["results"][1]["complaint_id"] == "B-bad" and result["results"][3]["complaint_id"] is None
    for item, complaint in zip(result["results"][::2], good[:3], strict=True):
        assert canonical_json(item["decision"]["decision"]) == canonical_json(decider.decide(complaint))
    assert store.count() == 4


def test_each_item_keeps_its_exact_text(client, store):
    first_text = json.dumps(make_complaint(10, "T"), indent=1)
    second_text = json.dumps(make_complaint(11, "T"), ensure_ascii=False)
    text = '{"complaints": [ ' + first_text + " ,\n  " + second_text + " ]}"
    result = client.post("/v1/decisions/batch", data=text, content_type="application/json").get_json()
    assert [r["status"] for r in result["results"]] == [201, 201]
    first = store.get(result["results"][0]["decision"]["decision_id"])
    assert first.request_body == json.dumps(make_complaint(10, "T"), indent=1)
    second = store.get(result["results"][1]["decision"]["decision_id"])
    assert second.request_body == json.dumps(make_complaint(11, "T"), ensure_ascii=False)


def test_batch_limit_and_shape(make_app):
    client = make_app(COMPLAINTS_BATCH_LIMIT=3).test_client()
    over = post_json(client, "/v1/decisions/batch", {"complaints": [make_complaint(i) for i in range(4)]})
    assert over.status_code == 422 and over.get_json()["type"] == "/docs#problem-batch-too-large"
    for body, field in (
        ({"complaints": {}}, "complaints"),
        ([make_complaint(1)], "complaints"),
        ({"complaints": []}, "complaints"),
        ({"complaints": [make_complaint(1)], "extra": 1}, "extra"),
    ):
        response = post_json(client, "/v1/decisions/batch", body)
        assert response.status_code == 422, body
        assert response.content_type == "application/problem+json"
        assert [e["field"] for e in response.get_json()["errors"]] == [field]


def test_default_batch_limit_is_500(client):
    response = post_json(client, "/v1/decisions/batch", {"complaints": [{}] * 501})
    assert response.status_code == 422 and "500" in response.get_json()["detail"]
