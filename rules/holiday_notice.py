"""Read the State Council's yearly holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) as its own text.

Each item of the notice is one line, in the notice's words::

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
    五、端午节：6月10日放假，与周末连休。

Every item line must be read completely, and every date in it checked (the weekday it
names, the number of days it counts), or the import is refused with the line's number:
a notice that was read wrong must never reach a policy. Lines that are not items (the
title, the salutation, the closing paragraph, the issuing office and date) carry no
arrangement; a date on any other line is refused too, since it could be one.
"""

from __future__ import annotations

import datetime as dt
import re

from rules.calendar_year import Festival, YearArrangement
from rules.messages import Words, say

FESTIVAL_NAMES = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
WEEKDAY_WORDS = "一二三四五六日"

_ITEM = re.compile(r"^[一二三四五六七八九十]+、(?P<names>[^：:]*)[：:](?P<body>.*)$")
_TITLE_YEAR = re.compile(r"关于(?P<year>\d{4})年.*节假日安排")
_DATE = r"(?:(?P<{p}y>\d{{4}})年)?(?:(?P<{p}m>\d{{1,2}})月)?(?P<{p}d>\d{{1,2}})日(?:[（(](?P<{p}note>[^）)]*)[）)])?"
_HOLIDAYS = re.compile(
    "^"
    + _DATE.format(p="a")
    + "(?:至"
    + _DATE.format(p="b")
    + r")?放假(?P<swap>调休)?(?:[，,]?共?(?P<count>\d+)天)?(?:[，,](?:不调休|与周末连休))?$"
)
_ONE_DATE = re.compile(_DATE.format(p="a"))
_WORKDAYS = re.compile("^" + _DATE.format(p="a") + "(?:、" + _DATE.format(p="c") + ")*上班$")
_ANY_DATE = re.compile(r"\d{1,2}月\d{1,2}日|\d{1,2}日[（(]")
_ISSUED = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


class NoticeError(ValueError):
    """Lines of a notice that cannot be read; ``problems`` holds (line number, message)."""

    def __init__(self, said: list[tuple[int, Words]]):
        self.said = said  # (line number, the message in the catalog's words)
        self.problems = [(line, words.text()) for line, words in said]
        super().__init__("; ".join(f"line {line}: {message}" for line, message in self.problems))

    def lines(self, lang: str = "en") -> list[tuple[int, str]]:
        return [(line, words.text(lang)) for line, words in self.said]


def parse_notice(text: str, year: int | None = None, source: str = "the State Council's notice") -> YearArrangement:
    """The arrangement the notice gives for its year (``year`` when the title does not say it)."""
    problems: list[tuple[int, Words]] = []
    lines = text.splitlines()
    titled = next((int(m["year"]) for line in lines if (m := _TITLE_YEAR.search(line))), None)
    if titled is not None and year is not None and titled != year:
        raise NoticeError([(1, say("notice.wrong_year", titled=titled, year=year))])
    year = year or titled
    if year is None:
        raise NoticeError([(1, say("notice.no_year"))])
    festivals: list[Festival] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().replace(" ", "").replace("\u3000", "")
        item = _ITEM.match(line)
        if item is None:
            if _ANY_DATE.search(line) and not _ISSUED.match(line):
                problems.append((number, say("notice.date_outside_item", text=raw.strip())))
            continue
        festival = _item(item["names"], item["body"], year, number, problems)
        if festival is not None:
            festivals.append(festival)
    if not festivals and not problems:
        problems.append((1, say("notice.nothing")))
    if problems:
        raise NoticeError(problems)
    days = [day for f in festivals for day in (*f.holidays, *f.makeup_working_days)]
    return YearArrangement(
        year,
        festivals,
        f"{source} (国务院办公厅关于{year}年部分节假日安排的通知), read by `complaints calendar import`",
        other_years=sorted(day for day in days if day.year != year),
    )


def _item(names_text: str, body: str, year: int, line: int, problems: list[tuple[int, Words]]) -> Festival | None:
    before = len(problems)
    names = tuple(names_text.split("、"))
    for name in names:
        if name not in FESTIVAL_NAMES:
            problems.append((line, say("notice.not_festival", name=name, names="、".join(FESTIVAL_NAMES))))
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []
    for sentence in (s for s in re.split(r"[。；;]", body) if s):
        if sentence.startswith("鼓励"):
            continue  # the notice encourages (e.g. a day off on New Year's Eve): not an arrangement
        if (found := _HOLIDAYS.match(sentence)) is not None:
            if holidays:
                problems.append((line, say("notice.second_period", sentence=sentence)))
            holidays = _period(found, year, line, problems)
        elif _WORKDAYS.match(sentence):
            for match in _ONE_DATE.finditer(sentence):
                day = _day(match, "a", year, None, line, problems)
                if day is None:
                    continue
                if day.isoweekday() < 6:
                    problems.append((line, say("notice.weekday_makeup", day=day, weekday=_weekday(day))))
                workdays.append(day)
        else:
            problems.append((line, say("notice.unreadable", sentence=sentence)))
    if not holidays and len(problems) == before:
        problems.append((line, say("notice.no_period")))
    if len(problems) > before:
        return None
    return Festival(names, tuple(holidays), tuple(workdays), line)


def _period(found: re.Match[str], year: int, line: int, problems: list[tuple[int, Words]]) -> list[dt.date]:
    first = _day(found, "a", year, None, line, problems)
    if first is None:
        return []
    last = first
    if found["bd"] is not None:
        end = _day(found, "b", year, first, line, problems)
        if end is None:
            return []
        last = end
    if last < first:
        problems.append((line, say("notice.backwards", first=first, last=last)))
        return []
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    if found["count"] is not None and int(found["count"]) != len(days):
        problems.append((line, say("notice.count", first=first, last=last, days=len(days), count=found["count"])))
        return []
    return days


def _weekday(day: dt.date) -> Words:
    return say(f"weekday.{day:%A}".lower())


def _day(
    found: re.Match[str], p: str, year: int, after: dt.date | None, line: int, problems: list[tuple[int, Words]]
) -> dt.date | None:
    """The date of group ``p``; an end without month or year takes the start's, rolling into the next year."""
    y = found[f"{p}y"]
    month = found[f"{p}m"]
    if month is None and after is None:
        problems.append((line, say("notice.needs_month", date=found[0])))
        return None
    the_year = int(y) if y else (after.year if after else year)
    the_month = int(month) if month else after.month  # type: ignore[union-attr]
    try:
        day = dt.date(the_year, the_month, int(found[f"{p}d"]))
    except ValueError as exc:
        problems.append((line, say("notice.not_a_date", date=found[0], reason=exc)))
        return None
    if after is not None and day < after and not y:
        day = day.replace(year=day.year + 1)  # 12月31日至1月2日
    note = found[f"{p}note"] or ""
    named = re.search(r"(?:周|星期)([一二三四五六日天])", note)
    if named:
        said = WEEKDAY_WORDS.index(named.group(1).replace("天", "日"))
        if said != day.weekday():
            words = say(
                "notice.weekday_mismatch",
                day=day,
                weekday=_weekday(day),
                weekday_zh=WEEKDAY_WORDS[day.weekday()],
                said=named.group(1),
            )
            problems.append((line, words))
            return None
    return day
