"""What the audit proofs cost: checkpoints, verification with them, ranges by received time, reads that
check their row, bundles written and verified offline.

    python -m bench.proof [--decisions 5000] [--json out.json]

On a fresh SQLite store (the service's schema), ``--decisions`` corpus complaints are decided and
appended through ``DecisionService`` one by one (each its own transaction and fsync), in two
interleaved halves: without a checkpointer, and with one signing every 1,000 decisions
(``lifecycle.checkpointing.Checkpointer``), so the two appends are timed on the same warm process.
Then: ``take_checkpoint`` alone (200 times, after one new decision each); ``verify_log`` with the
public key over everything; a walk of the whole log by recorded time and one by received time
(``audit.records.in_range``, which must read every row for ``received``); ``store.chain.integrity``
per row (what ``GET /v1/decisions/{id}`` adds); and ``audit.bundle.write_bundle`` of the whole log,
then ``audit.bundle_check.verify_bundle`` of it (every link, every signature, every decision
replayed). Every verification must come out intact.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time

from audit import records as walk
from audit.bundle import write_bundle
from audit.bundle_check import verify_bundle
from audit.verify import verify_log
from bench.corpus import iter_complaints
from bench.prepare import DEFAULT_POLICY, emit, machine
from cli.progress import tracked
from engine.compiled import decider_for_file
from engine.complaint import ComplaintError
from lifecycle.checkpointing import Checkpointer
from lifecycle.decision_service import DecisionService
from rules.calendar import CalendarError
from store import DecisionStore
from store.chain import integrity
from store.checkpoints import take_checkpoint
from store.signing import SigningKey


def _submit(service: DecisionService, complaint: dict) -> float | None:
    started = time.perf_counter()
    try:
        service.submit(json.loads(json.dumps(complaint)), json.dumps(complaint, ensure_ascii=False))
    except (ComplaintError, CalendarError):
        return None
    return time.perf_counter() - started


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def run(decisions: int) -> dict:
    folder = tempfile.mkdtemp(prefix="bench-proof-")
    store = DecisionStore(f"sqlite:///{folder}/proof.db")
    store.init_schema()
    decider = decider_for_file(DEFAULT_POLICY)
    signer = SigningKey.generate()
    plain = DecisionService(decider, store)
    checkpointer = Checkpointer(store, signer, lambda: [{"digest": decider.policy.digest}], every=1000, seconds=0)
    signed = DecisionService(decider, store, checkpointer.recorded)
    times: dict[str, list[float]] = {"plain": [], "signed": []}
    for index, complaint in enumerate(tracked("record", decisions)(iter_complaints(decisions, 2026))):
        name = "signed" if index % 2 else "plain"
        took = _submit(signed if index % 2 else plain, complaint)
        if took is not None:
            times[name].append(took)
    alone = []
    for complaint in iter_complaints(200, 77):
        if _submit(plain, complaint) is None:
            continue
        started = time.perf_counter()
        take_checkpoint(store, signer, [{"digest": decider.policy.digest}])
        alone.append(time.perf_counter() - started)
    total = store.count()

    started = time.perf_counter()
    report = verify_log(store, {signer.key_id: signer.public})
    verify_seconds = time.perf_counter() - started
    assert report.ok, report.as_text()

    started = time.perf_counter()
    recorded = sum(1 for _ in walk.in_range(store, None, None))
    recorded_seconds = time.perf_counter() - started
    started = time.perf_counter()
    received = sum(1 for _ in walk.in_range(store, "2025-06-01T00:00:00+00:00", None, by="received"))
    received_seconds = time.perf_counter() - started

    rows = [record.as_row() for record in walk.between_seqs(store, 0, 2000)]
    started = time.perf_counter()
    for row in rows:
        integrity(row)
    integrity_us = (time.perf_counter() - started) / len(rows) * 1e6

    out = io.StringIO()
    started = time.perf_counter()
    summary = write_bundle(store, out, since=None, until=None, by="recorded", range_shown={}, signer=signer)
    bundle_seconds = time.perf_counter() - started
    data = out.getvalue().encode("utf-8")
    started = time.perf_counter()
    checked = verify_bundle(data, {signer.key_id: signer.public})
    check_seconds = time.perf_counter() - started
    assert checked.ok, checked.as_text()
    store.dispose()
    return {
        "machine": machine(),
        "decisions": total,
        "append_ms": {
            "without_checkpoints": round(_median(times["plain"]) * 1e3, 3),
            "with_a_checkpoint_every_1000": round(_median(times["signed"]) * 1e3, 3),
        },
        "take_checkpoint_ms": {"median": round(_median(alone) * 1e3, 3), "max": round(max(alone) * 1e3, 3)},
        "verify": {
            "seconds": round(verify_seconds, 3),
            "per_second": round(total / verify_seconds),
            "checkpoints": report.checkpoints_checked,
        },
        "walk_per_second": {
            "recorded": round(recorded / recorded_seconds),
            "received_rows_scanned": round(total / received_seconds),
            "received_matched": received,
        },
        "integrity_us_per_row": round(integrity_us, 1),
        "bundle": {
            "decisions": summary.decisions,
            "megabytes": round(len(data) / 1e6, 1),
            "write_seconds": round(bundle_seconds, 2),
            "verify_seconds": round(check_seconds, 2),
            "verified_per_second": round(summary.decisions / check_seconds),
        },
    }


def table(report: dict) -> str:
    append, cp, verify = report["append_ms"], report["take_checkpoint_ms"], report["verify"]
    walks, bundle = report["walk_per_second"], report["bundle"]
    return "\n".join(
        [
            f"| measure ({report['decisions']} decisions, SQLite) | value |",
            "|---|---|",
            f"| append, median, no checkpoints | {append['without_checkpoints']} ms |",
            f"| append, median, a checkpoint every 1,000 | {append['with_a_checkpoint_every_1000']} ms |",
            f"| take_checkpoint alone (sign + insert + commit) | {cp['median']} ms median, {cp['max']} ms max |",
            f"| store verify with {verify['checkpoints']} checkpoints | {verify['per_second']:,} decisions/s |",
            f"| walk by recorded time | {walks['recorded']:,} decisions/s |",
            f"| walk by received time (reads every row) | {walks['received_rows_scanned']:,} rows/s |",
            f"| integrity of one row on a read | {report['integrity_us_per_row']} µs |",
            f"| bundle of {bundle['decisions']:,} decisions | {bundle['megabytes']} MB, written in "
            f"{bundle['write_seconds']} s |",
            f"| verify-bundle (links, signatures, replay of every decision) | {bundle['verified_per_second']:,} "
            "decisions/s |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    return emit(run(args.decisions), table, args.json_path)


if __name__ == "__main__":
    raise SystemExit(main())
