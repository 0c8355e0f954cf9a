"""Policy tests: example complaints and the parts of the decision compliance staff expect.

A tests file sits beside the policy (``policies.yaml`` -> ``policies.tests.yaml``)::

    defaults:                      # optional, merged into every complaint
      received_at: 2026-03-10T10:00:00+08:00
      channel: online_chat
    tests:
      - name: 七日内无理由退货，商品完好 — full refund, consumer pays return shipping
        complaint: {category: no_reason_return, order: {amount: "199.00", ...}}
        expect:
          route.team: customer_service
          remedy.components.0.type: return_refund
          remedy.components.0.amount: "199.00"
          deadlines.resolution.due_at: 2026-03-11T10:00:00+08:00
          fired: [M01_no_reason_return]       # rules the decision must cite
          not_fired: [R05_quality_high_value] # rules it must not cite

An ``expect`` key is a dotted path into the decision; in a list, a part is a
position (``components.0``) or the ``kind``/``type``/``id`` of an item
(``deadlines.refund``, ``remedy.components.resend``). Amounts compare as
numbers, timestamps as instants, lists of plain values in any order.
Problems in the file are reported at file:line:column, like policy problems.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import overload

from engine.complaint import ComplaintError, validate_complaint
from rules.errors import PolicyError, PolicyIssue
from rules.loader import read_policy_source
from rules.messages import Words, join, say, sentence
from rules.model import Policy
from rules.plain_words import describe
from rules.yaml_source import load_yaml_text

TOP_KEYS = ("defaults", "tests")
TEST_KEYS = ("name", "description", "complaint", "expect")
RULE_KEYS = ("fired", "not_fired")
DECISION_KEYS = (
    "complaint_id",
    "received_at",
    "category",
    "channel",
    "policy",
    "engine_version",
    "route",
    "remedy",
    "deadlines",
    "flags",
    "warnings",
    "explanation",
)
_MISSING = object()


@dataclass(frozen=True)
class PolicyTest:
    index: int
    name: str
    description: str | None
    complaint: dict  # JSON-ready, as a caller sends it
    expect: dict
    line: int
    expect_lines: dict[str, int]


@dataclass
class Outcome:
    test: PolicyTest
    failures: list[dict] = field(default_factory=list)  # {path, expected, actual, line}
    fired: list[str] = field(default_factory=list)
    error: str | None = None
    alternatives: list[tuple[str, int]] = field(default_factory=list)  # (rule, when_any index) that held
    # failure index -> (expected, actual) in the catalog's words, for the failures that are about rules cited
    said: dict[int, tuple[Words, Words]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


@dataclass
class Coverage:
    rules: list[str]  # every rule a test can exercise, in policy order
    exercised: dict[str, list[str]]  # rule id -> names of the tests citing it
    cannot_fire: dict[str, str]  # rule id -> why (an accepted lint finding)
    # rule id -> how many `when_any` alternatives it has (rules with `when_any` only)
    alternatives: dict[str, int] = field(default_factory=dict)
    # (rule id, alternative index) -> names of the tests under which that alternative held and the rule fired
    alternatives_exercised: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    cannot_fire_words: dict[str, Words] = field(default_factory=dict)  # rule id -> why, in the catalog's words

    @property
    def unexercised(self) -> list[str]:
        return [r for r in self.rules if r not in self.exercised and r not in self.cannot_fire]

    @property
    def unexercised_alternatives(self) -> list[tuple[str, int]]:
        """(rule, index) of each `when_any` alternative no test exercised, for rules that can fire."""
        return [
            (rule, index)
            for rule, count in self.alternatives.items()
            if rule not in self.cannot_fire
            for index in range(count)
            if (rule, index) not in self.alternatives_exercised
        ]

    @property
    def percent(self) -> int:
        """Rules and `when_any` alternatives exercised, as a whole percentage (rounded down)."""
        rules = [r for r in self.rules if r not in self.cannot_fire]
        alternatives = sum(n for r, n in self.alternatives.items() if r not in self.cannot_fire)
        total = len(rules) + alternatives
        done = len([r for r in rules if r in self.exercised]) + alternatives - len(self.unexercised_alternatives)
        return 100 if total == 0 else done * 100 // total


@dataclass
class Run:
    file: str
    policy: Policy
    outcomes: list[Outcome]
    coverage: Coverage

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]


def default_tests_path(policy_path: str | Path) -> Path:
    path = Path(policy_path)
    return path.with_name(f"{path.stem}.tests{path.suffix or '.yaml'}")


def load_tests_file(path: str | Path, policy: Policy) -> list[PolicyTest]:
    return load_tests_text(read_policy_source(path, "tests file"), policy, str(path))


def load_tests_text(text: str, policy: Policy, file: str = "<tests>") -> list[PolicyTest]:
    raw, source = load_yaml_text(text, file)
    issues: list[PolicyIssue] = []

    def problem(path: str, message: str) -> None:
        issues.append(source.issue(path, message, "tests"))

    if not isinstance(raw, dict):
        raise PolicyError([source.issue("", "expected a mapping with `tests:` (and optionally `defaults:`)", "tests")])
    for key in raw:
        if key not in TOP_KEYS:
            problem(str(key), f"unknown key; expected one of: {', '.join(TOP_KEYS)}")
    defaults = raw.get("defaults", {})
    if not isinstance(defaults, dict):
        problem("defaults", "expected a mapping of complaint fields")
        defaults = {}
    tests = raw.get("tests")
    if not isinstance(tests, list) or not tests:
        problem("tests", "expected a list of tests, each with name, complaint and expect")
        tests = []
    known_rules = set(policy.rules_by_id)
    names: dict[str, int] = {}
    result = []
    for index, item in enumerate(tests):
        path = f"tests.{index}"
        line = source.locate(path)[0]
        if not isinstance(item, dict):
            problem(path, "expected a test: a mapping with name, complaint and expect")
            continue
        for key in item:
            if key not in TEST_KEYS:
                problem(f"{path}.{key}", f"unknown key; expected one of: {', '.join(TEST_KEYS)}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problem(f"{path}.name" if "name" in item else path, "each test needs a `name` saying what it checks")
            name = f"test {index + 1}"
        elif name in names:
            problem(f"{path}.name", f"another test is already named this (line {names[name]})")
        names.setdefault(name, line)
        complaint = item.get("complaint")
        if not isinstance(complaint, dict):
            problem(f"{path}.complaint" if "complaint" in item else path, "expected `complaint:` with its fields")
            complaint = {}
        expect = item.get("expect")
        if not isinstance(expect, dict) or not expect:
            problem(f"{path}.expect" if "expect" in item else path, "expected `expect:` with at least one check")
            expect = {}
        merged = _jsonable(_merge(defaults, complaint))
        merged.setdefault("complaint_id", f"policy-test-{index + 1}")
        try:
            validate_complaint(merged, policy.levels)
        except ComplaintError as error:
            for field_path, messages in sorted(error.errors.items()):
                where = f"{path}.complaint.{field_path}" if field_path != "complaint" else f"{path}.complaint"
                if source.locate(where) == source.locate(path) and field_path in _flat_keys(defaults):
                    where = f"defaults.{field_path}"
                problem(where, "complaint: " + " ".join(messages))
        for key, value in expect.items():
            where = f"{path}.expect.{key}"
            key = str(key)
            if key in RULE_KEYS:
                ids = value if isinstance(value, list) else [value]
                for position, rule_id in enumerate(ids):
                    if rule_id not in known_rules:
                        problem(
                            f"{where}.{position}" if isinstance(value, list) else where, f"unknown rule `{rule_id}`"
                        )
            elif key.split(".")[0] not in DECISION_KEYS:
                problem(
                    where,
                    f"`{key}` is not part of a decision; start with one of: {', '.join(DECISION_KEYS + RULE_KEYS)}",
                )
        expect_lines = {str(key): source.locate(f"{path}.expect.{key}")[0] for key in expect}
        description = item.get("description")
        result.append(PolicyTest(index, name, description, merged, dict(expect), line, expect_lines))
    if issues:
        raise PolicyError(describe(issues, raw, text))
    return result


def run_tests(policy: Policy, tests: list[PolicyTest], file: str = "<tests>") -> Run:
    from engine.compiled import decider_for  # the engine needs durable_rules; loading tests does not

    decider = decider_for(policy)
    outcomes = []
    for test in tests:
        outcome = Outcome(test)
        try:
            decision = json.loads(json.dumps(decider.decide(test.complaint), default=str))
        except Exception as exc:  # report and go on: one broken test must not hide the others
            outcome.error = f"{type(exc).__name__}: {exc}"
            outcomes.append(outcome)
            continue
        outcome.fired = list(dict.fromkeys(rule["id"] for rule in decision["explanation"]["rules"]))
        outcome.alternatives = _alternatives_held(decider, test.complaint, decision, outcome.fired)
        for key, expected in test.expect.items():
            key = str(key)
            line = test.expect_lines.get(key, test.line)
            if key in RULE_KEYS:
                ids = expected if isinstance(expected, list) else [expected]
                wrong = [r for r in ids if (r in outcome.fired) != (key == "fired")]
                if wrong:
                    expected_words = say(
                        "test.cites" if key == "fired" else "test.does_not_cite", rules=join("sep.list", wrong)
                    )
                    cited = join("sep.list", outcome.fired) if outcome.fired else say("test.no_rule")
                    actual_words = say("test.cites", rules=cited)
                    outcome.said[len(outcome.failures)] = (expected_words, actual_words)
                    outcome.failures.append(
                        {"path": key, "expected": expected_words.text(), "actual": actual_words.text(), "line": line}
                    )
                continue
            actual = resolve(decision, key)
            if not same(expected, actual):
                outcome.failures.append({"path": key, "expected": show(expected), "actual": show(actual), "line": line})
        outcomes.append(outcome)
    return Run(file, policy, outcomes, coverage(policy, outcomes))


def coverage(policy: Policy, outcomes: list[Outcome]) -> Coverage:
    from rules.lint import lint_policy

    rules = [r.info.id for r in policy.all_rules] + [policy.approval_floor.id]
    exercised: dict[str, list[str]] = {}
    for outcome in outcomes:
        for rule_id in outcome.fired:
            exercised.setdefault(rule_id, []).append(outcome.test.name)
    cannot, cannot_words = {}, {}
    for finding in lint_policy(policy).accepted:
        if finding.code in ("contradiction", "shadowed", "redirected") and finding.rules:
            why = say("test.accepted_in_lint", code=finding.code, reason=finding.accepted)
            cannot[finding.rules[0]] = why.text()
            cannot_words[finding.rules[0]] = why
    alternatives = {r.info.id: len(r.condition.any_of) for r in policy.all_rules if r.condition.any_of}
    held: dict[tuple[str, int], list[str]] = {}
    for outcome in outcomes:
        for key in outcome.alternatives:
            held.setdefault(key, []).append(outcome.test.name)
    return Coverage(rules, exercised, cannot, alternatives, held, cannot_words)


def _alternatives_held(decider, complaint: dict, decision: dict, fired: list[str]) -> list[tuple[str, int]]:
    """Which `when_any` alternatives held for the rules that fired, tested on the facts the engine saw.

    The route fact is recomputed from the complaint; the deadline fact adds the decision so far,
    read back from the decision (team, level, remedy types, whether goods come back, route flags).
    """
    from engine.facts import deadline_fact, route_fact
    from rules.calendar import CountingTrace

    policy = decider.policy
    rules = {r.info.id: r for r in policy.all_rules if r.condition.any_of and r.info.id in fired}
    if not rules:
        return []
    valid = validate_complaint(complaint, policy.levels)
    windows = decider.compiled.windows_read[valid["category"]]  # as the engine counts them
    fact = route_fact(valid, policy, decider.calendar, CountingTrace(), windows)
    route, components = decision["route"], decision["remedy"]["components"]
    redirected = route.get("redirect") is not None
    route_flags = [f for f in decision["flags"] if f != "calendar_fallback"]
    stage2 = deadline_fact(
        fact,
        None if redirected else route.get("team"),
        route.get("level"),
        {c["type"] for c in components},
        any(c.get("goods_return") for c in components),
        route_flags,
    )
    deadline_ids = {r.info.id for r in policy.deadlines}
    held = []
    for rule_id, rule in rules.items():
        seen = stage2 if rule_id in deadline_ids else fact
        for index, group in enumerate(rule.condition.any_of):
            if all(test.matches(seen) for test in group):
                held.append((rule_id, index))
    return held


def coverage_summary(run: Run) -> dict:
    """Coverage per rule and per `when_any` alternative, and the percentage a threshold is held to."""
    cov = run.coverage
    countable = [r for r in cov.rules if r not in cov.cannot_fire]
    alternatives = {r: n for r, n in cov.alternatives.items() if r not in cov.cannot_fire}
    return {
        "percent": cov.percent,
        "rules": {"total": len(countable), "exercised": len([r for r in countable if r in cov.exercised])},
        "alternatives": {
            "total": sum(alternatives.values()),
            "exercised": sum(alternatives.values()) - len(cov.unexercised_alternatives),
        },
        "not_exercised": cov.unexercised
        + [f"{rule} when_any {index + 1}" for rule, index in cov.unexercised_alternatives],
        "cannot_fire": cov.cannot_fire,
    }


def resolve(decision: object, path: str) -> object:
    value = decision
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list):
            if part.isdigit():
                index = int(part)
                value = value[index] if index < len(value) else _MISSING
            else:
                value = next(
                    (
                        item
                        for item in value
                        if isinstance(item, dict) and part in (item.get("kind"), item.get("type"), item.get("id"))
                    ),
                    _MISSING,
                )
        else:
            value = _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def same(expected: object, actual: object) -> bool:
    if actual is _MISSING:
        return False
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return False
        if all(not isinstance(x, (dict, list)) for x in [*expected, *actual]):
            remaining = list(actual)
            for item in expected:
                match = next((i for i, a in enumerate(remaining) if same(item, a)), None)
                if match is None:
                    return False
                remaining.pop(match)
            return True
        return all(same(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(same(v, actual[k]) for k, v in expected.items())
        )
    if isinstance(expected, (int, Decimal)) or _number(expected) is not None:
        left, right = _number(expected), _number(actual)
        if left is not None and right is not None:
            return left == right
    if isinstance(expected, dt.datetime) or _instant(expected) is not None:
        left_at, right_at = _instant(expected), _instant(actual)
        if left_at is not None and right_at is not None:
            return left_at == right_at
    if isinstance(expected, dt.date):
        return str(actual) == expected.isoformat()
    return str(expected) == str(actual)


def show(value: object) -> str:
    if value is _MISSING:
        return "(not in the decision)"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(_jsonable(value), ensure_ascii=False)


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _instant(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else None
    if isinstance(value, str) and "T" in value:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else None
    return None


def _merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _flat_keys(data: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in data.items():
        name = f"{prefix}{key}"
        keys.add(name)
        if isinstance(value, dict):
            keys |= _flat_keys(value, f"{name}.")
    return keys


@overload
def _jsonable(value: dict) -> dict: ...
@overload
def _jsonable(value: object) -> object: ...
def _jsonable(value: object) -> object:
    """YAML values as a JSON caller would send them: timestamps as ISO text, amounts as Decimal."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def report_lines(run: Run, verbose: bool = False, lang: str = "en") -> list[str]:
    """The readable report: failures first (expected vs actual, the rules that fired), one summary line, coverage.

    A passing test is one line each only with ``verbose``: one failure must not hide among fifty PASS lines.
    In the catalog's words (rules/messages.py), English unless ``lang`` is zh; names, ids and lines unchanged.
    """

    def line_of(rule_id: str) -> int:
        return run.policy.rules_by_id[rule_id].line

    policy = run.policy
    lines = [
        sentence(
            "test.header",
            lang,
            file=run.file,
            count=len(run.outcomes),
            policy=policy.source_file,
            version=policy.version,
        )
    ]
    for outcome in run.failed:
        test = outcome.test
        lines.append(sentence("test.fail", lang, name=test.name, where=f"{run.file}:{test.line}"))
        if outcome.error:
            lines.append(sentence("test.could_not_decide", lang, error=outcome.error))
        for index, failure in enumerate(outcome.failures):
            expected, actual = outcome.said.get(index, (failure["expected"], failure["actual"]))
            lines.append(sentence("test.failure_at", lang, path=failure["path"], line=failure["line"]))
            lines.append(sentence("test.expected", lang, value=expected))
            lines.append(sentence("test.actual", lang, value=actual))
        if not outcome.error:
            fired = join("sep.list", outcome.fired) if outcome.fired else say("none")
            lines.append(sentence("test.fired", lang, rules=fired))
    if verbose:
        lines.extend(sentence("test.pass", lang, name=o.test.name) for o in run.outcomes if o.passed)
    passed = len(run.outcomes) - len(run.failed)
    lines.append(sentence("test.summary", lang, passed=passed, failed=len(run.failed)))
    cov = run.coverage
    countable = [r for r in cov.rules if r not in cov.cannot_fire]
    done = len([r for r in countable if r in cov.exercised])
    lines.append(sentence("test.rule_coverage", lang, done=done, total=len(countable)))
    if cov.unexercised:
        lines.append(sentence("test.unexercised", lang, count=len(cov.unexercised)))
        for rule_id in cov.unexercised:
            lines.append(sentence("test.unexercised_rule", lang, rule=rule_id, line=line_of(rule_id)))
    else:
        lines.append(sentence("test.unexercised_none", lang))
    if cov.alternatives:
        total = sum(n for r, n in cov.alternatives.items() if r not in cov.cannot_fire)
        missing = cov.unexercised_alternatives
        lines.append(sentence("test.alternatives", lang, done=total - len(missing), total=total))
        for rule_id, index in missing:
            lines.append(sentence("test.alternative", lang, rule=rule_id, line=line_of(rule_id), index=index + 1))
    lines.append(sentence("test.coverage", lang, percent=cov.percent))
    for rule_id, why in cov.cannot_fire.items():
        reason = cov.cannot_fire_words.get(rule_id, why)
        lines.append(sentence("test.cannot_fire", lang, rule=rule_id, line=line_of(rule_id), why=reason))
    return lines


def run_as_dict(run: Run) -> dict:
    return {
        "file": run.file,
        "policy": {"file": run.policy.source_file, "version": run.policy.version, "digest": run.policy.digest},
        "tests": [
            {
                "name": o.test.name,
                "line": o.test.line,
                "passed": o.passed,
                "error": o.error,
                "failures": o.failures,
                "fired": o.fired,
            }
            for o in run.outcomes
        ],
        "passed": len(run.outcomes) - len(run.failed),
        "failed": len(run.failed),
        "coverage": {
            "rules": len(run.coverage.rules),
            "unexercised": run.coverage.unexercised,
            "cannot_fire": run.coverage.cannot_fire,
            "percent": run.coverage.percent,
            "alternatives": sum(run.coverage.alternatives.values()),
            "unexercised_alternatives": [
                {"rule": rule, "alternative": index + 1} for rule, index in run.coverage.unexercised_alternatives
            ],
        },
    }
