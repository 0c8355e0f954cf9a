"""Issue 17's table, every figure measured in one run, in order, with the command behind each.

    python -m bench.issue17 [--out DIR] [--replay-db PATH] [--quick]

Steps (each its own process, as a user would run it; each writes its JSON into ``--out``):

1. ``bench.agree`` with ``COMPLAINTS_OUTCOME_CACHE=verify`` (every cached answer also asked of
   durable_rules): the engine, its rule stage, the hand-written function, zen and the engine
   without the outcome cache must agree on every complaint, or the run stops;
2. ``bench.engine``: decide() and the rule stage with and without the outcome cache, zen's
   fastest API, single thread, same corpus;
3. ``bench.cpu``: the same by best-of-7 CPU time (the steady figure on a shared machine);
4. ``bench.http``: the bare-Flask echo ceiling, the service on SQLite and on PostgreSQL (fsync
   on), saturation and 50 % / 80 % of it, and whether every acknowledged decision was stored;
5. ``bench.replay``: replay of 1,000,000 stored decisions per CPU-second, an impact preview, and
   replay and impact over 1 and 2 processes (``--replay-db`` keeps the filled store for reuse);
6. ``bench.memory``: RSS over 1,000,000 full decisions.

``--quick`` runs every step on a small corpus: to check the driver, not to quote.
The table goes to ``DIR/issue17.md`` and stdout; the load average before each step is in it,
since the machine may be shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.prepare import ROOT, machine

FULL = {
    "agree": ["--n", "20000", "--quiet"],
    "engine": [
        "--n",
        "30000",
        "--skip-parallel",
        *("--only", "engine decide()"),
        *("--only", "engine decide(), no outcome cache"),
        *("--only", "engine rule stage"),
        *("--only", "engine rule stage, no outcome cache"),
        *("--only", "zen engine.evaluate"),
    ],
    "cpu": ["--n", "5000", "--passes", "7"],
    "http": ["--seconds", "8", "--split", "0"],
    "replay": ["--decisions", "1000000", "--impact", "100000", "--parallel-decisions", "100000"],
    "memory": ["--n", "1000000", "--every", "100000"],
}
QUICK = {
    "agree": ["--n", "300", "--quiet"],
    "engine": ["--n", "1000", "--skip-parallel", *FULL["engine"][3:]],
    "cpu": ["--n", "300", "--passes", "2"],
    "http": ["--seconds", "1", "--split", "0", "--corpus", "500", "--event-pool", "20"],
    "replay": ["--decisions", "3000", "--impact", "1000", "--parallel-decisions", "2000", "--no-verify"],
    "memory": ["--n", "2000", "--every", "1000"],
}


def command(step: str, args: list[str], out: Path, replay_db: Path | None) -> list[str]:
    cmd = [sys.executable, "-m", f"bench.{step}", *args]
    if step == "replay" and replay_db is not None:
        cmd += ["--db", str(replay_db)]
    if step != "agree":
        cmd += ["--json", str(out / f"{step}.json")]
    return cmd


def run_step(step: str, cmd: list[str], out: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if step == "agree":
        env["COMPLAINTS_OUTCOME_CACHE"] = "verify"
    started = dt.datetime.now(dt.UTC)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    with open(out / f"{step}.log", "w") as log:
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True, check=False)
    (out / f"{step}.out").write_text(done.stdout)
    shown = " ".join(part if " " not in part else repr(part) for part in cmd[1:])
    row = {
        "step": step,
        "command": ("COMPLAINTS_OUTCOME_CACHE=verify " if step == "agree" else "") + "python " + shown,
        "started": started.isoformat(timespec="seconds"),
        "load_1min": round(load, 2),
        "seconds": round(time.perf_counter() - t0, 1),
        "exit": done.returncode,
    }
    if step == "agree":
        row["verdict"] = next((line for line in done.stdout.splitlines() if "AGREEMENT" in line), done.stdout[-300:])
    print(f"  {step}: exit {done.returncode} after {row['seconds']} s (load {row['load_1min']})", file=sys.stderr)
    return row


def _load(out: Path, step: str) -> dict:
    path = out / f"{step}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def table(out: Path, steps: list[dict]) -> str:
    engine, cpu, http, replay, memory = (_load(out, s) for s in ("engine", "cpu", "http", "replay", "memory"))
    single = engine.get("single_thread", {})
    zen = single.get("zen engine.evaluate", {}).get("per_s")
    rows = []

    def ratio_row(label: str, name: str, target: float) -> None:
        mine = single.get(name, {}).get("per_s")
        if not (mine and zen):
            return
        r = mine / zen
        cpu_ratio = cpu.get("ratios", {}).get(f"{name} / zen engine.evaluate")
        rows.append(
            (
                label,
                f"**{r:.2f}x** ({mine:,.0f} vs {zen:,.0f}/s; best-of-7 CPU: {cpu_ratio}x)",
                f">= {target}x",
                r >= target,
            )
        )

    targets = http.get("targets", {})
    echo = targets.get("echo", {}).get("saturation", {}).get("per_s")
    for name, label, target in (
        ("sqlite", "HTTP, SQLite / echo", 0.30),
        ("postgresql", "HTTP, PostgreSQL / echo", 0.25),
    ):
        sat = targets.get(name, {}).get("saturation", {}).get("per_s")
        if sat and echo:
            rows.append(
                (
                    label,
                    f"**{sat / echo:.3f}x** ({sat:,.0f} vs {echo:,.0f} requests/s)",
                    f">= {target}x",
                    sat / echo >= target,
                )
            )
    eighty = targets.get("sqlite", {}).get("80%", {})
    if eighty:
        rows.append(
            (
                "p99 at 80 % of saturation, SQLite",
                f"**{eighty['p99_ms']:.1f} ms** (at {eighty['per_s']:,.0f}/s)",
                "< 25 ms",
                eighty["p99_ms"] < 25,
            )
        )
    ratio_row("full explained `decide()` / zen `engine.evaluate`", "engine decide()", 1.0)
    ratio_row("the same, outcome cache off", "engine decide(), no outcome cache", 1.0)
    ratio_row("engine rule stage / zen `engine.evaluate`", "engine rule stage", 3.0)
    ratio_row("the same, outcome cache off", "engine rule stage, no outcome cache", 3.0)
    if "replay" in replay:
        rp = replay["replay"]
        rows.append(
            (
                f"replay per core-second over {rp['replayed']:,} stored decisions",
                f"**{rp['per_cpu_s']:,.0f}** ({rp['results']})",
                ">= 8,000",
                rp["per_cpu_s"] >= 8000,
            )
        )
    scaling = replay.get("parallel", {}).get("impact_scaling", {})
    two = scaling.get("2") or scaling.get(2)
    if two:
        rows.append(("impact preview, 2 processes / 1 process", f"**{two}x**", ">= 1.7x", two >= 1.7))
    if memory:
        rows.append(
            (
                f"memory over {memory.get('n', 0):,} full `decide()`",
                f"{memory.get('growth_pct_after_warmup')} % after warm-up",
                "flat (within 10 %)",
                bool(memory.get("flat_within_10pct")),
            )
        )
    lost = [t.get("acknowledged_lost") for t in targets.values() if "acknowledged_lost" in t]
    if lost:
        rows.append(("acknowledged decisions lost (HTTP phases)", str(sum(lost)), "none", sum(lost) == 0))
    lines = [
        f"machine: {machine()}",
        "",
        "| figure | this run | target | |",
        "|---|---:|---:|---|",
        *(f"| {label} | {value} | {target} | {_met(ok)} |" for label, value, target, ok in rows),
        "",
        "| step | started (UTC) | load (1 min) | seconds | exit | command |",
        "|---|---|---:|---:|---:|---|",
        *(
            f"| {s['step']} | {s['started']} | {s['load_1min']} | {s['seconds']} | {s['exit']} | `{s['command']}` |"
            for s in steps
        ),
    ]
    agree = next((s for s in steps if s["step"] == "agree"), None)
    if agree:
        lines += ["", f"agreement before any timing: {agree.get('verdict')}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="issue 17's table in one run")
    parser.add_argument("--out", help="directory for each step's JSON and log (default bench/results/issue17-<time>)")
    parser.add_argument("--replay-db", help="SQLite file for the replay step: filled once, reused by later runs")
    parser.add_argument("--quick", action="store_true", help="tiny corpora: check the driver, do not quote")
    parser.add_argument("--only", action="append", choices=list(FULL), help="run only these steps (repeat)")
    args = parser.parse_args(argv)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    out = Path(args.out or ROOT / "bench" / "results" / f"issue17-{stamp}")
    out.mkdir(parents=True, exist_ok=True)
    plan = QUICK if args.quick else FULL
    steps = []
    for step in args.only or list(plan):
        row = run_step(step, command(step, plan[step], out, Path(args.replay_db) if args.replay_db else None), out)
        steps.append(row)
        if step == "agree" and row["exit"] != 0:
            print("the implementations disagree: no timing is worth taking", file=sys.stderr)
            break
    (out / "steps.json").write_text(json.dumps(steps, indent=2))
    text = table(out, steps)
    (out / "issue17.md").write_text(text + "\n")
    print(text)
    return 0 if all(s["exit"] == 0 for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
