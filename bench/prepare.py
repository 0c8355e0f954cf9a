"""Shared by the benchmarks: the engine under test, prepared inputs, engine-only evaluation.

``prepare`` does, once and outside any timed loop, what every implementation
gets for free in the "same work" comparison: the validated complaint and the
engine's rule fact (``engine.facts.route_fact``: integer fen, booleans 1/0,
eligibility windows counted with the policy's working-day calendar), plus the
same fact nested for zen.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
from pathlib import Path
from typing import NamedTuple

from bench.outcome import Outcome
from bench.zen_graph import zen_input
from engine.compiled import decider_for_file
from engine.complaint import validate_complaint
from engine.decider import Decider, _apply_approval_floor
from engine.facts import route_fact
from engine.outcome_settings import CacheSettings
from engine.remedy import claim_capped, grant
from engine.route import combine
from rules.calendar import CountingTrace
from rules.default_policy import DEFAULT_POLICY

ROOT = Path(__file__).resolve().parent.parent


class Prepared(NamedTuple):
    raw: dict  # as a caller sends it
    valid: dict  # validated (Decimal amounts, aware datetimes)
    fact: dict  # the engine's rule fact
    zen: dict  # the same fact, nested for zen


def load_decider(policy: str | Path = DEFAULT_POLICY) -> Decider:
    return decider_for_file(policy)


def decider_with_cache(decider: Decider, mode: str) -> Decider:
    """Another decider of the same policy (and native rulesets) with the outcome cache ``on``/``off``/``verify``."""
    return Decider(decider.compiled, CacheSettings(mode))


def clear_outcome_caches(*deciders: Decider) -> None:
    """A cold start: each decider's next fact of every class goes to durable_rules again."""
    for decider in deciders:
        decider.route_rules.clear()
        decider.deadline_rules.clear()


def prepare(decider: Decider, raw: dict) -> Prepared:
    valid = validate_complaint(raw, decider.policy.levels)
    windows = decider.compiled.windows_read[valid["category"]]
    fact = route_fact(valid, decider.policy, decider.calendar, CountingTrace(), windows)
    return Prepared(raw, valid, fact, zen_input(fact))


def engine_rules(decider: Decider, valid: dict, fact: dict) -> Outcome:
    """The engine's rule stage only: fire the routing/remedy ruleset, combine, grant, approval floor.

    The same work as the zen graph and the hand-written function (no deadlines, no explanation).
    """
    policy = decider.policy
    fired = decider.route_rules.fired(fact)
    routing = [decider._routing[name] for name in fired if name in decider._routing]
    route = combine(routing, valid, policy)
    if route.redirect:
        return Outcome(route.redirect_rule, None, None, tuple(route.flags), None, (), None)
    rule = next((decider._remedies[name] for name in fired if name in decider._remedies), None)
    granted = []
    if rule:
        caps = claim_capped(rule.components, valid["claim"], policy)
        granted = [grant(c, valid, policy, i in caps) for i, c in enumerate(rule.components)]
    _apply_approval_floor(route, granted, policy)
    levels = [part.approver_level for part in granted if part.approver_level]
    return Outcome(
        None,
        route.team,
        route.level,
        tuple(route.flags),
        rule.info.id if rule else None,
        tuple((p.type, p.amount, p.approver_level, p.approver_team) for p in granted),
        max(levels, key=policy.level_rank) if levels else None,
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def machine() -> dict:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "commit": commit,
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def percentiles(samples_ns: list[int]) -> dict:
    """p50/p99/p99.9/max in milliseconds."""
    ordered = sorted(samples_ns)
    n = len(ordered)

    def at(q: float) -> float:
        return ordered[min(n - 1, int(q * n))] / 1e6

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "p999_ms": at(0.999), "max_ms": ordered[-1] / 1e6}


def emit(report: dict, table, json_path: str | None) -> int:
    """Print a benchmark's table and, when asked, write its report as JSON; the exit status."""
    print(table(report))
    if json_path:
        with open(json_path, "w") as out:
            json.dump(report, out, indent=1, ensure_ascii=False)
    return 0
