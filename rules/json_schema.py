"""The JSON Schema of a policy file, generated from the marshmallow schema and the vocabulary.

Editors (VS Code's YAML extension, the console's editor) use it to autocomplete keys and enum
values and to underline mistakes while compliance staff type. It is advice for the editor: the
loader (rules/loader.py) stays the judge, and cross-references that only the policy itself can
define (its team and level ids, its rule ids) are checked there, not here.

Every field class and every schema-wide rule of rules/schema.py must have its JSON Schema
form below: an unknown one raises ``TypeError``, so the schema cannot silently drift.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from rules import schema as policy
from rules.conditions import OPERATORS
from rules.vocabulary import CATEGORIES, DEADLINE_UNITS, FieldKind, decision_fields, fact_fields

# A JSON Schema document (or a part of one): JSON of many shapes, built and read by key.
JsonSchema = dict[str, Any]

SCHEMA_ID = "https://complaints.example/policy.schema.json"
IDENTIFIER_PATTERN = "^[A-Za-z][A-Za-z0-9_]*$"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# An amount as the loader takes it (rules/amounts.py): a number, or the same digits quoted ("300.00").
_MONEY_TEXT = r"^[0-9]{1,12}(\.[0-9]{2})?$"  # rules.amounts' grammar

MONEY = {
    "anyOf": [
        {"type": "number", "minimum": 0, "multipleOf": 0.01},
        {"type": "string", "pattern": _MONEY_TEXT},
    ],
    "description": "an amount in CNY: digits, optionally a point and exactly 2 decimals, e.g. 200.00 / "
    "金额（元）：数字，可带小数点和正好两位小数，如 200.00",
}
TIMESTAMP = {
    "type": "string",
    "pattern": rf"^{_DATE}[T ][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}(\.[0-9]+)?)?(Z|[+-][0-9]{{2}}:?[0-9]{{2}})$",
    "description": "a time with its offset, e.g. 2026-01-10T00:00:00+08:00 / 带时区的时间",
}

# Schema-wide rules (@validates_schema) in JSON Schema form, by the schema class that declares them.
_SCHEMA_RULES: dict[type[Schema], JsonSchema] = {
    policy.AuthorityEntry: {"oneOf": [{"required": ["limits"]}, {"required": ["limits_of"]}]},
    policy.PeriodSchema: {"minProperties": 1, "maxProperties": 1},
    policy.RouteOutcome: {"minProperties": 1},
    policy.AmountSchema: {
        "oneOf": [{"required": ["of"]}, {"required": ["fixed"]}],
        "not": {"required": ["fixed", "percent"]},
    },
    policy.DueSchema: {
        "oneOf": [
            {"required": ["with"], "maxProperties": 1},
            *({"required": ["after", unit]} for unit in DEADLINE_UNITS),
        ]
    },
}
# Schema-wide rules with no JSON Schema form; the loader reports them.
_LOADER_ONLY = {
    policy.RemedyRule,  # categories are in `category` below; `reason` with `remedy: none`
}


def policy_json_schema() -> JsonSchema:
    """The JSON Schema (draft 2020-12) of a policy file."""
    walker = _Walker()
    root = walker.schema(policy.PolicySchema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Complaint decision policy / 投诉处理决策政策",
        "description": "policies.yaml: levels, teams, authority, windows, routing, remedies, deadlines, calendar, "
        "records. Check a file with `complaints check`.",
        **root,
        "$defs": walker.defs,
    }


class _Walker:
    def __init__(self) -> None:
        self.defs: dict[str, JsonSchema] = {}

    def schema(self, cls: type[Schema]) -> JsonSchema:
        properties: dict[str, JsonSchema] = {}
        required: list[str] = []
        for name, field in cls._declared_fields.items():
            key = field.data_key or name
            properties[key] = self.field(cls, name, field)
            if field.required:
                required.append(key)
        if any(hasattr(getattr(cls, attr, None), "__marshmallow_hook__") for attr in dir(cls)):
            hooks = [c for c in cls.__mro__ if c in _SCHEMA_RULES or c in _LOADER_ONLY]
            if not hooks:
                raise TypeError(
                    f"{cls.__name__} has a schema-wide rule with no JSON Schema form in rules/json_schema.py"
                )
        result: JsonSchema = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            result["required"] = required
        result.update(_SCHEMA_RULES.get(cls, {}))
        return result

    def ref(self, cls: type[Schema]) -> JsonSchema:
        if cls.__name__ not in self.defs:
            self.defs[cls.__name__] = {}  # reserve: a schema may refer to itself
            self.defs[cls.__name__] = self.schema(cls)
        return {"$ref": f"#/$defs/{cls.__name__}"}

    def field(self, owner: type[Schema], name: str, field: fields.Field[Any]) -> JsonSchema:
        if owner is policy.RemedyRule and name == "category":
            return _category()
        if name in ("when", "when_any") and issubclass(owner, policy.RuleBase):
            stage = "deadline" if owner is policy.DeadlineRule else "complaint"
            condition = self.condition(stage)
            return condition if name == "when" else {"type": "array", "minItems": 1, "items": condition}
        return self.plain(field)

    def plain(self, field: fields.Field[Any]) -> JsonSchema:
        if isinstance(field, policy.Limit):
            return {"anyOf": [MONEY, {"enum": ["any", "never"]}], "description": "an amount, `any` or `never`"}
        if isinstance(field, policy.Money):
            return dict(MONEY)
        if isinstance(field, policy.Timestamp):
            return dict(TIMESTAMP)
        if isinstance(field, policy.DayList):
            return {
                "type": "array",
                "items": {"type": "string", "pattern": rf"^{_DATE}(\.\.{_DATE})?$"},
                "description": "dates and ranges, e.g. [2026-10-01..2026-10-07, 2026-10-10]",
            }
        if isinstance(field, policy.RemedyField):
            return {
                "anyOf": [
                    {"const": "none"},
                    {"type": "array", "minItems": 1, "items": self.ref(policy.ComponentSchema)},
                ]
            }
        if isinstance(field, fields.Nested):
            nested = field.nested
            if not (isinstance(nested, type) and issubclass(nested, Schema)):
                raise TypeError(f"unsupported nested schema {nested!r}")
            return self.ref(nested)
        if isinstance(field, fields.List):
            result: JsonSchema = {"type": "array", "items": self.plain(field.inner)}
            for rule in field.validators:
                if isinstance(rule, validate.Length):
                    _bounds(result, rule.min, rule.max, "minItems", "maxItems")
                else:
                    raise TypeError(f"unsupported list validator {rule!r}")
            return result
        if isinstance(field, fields.Dict):
            values = self.plain(field.value_field) if field.value_field else {}
            result = {"type": "object", "additionalProperties": values}
            if field.key_field is not None:
                result["propertyNames"] = self.key(field.key_field)
            return result
        if isinstance(field, fields.Boolean):
            return {"type": "boolean"}
        if isinstance(field, fields.Integer):
            return _validated({"type": "integer"}, field)
        if isinstance(field, fields.Decimal):
            return _validated({"type": "number"}, field)
        if isinstance(field, fields.String):
            return _validated({"type": "string"}, field)
        raise TypeError(f"no JSON Schema form for {type(field).__name__}; add one in rules/json_schema.py")

    def key(self, field: fields.Field[Any]) -> JsonSchema:
        """Mapping keys are always text in an editor: an integer key becomes digits."""
        if isinstance(field, fields.Integer):
            return {"pattern": "^[0-9]+$"}
        return _validated({"type": "string"}, field)

    def condition(self, stage: str) -> JsonSchema:
        name = f"Condition_{stage}"
        if name not in self.defs:
            known = fact_fields((), (), (), ())
            patterns = {r"^within\.[A-Za-z][A-Za-z0-9_]*$": _test(FieldKind("bool"))}
            if stage == "deadline":
                known.update(decision_fields((), (), ()))
                patterns[r"^decision\.flags\.[A-Za-z][A-Za-z0-9_]*$"] = _test(FieldKind("bool"))
            self.defs[name] = {
                "type": "object",
                "description": "field: test, all must hold / 条件：字段: 检验，须全部成立",
                "properties": {field: _test(kind) for field, kind in known.items()},
                "patternProperties": patterns,
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{name}"}


def _validated(result: JsonSchema, field: fields.Field[Any]) -> JsonSchema:
    for rule in field.validators:
        if isinstance(rule, validate.OneOf):
            result["enum"] = list(rule.choices)
        elif isinstance(rule, validate.Length):
            _bounds(result, rule.min, rule.max, "minLength", "maxLength")
        elif isinstance(rule, validate.Range):
            _bounds(result, rule.min, rule.max, "minimum", "maximum")
        elif isinstance(rule, validate.Regexp):
            result["pattern"] = rule.regex.pattern
        else:
            raise TypeError(f"no JSON Schema form for validator {rule!r}")
    return result


def _bounds(result: JsonSchema, low: object, high: object, low_key: str, high_key: str) -> None:
    if low is not None:
        result[low_key] = low
    if high is not None:
        result[high_key] = high


def _category() -> JsonSchema:
    one = {"enum": list(CATEGORIES)}
    return {"anyOf": [one, {"type": "array", "minItems": 1, "items": one}]}


def _test(kind: FieldKind) -> JsonSchema:
    """What ``field: test`` may say for a field of this kind (rules/conditions.py `_parse_test`)."""
    if kind.kind == "date":
        return _operators({"present": {"type": "boolean"}})
    value: JsonSchema
    if kind.kind == "enum":
        value = {"enum": list(kind.values)} if kind.values else {"type": "string", "pattern": IDENTIFIER_PATTERN}
        return {
            "anyOf": [
                value,
                {"type": "array", "items": value},
                _operators({"not": value, "not_in": _list_of(value), "present": {"type": "boolean"}}),
            ]
        }
    if kind.kind == "bool":
        value = {"type": "boolean"}
        return {"anyOf": [value, _operators({"not": value, "present": {"type": "boolean"}})]}
    value = dict(MONEY) if kind.kind == "money" else {"type": "integer", "minimum": 0}
    tests = {op: value for op in OPERATORS}
    tests.update({"not": value, "not_in": _list_of(value), "present": {"type": "boolean"}})
    return {"anyOf": [value, _operators(tests)]}


def _operators(tests: JsonSchema) -> JsonSchema:
    return {"type": "object", "minProperties": 1, "properties": tests, "additionalProperties": False}


def _list_of(value: JsonSchema) -> JsonSchema:
    return {"type": "array", "minItems": 1, "items": value}
