"""Valid, varied complaints (made-up ids only) shared by the API, store and audit tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "policies.yaml"

CATEGORIES = (
    "quality_defect",
    "no_reason_return",
    "wrong_item",
    "missing_item",
    "damaged_in_transit",
    "logistics_delay",
    "refund_delay",
    "service_attitude",
    "false_advertising",
    "counterfeit",
    "privacy",
    "price_dispute",
    "not_consumer_dispute",
    "other",
)
CHANNELS = ("online_chat", "phone", "email", "platform_message", "social_media", "self_service", "regulator")
REMEDIES = ("refund", "return_refund", "exchange", "repair", "compensation", "none")
FLAGS = ((), ("expedited",), ("media_exposure",), ("safety_hazard",), ("human_review_requested",))


def make_complaint(i: int, prefix: str = "C") -> dict:
    day = 2 + i % 26
    complaint = {
        "complaint_id": f"{prefix}-{i:06d}",
        "received_at": f"2026-03-{day:02d}T{8 + i % 12:02d}:{i % 60:02d}:00+08:00",
        "channel": CHANNELS[i % len(CHANNELS)],
        "category": CATEGORIES[i % len(CATEGORIES)],
        "order": {
            "order_id": f"O-{i}",
            "amount": f"{(i * 37) % 6000 + 1}.{i % 100:02d}",
            "paid_at": "2026-02-20T09:00:00+08:00",
            "delivered_at": "2026-02-25T09:00:00+08:00",
            "goods_condition": ("intact", "opened_for_inspection", "used", "damaged")[i % 4],
            "merchant": ("self_operated", "third_party")[i % 2],
        },
        "claim": {"remedy": REMEDIES[i % len(REMEDIES)]},
        "customer": {"customer_id": f"U-{i}", "tier": ("regular", "vip")[i % 5 == 0]},
        "flags": list(FLAGS[i % len(FLAGS)]),
    }
    if i % 7 == 3:
        complaint["description"] = "商品质量有问题，要求处理"
    return complaint
