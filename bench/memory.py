"""Memory of the engine over many decisions: is RSS flat?

    python -m bench.memory [--n 1000000] [--every 100000] [--json out.json]

Decides ``n`` distinct complaints of the seeded corpus with the full
``Decider.decide`` (generated lazily, nothing kept), sampling RSS every
``every`` decisions. Flat means: the last sample is within 10 % of the
first sample (taken after the first ``every`` decisions, once caches and
session pools are warm); the growth from the very start is reported too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench.corpus import DEFAULT_SEED, iter_complaints
from bench.prepare import DEFAULT_POLICY, current_rss_mb, load_decider, machine, peak_rss_mb


def run(n: int, every: int, seed: int, policy: str) -> dict:
    decider = load_decider(policy)
    start_rss = current_rss_mb()
    samples = []
    started = time.perf_counter()
    for i, raw in enumerate(iter_complaints(n, seed), start=1):
        decider.decide(raw)
        if i % every == 0 or i == n:
            samples.append(
                {
                    "decisions": i,
                    "rss_mb": round(current_rss_mb(), 1),
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
            print(f"  {i:>9,} decisions  RSS {samples[-1]['rss_mb']} MB", file=sys.stderr)
    first, last = samples[0]["rss_mb"], samples[-1]["rss_mb"]
    return {
        "machine": machine(),
        "command": "python -m bench.memory " + " ".join(sys.argv[1:]),
        "n": n,
        "seed": seed,
        "rss_mb_before_first_decision": round(start_rss, 1),
        "samples": samples,
        "growth_mb_after_warmup": round(last - first, 1),
        "growth_pct_after_warmup": round(100 * (last - first) / first, 1),
        "growth_pct_from_start": round(100 * (last - start_rss) / start_rss, 1),
        "max_rss_mb": max(s["rss_mb"] for s in samples),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "flat_within_10pct": abs(last - first) <= 0.10 * first,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="RSS over many decisions")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--policy", default=str(DEFAULT_POLICY))
    parser.add_argument("--json", help="write the report here")
    args = parser.parse_args(argv)
    report = run(args.n, min(args.every, args.n), args.seed, args.policy)
    print("| decisions | RSS MB | seconds |\n|---:|---:|---:|")
    for sample in report["samples"]:
        print(f"| {sample['decisions']:,} | {sample['rss_mb']} | {sample['seconds']} |")
    print(
        f"\nRSS before the first decision {report['rss_mb_before_first_decision']} MB; growth after the first sample "
        f"{report['growth_mb_after_warmup']} MB ({report['growth_pct_after_warmup']}%); "
        f"flat within 10%: {'yes' if report['flat_within_10pct'] else 'NO'}"
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
