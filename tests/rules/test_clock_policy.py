"""The policy's deadline clock: `events` (counts, once) and `clock` (met_by, pauses_on, resumes_on,
record_breach, breach_sets, due_soon_percent), as loaded, refused and linted."""

from __future__ import annotations

import pytest

from rules.errors import PolicyError
from rules.lint import lint_policy
from rules.loader import load_policy_text
from tests.helpers.samples import POLICY

TEXT = POLICY.read_text(encoding="utf-8")


def _issues(text: str) -> dict[str, tuple[str, str, str]]:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "p.yaml")
    return {issue.path: (issue.code, issue.text("en"), issue.text("zh")) for issue in caught.value.issues}


def test_the_default_policy_s_clock():
    policy = load_policy_text(TEXT)
    assert policy.clock.due_soon_percent == 80
    resolution = policy.clock.kinds["resolution"]
    assert resolution.met_by == ("resolved", "closed")
    assert resolution.pauses_on == ("waiting_for_customer",)
    assert resolution.breach_sets == "history.resolution_overdue" and resolution.record_breach
    assert policy.events["offer_rejected"].counts == "history.rejected_offers"
    assert policy.events["resolved"].once and not policy.events["responded"].once


def test_a_policy_without_a_clock_keeps_loading():
    start = TEXT.index("clock:\n  due_soon_percent")
    end = TEXT.index("\n# ---", start)
    policy = load_policy_text(TEXT[:start] + TEXT[end:])
    assert policy.clock.kinds == {}
    found = {finding.code for finding in lint_policy(policy).findings}
    assert "never_met" not in found and "unused_event" in found  # events only the clock used


@pytest.mark.parametrize(
    ("old", "new", "path", "code", "en", "zh"),
    [
        (
            "    refund: {met_by: [refund_paid], record_breach: true}",
            "    refnud: {met_by: [refund_paid], record_breach: true}",
            "clock.kinds.refnud",
            "unknown_name",
            "unknown deadline kind `refnud`",
            "未定义的时限类别 `refnud`",
        ),
        (
            "    follow_up: {met_by: [followed_up, closed]}",
            "    follow_up: {met_by: [followed_up, cloesd]}",
            "clock.kinds.follow_up.met_by",
            "unknown_name",
            "unknown event `cloesd`",
            "未定义的事件 `cloesd`",
        ),
        (
            "      resumes_on: [resumed, customer_replied]\n",
            "",
            "clock.kinds.resolution.resumes_on",
            "inconsistent",
            "also needs the events that resume it",
            "恢复计时的事件",
        ),
        (
            "      breach_sets: history.resolution_overdue",
            "      breach_sets: history.repairs",
            "clock.kinds.resolution.breach_sets",
            "unknown_name",
            "yes/no field of history",
            "是/否字段",
        ),
        (
            "    refund: {met_by: [refund_paid], record_breach: true}",
            "    refund: {met_by: [refund_paid], breach_sets: history.resolution_overdue}",
            "clock.kinds.refund.breach_sets",
            "inconsistent",
            "needs `record_breach: true`",
            "record_breach: true",
        ),
        (
            "counts: history.rejected_offers}",
            "counts: history.resolution_overdue}",
            "events.offer_rejected.counts",
            "unknown_name",
            "count field of history",
            "计数字段",
        ),
        (
            "  closed: {label: 投诉关闭, once: true}",
            "  closed: {label: 投诉关闭, once: true}\n  deadline_breached: {label: 超时}",
            "events.deadline_breached",
            "unknown_name",
            "recorded by the escalation run itself",
            "由升级任务自动记录",
        ),
    ],
)
def test_a_wrong_clock_is_refused_in_both_languages(old, new, path, code, en, zh):
    assert old in TEXT
    issues = _issues(TEXT.replace(old, new, 1))
    assert path in issues, issues
    found_code, english, chinese = issues[path]
    assert found_code == code
    assert en in english
    assert zh in chinese


def test_due_soon_percent_is_a_share_of_the_period():
    issues = _issues(TEXT.replace("due_soon_percent: 80", "due_soon_percent: 100"))
    assert issues["clock.due_soon_percent"][0] == "schema"


def test_a_deadline_kind_without_a_clock_is_a_lint_finding():
    policy = load_policy_text(TEXT.replace("    regulator_reply: {met_by: [responded, resolved]}\n", ""))
    findings = [f for f in lint_policy(policy).findings if f.code == "never_met"]
    assert [f.about for f in findings] == ["regulator_reply"]
