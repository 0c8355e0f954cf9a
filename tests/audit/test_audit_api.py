"""The audit endpoints over HTTP: replay, what-if, streamed range replay, verify, exports, policy text;
401 without a key, 403 without the role, personal data only with the personal_data role."""

from __future__ import annotations

import csv
import io
import json

import pytest

from app import create_app
from audit.masking import MASKING_KEY_ENV
from bench.corpus import iter_complaints
from store import DecisionStore
from tests.helpers.audit_samples import POLICY, execute, row

KEY = "api-masking-key-0123456789"
RANGE = {"since": "2000-01-01", "until": "2100-01-01"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def keyed(tmp_path, monkeypatch):
    """A keyed app with 24 decisions (some re-evaluated) and a key per role."""
    monkeypatch.setenv(MASKING_KEY_ENV, KEY)
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_ENV": "development",
            "COMPLAINTS_AUTH": "keys",
        }
    )
    store: DecisionStore = app.extensions["complaints"].store
    tokens = {}
    for name, roles in {
        "decider": ["decider"],
        "auditor": ["auditor"],
        "policy_admin": ["policy_admin"],
        "personal_data": ["personal_data"],
        "auditor+personal_data": ["auditor", "personal_data"],
    }.items():
        _, tokens[name] = store.create_key(f"test {name}", roles)
    client = app.test_client()
    for i, complaint in enumerate(iter_complaints(20, 777)):
        bodies = [complaint] + ([{**complaint, "history": {"rejected_offers": 2}}] if i % 5 == 0 else [])
        for body in bodies:
            response = client.post("/v1/decisions", json=body, headers=bearer(tokens["decider"]))
            assert response.status_code in (201, 422), response.get_json()
    return app, store, tokens


def _lines(response) -> list[dict]:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def _rows(response) -> list[dict]:
    """An export's decision rows; its last line must be the closing record, counting them."""
    *rows, closing = _lines(response)
    assert closing["type"] == "closing", closing
    assert json.loads(closing["statement"])["rows"] == len(rows)
    return rows


def _table(response) -> list[dict]:
    """A CSV export's rows; its last row must be the closing record."""
    *table, closing = csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    assert closing["seq"] == "#closing" and json.loads(closing["decision_id"])["type"] == "closing"
    return table


def test_roles(keyed):
    app, store, tokens = keyed
    client = app.test_client()
    first = row(store, 1)
    calls = {
        "replay": lambda h: client.post(f"/v1/decisions/{first.decision_id}/replay", headers=h),
        "replays": lambda h: client.post("/v1/replays", json=RANGE, headers=h),
        "verify": lambda h: client.get("/v1/audit/verify", headers=h),
        "export": lambda h: client.get("/v1/exports/decisions?since=2000-01-01&until=2100-01-01", headers=h),
        "policy": lambda h: client.get(f"/v1/policies/{first.policy_digest}/text", headers=h),
        "checkpoints": lambda h: client.get("/v1/audit/checkpoints", headers=h),
    }
    expected = {
        "auditor": dict(replay=200, replays=200, verify=200, export=200, policy=200, checkpoints=200),
        "auditor+personal_data": dict(replay=200, replays=200, verify=200, export=200, policy=200, checkpoints=200),
        "decider": dict(replay=403, replays=403, verify=403, export=403, policy=403, checkpoints=403),
        "policy_admin": dict(replay=403, replays=403, verify=403, export=403, policy=200, checkpoints=403),
        "personal_data": dict(replay=403, replays=403, verify=403, export=403, policy=403, checkpoints=403),
    }
    for role, statuses in expected.items():
        got = {name: call(bearer(tokens[role])).status_code for name, call in calls.items()}
        assert got == statuses, role
    for name, call in calls.items():
        response = call({})
        assert response.status_code == 401, name
        assert response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_replay_one_decision(keyed):
    app, store, tokens = keyed
    client, auditor = app.test_client(), bearer(tokens["auditor"])
    record = row(store, 3)
    plain = client.post(f"/v1/decisions/{record.decision_id}/replay", headers=auditor)
    assert plain.status_code == 200
    body = plain.get_json()
    assert (body["result"], body["seq"], body["policy_digest"]) == ("identical", 3, record.policy_digest)
    assert body["differences"] == []
    current = client.post(f"/v1/decisions/{record.decision_id}/replay", json={"policy": "current"}, headers=auditor)
    assert current.get_json()["result"] == "unchanged" and current.get_json()["kinds"] == []
    digest = client.post(
        f"/v1/decisions/{record.decision_id}/replay", json={"policy": {"digest": record.policy_digest}}, headers=auditor
    )
    assert digest.get_json()["candidate"]["digest"] == record.policy_digest
    unknown = client.post(
        f"/v1/decisions/{record.decision_id}/replay", json={"policy": {"digest": "f" * 64}}, headers=auditor
    )
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "policy.digest"
    bad = client.post(f"/v1/decisions/{record.decision_id}/replay", json={"policy": "tomorrow"}, headers=auditor)
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    missing = client.post("/v1/decisions/nope/replay", headers=auditor)
    assert missing.status_code == 404
    execute(
        store, 'UPDATE decisions SET decision = REPLACE(decision, \'"category":"\', \'"category":"x\') WHERE seq = 3'
    )
    changed = client.post(f"/v1/decisions/{record.decision_id}/replay", headers=auditor).get_json()
    assert changed["result"] == "different" and changed["differences"][0]["path"] == "category"


