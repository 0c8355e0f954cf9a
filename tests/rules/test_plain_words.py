"""Policy problems in plain words, in Chinese and English: the mistakes compliance staff make
(indentation, a tab, 1,500.00, full-width punctuation, misspelt keys and values), each located by
rule id and line, with a likely fix, all in one pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rules.errors import PolicyError
from rules.loader import load_policy_file
from rules.messages import ENTRIES, HINTS, match

BROKEN = Path(__file__).resolve().parents[1] / "policies" / "broken"
CJK = re.compile(r"[\u4e00-\u9fff]")

# file, line, column, path, code, English words, Chinese words, English fix, Chinese fix
AUTHORING_GALLERY = [
    (
        "bad_indentation",
        36,
        4,
        "routing[R01_regulator]",
        "yaml_syntax",
        "this line is not indented like the lines it belongs with",
        "这一行的缩进与同一层级的其他行不一致",
        "line it up with the keys of the same level, with spaces only",
        "与同一层级的键对齐，只用空格缩进",
    ),
    (
        "tab_indentation",
        36,
        1,
        "routing[R01_regulator]",
        "yaml_syntax",
        "a tab character: YAML indents with spaces only",
        "这里有一个制表符（Tab）：YAML 只能用空格缩进",
        "replace the tab with spaces",
        "把制表符换成空格",
    ),
    (
        "thousands_separator",
        37,
        32,
        "routing[R01_regulator].when.order.amount",
        "condition",
        "unknown test `500.00`",
        "未知的检验 `500.00`",
        "write 1,500.00 as 1500.00: no thousands separator",
        "把 1,500.00 写成 1500.00：金额不要用千位分隔符",
    ),
    (
        "quoted_thousands_separator",
        28,
        34,
        "authority.remedies.refund.limits.frontline",
        "schema",
        "expected an amount such as 200.00 (digits, optionally a point and exactly 2 decimals), `any` or `never`; "
        "got '1,500.00'",
        "应为金额（例如 200.00，只用数字，可带小数点和正好两位小数）、`any`（不限）或 `never`（无权）；这里是 '1,500.00'",
        "write 1,500.00 as 1500.00",
        "把 1,500.00 写成 1500.00",
    ),
    (
        "full_width_colon",
        37,
        12,
        "routing[R01_regulator].when.channel： regulator",
        "condition",
        "unknown field `channel： regulator`",
        "未知的字段 `channel： regulator`",
        "replace the full-width `：` with the ASCII `:`",
        "把全角的 `：` 换成半角的 `:`",
    ),
    (
        "full_width_comma",
        10,
        27,
        "levels[supervisor]",
        "yaml_syntax",
        "a `{` … `}` is not closed, or its entries are not separated by `, `",
        "花括号 `{` … `}` 没有闭合，或其中各项没有用英文逗号 `, ` 分隔",
        "replace the full-width `，` with the ASCII `,`",
        "把全角的 `，` 换成半角的 `,`",
    ),
    (
        "misspelt_category",
        42,
        5,
        "remedies[M01_refund].category",
        "schema",
        "unknown category `wrong_itme`",
        "未知的投诉类别 `wrong_itme`",
        "did you mean `wrong_item`?",
        "是不是想写 `wrong_item`？",
    ),
    (
        "misspelt_flag",
        37,
        12,
        "routing[R01_regulator].when.flags.safety_hazrd",
        "condition",
        "unknown field `flags.safety_hazrd`",
        "未知的字段 `flags.safety_hazrd`",
        "did you mean `flags.safety_hazard`?",
        "是不是想写 `flags.safety_hazard`？",
    ),
    (
        "unknown_team",
        38,
        12,
        "routing[R01_regulator].then.team",
        "unknown_name",
        "unknown team `legal`",
        "未定义的团队 `legal`",
        "did you mean `legal_compliance`?",
        "是不是想写 `legal_compliance`？",
    ),
    (
        "unknown_key",
        35,
        5,
        "routing[R01_regulator].descripton",
        "schema",
        "unknown key `descripton`",
        "未知的键 `descripton`",
        "did you mean `description`?",
        "是不是想写 `description`？",
    ),
]
NEW_FILES = [g[0] for g in AUTHORING_GALLERY if g[0] not in ("unknown_team", "unknown_key")] + ["five_mistakes"]


def issues_of(name: str) -> list:
    with pytest.raises(PolicyError) as caught:
        load_policy_file(BROKEN / f"{name}.yaml")
    return caught.value.issues


@pytest.mark.parametrize(
    ("name", "line", "column", "path", "code", "en", "zh", "fix_en", "fix_zh"),
    AUTHORING_GALLERY,
    ids=[g[0] for g in AUTHORING_GALLERY],
)
def test_each_mistake_in_both_languages_with_its_fix(name, line, column, path, code, en, zh, fix_en, fix_zh):
    issues = [i for i in issues_of(name) if (i.line, i.column) == (line, column)]
    assert len(issues) == 1, issues_of(name)
    (issue,) = issues
    assert (issue.path, issue.code) == (path, code)
    assert en in issue.text("en") and issue.message == issue.text("en")
    assert zh in issue.text("zh")
    assert any(fix_en in fix for fix in issue.fixes("en")), issue.fixes("en")
    assert any(fix_zh in fix for fix in issue.fixes("zh")), issue.fixes("zh")
    english, chinese = issue.lines("en"), issue.lines("zh")
    assert english[0] == f"{BROKEN / name}.yaml:{line}:{column}: {path}: {issue.text('en')} [{code}]"
    assert chinese[0].endswith(f"[{code}]") and chinese[1].startswith("    改法：")
    assert english[1].startswith("    fix: ")


def test_five_mistakes_of_every_kind_are_reported_in_one_pass():
    issues = issues_of("five_mistakes")
    assert [(i.line, i.path, i.code) for i in issues] == [
        (37, "routing[R00_tab]", "yaml_syntax"),  # the tab stops only its own rule...
        (42, "routing[R01_regulator].when.order.amount", "condition"),  # ...the rest is checked
        (43, "routing[R01_regulator].then.team", "unknown_name"),
        (44, "routing[R02_typo].description", "schema"),
        (45, "routing[R02_typo].descripton", "schema"),
        (51, "remedies[M01_refund].category", "schema"),
    ]
    fixes = [i.fixes("en") for i in issues]
    assert fixes[0][0].startswith("replace the tab with spaces")
    assert fixes[1] == ["write 1,500.00 as 1500.00: no thousands separator"]
    assert fixes[2] == ["did you mean `legal_compliance`?"]
    assert fixes[4] == ["did you mean `description`?"]
    assert fixes[5] == ["did you mean `wrong_item`?"]


def _all_gallery_issues():
    for path in sorted(BROKEN.glob("*.yaml")):
        with pytest.raises(PolicyError) as caught:
            load_policy_file(path)
        yield from ((path.stem, issue) for issue in caught.value.issues)


def test_every_gallery_problem_is_in_the_catalog_in_both_languages():
    seen = 0
    for name, issue in _all_gallery_issues():
        assert issue.key in ENTRIES, (name, issue.message)
        assert CJK.search(issue.text("zh")), (name, issue.text("zh"))
        assert not CJK.search(issue.text("en").replace("一线客服", "")), (name, issue.text("en"))
        for hint, _ in issue.hints:
            assert hint in HINTS
        seen += 1
    assert seen > 30


def test_the_catalog_matches_the_words_where_problems_are_found():
    assert match("unknown team `legal`; expected one of: a, b") == (
        "unknown_team",
        {"name": "legal", "names": "a, b"},
    )
    assert match("Not a valid integer.") == ("not_integer", {})
    assert match("something no one wrote") is None
    for key, entry in ENTRIES.items():
        assert entry.pattern().match(entry.source), key  # each entry's own wording matches itself
        assert CJK.search(entry.zh), key
        if entry.hint:
            assert entry.hint in HINTS, key


def test_an_issue_outside_the_catalog_still_reads_in_both_languages():
    from rules.errors import PolicyIssue

    issue = PolicyIssue("p.yaml", 3, 1, "policy", "a new check's own words", "schema")
    assert issue.text("zh") == issue.text("en") == "a new check's own words"
    assert issue.lines("zh") == ["p.yaml:3:1: policy: a new check's own words [schema]"]


DEFAULT = BROKEN.parents[2] / "policies.yaml"
# One mistake in the shipped policy: the one-pass checking must not turn it into several.
SINGLE_MISTAKES = [
    ("then: {team: quality_assurance}", "then: {team: quality_asurance}", "unknown_name"),
    ("then: {min_level: supervisor}", "then: {min_level: supervisr}", "unknown_name"),
    ("frontline: 200.00, supervisor: 2000.00", "frontline: -5, supervisor: 2000.00", "schema"),
    ("frontline: 300.00, supervisor: 3000.00", "frontline: lots, supervisor: 3000.00", "schema"),
    ("retention_years: 3", "retention_years: three", "schema"),
    ("effective_from: 2025-01-01T00:00:00+08:00", "effective_from: tomorrow", "schema"),
    ("category: quality_defect\n", "category: quality_defekt\n", "schema"),
    ("field: received_at}", "field: received_at, colour: red}", "schema"),
    ("minutes: 15", "minute: 15", "schema"),
    ("calendar_days: 7}", "calendar_day: 7}", "schema"),
    ("{id: frontline, label: 一线客服}", "{id: frontline}", "schema"),
    ("id: A01_level_not_below_approval", "id: 1A", "schema"),
    ("types: [refund, return_refund, compensation]", "types: [refund, return_refund, compensaton]", "schema"),
    ("  basis: 国务院", "\tbasis: 国务院", "yaml_syntax"),
    ("when: {category: service_attitude}", "when: {category： service_attitude}", "condition"),
    (
        "    basis: internal SLA\n    when: {category: service_attitude}",
        "    basis: internal SLA\n     when: {category: service_attitude}",
        "yaml_syntax",
    ),
]


@pytest.mark.parametrize(("old", "new", "code"), SINGLE_MISTAKES, ids=[m[1][:30] for m in SINGLE_MISTAKES])
def test_one_mistake_gives_one_problem(old, new, code):
    from rules.loader import load_policy_text

    text = DEFAULT.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text.replace(old, new, 1), "p.yaml")
    assert [issue.code for issue in caught.value.issues] == [code], [str(i) for i in caught.value.issues]
