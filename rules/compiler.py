"""Compile a validated policy into durable_rules JSON ruleset definitions.

Two rulesets per policy: ``route`` (routing and remedy rules, tested on the
complaint) and ``deadline`` (deadline rules, tested on the complaint plus the
route and remedy found). Every condition is guarded by a type discriminator so
the engine's own session-state fact can never satisfy it (a rule that it
satisfies loops forever; see docs/durable_rules.md).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from rules.conditions import Condition, Test
from rules.engine_semantics import EQ, NEQ, CompiledRule, leaves
from rules.errors import EngineLimitError, PolicyIssue
from rules.model import Policy, RemedyRule, Window
from rules.vocabulary import CATEGORIES

# Measured ceilings of durable_rules 2.0.28, with a margin (docs/durable_rules.md
# and our own probes: 512 rules in one ruleset hang on the first assertion).
MAX_RULES_PER_RULESET = 480
MAX_TESTS_PER_RULE = 48
MAX_IDENTICAL_CONDITIONS = 200
MAX_EQUALITY_VALUES_PER_FIELD = 400
MAX_FACT_FIELDS = 200

ROUTE_FACT = "complaint"
DEADLINE_FACT = "decision"


@dataclass(frozen=True)
class CompiledPolicy:
    policy: Policy
    route_ruleset: dict[str, CompiledRule]
    deadline_ruleset: dict[str, CompiledRule]
    # The windows some rule that can fire for a complaint of the category tests: only those are
    # counted, so a window nothing reads never costs a calendar fallback or a refusal.
    windows_read: dict[str, tuple[Window, ...]]

    @property
    def names(self) -> tuple[str, str]:
        stem = f"complaints@{self.policy.digest[:20]}"
        return f"{stem}:route", f"{stem}:deadline"


def compile_policy(policy: Policy) -> CompiledPolicy:
    route: dict[str, CompiledRule] = {}
    for rule in policy.routing:
        route[rule.info.id] = _rule(rule.condition, ROUTE_FACT)
    for remedy in policy.remedies:
        route[remedy.info.id] = _rule(remedy_condition(remedy), ROUTE_FACT)
    deadline = {rule.info.id: _rule(rule.condition, DEADLINE_FACT) for rule in policy.deadlines}
    issues: list[PolicyIssue] = []
    for label, ruleset in (("routing and remedy", route), ("deadline", deadline)):
        issues.extend(_check_limits(policy, label, ruleset))
    if issues:
        raise EngineLimitError(issues)
    return CompiledPolicy(policy, route, deadline, windows_read(policy))


def windows_read(policy: Policy) -> dict[str, tuple[Window, ...]]:
    """Per category, the windows tested by a rule that can fire for it, in policy order."""
    result: dict[str, tuple[Window, ...]] = {}
    for category in CATEGORIES:
        fact = {"category": category}
        tested: set[str] = set()
        conditions = [r.condition for r in policy.routing] + [r.condition for r in policy.deadlines]
        conditions += [r.condition for r in policy.remedies if category in r.categories]
        for condition in conditions:
            tested |= _windows_if_possible(condition, fact)
        result[category] = tuple(w for w in policy.windows if f"within.{w.id}" in tested)
    return result


def _windows_if_possible(condition: Condition, fact: Mapping[str, object]) -> set[str]:
    """The `within.*` fields ``condition`` tests, unless its category tests already exclude ``fact``."""

    def possible(tests: tuple[Test, ...]) -> bool:
        return all(t.matches(fact) for t in tests if t.field == "category")

    if not possible(condition.all_of):
        return set()
    groups = [g for g in condition.any_of if possible(g)]
    if condition.any_of and not groups:
        return set()
    return {t.field for t in (*condition.all_of, *(t for g in groups for t in g)) if t.field.startswith("within.")}


def remedy_condition(remedy: RemedyRule) -> Condition:
    """A remedy rule's condition as the engine tests it: its category first, then its `when`."""
    category = Test(
        "category",
        "in" if len(remedy.categories) > 1 else "eq",
        remedy.categories if len(remedy.categories) > 1 else remedy.categories[0],
    )
    return Condition((category, *remedy.condition.all_of), remedy.condition.any_of)


def _rule(condition: Condition, fact_type: str) -> CompiledRule:
    return {"all": [{"m": condition.to_durable([{"t": fact_type}])}]}


def _check_limits(policy: Policy, label: str, ruleset: dict[str, CompiledRule]) -> list[PolicyIssue]:
    def issue(rule_id: str | None, message: str) -> PolicyIssue:
        line = policy.rules_by_id[rule_id].line if rule_id else 1
        return PolicyIssue(policy.source_file, line, 1, rule_id or "", message, "engine_limit")

    found: list[PolicyIssue] = []
    if len(ruleset) > MAX_RULES_PER_RULESET:
        found.append(
            issue(
                None,
                f"{len(ruleset)} {label} rules; the engine holds at most "
                f"{MAX_RULES_PER_RULESET} in one ruleset: merge rules or split the policy",
            )
        )
    shapes = Counter(json.dumps(rule, sort_keys=True) for rule in ruleset.values())
    equality_values: dict[str, set[str]] = {}
    fields: set[str] = set()
    for rule_id, rule in ruleset.items():
        tests = list(_leaves(rule["all"][0]["m"]))
        if len(tests) > MAX_TESTS_PER_RULE:
            found.append(
                issue(rule_id, f"rule has {len(tests)} tests; the engine limit we hold is {MAX_TESTS_PER_RULE}")
            )
        if shapes[json.dumps(rule, sort_keys=True)] > MAX_IDENTICAL_CONDITIONS:
            found.append(issue(rule_id, f"more than {MAX_IDENTICAL_CONDITIONS} rules share this exact condition"))
        for field, value, is_equality in tests:
            fields.add(field)
            if is_equality:
                equality_values.setdefault(field, set()).add(json.dumps(value))
    for field, values in equality_values.items():
        if len(values) > MAX_EQUALITY_VALUES_PER_FIELD:
            found.append(
                issue(
                    None,
                    f"`{field}` is compared with {len(values)} distinct values; "
                    f"the engine limit we hold is {MAX_EQUALITY_VALUES_PER_FIELD}",
                )
            )
    if len(fields) > MAX_FACT_FIELDS:
        found.append(issue(None, f"{label} rules test {len(fields)} fields; at most {MAX_FACT_FIELDS}"))
    return found


def _leaves(node: Mapping[str, object]) -> Iterator[tuple[str, object, bool]]:
    """(field, value, is_equality) for every elementary test of a durable condition."""
    for leaf in leaves(node):
        yield leaf.field, leaf.constant, leaf.op in (EQ, NEQ)
