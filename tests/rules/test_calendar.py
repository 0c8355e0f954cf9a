"""rules/calendar.py: working days, the law's way of counting periods, unknown years."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from engine.compiled import decider_for_text
from rules.calendar import CalendarError, CountingTrace, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture(scope="module")
def cal(policy):
    return WorkCalendar(policy.calendar, policy.timezone)


@pytest.fixture(scope="module")
def strict_cal(policy):
    return WorkCalendar(dataclasses.replace(policy.calendar, outside_known_years="error"), policy.timezone)


def test_policy_calendar_matches_chinese_calendar_every_day_of_2023_to_2026(cal):
    day, mismatches, checked = d("2023-01-01"), [], 0
    while day.year < 2027:
        if cal.is_working_day(day) != chinese_calendar.is_workday(day):
            mismatches.append(day)
        day += dt.timedelta(days=1)
        checked += 1
    assert checked == 365 + 366 + 365 + 365
    assert mismatches == []


def test_the_2023_and_2024_make_up_days_are_chinesecalendar_s_working_weekends(policy):
    for year in (2023, 2024):
        listed = sorted(day for day in policy.calendar.makeup_working_days if day.year == year)
        day, weekend_workdays = d(f"{year}-01-01"), []
        while day.year == year:
            if day.isoweekday() > 5 and chinese_calendar.is_workday(day):
                weekend_workdays.append(day)
            day += dt.timedelta(days=1)
        assert listed == weekend_workdays


def test_policy_lists_exactly_the_brief_s_2026_days(policy):
    spec = policy.calendar
    holidays_2026 = sorted(day for day in spec.holidays if day.year == 2026)
    assert len(holidays_2026) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert sorted(day for day in spec.makeup_working_days if day.year == 2026) == [
        d("2026-01-04"),
        d("2026-02-14"),
        d("2026-02-28"),
        d("2026-05-09"),
        d("2026-09-20"),
        d("2026-10-10"),
    ]
    assert spec.years == (2023, 2024, 2025, 2026)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-03-10", True),  # Tuesday
        ("2026-03-14", False),  # Saturday
        ("2026-03-15", False),  # Sunday
        ("2026-10-01", False),  # National Day
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-10-10", True),  # make-up Saturday
        ("2026-09-20", True),  # make-up Sunday
        ("2026-02-14", True),  # make-up Saturday before Spring Festival
        ("2026-02-15", False),
        ("2026-02-23", False),  # Monday, still Spring Festival
        ("2026-02-24", True),
        ("2026-02-28", True),  # make-up Saturday after Spring Festival
        ("2026-01-04", True),  # make-up Sunday
        ("2025-10-08", False),
        ("2025-10-11", True),
    ],
)
def test_is_working_day(cal, day, working):
    assert cal.is_working_day(d(day)) is working


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-03-10", "2026-03-10"),
        ("2026-03-14", "2026-03-16"),
        ("2026-10-01", "2026-10-08"),
        ("2026-02-15", "2026-02-24"),
        ("2026-10-10", "2026-10-10"),
    ],
)
def test_next_working_day(cal, day, expected):
    assert cal.next_working_day(d(day)) == d(expected)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        ("2026-03-10", 1, "2026-03-11"),  # the day itself never counts
        ("2026-03-13", 1, "2026-03-16"),  # over a weekend
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),  # the make-up Saturday counts
        ("2026-09-18", 1, "2026-09-20"),  # the make-up Sunday counts
        ("2026-02-12", 2, "2026-02-14"),
        ("2026-02-12", 3, "2026-02-24"),
        ("2026-02-26", 2, "2026-02-28"),
        ("2026-10-03", 1, "2026-10-08"),  # counting from inside a holiday
    ],
)
def test_add_working_days(cal, start, count, expected):
    assert cal.add_working_days(d(start), count) == d(expected)


@pytest.mark.parametrize(
    ("start", "unit", "amount", "expected"),
    [
        ("2026-03-10", "calendar_days", 1, "2026-03-11"),  # day 1 is the day after the event
        ("2026-03-10", "calendar_days", 7, "2026-03-17"),
        ("2026-03-06", "calendar_days", 7, "2026-03-13"),
        ("2026-03-07", "calendar_days", 7, "2026-03-16"),  # ends on a Saturday: Monday
        ("2026-09-24", "calendar_days", 7, "2026-10-08"),  # ends on National Day
        ("2026-10-03", "calendar_days", 7, "2026-10-10"),  # ends on a make-up Saturday: stays
        ("2026-09-13", "calendar_days", 7, "2026-09-20"),  # ends on a make-up Sunday: stays
        ("2026-02-10", "calendar_days", 7, "2026-02-24"),  # ends in Spring Festival
        ("2026-02-07", "calendar_days", 7, "2026-02-14"),
        ("2026-02-08", "calendar_days", 15, "2026-02-24"),
        ("2026-09-30", "working_days", 3, "2026-10-10"),
        ("2023-03-10", "years", 3, "2026-03-10"),
        ("2023-10-01", "years", 3, "2026-10-08"),  # ends on a holiday
        ("2022-10-05", "years", 3, "2025-10-09"),  # ends in the 2025 National Day week (10-01..10-08)
    ],
)
def test_period_end_date(cal, start, unit, amount, expected):
    assert cal.period_end_date(d(start), unit, amount) == d(expected)


def test_period_of_years_from_29_february(cal):
    # 2024-02-29 + 1 year has no 29 February: 2025-02-28 (a Friday, a working day)
    assert cal.period_end_date(d("2024-02-29"), "years", 1) == d("2025-02-28")


def test_period_end_instants_are_in_shanghai_time(cal):
    event = dt.datetime(2026, 9, 30, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
    assert cal.period_end(event, "calendar_days", 7).isoformat() == "2026-10-08T23:59:59+08:00"
    assert cal.period_end(event, "working_days", 3).isoformat() == "2026-10-10T23:59:59+08:00"
    assert cal.period_end(event, "minutes", 15).isoformat() == "2026-09-30T11:15:00+08:00"
    assert cal.period_end(event, "hours", 48).isoformat() == "2026-10-02T11:00:00+08:00"
    late_utc = dt.datetime(2026, 9, 30, 17, 0, tzinfo=dt.UTC)  # already 10-01 in Shanghai
    assert cal.period_end(late_utc, "working_days", 1).isoformat() == "2026-10-08T23:59:59+08:00"


def test_within_up_to_the_end_of_the_last_day(cal):
    delivered = dt.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)
    assert cal.within(delivered, dt.datetime(2026, 3, 12, 23, 59, 59, tzinfo=SHANGHAI), "calendar_days", 7)
    assert not cal.within(delivered, dt.datetime(2026, 3, 13, 0, 0, tzinfo=SHANGHAI), "calendar_days", 7)


# Years the policy does not list -------------------------------------------------------------------


def test_unknown_year_weekends_only_fallback_is_recorded(policy):
    cal = WorkCalendar(dataclasses.replace(policy.calendar, outside_known_years="weekends_only"), policy.timezone)
    trace = CountingTrace()
    assert cal.is_working_day(d("2027-10-01"), trace) is True  # a Friday, counted as a weekday
    assert cal.is_working_day(d("2027-10-02"), trace) is False
    assert trace.fallback_years == {2027}
    assert cal.add_working_days(d("2026-12-30"), 3, trace) == d("2027-01-04")  # 12-31, 01-01, 01-04


def test_known_years_leave_no_fallback_trace(cal):
    trace = CountingTrace()
    cal.add_working_days(d("2026-09-30"), 20, trace)
    assert trace.fallback_years == set()


def test_unknown_year_error_mode_raises(strict_cal):
    with pytest.raises(
        CalendarError,
        match=r"2027-01-04 is in 2027, which the policy calendar does not list \(known: 2023, 2024, 2025, 2026\)",
    ):
        strict_cal.is_working_day(d("2027-01-04"))
    with pytest.raises(CalendarError):
        strict_cal.add_working_days(d("2026-12-30"), 3)
    with pytest.raises(CalendarError):
        strict_cal.period_end_date(d("2022-06-01"), "calendar_days", 7)
    assert strict_cal.add_working_days(d("2026-12-28"), 3) == d("2026-12-31")


def test_decision_in_an_unknown_year_is_flagged_calendar_fallback(decide):
    decision = decide(
        received_at="2027-03-09T10:00:00+08:00",
        order={"paid_at": "2027-03-01T10:00:00+08:00", "delivered_at": "2027-03-05T10:00:00+08:00"},
    )
    assert decision["flags"] == ["calendar_fallback"]
    assert decision["warnings"] == [
        "the policy calendar does not list 2027; counted weekends plus the statutory public holidays of the "
        "national holiday rules (全国年节及纪念日放假办法, from 2025: 元旦 1 day, 春节 4 days from New Year's Eve, "
        "清明节 1, 劳动节 2, 端午节 1, 中秋节 1, 国庆节 3), without the State Council's bridging days and make-up "
        "working days (calendar.outside_known_years: statutory)"
    ]
    assert decision["deadlines"][0]["due_at"] == "2027-03-09T10:15:00+08:00"


def test_decision_in_a_known_year_has_no_fallback(decide):
    decision = decide()
    assert "calendar_fallback" not in decision["flags"]
    assert decision["warnings"] == []


def test_decision_in_an_unknown_year_with_error_mode_raises(policy, complaint):
    text = policy.text.replace("outside_known_years: statutory", "outside_known_years: error")
    assert text != policy.text
    strict = decider_for_text(text, "strict-calendar.yaml")
    assert strict.decide(complaint())["flags"] == []
    with pytest.raises(CalendarError, match="2027"):
        strict.decide(
            complaint(
                received_at="2027-03-09T10:00:00+08:00",
                order={"paid_at": "2027-03-01T10:00:00+08:00", "delivered_at": "2027-03-05T10:00:00+08:00"},
            )
        )


@pytest.mark.parametrize("unit", ["calendar_days", "working_days", "years"])
@pytest.mark.parametrize("amount", [1, 3, 7, 15])
def test_within_agrees_with_the_period_end_inside_known_years(cal, unit, amount):
    """within() looks up only the days it needs, but answers as the full period end does."""
    if unit == "years" and amount > 1:
        return
    start = d("2025-01-20")
    while start < d("2025-12-01"):
        event = dt.datetime.combine(start, dt.time(15), tzinfo=SHANGHAI)
        last = cal.period_end_date(start, unit, amount)
        for offset in range(0, 40 if unit != "years" else 400, 1 if unit != "years" else 13):
            moment = event + dt.timedelta(days=offset)
            if moment.year > 2026:
                break
            assert cal.within(event, moment, unit, amount) == (moment.date() <= last), (start, offset)
        start += dt.timedelta(days=11)


def test_a_running_three_year_window_costs_no_calendar_fallback(decide):
    """A 2026 complaint on an order completed in 2025: the window ends in 2028, unlisted, yet it is still running."""
    decision = decide(
        received_at="2026-03-10T10:00:00+08:00",
        order={
            "paid_at": "2025-05-01T10:00:00+08:00",
            "completed_at": "2025-05-10T10:00:00+08:00",
            "delivered_at": "2025-05-08T10:00:00+08:00",
        },
    )
    assert "calendar_fallback" not in decision["flags"]
    assert decision["warnings"] == []
    assert decision["route"]["redirect"] is None
