"""A seeded generator of realistic complaints (no corpus file is committed).

Every complaint is valid under ``engine/complaint.py``. The mix covers every
category, channel, goods type, goods condition, tier and input flag; amounts
cluster around each authority edge (refund 200/2000, resend 300/3000,
compensation 50/500 and the 10 % compensation band, the 2,000 quality edge,
the punitive-damages minimums); complaint dates spread over 2025-2026 with
extra weight on holiday weeks and make-up working days; deliveries sit around
the 7- and 15-day windows, promised deliveries around the 7-day delay window
and completions around the 3-year limit; about a quarter are re-evaluations
with history.

    python -m bench.corpus --n 5 --seed 20260101      # print a few as JSON lines
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from collections.abc import Iterator
from decimal import Decimal

from rules.vocabulary import CATEGORIES, CHANNELS, CLAIM_REMEDIES, GOODS_CONDITIONS, GOODS_TYPES, INPUT_FLAGS, MERCHANTS

DEFAULT_SEED = 20260106
DEFAULT_N = 100_000

START = dt.date(2025, 1, 1)
DAYS = (dt.date(2026, 12, 31) - START).days + 1
CST = dt.timezone(dt.timedelta(hours=8))
OTHER_OFFSETS = (dt.UTC, dt.timezone(dt.timedelta(hours=9)), dt.timezone(dt.timedelta(hours=-5)))

# Holiday weeks and make-up working days of 2025-2026 (brief section 5), where windows stretch.
SPECIAL_DAYS = tuple(
    dt.date.fromisoformat(d)
    for d in (
        "2025-01-01 2025-01-26 2025-01-28 2025-02-04 2025-02-08 2025-04-04 2025-04-06 2025-04-27 2025-05-01 "
        "2025-05-05 2025-05-31 2025-06-02 2025-09-28 2025-10-01 2025-10-08 2025-10-11 2026-01-01 2026-01-03 "
        "2026-01-04 2026-02-14 2026-02-15 2026-02-23 2026-02-28 2026-04-04 2026-04-06 2026-05-01 2026-05-05 "
        "2026-05-09 2026-06-19 2026-06-21 2026-09-20 2026-09-25 2026-09-27 2026-10-01 2026-10-07 2026-10-10"
    ).split()
)

# Order amounts: each authority edge, one cent either side, and the places where a
# percentage, a multiple or a minimum crosses an edge.
EDGE_AMOUNTS = tuple(
    Decimal(a)
    for a in (
        "0.00 0.01 0.05 0.49 0.50 0.51 4.99 5.00 5.01 49.99 50.00 50.01 166.66 166.67 199.99 200.00 200.01 "
        "299.99 300.00 300.01 499.99 500.00 500.01 666.66 666.67 1999.99 2000.00 2000.01 2999.99 3000.00 "
        "3000.01 4999.99 5000.00 5000.01 123.45 123.44 123.46 1.05 1.15 0.04 0.06"
    ).split()
)
CATEGORY_WEIGHTS = (10, 10, 6, 6, 6, 7, 6, 5, 5, 6, 4, 6, 3, 4)
CHANNEL_WEIGHTS = (30, 20, 8, 15, 8, 14, 5)
GOODS_WEIGHTS = (55, 15, 8, 8, 7, 7)
FLAG_PROBABILITY = {
    "safety_hazard": 0.04,
    "media_exposure": 0.05,
    "fraud_alleged": 0.10,
    "punitive_damages_claimed": 0.05,
    "human_review_requested": 0.06,
    "merchant_promised_return": 0.10,
    "consumer_chose_courier": 0.08,
    "expedited": 0.10,
}
EDGE_DAYS = (0, 1, 6, 7, 8, 9, 14, 15, 16, 17)
DESCRIPTIONS = ("收到的商品与描述不符", "快递一直没有送到", "客服态度很差", "要求退款", "商品有质量问题", "")

assert set(FLAG_PROBABILITY) == set(INPUT_FLAGS)
assert len(CATEGORY_WEIGHTS) == len(CATEGORIES) and len(CHANNEL_WEIGHTS) == len(CHANNELS)
assert len(GOODS_WEIGHTS) == len(GOODS_TYPES)


def iter_complaints(n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> Iterator[dict]:
    """``n`` complaints as a caller would send them (JSON-ready: amounts and times as strings)."""
    rng = random.Random(seed)
    for i in range(n):
        yield _complaint(rng, f"B{seed}-{i:07d}")


def generate(n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> list[dict]:
    return list(iter_complaints(n, seed))


def _complaint(rng: random.Random, cid: str) -> dict:
    category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
    received = _received(rng)
    amount = _amount(rng)
    order: dict = {"order_id": "O" + cid[1:], "amount": _money(rng, amount)}
    goods_type = rng.choices(GOODS_TYPES, GOODS_WEIGHTS)[0]
    if rng.random() < 0.9 or goods_type != "general":
        order["goods_type"] = goods_type
    if rng.random() < 0.85:
        order["goods_condition"] = rng.choice(GOODS_CONDITIONS)
    if rng.random() < 0.9:
        order["merchant"] = rng.choice(MERCHANTS)

    earliest = received
    not_delivered = rng.random() < (0.35 if category in ("logistics_delay", "no_reason_return") else 0.08)
    if category == "logistics_delay" or rng.random() < 0.3:
        promised = received - _days(rng) + dt.timedelta(minutes=rng.randrange(-720, 720))
        order["promised_delivery_at"] = _stamp(rng, promised)
        earliest = min(earliest, promised)
    if not not_delivered:
        delivered = received - _days(rng) - dt.timedelta(minutes=rng.randrange(0, 1440))
        if rng.random() < 0.05:  # delivered hours before the complaint, same day
            delivered = received - dt.timedelta(minutes=rng.randrange(1, 600))
        order["delivered_at"] = _stamp(rng, delivered)
        earliest = min(earliest, delivered)
        if rng.random() < 0.5:
            if rng.random() < 0.3:  # around the 3-year limit
                completed = received - dt.timedelta(days=365 * 3 + rng.randrange(-3, 5), minutes=rng.randrange(0, 1440))
            else:
                completed = delivered + dt.timedelta(days=rng.randrange(0, 8), minutes=rng.randrange(0, 600))
                completed = min(completed, received)
            order["completed_at"] = _stamp(rng, completed)
            earliest = min(earliest, completed)
    if rng.random() < 0.95:
        paid = earliest - dt.timedelta(days=rng.randrange(0, 5), minutes=rng.randrange(0, 1440))
        order["paid_at"] = _stamp(rng, paid)

    complaint: dict = {
        "complaint_id": cid,
        "received_at": _stamp(rng, received),
        "channel": rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
        "category": category,
        "order": order,
    }
    claim = _claim(rng, category, amount)
    if claim:
        complaint["claim"] = claim
    if rng.random() < 0.95:
        customer: dict = {"customer_id": f"U{rng.randrange(1, 10**7)}"}
        if rng.random() < 0.9:
            customer["tier"] = "vip" if rng.random() < 0.15 else "regular"
        if rng.random() < 0.9:
            customer["complaints_last_30_days"] = rng.choices((0, 1, 2, 3, 4, 8), (40, 25, 15, 10, 6, 4))[0]
        complaint["customer"] = customer
    if rng.random() < 0.25:
        complaint["history"] = _history(rng, category, received)
    flags = [flag for flag, p in FLAG_PROBABILITY.items() if rng.random() < p]
    if flags or rng.random() < 0.5:
        rng.shuffle(flags)
        complaint["flags"] = flags
    if rng.random() < 0.3:
        complaint["description"] = rng.choice(DESCRIPTIONS)
    return complaint


def _received(rng: random.Random) -> dt.datetime:
    if rng.random() < 0.3:
        day = rng.choice(SPECIAL_DAYS) + dt.timedelta(days=rng.randrange(-9, 10))
        day = min(max(day, START), dt.date(2026, 12, 31))
    else:
        day = START + dt.timedelta(days=rng.randrange(DAYS))
    seconds = rng.choice((0, 1, 86399, rng.randrange(86400)))  # midnight edges too
    return dt.datetime.combine(day, dt.time(), CST) + dt.timedelta(seconds=seconds)


def _days(rng: random.Random) -> dt.timedelta:
    if rng.random() < 0.7:
        return dt.timedelta(days=rng.choice(EDGE_DAYS))
    return dt.timedelta(days=rng.randrange(0, 60))


def _amount(rng: random.Random) -> Decimal:
    if rng.random() < 0.45:
        return rng.choice(EDGE_AMOUNTS)
    cents = int(10 ** rng.uniform(0, 6.7))  # 0.01 .. about 50,000.00, log-uniform
    return Decimal(cents) / 100


def _money(rng: random.Random, amount: Decimal) -> str | int:
    if amount == amount.to_integral_value() and rng.random() < 0.2:
        return int(amount)  # a JSON number is accepted too
    return f"{amount:.2f}"


def _claim(rng: random.Random, category: str, amount: Decimal) -> dict:
    claim: dict = {}
    if rng.random() < 0.5:
        claim["remedy"] = rng.choice(CLAIM_REMEDIES)
    if rng.random() < (0.85 if category == "price_dispute" else 0.25):
        choice = rng.random()
        if choice < 0.3:
            value = rng.choice(EDGE_AMOUNTS)
        elif choice < 0.6:
            value = (amount * Decimal(rng.choice((10, 50, 90, 100, 101, 150, 300)))) / 100
        else:
            value = Decimal(int(10 ** rng.uniform(0, 5.5))) / 100
        # a claim of 0.00 is a field error: the smallest claim is 0.01
        claim["amount"] = _money(rng, max(value.quantize(Decimal("0.01")), Decimal("0.01")))
    return claim


def _history(rng: random.Random, category: str, received: dt.datetime) -> dict:
    history: dict = {}
    if rng.random() < 0.85:
        history["level"] = rng.choice(("frontline", "frontline", "supervisor", "manager"))
    if rng.random() < 0.8:
        history["rejected_offers"] = rng.choice((0, 1, 1, 2, 3))
    if rng.random() < 0.6:
        history["resolution_overdue"] = rng.random() < 0.3
    if category == "quality_defect" or rng.random() < 0.1:
        history["repairs"] = rng.choice((0, 1, 2, 2, 3))
    if category == "refund_delay" or rng.random() < 0.05:
        history["refund_overdue_days"] = rng.choice((0, 3, 6, 7, 8, 9, 15, 30))
    if rng.random() < 0.4:
        arrived = received + dt.timedelta(days=rng.randrange(0, 6), minutes=rng.randrange(0, 1440))
        history["return_received_at"] = _stamp(rng, arrived)
    return history


def _stamp(rng: random.Random, moment: dt.datetime) -> str:
    if rng.random() < 0.1:
        moment = moment.astimezone(rng.choice(OTHER_OFFSETS))
    return moment.isoformat()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    for complaint in iter_complaints(args.n, args.seed):
        print(json.dumps(complaint, ensure_ascii=False))


if __name__ == "__main__":
    main()
