"""`complaints diff`: what changed between two policy versions, on the model, in words."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from rules.diff import diff_lines, diff_policies
from rules.loader import load_policy_file, load_policy_text
from tests.helpers.policy_lang_files import DEFAULT_POLICY

RAISE_REFUND = (
    "refund: {label: 退款, limits: {frontline: 200.00",
    "refund: {label: 退款, limits: {frontline: 300.00",
)
ADD_HOLIDAY = (
    "        - 2026-10-01..2026-10-07   # 国庆节\n",
    "        - 2026-10-01..2026-10-07   # 国庆节\n        - 2026-12-31\n",
)


@pytest.fixture(scope="module")
def old():
    return load_policy_file(DEFAULT_POLICY)


@pytest.fixture(scope="module")
def text():
    return DEFAULT_POLICY.read_text(encoding="utf-8")


def _edit(text: str, *edits: tuple[str, str]) -> str:
    for before, after in edits:
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    return text


def _write(tmp_path, text: str, name: str = "new.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_raised_refund_limit_and_added_holiday_are_exactly_the_changes(tmp_path, old, text):
    path = _write(tmp_path, _edit(text, RAISE_REFUND, ADD_HOLIDAY))
    new = load_policy_file(path)
    changes = diff_policies(old, new)
    assert [c.as_dict() for c in changes] == [
        {
            "section": "authority",
            "action": "changed",
            "item": "refund, return_refund",
            "part": "limits.frontline",
            "old": "200.00",
            "new": "300.00",
            "text": "refund (shared by return_refund): frontline limit 200.00 → 300.00",
        },
        {
            "section": "calendar",
            "action": "added",
            "item": "2026-12-31",
            "part": "holidays",
            "old": None,
            "new": "2026-12-31",
            "text": "holiday added: 2026-12-31 (Thursday)",
        },
    ]
    lines = diff_lines(old, new, changes)
    assert lines[2:] == [
        "2 change(s):",
        "Authority:",
        "  ~ refund (shared by return_refund): frontline limit 200.00 → 300.00",
        "Calendar:",
        "  + holiday added: 2026-12-31 (Thursday)",
    ]
    zh = diff_lines(old, new, changes, "zh")
    assert zh[1].startswith("  → ") and "（版本 2026.1，2025-01-01T00:00:00+08:00 起施行）" in zh[0]
    assert zh[2:] == [
        "共 2 处变化：",
        "审批权限：",
        "  ~ refund（与 return_refund 共用）：frontline 限额 200.00 → 300.00",
        "节假日：",
        "  + 新增节假日：2026-12-31（星期四）",
    ]
    assert [c.as_dict("zh")["text"] for c in changes] == [line[4:] for line in zh if line.startswith("  ~ ")] + [
        "新增节假日：2026-12-31（星期四）"
    ]


def test_same_policy_and_reformatted_policy_have_no_changes(old, text):
    assert diff_policies(old, load_policy_text(text, "copy.yaml")) == []
    without_comments = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")) + "\n"
    reformatted = load_policy_text(without_comments, "reformatted.yaml")
    assert reformatted.digest == old.digest
    assert diff_policies(old, reformatted) == []
    assert diff_lines(old, reformatted, [])[-1] == "No changes: identical content."
    assert diff_lines(old, reformatted, [], "zh")[-1] == "没有变化：内容完全相同。"


def test_rules_header_windows_deadlines_and_calendar_changes_in_words(old, text):
    new_text = _edit(
        text,
        ('version: "2026.1"', 'version: "2026.2"'),
        ("effective_from: 2025-01-01T00:00:00+08:00", "effective_from: 2026-02-10T00:00:00+08:00"),
        (
            "when: {category: quality_defect, order.amount: {above: 2000.00}}",
            "when: {category: quality_defect, order.amount: {above: 3000.00}, order.merchant: third_party}",
        ),
        ("percent: 10, min: 5.00, max: 50.00}", "percent: 10, min: 5.00, max: 80.00}"),
        ("makeup_working_days: [2026-01-04, 2026-02-14,", "makeup_working_days: [2026-02-14,"),
        ("        - 2026-06-19..2026-06-21   # 端午节\n", ""),
        ("    period: {calendar_days: 15}", "    period: {calendar_days: 14}"),
        ("    due: {after: received, working_days: 3}", "    due: {after: received, working_days: 2}"),
        (
            """  - id: R11_refund_delay
    description: A late refund is handled by at least a supervisor.
    basis: CPL Art. 25
    when: {category: refund_delay}
    then: {min_level: supervisor}
