"""Every lint finding in whole Chinese and English sentences, located by rule id and line, codes unchanged.

The seeded defects of test_lint_findings.py, linted together: each finding's Chinese is Chinese
(no English sentence left in it), its English has no Chinese of ours, both name the same rules
at the same lines, and the JSON `message` is the English unless a language is asked for.
"""

from __future__ import annotations

import re

import pytest

from rules.lint import lint_policy
from tests.helpers.lint_gallery import rule_line
from tests.rules.lint.test_lint_findings import (
    BAND_OVERLAP,
    CONTRADICTION,
    FIRST_RESPONSE_GAP,
    NO_FALLBACK,
    OWN_CATEGORY_EXCLUDED,
    PUNITIVE_NOT_ROUTED,
    SECOND_REDIRECT,
    SHADOW,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
# Words of our English sentences that must not be left in a Chinese one.
ENGLISH = re.compile(r"\b(the|never|rule|rules|line|and|but|some|is|are|with|which|no|of|add|remove)\b")
STALE = (
    "  accept:\n",
    "  accept:\n    - finding: remedy_gap\n      about: privacy\n      reason: no such gap\n",
)
DRAFT = (
    "    2026:\n      holidays:\n",
    "    2027:   # DRAFT\n      holidays: [2027-01-01]\n"
    "      makeup_working_days: []   # TO COMPLETE\n    2026:\n      holidays:\n",
)
DEFECTS = [
    [SHADOW],
    [CONTRADICTION],
    [OWN_CATEGORY_EXCLUDED],
    [NO_FALLBACK],
    [FIRST_RESPONSE_GAP],
    [SECOND_REDIRECT],
    [BAND_OVERLAP],
    [PUNITIVE_NOT_ROUTED],
    [STALE],
    [DRAFT],
    [
        ("basis: internal SLA; CPL Art. 46\n", "basis: TODO\n"),
        ("effective_from: 2025-01-01T00:00:00+08:00", "effective_from: 2024-12-20T00:00:00+08:00"),
        (
            "    when: {within.promised_delivery_7_days: false, order.delivered_at: {present: false}}",
            "    when: {order.delivered_at: {present: false}}",
        ),
    ],
]


IDS = [
    "shadowed",
    "contradiction",
    "own_category",
    "remedy_gap",
    "deadline_gap",
    "conflicting_redirects",
    "band_overlap",
    "approver_not_routed",
    "stale_acceptance",
    "calendar_draft",
    "basis_window_notice",
]


@pytest.mark.parametrize("edits", DEFECTS, ids=IDS)
def test_every_finding_reads_in_both_languages(variant, edits):
    policy, text, _ = variant(*edits)
    findings = lint_policy(policy).unaccepted
    assert findings, "the seeded defect gives a finding"
    for finding in findings:
        zh, en = finding.text("zh"), finding.text("en")
        assert en == finding.message == finding.as_dict()["message"]
        assert finding.as_dict("zh")["message"] == zh
        assert list(finding.as_dict("zh")) == list(finding.as_dict())
        assert CJK.search(zh), (finding.code, zh)
        leftover = ENGLISH.findall(re.sub(r"`[^`]*`|\([^)]*\)|（[^）]*）", "", zh))
        assert not leftover, (finding.code, leftover, zh)
        for rule, line in zip(finding.rules, finding.lines, strict=True):
            assert line == rule_line(text, rule)
            if f"{rule} (line {line})" in en:
                assert f"{rule}（第 {line} 行）" in zh, (finding.code, zh)
            assert (rule in zh) == (rule in en), (finding.code, rule)
        rendered_zh = finding.render("p.yaml", "zh")[0]
        rendered_en = finding.render("p.yaml", "en")[0]
        assert rendered_zh == f"p.yaml:{finding.line}: 警告 [{finding.code}] {zh}"
        assert rendered_en == f"p.yaml:{finding.line}: warning [{finding.code}] {en}"


def test_the_sentences_themselves(variant):
    policy, text, _ = variant(CONTRADICTION)
    (finding,) = [f for f in lint_policy(policy).unaccepted if f.code == "contradiction"]
    line = rule_line(text, "R05_quality_high_value")
    assert finding.text("en") == (
        f"R05_quality_high_value (line {line}) can never fire: "
        "order.amount above 2000.00 and order.amount below 1000.00 cannot both hold"
    )
    assert finding.text("zh") == (
        f"R05_quality_high_value（第 {line} 行）永远不会触发："
        "order.amount 高于 2000.00 且 order.amount 低于 1000.00 不可能同时成立"
    )
    policy, _, _ = variant(BAND_OVERLAP)
    (finding,) = [f for f in lint_policy(policy).unaccepted if f.code == "authority_band_empty"]
    assert "的审批权限：supervisor 的限额 50.00 与 frontline 的相同，因此没有任何金额需要 supervisor 审批" in (
        finding.text("zh")
    )
    policy, _, _ = variant(STALE)
    (finding,) = [f for f in lint_policy(policy).unaccepted if f.code == "stale_acceptance"]
    assert finding.text("en") == (
        "lint.accept accepts `remedy_gap about privacy`, which no longer occurs; remove the acceptance"
    )
    assert finding.text("zh") == "lint.accept 接受了 `remedy_gap（关于 privacy）`，但它已不再出现；请删除这条接受"


def test_the_gallery_covers_the_findings(variant):
    seen = {f.code for edits in DEFECTS for f in lint_policy(variant(*edits)[0]).unaccepted}
    assert seen >= {
        "shadowed",
        "contradiction",
        "remedy_gap",
        "deadline_gap",
        "conflicting_redirects",
        "authority_band_empty",
        "approver_not_routed",
        "stale_acceptance",
        "calendar_draft",
        "missing_basis",
        "unused_window",
        "short_notice",
    }, seen
