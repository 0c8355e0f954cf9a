"""The policy's timezone: a typo is refused when the policy loads (with the close match), and
periods on the clock run in real time, so 24 hours across a change of summer time are 24 hours."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from cli.main import cli
from rules.calendar import WorkCalendar
from rules.errors import PolicyError
from rules.loader import load_policy_file, load_policy_text

REPO = Path(__file__).resolve().parents[2]
MINIMAL = REPO / "tests" / "policies" / "minimal.yaml"


def _with_zone(zone: str) -> str:
    text = MINIMAL.read_text(encoding="utf-8")
    return text.replace(
        "  effective_from: 2026-01-10T00:00:00+08:00\n",
        f"  effective_from: 2026-01-10T00:00:00+08:00\n  timezone: {zone}\n",
    )


def test_a_zone_typo_is_refused_with_the_close_match():
    with pytest.raises(PolicyError) as caught:
        load_policy_text(_with_zone("Asia/Shangai"), "m.yaml")
    (issue,) = caught.value.issues
    assert (issue.path, issue.line) == ("policy.timezone", 7)
    assert issue.text("en") == (
        "unknown time zone `Asia/Shangai`; expected an IANA time zone name such as Asia/Shanghai: "
        "did you mean `Asia/Shanghai`?"
    )
    assert (
        issue.text("zh")
        == "未知的时区 `Asia/Shangai`；应为 IANA 时区名称，例如 Asia/Shanghai。是不是 `Asia/Shanghai`？"
    )


@pytest.mark.parametrize("zone", ["Nowhere/AtAll", "../../etc/passwd", '""'])
def test_a_zone_that_is_no_zone_is_refused(zone):
    with pytest.raises(PolicyError) as caught:
        load_policy_text(_with_zone(zone), "m.yaml")
    assert [issue.path for issue in caught.value.issues] == ["policy.timezone"]


def test_check_refuses_the_typo_that_decide_would_trip_on(tmp_path):
    path = tmp_path / "policies.yaml"
    path.write_text(_with_zone("Asia/Shangai"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "did you mean `Asia/Shanghai`?" in result.stderr and "Traceback" not in result.output


def test_a_zone_with_summer_time_loads():
    assert load_policy_text(_with_zone("Europe/Berlin"), "m.yaml").timezone == "Europe/Berlin"


@pytest.fixture(scope="module")
def berlin() -> WorkCalendar:
    policy = load_policy_file(REPO / "policies.yaml")
    return WorkCalendar(dataclasses.replace(policy.calendar, outside_known_years="weekends_only"), "Europe/Berlin")


def test_24_hours_across_the_spring_change_are_24_real_hours(berlin):
    # Berlin went from +01:00 to +02:00 at 02:00 on 29 March 2026: the wall clock skips an hour.
    event = dt.datetime(2026, 3, 28, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    due = berlin.period_end(event, "hours", 24)
    assert due - event.astimezone(dt.UTC) == dt.timedelta(hours=24)
    assert due.isoformat() == "2026-03-29T13:00:00+02:00"
    assert berlin.within(event, due, "hours", 24) and not berlin.within(
        event, due + dt.timedelta(seconds=1), "hours", 24
    )


def test_24_hours_across_the_autumn_change_are_24_real_hours(berlin):
    event = dt.datetime(2026, 10, 24, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    due = berlin.period_end(event, "hours", 24)
    assert due.isoformat() == "2026-10-25T11:00:00+01:00"
    assert berlin.period_end(event, "minutes", 24 * 60) == due
    assert berlin.within(event, due, "minutes", 24 * 60)
    assert not berlin.within(event, due + dt.timedelta(minutes=1), "minutes", 24 * 60)


def test_shanghai_clock_periods_are_unchanged():
    policy = load_policy_file(REPO / "policies.yaml")
    cal = WorkCalendar(policy.calendar, policy.timezone)
    event = dt.datetime(2026, 9, 30, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert cal.period_end(event, "hours", 48).isoformat() == "2026-10-02T11:00:00+08:00"
    assert cal.period_end(event, "minutes", 15).isoformat() == "2026-09-30T11:15:00+08:00"