def test_replays_stream_json_lines(keyed):
    app, store, tokens = keyed
    client, auditor = app.test_client(), bearer(tokens["auditor"])
    response = client.post("/v1/replays", json=RANGE, headers=auditor)
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    assert response.is_streamed
    lines = _lines(response)
    results, summary = lines[:-1], lines[-1]
    assert len(results) == store.count() and {r["result"] for r in results} == {"identical"}
    assert summary == {
        "summary": True,
        "mode": "replay",
        "decisions": len(results),
        "results": {"identical": len(results)},
    }

    complaint = row(store, 1).complaint_id
    mine = _lines(client.post("/v1/replays", json={"complaint_id": complaint, "policy": "current"}, headers=auditor))
    assert [r["complaint_id"] for r in mine[:-1]] == [complaint] * 2  # the decision and its re-evaluation
    assert mine[-1]["mode"] == "what-if" and mine[-1]["results"] == {"unchanged": 2}

    later = row(store, 5).created_at
    since = _lines(client.post("/v1/replays", json={"since": later}, headers=auditor))
    assert since[0]["seq"] == 5

    for body in ({}, {"complaint_id": "x", "since": "2026-01-01"}, {"since": "yesterday"}, {"until": 3}):
        bad = client.post("/v1/replays", json=body, headers=auditor)
        assert bad.status_code == 422, body
    assert client.post("/v1/replays", data="x", headers=auditor).status_code == 415


def test_verify_names_the_tampered_decision(keyed):
    app, store, tokens = keyed
    client, auditor = app.test_client(), bearer(tokens["auditor"])
    ok = client.get("/v1/audit/verify", headers=auditor).get_json()
    assert ok["ok"] and ok["result"] == "intact" and ok["decisions"] == store.count() and ok["first_break"] is None
    victim = row(store, 6)
    execute(store, "UPDATE decisions SET request_body = request_body || ' ' WHERE seq = 6")
    broken = client.get("/v1/audit/verify", headers=auditor).get_json()
    assert not broken["ok"] and broken["result"] == "broken"
    first = broken["first_break"]
    assert (first["kind"], first["seq"], first["decision_id"]) == ("edited", 6, victim.decision_id)
    assert first["expected"] == f"chain_hash {victim.chain_hash} (as stored)"
    assert first["found"].startswith("the row's content hashes to ") and victim.chain_hash not in first["found"]
    assert first["meaning"] == "this decision was changed after it was recorded"
    assert first["detail"] == f"expected {first['expected']}, found {first['found']}: {first['meaning']}"


def test_exports_are_streamed_and_masked(keyed):
    app, store, tokens = keyed
    client = app.test_client()
    url = "/v1/exports/decisions?since=2000-01-01&until=2100-01-01"
    response = client.get(url, headers=bearer(tokens["auditor"]))
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/x-ndjson" and response.headers["X-Personal-Data"] == "pseudonyms"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert [r["seq"] for r in rows] == list(range(1, store.count() + 1))
    text = json.dumps(rows, ensure_ascii=False)
    bodies = [json.loads(row(store, s).request_body) for s in range(1, store.count() + 1)]
    personal = {b.get("customer", {}).get("customer_id") for b in bodies} | {b["order"].get("order_id") for b in bodies}
    personal |= {b.get("description") for b in bodies}
    assert len(personal - {None, ""}) > 20 and not any(v in text for v in personal - {None, ""})
    assert all(r["policy_digest"] == r["decision"]["policy"]["digest"] for r in rows)

    forbidden = client.get(url + "&personal_data=include", headers=bearer(tokens["auditor"]))
    assert forbidden.status_code == 403 and "personal_data" in forbidden.get_json()["detail"]
    included = client.get(url + "&personal_data=include", headers=bearer(tokens["auditor+personal_data"]))
    assert included.status_code == 200 and included.headers["X-Personal-Data"] == "none"
    assert [r["request_body"] for r in _rows(included)] == [
        row(store, s).request_body for s in range(1, store.count() + 1)
    ]

    as_csv = client.get(url + "&format=csv", headers=bearer(tokens["auditor"]))
    assert as_csv.mimetype == "text/csv"
    table = _table(as_csv)
    assert len(table) == store.count() and table[0]["policy_digest"] == row(store, 1).policy_digest

    window = client.get(
        f"/v1/exports/decisions?since={row(store, 4).created_at}&until={row(store, 7).created_at}",
        headers=bearer(tokens["auditor"]),
    )
    assert [r["seq"] for r in _rows(window)] == [4, 5, 6]  # "+00:00" unencoded arrives as " 00:00": still read right
    encoded = client.get(
        "/v1/exports/decisions",
        query_string={"since": row(store, 4).created_at, "until": "2100-01-01"},
        headers=bearer(tokens["auditor"]),
    )
    assert _rows(encoded)[0]["seq"] == 4

    for query in (
        "",
        "?since=2026-01-01",
        "?since=x&until=y",
        "?since=2026-01-01&until=2026-02-01&format=xml",
        "?since=2026-01-01&until=2026-02-01&personal_data=all",
    ):
        bad = client.get("/v1/exports/decisions" + query, headers=bearer(tokens["auditor"]))
        assert bad.status_code == 422, query
        assert bad.content_type == "application/problem+json"


