"""The calendar on the command line: how much is left, drafting and importing a year."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

HERE = Path(__file__).resolve().parents[1]  # tests/
DEFAULT = HERE.parent / "policies.yaml"


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def test_lint_warns_when_less_calendar_than_the_horizon_is_left(runner):
    result = runner.invoke(cli, ["lint", str(DEFAULT), "--today", "2026-12-01"])
    assert result.exit_code == 0, result.output  # a warning: the exit code is the findings'
    assert (
        "calendar warning: 30 days of holiday calendar left (last listed day 2026-12-31), fewer than the 60 days"
        in result.stdout
    )
    assert "add 2027 from the State Council's notice" in result.stdout


def test_lint_says_ok_with_more_calendar_than_the_horizon(runner):
    result = runner.invoke(cli, ["lint", str(DEFAULT), "--today", "2026-10-31"])
    assert result.exit_code == 0, result.output
    assert "calendar ok: 61 days of holiday calendar left (last listed day 2026-12-31)" in result.stdout


def test_lint_json_reports_the_calendar_left(runner):
    result = runner.invoke(cli, ["lint", str(DEFAULT), "--json", "--today", "2027-01-05"])
    report = json.loads(result.stdout)
    assert report["calendar"] == {
        "today": "2027-01-05",
        "last_day": "2026-12-31",
        "days_left": -5,
        "warn_days": 60,
        "running_out": True,
    }


def test_the_horizon_is_the_policy_s_own(runner, tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text(
        DEFAULT.read_text(encoding="utf-8").replace(
            "  weekend: [saturday, sunday]\n", "  weekend: [saturday, sunday]\n  warn_days_before_end: 20\n"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["lint", str(policy), "--today", "2026-12-01"])
    assert "calendar ok: 30 days" in result.stdout
    result = runner.invoke(cli, ["check", str(policy), "--today", "2026-12-15"])
    assert result.exit_code == 0
    assert "calendar warning: 16 days of holiday calendar left" in result.stderr


def test_check_warns_only_when_the_calendar_runs_out(runner):
    assert "calendar" not in runner.invoke(cli, ["check", str(DEFAULT), "--today", "2026-01-10"]).stderr
    assert "calendar warning" in runner.invoke(cli, ["check", str(DEFAULT), "--today", "2026-12-01"]).stderr


def test_a_bad_today_is_a_usage_error(runner):
    result = runner.invoke(cli, ["lint", str(DEFAULT), "--today", "1 December"])
    assert result.exit_code == 2
    assert "expected a date like 2026-12-01" in result.output
