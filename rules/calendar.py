"""The working-day calendar and the law's way of counting periods.

CC Art. 201: a period in days starts the day after the event. CC Art. 203: a
period whose last day is a statutory holiday ends on the day after the holiday
(we extend to the end of the next working day, make-up working days counting
as working days). A date in a year the policy does not list is an error or, if
the policy says so, counted on a stated fallback (Monday to Friday, or weekends
plus the statutory holidays of the national holiday rules) and reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from zoneinfo import ZoneInfo

from rules.messages import sentence
from rules.model import CalendarSpec
from rules.statutory_holidays import RULE_TEXT, statutory_holidays

END_OF_DAY = dt.time(23, 59, 59)
# Periods on the clock run in real (absolute) time; periods of days end at the end of a local day.
_CLOCK_UNITS = {"minutes": dt.timedelta(minutes=1), "hours": dt.timedelta(hours=1)}

# Entries per memo of a calendar (see ``WorkCalendar``): a policy's periods are a handful, so this
# holds a few years of distinct dates; a full memo is emptied and refills from the next lookups.
MEMO_SIZE = 8192

# What each `outside_known_years` fallback counts, in the words a decision's warning uses.
FALLBACK_RULES = {
    "weekends_only": "Monday to Friday as working days",
    "statutory": RULE_TEXT,
}


class CalendarError(ValueError):
    """A date the policy's calendar does not cover, with no fallback allowed."""


class CountingTrace:
    """Records the years a decision had to count with the fallback rule."""

    def __init__(self) -> None:
        self.fallback_years: set[int] = set()
        self.fallback_holidays: dict[dt.date, str] = {}  # statutory days the `statutory` fallback counted


# What one count found, for a memo: the answer, then the fallback years and statutory days it looked up.
_Answer = TypeVar("_Answer")
_Key = TypeVar("_Key", bound=tuple[object, ...])
_Counted = tuple[_Answer, tuple[int, ...], tuple[tuple[dt.date, str], ...]]


