"""rules/calendar.py's memos: a memoised count answers and traces as counting afresh does."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from rules.calendar import CalendarError, CountingTrace, WorkCalendar
from tests.helpers.threads import run_in_threads

SHANGHAI = ZoneInfo("Asia/Shanghai")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def fresh(policy, **changes) -> WorkCalendar:
    return WorkCalendar(dataclasses.replace(policy.calendar, **changes), policy.timezone)


def counted(trace: CountingTrace) -> tuple[set[int], dict[dt.date, str]]:
    return trace.fallback_years, trace.fallback_holidays


# (start, unit, amount): inside a listed year, across the New Year into 2027 (which the policy does not
# list: counted on the statutory fallback, 2027-01-01 a statutory holiday), and wholly in 2027.
PERIODS = [
    (d("2026-03-05"), "calendar_days", 7),
    (d("2026-09-28"), "working_days", 5),
    (d("2026-12-28"), "working_days", 5),
    (d("2026-12-25"), "calendar_days", 7),
    (d("2025-12-31"), "years", 1),
    (d("2027-04-30"), "working_days", 3),
]


@pytest.mark.parametrize(("start", "unit", "amount"), PERIODS)
def test_a_period_end_hit_answers_and_traces_as_its_miss_and_as_a_fresh_count(policy, start, unit, amount):
    cal = fresh(policy)
    miss, hit, direct = CountingTrace(), CountingTrace(), CountingTrace()
    first = cal.period_end_date(start, unit, amount, miss)
    assert (start, unit, amount, True) in cal._period_memo
    assert cal.period_end_date(start, unit, amount, hit) == first
    assert cal._period_end_date(start, unit, amount, True, direct) == first  # the count itself, no memo
    assert counted(hit) == counted(miss) == counted(direct)


def test_a_hit_across_the_new_year_reports_the_fallback_year_and_its_statutory_holiday(policy):
    cal = fresh(policy)
    for _ in range(2):  # miss, then hit
        trace = CountingTrace()
        assert cal.period_end_date(d("2026-12-28"), "working_days", 5, trace) == d("2027-01-05")
        assert trace.fallback_years == {2027}
        assert list(trace.fallback_holidays) == [d("2027-01-01")]
    inside = CountingTrace()
    cal.period_end_date(d("2026-03-05"), "calendar_days", 7, inside)
    assert counted(inside) == (set(), {})


def test_a_hit_adds_to_what_the_trace_already_holds(policy):
    cal = fresh(policy)
    cal.period_end_date(d("2026-12-28"), "working_days", 5)  # fills the memo without a trace
    trace = CountingTrace()
    trace.fallback_years.add(2028)
    cal.period_end_date(d("2026-12-28"), "working_days", 5, trace)
    assert trace.fallback_years == {2027, 2028}
    assert d("2027-01-01") in trace.fallback_holidays


def test_period_end_instants_are_the_same_from_the_memo(policy):
    cal = fresh(policy)
    late_utc = dt.datetime(2026, 9, 30, 17, 0, tzinfo=dt.UTC)  # already 10-01 in Shanghai
    first = cal.period_end(late_utc, "working_days", 1)
    assert cal.period_end(late_utc, "working_days", 1) == first
    assert first.isoformat() == "2026-10-08T23:59:59+08:00"


# (event, moment, unit, amount, roll_forward): in range, past the end, a last day rolled over a weekend,
# a working-day count crossing into 2027, a window still running into an unlisted year.
WITHIN = [
    (at("2026-03-05T10:00+08:00"), at("2026-03-12T23:59:59+08:00"), "calendar_days", 7, True),
    (at("2026-03-05T10:00+08:00"), at("2026-03-13T00:00+08:00"), "calendar_days", 7, True),
    (at("2026-02-28T10:00+08:00"), at("2026-03-09T09:00+08:00"), "calendar_days", 7, True),
    (at("2026-02-28T10:00+08:00"), at("2026-03-09T09:00+08:00"), "calendar_days", 7, False),
    (at("2026-12-28T10:00+08:00"), at("2027-01-05T09:00+08:00"), "working_days", 5, True),
    (at("2026-12-28T10:00+08:00"), at("2027-01-06T09:00+08:00"), "working_days", 5, True),
    (at("2026-12-26T10:00+08:00"), at("2027-01-04T09:00+08:00"), "calendar_days", 7, True),
    (at("2025-05-10T10:00+08:00"), at("2026-03-10T10:00+08:00"), "years", 3, True),
]


@pytest.mark.parametrize(("event", "moment", "unit", "amount", "roll"), WITHIN)
def test_a_within_hit_answers_and_traces_as_its_miss_and_as_a_fresh_count(policy, event, moment, unit, amount, roll):
    cal = fresh(policy)
    miss, hit, direct = CountingTrace(), CountingTrace(), CountingTrace()
    first = cal.within(event, moment, unit, amount, miss, roll)
    assert cal.within(event, moment, unit, amount, hit, roll) is first
    start, day = event.astimezone(cal.tz).date(), moment.astimezone(cal.tz).date()
    assert cal._within_days(start, day, unit, amount, roll, direct) is first
    assert counted(hit) == counted(miss) == counted(direct)


def test_a_within_hit_across_the_new_year_reports_the_fallback(policy):
    cal = fresh(policy)
    event, moment = at("2026-12-28T10:00+08:00"), at("2027-01-06T09:00+08:00")
    for _ in range(2):
        trace = CountingTrace()
        assert cal.within(event, moment, "working_days", 5, trace) is False
        assert trace.fallback_years == {2027}
        assert d("2027-01-01") in trace.fallback_holidays


def test_a_running_window_costs_no_fallback_from_the_memo_either(policy):
    """The three-year window ends in 2028, unlisted, but is still running: no year is looked up."""
    cal = fresh(policy)
    event, moment = at("2025-05-10T10:00+08:00"), at("2026-03-10T10:00+08:00")
    for _ in range(2):
        trace = CountingTrace()
        assert cal.within(event, moment, "years", 3, trace) is True
        assert counted(trace) == (set(), {})


def test_the_memo_holds_its_cap_and_still_answers(policy):
    small = WorkCalendar(policy.calendar, policy.timezone, memo_size=3)
    plain = fresh(policy)
    start = d("2026-11-20")
    for offset in range(40):
        day = start + dt.timedelta(days=offset)
        trace, expected = CountingTrace(), CountingTrace()
        assert small.period_end_date(day, "working_days", 7, trace) == plain._period_end_date(
            day, "working_days", 7, True, expected
        )
        assert counted(trace) == counted(expected)
        assert len(small._period_memo) <= 3
        moment = dt.datetime.combine(day + dt.timedelta(days=9), dt.time(12), tzinfo=SHANGHAI)
        event = dt.datetime.combine(day, dt.time(12), tzinfo=SHANGHAI)
        assert small.within(event, moment, "working_days", 7) == plain.within(event, moment, "working_days", 7)
        assert len(small._within_memo) <= 3


def test_error_mode_raises_on_every_lookup_and_remembers_nothing(policy):
    strict = fresh(policy, outside_known_years="error")
    for _ in range(2):
        with pytest.raises(CalendarError, match="2027"):
            strict.period_end_date(d("2026-12-28"), "working_days", 5)
        with pytest.raises(CalendarError, match="2027"):
            strict.within(at("2026-12-28T10:00+08:00"), at("2027-01-06T09:00+08:00"), "working_days", 5)
    assert strict._period_memo == {} and strict._within_memo == {}


def test_threads_sharing_a_small_memo_get_the_answers_of_a_fresh_count(policy):
    """The memo is emptied under the other threads' feet: every answer and trace must still be right."""
    shared = WorkCalendar(policy.calendar, policy.timezone, memo_size=5)
    plain = fresh(policy)
    days = [d("2026-12-01") + dt.timedelta(days=i) for i in range(45)]
    expected = {}
    for day in days:
        trace = CountingTrace()
        expected[day] = (plain._period_end_date(day, "working_days", 4, True, trace), counted(trace))
    wrong: list[dt.date] = []

    def work() -> None:
        for _ in range(20):
            for day in days:
                trace = CountingTrace()
                got = shared.period_end_date(day, "working_days", 4, trace)
                if (got, counted(trace)) != expected[day]:
                    wrong.append(day)

    run_in_threads(work, 4)
    assert wrong == []
    assert len(shared._period_memo) <= 5


def test_a_memo_size_of_zero_remembers_nothing(policy):
    off, plain = WorkCalendar(policy.calendar, policy.timezone, memo_size=0), fresh(policy)
    event, moment = at("2026-12-28T10:00+08:00"), at("2027-01-06T09:00+08:00")
    for _ in range(2):
        trace, expected = CountingTrace(), CountingTrace()
        assert off.period_end_date(d("2026-12-28"), "working_days", 5, trace) == plain.period_end_date(
            d("2026-12-28"), "working_days", 5, expected
        )
        assert off.within(event, moment, "working_days", 5, trace) == plain.within(
            event, moment, "working_days", 5, expected
        )
        assert counted(trace) == counted(expected)
    assert off._period_memo == {} and off._within_memo == {}
