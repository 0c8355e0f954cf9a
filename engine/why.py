"""Why each rule fired or did not fire for one complaint (`complaints explain`).

The answer reads the policy's own parsed conditions (``Condition`` / ``Test.matches``, the reading
lint and the policy tests use) on the very facts the engine was given for this decision
(``Decider.decide_traced``): the route fact for routing and remedy rules, the deadline fact for
deadline rules. A remedy rule is read with its category first, as the compiler guards it
(``rules.compiler.remedy_condition``). tests/engine/test_why.py checks over the benchmark corpus
that the rules found to hold are exactly the rules the engine fired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from engine.decider import Decider, Facts
from engine.shapes import Complaint, Decision
from rules.compiler import remedy_condition
from rules.conditions import Condition, Test
from rules.model import Policy, RoutingRule
from rules.vocabulary import fact_fields
from rules.wording import outcome_words, test_words, value_words


@dataclass(frozen=True)
class Failed:
    """A test that does not hold, with the complaint's value of its field."""

    test: str  # the test in the policy's words
    field: str
    actual: str  # the complaint's value as the policy author writes it, or "not given"
    block: int | None = None  # the `when_any` block, when the failure is in one

    def as_dict(self) -> dict[str, object]:
        return {"test": self.test, "field": self.field, "actual": self.actual, "when_any": self.block}


@dataclass(frozen=True)
class Verdict:
    rule: str
    section: str  # routing | remedies | deadlines
    line: int
    fired: bool
    effect: str = ""  # for a rule that fired: what it did in the decision
    failed: tuple[Failed, ...] = ()  # for a rule that did not: the first test that failed (one per when_any block)

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "section": self.section,
            "line": self.line,
            "fired": self.fired,
            "effect": self.effect or None,
            "failed": [f.as_dict() for f in self.failed],
        }


@dataclass
class Explanation:
    decision: Decision
    facts: Facts  # what the engine was given and fired, for this very decision
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def fired(self) -> set[str]:
        return {v.rule for v in self.verdicts if v.fired}


def explain(decider: Decider, complaint: Complaint) -> Explanation:
    """Every rule of the policy, fired or not, for the validated ``complaint``."""
    decision, facts = decider.decide_traced(complaint)
    policy = decider.policy
    reader = _Reader(policy)
    result = Explanation(decision, facts)
    for routing in policy.routing:
        result.verdicts.append(
            reader.verdict(
                routing.info.id, "routing", routing.info.line, routing.condition, facts.route, _route(routing)
            )
        )
    chosen = decision["remedy"]["rule"]
    for remedy in policy.remedies:
        effect = "gives the remedy" if remedy.info.id == chosen else _not_chosen(decision, chosen)
        condition = remedy_condition(remedy)
        result.verdicts.append(
            reader.verdict(remedy.info.id, "remedies", remedy.info.line, condition, facts.route, effect)
        )
    binding = {d["rule"]: d["kind"] for d in decision["deadlines"]}
    for deadline in policy.deadlines:
        if deadline.info.id in binding:
            effect = f"gives the {deadline.kind} deadline"
        else:
            effect = f"cited: an earlier {deadline.kind} deadline binds"
        result.verdicts.append(
            reader.verdict(
                deadline.info.id, "deadlines", deadline.info.line, deadline.condition, facts.deadline, effect
            )
        )
    return result


def engine_fired(facts: Facts) -> set[str]:
    """The rules the engine itself fired: what ``Explanation.fired`` must equal."""
    return set(facts.route_fired) | set(facts.deadline_fired)


def _route(rule: RoutingRule) -> str:
    return outcome_words(rule.then)


def _not_chosen(decision: Decision, chosen: str | None) -> str:
    if decision["route"]["redirect"]:
        return "not applied: the complaint is redirected"
    return f"not applied: {chosen} comes first in the policy" if chosen else "not applied"


class _Reader:
    def __init__(self, policy: Policy):
        self.tz = ZoneInfo(policy.timezone)
        self.dates = {name for name, kind in fact_fields((), (), (), ()).items() if kind.kind == "date"}

    def verdict(
        self, rule: str, section: str, line: int, condition: Condition, fact: Mapping[str, object], effect: str
    ) -> Verdict:
        if condition.matches(fact):
            return Verdict(rule, section, line, True, effect)
        first = next((test for test in condition.all_of if not test.matches(fact)), None)
        if first is not None:
            return Verdict(rule, section, line, False, failed=(self.failed(first, fact),))
        # Every `when` test holds, so no `when_any` block does: the first failure of each block.
        failures = tuple(
            self.failed(next(test for test in group if not test.matches(fact)), fact, index)
            for index, group in enumerate(condition.any_of)
        )
        return Verdict(rule, section, line, False, failed=failures)

    def failed(self, test: Test, fact: Mapping[str, object], block: int | None = None) -> Failed:
        return Failed(test_words(test), test.field, self.actual(test.field, fact), block)

    def actual(self, name: str, fact: Mapping[str, object]) -> str:
        if name not in fact:
            return "not given"
        value = fact[name]
        if name in self.dates and isinstance(value, int):
            return dt.datetime.fromtimestamp(value, self.tz).isoformat()
        return value_words(name, value)


def explanation_lines(explanation: Explanation, only: str | None = None) -> list[str]:
    """The readable answer: per section, each rule FIRED with its effect, or not with the first failed test."""
    decision = explanation.decision
    lines = [f"complaint {decision['complaint_id']} under policy {decision['policy']['version']}"]
    section = None
    for verdict in explanation.verdicts:
        if only and verdict.rule != only:
            continue
        if verdict.section != section:
            section = verdict.section
            lines.append(f"{section}:")
        where = f"{verdict.rule} (line {verdict.line})"
        if verdict.fired:
            lines.append(f"  FIRED     {where}: {verdict.effect}")
            continue
        lines.append(f"  not fired {where}")
        for failed in verdict.failed:
            block = f"when_any block {failed.block}: " if failed.block is not None else ""
            lines.append(f"            {block}needs {failed.test}; here {failed.field} is {failed.actual}")
    return lines
