"""Replay and impact previews over worker processes, split by ``seq`` range, results in chain order.

Replaying is independent per decision, so a walk over the log is cut into ranges of ``seq``
(``CHUNK`` decisions each) and handed to ``workers`` processes; each opens its own connection to
the store, reads its range in chain order, decides each decision again and sends back what the
one-process walk would have produced for it. The parent takes the ranges back in order
(``Pool.imap``), so results stream out in chain order, exactly as from one process, and an
impact report aggregated from them is the same report, with the same examples. PostgreSQL
stores can be split over machines the same way (``--after``/``--upto`` style ranges); here
every worker is a local process.

Workers are started with ``spawn``: durable_rules' native rulesets are never inherited by fork.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass, replace

from audit import records as walk
from audit.compare import Change, ImpactReport
from audit.replay import StoredPolicies, what_if
from audit.runs import replay_one
from engine.complaint import ComplaintError
from engine.decider import Decider
from rules.calendar import CalendarError
from store.db import DecisionStore

CHUNK = 1000  # decisions per range: large enough that the hand-over costs little, small enough to stream


@dataclass(frozen=True)
class Walk:
    """Which decisions (a range by ``by`` time, as ``audit.records.in_range``) and how to re-decide them.

    ``candidate_file`` / ``candidate_digest``: a what-if on that policy (a file, or a stored text),
    else each decision is replayed on its own policy."""

    database_url: str
    since: str | None = None
    until: str | None = None
    by: str = walk.DEFAULT_BY
    candidate_file: str | None = None
    candidate_digest: str | None = None
    after: int = 0  # only seqs above this ...
    upto: int | None = None  # ... and up to this: one machine's share of a store split over several
    examples_per_kind: int = 3  # an impact preview's examples of each kind of change


def ranges(low: int, high: int, size: int = CHUNK) -> list[tuple[int, int]]:
    """``(after, upto]`` ranges covering seqs ``low`` to ``high``."""
    if high < low or high == 0:
        return []
    return [(after, min(after + size, high)) for after in range(low - 1, high, size)]


class _Worker:
    """What one process holds: its store connection, the policies it compiled, the candidate."""

    def __init__(self, job: Walk):
        self.job = job
        self.store = DecisionStore(job.database_url)
        self.policies = StoredPolicies(self.store)
        self.candidate = candidate_for(job, self.policies)

    def records(self, after: int, upto: int):
        job = self.job
        return walk.in_range(self.store, job.since, job.until, by=job.by, after=after, upto=upto)

    def replay(self, span: tuple[int, int]) -> list[dict]:
        return [replay_one(record, self.policies, self.candidate) for record in self.records(*span)]

    def impact_part(self, span: tuple[int, int]) -> ImpactReport:
        """The impact report of one range, made in the worker: only the aggregate and its first
        examples cross back to the parent, not a comparison per decision."""
        report = ImpactReport(examples_per_kind=self.job.examples_per_kind)
        for decision_id, complaint_id, change in self.impact(span):
            _count(report, decision_id, complaint_id, change)
        return report

    def impact(self, span: tuple[int, int]) -> list[tuple[str, str, Change | None]]:
        assert self.candidate is not None
        out: list[tuple[str, str, Change | None]] = []
        for record in self.records(*span):
            try:
                change: Change | None = what_if(record, self.candidate)
            except (ComplaintError, CalendarError, json.JSONDecodeError):
                change = None  # counted as an error, as audit.replay.impact does
            out.append((record.decision_id, record.complaint_id, change))
        return out


def candidate_for(job: Walk, policies: StoredPolicies) -> Decider | None:
    if job.candidate_file:
        from engine.compiled import decider_for_file

        return decider_for_file(job.candidate_file)
    if job.candidate_digest:
        return policies.decider(job.candidate_digest)
    return None


_worker: _Worker | None = None


def _start(job: Walk) -> None:
    global _worker
    _worker = _Worker(job)


def _replay(span: tuple[int, int]) -> list[dict]:
    assert _worker is not None
    return _worker.replay(span)


def _impact_part(span: tuple[int, int]) -> list[ImpactReport]:
    assert _worker is not None
    return [_worker.impact_part(span)]  # a list, as every task's results are


def _count(report: ImpactReport, decision_id: str, complaint_id: str, change: Change | None) -> None:
    if change is None:  # counted as an error, as audit.replay.impact does
        report.total += 1
        report.errors += 1
    else:
        report.add(decision_id, change, complaint_id)


def _spans(job: Walk, chunk: int) -> list[tuple[int, int]]:
    store = DecisionStore(job.database_url)
    try:
        low, high = store.seq_bounds()
    finally:
        store.dispose()
    low = max(low, job.after + 1)
    high = high if job.upto is None else min(high, job.upto)
    return ranges(low, high, size=chunk)


def _ordered(job: Walk, workers: int, chunk: int, task, local) -> Iterator:
    spans = _spans(job, chunk)
    if workers <= 1 or len(spans) <= 1:
        worker = _Worker(job)
        for span in spans:
            yield from local(worker, span)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(workers, len(spans)), initializer=_start, initargs=(job,)) as pool:
        for results in pool.imap(task, spans):
            yield from results


def replay_results(job: Walk, workers: int = 1, chunk: int = CHUNK) -> Iterator[dict]:
    """``audit.runs.replay_one`` of every decision of ``job``, in chain order, over ``workers`` processes."""
    return _ordered(job, workers, chunk, _replay, _Worker.replay)


def impact_report(
    job: Walk, workers: int = 1, examples_per_kind: int = 3, progress=None, chunk: int = CHUNK
) -> ImpactReport:
    """``audit.replay.impact`` of ``job``'s decisions under its candidate, over ``workers`` processes."""
    if not (job.candidate_file or job.candidate_digest):
        raise ValueError("an impact preview needs a candidate policy")
    job = replace(job, examples_per_kind=examples_per_kind)
    report = ImpactReport(examples_per_kind=examples_per_kind)
    if workers <= 1:
        worker = _Worker(job)
        for span in _spans(job, chunk):
            for decision_id, complaint_id, change in worker.impact(span):
                _count(report, decision_id, complaint_id, change)
                if progress is not None:
                    progress(report)
        return report
    for part in _ordered(job, workers, chunk, _impact_part, lambda worker, span: [worker.impact_part(span)]):
        report.merge(part)
        if progress is not None:
            for _ in range(part.total):  # one step a decision, as from one process
                progress(report)
    return report
