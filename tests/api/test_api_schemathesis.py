"""Schemathesis over /openapi.json, in process (WSGI), once per role: no 5xx, answers as documented.

A small budget (a few examples an operation) so that it runs in every ``make test``; the campaign of
issue 10 ran the same checks with tens of thousands of requests.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from tests.helpers.samples import POLICY

# Every check but positive_data_acceptance: a schema-valid complaint may still be refused (422) by
# rules the schema cannot state (received before the first policy version, a date in the past).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = ("decider", "auditor", "policy_admin", "personal_data")


@pytest.fixture(scope="module")
def keyed_app(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("schemathesis")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{workdir / 'decisions.db'}",
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_ENV": "development",
            "COMPLAINTS_AUTH": "keys",
        }
    )
    store = app.extensions["complaints"].store
    tokens = {role: store.create_key(f"fuzz {role}", [role])[1] for role in ROLES}
    return app, tokens


def test_every_operation_for_every_role(keyed_app):
    app, tokens = keyed_app
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        def fuzz(case):
            for role in ROLES:
                case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"}, checks=CHECKS)

        fuzz()
