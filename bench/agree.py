"""Check, before any timing, that the engine, the hand-written function and the zen graph agree.

For every complaint of the seeded corpus: the engine's full ``decide()`` (it
must never raise: the corpus is valid), the engine's rule stage alone, the
hand-written function and the zen graph must give the same route (redirect
rule, team, level), flags, remedy rule, components (type, amount as Decimal
with exactly 2 decimals, approver level or team) and approval level.

    python -m bench.agree [--n 100000] [--seed S] [--policy policies.yaml]

Prints coverage (how often each rule and outcome occurs) and exits 1 on the
first mismatches, showing the complaint.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter

from bench import handwritten
from bench.corpus import DEFAULT_N, DEFAULT_SEED, iter_complaints
from bench.outcome import Outcome, describe_difference, from_engine
from bench.prepare import DEFAULT_POLICY, decider_with_cache, engine_rules, load_decider, prepare
from bench.zen_graph import ZenDecider
from canonical import canonical_json
from cli.progress import tracked

MAX_SHOWN = 5


def check(n: int = DEFAULT_N, seed: int = DEFAULT_SEED, policy: str = str(DEFAULT_POLICY), out=sys.stdout) -> dict:
    """Agreement report: {"n", "mismatches", "coverage", ...}; prints the first mismatches."""
    decider = load_decider(policy)
    # The same policy with the outcome cache off: every fact goes to durable_rules. Its decisions
    # must be the cached decider's, byte for byte.
    uncached = decider_with_cache(decider, "off")
    zen = ZenDecider()
    mismatches = 0
    coverage: Counter = Counter()
    started = time.perf_counter()
    for raw in tracked("agree", n, unit="complaints")(iter_complaints(n, seed)):
        try:
            decision = decider.decide(raw)
        except Exception as exc:  # the corpus is valid: any exception is a failure
            mismatches += 1
            if mismatches <= MAX_SHOWN:
                print(
                    f"engine raised {type(exc).__name__}: {exc}\n  complaint: {json.dumps(raw, ensure_ascii=False)}",
                    file=out,
                )
            continue
        expected = from_engine(decision)
        prepared = prepare(decider, raw)
        found = {
            "engine rule stage": engine_rules(decider, prepared.valid, prepared.fact),
            "hand-written": handwritten.decide(prepared.fact),
            "zen": zen.decide(prepared.zen),
        }
        problems = [f"{name}: {describe_difference(expected, got)}" for name, got in found.items() if got != expected]
        if canonical_json(decision) != canonical_json(uncached.decide(raw)):
            problems.append("engine decide() without the outcome cache: a different decision")
        problems.extend(
            f"{name}: amount {amount} is not 2dp"
            for name, got in found.items()
            for amount in _amounts(got)
            if amount.as_tuple().exponent != -2
        )
        if problems:
            mismatches += 1
            if mismatches <= MAX_SHOWN:
                print(f"MISMATCH {raw['complaint_id']}", file=out)
                for problem in problems:
                    print(f"  {problem}", file=out)
                print(f"  engine: {expected}\n  complaint: {json.dumps(raw, ensure_ascii=False)}", file=out)
        _count(coverage, expected, decision)
    elapsed = time.perf_counter() - started
    report = {
        "n": n,
        "seed": seed,
        "mismatches": mismatches,
        "seconds": round(elapsed, 1),
        "coverage": dict(sorted(coverage.items())),
        "outcome_cache": {
            "mode": decider.route_rules.settings.mode,
            "route_keys": len(decider.route_rules),
            "deadline_keys": len(decider.deadline_rules),
        },
    }
    return report


def _amounts(outcome: Outcome):
    return [amount for _, amount, _, _ in outcome.components if amount is not None]


def _count(coverage: Counter, outcome: Outcome, decision: dict) -> None:
    if outcome.redirect:
        coverage[f"redirect {outcome.redirect}"] += 1
    else:
        coverage[f"route {outcome.team}/{outcome.level}"] += 1
        coverage[f"remedy {outcome.rule}"] += 1
        coverage[f"approval {outcome.approval}"] += 1
        for kind, _, level, team in outcome.components:
            coverage[f"component {kind} approved by {level or team}"] += 1
    for flag in decision["flags"]:
        coverage[f"flag {flag}"] += 1
    for rule in decision["explanation"]["rules"]:
        if rule["stage"] != "remedy":
            coverage[f"rule {rule['id']}"] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="engine, hand-written and zen must agree on every decision")
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--policy", default=str(DEFAULT_POLICY))
    parser.add_argument("--quiet", action="store_true", help="do not print the coverage table")
    args = parser.parse_args(argv)
    report = check(args.n, args.seed, args.policy)
    if not args.quiet:
        for key, count in report["coverage"].items():
            print(f"{count:>8}  {key}")
    verdict = "FULL AGREEMENT" if report["mismatches"] == 0 else f"{report['mismatches']} MISMATCHES"
    cache = report["outcome_cache"]
    print(
        f"{verdict}: {report['n']} complaints (seed {report['seed']}), engine / engine rule stage / hand-written / zen"
        f" / engine without the outcome cache, {report['seconds']} s; outcome cache {cache['mode']}:"
        f" {cache['route_keys']:,} route and {cache['deadline_keys']:,} deadline keys"
    )
    return 0 if report["mismatches"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
