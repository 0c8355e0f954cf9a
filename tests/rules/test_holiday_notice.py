"""Reading the State Council's holiday notice into the policy's calendar block, and drafting a year."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rules.calendar_year import draft_year
from rules.holiday_notice import NoticeError, parse_notice
from rules.lint import lint_policy
from rules.loader import load_policy_text
from rules.statutory_holidays import statutory_holidays

NOTICES = Path(__file__).resolve().parents[1] / "calendar_notices"


def notice(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_each_notice_reads_as_the_policy_s_own_year(policy, year):
    arrangement = parse_notice(notice(year))
    assert arrangement.year == year
    assert set(arrangement.holidays) == {day for day in policy.calendar.holidays if day.year == year}
    assert set(arrangement.makeup_working_days) == {
        day for day in policy.calendar.makeup_working_days if day.year == year
    }


def test_the_block_pasted_into_a_policy_loads_with_the_same_days(policy):
    block = parse_notice(notice(2026)).block()
    start = policy.text.index("    2026:\n")
    end = policy.text.index("\n", policy.text.index("makeup_working_days: [2026-01-04", start)) + 1
    pasted = load_policy_text(policy.text[:start] + block + policy.text[end:], "pasted.yaml")
    assert pasted.calendar.holidays == policy.calendar.holidays
    assert pasted.calendar.makeup_working_days == policy.calendar.makeup_working_days
    assert pasted.digest == policy.digest  # comments and layout aside, the same policy


def test_days_of_another_year_are_set_aside_and_named():
    arrangement = parse_notice(notice(2023))
    assert arrangement.other_years == [dt.date(2022, 12, 31)]
    assert dt.date(2022, 12, 31) not in arrangement.holidays


def test_an_encouragement_is_not_an_arrangement():
    """2024: 鼓励各单位…安排职工在除夕（2月9日）休息 — encouraged, not a public holiday."""
    assert dt.date(2024, 2, 9) not in parse_notice(notice(2024)).holidays


def refused(text: str, year: int | None = None) -> list[tuple[int, str]]:
    with pytest.raises(NoticeError) as caught:
        parse_notice(text, year)
    return caught.value.problems


TITLE = "国务院办公厅关于2026年部分节假日安排的通知\n"


def test_a_wrong_weekday_is_refused_with_its_line():
    assert refused(TITLE + "\n一、元旦：1月1日（周三）放假1天。\n") == [
        (3, "2026-01-01 is a Thursday (周四), the notice says 周三")
    ]


def test_a_wrong_day_count_is_refused():
    assert refused(TITLE + "七、国庆节：10月1日（周四）至7日（周三）放假调休，共8天。\n") == [
        (2, "2026-10-01 to 2026-10-07 is 7 days, the notice says 共8天")
    ]


def test_an_unreadable_sentence_is_refused():
    (problem,) = refused(TITLE + "二、春节：2月15日至23日放假调休，共9天。2月14日（周六）调班。\n")
    assert problem[0] == 2
    assert problem[1].startswith("cannot read `2月14日（周六）调班`")


def test_a_make_up_day_that_is_a_weekday_is_refused():
    assert refused(TITLE + "四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月8日（周五）上班。\n") == [
        (2, "2026-05-08 is a Friday, already a working day: not a make-up day (上班)")
    ]


def test_an_unknown_festival_and_a_stray_date_are_refused():
    problems = refused(TITLE + "三、植树节：3月12日放假。\n另：3月13日上班。\n")
    assert problems == [
        (
            2,
            "`植树节` is not a festival of the national holiday rules (元旦、春节、清明节、劳动节、端午节、中秋节、国庆节)",
        ),
        (3, "a date outside a numbered item (一、…：…) cannot be read: `另：3月13日上班。`"),
    ]


def test_a_notice_without_its_year_needs_one():
    body = "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。\n"
    assert refused(body)[0][1].startswith("cannot tell the year")
    assert parse_notice(body, 2026).makeup_working_days == [dt.date(2026, 1, 4)]
    assert refused(TITLE + body, 2027) == [(1, "the notice is for 2026, not 2027")]


def test_a_notice_with_no_item_is_refused():
    assert refused(TITLE + "各省、自治区、直辖市人民政府：\n") == [
        (1, "no arrangement found: expected lines such as 一、元旦：1月1日（周四）放假1天。")
    ]


# Drafting a year ---------------------------------------------------------------------------------


def test_a_draft_holds_the_statutory_days_and_marks_the_rest_to_complete(policy):
    block = draft_year(2027).block()
    assert "TO COMPLETE" in block
    assert "makeup_working_days: []   # TO COMPLETE" in block
    anchor = "      makeup_working_days: [2026-01-04, 2026-02-14, 2026-02-28, 2026-05-09, 2026-09-20, 2026-10-10]\n"
    pasted = load_policy_text(policy.text.replace(anchor, anchor + block), "drafted.yaml")
    assert 2027 in pasted.calendar.years
    assert {day for day in pasted.calendar.holidays if day.year == 2027} == set(statutory_holidays(2027))
    findings = [f for f in lint_policy(pasted).findings if f.code == "calendar_draft"]
    assert len(findings) == 1
    assert pasted.text.splitlines()[findings[0].line - 1].endswith("makeup_working_days: []   # TO COMPLETE")


def test_the_shipped_policy_has_no_draft_left(policy):
    assert not [f for f in lint_policy(policy).findings if f.code == "calendar_draft"]
