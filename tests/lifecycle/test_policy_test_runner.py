"""`complaints test`: compliance staff's YAML examples, pass/fail, coverage, located errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from cli.main import cli
from lifecycle.policy_tests import default_tests_path, load_tests_file, load_tests_text, resolve, run_tests, same
from rules.errors import PolicyError
from rules.loader import load_policy_file
from tests.helpers.policy_lang_files import DEFAULT_POLICY, DEFAULT_TESTS, line_of

HEAD = """defaults:
  received_at: 2026-03-10T10:00:00+08:00
  channel: online_chat
  order: {amount: "199.00"}
tests:
"""


@pytest.fixture(scope="module")
def policy():
    return load_policy_file(DEFAULT_POLICY)


def _run(policy, body: str, file: str = "t.tests.yaml"):
    return run_tests(policy, load_tests_text(HEAD + body, policy, file), file)


def test_the_shipped_suite_passes_and_exercises_every_rule(policy):
    assert default_tests_path(DEFAULT_POLICY) == DEFAULT_TESTS
    run = run_tests(policy, load_tests_file(DEFAULT_TESTS, policy), str(DEFAULT_TESTS))
    assert [o.test.name for o in run.failed] == []
    assert run.coverage.unexercised == []
    every = {r.info.id for r in (*policy.routing, *policy.remedies, *policy.deadlines)}
    assert every - set(run.coverage.exercised) == {"M27_not_consumer_dispute"}
    # ... which lint proves cannot fire (R13 redirects first), accepted in the policy.
    assert set(run.coverage.cannot_fire) == {"M27_not_consumer_dispute"}
    assert "A01_level_not_below_approval" in run.coverage.exercised


def test_pass_and_fail_with_expected_and_actual(policy):
    body = """  - name: 漏发商品 — logistics resends it
    complaint: {category: missing_item}
    expect:
      route.team: logistics
      remedy.components.resend.amount: 199
      deadlines.resolution.due_at: 2026-03-12T02:00:00Z
      fired: [R03_logistics, M10_wrong_or_missing_resend]
  - name: wrong expectations
    complaint: {category: missing_item}
    expect:
      route.team: customer_service
      remedy.components.0.amount: "300.00"
      deadlines.refund.due_at: 2026-03-11T10:00:00+08:00
      not_fired: [R03_logistics]
