"""The work-queue query over a large store: GET /v1/deadlines' query, p50/p99, not a timed test.

    python -m bench.due_list [--decisions 1000000] [--open 100000] [--queries 2000] [--db PATH]
                             [--database-url URL | --postgres] [--json out.json]

1. Fill: a fresh store (the service's own schema, ``DecisionStore.init_schema``) gets
   ``--decisions`` decision rows in chain order by bulk INSERTs of 10,000 rows per transaction,
   each row hash-chained with ``store.chain.link_hash`` (a small synthetic decision: the query never
   reads ``decisions``), and ``--open`` work-queue rows (``deadline_index``, written as
   ``store.clock.queue_row`` writes them) for as many distinct complaints, due over 30 days around
   "now", spread over the policy's teams, levels and kinds. ``--db PATH`` keeps the SQLite file and
   reuses it when it already holds at least as many rows. On PostgreSQL the fill ends with
   ``VACUUM ANALYZE deadline_index``, what autovacuum does soon after a load of this size.
2. Query: ``store.clock.due_list`` exactly as the endpoint calls it (page of 50 with the total),
   over a mix: open, due_soon and breached, with and without a team, level or kind, a due_before,
   and later pages; each timed alone, in one process (the client's view, SQL and Python both).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, insert, select, update

from canonical import canonical_json
from store.chain import GENESIS, link_hash
from store.clock import due_list, queue_row
from store.db import DecisionStore
from store.tables import chain_head, deadline_index, decisions, policies

TEAMS = ("customer_service", "logistics", "merchant_management", "quality_assurance", "legal_compliance")
LEVELS = ("frontline", "supervisor", "manager")
KINDS = ("first_response", "resolution", "refund", "exchange", "repair", "follow_up")
NOW = dt.datetime(2026, 11, 15, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
BATCH = 10_000
DIGEST = "b" * 64


def fill(store: DecisionStore, count: int, open_count: int, seed: int) -> float:
    started = time.perf_counter()
    with store.engine.begin() as conn:
        for index in deadline_index.indexes:  # a kept file from before an index was added gets it
            index.create(conn, checkfirst=True)
        have = conn.execute(select(func.count()).select_from(decisions)).scalar_one()
        queued = conn.execute(select(func.count()).select_from(deadline_index)).scalar_one()
        if have >= count and queued >= open_count:
            return 0.0
        if conn.execute(select(policies.c.digest).where(policies.c.digest == DIGEST)).first() is None:
            stamp = "2026-01-01T00:00:00+00:00"
            conn.execute(
                insert(policies).values(
                    digest=DIGEST,
                    version="bench",
                    text="bench",
                    announced_at=stamp,
                    effective_from=stamp,
                    stored_at=stamp,
                )
            )
        head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).one()
    seq, prev = head.seq, head.hash or GENESIS
    rng = random.Random(seed)
    while seq < count:
        rows = []
        for _ in range(min(BATCH, count - seq)):
            seq += 1
            complaint = f"B-{seq}"
            row = {
                "seq": seq,
                "decision_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "complaint_id": complaint,
                "request_body": json.dumps({"complaint_id": complaint}),
                "request_digest": f"{seq:064x}",
                "decision": canonical_json({"complaint_id": complaint, "deadlines": []}),
                "fired_rules": "[]",
                "policy_digest": DIGEST,
                "policy_version": "bench",
                "engine_version": "bench",
                "created_at": "2026-11-01T00:00:00.000000+00:00",
                "previous_decision_id": None,
                "prev_hash": prev,
            }
            row["chain_hash"] = prev = link_hash(row)
            rows.append(row)
        with store.engine.begin() as conn:
            conn.execute(insert(decisions), rows)
            conn.execute(update(chain_head).where(chain_head.c.id == 1).values(seq=seq, hash=prev))
    queue = []
    for number in range(open_count):
        due = NOW + dt.timedelta(minutes=rng.randint(-15 * 24 * 60, 15 * 24 * 60))
        started_at = due - dt.timedelta(hours=rng.choice((1, 24, 48, 24 * 7)))
        row = queue_row(
            kind=rng.choice(KINDS),
            status="scheduled",
            due_at=due,
            due_soon_at=started_at + (due - started_at) * 80 / 100,
            team=rng.choice(TEAMS),
            level=rng.choice(LEVELS),
            rule="D00_bench",
            record_breach=True,
            breach_recorded=False,
        )
        queue.append(dict(row, complaint_id=f"B-{number * (count // open_count) + 1}", decision_id="bench", warned=0))
    with store.engine.begin() as conn:
        conn.execute(deadline_index.delete())
        for index in range(0, len(queue), BATCH):
            conn.execute(insert(deadline_index), queue[index : index + BATCH])
    if store.dialect == "postgresql":
        # What autovacuum does soon after a load this size: statistics for the planner and the
        # visibility map that lets the counts stay inside the indexes.
        raw = store.engine.raw_connection()
        try:
            raw.rollback()  # the pool's checkout ping opened a transaction; VACUUM runs outside one
            driver = raw.driver_connection
            driver.autocommit = True
            driver.execute("VACUUM ANALYZE deadline_index")
            driver.autocommit = False
        finally:
            raw.close()
    return time.perf_counter() - started


def queries(rng: random.Random, count: int) -> list[dict]:
    mix = []
    for _ in range(count):
        args: dict = {
            "now": NOW + dt.timedelta(minutes=rng.randint(-600, 600)),
            "status": rng.choice(("open", "due_soon", "breached")),
        }
        choice = rng.random()
        if choice < 0.3:
            args["team"] = rng.choice(TEAMS)
        elif choice < 0.45:
            args["level"] = rng.choice(LEVELS)
        elif choice < 0.6:
            args["kind"] = rng.choice(KINDS)
        if rng.random() < 0.2:
            args["due_before"] = args["now"] + dt.timedelta(hours=rng.randint(1, 72))
        args["offset"] = 50 * rng.choice((0, 0, 0, 1, 2, 10))
        mix.append(args)
    return mix


def measure(store: DecisionStore, mix: list[dict]) -> dict:
    timings = []
    for args in mix:
        begin = time.perf_counter()
        entries, total = due_list(store, limit=50, **args)
        timings.append((time.perf_counter() - begin) * 1000)
        assert total is not None and len(entries) <= 50
    timings.sort()
    return {
        "queries": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 2),
        "max_ms": round(timings[-1], 2),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--db", help="SQLite file to keep (and reuse)")
    parser.add_argument("--database-url", help="another store, e.g. postgresql://... (filled if short)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL server started here")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    server = None
    if args.postgres:
        from bench.http import start_postgres

        server, url = start_postgres(Path(tempfile.mkdtemp(prefix="due-list-pg-")))
    elif args.database_url:
        url = args.database_url
    else:
        path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="due-list-")) / "bench.db"
        url = f"sqlite:///{path}"
    loader = DecisionStore(url, statement_timeout_ms=0)  # the bulk fill runs past the service's 5 s bound
    loader.init_schema()
    filled = fill(loader, args.decisions, args.open, args.seed)
    loader.dispose()
    store = DecisionStore(url)  # queried as the service queries it
    rng = random.Random(args.seed)
    measure(store, queries(rng, 50))  # warm the caches and the pool
    result = {
        "store": store.dialect,
        "decisions": store.count(),
        "open_deadlines": args.open,
        "fill_seconds": round(filled, 1),
        **measure(store, queries(rng, args.queries)),
    }
    print(json.dumps(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    store.dispose()
    if server is not None:
        server.cleanup()
    return result


if __name__ == "__main__":
    main()
