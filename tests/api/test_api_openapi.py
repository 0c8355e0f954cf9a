"""The OpenAPI document validates and describes every endpoint and its error responses."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

EXPECTED_ERRORS = {
    ("/v1/decisions", "post"): {400, 401, 403, 413, 415, 422, 503},
    ("/v1/decisions/batch", "post"): {400, 401, 403, 413, 415, 422},
    ("/v1/decisions/{decision_id}", "get"): {401, 403, 404, 422, 503},
    ("/v1/decisions/{decision_id}/receipt", "get"): {401, 403, 404, 409, 422, 503},
    ("/v1/complaints/{complaint_id}/decisions", "get"): {401, 403, 422, 503},
    ("/v1/policy", "get"): {401, 403},
    ("/readyz", "get"): {503},
    ("/v1/complaints/{complaint_id}/events", "post"): {400, 401, 403, 404, 413, 415, 422, 503},
    ("/v1/deadlines", "get"): {401, 403, 422, 503},
    ("/v1/deadlines/summary", "get"): {401, 403, 422, 503},
    ("/v1/escalations:run", "post"): {400, 401, 403, 413, 415, 422, 503},
}


def test_spec_validates(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    validate(response.get_json())


def test_every_route_is_described(app, client):
    spec = client.get("/openapi.json").get_json()
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops if method != "parameters"}
    for rule in app.url_map.iter_rules():
        # The web console's pages and the manual (HTML for people) are not the HTTP API.
        if rule.endpoint in ("static", "console_root") or rule.endpoint.startswith(("api-docs", "console.", "manual.")):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in described, (path, method)


def test_error_responses_are_problem_documents(client):
    spec = client.get("/openapi.json").get_json()
    responses = spec["components"]["responses"]
    for (path, method), statuses in EXPECTED_ERRORS.items():
        operation = spec["paths"][path][method]
        documented = {int(code) for code in operation["responses"] if code.isdigit() and int(code) >= 400}
        assert statuses <= documented, (path, method, statuses - documented)
        for code in documented:
            ref = operation["responses"][str(code)]["$ref"].rsplit("/", 1)[-1]
            assert "application/problem+json" in responses[ref]["content"]
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])
    assert "Retry-After" in responses["SERVICE_UNAVAILABLE"]["headers"]
    assert "WWW-Authenticate" in responses["UNAUTHORIZED"]["headers"]


def test_request_bodies_and_security(client):
    spec = client.get("/openapi.json").get_json()
    post = spec["paths"]["/v1/decisions"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Complaint"
    complaint = spec["components"]["schemas"]["Complaint"]
    assert {"complaint_id", "received_at", "channel", "category", "order"} <= set(complaint["required"])
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for public in ("/healthz", "/readyz", "/metrics"):
        assert spec["paths"][public]["get"]["security"] == []


def test_docs_page_is_self_contained_html(client):
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<script" not in page and "http://" not in page and "https://" not in page
    for path in ("/v1/decisions", "/v1/decisions/batch", "/v1/policy", "/readyz"):
        assert f"<code>{path}</code>" in page
    assert "id='problem-validation'" in page


def test_the_policy_schema_is_served_without_a_key(keyed):
    from rules.json_schema import policy_json_schema

    app, _ = keyed
    response = app.test_client().get("/v1/policy-schema")
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    assert response.get_json(force=True) == policy_json_schema()
    assert app.test_client().get("/v1/policy").status_code == 401  # the policy itself still needs a role


def test_the_document_states_the_limits_the_code_enforces(make_app):
    spec = make_app(COMPLAINTS_PAGE_SIZE_MAX=40, COMPLAINTS_BATCH_LIMIT=7).test_client().get("/openapi.json").get_json()
    parameters = {
        p["name"]: p["schema"] for p in spec["paths"]["/v1/complaints/{complaint_id}/decisions"]["get"]["parameters"]
    }
    assert (parameters["page_size"]["minimum"], parameters["page_size"]["maximum"]) == (1, 40)
    assert (parameters["page"]["minimum"], parameters["page"]["maximum"]) == (1, 1_000_000)
    complaints = spec["components"]["schemas"]["BatchRequest"]["properties"]["complaints"]
    assert (complaints["minItems"], complaints["maxItems"]) == (1, 7)
