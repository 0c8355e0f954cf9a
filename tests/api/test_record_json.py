"""The decision answer is written from the stored texts; it must be the bytes the response schema gives."""

from __future__ import annotations

from flask import jsonify

from api.decisions import record_out
from api.schemas import DecisionRecordSchema
from tests.helpers.api_samples import make_complaint, post_json


def schema_bytes(app, record, *, fresh: bool) -> bytes:
    with app.test_request_context():
        return jsonify(DecisionRecordSchema().dump(record_out(record, fresh=fresh))).get_data()


def test_create_and_get_answer_the_schema_bytes(app, client, store):
    first = post_json(client, "/v1/decisions", make_complaint(1))
    body = make_complaint(1)
    body["history"] = {"rejected_offers": 1}  # a re-evaluation: previous_decision_id is set
    second = post_json(client, "/v1/decisions", body)
    assert (first.status_code, second.status_code) == (201, 201)
    for answer in (first, second):
        record = store.get(answer.get_json()["decision_id"])
        assert answer.get_data() == schema_bytes(app, record, fresh=True)
        got = client.get(f"/v1/decisions/{record.decision_id}")
        assert got.status_code == 200 and got.get_data() == schema_bytes(app, record, fresh=False)
        assert got.mimetype == "application/json"
    assert second.get_json()["previous_decision_id"] == first.get_json()["decision_id"]
    assert first.get_json()["previous_decision_id"] is None


def test_a_repeated_request_answers_the_stored_bytes_with_200(app, client, store):
    body = make_complaint(2)
    body["description"] = '引号 "quoted" \\ 反斜杠 and a tab\t'
    created = post_json(client, "/v1/decisions", body)
    again = post_json(client, "/v1/decisions", body)
    assert (created.status_code, again.status_code) == (201, 200)
    record = store.get(created.get_json()["decision_id"])
    assert again.get_data() == schema_bytes(app, record, fresh=False)
    assert again.headers["Location"] == created.headers["Location"]
    assert store.count() == 1
