"""CPU time per decision, best of several passes: ``decide()``, the rule stage and zen, in one process.

    python -m bench.cpu [--n 5000] [--passes 7]

On a machine other sessions share, wall-clock rates swing with their load (zen alone made
5,000-14,000/s from one ``bench.engine`` run to the next here). The least CPU time a pass took
is the steadiest figure of what the code costs: each pass decides the whole seeded corpus with
each implementation in turn, the passes interleaved, and the best is kept. Run it on two trees
one after the other to compare them; the ratios against zen are within one process.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus import DEFAULT_SEED, iter_complaints
from bench.prepare import (
    DEFAULT_POLICY,
    clear_outcome_caches,
    decider_with_cache,
    engine_rules,
    load_decider,
    machine,
    prepare,
)
from bench.zen_graph import ZenDecider


def best_cpu_us(calls: dict[str, Callable[[], object]], count: int, passes: int) -> dict[str, float]:
    """Per call name, the least CPU time of ``passes`` interleaved passes, in µs per decision."""
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(passes):
        for name, call in calls.items():
            start = time.process_time()
            call()
            best[name] = min(best[name], time.process_time() - start)
    return {name: seconds / count * 1e6 for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="best-of-N CPU time per decision: decide(), rule stage, zen")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--policy", default=str(DEFAULT_POLICY))
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    cached = decider_with_cache(load_decider(args.policy), "on")
    uncached = decider_with_cache(cached, "off")
    zen = ZenDecider("engine")
    raws = list(iter_complaints(args.n, args.seed))
    prepared = [prepare(cached, raw) for raw in raws]

    def cold(run: Callable[[], object]) -> Callable[[], object]:
        # Each pass starts with an empty outcome cache: its hits are the corpus's own repeats,
        # not the previous pass's answers.
        return lambda: (clear_outcome_caches(cached), run())

    def each(call: Callable[[object], object], items: list) -> Callable[[], object]:
        # Each answer dropped as a server drops it: a list keeping 5,000 decisions would make the
        # garbage collector walk them in whichever timed call its count reaches (~30 µs a decision).
        def run() -> None:
            for item in items:
                call(item)

        return run

    calls: dict[str, Callable[[], object]] = {
        "engine decide()": cold(each(cached.decide, raws)),
        "engine decide(), no outcome cache": each(uncached.decide, raws),
        "engine rule stage": cold(each(lambda p: engine_rules(cached, p.valid, p.fact), prepared)),
        "engine rule stage, no outcome cache": each(lambda p: engine_rules(uncached, p.valid, p.fact), prepared),
        "zen engine.evaluate": each(lambda p: zen.decide(p.zen), prepared),
    }
    us = best_cpu_us(calls, len(raws), args.passes)
    print(f"n={len(raws)} passes={args.passes}  machine: {machine()}")
    for name, value in us.items():
        print(f"  {name:36} {value:8.1f} µs CPU per decision (best pass)")
    rules = cached.route_rules
    print(f"  outcome cache, one pass: {len(rules):,} route keys for {len(raws):,} complaints")
    zen_us = us["zen engine.evaluate"]
    ratios = {
        f"{name} / zen engine.evaluate": round(zen_us / us[name], 3) for name in calls if name.startswith("engine")
    }
    for name, ratio in ratios.items():
        print(f"- {name}: {ratio:.3f}x")
    if args.json:
        report = {"machine": machine(), "n": len(raws), "passes": args.passes, "route_keys": len(rules)}
        report |= {"cpu_us": {name: round(value, 1) for name, value in us.items()}, "ratios": ratios}
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
