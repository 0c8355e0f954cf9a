"""The one model of how durable_rules 2.0.28 evaluates the tests the compiler emits.

Everything in the project that reasons about a compiled condition without asking the engine
reads it here: the compiler's limits (``leaves``), ``Test.matches`` (lint, the fact space, the
``why`` explanation, policy-test coverage) and the outcome cache (``engine/outcome_cache.py``).
``tests/rules/test_engine_semantics.py`` holds it to the real engine, cell by cell and with random
values; docs/durable_rules.md has the table.

What the engine does, as measured (``holds``):

- A field that is **absent** satisfies only ``$nex``. A field that is **null, a list or an
  object** is present (``$ex`` holds, ``$nex`` not) and satisfies no comparison at all, not even
  ``$neq``. The engine reads a dotted field (``order.amount``) from that key or through nested
  objects (``{"order": {"amount": 5}}``).
- **Numbers against a number** compare as numbers: integers as 64-bit integers, saturating (a
  value or constant beyond 2^63 - 1 reads as 2^63 - 1, below -2^63 as -2^63); a float against an
  integer as doubles. ``true`` / ``false`` read as 1 / 0.
- **An integer or a boolean against a string** compares its text with the string, byte by byte:
  ``5`` against ``"5"`` is equal, ``true`` against ``"true"`` too, ``550`` is above ``"55"``; an
  integer's text is that of its saturated 64-bit value (2^64 reads as ``"9223372036854775807"``).
- **Strings against a string** compare their JSON-escaped text byte by byte (UTF-8): ``"\\""``
  reads as the two bytes ``\\"`` and so sorts above ``"#"``.
- **A string against a number** is not a function of the two: in a ruleset that also compares
  the field with other constants, ``"5"`` satisfies both ``{"f": 5}`` and ``{"$neq": {"f": 5}}``;
  alone, only the first. **A float against a string** follows no rule we found: ``5.0`` equals
  ``"5.0"``, ``"5.00"`` and ``"5.000000"`` but is above ``"5"``; ``0.0`` equals ``"0.00000"``,
  ``8.8e-140`` is above it. ``holds`` raises ``Unmodelled`` in both cells; the compiler never
  compares a string field with a number or gives a fact a float, and the cache leaves any value
  not of its constants' type to the engine.
- A float whose JSON text has an exponent but no ``.`` before it (``1e-05``, ``1e+16``) makes the
  engine refuse the whole fact (error 204): ``accepted`` says so.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, TypedDict

EQ: Final = "eq"  # `{"field": constant}`: the compiled form has no operator key
NEQ: Final = "$neq"
ORDERED: Final = ("$lt", "$lte", "$gt", "$gte")
PRESENCE: Final = ("$ex", "$nex")
COMPARISONS: Final = (EQ, NEQ, *ORDERED)
OPERATORS: Final = (*COMPARISONS, *PRESENCE)  # every elementary test the compiler emits
CONNECTIVES: Final = ("$and", "$or")

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

Durable = dict[str, object]  # a compiled condition, as durable_rules' JSON ruleset format writes it


class CompiledRule(TypedDict):
    """One rule of a ruleset: ``{"all": [{"m": condition}]}`` (no ``pri``, ``run`` or anything else)."""

    all: list[dict[str, Durable]]


class Unmodelled(ValueError):
    """A test whose outcome the model does not know (a string against a number): ask the engine."""


class UnknownOperator(ValueError):
    """A compiled condition holds an operator this model does not cover."""


class _Absent:
    """The field is not in the fact (``ABSENT``)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


@dataclass(frozen=True)
class Leaf:
    """One elementary test of a compiled condition: ``op`` (one of ``OPERATORS``), field, constant."""

    op: str
    field: str
    constant: object


def leaves(node: Mapping[str, object]) -> Iterator[Leaf]:
    """Every elementary test of a compiled condition, in order; ``UnknownOperator`` on anything else."""
    for key, value in node.items():
        if key in CONNECTIVES:
            if not isinstance(value, list):
                raise UnknownOperator(f"{key} expects a list of conditions, got {value!r}")
            for child in value:
                yield from leaves(child)
        elif key.startswith("$"):
            if key not in OPERATORS:
                raise UnknownOperator(f"operator {key}")
            if not isinstance(value, Mapping) or len(value) != 1:
                raise UnknownOperator(f"{key} expects one field and its constant, got {value!r}")
            ((field, constant),) = value.items()
            yield Leaf(key, field, constant)
        else:
            yield Leaf(EQ, key, value)


