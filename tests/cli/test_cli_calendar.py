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
    result = runner.invoke(cli, ["lint", str(DEFAULT), "--today", "2026-12-01", "--lang", "en"])
    assert result.exit_code == 0, result.output  # a warning: the exit code is the findings'
    assert (
        "calendar warning: 30 days of holiday calendar left (last listed day 2026-12-31), fewer than the 60 days"
        in result.stdout
    )
    assert "add 2027 from the State Council's notice" in result.stdout
    # Chinese is the command line's default for policy authors.
    result = runner.invoke(cli, ["lint", str(DEFAULT), "--today", "2026-12-01"])
    assert (
        "：日历警告：节假日日历还剩 30 天（最后列出的日期为 2026-12-31），少于 calendar.warn_days_before_end "
        "规定的 60 天：请按国务院办公厅的放假通知补上 2027 年"
    ) in result.stdout
    assert "holiday calendar" not in result.stdout


def test_lint_says_the_calendar_ran_out_in_both_languages(runner):
    en = runner.invoke(cli, ["lint", str(DEFAULT), "--today", "2027-01-05", "--lang", "en"]).stdout
    assert "calendar warning: the holiday calendar ran out on 2026-12-31 (5 days ago)" in en
    zh = runner.invoke(cli, ["lint", str(DEFAULT), "--today", "2027-01-05", "--lang", "zh"]).stdout
    assert "日历警告：节假日日历已于 2026-12-31 用完（5 天前）" in zh
    assert "在此之前，2027 年按 calendar.outside_known_years 计算" in zh


def test_lint_says_ok_with_more_calendar_than_the_horizon(runner):
    result = runner.invoke(cli, ["lint", str(DEFAULT), "--today", "2026-10-31", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert (
        "日历正常：节假日日历还剩 61 天" in runner.invoke(cli, ["lint", str(DEFAULT), "--today", "2026-10-31"]).stdout
    )
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
    result = runner.invoke(cli, ["lint", str(policy), "--today", "2026-12-01", "--lang", "en"])
    assert "calendar ok: 30 days" in result.stdout
    result = runner.invoke(cli, ["check", str(policy), "--today", "2026-12-15", "--lang", "en"])
    assert result.exit_code == 0
    assert "calendar warning: 16 days of holiday calendar left" in result.stderr


def test_check_warns_only_when_the_calendar_runs_out(runner):
    assert "calendar" not in runner.invoke(cli, ["check", str(DEFAULT), "--today", "2026-01-10"]).stderr
    assert (
        "calendar warning"
        in runner.invoke(cli, ["check", str(DEFAULT), "--today", "2026-12-01", "--lang", "en"]).stderr
    )
    assert "日历警告" in runner.invoke(cli, ["check", str(DEFAULT), "--today", "2026-12-01", "--lang", "zh"]).stderr


def test_a_bad_today_is_a_usage_error(runner):
    result = runner.invoke(cli, ["lint", str(DEFAULT), "--today", "1 December"])
    assert result.exit_code == 2
    assert "expected a date like 2026-12-01" in result.output


NOTICES = HERE / "calendar_notices"


def test_calendar_import_prints_the_block(runner):
    result = runner.invoke(cli, ["calendar", "import", str(NOTICES / "2025.txt")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "      holidays:",
        "        - 2025-01-01               # 元旦",
        "        - 2025-01-28..2025-02-04   # 春节",
        "        - 2025-04-04..2025-04-06   # 清明节",
        "        - 2025-05-01..2025-05-05   # 劳动节",
        "        - 2025-05-31..2025-06-02   # 端午节",
        "        - 2025-10-01..2025-10-08   # 国庆节、中秋节",
        "      makeup_working_days: [2025-01-26, 2025-02-08, 2025-04-27, 2025-09-28, 2025-10-11]",
    ]


def test_calendar_import_names_days_of_another_year(runner):
    result = runner.invoke(cli, ["calendar", "import", str(NOTICES / "2023.txt"), "--lang", "en"])
    assert result.exit_code == 0
    assert "note: 2022-12-31 is in 2022, not 2023: enter it in the 2022 block" in result.stderr
    result = runner.invoke(cli, ["calendar", "import", str(NOTICES / "2023.txt")])
    assert "注意：2022-12-31 属于 2022 年，不是 2023 年：请把它填入 2022 年的部分" in result.stderr


def test_calendar_import_refuses_lines_it_cannot_read(runner, tmp_path):
    bad = tmp_path / "notice.txt"
    bad.write_text("国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：1月1日（周四）放假1天。\n", encoding="utf-8")
    result = runner.invoke(cli, ["calendar", "import", str(bad), "--lang", "en"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{bad}: not imported, 1 line(s) cannot be read:")
    assert f"{bad}:2: 2027-01-01 is a Friday (周五), the notice says 周四" in result.stderr
    result = runner.invoke(cli, ["calendar", "import", str(bad)])  # Chinese by default
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"{bad}：未导入，有 1 行无法读取：")
    assert f"{bad}:2: 2027-01-01 是星期五（周五），通知写的是周四" in result.stderr
    assert "Friday" not in result.stderr


def test_calendar_import_takes_the_year_when_the_title_is_missing(runner, tmp_path):
    body = tmp_path / "items.txt"
    body.write_text("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。\n", encoding="utf-8")
    assert runner.invoke(cli, ["calendar", "import", str(body)]).exit_code == 1
    result = runner.invoke(cli, ["calendar", "import", str(body), "--year", "2026"])
    assert "makeup_working_days: [2026-01-04]" in result.stdout


def test_calendar_draft_prints_the_statutory_days(runner):
    result = runner.invoke(cli, ["calendar", "draft", "2027"])
    assert result.exit_code == 0
    assert "        - 2027-02-05..2027-02-08   # 春节 (statutory)" in result.stdout
    assert result.stdout.rstrip().endswith("makeup_working_days: []   # TO COMPLETE")
