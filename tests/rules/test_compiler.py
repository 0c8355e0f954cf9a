"""The compiler: guarded durable_rules conditions, and the engine's limits enforced with clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.compiler import (
    MAX_EQUALITY_VALUES_PER_FIELD,
    MAX_IDENTICAL_CONDITIONS,
    MAX_RULES_PER_RULESET,
    compile_policy,
)
from rules.errors import EngineLimitError, PolicyError
from rules.loader import load_policy_file, load_policy_text

MINIMAL = Path(__file__).resolve().parents[1] / "policies" / "minimal.yaml"
EXISTING_ROUTE_RULES = 3  # R01 and two remedy rules


def _with_routing_rules(conditions: list[str]) -> str:
    text = MINIMAL.read_text(encoding="utf-8")
    rules = "".join(
        f"  - id: G{index:04d}\n"
        f"    description: generated rule {index}\n"
        f"    basis: internal SLA\n"
        f"    when: {condition}\n"
        f"    then: {{min_level: supervisor}}\n"
        for index, condition in enumerate(conditions)
    )
    marker = "\nremedies:\n"
    assert text.count(marker) == 1
    return text.replace(marker, "\n" + rules + marker)


def _at_least(count: int) -> list[str]:
    return [f"{{customer.complaints_last_30_days: {{at_least: {n}}}}}" for n in range(count)]


def test_a_policy_over_the_rule_limit_is_refused_with_a_clear_message():
    over = MAX_RULES_PER_RULESET + 1 - EXISTING_ROUTE_RULES
    # Counted as the text is read, before any rule is built or compiled.
    with pytest.raises(EngineLimitError) as caught:
        load_policy_text(_with_routing_rules(_at_least(over)), "generated.yaml")
    assert isinstance(caught.value, PolicyError)
    (issue,) = caught.value.issues
    assert issue.code == "engine_limit"
    assert issue.message.startswith(
        f"{MAX_RULES_PER_RULESET + 1} routing and remedy rules ({MAX_RULES_PER_RULESET - 1} + 2); "
    )
    assert issue.message.endswith(
        f"the engine holds at most {MAX_RULES_PER_RULESET} in one ruleset: merge rules or split the policy"
    )
    assert issue.file == "generated.yaml"


def test_a_policy_at_the_rule_limit_compiles():
    policy = load_policy_text(_with_routing_rules(_at_least(MAX_RULES_PER_RULESET - EXISTING_ROUTE_RULES)))
    compiled = compile_policy(policy)
    assert len(compiled.route_ruleset) == MAX_RULES_PER_RULESET


def test_too_many_rules_with_one_condition():
    policy = load_policy_text(_with_routing_rules(["{channel: phone}"] * (MAX_IDENTICAL_CONDITIONS + 1)))
    with pytest.raises(EngineLimitError) as caught:
        compile_policy(policy)
    assert all(
        f"more than {MAX_IDENTICAL_CONDITIONS} rules share this exact condition" in i.message
        for i in caught.value.issues
    )
    assert caught.value.issues[0].path == "G0000"


def test_too_many_equality_values_on_one_field():
    conditions = [f"{{customer.complaints_last_30_days: {n}}}" for n in range(MAX_EQUALITY_VALUES_PER_FIELD + 1)]
    with pytest.raises(EngineLimitError) as caught:
        compile_policy(load_policy_text(_with_routing_rules(conditions)))
    (issue,) = caught.value.issues
    assert issue.message == (
        f"`customer.complaints_last_30_days` is compared with {MAX_EQUALITY_VALUES_PER_FIELD + 1} distinct values; "
        f"the engine limit we hold is {MAX_EQUALITY_VALUES_PER_FIELD}"
    )


def test_every_condition_is_guarded_by_the_fact_type():
    compiled = compile_policy(load_policy_file(Path(__file__).resolve().parents[2] / "policies.yaml"))
    for ruleset, fact_type in ((compiled.route_ruleset, "complaint"), (compiled.deadline_ruleset, "decision")):
        for name, rule in ruleset.items():
            assert set(rule) == {"all"}, name  # no `pri`, `description` or `run`: the engine rejects extra keys
            (step,) = rule["all"]
            condition = step["m"]
            guard = condition["$and"][0] if "$and" in condition else condition
            assert guard == {"t": fact_type}, name


def test_compiled_names_carry_the_policy_digest():
    policy = load_policy_file(MINIMAL)
    route, deadline = compile_policy(policy).names
    assert route == f"complaints@{policy.digest[:20]}:route"
    assert deadline == f"complaints@{policy.digest[:20]}:deadline"


def test_money_conditions_compile_to_integer_fen():
    compiled = compile_policy(load_policy_file(Path(__file__).resolve().parents[2] / "policies.yaml"))
    r05 = compiled.route_ruleset["R05_quality_high_value"]["all"][0]["m"]
    assert {"$gt": {"order.amount": 200000}} in r05["$and"]
