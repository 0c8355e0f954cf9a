"""Policy load + compile time, and memory over reloads.

    python -m bench.compile [--reloads 1000] [--json out.json]

1. The default policy: time to load (YAML, schema, model), compile (durable_rules
   JSON) and register (two native rulesets), each stage separately.
2. A generated policy of 500 rules: the default's routing/remedy rules plus
   generated routing rules up to 450 in the routing/remedy ruleset, and its
   deadline rules plus generated ones up to 50 in the deadline ruleset. Each
   ruleset stays under the compiler's cap of 480 (durable_rules hangs at 512
   or more rules in one ruleset).
3. Reloads. durable_rules cannot delete or re-register a ruleset by name from
   Python, so every distinct policy digest adds two native rulesets to the
   process for good. Measured: RSS over 1,000 reloads of the same text (the
   engine/compiled.py cache returns the existing rulesets) and over 1,000 distinct
   policies that differ in one authority limit, each loaded, compiled,
   registered and used for one decision. RSS sampled every 100 reloads.
"""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import sys
import time
from pathlib import Path

from bench.corpus import generate
from bench.prepare import DEFAULT_POLICY, current_rss_mb, emit, machine, peak_rss_mb
from engine.compiled import decider_for
from engine.decider import Decider
from rules.compiler import compile_policy
from rules.loader import load_policy_text

CATEGORIES_FOR_RULES = ("quality_defect", "wrong_item", "logistics_delay", "service_attitude", "other", "privacy")


def generated_policy(text: str, route_total: int = 450, deadline_total: int = 50) -> str:
    """``text`` grown to ``route_total`` routing/remedy rules and ``deadline_total`` deadline rules.

    The generated rules test values real complaints rarely have (30-day counts of
    1,000 and more), so they add matching work without changing default decisions.
    """
    base = load_policy_text(text)
    routing = route_total - len(base.routing) - len(base.remedies)
    deadlines = deadline_total - len(base.deadlines)
    extra_routing = []
    for i in range(routing):
        field = "customer.complaints_last_30_days" if i % 2 else "history.refund_overdue_days"
        extra_routing.append(
            f"  - id: G{i:03d}_generated\n"
            f"    description: Generated rule {i} for the compile benchmark.\n"
            f"    basis: internal SLA\n"
            f"    when: {{category: {CATEGORIES_FOR_RULES[i % len(CATEGORIES_FOR_RULES)]}, {field}: {1000 + i}}}\n"
            f"    then: {{min_level: supervisor}}\n"
        )
    extra_deadlines = []
    for i in range(deadlines):
        extra_deadlines.append(
            f"  - id: H{i:03d}_generated\n"
            f"    kind: first_response\n"
            f"    description: Generated deadline {i} for the compile benchmark.\n"
            f"    basis: internal SLA\n"
            f"    when: {{customer.complaints_last_30_days: {5000 + i}}}\n"
            f"    due: {{after: received, minutes: {5 + i % 10}}}\n"
        )
    text = _insert_after_section(text, "routing", "".join(extra_routing))
    return _insert_after_section(text, "deadlines", "".join(extra_deadlines))


def _insert_after_section(text: str, section: str, block: str) -> str:
    """Append ``block`` at the end of the top-level list ``section:``."""
    start = re.search(rf"^{section}:\s*$", text, re.M)
    if start is None:
        raise ValueError(f"no top-level `{section}:` in the policy")
    following = re.search(r"^[A-Za-z_#]", text[start.end() :], re.M)
    end = start.end() + following.start() if following else len(text)
    head = text[:end].rstrip("\n") + "\n"
    return head + block + "\n" + text[end:]


def with_refund_limit(text: str, cents: int) -> str:
    """The policy with the frontline refund limit moved by ``cents`` (a distinct digest)."""
    old = "refund: {label: 退款, limits: {frontline: 200.00,"
    if old not in text:
        raise ValueError("the default refund limits line is not where expected")
    amount = f"{200 + cents / 100:.2f}"
    return text.replace(old, f"refund: {{label: 退款, limits: {{frontline: {amount},"), amount


def _time(fn, repeat: int) -> dict:
    samples = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return {"median_ms": round(1000 * statistics.median(samples), 2), "min_ms": round(1000 * min(samples), 2)}, result


