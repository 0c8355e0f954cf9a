"""The public change notice (公示) lists the changes in Chinese in its Chinese text, in English in its English."""

from __future__ import annotations

from lifecycle.notice import change_notice
from rules.diff import diff_policies
from rules.loader import load_policy_file, load_policy_text
from tests.helpers.policy_lang_files import DEFAULT_POLICY


def test_the_notice_lists_each_change_in_the_language_of_its_text():
    old = load_policy_file(DEFAULT_POLICY)
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    text = text.replace('version: "2026.1"', 'version: "2026.2"').replace(
        "refund: {label: 退款, limits: {frontline: 200.00", "refund: {label: 退款, limits: {frontline: 300.00"
    )
    text = text.replace(
        "        - 2026-10-01..2026-10-07   # 国庆节\n",
        "        - 2026-10-01..2026-10-07   # 国庆节\n        - 2026-12-31\n",
    )
    new = load_policy_text(text, "new.yaml")
    changes = diff_policies(old, new)
    notice = change_notice(new, "scheduled", "2026-01-01T00:00:00+08:00", old, changes)
    zh, en = notice["zh"].splitlines(), notice["en"].splitlines()
    assert zh[zh.index("变更内容（相对于 2026.1 版，共 3 项）：") :] == [
        "变更内容（相对于 2026.1 版，共 3 项）：",
        "  基本信息：",
        "    - version：2026.1 → 2026.2",
        "  审批权限：",
        "    - refund（与 return_refund 共用）：frontline 限额 200.00 → 300.00",
        "  节假日：",
        "    - 新增节假日：2026-12-31（星期四）",
    ]
    assert "  审批权限：" in zh and "    - refund（与 return_refund 共用）：frontline 限额 200.00 → 300.00" in zh
    assert "  节假日：" in zh and "    - 新增节假日：2026-12-31（星期四）" in zh
    assert "  Authority:" in en and "    - refund (shared by return_refund): frontline limit 200.00 → 300.00" in en
    assert "  Calendar:" in en and "    - holiday added: 2026-12-31 (Thursday)" in en
    # No English sentence in the Chinese text, no Chinese section title in the English one.
    assert not any("limit" in line or "holiday added" in line for line in zh)
    assert not any("审批权限" in line or "节假日" in line for line in en)
    assert [c["text"] for c in notice["changes"]][-1] == "holiday added: 2026-12-31 (Thursday)"
