"""The condition language of `when` / `when_any`, its checks and its durable_rules form.

A test is ``field: value`` (equals), ``field: [a, b]`` (one of) or
``field: {above|at_least|below|at_most|not|not_in|present: ...}``.
Facts carry money as integer fen, booleans as 1/0 and dates as epoch seconds,
because durable_rules compares only JSON numbers and strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rules.amounts import as_amount
from rules.engine_semantics import EQ, NEQ, Durable, holds, read
from rules.vocabulary import FieldKind

OPERATORS = {"above": "$gt", "at_least": "$gte", "below": "$lt", "at_most": "$lte"}
ORDERED_KINDS = ("money", "count")

Scalar = str | int  # an enum value, or integer fen / count / 1-0 for a bool
TestValue = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class Test:
    field: str
    op: str  # eq | in | not | not_in | above | at_least | below | at_most | present
    value: TestValue  # engine-ready: fen for money, 1/0 for bool, tuple for lists

    @property
    def items(self) -> tuple[Scalar, ...]:
        """The values of an `in` or `not_in` test; the parser always stores them as a tuple."""
        if not isinstance(self.value, tuple):
            raise TypeError(f"`{self.op}` test of {self.field} holds {self.value!r}, not a tuple of values")
        return self.value

    def to_durable(self) -> Durable:
        if self.op == "eq":
            return {self.field: self.value}
        if self.op == "in":
            return {"$or": [{self.field: item} for item in self.items]}
        if self.op == "not":
            return {"$neq": {self.field: self.value}}
        if self.op == "not_in":
            return {"$and": [{"$neq": {self.field: item}} for item in self.items]}
        if self.op == "present":
            return {("$ex" if self.value else "$nex"): {self.field: 1}}
        return {OPERATORS[self.op]: {self.field: self.value}}

    def matches(self, fact: Mapping[str, object]) -> bool:
        """durable_rules' reading of the same test (rules/engine_semantics.py, the one model of it)."""
        value = read(fact, self.field)
        if self.op == "present":
            return holds("$ex" if self.value else "$nex", value, 1)
        if self.op == "in":
            return any(holds(EQ, value, item) for item in self.items)
        if self.op == "not_in":
            return all(holds(NEQ, value, item) for item in self.items)
        return holds(_DURABLE_OPS[self.op], value, self.value)


_DURABLE_OPS = {"eq": EQ, "not": NEQ, **OPERATORS}


@dataclass(frozen=True)
class Condition:
    """All of ``all_of`` hold, and (when given) at least one group of ``any_of``."""

    all_of: tuple[Test, ...]
    any_of: tuple[tuple[Test, ...], ...] = ()

    def matches(self, fact: Mapping[str, object]) -> bool:
        if not all(test.matches(fact) for test in self.all_of):
            return False
        return not self.any_of or any(all(t.matches(fact) for t in group) for group in self.any_of)

    def to_durable(self, guard: list[Durable]) -> Durable:
        parts = list(guard) + [test.to_durable() for test in self.all_of]
        if self.any_of:
            groups = [_conjunction([t.to_durable() for t in group]) for group in self.any_of]
            parts.append(groups[0] if len(groups) == 1 else {"$or": groups})
        return _conjunction(parts)

    def fields(self) -> set[str]:
        names = {test.field for test in self.all_of}
        for group in self.any_of:
            names.update(test.field for test in group)
        return names


def _conjunction(parts: list[Durable]) -> Durable:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def parse_condition(
    when: Mapping[str, object],
    when_any: Sequence[Mapping[str, object]] | None,
    fields: dict[str, FieldKind],
    path: str,
) -> tuple[Condition, list[tuple[str, str]]]:
    """Parse one rule's conditions. Returns the condition and (path, message) problems."""
    problems: list[tuple[str, str]] = []
    all_of = tuple(_parse_block(when, fields, f"{path}.when", problems))
    any_of = tuple(
        tuple(_parse_block(block, fields, f"{path}.when_any.{index}", problems))
        for index, block in enumerate(when_any or [])
    )
    return Condition(all_of, any_of), problems


def _parse_block(
    block: Mapping[str, object], fields: dict[str, FieldKind], path: str, problems: list[tuple[str, str]]
) -> list[Test]:
    tests: list[Test] = []
    for name, spec in block.items():
        where = f"{path}.{name}"
        kind = fields.get(name)
        if kind is None:
            problems.append((where, f"unknown field `{name}`; expected one of: {', '.join(sorted(fields))}"))
            continue
        try:
            tests.extend(_parse_test(name, spec, kind))
        except ValueError as exc:
            problems.append((where, str(exc)))
    return tests


def _parse_test(name: str, spec: object, kind: FieldKind) -> list[Test]:
    if isinstance(spec, dict):
        if not spec:
            raise ValueError("expected a test such as {above: 100.00}")
        return [_operator_test(name, op, value, kind) for op, value in spec.items()]
    if isinstance(spec, list):
        if kind.kind not in ("enum",):
            raise ValueError(f"a list (one of) needs a field with named values; `{name}` is {kind.kind}")
        return [Test(name, "in", tuple(_value(name, item, kind) for item in spec))]
    if kind.kind == "date":
        raise ValueError(f"`{name}` is a date: test it with {{present: true}} or {{present: false}}")
    return [Test(name, "eq", _value(name, spec, kind))]


def _operator_test(name: str, op: str, value: object, kind: FieldKind) -> Test:
    if op == "present":
        if not isinstance(value, bool):
            raise ValueError("`present` expects true or false")
        return Test(name, "present", 1 if value else 0)
    if kind.kind == "date":
        raise ValueError(f"`{name}` is a date: only `present` can test it")
    if op in OPERATORS:
        if kind.kind not in ORDERED_KINDS:
            raise ValueError(f"`{op}` needs an amount or a count; `{name}` is {kind.kind}")
        return Test(name, op, _value(name, value, kind))
    if op == "not":
        return Test(name, "not", _value(name, value, kind))
    if op == "not_in":
        if not isinstance(value, list) or not value:
            raise ValueError("`not_in` expects a non-empty list")
        return Test(name, "not_in", tuple(_value(name, item, kind) for item in value))
    raise ValueError(f"unknown test `{op}`; expected one of above, at_least, below, at_most, not, not_in, present")


def _value(name: str, value: object, kind: FieldKind) -> Scalar:
    if kind.kind == "enum":
        if not isinstance(value, str) or value not in kind.values:
            raise ValueError(f"`{value}` is not a value of `{name}`; expected one of: {', '.join(kind.values)}")
        return value
    if kind.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"`{name}` expects true or false, got {value!r}")
        return 1 if value else 0
    if kind.kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"`{name}` expects a whole number of at least 0, got {value!r}")
        return value
    if kind.kind == "money":
        amount = as_amount(value)  # 2000.00 or "2000.00", exactly
        if amount is None or amount < 0:
            raise ValueError(f"`{name}` expects an amount such as 2000.00, got {value!r}")
        fen = amount * 100
        if fen != fen.to_integral_value():
            raise ValueError(f"`{name}` expects at most 2 decimals, got {value}")
        return int(fen)
    raise ValueError(f"`{name}` cannot be tested this way")