class WorkCalendar:
    """Counts periods on one policy's calendar; safe to share between threads.

    Counts of day-based periods are memoised per (dates, unit, amount): the deadlines and windows of
    one policy use a handful of periods and complaints share dates. An entry keeps the fallback
    years and statutory days its count looked up, added to the caller's trace on every hit as the
    count itself would. The memos are plain dicts (single lookups and stores are atomic under the
    GIL, so hits take no lock), emptied when they grow past ``memo_size`` (0: no memo).
    """

    def __init__(self, spec: CalendarSpec, timezone: str = "Asia/Shanghai", memo_size: int = MEMO_SIZE):
        self.spec = spec
        self.tz = ZoneInfo(timezone)
        self.known_years = frozenset(spec.years)
        self.memo_size = memo_size
        self._period_memo: dict[tuple[dt.date, str, int, bool], _Counted[dt.date]] = {}
        self._within_memo: dict[tuple[dt.date, dt.date, str, int, bool], _Counted[bool]] = {}

    def is_working_day(self, day: dt.date, trace: CountingTrace | None = None) -> bool:
        if day.year not in self.known_years:
            if self.spec.outside_known_years == "error":
                known = ", ".join(str(y) for y in sorted(self.known_years))
                raise CalendarError(
                    f"{day} is in {day.year}, which the policy calendar does not list (known: {known}); "
                    "add that year's holidays to the policy"
                )
            if trace is not None:
                trace.fallback_years.add(day.year)
            festival = statutory_holidays(day.year).get(day) if self.spec.outside_known_years == "statutory" else None
            if festival is not None:
                if trace is not None:
                    trace.fallback_holidays[day] = festival
                return False
            return day.isoweekday() not in self.spec.weekend
        if day in self.spec.makeup_working_days:
            return True
        if day in self.spec.holidays:
            return False
        return day.isoweekday() not in self.spec.weekend

    def fallback_holiday(self, day: dt.date) -> str | None:
        """The statutory festival a fallback counts ``day`` as, if any (years the policy does not list)."""
        if day.year in self.known_years or self.spec.outside_known_years != "statutory":
            return None
        return statutory_holidays(day.year).get(day)

    def fallback_words(self, trace: CountingTrace) -> str:
        """What a decision counted on the fallback, for its warning."""
        mode = self.spec.outside_known_years
        years = ", ".join(str(y) for y in sorted(trace.fallback_years))
        text = f"the policy calendar does not list {years}; counted {FALLBACK_RULES[mode]}"
        if trace.fallback_holidays:
            days = ", ".join(f"{day} {name}" for day, name in sorted(trace.fallback_holidays.items()))
            text += f"; statutory holidays counted: {days}"
        return f"{text} (calendar.outside_known_years: {mode})"

    def next_working_day(self, day: dt.date, trace: CountingTrace | None = None) -> dt.date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day, trace):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, count: int, trace: CountingTrace | None = None) -> dt.date:
        """The ``count``-th working day after ``day`` (``day`` itself never counts)."""
        remaining = count
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day, trace):
                remaining -= 1
        return day

    def period_end_date(
        self, start: dt.date, unit: str, amount: int, trace: CountingTrace | None = None, roll_forward: bool = True
    ) -> dt.date:
        """Last day of a period of ``amount`` ``unit`` running from the event on ``start``; with
        ``roll_forward`` (the law's counting) a last day that is not a working day moves to the next one."""
        key = (start, unit, amount, roll_forward)
        counted = self._period_memo.get(key)
        if counted is None:
            counted = self._count(self._period_memo, key, self._period_end_date, start, unit, amount, roll_forward)
        _replay(counted, trace)
        return counted[0]

    def _period_end_date(
        self, start: dt.date, unit: str, amount: int, roll_forward: bool, trace: CountingTrace
    ) -> dt.date:
        if unit == "working_days":
            return self.add_working_days(start, amount, trace)
        if unit == "calendar_days":
            last = start + dt.timedelta(days=amount)
        elif unit == "years":
            last = _add_years(start, amount)
        else:
            raise ValueError(f"not a day-based period: {unit}")
        return self.next_working_day(last, trace) if roll_forward else last

    def period_end(
        self,
        event: dt.datetime,
        unit: str,
        amount: int,
        trace: CountingTrace | None = None,
        roll_forward: bool = True,
    ) -> dt.datetime:
        """The instant a period ends: clock units from the instant, day units at the end of the day."""
        if unit in _CLOCK_UNITS:  # real time: 24 hours across a change to or from summer time are 24 hours
            return (event.astimezone(dt.UTC) + _CLOCK_UNITS[unit] * amount).astimezone(self.tz)
        local = event.astimezone(self.tz)
        day = self.period_end_date(local.date(), unit, amount, trace, roll_forward)
        return dt.datetime.combine(day, END_OF_DAY, tzinfo=self.tz)

    def within(
        self,
        event: dt.datetime,
        moment: dt.datetime,
        unit: str,
        amount: int,
        trace: CountingTrace | None = None,
        roll_forward: bool = True,
    ) -> bool:
        """Whether ``moment`` falls within the period running from ``event``.

        Only the days up to ``moment`` are looked up: whether a period that is still
        running would later be extended (a last day in a year the calendar does not
        list yet) cannot change the answer, so it must not cost a fallback. Without
        ``roll_forward`` a period of days ends on its nominal last day, whatever day
        that is; a period of ``hours`` runs on the clock.
        """
        if unit in _CLOCK_UNITS:
            return moment <= event.astimezone(dt.UTC) + _CLOCK_UNITS[unit] * amount  # real time, as period_end
        start = event.astimezone(self.tz).date()
        day = moment.astimezone(self.tz).date()
        key = (start, day, unit, amount, roll_forward)
        counted = self._within_memo.get(key)
        if counted is None:
            counted = self._count(self._within_memo, key, self._within_days, start, day, unit, amount, roll_forward)
        _replay(counted, trace)
        return counted[0]

    def _within_days(
        self, start: dt.date, day: dt.date, unit: str, amount: int, roll_forward: bool, trace: CountingTrace
    ) -> bool:
        if unit == "working_days":
            counted, probe = 0, start
            while probe < day:
                probe += dt.timedelta(days=1)
                if self.is_working_day(probe, trace):
                    counted += 1
                    if counted == amount:
                        return probe == day
            return True
        nominal = start + dt.timedelta(days=amount) if unit == "calendar_days" else _add_years(start, amount)
        if not roll_forward:
            return day <= nominal
        probe = nominal
        while probe < day:  # past the nominal end: within only while every day since was non-working
            if self.is_working_day(probe, trace):
                return False
            probe += dt.timedelta(days=1)
        return True

    def _count(
        self, memo: dict[_Key, _Counted[_Answer]], key: _Key, count: Callable[..., _Answer], *args: object
    ) -> _Counted[_Answer]:
        """Run ``count`` on a trace of its own and remember what it answered and looked up."""
        trace = CountingTrace()
        counted = (count(*args, trace), tuple(trace.fallback_years), tuple(trace.fallback_holidays.items()))
        memo[key] = counted
        if len(memo) > self.memo_size:  # checked after the store: threads storing at once still end within it
            memo.clear()
        return counted


def _replay(counted: _Counted[object], trace: CountingTrace | None) -> None:
    """Add to ``trace`` the fallback years and statutory days a memoised count looked up."""
    if trace is not None and counted[1]:
        trace.fallback_years.update(counted[1])
        trace.fallback_holidays.update(counted[2])


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year: the period ends on 28 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class CalendarHorizon:
    """How much of the calendar is left after ``today``: staff add a year before it runs out."""

    today: dt.date
    last_day: dt.date  # the last day of the last listed year
    days_left: int  # days after ``today`` up to and including ``last_day``; 0 or less: run out
    warn_days: int  # the policy's horizon (calendar.warn_days_before_end)

    @property
    def running_out(self) -> bool:
        return self.days_left < self.warn_days

    def message(self, lang: str = "en") -> str:
        """In words from the catalog (rules/messages.py SENTENCES); English unless ``lang`` is zh."""
        if self.days_left <= 0:
            state = sentence("calendar.ran_out", lang, day=self.last_day, ago=-self.days_left)
        else:
            state = sentence("calendar.left", lang, left=self.days_left, day=self.last_day)
        if not self.running_out:
            return state
        return sentence("calendar.running_out", lang, state=state, warn=self.warn_days, next=self.last_day.year + 1)

    def as_dict(self) -> dict[str, object]:
        return {
            "today": self.today.isoformat(),
            "last_day": self.last_day.isoformat(),
            "days_left": self.days_left,
            "warn_days": self.warn_days,
            "running_out": self.running_out,
        }


def calendar_horizon(spec: CalendarSpec, today: dt.date) -> CalendarHorizon | None:
    """The calendar left after ``today`` (an explicit input: the caller's date, never read here).

    None for a calendar that lists no year at all.
    """
    if not spec.years:
        return None
    last_day = dt.date(max(spec.years), 12, 31)
    return CalendarHorizon(today, last_day, (last_day - today).days, spec.warn_days_before_end)
