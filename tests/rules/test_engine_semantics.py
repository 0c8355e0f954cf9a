"""The model of durable_rules' tests (rules/engine_semantics.py) against the real engine.

Every operator the compiler emits, against constants of both types it emits (integers, strings),
on values of every JSON type: null, booleans, integers (small, around 2^53, beyond 2^63), floats,
strings (escapes, Chinese, NUL), lists, objects, and the field absent. A fixed table first, then
random values (hypothesis). Wherever the model answers, the engine must answer the same; the only
two cells it does not answer (a string against a number, a float against a string) are checked to
be exactly those, and what the engine does there is pinned by the tests that say why.
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.runtime import EngineError, NativeRuleset, native_ruleset
from rules.compiler import compile_policy
from rules.engine_semantics import (
    ABSENT,
    EQ,
    INT64_MAX,
    OPERATORS,
    Unmodelled,
    accepted,
    evaluate,
    holds,
    leaves,
    read,
)

_names = itertools.count()

INT_CONSTANTS = [0, 1, 5, 55, 199_999, 200_000, 2**53 + 1, INT64_MAX - 1, INT64_MAX, 10**20, -3, -(2**63)]
STR_CONSTANTS = ["vip", "regular", "", "5", "55", "true", "null", "#", "\\", "a\nb", "中", "é"]
VALUES: list[object] = [
    None,
    True,
    False,
    0,
    1,
    5,
    55,
    550,
    199_999,
    200_000,
    200_001,
    -3,
    2**53,
    2**53 + 1,
    INT64_MAX,
    2**63,
    2**64 + 5,
    -(2**63) - 1,
    10**30,
    0.1,
    -0.0,
    4.5,
    5.0,
    199_999.99,
    2.5e-07,
    1.5e300,
    "",
    "5",
    "55",
    "550",
    "vip",
    "VIP",
    "regular",
    "true",
    "false",
    "null",
    '"',
    "#",
    "\\",
    "a\nb",
    "\x00",
    "中",
    "é",
    "e",
    [],
    [5],
    ["vip"],
    {},
    {"x": 5},
    {"vip": "vip"},
]


def _ruleset(constants: list[object]) -> tuple[NativeRuleset, dict[str, tuple[str, object]]]:
    """One rule per (operator, constant), each guarded by the fact type as the compiler guards them."""
    definition: dict[str, object] = {}
    tests: dict[str, tuple[str, object]] = {}
    for index, (op, constant) in enumerate(itertools.product(OPERATORS, constants)):
        name = f"r{index}"
        test = {"f": constant} if op == EQ else {op: {"f": constant}}
        definition[name] = {"all": [{"m": {"$and": [{"t": "x"}, test]}}]}
        tests[name] = (op, constant)
    return NativeRuleset(f"semantics-{next(_names)}", definition), tests


def _compare(ruleset: NativeRuleset, tests: dict[str, tuple[str, object]], value: object) -> list[str]:
    """Disagreements between the model and the engine on a fact whose field ``f`` is ``value``."""
    fact = {"t": "x"} if value is ABSENT else {"t": "x", "f": value}
    try:
        fired = set(ruleset.fire(fact))
    except EngineError as exc:
        return [] if not accepted(value) else [f"{value!r}: the engine refused the fact ({exc})"]
    if not accepted(value):
        return [f"{value!r}: the model says the engine refuses it, the engine took it"]
    problems = []
    for name, (op, constant) in tests.items():
        try:
            expected = holds(op, value, constant)
        except Unmodelled:
            assert (isinstance(value, str) and isinstance(constant, int)) or (
                isinstance(value, float) and isinstance(constant, str)
            ), (op, value, constant)
            continue
        if expected != (name in fired):
            problems.append(f"{op} {constant!r} on {value!r}: model {expected}, engine {name in fired}")
    return problems


Table = list[tuple[NativeRuleset, dict[str, tuple[str, object]]]]


@pytest.fixture(scope="module")
def table() -> Table:
    """A ruleset per constant: the engine refuses more than 64 tests holding on one fact (error 303)."""
    return [_ruleset([constant]) for constant in [*INT_CONSTANTS, *STR_CONSTANTS]]


def _compare_all(table: Table, value: object) -> list[str]:
    return [problem for ruleset, tests in table for problem in _compare(ruleset, tests, value)]


@pytest.mark.parametrize("value", [ABSENT, *VALUES], ids=repr)
def test_the_model_agrees_with_the_engine_on_every_type(table, value):
    assert _compare_all(table, value) == []


def test_the_table_covers_every_operator_and_every_json_type():
    assert set(OPERATORS) == {"eq", "$neq", "$lt", "$lte", "$gt", "$gte", "$ex", "$nex"}
    kinds = {type(v).__name__ for v in VALUES} | {"absent"}
    assert kinds == {"NoneType", "bool", "int", "float", "str", "list", "dict", "absent"}
    assert any(isinstance(v, int) and v > 2**63 for v in VALUES)


def test_null_is_present_and_satisfies_no_comparison(table):
    """The reproducer's root: null in an equality-only field is neither "vip" nor "not vip"."""
    assert not holds("$neq", None, "vip") and not holds(EQ, None, "vip")
    assert holds("$ex", None, 1) and not holds("$nex", None, 1)
    assert not holds("$neq", ABSENT, "vip") and holds("$nex", ABSENT, 1)


