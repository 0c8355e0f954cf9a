"""Decisions are a pure function of (complaint, policy): the same bytes every time, in any thread."""

from __future__ import annotations

import datetime as dt
import random
import threading
from concurrent.futures import ThreadPoolExecutor

from canonical import canonical_json
from rules.vocabulary import CATEGORIES, CHANNELS, GOODS_CONDITIONS, GOODS_TYPES, INPUT_FLAGS, TIERS

THREADS = 8
PER_THREAD = 300


def _workload(make_complaint, count: int) -> list[dict]:
    rng = random.Random(20261001)
    base = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    complaints = []
    for index in range(count):
        received = base + dt.timedelta(minutes=rng.randrange(0, 360 * 24 * 60))
        paid = received - dt.timedelta(days=rng.randrange(1, 40))
        delivered = min(paid + dt.timedelta(days=rng.randrange(0, 5)), received)
        overrides = {
            "complaint_id": f"T-{index}",
            "received_at": received.isoformat(),
            "channel": rng.choice(CHANNELS),
            "category": rng.choice(CATEGORIES),
            "order": {
                "amount": f"{rng.randrange(0, 600000) / 100:.2f}",
                "paid_at": paid.isoformat(),
                "delivered_at": delivered.isoformat(),
                "goods_type": rng.choice(GOODS_TYPES),
                "goods_condition": rng.choice(GOODS_CONDITIONS),
            },
            "customer": {"tier": rng.choice(TIERS), "complaints_last_30_days": rng.randrange(0, 5)},
            "flags": rng.sample(INPUT_FLAGS, rng.randrange(0, 3)),
        }
        if rng.random() < 0.3:
            overrides["history"] = {
                "level": rng.choice(["frontline", "supervisor", "manager"]),
                "rejected_offers": rng.randrange(0, 4),
                "return_received_at": (received + dt.timedelta(days=rng.randrange(0, 10))).isoformat(),
            }
        if rng.random() < 0.3:
            overrides["claim"] = {"remedy": "refund", "amount": f"{rng.randrange(1, 50000) / 100:.2f}"}
        complaints.append(make_complaint(**overrides))
    return complaints


def test_same_complaint_twice_gives_identical_bytes(decider, complaint):
    raw = complaint(category="counterfeit", order={"goods_type": "food"}, flags=["media_exposure", "expedited"])
    first = canonical_json(decider.decide(raw))
    second = canonical_json(decider.decide(raw))
    assert first == second
    assert (
        canonical_json(
            decider.decide(
                complaint(category="counterfeit", order={"goods_type": "food"}, flags=["media_exposure", "expedited"])
            )
        )
        == first
    )


def test_many_threads_decide_exactly_as_one(decider, complaint):
    complaints = _workload(complaint, THREADS * PER_THREAD)
    expected = [canonical_json(decider.decide(raw)) for raw in complaints]
    assert len(set(expected)) == len(expected)  # complaint ids differ

    barrier = threading.Barrier(THREADS)

    def worker(offset: int) -> list[tuple[int, str]]:
        barrier.wait()
        # every thread walks the whole set in its own order, so the same complaint is decided concurrently
        order = list(range(len(complaints)))
        random.Random(offset).shuffle(order)
        return [(i, canonical_json(decider.decide(complaints[i]))) for i in order[: PER_THREAD * 2]]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    mismatches = [i for chunk in results for i, text in chunk if text != expected[i]]
    assert sum(len(chunk) for chunk in results) == THREADS * PER_THREAD * 2
    assert mismatches == []


def test_the_workload_covers_the_rules(decider, complaint):
    complaints = _workload(complaint, THREADS * PER_THREAD)
    cited = set()
    for raw in complaints:
        cited.update(rule["id"] for rule in decider.decide(raw)["explanation"]["rules"])
    # the mix exercises most of the policy, so a thread-unsafe rule would show up
    assert len(cited) >= 40, sorted(cited)
