"""CPU time of one decision request through the whole app, in one process: the web layer's cost without
the load generator's and the machine's noise.

    python -m bench.request_cpu [--n 2000] [--passes 3]

The app (``app.create_app``, the shipped defaults, a fresh SQLite store with ``synchronous=FULL``)
answers ``POST /v1/decisions`` for ``--n`` distinct corpus complaints through Flask's test client,
one after another; the least CPU time per request over ``--passes`` passes is printed (each pass
its own complaints, so every request is a new decision). One thread: each append is a batch of
one, so each pays its own fsync (group commit shares it under load). To compare two trees, run it
in each, one after the other (an older tree: copy this file into its bench/ folder first).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import DEFAULT_SEED, iter_complaints


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CPU per decision request through the app, in one process")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    os.environ.update(COMPLAINTS_ENV="development", COMPLAINTS_AUTH="off")
    from app import create_app  # the tree on PYTHONPATH: this script measures whichever it finds

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": f"sqlite:///{Path(folder) / 'request-cpu.db'}"})
        logging.getLogger("complaints").setLevel(logging.WARNING)  # no access line per request on the terminal
        client = app.test_client()
        raws = list(iter_complaints(args.n, DEFAULT_SEED))

        def run(tag: str, count: int) -> float:
            start = time.process_time()
            for i, raw in enumerate(raws[:count]):
                body = json.dumps(dict(raw, complaint_id=f"{tag}{i}-{raw['complaint_id']}"), ensure_ascii=False)
                answer = client.post("/v1/decisions", data=body, content_type="application/json")
                if answer.status_code != 201:
                    raise SystemExit(f"request {i} answered {answer.status_code}: {answer.get_data(as_text=True)}")
            return (time.process_time() - start) / count

        run("warm", min(300, args.n))
        best = min(run(f"p{k}-", args.n) for k in range(args.passes))
    report = {"n": args.n, "passes": args.passes, "cpu_ms_per_request": round(best * 1000, 3), "tree": sys.path[0]}
    print(f"{best * 1000:.3f} ms CPU per decision request (best of {args.passes} passes of {args.n})")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