"""
    run = _run(policy, body)
    good, bad = run.outcomes
    assert good.passed
    assert not bad.passed
    text = HEAD + body
    assert bad.failures == [
        {
            "path": "route.team",
            "expected": "customer_service",
            "actual": "logistics",
            "line": line_of(text, "route.team: customer_service"),
        },
        {
            "path": "remedy.components.0.amount",
            "expected": "300.00",
            "actual": "199.00",
            "line": line_of(text, '"300.00"'),
        },
        {
            "path": "deadlines.refund.due_at",
            "expected": "2026-03-11T10:00:00+08:00",
            "actual": "(not in the decision)",
            "line": line_of(text, "deadlines.refund.due_at"),
        },
        {
            "path": "not_fired",
            "expected": "does not cite R03_logistics",
            "actual": "cites R03_logistics, M10_wrong_or_missing_resend, D03_first_response_working, D06_resolution_complex",
            "line": line_of(text, "not_fired"),
        },
    ]


def test_coverage_lists_the_rules_no_test_exercises(policy):
    run = _run(policy, "  - name: other\n    complaint: {category: other}\n    expect: {remedy.rule: M26_other}\n")
    assert set(run.coverage.exercised) == {"M26_other", "D03_first_response_working", "D05_resolution_ordinary"}
    assert "R01_regulator_channel" in run.coverage.unexercised
    assert len(run.coverage.unexercised) == len(run.coverage.rules) - 3 - 1  # minus exercised and M27


@pytest.mark.parametrize(
    ("body", "fragment", "path", "message"),
    [
        (
            "  - name: typo\n    complaint: {category: other}\n    expect: {route.team: x}\n    expcet: {x: 1}\n",
            "expcet",
            "tests.0.expcet",
            "unknown key; expected one of: name, description, complaint, expect",
        ),
        (
            "  - complaint: {category: other}\n    expect: {route.team: x}\n",
            "complaint: {category: other}",
            "tests.0",
            "each test needs a `name` saying what it checks",
        ),
        (
            "  - name: bad amount\n    complaint: {category: other, order: {amount: 12.345}}\n    expect: {route.team: x}\n",
            "amount: 12.345",
            "tests.0.complaint.order.amount",
            "the complaint would be refused: expected at most 2 decimals, got 12.345",
        ),
        (
            "  - name: bad channel\n    complaint:\n      category: other\n      channel: wechat\n    expect: {route.team: x}\n",
            "channel: wechat",
            "tests.0.complaint.channel",
            "the complaint would be refused: expected one of:",
        ),
        (
            "  - name: unknown rule\n    complaint: {category: other}\n    expect:\n      fired: [M26_other, M99]\n",
            "M99",
            "tests.0.expect.fired.1",
            "unknown rule `M99`",
        ),
        (
            "  - name: not a decision part\n    complaint: {category: other}\n    expect: {routing.team: x}\n",
            "routing.team",
            "tests.0.expect.routing.team",
            "`routing.team` is not part of a decision",
        ),
    ],
    ids=["unknown_key", "no_name", "bad_amount", "bad_channel", "unknown_rule", "unknown_path"],
)
def test_errors_in_the_tests_file_are_located(policy, body, fragment, path, message):
    with pytest.raises(PolicyError) as caught:
        load_tests_text(HEAD + body, policy, "t.tests.yaml")
    (issue,) = caught.value.issues
    line = line_of(HEAD + body, fragment)
    column = (HEAD + body).splitlines()[line - 1].index(fragment) + 1
    assert (issue.file, issue.line, issue.column, issue.path) == ("t.tests.yaml", line, column, path)
    assert message in issue.message
    assert str(issue).startswith(f"t.tests.yaml:{issue.line}:{column}: {path}: ")


def test_yaml_syntax_error_and_duplicate_names(policy):
    with pytest.raises(PolicyError) as caught:
        load_tests_text(HEAD + "  - name: a: b\n", policy, "t.tests.yaml")
    assert "invalid YAML" in str(caught.value) and "t.tests.yaml:6:" in str(caught.value)
    twice = "  - name: same\n    complaint: {category: other}\n    expect: {route.level: frontline}\n"
    with pytest.raises(PolicyError, match=r"another test is already named this \(line 6\)"):
        load_tests_text(HEAD + twice + twice, policy, "t.tests.yaml")


def test_paths_and_comparisons():
    decision = {
        "deadlines": [{"kind": "first_response", "due_at": "2026-03-10T10:15:00+08:00"}],
        "remedy": {"components": [{"type": "refund", "amount": "199.00"}]},
        "flags": ["a", "b"],
    }
    assert resolve(decision, "deadlines.first_response.due_at") == "2026-03-10T10:15:00+08:00"
    assert resolve(decision, "remedy.components.refund.amount") == "199.00"
    assert resolve(decision, "remedy.components.0.type") == "refund"
    assert not same("x", resolve(decision, "remedy.components.1.type"))
    assert same(Decimal("199"), "199.00") and same("199.0", "199.00") and not same(Decimal("199.01"), "199.00")
    import datetime as dt

    utc = dt.datetime(2026, 3, 10, 2, 15, tzinfo=dt.UTC)
    assert same(utc, "2026-03-10T10:15:00+08:00")
    assert same(["b", "a"], ["a", "b"]) and not same(["a"], ["a", "b"])
    assert same(None, None) and not same(None, "x") and not same(False, 0)


def test_cli_report_and_exit_codes(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--lang", "en"])
    assert result.exit_code == 0, result.output
    policy = load_policy_file(DEFAULT_POLICY)
    count = len(load_tests_file(DEFAULT_TESTS, policy))
    rules = len(policy.routing) + len(policy.remedies) + len(policy.deadlines)
    assert f"{count} passed, 0 failed" in result.stdout
    assert f"Rule coverage: {rules} of {rules} rules exercised by at least one test" in result.stdout
    assert "not exercised by any test: none" in result.stdout
    assert "when_any coverage: 15 of 15 alternatives exercised" in result.stdout
    assert "Coverage: 100% of rules and when_any alternatives" in result.stdout
    chinese = runner.invoke(cli, ["test", str(DEFAULT_POLICY)]).stdout  # Chinese by default
    assert f"{count} 个通过，0 个失败" in chinese
    assert f"规则覆盖：{rules} 条规则中有 {rules} 条至少被一个测试用到" in chinese
    assert "  没有被任何测试用到的规则：无" in chinese
    assert "when_any 覆盖：15 个备选条件中有 15 个被用到" in chinese
    assert "覆盖率：规则与 when_any 备选条件的 100%" in chinese
    assert "  不可能触发，不计入：M27_not_consumer_dispute（第 " in chinese and "（已在 lint 中接受：" in chinese
    assert "passed" not in chinese and "Coverage" not in chinese
    tests = tmp_path / "mine.tests.yaml"
    tests.write_text(
        HEAD
        + "  - name: expect the wrong team\n    complaint: {category: privacy}\n    expect: {route.team: logistics}\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--lang", "en"])
    assert result.exit_code == 1
    assert f"  FAIL  expect the wrong team  ({tests}:6)" in result.stdout
    assert "            expected: logistics\n            actual:   legal_compliance" in result.stdout
    assert "  not exercised by any test (" in result.stdout and "    R01_regulator_channel (line " in result.stdout
    result = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--json"])
    payload = json.loads(result.stdout)
    assert payload["failed"] == 1 and payload["tests"][0]["failures"][0]["path"] == "route.team"
    tests.write_text(
        HEAD + "  - name: x\n    complaint: {category: otherr}\n    expect: {route.team: x}\n", encoding="utf-8"
    )
    result = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--lang", "en"])
    assert result.exit_code == 1
    assert f"{tests}:7:17: tests.0.complaint.category: the complaint would be refused: expected one of" in result.stderr
    chinese = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests)])
    assert chinese.stderr.startswith("测试文件中有 1 个问题：")
    assert f"{tests}:7:17: tests.0.complaint.category: 这条投诉会被拒收：expected one of" in chinese.stderr
    passing = tmp_path / "ok.tests.yaml"
    passing.write_text(HEAD + "  - name: x\n    complaint: {category: other}\n    expect: {route.level: frontline}\n")
    assert runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(passing)]).exit_code == 0
    result = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(passing), "--require-coverage"])
    assert result.exit_code == 1


def test_the_report_puts_failures_first_and_lists_passes_only_when_asked(tmp_path):
    tests = tmp_path / "mixed.tests.yaml"
    passing = "  - name: privacy goes to legal\n    complaint: {category: privacy}\n    expect: {route.team: legal_compliance}\n"
    failing = (
        "  - name: expect the wrong team\n    complaint: {category: privacy}\n    expect: {route.team: logistics}\n"
    )
    tests.write_text(HEAD + passing + failing + passing.replace("privacy goes", "privacy again goes"), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--lang", "en"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[1] == f"  FAIL  expect the wrong team  ({tests}:9)"
    assert lines[2:5] == [
        "        route.team (line 11)",
        "            expected: logistics",
        "            actual:   legal_compliance",
    ]
    assert lines[5].startswith("        rules that fired: R02_legal_matters")
    assert "PASS" not in result.stdout
    summary = [line for line in lines if line.endswith(" failed")]
    assert summary == ["2 passed, 1 failed"] and lines.index(summary[0]) == 6
    verbose = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "-v", "--lang", "en"])
    assert verbose.stdout.count("  PASS  ") == 2
    assert verbose.stdout.index("  FAIL  ") < verbose.stdout.index("  PASS  privacy goes to legal")
    # The same report in Chinese, the default for policy authors: names, paths and lines unchanged.
    chinese = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "-v"]).stdout.splitlines()
    assert chinese[0] == f"{tests}：3 个测试，针对 {DEFAULT_POLICY}（版本 2026.1）"
    assert chinese[1:5] == [
        f"  失败  expect the wrong team  （{tests}:9）",
        "        route.team（第 11 行）",
        "            预期：logistics",
        "            实际：legal_compliance",
    ]
    assert chinese[5].startswith("        触发的规则：R02_legal_matters")
    assert "  通过  privacy goes to legal" in chinese and "2 个通过，1 个失败" in chinese


def test_a_rule_expectation_reads_in_both_languages(tmp_path):
    tests = tmp_path / "cites.tests.yaml"
    tests.write_text(
        HEAD
        + "  - name: wrong rule\n    complaint: {category: privacy}\n    expect: {fired: [R01_regulator_channel]}\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    english = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--lang", "en"]).stdout
    assert "            expected: cites R01_regulator_channel" in english
    assert "            actual:   cites R02_legal_matters" in english
    chinese = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--lang", "zh"]).stdout
    assert "            预期：引用 R01_regulator_channel" in chinese
    assert "            实际：引用 R02_legal_matters" in chinese
    payload = json.loads(runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--json"]).stdout)
    assert payload["tests"][0]["failures"][0]["expected"] == "cites R01_regulator_channel"


def test_coverage_counts_each_when_any_alternative_and_min_coverage_gates_it(tmp_path):
    runner = CliRunner()
    shipped = (DEFAULT_POLICY.parent / "policies.tests.yaml").read_text(encoding="utf-8")
    # Only the "used goods" test reaches M03: its second alternative (condition unstated) goes untested.
    lacking = shipped.replace(
        "      order: {delivered_at: 2026-03-05T15:00:00+08:00}\n",
        "      order: {delivered_at: 2026-03-05T15:00:00+08:00, goods_condition: damaged}\n",
        1,
    )
    tests = tmp_path / "lacking.tests.yaml"
    tests.write_text(lacking, encoding="utf-8")
    result = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--lang", "en"])
    assert result.exit_code == 0, result.output  # every rule still fires: --require-coverage alone passes
    assert "when_any coverage: 14 of 15 alternatives exercised" in result.stdout
    assert "M03_no_reason_return_goods_not_intact (line 258) when_any alternative 2" in result.stdout
    assert "Coverage: 98% of rules and when_any alternatives" in result.stdout
    strict = runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--min-coverage", "99"])
    assert strict.exit_code == 1 and "覆盖率 98% 低于 --min-coverage 99%" in strict.stderr
    assert "M03_no_reason_return_goods_not_intact（第 258 行）when_any 第 2 个备选条件" in strict.stdout
    strict = runner.invoke(
        cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--min-coverage", "99", "--lang", "en"]
    )
    assert strict.exit_code == 1 and "coverage 98% is below --min-coverage 99%" in strict.stderr
    assert (
        runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--min-coverage", "98"]).exit_code == 0
    )
    payload = json.loads(runner.invoke(cli, ["test", str(DEFAULT_POLICY), "--tests", str(tests), "--json"]).stdout)
    assert payload["coverage"]["percent"] == 98
    assert payload["coverage"]["unexercised_alternatives"] == [
        {"rule": "M03_no_reason_return_goods_not_intact", "alternative": 2}
    ]
