"""Bearer API keys and roles: 401 with WWW-Authenticate, 403 for the wrong role; production refuses no keys."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.settings import ConfigError
from cli.main import cli
from store import DecisionStore
from store.tables import api_keys
from tests.helpers.api_samples import POLICY, bearer, make_complaint, post_json


def test_missing_and_invalid_keys_are_401(keyed):
    app, tokens = keyed
    client = app.test_client()
    cases = [
        ({}, None),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid_request"),
        ({"Authorization": "Bearer"}, "invalid_request"),
        (bearer("cds_nope_nope"), "invalid_token"),
        (bearer(tokens["revoked"]), "invalid_token"),
    ]
    for headers, error in cases:
        response = client.get("/v1/policy", headers=headers)
        assert response.status_code == 401, headers
        assert response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
        if error:
            assert f'error="{error}"' in response.headers["WWW-Authenticate"]
        assert response.get_json()["type"] == "/docs#problem-unauthorized"
        assert post_json(client, "/v1/decisions", make_complaint(1), headers=headers).status_code == 401


def test_role_matrix(keyed):
    app, tokens = keyed
    client = app.test_client()
    decided = post_json(client, "/v1/decisions", make_complaint(1), headers=bearer(tokens["decider"]))
    assert decided.status_code == 201
    decision_url = decided.headers["Location"]
    batch = {"complaints": [make_complaint(2)]}
    expected = {
        # role: (POST decision, POST batch, GET decision, GET complaint list, GET policy, GET policies)
        "decider": (200, 200, 200, 200, 200, 200),
        "auditor": (403, 403, 200, 200, 200, 200),
        "policy_admin": (403, 403, 403, 403, 200, 200),
        "personal_data": (403, 403, 403, 403, 200, 200),  # README: any role may read the policy
    }
    for role, statuses in expected.items():
        headers = bearer(tokens[role])
        got = (
            post_json(client, "/v1/decisions", make_complaint(1), headers=headers).status_code,
            post_json(client, "/v1/decisions/batch", batch, headers=headers).status_code,
            client.get(decision_url, headers=headers).status_code,
            client.get("/v1/complaints/C-000001/decisions", headers=headers).status_code,
            client.get("/v1/policy", headers=headers).status_code,
            client.get("/v1/policies", headers=headers).status_code,
        )
        assert got == statuses, role
    forbidden = client.get(decision_url, headers=bearer(tokens["policy_admin"]))
    assert forbidden.content_type == "application/problem+json"
    assert forbidden.get_json()["type"] == "/docs#problem-forbidden"


def test_forbidden_request_decides_nothing(keyed):
    app, tokens = keyed
    client = app.test_client()
    post_json(client, "/v1/decisions", make_complaint(3), headers=bearer(tokens["auditor"]))
    assert app.extensions["complaints"].store.count() == 0


def test_public_endpoints_need_no_key(keyed):
    app, _ = keyed
    client = app.test_client()
    for url in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        assert client.get(url).status_code == 200, url


def test_keys_are_stored_hashed_only(keyed):
    app, tokens = keyed
    store = app.extensions["complaints"].store
    with store.engine.connect() as conn:
        rows = conn.execute(api_keys.select()).all()
    stored = " ".join(str(value) for row in rows for value in row)
    for token in tokens.values():
        assert token not in stored
        assert token.split("_", 2)[2] not in stored


def test_production_refuses_to_start_without_keys(make_app, db_url):
    with pytest.raises(ConfigError, match="requires COMPLAINTS_AUTH=keys"):
        make_app(COMPLAINTS_ENV="production", COMPLAINTS_AUTH="off")
    with pytest.raises(ConfigError, match="no active API key"):
        make_app(COMPLAINTS_ENV="production", COMPLAINTS_AUTH="")
    DecisionStore(db_url).create_key("ops", ["auditor"])
    app = make_app(COMPLAINTS_ENV="production", COMPLAINTS_AUTH="")
    assert app.extensions["complaints"].settings.auth_mode == "keys"
    assert app.test_client().get("/v1/policy").status_code == 401


def test_keys_off_warns_loudly(make_app, capsys):
    make_app(COMPLAINTS_AUTH="off")
    assert "API KEYS ARE OFF" in capsys.readouterr().err


def test_cli_creates_lists_and_revokes_keys(db_url, make_app):
    runner = CliRunner()
    env = {"DATABASE_URL": db_url}
    assert runner.invoke(cli, ["keys", "list"], env=env).exit_code == 2  # no store yet: nothing is created
    assert runner.invoke(cli, ["store", "init"], env=env).exit_code == 0
    created = runner.invoke(
        cli, ["keys", "create", "--name", "ops team", "--role", "decider", "--role", "auditor"], env=env
    )
    assert created.exit_code == 0, created.output
    token = next(line for line in created.output.splitlines() if line.startswith("cds_"))
    client = make_app(COMPLAINTS_AUTH="keys").test_client()
    assert client.get("/v1/policy", headers=bearer(token)).status_code == 200
    listed = runner.invoke(cli, ["keys", "list"], env=env)
    assert "ops team" in listed.output and "auditor,decider" in listed.output and token not in listed.output
    key_id = token.split("_")[1]
    assert runner.invoke(cli, ["keys", "revoke", key_id], env=env).exit_code == 0
    assert client.get("/v1/policy", headers=bearer(token)).status_code == 401
    bad = runner.invoke(cli, ["keys", "create", "--name", "x", "--role", "root"], env=env)
    assert bad.exit_code != 0


def test_policy_option_is_respected(make_app):
    assert make_app(COMPLAINTS_POLICY=str(POLICY)).test_client().get("/v1/policy").status_code == 200
