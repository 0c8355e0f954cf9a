"""Replay speed over a large decision store, and the time of an impact preview.

    python -m bench.replay [--decisions 1000000] [--impact 100000] [--db PATH] [--json out.json] [--profile N]

1. Fill: a fresh SQLite store (store.DecisionStore, the service's own schema) gets
   ``--decisions`` real decisions of the seeded corpus (bench/corpus.py). Fast path: the
   complaints are decided in-process by ``--fill-workers`` processes exactly as
   DecisionService.submit does (request body as the JSON text a caller sends, request
   digest, ``decide``, canonical decision JSON, fired rules), and the parent appends them
   in chain order with bulk INSERTs of 5,000 rows per transaction, computing seq,
   prev_hash and chain_hash with store.chain.link_hash and moving the chain head
   in the same transaction. The rows are identical to what ``store.append`` writes; only
   the per-row transaction (and its fsync) is skipped. ``--verify`` then walks the chain
   with ``store.verify_chain()`` (and times it). ``--db PATH`` keeps the file; a later run
   with the same PATH and at least as many decisions reuses it without filling.
2. Replay: ``audit.replay.replay(record, StoredPolicies(store))`` over
   ``store.all_decisions()`` (streamed in batches of 500), in one process: replays per
   second of wall time and per CPU-second of the process (per core; the SQLite reads are
   in-process too). Every replay must come out identical.
3. Impact: ``audit.replay.impact`` of a candidate made by text-replacing policies.yaml's
   frontline refund limit 200.00 -> 300.00, over the first ``--impact`` stored decisions.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select, update

from bench.corpus import DEFAULT_SEED, iter_complaints
from bench.prepare import DEFAULT_POLICY, current_rss_mb, emit, machine, peak_rss_mb
from cli.progress import Progress

PROGRESS_STEP = 1000
FILL_BATCH = 5000
REFUND_LIMIT_OLD = "refund: {label: 退款, limits: {frontline: 200.00,"
REFUND_LIMIT_NEW = "refund: {label: 退款, limits: {frontline: 300.00,"

_decider = None


def _init_worker(policy_path: str) -> None:
    global _decider
    from bench.prepare import load_decider

    _decider = load_decider(policy_path)


def _decide_chunk(chunk: list[dict]) -> list[tuple]:
    """As DecisionService.submit: (complaint_id, body text, request digest, decision JSON, fired rules JSON)."""
    from canonical import canonical_json
    from lifecycle.decision_service import fired_rules, request_digest

    out = []
    for complaint in chunk:
        text = json.dumps(complaint, ensure_ascii=False)
        raw = json.loads(text, parse_float=Decimal)
        decision = _decider.decide(raw)
        out.append(
            (
                raw["complaint_id"],
                text,
                request_digest(raw),
                canonical_json(decision),
                canonical_json(fired_rules(decision)),
            )
        )
    return out


def _chunks(n: int, seed: int, size: int):
    it = iter_complaints(n, seed)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def fill(store, policy, n: int, seed: int, workers: int, policy_path: str) -> dict:
    """Append ``n`` real decisions in chain order with bulk inserts; returns timings."""
    from engine.version import ENGINE_VERSION
    from store.chain import link_hash
    from store.db import utc_now
    from store.tables import chain_head, decisions

    store.init_schema()
    store.store_policy(policy)
    with store.engine.connect() as conn:
        head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).one()
    seq, prev = head.seq, head.hash
    last_for: dict[str, str] = {}
    started = time.perf_counter()
    ctx = mp.get_context("spawn")
    pending: list[dict] = []

    def flush() -> None:
        with store.engine.begin() as conn:
            conn.execute(insert(decisions), pending)
            conn.execute(update(chain_head).where(chain_head.c.id == 1).values(seq=seq, hash=prev))
        pending.clear()

    with ctx.Pool(workers, initializer=_init_worker, initargs=(policy_path,)) as pool, Progress("fill", n) as progress:
        for rows in pool.imap(_decide_chunk, _chunks(n, seed, 500)):
            progress.advance(len(rows))
            for complaint_id, text, digest, decision, fired in rows:
                seq += 1
                decision_id = str(uuid.uuid4())
                row = {
                    "seq": seq,
                    "decision_id": decision_id,
                    "complaint_id": complaint_id,
                    "request_body": text,
                    "request_digest": digest,
                    "decision": decision,
                    "fired_rules": fired,
                    "policy_digest": policy.digest,
                    "policy_version": policy.version,
                    "engine_version": ENGINE_VERSION,
                    "created_at": utc_now(),
                    "previous_decision_id": last_for.get(complaint_id),
                    "prev_hash": prev,
                }
                row["chain_hash"] = prev = link_hash(row)
                last_for[complaint_id] = decision_id
                pending.append(row)
                if len(pending) >= FILL_BATCH:
                    flush()
        if pending:
            flush()
    elapsed = time.perf_counter() - started
    return {"decisions": n, "seconds": round(elapsed, 1), "per_s": round(n / elapsed, 1), "workers": workers}


def timed_replay(store, limit: int | None) -> dict:
    from audit.replay import StoredPolicies, replay

    policies = StoredPolicies(store)
    records = store.all_decisions()
    if limit is not None:
        records = itertools.islice(records, limit)
    counts = {"identical": 0, "different": 0, "error": 0}
    examples: list[dict] = []
    rss0 = current_rss_mb()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    n = 0
    with Progress("replay", limit if limit is not None else store.count()) as progress:
        for record in records:
            result = replay(record, policies)
            n += 1
            if n % PROGRESS_STEP == 0:  # in steps: the bar's own cost stays out of the measurement
                progress.advance(PROGRESS_STEP)
            kind = "error" if result.error else ("identical" if result.identical else "different")
            counts[kind] += 1
            if kind != "identical" and len(examples) < 3:
                examples.append(result.as_dict())
        progress.advance(n % PROGRESS_STEP)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "replayed": n,
        "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "per_s": round(n / wall, 1),
        "per_cpu_s": round(n / cpu, 1),
        "results": counts,
        "examples": examples,
        "rss_mb_growth": round(current_rss_mb() - rss0, 1),
    }


def candidate_text(policy_path: str) -> str:
    text = Path(policy_path).read_text(encoding="utf-8")
    if text.count(REFUND_LIMIT_OLD) != 1:
        raise SystemExit(f"cannot find the frontline refund limit line in {policy_path}: {REFUND_LIMIT_OLD!r}")
    return text.replace(REFUND_LIMIT_OLD, REFUND_LIMIT_NEW)


def timed_impact(store, policy_path: str, limit: int) -> dict:
    from audit.replay import impact
    from engine.compiled import decider_for_text

    t0 = time.perf_counter()
    candidate = decider_for_text(candidate_text(policy_path), "candidate.yaml")
    compile_s = time.perf_counter() - t0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    report = impact(itertools.islice(store.all_decisions(), limit), candidate)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    summary = report.as_dict()
    return {
        "decisions": report.total,
        "candidate_compile_s": round(compile_s, 2),
        "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "per_s": round(report.total / wall, 1) if wall else None,
        "changed": report.changed,
        "errors": report.errors,
        "by_kind": summary["by_kind"],
        "totals": summary["totals"],
    }


def timed_parallel(database_url: str, policy_path: str, replays: int, impacts: int, processes: list[int]) -> dict:
    """Replay and impact through audit.parallel at each process count, on the same first decisions.

    Wall time, and CPU of this process plus its finished worker processes; the 1-process run goes
    through the same code (in this process), so the ratio is the scaling of the split itself."""
    import resource

    from audit.parallel import Walk, impact_report, replay_results

    candidate = Path(tempfile.mkdtemp(prefix="bench-candidate-")) / "candidate.yaml"
    candidate.write_text(candidate_text(policy_path), encoding="utf-8")
    out: dict = {"replay": {}, "impact": {}}

    def cpu() -> float:
        mine, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return mine.ru_utime + mine.ru_stime + kids.ru_utime + kids.ru_stime

    for workers in processes:
        wall0, cpu0 = time.perf_counter(), cpu()
        counts: dict[str, int] = {}
        last = 0
        for result in replay_results(Walk(database_url, upto=replays), workers):
            counts[result["result"]] = counts.get(result["result"], 0) + 1
            assert result["seq"] > last, "results out of chain order"
            last = result["seq"]
        wall, used = time.perf_counter() - wall0, cpu() - cpu0
        n = sum(counts.values())
        out["replay"][workers] = {
            "decisions": n,
            "seconds": round(wall, 1),
            "cpu_seconds": round(used, 1),
            "per_s": round(n / wall, 1),
            "per_cpu_s": round(n / used, 1) if used else None,
            "results": counts,
        }
        print(f"  replay, {workers} process(es): {n / wall:,.0f}/s", file=sys.stderr)
        if impacts:
            wall0, cpu0 = time.perf_counter(), cpu()
            report = impact_report(Walk(database_url, candidate_file=str(candidate), upto=impacts), workers)
            wall, used = time.perf_counter() - wall0, cpu() - cpu0
            out["impact"][workers] = {
                "decisions": report.total,
                "seconds": round(wall, 1),
                "cpu_seconds": round(used, 1),
                "per_s": round(report.total / wall, 1),
                "changed": report.changed,
                "errors": report.errors,
            }
            print(f"  impact, {workers} process(es): {report.total / wall:,.0f}/s", file=sys.stderr)
    for kind in ("replay", "impact"):
        rows = out[kind]
        if 1 in rows and len(rows) > 1:
            out[f"{kind}_scaling"] = {w: round(rows[w]["per_s"] / rows[1]["per_s"], 2) for w in rows if w != 1}
    return out


def run(args) -> dict:
    from bench.prepare import load_decider
    from store import DecisionStore

    report: dict = {"machine": machine(), "command": "python -m bench.replay " + " ".join(sys.argv[1:])}
    tmp = None
    if args.db:
        path = Path(args.db)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-replay-")
        path = Path(tmp.name) / "replay.db"
    store = DecisionStore(f"sqlite:///{path}")
    try:
        policy = load_decider(args.policy).policy
        store.init_schema()
        have = store.count()
        if have and have < args.decisions:
            raise SystemExit(
                f"{path} holds {have:,} decisions, fewer than --decisions {args.decisions:,}: use a new --db"
            )
        if have:
            report["fill"] = {"reused": str(path), "decisions": have}
        else:
            report["fill"] = fill(store, policy, args.decisions, args.seed, args.fill_workers, args.policy)
        report["store"] = {"decisions": store.count(), "file_mb": round(path.stat().st_size / 2**20, 1)}
        print(f"  store: {report['store']}", file=sys.stderr)
        if args.verify:
            t0 = time.perf_counter()
            chain = store.verify_chain()
            report["verify"] = {
                "ok": chain.ok,
                "count": chain.count,
                "problems": chain.problems[:3],
                "seconds": round(time.perf_counter() - t0, 1),
            }
            print(f"  verify: {report['verify']}", file=sys.stderr)
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
            timed_replay(store, args.profile)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
        report["replay"] = timed_replay(store, args.decisions)
        print(f"  replay: {report['replay']['per_s']:,.0f}/s", file=sys.stderr)
        if args.impact:
            report["impact"] = timed_impact(store, args.policy, args.impact)
        if args.processes:
            replays = min(args.decisions, args.parallel_decisions)
            report["parallel"] = timed_parallel(
                f"sqlite:///{path}", args.policy, replays, min(args.impact, replays), args.processes
            )
    finally:
        store.dispose()
        if tmp is not None:
            tmp.cleanup()
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    report["targets_met"] = {"replay >= 8,000/s per core": report["replay"]["per_cpu_s"] >= 8000}
    scaling = report.get("parallel", {}).get("impact_scaling", {}).get(2)
    if scaling is not None:
        report["targets_met"]["impact, 2 processes >= 1.7 x 1 process"] = scaling >= 1.7
    return report


def table(report: dict) -> str:
    fill_row, rp = report["fill"], report["replay"]
    lines = [
        f"machine: {report['machine']['nproc']} x {report['machine']['cpu']}, Python {report['machine']['python']}, "
        f"commit {report['machine']['commit']}",
        f"store: {report['store']['decisions']:,} decisions, {report['store']['file_mb']} MB (SQLite); fill: {fill_row}",
    ]
    if "verify" in report:
        lines.append(f"verify_chain: {report['verify']}")
    lines += [
        "",
        "| step | decisions | wall s | CPU s | per s (wall) | per CPU-second | result |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| replay (own policy) | {rp['replayed']:,} | {rp['seconds']} | {rp['cpu_seconds']} | {rp['per_s']:,.0f} "
        f"| {rp['per_cpu_s']:,.0f} | {rp['results']} |",
    ]
    if "impact" in report:
        im = report["impact"]
        lines.append(
            f"| impact (frontline refund 300.00) | {im['decisions']:,} | {im['seconds']} | {im['cpu_seconds']} "
            f"| {im['per_s']:,.0f} | {im['decisions'] / im['cpu_seconds'] if im['cpu_seconds'] else 0:,.0f} "
            f"| changed {im['changed']:,}, errors {im['errors']}, {im['by_kind']} |"
        )
    parallel = report.get("parallel")
    if parallel:
        lines += [
            "",
            "| over processes (audit.parallel) | processes | decisions | wall s | CPU s | per s (wall) | scaling |",
        ]
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for kind in ("replay", "impact"):
            for workers, row in parallel[kind].items():
                scale = parallel.get(f"{kind}_scaling", {}).get(workers, 1.0 if workers == 1 else None)
                lines.append(
                    f"| {kind} | {workers} | {row['decisions']:,} | {row['seconds']} | {row['cpu_seconds']} "
                    f"| {row['per_s']:,.0f} | {scale}x |"
                )
    lines.append("")
    lines.extend(f"- target {name}: {'MET' if ok else 'NOT MET'}" for name, ok in report["targets_met"].items())
    lines.append(f"- peak RSS: {report['peak_rss_mb']} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="replays per second over a large store, and an impact preview")
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--impact", type=int, default=100_000, help="decisions in the impact preview (0: skip)")
    parser.add_argument("--db", help="SQLite file to fill (kept) or reuse; default: a temp file")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--policy", default=str(DEFAULT_POLICY))
    parser.add_argument("--fill-workers", type=int, default=2, help="processes deciding during the fill")
    parser.add_argument(
        "--verify",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="walk the hash chain after filling (timed)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="first profile this many replays with pyinstrument (printed to stderr)"
    )
    parser.add_argument(
        "--processes",
        type=lambda text: [int(part) for part in text.split(",") if part],
        default=[1, 2],
        help="process counts for the split replay and impact (audit.parallel), e.g. 1,2; empty: skip",
    )
    parser.add_argument(
        "--parallel-decisions", type=int, default=100_000, help="decisions replayed at each process count"
    )
    parser.add_argument("--json", help="write the report here")
    args = parser.parse_args(argv)
    report = run(args)
    return emit(report, table, args.json)


if __name__ == "__main__":
    sys.exit(main())
