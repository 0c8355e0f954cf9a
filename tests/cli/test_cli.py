"""The `complaints` command line, through click's CliRunner."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from canonical import canonical_json
from cli.main import cli

HERE = Path(__file__).resolve().parents[1]  # tests/
DEFAULT = HERE.parent / "policies.yaml"
BROKEN = HERE / "policies" / "broken"


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def test_version_names_the_package_the_engine_and_the_store_schema(runner):
    from store.schema import head_revision

    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    package = version("complaint-decisions")
    assert result.output == (
        f"complaints {package}\npackage complaint-decisions {package}\nengine {package}\n"
        f"store schema revision {head_revision()}\n"
    )


def test_check_default_policy(runner):
    result = runner.invoke(cli, ["check", str(DEFAULT)])
    assert result.exit_code == 0, result.output
    assert "OK — version 2026.1" in result.stdout
    assert "59 rules" in result.stdout


def test_check_broken_policy_lists_every_problem(runner):
    file = BROKEN / "three_meaning_problems.yaml"
    result = runner.invoke(cli, ["check", str(file), "--lang", "en"])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith("      fix: ")]
    assert lines[0] == "3 problem(s) in the policy:"
    assert lines[1].strip().startswith(f"{file}:38:12: routing[R01_regulator].then.team: unknown team `legal`")
    assert lines[2].strip().startswith(f"{file}:43:12: remedies[M01_refund].when.order.colour: unknown field")
    assert (
        lines[3].strip()
        == f"{file}:48:5: remedies[M01_refund].id: duplicate rule id `M01_refund` (first used at line 41) [duplicate]"
    )
    assert "      fix: did you mean `legal_compliance`?" in result.stderr


def test_check_speaks_chinese_unless_asked_otherwise(runner, monkeypatch):
    file = BROKEN / "unknown_team.yaml"
    monkeypatch.delenv("COMPLAINTS_LANG", raising=False)
    chinese = runner.invoke(cli, ["check", str(file)]).stderr.splitlines()
    assert chinese == [
        "政策中有 1 个问题：",
        f"  {file}:38:12: routing[R01_regulator].then.team: 未定义的团队 `legal`；"
        "应为以下之一：legal_compliance, customer_service [unknown_name]",
        "      改法：是不是想写 `legal_compliance`？",
    ]
    monkeypatch.setenv("COMPLAINTS_LANG", "en")
    english = runner.invoke(cli, ["check", str(file)]).stderr.splitlines()
    assert english[0] == "1 problem(s) in the policy:" and english[2] == "      fix: did you mean `legal_compliance`?"
    assert runner.invoke(cli, ["check", str(file), "--lang", "zh"]).stderr.splitlines() == chinese


def test_check_bad_yaml(runner):
    result = runner.invoke(cli, ["check", str(BROKEN / "bad_yaml_syntax.yaml"), "--lang", "en"])
    assert result.exit_code == 1
    assert ":13:6: levels[manager]: a `{` … `}` is not closed" in result.stderr
    assert "look at line 11, where it opens" in result.stderr


def _write(tmp_path: Path, data) -> str:
    path = tmp_path / "complaint.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_decide_prints_the_decision(runner, tmp_path, complaint, decider):
    raw = complaint(category="counterfeit", order={"amount": "120.50"})
    result = runner.invoke(cli, ["decide", _write(tmp_path, raw), "--policy", str(DEFAULT)])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["complaint_id"] == "C-0001"
    assert decision["route"]["team"] == "legal_compliance"
    assert [(c["type"], c["amount"]) for c in decision["remedy"]["components"]] == [
        ("refund", "120.50"),
        ("punitive_damages", "500.00"),
    ]
    assert decision == json.loads(canonical_json(decider.decide(raw)))


def test_decide_compact_is_canonical_json(runner, tmp_path, complaint, decider):
    raw = complaint(category="logistics_delay")
    result = runner.invoke(cli, ["decide", _write(tmp_path, raw), "--compact", "--policy", str(DEFAULT)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == canonical_json(decider.decide(raw))


def test_decide_reads_amounts_as_decimal_from_stdin(runner, complaint):
    raw = json.dumps(complaint(category="price_dispute")).replace(
        '"category"', '"claim": {"amount": 19.90}, "category"'
    )
    result = runner.invoke(cli, ["decide", "-", "--compact", "--policy", str(DEFAULT)], input=raw)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["remedy"]["components"][0]["amount"] == "19.90"


def test_decide_invalid_complaint(runner, tmp_path, complaint):
    raw = complaint(channel="fax", order={"amount": "1.234"})
    result = runner.invoke(cli, ["decide", _write(tmp_path, raw), "--policy", str(DEFAULT)])
    assert result.exit_code == 1
    assert "the complaint cannot be decided:" in result.stderr
    assert "  channel: expected one of:" in result.stderr
    assert "  order.amount: expected at most 2 decimals, got 1.234" in result.stderr


def test_decide_not_json(runner, tmp_path):
    result = runner.invoke(cli, ["decide", _write(tmp_path, "{not json"), "--policy", str(DEFAULT)])
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr


def test_decide_with_a_broken_policy(runner, tmp_path, complaint):
    result = runner.invoke(
        cli,
        ["decide", _write(tmp_path, complaint()), "--policy", str(BROKEN / "unknown_team.yaml")],
        env={"COMPLAINTS_LANG": "en"},
    )
    assert result.exit_code == 1
    assert "unknown team `legal`" in result.stderr


@pytest.mark.parametrize(
    ("day", "code", "text"),
    [
        ("2026-10-10", 0, "2026-10-10 Saturday: working day — make-up working day (调休)"),
        ("2026-09-20", 0, "2026-09-20 Sunday: working day — make-up working day (调休)"),
        ("2026-10-01", 3, "2026-10-01 Thursday: non-working day — public holiday"),
        ("2026-02-23", 3, "2026-02-23 Monday: non-working day — public holiday"),
        ("2026-03-10", 0, "2026-03-10 Tuesday: working day — weekday"),
        ("2026-03-14", 3, "2026-03-14 Saturday: non-working day — weekend"),
        (
            "2027-10-01",
            3,
            "2027-10-01 Friday: non-working day — statutory holiday 国庆节 "
            "(year not in the policy calendar: statutory-holiday fallback)",
        ),
        (
            "2027-10-04",
            0,
            "2027-10-04 Monday: working day — weekday (year not in the policy calendar: statutory-holiday fallback)",
        ),
    ],
)
def test_calendar_is_working_day(runner, day, code, text):
    result = runner.invoke(cli, ["calendar", "is-working-day", day, "--policy", str(DEFAULT)])
    assert result.exit_code == code
    assert result.stdout.strip() == text


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-02-12", 3, "2026-02-24"),
        ("2026-09-18", 1, "2026-09-20"),
    ],
)
def test_calendar_add_working_days(runner, day, count, expected):
    result = runner.invoke(cli, ["calendar", "add-working-days", day, str(count), "--policy", str(DEFAULT)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == expected


def test_calendar_period_end(runner):
    result = runner.invoke(cli, ["calendar", "period-end", "2026-09-24", "7", "--policy", str(DEFAULT)])
    assert (result.exit_code, result.stdout.strip()) == (0, "2026-10-08")


def test_calendar_bad_date(runner):
    result = runner.invoke(cli, ["calendar", "add-working-days", "2026-13-01", "3", "--policy", str(DEFAULT)])
    assert result.exit_code == 2
    assert "expected a date like 2026-10-08" in result.output


def test_calendar_unknown_year_with_error_mode(runner, tmp_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        DEFAULT.read_text(encoding="utf-8").replace("outside_known_years: statutory", "outside_known_years: error"),
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["calendar", "add-working-days", "2026-12-30", "3", "--policy", str(strict)])
    assert result.exit_code == 1
    assert "calendar: 2027-01-01 is in 2027, which the policy calendar does not list" in result.stderr


BEFORE_EFFECTIVE = (
    "received_at: 2024-12-31T10:00:00+08:00 is before the first policy version in force "
    "(2026.1, effective 2025-01-01T00:00:00+08:00)"
)


def test_decide_refuses_a_complaint_received_before_the_policy_took_effect(runner, tmp_path, complaint):
    """As POST /v1/decisions does (422): the rules were not yet in force (issue 11, case 4)."""
    early = complaint(
        received_at="2024-12-31T10:00:00+08:00",
        order={"paid_at": "2024-12-01T10:00:00+08:00", "delivered_at": "2024-12-20T10:00:00+08:00"},
    )
    result = runner.invoke(cli, ["decide", _write(tmp_path, early), "--policy", str(DEFAULT)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"  {BEFORE_EFFECTIVE}" in result.stderr
