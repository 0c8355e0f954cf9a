"""`complaints explain`: why each rule fired or did not, read from the policy's parsed conditions on
the facts the engine saw, and never disagreeing with the engine about what fired."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bench.corpus import generate
from cli.main import cli
from engine.complaint import validate_complaint
from engine.why import engine_fired, explain
from lifecycle.policy_tests import load_tests_file
from tests.helpers.policy_lang_files import DEFAULT_TESTS, ROOT

EXAMPLE = ROOT / "examples" / "complaint.json"


def test_explain_fires_exactly_what_the_engine_fires_over_the_corpus(decider):
    checked = 0
    for raw in generate(3000, seed=14):
        answer = explain(decider, validate_complaint(raw, decider.policy.levels))
        assert answer.fired == engine_fired(answer.facts), raw["complaint_id"]
        checked += 1
    assert checked == 3000


def test_every_routing_rule_is_answered_for_the_policy_tests_complaints(decider):
    policy = decider.policy
    routing = [rule.info.id for rule in policy.routing]
    seen_fired, seen_not = set(), set()
    for test in load_tests_file(DEFAULT_TESTS, policy):
        answer = explain(decider, validate_complaint(test.complaint, policy.levels))
        verdicts = {v.rule: v for v in answer.verdicts if v.section == "routing"}
        assert list(verdicts) == routing
        cited = {rule["id"] for rule in answer.decision["explanation"]["rules"]}
        for rule_id, verdict in verdicts.items():
            assert verdict.fired == (rule_id in cited), (test.name, rule_id)
            if verdict.fired:
                seen_fired.add(rule_id)
            else:
                seen_not.add(rule_id)
                assert verdict.failed and all(f.test and f.actual for f in verdict.failed)
    assert seen_fired == set(routing) and seen_not == set(routing)


def test_the_first_failed_test_names_the_complaint_s_value(decider):
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    answer = explain(decider, validate_complaint(raw, decider.policy.levels))
    verdicts = {v.rule: v for v in answer.verdicts}
    (failed,) = verdicts["R01_regulator_channel"].failed
    assert (failed.test, failed.field, failed.actual) == ("channel is regulator", "channel", "online_chat")
    assert verdicts["R05_quality_high_value"].fired
    (amount,) = verdicts["M01_no_reason_return"].failed
    assert amount.actual == "quality_defect"  # the category comes first, as the engine guards a remedy rule
    raw["order"]["amount"] = "1999.00"
    cheaper = explain(decider, validate_complaint(raw, decider.policy.levels))
    (below,) = {v.rule: v for v in cheaper.verdicts}["R05_quality_high_value"].failed
    assert (below.test, below.actual) == ("order.amount above 2000.00", "1999.00")


def test_the_command(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["explain", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "  FIRED     R05_quality_high_value (line " in result.stdout
    assert "            needs channel is regulator; here channel is online_chat" in result.stdout
    one = runner.invoke(cli, ["explain", str(EXAMPLE), "--rule", "R01_regulator_channel", "--json"])
    payload = json.loads(one.stdout)
    assert [r["rule"] for r in payload["rules"]] == ["R01_regulator_channel"]
    assert payload["rules"][0]["failed"][0]["actual"] == "online_chat"
    wrong = runner.invoke(cli, ["explain", str(EXAMPLE), "--rule", "R01_regulatr_channel"])
    assert wrong.exit_code == 1 and "did you mean `R01_regulator_channel`?" in wrong.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    assert runner.invoke(cli, ["explain", str(bad)]).exit_code == 2


def test_the_policy_option_is_used(tmp_path):
    other = tmp_path / "other.yaml"
    text = (ROOT / "policies.yaml").read_text(encoding="utf-8")
    other.write_text(text.replace('version: "2026.1"', 'version: "explain.1"', 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["explain", str(EXAMPLE), "--policy", str(other)])
    assert result.stdout.splitlines()[0].endswith("under policy explain.1")