""",
            "",
        ),
    )
    # M07 before M06: within quality_defect the first match wins, so order is meaning.
    start, middle, end = (
        new_text.index("  - id: M06_quality_exchange_15_days"),
        new_text.index("  - id: M07_quality_exchange_after_repairs"),
        new_text.index("  - id: M08_quality_repair"),
    )
    new_text = new_text[:start] + new_text[middle:end] + new_text[start:middle] + new_text[end:]
    changes = diff_policies(old, load_policy_text(new_text, "new.yaml"))
    texts = [c.text for c in changes]
    assert texts == [
        "version: 2026.1 → 2026.2",
        "effective_from: 2025-01-01T00:00:00+08:00 → 2026-02-10T00:00:00+08:00",
        "delivery_15_days period: 15 calendar days from order.delivered_at → 14 calendar days from order.delivered_at",
        "routing rule removed: R11_refund_delay: when category is refund_delay → level at least supervisor",
        "R05_quality_high_value conditions: changes order.amount above 2000.00 → order.amount above 3000.00, "
        "adds order.merchant is third_party "
        "(now: category is quality_defect; order.amount above 3000.00; order.merchant is third_party)",
        "M15_delay_compensation remedy 1: compensation (10% of order.amount, at least 5.00, at most 50.00) → "
        "compensation (10% of order.amount, at least 5.00, at most 80.00)",
        "order of the `quality_defect` rules (first match wins): M05_quality_return_7_days → "
        "M06_quality_exchange_15_days → M07_quality_exchange_after_repairs → M07b_quality_delivery_date_needed → "
        "M08_quality_repair becomes M05_quality_return_7_days → M07_quality_exchange_after_repairs → "
        "M07b_quality_delivery_date_needed → M06_quality_exchange_15_days → M08_quality_repair",
        "D15_regulator_reply due: 3 working days after received → 2 working days after received",
        "holiday removed: 2026-06-19..2026-06-21 (Friday to Sunday)",
        "make-up working day (调休) removed: 2026-01-04 (Sunday)",
    ]
    assert {c.section for c in changes} == {"header", "windows", "routing", "remedies", "deadlines", "calendar"}
    # The same changes in Chinese: rule ids, fields, values and dates as the policy writes them.
    assert [c.text_in("zh") for c in changes] == [
        "version：2026.1 → 2026.2",
        "effective_from：2025-01-01T00:00:00+08:00 → 2026-02-10T00:00:00+08:00",
        "delivery_15_days period：自 order.delivered_at 起 15 个自然日 → 自 order.delivered_at 起 14 个自然日",
        "删除分派规则：R11_refund_delay：当 category 为 refund_delay → 层级至少为 supervisor",
        "R05_quality_high_value 的条件：把 order.amount 高于 2000.00 改为 order.amount 高于 3000.00，"
        "增加 order.merchant 为 third_party"
        "（现为：category 为 quality_defect；order.amount 高于 3000.00；order.merchant 为 third_party）",
        "M15_delay_compensation 第 1 项补救措施：compensation（order.amount 的 10%，最少 5.00，最多 50.00） → "
        "compensation（order.amount 的 10%，最少 5.00，最多 80.00）",
        "`quality_defect` 类规则的顺序（先匹配者生效）：M05_quality_return_7_days → "
        "M06_quality_exchange_15_days → M07_quality_exchange_after_repairs → M07b_quality_delivery_date_needed → "
        "M08_quality_repair 改为 M05_quality_return_7_days → M07_quality_exchange_after_repairs → "
        "M07b_quality_delivery_date_needed → M06_quality_exchange_15_days → M08_quality_repair",
        "D15_regulator_reply due：received 后 3 个工作日 → received 后 2 个工作日",
        "删除节假日：2026-06-19..2026-06-21（星期五至星期日）",
        "删除调休上班日：2026-01-04（星期日）",
    ]


def test_added_rule_and_year(old, text):
    new_text = _edit(
        text,
        (
            "  - id: D15_regulator_reply",
            """  - id: D16_privacy_reply
    kind: regulator_reply
    description: Privacy complaints get a reply within 5 working days.
    basis: 个人信息保护法 Art. 50
    when: {category: privacy}
    due: {after: received, working_days: 5}
  - id: D15_regulator_reply""",
        ),
    )
    new_text = new_text.replace(
        "    2026:\n      holidays:\n",
        "    2027:\n      holidays: [2027-01-01]\n    2026:\n      holidays:\n",
    )
    changes = diff_policies(old, load_policy_text(new_text, "new.yaml"))
    # the statutory days the fallback counted as holidays, now working days in this (partial) 2027
    fallback = [c.item for c in changes if c.part == "fallback"]
    assert fallback[:4] == ["2027-02-05", "2027-02-08", "2027-04-05", "2027-06-09"]
    changes = [c for c in changes if c.part != "fallback"]
    assert [(c.section, c.action, c.item) for c in changes] == [
        ("deadlines", "added", "D16_privacy_reply"),
        ("calendar", "added", "2027"),
        ("calendar", "added", "2027-01-01"),
    ]
    assert changes[0].text == (
        "deadline rule added: D16_privacy_reply: regulator_reply due 5 working days after received "
        "when category is privacy"
    )
    assert changes[0].text_in("zh") == (
        "新增时限规则：D16_privacy_reply：regulator_reply 时限为 received 后 5 个工作日，条件：category 为 privacy"
    )
    assert changes[1].text_in("zh") == "新增 2027 年"
    fallback_change = diff_policies(old, load_policy_text(new_text, "new.yaml"))[2]
    assert fallback_change.part == "fallback"
    assert fallback_change.text_in("zh") == (
        "2027-02-05（星期五）现为工作日；后备规则（statutory）曾把它算作非工作日："
        "按后备规则计算且涉及这一天的决定会改变"
    )


def test_cli_diff_text_and_json(tmp_path, text):
    path = _write(tmp_path, _edit(text, RAISE_REFUND, ADD_HOLIDAY))
    runner = CliRunner()
    result = runner.invoke(cli, ["diff", str(DEFAULT_POLICY), str(path)])  # Chinese by default
    assert result.exit_code == 0, result.output
    assert "共 2 处变化：" in result.stdout
    assert "  ~ refund（与 return_refund 共用）：frontline 限额 200.00 → 300.00" in result.stdout
    assert "  + 新增节假日：2026-12-31（星期四）" in result.stdout
    result = runner.invoke(cli, ["diff", str(DEFAULT_POLICY), str(path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "2 change(s):" in result.stdout
    assert "  ~ refund (shared by return_refund): frontline limit 200.00 → 300.00" in result.stdout
    assert "  + holiday added: 2026-12-31 (Thursday)" in result.stdout
    result = runner.invoke(cli, ["diff", str(DEFAULT_POLICY), str(path), "--json"])
    payload = json.loads(result.stdout)
    assert payload["changes"][1]["text"] == "holiday added: 2026-12-31 (Thursday)"  # English for scripts
    zh = json.loads(runner.invoke(cli, ["diff", str(DEFAULT_POLICY), str(path), "--json", "--lang", "zh"]).stdout)
    assert zh["changes"][1]["text"] == "新增节假日：2026-12-31（星期四）"
    assert [list(c) for c in zh["changes"]] == [list(c) for c in payload["changes"]]
    assert payload["old"]["version"] == payload["new"]["version"] == "2026.1"
    assert payload["old"]["digest"] != payload["new"]["digest"]
    assert [(c["section"], c["part"]) for c in payload["changes"]] == [
        ("authority", "limits.frontline"),
        ("calendar", "holidays"),
    ]
    broken = _write(tmp_path, text.replace("frontline: 200.00", "frontline: lots"), "broken.yaml")
    result = runner.invoke(cli, ["diff", str(DEFAULT_POLICY), str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:" in result.stderr and "authority.remedies.refund.limits.frontline" in result.stderr