def stages(text: str, label: str, repeat: int) -> dict:
    load, policy = _time(lambda: load_policy_text(text, label), repeat)
    comp, compiled = _time(lambda: compile_policy(policy), repeat)
    t0 = time.perf_counter()
    Decider(compiled)  # registers the two native rulesets (once per digest per process)
    register_ms = round(1000 * (time.perf_counter() - t0), 2)
    rules = len(compiled.route_ruleset) + len(compiled.deadline_ruleset)
    return {
        "rules": rules,
        "route_ruleset_rules": len(compiled.route_ruleset),
        "deadline_ruleset_rules": len(compiled.deadline_ruleset),
        "load": load,
        "compile": comp,
        "register_ms": register_ms,
        "total_ms": round(load["median_ms"] + comp["median_ms"] + register_ms, 2),
    }


def reloads(text: str, count: int, distinct: bool, complaint: dict, every: int) -> dict:
    gc.collect()
    samples = [{"reloads": 0, "rss_mb": round(current_rss_mb(), 1)}]
    started = time.perf_counter()
    for i in range(1, count + 1):
        policy_text = with_refund_limit(text, i)[0] if distinct else text
        decider = decider_for(load_policy_text(policy_text, f"<reload {i}>"))
        decider.decide(complaint)
        if i % every == 0 or i == count:
            gc.collect()
            samples.append({"reloads": i, "rss_mb": round(current_rss_mb(), 1)})
    elapsed = time.perf_counter() - started
    first, last = samples[0]["rss_mb"], samples[-1]["rss_mb"]
    return {
        "distinct_policies": distinct,
        "reloads": count,
        "seconds": round(elapsed, 1),
        "ms_per_reload": round(1000 * elapsed / count, 2),
        "rss_samples": samples,
        "rss_growth_mb": round(last - first, 1),
        "rss_growth_kb_per_reload": round(1024 * (last - first) / count, 1),
        "growth_pct": round(100 * (last - first) / first, 1),
        "flat_within_10pct": (last - first) <= 0.10 * first,
    }


def run(policy_path: str, count: int, repeat: int, every: int) -> dict:
    text = Path(policy_path).read_text(encoding="utf-8")
    complaint = generate(1)[0]
    report = {
        "machine": machine(),
        "command": "python -m bench.compile " + " ".join(sys.argv[1:]),
        "default_policy": stages(text, str(policy_path), repeat),
        "generated_500_rules": stages(generated_policy(text), "<generated 500 rules>", max(1, repeat // 2)),
    }
    report["same_policy_reloads"] = reloads(text, count, False, complaint, every)
    report["distinct_policy_reloads"] = reloads(text, count, True, complaint, every)
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return report


def table(report: dict) -> str:
    lines = [
        "| policy | rules (routing+remedy / deadline) | load ms | compile ms | register ms | total ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name in ("default_policy", "generated_500_rules"):
        row = report[name]
        lines.append(
            f"| {name} | {row['rules']} ({row['route_ruleset_rules']} / {row['deadline_ruleset_rules']}) "
            f"| {row['load']['median_ms']} | {row['compile']['median_ms']} | {row['register_ms']} | {row['total_ms']} |"
        )
    lines += [
        "",
        "| reloads | count | ms/reload | RSS start MB | RSS end MB | growth MB | KB/reload | flat within 10% |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in ("same_policy_reloads", "distinct_policy_reloads"):
        row = report[name]
        lines.append(
            f"| {name} | {row['reloads']} | {row['ms_per_reload']} | {row['rss_samples'][0]['rss_mb']} "
            f"| {row['rss_samples'][-1]['rss_mb']} | {row['rss_growth_mb']} | {row['rss_growth_kb_per_reload']} "
            f"| {'yes' if row['flat_within_10pct'] else 'NO'} ({row['growth_pct']}%) |"
        )
    samples = report["distinct_policy_reloads"]["rss_samples"]
    lines.append("")
    lines.append(
        "distinct policies, RSS MB by reloads: " + ", ".join(f"{s['reloads']}: {s['rss_mb']}" for s in samples)
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="policy compile time and memory over reloads")
    parser.add_argument("--policy", default=str(DEFAULT_POLICY))
    parser.add_argument("--reloads", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10, help="timed repetitions of load and compile")
    parser.add_argument("--every", type=int, default=100, help="sample RSS every this many reloads")
    parser.add_argument("--json", help="write the report here")
    args = parser.parse_args(argv)
    report = run(args.policy, args.reloads, args.repeat, args.every)
    return emit(report, table, args.json)


if __name__ == "__main__":
    sys.exit(main())