def read(fact: Mapping[str, object], field: str) -> object:
    """The value the engine tests for ``field``: the key itself, else through nested objects; else ABSENT."""
    if field in fact:
        return fact[field]
    value: object = fact
    for part in field.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ABSENT
        value = value[part]
    return value


def saturated(number: int) -> int:
    """``number`` as the engine holds an integer: clamped to 64 bits."""
    return min(max(number, INT64_MIN), INT64_MAX)


def json_text(value: object) -> str:
    """The JSON text the engine is given for ``value`` (as ``engine.runtime.fact_json`` writes it)."""
    if isinstance(value, str):
        return json.encoder.encode_basestring(value)[1:-1]  # the escaped body, without its quotes
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_REFUSED_NUMBER = re.compile(r"-?\d+[eE]")  # an exponent with no "." before it: error 204


def accepted(value: object) -> bool:
    """Whether the engine takes a fact holding ``value`` at all (it refuses some float spellings)."""
    if isinstance(value, float):
        return math.isfinite(value) and not _REFUSED_NUMBER.match(repr(value))
    if isinstance(value, list):
        return all(accepted(item) for item in value)
    if isinstance(value, dict):
        return all(accepted(item) for item in value.values())
    return True


def _sign(left: str | int | float, right: str | int | float) -> int:
    """-1, 0 or 1 as ``left`` sorts below, equal to or above ``right`` (two strings, or two numbers)."""
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    if isinstance(left, str) or isinstance(right, str):
        raise Unmodelled(f"{left!r} against {right!r}")
    return (left > right) - (left < right)


_SIGNS: Final = {EQ: (0,), NEQ: (-1, 1), "$lt": (-1,), "$lte": (-1, 0), "$gt": (1,), "$gte": (0, 1)}


def _order(left: str | int | float, right: str | int | float, op: str) -> bool:
    return _sign(left, right) in _SIGNS[op]


def holds(op: str, value: object, constant: object) -> bool:
    """durable_rules' reading of ``{op: {field: constant}}`` on a fact whose field reads ``value``
    (``ABSENT`` where the fact lacks it). ``Unmodelled`` for a string against a number and a float
    against a string."""
    if op not in OPERATORS:
        raise UnknownOperator(f"operator {op}")
    if op in PRESENCE:
        return (value is not ABSENT) == (op == "$ex")
    if value is ABSENT or value is None or isinstance(value, (list, dict)):
        return False
    if isinstance(constant, str):  # the value's JSON text against the string, byte by byte
        if isinstance(value, float):
            raise Unmodelled(f"{op} of the float {value!r} against the string {constant!r}")
        if isinstance(value, int) and not isinstance(value, bool):
            value = saturated(value)  # an integer's text as the engine holds it: saturated at 64 bits
        return _order(json_text(value), json_text(constant), op)
    if isinstance(constant, bool) or not isinstance(constant, (int, float)):
        raise Unmodelled(f"{op} against {constant!r}: the compiler emits only strings and integers")
    if isinstance(value, str):
        raise Unmodelled(f"{op} of the string {value!r} against the number {constant!r}")
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, (int, float)):
        raise Unmodelled(f"{op} of {value!r}: not a JSON value")
    if isinstance(value, float) or isinstance(constant, float):
        right = float(saturated(constant)) if isinstance(constant, int) else constant
        left = float(saturated(value)) if isinstance(value, int) else value
        return _order(left, right, op)
    return _order(saturated(value), saturated(constant), op)


def evaluate(node: Mapping[str, object], fact: Mapping[str, object]) -> bool:
    """Whether the engine's reading of a whole compiled condition holds for ``fact``."""
    if len(node) != 1:  # several keys in one node: all of them hold
        return all(evaluate({key: value}, fact) for key, value in node.items())
    ((key, value),) = node.items()
    if key in CONNECTIVES:
        if not isinstance(value, list):
            raise UnknownOperator(f"{key} expects a list of conditions, got {value!r}")
        results = (evaluate(child, fact) for child in value)
        return all(results) if key == "$and" else any(results)
    (leaf,) = leaves(node)
    return holds(leaf.op, read(fact, leaf.field), leaf.constant)
