"""The public change notice (公示): what compliance staff post on the platform's rules page.

In Chinese and in English: the version, the moment it takes effect (in the policy's time zone),
when it was announced (the server-recorded moment of scheduling) and the notice that gives, and
the changes against the version it replaces, in the words of ``rules/diff.py``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from rules.diff import SECTIONS, Change, section_title
from rules.model import Policy

_STATE_ZH = {
    "proposed": "草案，待审批",
    "approved": "已批准",
    "rejected": "已驳回，不施行",
    "withdrawn": "已撤回，不施行",
    "scheduled": "已排定施行",
    "in force": "施行中",
    "superseded": "已被后续版本取代",
}


def _local(moment: dt.datetime, timezone: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(timezone))


def change_notice(
    policy: Policy,
    state: str,
    announced_at: str | None,
    replaced: Policy | None,
    changes: list[Change],
) -> dict:
    """The notice as data and as text in both languages."""
    tz = policy.timezone
    start = _local(policy.effective_from, tz)
    announced = _local(dt.datetime.fromisoformat(announced_at), tz) if announced_at else None
    days = (policy.effective_from - dt.datetime.fromisoformat(announced_at)).days if announced_at else None
    zh_when = f"{start.year}年{start.month}月{start.day}日 {start:%H:%M}（{tz}）"
    en_when = f"{start:%d %B %Y, %H:%M} ({tz})"
    zh = [f"平台规则变更公示：《{policy.name}》{policy.version} 版"]
    en = [f"Notice of a change to the platform rules: {policy.name}, version {policy.version}"]
    if state not in ("scheduled", "in force", "superseded"):
        zh.append(f"【{_STATE_ZH.get(state, state)}：本公示为草稿，不得发布】")
        en.append(f"[{state}: this is a draft, not to be posted]")
    zh.append(f"施行时间：自 {zh_when} 起收到的投诉适用本版本；此前收到的投诉仍按收到时施行的规则处理。")
    en.append(
        f"Takes effect: complaints received from {en_when} on are handled under this version; complaints "
        "received earlier keep the rules in force when they were received."
    )
    if announced is not None:
        zh.append(
            f"公示时间：{announced.year}年{announced.month}月{announced.day}日（提前 {days} 日，电子商务法第三十四条）"
        )
        en.append(f"Announced: {announced:%d %B %Y} ({days} days ahead; E-Commerce Law Art. 34)")
    if replaced is None:
        zh.append("变更内容：首个受管版本，无可比较的前一版本。")
        en.append("Changes: the first governed version; there is no earlier version to compare with.")
    elif not changes:
        zh.append(f"变更内容：与 {replaced.version} 版相比，规则内容无变化。")
        en.append(f"Changes: none in substance against version {replaced.version}.")
    else:
        zh.append(f"变更内容（相对于 {replaced.version} 版，共 {len(changes)} 项）：")
        en.append(f"Changes against version {replaced.version} ({len(changes)}):")
        for section in SECTIONS:
            mine = [c for c in changes if c.section == section]
            if not mine:
                continue
            zh.append(f"  {section_title(section, 'zh')}：")
            en.append(f"  {section_title(section, 'en')}:")
            for change in mine:
                zh.append(f"    - {change.text_in('zh')}")
                en.append(f"    - {change.text_in('en')}")
    return {
        "version": policy.version,
        "digest": policy.digest,
        "state": state,
        "effective_from": policy.effective_from.isoformat(),
        "announced_at": announced.isoformat() if announced else None,
        "notice_days": days,
        "replaces": {"version": replaced.version, "digest": replaced.digest} if replaced else None,
        "changes": [c.as_dict() for c in changes],
        "zh": "\n".join(zh),
        "en": "\n".join(en),
    }
