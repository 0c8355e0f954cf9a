"""Decisions per second and latency: the engine against the zen graph and the hand-written ceiling.

    python -m bench.engine [--n 100000] [--json out.json] [--skip-parallel]

All implementations decide the same seeded corpus in the same run. Before
anything is timed, every complaint is prepared once (validated, and turned
into the engine's rule fact: integer fen, 1/0 booleans, eligibility windows
counted with the working-day calendar; the same fact nested for zen). The
rows:

  engine decide()        the full service call from the raw dict: validation, windows,
                         both rulesets, deadlines, explanation (what an HTTP request costs)
  engine decide_valid()  the same without validation (input already validated)
  engine rule stage      the same work as zen and the hand-written function: the
                         routing/remedy ruleset on the prepared fact, combine, grant,
                         approval floor (no deadlines, no explanation)
  zen engine.evaluate    the JDM graph, ZenEngine with a static loader (fastest sync API)
  zen decision.evaluate  the JDM graph, create_decision once + decision.evaluate
                         (the documented pattern; slow in zen-engine 2.1.3; fewer decisions)
  hand-written           bench/handwritten.py on the prepared fact

Single thread: decisions/s over the whole corpus (each call timed with
perf_counter_ns, which is included), p50/p99/p99.9 per decision. Threads:
the corpus split over N threads sharing one instance. Processes: N spawned
worker processes, each with its own instance and its share of the corpus,
started together behind a barrier; decisions/s = all decisions / wall time.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable

from bench import handwritten
from bench.corpus import DEFAULT_N, DEFAULT_SEED, iter_complaints
from bench.prepare import (
    DEFAULT_POLICY,
    Prepared,
    clear_outcome_caches,
    current_rss_mb,
    decider_with_cache,
    emit,
    engine_rules,
    load_decider,
    machine,
    peak_rss_mb,
    percentiles,
    prepare,
)
from bench.zen_graph import ZenDecider

IMPLEMENTATIONS = (
    "engine decide()",
    "engine decide_valid()",
    "engine rule stage",
    "engine decide(), no outcome cache",
    "engine rule stage, no outcome cache",
    "zen engine.evaluate",
    "zen decision.evaluate",
    "hand-written",
)
SLOW_API_MAX = 20_000  # zen decision.evaluate runs at a few thousand per second: cap its share
WARMUP = 500


def make_calls(policy: str) -> tuple[dict[str, Callable[[Prepared], object]], Callable[[], None]]:
    """The calls by name, and a reset that empties the outcome cache (each row starts cold: its hits
    are the corpus's own repeats, not an earlier row's answers)."""
    decider = decider_with_cache(load_decider(policy), "on")
    uncached = decider_with_cache(decider, "off")
    zen_fast = ZenDecider("engine")
    zen_slow = ZenDecider("decision")
    decide, decide_valid = decider.decide, decider.decide_valid
    hand, fast, slow = handwritten.decide, zen_fast.decide, zen_slow.decide
    calls: dict[str, Callable[[Prepared], object]] = {
        "engine decide()": lambda p: decide(p.raw),
        "engine decide_valid()": lambda p: decide_valid(p.valid),
        "engine rule stage": lambda p: engine_rules(decider, p.valid, p.fact),
        "engine decide(), no outcome cache": lambda p: uncached.decide(p.raw),
        "engine rule stage, no outcome cache": lambda p: engine_rules(uncached, p.valid, p.fact),
        "zen engine.evaluate": lambda p: fast(p.zen),
        "zen decision.evaluate": lambda p: slow(p.zen),
        "hand-written": lambda p: hand(p.fact),
    }
    return calls, lambda: clear_outcome_caches(decider)


def prepared_corpus(policy: str, n: int, seed: int, part: int = 0, parts: int = 1) -> list[Prepared]:
    decider = load_decider(policy)
    return [prepare(decider, raw) for i, raw in enumerate(iter_complaints(n, seed)) if i % parts == part]


def _share(name: str, items: list[Prepared], parts: int = 1) -> list[Prepared]:
    if name == "zen decision.evaluate":
        return items[: max(1, SLOW_API_MAX // parts)]
    return items


def single_thread(call: Callable, items: list[Prepared]) -> dict:
    for item in items[:WARMUP]:
        call(item)
    samples = [0] * len(items)
    clock = time.perf_counter_ns
    rss_before = current_rss_mb()
    started = clock()
    for i, item in enumerate(items):
        t0 = clock()
        call(item)
        samples[i] = clock() - t0
    elapsed = (clock() - started) / 1e9
    return {
        "n": len(items),
        "per_s": len(items) / elapsed,
        **percentiles(samples),
        "rss_mb_after": round(current_rss_mb(), 1),
        "rss_mb_growth": round(current_rss_mb() - rss_before, 1),
    }


def threaded(call: Callable, items: list[Prepared], threads: int) -> dict:
    chunks = [items[k::threads] for k in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def run(chunk):
        barrier.wait()
        for item in chunk:
            call(item)

    workers = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return {"threads": threads, "n": len(items), "per_s": len(items) / elapsed}


def _worker(policy, n, seed, part, parts, barrier, commands, results):
    items = prepared_corpus(policy, n, seed, part, parts)
    calls, reset = make_calls(policy)
    results.put(("ready", part, len(items), 0.0, 0.0, peak_rss_mb()))
    while True:
        name = commands.get()
        if name is None:
            return
        share = _share(name, items, parts)
        call = calls[name]
        reset()
        for item in share[:WARMUP]:
            call(item)
        gc.collect()
        barrier.wait()
        started = time.time()
        for item in share:
            call(item)
        ended = time.time()
        results.put((name, part, len(share), started, ended, peak_rss_mb()))


def processes(policy: str, n: int, seed: int, count: int, names: list[str]) -> dict[str, dict]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(count)
    results = ctx.Queue()
    queues = [ctx.Queue() for _ in range(count)]
    workers = [
        ctx.Process(target=_worker, args=(policy, n, seed, k, count, barrier, queues[k], results), daemon=True)
        for k in range(count)
    ]
    for worker in workers:
        worker.start()
    for _ in range(count):
        results.get(timeout=1800)
    out = {}
    for name in names:
        for q in queues:
            q.put(name)
        rows = [results.get(timeout=3600) for _ in range(count)]
        done = sum(r[2] for r in rows)
        wall = max(r[4] for r in rows) - min(r[3] for r in rows)
        out[name] = {
            "processes": count,
            "n": done,
            "per_s": done / wall,
            "peak_rss_mb_per_process": round(max(r[5] for r in rows), 1),
        }
    for q in queues:
        q.put(None)
    for worker in workers:
        worker.join(timeout=60)
    return out


def run(n: int, seed: int, policy: str, parallel: bool, names: list[str], workers: int) -> dict:
    t0 = time.perf_counter()
    items = prepared_corpus(policy, n, seed)
    rss_prepared = current_rss_mb()
    prepare_s = time.perf_counter() - t0
    calls, reset = make_calls(policy)
    report: dict = {
        "machine": machine(),
        "command": "python -m bench.engine " + " ".join(sys.argv[1:]),
        "n": n,
        "seed": seed,
        "policy": str(policy),
        "prepare_s": round(prepare_s, 1),
        "rss_mb_with_prepared_corpus": round(rss_prepared, 1),
        "single_thread": {},
        "threads": {},
        "processes": {},
    }
    for name in names:
        gc.collect()
        reset()
        report["single_thread"][name] = single_thread(calls[name], _share(name, items))
        print(f"  single  {name:<24} {report['single_thread'][name]['per_s']:>10,.0f}/s", file=sys.stderr)
    if parallel:
        for name in names:
            gc.collect()
            reset()
            report["threads"][name] = threaded(calls[name], _share(name, items), workers)
            print(f"  threads {name:<24} {report['threads'][name]['per_s']:>10,.0f}/s", file=sys.stderr)
        report["processes"] = processes(policy, n, seed, workers, names)
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    report["ratios"] = ratios(report)
    report["targets"] = targets(report)
    return report


def ratios(report: dict) -> dict:
    single = report["single_thread"]
    out = {}
    for engine in [name for name in IMPLEMENTATIONS if name.startswith("engine")]:
        for other in ("zen engine.evaluate", "zen decision.evaluate", "hand-written"):
            if engine in single and other in single:
                out[f"{engine} / {other}"] = round(single[engine]["per_s"] / single[other]["per_s"], 3)
    return out


def targets(report: dict) -> dict:
    """Issue 17's targets: the full explained decide() at least zen's fastest API, the rule stage 3x it."""
    single = report["single_thread"]
    if "zen engine.evaluate" not in single:
        return {}
    zen = single["zen engine.evaluate"]["per_s"]
    found = {}
    if "engine decide()" in single:
        found["engine decide() >= 1.0x zen engine.evaluate"] = single["engine decide()"]["per_s"] >= zen
        found["engine decide() p99 < 0.5 ms"] = single["engine decide()"]["p99_ms"] < 0.5
    if "engine rule stage" in single:
        found["engine rule stage >= 3x zen engine.evaluate"] = single["engine rule stage"]["per_s"] >= 3 * zen
    return found


def table(report: dict) -> str:
    lines = [
        f"n={report['n']} seed={report['seed']}  machine: {report['machine']['nproc']} x {report['machine']['cpu']}, "
        f"Python {report['machine']['python']}",
        "",
        "| implementation | n | decisions/s (1 thread) | p50 ms | p99 ms | p99.9 ms | threads: decisions/s "
        "| processes: decisions/s | RSS after (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in report["single_thread"].items():
        thr = report["threads"].get(name)
        proc = report["processes"].get(name)
        lines.append(
            f"| {name} | {row['n']:,} | {row['per_s']:,.0f} | {row['p50_ms']:.3f} | {row['p99_ms']:.3f} "
            f"| {row['p999_ms']:.3f} | "
            + (f"{thr['per_s']:,.0f} ({thr['threads']})" if thr else "-")
            + " | "
            + (f"{proc['per_s']:,.0f} ({proc['processes']})" if proc else "-")
            + f" | {row['rss_mb_after']} |"
        )
    lines.append("")
    lines.extend(f"- {name}: {value}x" for name, value in report["ratios"].items())
    lines.extend(f"- target {name}: {'MET' if met else 'NOT MET'}" for name, met in report["targets"].items())
    lines.append(f"- peak RSS of the benchmark process: {report['peak_rss_mb']} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="decisions/s and latency: engine vs zen vs hand-written")
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--policy", default=str(DEFAULT_POLICY))
    parser.add_argument("--json", help="write the report here")
    parser.add_argument("--skip-parallel", action="store_true", help="single thread only")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="threads and processes")
    parser.add_argument("--only", action="append", choices=IMPLEMENTATIONS, help="repeat to pick several")
    args = parser.parse_args(argv)
    report = run(
        args.n, args.seed, args.policy, not args.skip_parallel, args.only or list(IMPLEMENTATIONS), args.workers
    )
    return emit(report, table, args.json)


if __name__ == "__main__":
    sys.exit(main())
