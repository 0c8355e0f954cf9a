"""Where ``Decider.decide`` spends its time: a sampling profile (pyinstrument) over the seeded corpus.

    python -m bench.profile_decide [--n 20000] [--html profile.html]

Prints the call tree and a flat split by stage (share of the sampled time):
validation, fact building, rule firing, deadlines, explanation and output.
"""

from __future__ import annotations

import argparse
import sys

from pyinstrument import Profiler

from bench.corpus import DEFAULT_SEED, generate
from bench.prepare import DEFAULT_POLICY, load_decider

# Engine functions that are the stages of a decision, in the order decide() runs them.
STAGES = {
    "validate_complaint": "validation (marshmallow)",
    "route_fact": "fact building (windows, fen, flags)",
    "fire": "durable_rules firing (json.dumps + native calls + session pool)",
    "fire_json": "durable_rules firing (json.dumps + native calls + session pool)",
    "fact_json": "durable_rules firing (json.dumps + native calls + session pool)",
    "retyped_json": "durable_rules firing (json.dumps + native calls + session pool)",
    "decision_keys": "fact building (windows, fen, flags)",
    "combine": "route combination",
    "grant": "remedy amounts and approval",
    "schedule": "deadlines (calendar counting, candidates)",
    "deadline_fact": "fact building (windows, fen, flags)",
    "summary": "explanation and output",
    "cite": "explanation and output",
    "_route_out": "explanation and output",
    "_remedy_out": "explanation and output",
}


def stage_split(profiler: Profiler) -> dict[str, float]:
    """Sampled time per stage, attributing each frame to the outermost stage function above it."""
    session = profiler.last_session
    root = session.root_frame()
    split: dict[str, float] = {}

    def walk(frame, stage):
        own = STAGES.get(frame.function) if stage is None else stage
        if own is not None and stage is None:
            split[own] = split.get(own, 0.0) + frame.time
            return
        for child in frame.children:
            walk(child, stage)

    walk(root, None)
    total = root.time
    split["other (decide_valid itself, loop, dict building)"] = total - sum(split.values())
    return {name: round(100 * seconds / total, 1) for name, seconds in sorted(split.items(), key=lambda kv: -kv[1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="profile Decider.decide")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--policy", default=str(DEFAULT_POLICY))
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--interval", type=float, default=0.0002)
    args = parser.parse_args(argv)
    decider = load_decider(args.policy)
    corpus = generate(args.n, args.seed)
    # Warm up over the whole corpus: a calendar year first met inside the profile (the fallback's
    # statutory holidays are built once per year) would show as a deadline cost it is not.
    for raw in corpus:
        decider.decide(raw)
    profiler = Profiler(interval=args.interval)
    profiler.start()
    for raw in corpus:
        decider.decide(raw)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print("share of Decider.decide by stage (% of sampled time):")
    for name, share in stage_split(profiler).items():
        print(f"  {share:5.1f}%  {name}")
    if args.html:
        with open(args.html, "w") as out:
            out.write(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
