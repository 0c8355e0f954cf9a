"""The JSON Schema of the policy format (`complaints schema`, GET /v1/policy-schema): it accepts the
shipped and minimal policies and rejects every broken-policy gallery file whose mistake is not a
cross-reference only the policy itself can define."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cli.main import cli
from rules.errors import PolicyError
from rules.json_schema import policy_json_schema
from rules.loader import load_policy_file
from rules.vocabulary import CATEGORIES, INPUT_FLAGS, REMEDY_TYPES
from rules.yaml_source import load_yaml_text

TESTS = Path(__file__).resolve().parents[1]
BROKEN = TESTS / "policies" / "broken"
DEFAULT = TESTS.parent / "policies.yaml"
# Mistakes about the policy's own names and numbers: only the loader can see them.
CROSS_REFERENCES = {"unknown_name", "duplicate", "inconsistent", "missing", "calendar"}


def as_editor_sees(value: object) -> object:
    """A parsed policy as JSON: an editor reads timestamps and dates as text, keys always as text."""
    if isinstance(value, dict):
        return {str(k): as_editor_sees(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_sees(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator():
    # Numbers as Decimal on both sides, so that `multipleOf: 0.01` is exact.
    schema = json.loads(json.dumps(policy_json_schema()), parse_float=Decimal)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors_of(validator, path: Path) -> list:
    raw, _ = load_yaml_text(path.read_text(encoding="utf-8"), str(path))
    return list(validator.iter_errors(as_editor_sees(raw)))


@pytest.mark.parametrize("path", [DEFAULT, TESTS / "policies" / "minimal.yaml"], ids=lambda p: p.name)
def test_sound_policies_are_valid(validator, path):
    assert errors_of(validator, path) == []


def _gallery() -> list[Path]:
    return sorted(BROKEN.glob("*.yaml"))


@pytest.mark.parametrize("path", _gallery(), ids=lambda p: p.stem)
def test_the_gallery_is_rejected_unless_the_mistake_is_a_cross_reference(validator, path):
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    codes = {issue.code for issue in caught.value.issues}
    try:
        errors = errors_of(validator, path)
    except PolicyError:  # not YAML a policy may use: an editor underlines it as YAML, before any schema
        assert codes & {"yaml_syntax", "yaml_structure"}, codes
        return
    if codes <= CROSS_REFERENCES:
        assert errors == [], f"{path.stem}: a cross-reference mistake should need the loader"
    else:
        assert errors, f"{path.stem} ({sorted(codes)}) passes the JSON Schema"


def test_schema_mistakes_are_reported_where_they_are(validator):
    found = {".".join(map(str, e.absolute_path)) for e in errors_of(validator, BROKEN / "three_schema_problems.yaml")}
    assert found == {"authority.remedies.refund.limits.frontline", "routing.0", "records.retention_years"}


def test_the_vocabulary_is_offered_for_autocompletion():
    schema = policy_json_schema()
    defs = schema["$defs"]
    remedy_rule = defs["RemedyRule"]["properties"]
    assert remedy_rule["category"]["anyOf"][0]["enum"] == list(CATEGORIES)
    assert defs["ComponentSchema"]["properties"]["type"]["enum"] == list(REMEDY_TYPES)
    assert defs["AuthoritySchema"]["properties"]["remedies"]["propertyNames"]["enum"] == list(REMEDY_TYPES)
    assert defs["RouteOutcome"]["properties"]["escalate_above"]["enum"] == ["history.level"]
    complaint = defs["Condition_complaint"]["properties"]
    assert {f"flags.{flag}" for flag in INPUT_FLAGS} <= set(complaint)
    assert complaint["channel"]["anyOf"][0]["enum"][:2] == ["online_chat", "phone"]
    assert "decision.team" not in complaint and "decision.team" in defs["Condition_deadline"]["properties"]
    assert schema["required"][:3] == ["policy", "levels", "teams"]


def test_the_command_prints_the_schema():
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == policy_json_schema()


def test_a_field_without_a_json_schema_form_is_refused():
    from marshmallow import Schema, fields

    from rules.json_schema import _Walker

    class WithFloat(Schema):  # a float would be wrong for money anyway
        amount = fields.Float()

    with pytest.raises(TypeError, match="no JSON Schema form for Float"):
        _Walker().schema(WithFloat)


def test_quoted_amounts_are_valid_too_but_not_thousands_separators(validator):
    import re

    text = DEFAULT.read_text(encoding="utf-8")
    quoted = re.sub(r"(?<=: )([0-9]+\.[0-9]{2})(?=[,}\s])", r'"\1"', text)
    raw, _ = load_yaml_text(quoted, "quoted.yaml")
    assert list(validator.iter_errors(as_editor_sees(raw))) == []
    raw, _ = load_yaml_text(quoted.replace('"2000.00"', '"2,000.00"'), "separated.yaml")
    assert list(validator.iter_errors(as_editor_sees(raw)))