def test_policy_text_is_exact(keyed):
    app, store, tokens = keyed
    client = app.test_client()
    digest = row(store, 1).policy_digest
    response = client.get(f"/v1/policies/{digest}/text", headers=bearer(tokens["auditor"]))
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    assert response.get_data() == POLICY.read_bytes() and response.headers["X-Policy-Digest"] == digest
    missing = client.get(f"/v1/policies/{'0' * 64}/text", headers=bearer(tokens["auditor"]))
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"


def test_openapi_documents_the_audit_endpoints(keyed):
    from openapi_spec_validator import validate

    app, _, _ = keyed
    spec = app.test_client().get("/openapi.json").get_json()
    validate(spec)
    expected = {
        ("/v1/decisions/{decision_id}/replay", "post"): {401, 403, 404, 422, 503},
        ("/v1/replays", "post"): {401, 403, 422},
        ("/v1/audit/verify", "get"): {401, 403, 503},
        ("/v1/exports/decisions", "get"): {401, 403, 422, 503},
        ("/v1/policies/{digest}/text", "get"): {401, 403, 404},
    }
    for (path, method), statuses in expected.items():
        documented = {int(c) for c in spec["paths"][path][method]["responses"] if c.isdigit()}
        assert statuses <= documented, (path, method)


def test_a_short_masking_key_refuses_to_start(tmp_path, monkeypatch):
    from audit.masking import MaskingKeyError

    monkeypatch.setenv(MASKING_KEY_ENV, "short")
    with pytest.raises(MaskingKeyError):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "COMPLAINTS_POLICY": str(POLICY)})


def _mismatches(where: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("complaints_integrity_mismatches_total", {"where": where}) or 0.0


def test_reads_and_exports_check_what_they_serve(keyed, capsys):
    app, store, tokens = keyed
    client, auditor = app.test_client(), bearer(tokens["auditor+personal_data"])
    victim, neighbour = row(store, 4), row(store, 5)
    assert client.get(f"/v1/decisions/{victim.decision_id}", headers=auditor).get_json()["integrity"] == "ok"
    execute(store, "UPDATE decisions SET fired_rules = '[]' WHERE seq = 4")
    capsys.readouterr()
    reads, exports = _mismatches("read"), _mismatches("export")

    served = client.get(f"/v1/decisions/{victim.decision_id}", headers=auditor).get_json()
    assert served["integrity"] == "mismatch" and served["fired_rules"] == []
    assert client.get(f"/v1/decisions/{neighbour.decision_id}", headers=auditor).get_json()["integrity"] == "ok"
    page = client.get(f"/v1/complaints/{victim.complaint_id}/decisions", headers=auditor).get_json()
    assert {i["decision_id"]: i["integrity"] for i in page["items"]}[victim.decision_id] == "mismatch"
    assert _mismatches("read") == reads + 2
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "chain_hash" in line]
    assert logged and logged[0]["decision_id"] == victim.decision_id and logged[0]["level"] == "warning"

    for fmt in ("jsonl", "csv"):
        response = client.get(f"/v1/exports/decisions?since=2000-01-01&until=2100-01-01&format={fmt}", headers=auditor)
        if fmt == "jsonl":
            rows = {r["seq"]: r["integrity"] for r in _rows(response)}
        else:
            rows = {int(r["seq"]): r["integrity"] for r in _table(response)}
        assert rows[4] == "mismatch" and {v for k, v in rows.items() if k != 4} == {"ok"}
    assert _mismatches("export") == exports + 2
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'complaints_integrity_mismatches_total{where="export"}' in metrics
