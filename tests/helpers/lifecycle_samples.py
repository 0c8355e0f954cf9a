"""Policy variants and complaints for the lifecycle tests (text edits of the shipped policy)."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TEXT = (REPO / "policies.yaml").read_text(encoding="utf-8")

FRONTLINE_REFUND = "refund: {label: 退款, limits: {frontline: 200.00,"


def variant(
    version: str,
    *,
    frontline_refund: str = "200.00",
    announced: str = "2024-12-16T09:00:00+08:00",
    effective: str = "2025-01-01T00:00:00+08:00",
) -> str:
    """The shipped policy with another version label, dates and frontline refund limit."""
    text = DEFAULT_TEXT
    for old, new in (
        ('version: "2026.1"', f'version: "{version}"'),
        ("announced_at: 2024-12-16T09:00:00+08:00", f"announced_at: {announced}"),
        ("effective_from: 2025-01-01T00:00:00+08:00", f"effective_from: {effective}"),
        (FRONTLINE_REFUND, FRONTLINE_REFUND.replace("200.00", frontline_refund)),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def refund_complaint(complaint_id: str, received_at: str, amount: str = "250.00") -> dict:
    """A wrong item the customer wants refunded: the refund's approver depends on the frontline limit."""
    return {
        "complaint_id": complaint_id,
        "received_at": received_at,
        "channel": "online_chat",
        "category": "wrong_item",
        "order": {
            "order_id": "O-1",
            "amount": amount,
            "paid_at": "2025-01-02T10:00:00+08:00",
            "delivered_at": "2025-01-04T10:00:00+08:00",
            "goods_condition": "intact",
        },
        "claim": {"remedy": "refund"},
        "customer": {"customer_id": "U-1", "tier": "regular", "complaints_last_30_days": 0},
    }


def body(complaint: dict) -> str:
    return json.dumps(complaint, ensure_ascii=False)