def test_a_string_against_a_number_is_no_function_of_the_two():
    """Why the model refuses this cell: what "5" against 5 gives depends on the ruleset's other tests;
    with other constants on the field, the engine holds `= 5` and `!= 5` at once."""
    crowded, crowded_tests = _ruleset([5, 55, 0, 1, 2**53 + 1, "b", "", "5", "55", "true", "1", "null", "[]"])
    alone, alone_tests = _ruleset([5])

    def fired(ruleset: NativeRuleset, tests: dict[str, tuple[str, object]]) -> set[tuple[str, object]]:
        return {tests[name] for name in ruleset.fire({"t": "x", "f": "5"}) if tests[name][1] == 5}

    assert {(EQ, 5), ("$neq", 5)} <= fired(crowded, crowded_tests)
    assert (EQ, 5) in fired(alone, alone_tests) and ("$neq", 5) not in fired(alone, alone_tests)
    with pytest.raises(Unmodelled):
        holds(EQ, "5", 5)


def test_a_float_against_a_string_follows_no_rule_of_its_texts():
    """Why the model refuses this cell too (found by the random test below): neither the JSON text
    nor printf's %f of the float is what the engine compares."""
    ruleset, tests = _ruleset(["5", "5.0", "5.00", "5.000000", "0.00000"])
    equal = {tests[name][1] for name in ruleset.fire({"t": "x", "f": 5.0}) if tests[name][0] == EQ}
    assert equal == {"5.0", "5.00", "5.000000"}  # but not "5"
    zero = {tests[name] for name in ruleset.fire({"t": "x", "f": 0.0}) if tests[name][1] == "0.00000"}
    tiny = {
        tests[name] for name in ruleset.fire({"t": "x", "f": 8.786779238475102e-140}) if tests[name][1] == "0.00000"
    }
    assert (EQ, "0.00000") in zero and ("$gt", "0.00000") in tiny  # both print as 0.000000
    with pytest.raises(Unmodelled):
        holds(EQ, 5.0, "5.0")


def test_the_engine_refuses_an_exponent_without_a_point(table):
    ruleset, _ = table[0]
    for value in (1e-05, 1e16, 1e300):
        assert not accepted(value)
        with pytest.raises(EngineError, match="204"):
            ruleset.fire({"t": "x", "f": value})
    assert accepted(1.5e300) and accepted(2.5e-07)


def test_a_dotted_field_is_read_through_nested_objects():
    ruleset = native_ruleset("semantics-nested", {"r": {"all": [{"m": {"$and": [{"t": "x"}, {"order.amount": 5}]}}]}})
    for fact in ({"t": "x", "order": {"amount": 5}}, {"t": "x", "order.amount": 5}):
        assert ruleset.fire(fact) == ["r"]
        assert read(fact, "order.amount") == 5
    assert read({"order": 5}, "order.amount") is ABSENT


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=6,
)
constants = st.integers(min_value=-(2**66), max_value=2**66) | st.text(max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(constant=constants, values=st.lists(json_values | st.sampled_from(VALUES), min_size=1, max_size=8))
def test_random_values_and_constants_agree_with_the_engine(constant, values):
    ruleset, tests = _ruleset([constant])
    problems = [problem for value in values for problem in _compare(ruleset, tests, value)]
    assert problems == []


@settings(max_examples=300, deadline=None)
@given(values=st.lists(json_values | st.sampled_from(VALUES), min_size=1, max_size=6))
def test_random_values_against_the_fixed_table(table, values):
    assert [problem for value in values for problem in _compare_all(table, value)] == []


_FIELDS = ("customer.tier", "order.amount", "channel", "claim.remedy", "flags.regulator_referral", "within.return_7d")


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_whole_compiled_conditions_agree_with_the_engine(policy, data):
    """``evaluate`` on the shipped policy's route rules, facts with hostile values in tested fields."""
    compiled = compile_policy(policy)
    name, definition = compiled.names[0], compiled.route_ruleset
    engine = native_ruleset(name, definition)
    fact: dict[str, object] = {"t": "complaint", "category": data.draw(st.sampled_from(["quality_defect", "other"]))}
    for field in _FIELDS:
        choice = data.draw(st.sampled_from(["absent", "valid", "hostile"]))
        if choice == "valid":
            fact[field] = data.draw(st.sampled_from(["vip", "regular", 150_000, 200_000, 1, 0, "app", "refund"]))
        elif choice == "hostile":
            fact[field] = data.draw(json_values)
    if not all(accepted(v) for v in fact.values()):
        return
    try:
        expected = {rule for rule, body in definition.items() if evaluate(body["all"][0]["m"], fact)}
    except Unmodelled:
        return
    assert set(engine.fire(fact)) == expected, json.dumps(fact, ensure_ascii=False)


def test_leaves_name_every_elementary_test_of_a_compiled_rule(policy):
    compiled = compile_policy(policy)
    for body in compiled.route_ruleset.values():
        found = list(leaves(body["all"][0]["m"]))
        assert found[0].op == EQ and found[0].field == "t"
        assert {leaf.op for leaf in found} <= set(OPERATORS)
