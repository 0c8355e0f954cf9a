"""The `statutory` calendar fallback: weekends plus the statutory holidays of the national holiday rules."""

from __future__ import annotations

import dataclasses
import datetime as dt

import chinese_calendar
import pytest

from engine.compiled import decider_for_text
from rules.calendar import CountingTrace, WorkCalendar
from rules.statutory_holidays import statutory_holidays

# chinesecalendar's names for the festivals of the law
CHINESE_CALENDAR_NAMES = {
    "元旦": "New Year's Day",
    "春节": "Spring Festival",
    "清明节": "Tomb-sweeping Day",
    "劳动节": "Labour Day",
    "端午节": "Dragon Boat Festival",
    "中秋节": "Mid-autumn Festival",
    "国庆节": "National Day",
}
DAYS_PER_FESTIVAL = {"元旦": 1, "春节": 4, "清明节": 1, "劳动节": 2, "端午节": 1, "中秋节": 1, "国庆节": 3}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_days_agree_with_chinesecalendar(year):
    days = statutory_holidays(year)
    counts: dict[str, int] = {}
    for day, festival in days.items():
        counts[festival] = counts.get(festival, 0) + 1
        on, name = chinese_calendar.get_holiday_detail(day)
        assert on and name == CHINESE_CALENDAR_NAMES[festival], (day, festival, name)
    assert counts == DAYS_PER_FESTIVAL
    assert len(days) == 13


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_state_council_s_days_contain_every_statutory_day(policy, year):
    """The notice adds bridging days to the statutory ones, never removes one."""
    assert set(statutory_holidays(year)) <= {day for day in policy.calendar.holidays if day.year == year}


def test_spring_festival_starts_on_new_year_s_eve():
    assert [day for day, name in statutory_holidays(2027).items() if name == "春节"] == [
        d("2027-02-05"),
        d("2027-02-06"),
        d("2027-02-07"),
        d("2027-02-08"),
    ]


@pytest.fixture(scope="module")
def fallback(policy):
    """The default calendar without 2026, so 2026 is counted on the fallback and can be checked."""
    spec = policy.calendar
    spec = dataclasses.replace(
        spec,
        years=tuple(y for y in spec.years if y != 2026),
        holidays=frozenset(day for day in spec.holidays if day.year != 2026),
        makeup_working_days=frozenset(day for day in spec.makeup_working_days if day.year != 2026),
        outside_known_years="statutory",
    )
    return WorkCalendar(spec, policy.timezone)


def test_fallback_counts_statutory_holidays_and_weekends(fallback):
    trace = CountingTrace()
    assert fallback.is_working_day(d("2026-10-01"), trace) is False  # 国庆节, a Thursday
    assert fallback.is_working_day(d("2026-10-05"), trace) is True  # a bridging day only the notice gives
    assert fallback.is_working_day(d("2026-10-10"), trace) is False  # a make-up Saturday only the notice gives
    assert fallback.is_working_day(d("2026-02-16"), trace) is False  # 除夕
    assert trace.fallback_years == {2026}
    assert trace.fallback_holidays == {d("2026-10-01"): "国庆节", d("2026-02-16"): "春节"}


def test_fallback_differs_from_the_notice_only_by_bridging_and_make_up_days(policy, fallback):
    full = WorkCalendar(policy.calendar, policy.timezone)
    day, differ = d("2026-01-01"), []
    while day.year == 2026:
        if full.is_working_day(day) != fallback.is_working_day(day):
            differ.append(day)
        day += dt.timedelta(days=1)
    statutory = set(statutory_holidays(2026))
    for day in differ:
        assert day not in statutory
        assert day in policy.calendar.makeup_working_days or (
            day in policy.calendar.holidays and day.isoweekday() < 6
        ), day


def test_a_decision_counted_on_the_statutory_fallback_says_which_days_counted(policy, complaint):
    # the default policy without its 2026 block: 2026 is counted on the fallback
    text = policy.text
    start = text.index("    2026:\n")
    end = text.index("makeup_working_days: [2026-01-04", start)
    end = text.index("\n", end) + 1
    decider = decider_for_text(text[:start] + text[end:], "no-2026.yaml")
    decision = decider.decide(
        complaint(
            received_at="2026-09-30T10:00:00+08:00",
            category="other",
            channel="regulator",
            order={"paid_at": "2026-09-01T10:00:00+08:00", "delivered_at": "2026-09-20T10:00:00+08:00"},
        )
    )
    assert "calendar_fallback" in decision["flags"]
    (warning,) = decision["warnings"]
    assert warning.startswith("the policy calendar does not list 2026; counted weekends plus the statutory")
    assert warning.endswith(
        "statutory holidays counted: 2026-10-01 国庆节, 2026-10-02 国庆节, 2026-10-03 国庆节 (calendar.outside_known_years: statutory)"
    )
    # 3 working days after 30 September: 10-01 and 10-02 statutory, 10-03/04 weekend; 10-05, 10-06, 10-07
    reply = next(x for x in decision["deadlines"] if x["kind"] == "regulator_reply")
    assert reply["due_at"] == "2026-10-07T23:59:59+08:00"
