"""The golden corpus: a seeded corpus of complaints and event lives, decided, hashed, the hash recorded per engine version.

Every decision the engine makes is stamped with ``engine_version``. The promise to auditors is that a
decision changes (any byte of it) only with a new engine version: then a replay of an old decision
names the engine version it needs instead of reporting a difference. This module holds the promise:
``digest()`` decides a fixed corpus (``bench.corpus``'s seeded complaints, and one in three of them
with a seeded life of events, decided through the ``engine.clock`` envelope as the store keeps it) on a
fixed policy (``tests/golden/policy.yaml``, a copy of the shipped policy at the release) and hashes the
canonical JSON of every decision (or every refusal) in order; ``engine_versions.json`` records the hash
per engine version; tests/golden/test_golden.py fails when they disagree.

When a change alters decisions on purpose: give the release a new version (``pyproject.toml``) and
record its hash with

    python -m tests.golden.corpus --update

(before a release is cut, ``--update`` may also re-record the unreleased version's own hash).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
from decimal import Decimal
from pathlib import Path

from bench.corpus import iter_complaints
from canonical import canonical_json
from engine.clock import EVALUATION
from engine.compiled import decider_for_file, decider_for_text
from engine.complaint import ComplaintError
from engine.decider import Decider
from engine.version import ENGINE_VERSION

HERE = Path(__file__).resolve().parent
POLICY = HERE / "policy.yaml"
RECORDED = HERE / "engine_versions.json"
COMPLAINTS = 3000
SEED = 20261207
LIFE = (  # the events a complaint's life may report, in the order they may happen
    "responded",
    "waiting_for_customer",
    "customer_replied",
    "resumed",
    "return_received",
    "goods_at_service_centre",
    "refund_paid",
    "resolved",
    "followed_up",
    "closed",
)


def requests(n: int = COMPLAINTS, seed: int = SEED) -> list[object]:
    """The corpus as stored requests: a complaint, or (one in three) the envelope of a complaint and its events."""
    rng = random.Random(seed)
    out: list[object] = []
    for index, complaint in enumerate(iter_complaints(n, seed)):
        if index % 3:
            out.append(complaint)
            continue
        at = dt.datetime.fromisoformat(complaint["received_at"])
        events = []
        for name in sorted(rng.sample(LIFE, rng.randint(1, 5)), key=LIFE.index):
            at += dt.timedelta(minutes=rng.randint(5, 60 * 24 * 4))
            events.append({"type": name, "at": at.isoformat()})
        out.append({"evaluation": EVALUATION, "complaint": complaint, "events": events})
    return out


def digest(decider: Decider | None = None, n: int = COMPLAINTS, seed: int = SEED) -> str:
    """SHA-256 over the canonical JSON of every decision of the corpus (a refusal: its error), in order."""
    decider = decider or decider_for_file(POLICY)
    hasher = hashlib.sha256()
    for request in requests(n, seed):
        raw = json.loads(json.dumps(request), parse_float=Decimal)  # as the store's request body is read back
        try:
            line = canonical_json(decider.decide_request(raw))
        except ComplaintError as exc:
            line = canonical_json({"refused": exc.errors})
        # Anything else raised is a crash of the engine: it fails the test, it is not a recorded outcome.
        hasher.update(line.encode("utf-8"))
        hasher.update(b"\n")
    return hasher.hexdigest()


def decider_with_text(text: str) -> Decider:
    return decider_for_text(text, "golden")


def recorded() -> dict[str, str]:
    return json.loads(RECORDED.read_text(encoding="utf-8")) if RECORDED.exists() else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help=f"record the digest for engine {ENGINE_VERSION}")
    args = parser.parse_args(argv)
    fresh = digest()
    known = recorded()
    print(f"engine {ENGINE_VERSION}: {fresh} ({COMPLAINTS} complaints, seed {SEED})")
    if not args.update:
        same = known.get(ENGINE_VERSION) == fresh
        print("matches the recorded digest" if same else f"recorded: {known.get(ENGINE_VERSION)}")
        return 0 if same else 1
    if known.get(ENGINE_VERSION) not in (None, fresh):
        print(f"re-recorded engine {ENGINE_VERSION} (was {known[ENGINE_VERSION]})")
    known[ENGINE_VERSION] = fresh
    RECORDED.write_text(json.dumps(dict(sorted(known.items())), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
