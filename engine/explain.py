"""The words of a decision: cited rules and a summary a customer can read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.shapes import Decision
from rules.model import Policy, RuleInfo


def cite(info: RuleInfo, stage: str, effect: str) -> dict[str, str]:
    # No line number: the policy digest covers the policy's content, not its layout,
    # so a decision must not depend on where a comment moved a rule.
    return {
        "id": info.id,
        "stage": stage,
        "description": info.description,
        "basis": info.basis,
        "effect": effect,
    }


def summary(
    policy: Policy, route: Decision, remedy: Decision, deadlines: Sequence[Mapping[str, Any]]
) -> tuple[str, str]:
    """(Chinese, English) one-paragraph summary of the decision."""
    if route["redirect"]:
        reason = route["redirect"]["reason"]
        return (f"您的投诉不在本平台受理范围内：{reason}。", f"Your complaint is outside our scope: {reason}.")
    team_zh = policy.team_labels[route["team"]]
    level_zh = policy.level_labels[route["level"]]
    zh = [f"您的投诉由{team_zh}（{level_zh}）负责处理。"]
    en = [f"Your complaint is handled by {route['team'].replace('_', ' ')} at {route['level']} level."]
    parts = remedy["components"]
    if parts:
        zh.append("拟定方案：" + "，".join(_zh_part(p) for p in parts) + "。")
        en.append("Proposed remedy: " + ", ".join(_en_part(p) for p in parts) + ".")
    else:
        zh.append(f"暂无补救方案：{remedy['reason']}。")
        en.append(f"No remedy is proposed: {remedy['reason']}.")
    # Promised only while it runs: a breached or met resolution's due time is no promise to the customer.
    resolution = next((d for d in deadlines if d["kind"] == "resolution" and d["status"] == "scheduled"), None)
    if resolution:
        zh.append(f"我们将在 {resolution['due_at']} 前处理完毕。")
        en.append(f"We will resolve it by {resolution['due_at']}.")
    return "".join(zh), " ".join(en)


def _zh_part(part: Mapping[str, Any]) -> str:
    label: str = part["label"]
    return label + (f" ¥{part['amount']}" if part["amount"] is not None else "")


def _en_part(part: Mapping[str, Any]) -> str:
    name: str = part["type"].replace("_", " ")
    return name + (f" of CNY {part['amount']}" if part["amount"] is not None else "")
