"""Every error is RFC 9457 application/problem+json; bad input never gives 500 or HTML."""

from __future__ import annotations

import json

import pytest

from tests.helpers.api_samples import POLICY, make_complaint, post_json

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.data[:500]
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert PROBLEM_KEYS <= set(problem)
    assert problem["status"] == status and problem["type"] == f"/docs#problem-{slug}"
    assert problem["code"] == slug  # the stable code scripts match on
    assert problem["request_id"] == response.headers["X-Request-ID"]
    return problem


@pytest.mark.parametrize(
    "data",
    [
        b"{",
        b"",
        b"[1, 2",
        b'{"complaint_id": "x"} trailing',
        b'{"a": NaN}',
        b'{"a": 1, "a": 2}',
        b"\xff\xfe{}",
        "\ufeff{}".encode(),
    ],
)
def test_malformed_json_is_400(client, data):
    assert_problem(client.post("/v1/decisions", data=data, content_type="application/json"), 400, "malformed-json")


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"]
)
def test_non_json_is_415(client, content_type):
    response = client.post("/v1/decisions", data=b"{}", content_type=content_type)
    assert_problem(response, 415, "unsupported-media-type")


def test_json_suffix_media_types_are_accepted(client):
    body = json.dumps(make_complaint(40))
    assert client.post("/v1/decisions", data=body, content_type="application/vnd.complaint+json").status_code == 201


def test_body_over_the_limit_is_413(make_app):
    client = make_app(COMPLAINTS_MAX_BODY_BYTES=2000).test_client()
    body = make_complaint(41)
    body["description"] = "很" * 1000
    assert_problem(post_json(client, "/v1/decisions", body), 413, "body-too-large")
    body["description"] = "ok"
    assert post_json(client, "/v1/decisions", body).status_code == 201


def test_batch_body_over_its_limit_is_413(make_app):
    client = make_app(COMPLAINTS_MAX_BATCH_BODY_BYTES=3000).test_client()
    body = {"complaints": [make_complaint(i) for i in range(10)]}
    assert_problem(post_json(client, "/v1/decisions/batch", body), 413, "body-too-large")


def test_invalid_complaint_is_422_with_one_entry_per_field(client, store):
    body = make_complaint(42)
    body["order"]["amount"] = "12.345"
    body["channel"] = "pigeon"
    body["surprise"] = True
    problem = assert_problem(post_json(client, "/v1/decisions", body), 422, "validation")
    fields = [entry["field"] for entry in problem["errors"]]
    assert fields == sorted(fields) == ["channel", "order.amount", "surprise"]
    assert all(entry["messages"] and all(isinstance(m, str) for m in entry["messages"]) for entry in problem["errors"])
    assert store.count() == 0


@pytest.mark.parametrize("body", [[], "text", 12, None, {"complaint_id": 5}])
def test_non_object_complaints_are_422(client, body):
    assert_problem(post_json(client, "/v1/decisions", body), 422, "validation")


def test_float_amount_with_three_decimals_is_rejected_not_rounded(client):
    text = json.dumps(make_complaint(43)).replace('"amount": "', '"amount": ').replace('", "paid_at"', ', "paid_at"', 1)
    text = text.replace('"amount": 1592.43', '"amount": 1592.435')
    assert '"amount": 1592.435' in text
    problem = assert_problem(
        client.post("/v1/decisions", data=text, content_type="application/json"), 422, "validation"
    )
    assert [e["field"] for e in problem["errors"]] == ["order.amount"]


def test_calendar_error_is_422(make_app, tmp_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        POLICY.read_text(encoding="utf-8").replace("outside_known_years: statutory", "outside_known_years: error"),
        encoding="utf-8",
    )
    client = make_app(COMPLAINTS_POLICY=str(strict)).test_client()
    body = make_complaint(44)
    body["received_at"] = "2031-03-03T10:00:00+08:00"
    body["order"]["paid_at"] = "2031-03-01T10:00:00+08:00"
    body["order"]["delivered_at"] = "2031-03-02T10:00:00+08:00"
    assert_problem(post_json(client, "/v1/decisions", body), 422, "calendar")


def test_unknown_route_is_json_404(client):
    assert_problem(client.get("/v2/nothing"), 404, "not-found")
    assert_problem(client.post("/v1/decisions/x/y", json={}), 404, "not-found")


def test_wrong_method_is_json_405_with_allow(client):
    response = client.delete("/v1/decisions")
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["Allow"]
    assert_problem(client.get("/v1/decisions"), 405, "method-not-allowed")
    assert_problem(client.put("/v1/decisions/batch", json={}), 405, "method-not-allowed")
    assert_problem(client.put("/v1/policy", json={}), 405, "method-not-allowed")


@pytest.mark.parametrize("query", ["page=0", "page_size=0", "page_size=abc", "page_size=101", "page=-1"])
def test_bad_pagination_is_422(client, query):
    problem = assert_problem(client.get(f"/v1/complaints/C-1/decisions?{query}"), 422, "invalid-parameters")
    assert problem["errors"][0]["field"] in ("page", "page_size")


def test_request_id_is_echoed_or_made(client):
    mine = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert mine.headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] != "bad id with spaces" and len(made.headers["X-Request-ID"]) == 32


def test_nul_characters_are_422_not_500(client):
    body = make_complaint(45)
    body["order"]["order_id"] = "O\u00001"
    problem = assert_problem(post_json(client, "/v1/decisions", body), 422, "validation")
    assert [e["field"] for e in problem["errors"]] == ["order.order_id"]


def test_unexpected_errors_are_problem_json_and_logged(app, capsys):
    def boom():
        raise RuntimeError("kaput")

    app.add_url_rule("/boom", "boom", boom)
    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-boom"})
    problem = assert_problem(response, 500, "internal")
    assert "kaput" not in problem["detail"]
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    failure = next(line for line in logged if line["logger"] == "complaints.errors")
    assert failure["request_id"] == "req-boom" and "RuntimeError: kaput" in failure["exception"]
