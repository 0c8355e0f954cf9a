"""Group commit on SQLite and PostgreSQL: appends that queue behind a writer share one transaction.

To make batches deterministic without timing, the test holds the store's write lock from a
second connection (SQLite ``BEGIN IMMEDIATE``, PostgreSQL the chain head row ``FOR UPDATE``),
as another process's transaction would: the first append becomes the writer and waits for the
lock; the others queue, one at a time so their order is known; once the lock is released the
writer takes the queue (up to the batch bound) into its transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lifecycle.decision_service import fired_rules, request_digest
from store import ComplaintHasEvents, DecisionStore, StaleComplaint, StoreUnavailable
from store.tables import chain_head, complaint_events
from tests.helpers.store_samples import make_complaint


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.002)


@contextmanager
def writes_held(store: DecisionStore) -> Iterator[None]:
    with store.engine.connect() as conn:
        conn = conn.execution_options(immediate=True)  # SQLite: BEGIN IMMEDIATE (store/db.py)
        with conn.begin():
            conn.execute(select(chain_head.c.seq).where(chain_head.c.id == 1).with_for_update()).one()
            yield


def append_args(decider, body: dict, decision_id: str) -> dict:
    decision = decider.decide(body)
    return dict(
        decision_id=decision_id,
        policy=decider.policy,
        complaint_id=body["complaint_id"],
        request_body=json.dumps(body, ensure_ascii=False),
        request_digest=request_digest(body),
        decision=decision,
        fired_rules=fired_rules(decision),
        engine_version="1.1.0",
    )


def uid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


class Queue:
    """Appends started one by one behind a held write lock; ``results[i]`` is (record, created) or the error."""

    def __init__(self, store: DecisionStore):
        self.store = store
        self.results: dict[int, object] = {}
        self.threads: list[threading.Thread] = []

    def _run(self, index: int, args: dict) -> None:
        try:
            self.results[index] = self.store.append(**args)
        except Exception as exc:  # noqa: BLE001 - the error is the result under test
            self.results[index] = exc

    def start_writer(self, args: dict) -> None:
        self._start(args)
        wait_for(lambda: self.store.group_commit.writing, "the first append became the writer")

    def add(self, args: dict) -> None:
        before = self.store.group_commit.queued
        self._start(args)
        wait_for(lambda: self.store.group_commit.queued == before + 1, "the append queued")

    def _start(self, args: dict) -> None:
        thread = threading.Thread(target=self._run, args=(len(self.threads), args))
        self.threads.append(thread)
        thread.start()

    def join(self) -> list:
        for thread in self.threads:
            thread.join(timeout=60)
            assert not thread.is_alive()
        return [self.results[i] for i in range(len(self.threads))]


def queue_complaints(queue: Queue, decider, first: int, count: int, first_uid: int) -> None:
    """Complaint ``first`` becomes the writer, then ``count - 1`` more queue behind it, in order."""
    queue.start_writer(append_args(decider, make_complaint(first, "GC"), uid(first_uid)))
    for n in range(1, count):
        queue.add(append_args(decider, make_complaint(first + n, "GC"), uid(first_uid + n)))


def test_appends_queued_while_the_writer_waits_for_the_lock_join_its_transaction(store, decider):
    queue = Queue(store)
    with writes_held(store):
        queue_complaints(queue, decider, 100, 6, 0)
    results = queue.join()
    assert all(created for _, created in results), results
    assert [record.seq for record, _ in results] == [1, 2, 3, 4, 5, 6]
    assert [record.decision_id for record, _ in results] == [uid(n) for n in range(6)]
    assert (store.group_commit.batches, store.group_commit.items) == (1, 6)
    for record, _ in results:
        assert store.get(record.decision_id) == record
    report = store.verify_chain()
    assert report.ok and report.count == 6, report.problems


def test_a_batch_links_re_evaluations_and_answers_a_repeated_request_once(store, decider):
    first = make_complaint(200, "GC")
    again = dict(first, history={"rejected_offers": 1})
    other = make_complaint(201, "GC")
    before, _ = store.append(**append_args(decider, other, uid(9)))
    queue = Queue(store)
    with writes_held(store):
        queue.start_writer(append_args(decider, first, uid(11)))
        queue.add(append_args(decider, again, uid(12)))
        queue.add(append_args(decider, first, uid(13)))  # the same request, in the same batch
        queue.add(append_args(decider, other, uid(14)))  # the same request as one stored before
    (f, f_new), (a, a_new), (f2, f2_new), (o2, o2_new) = queue.join()
    assert (f_new, a_new, f2_new, o2_new) == (True, True, False, False)
    assert f2 == f and o2 == before and store.count() == 3
    assert a.previous_decision_id == f.decision_id and f.previous_decision_id is None
    assert [before.seq, f.seq, a.seq] == [1, 2, 3]
    assert store.group_commit.batches == 2  # the one before, then the four together
    assert store.verify_chain().ok


def test_batches_are_bounded_by_size(store_url, decider):
    store = DecisionStore(store_url, group_commit_max_batch=2)
    store.init_schema()
    queue = Queue(store)
    with writes_held(store):
        queue_complaints(queue, decider, 300, 6, 20)
    results = queue.join()
    assert [record.seq for record, _ in results] == [1, 2, 3, 4, 5, 6]
    assert (store.group_commit.batches, store.group_commit.items) == (3, 6)  # 2 + 2 + 2
    assert store.verify_chain().ok
    store.dispose()


def test_a_row_the_database_refuses_fails_only_its_own_request(store, decider):
    queue = Queue(store)
    with writes_held(store):
        queue.start_writer(append_args(decider, make_complaint(400, "GC"), uid(30)))
        queue.add(append_args(decider, make_complaint(401, "GC"), uid(31)))
        queue.add(append_args(decider, make_complaint(402, "GC"), uid(31)))  # decision_id taken: refused
        queue.add(append_args(decider, make_complaint(403, "GC"), uid(33)))
        queue.add(append_args(decider, make_complaint(404, "GC"), uid(30)))  # taken by the first
    results = queue.join()
    assert isinstance(results[2], IntegrityError) and isinstance(results[4], IntegrityError)
    kept = [results[i] for i in (0, 1, 3)]
    assert all(created for _, created in kept)
    assert [record.complaint_id for record, _ in kept] == ["GC-000400", "GC-000401", "GC-000403"]
    assert [record.seq for record, _ in kept] == [1, 2, 3]
    assert store.count() == 3
    for record, _ in kept:
        assert store.get(record.decision_id) == record
    assert store.verify_chain().ok


def test_when_the_store_cannot_write_every_waiting_request_gets_the_error(store, store_url, decider):
    # Gives up on the held lock quickly: SQLite's busy timeout, PostgreSQL's lock timeout.
    impatient = DecisionStore(store_url, sqlite_busy_timeout_ms=300, statement_timeout_ms=300)
    impatient.init_schema()
    queue = Queue(impatient)
    with writes_held(store):
        queue_complaints(queue, decider, 500, 4, 40)
        results = queue.join()  # while the lock is still held: every batch gave up
    assert all(isinstance(result, StoreUnavailable) for result in results), results
    assert store.count() == 0
    record, created = impatient.append(**append_args(decider, make_complaint(500, "GC"), uid(44)))
    assert created and record.seq == 1  # nothing half-written: the chain starts where it was
    assert store.verify_chain().ok
    impatient.dispose()


def test_a_concurrent_burst_keeps_one_chain_and_every_answer_stored(store, decider):
    """No lock held: whatever batches form, every answered append is stored, once, in one chain."""
    args = [append_args(decider, make_complaint(600 + n, "GC"), uid(60 + n)) for n in range(40)]
    args += [append_args(decider, make_complaint(600 + n, "GC"), uid(200 + n)) for n in range(10)]  # repeats
    results: list = [None] * len(args)

    def run(index: int) -> None:
        results[index] = store.append(**args[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(args))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(created for _, created in results) == 40
    by_complaint = {}
    for record, _ in results:
        by_complaint.setdefault(record.complaint_id, set()).add(record.decision_id)
    assert all(len(ids) == 1 for ids in by_complaint.values())  # a repeat got the stored decision
    assert store.group_commit.items == 50
    report = store.verify_chain()
    assert report.ok and report.count == 40, report.problems


@pytest.mark.parametrize("max_batch, max_wait", [(0, 0.0), (1, -0.001), (1, 0.5)])
def test_bounds_are_checked(store_url, max_batch, max_wait):
    with pytest.raises(ValueError):
        DecisionStore(store_url, group_commit_max_batch=max_batch, group_commit_wait_us=int(max_wait * 1e6))


def test_a_writer_that_leaves_an_append_unanswered_fails_it_loudly():
    from store.group_commit import GroupCommit

    def forgetful(take):
        take()  # takes the batch and answers nobody

    with pytest.raises(RuntimeError, match="no answer"):
        GroupCommit(forgetful).submit("x")


def test_a_writer_that_fails_before_taking_its_batch_fails_the_queued_appends():
    from store.group_commit import GroupCommit

    def unreachable(take):
        raise StoreUnavailable("connection refused")

    group = GroupCommit(unreachable)
    with pytest.raises(StoreUnavailable, match="refused"):
        group.submit("x")
    assert (group.batches, group.items, group.queued) == (1, 1, 0)


def test_a_short_batch_is_written_after_the_wait_not_held():
    from store.group_commit import GroupCommit

    sizes: list[int] = []

    def write(take):
        batch = take()
        sizes.append(len(batch))
        for slot in batch:
            slot.answer(slot.item * 2)

    group = GroupCommit(write, max_batch=8, max_wait=0.002)
    assert [group.submit(n) for n in range(3)] == [0, 2, 4]
    assert sizes == [1, 1, 1]


def test_a_batch_answers_a_stale_re_decision_alone_and_records_a_repeated_event_once(store, decider):
    """The deadline clock's appends in one batch: two re-decisions made on the same latest decision
    (the second is stale once the first is written) and the same event reported twice."""
    body = make_complaint(300, "GC")
    first, _ = store.append(**append_args(decider, body, uid(300)))
    event = {"type": "responded", "at": "2026-11-02T02:04:00+00:00", "subject": "", "event": "{}"}

    def re_decision(n: int, **clock) -> dict:
        args = append_args(decider, dict(body, order={"amount": f"{n}.00"}), uid(n))
        return dict(args, expect_previous=first.decision_id, **clock)

    queue = Queue(store)
    with writes_held(store):
        queue.start_writer(re_decision(301, event=event))
        queue.add(re_decision(302, event=event))  # the same event again: its decision, nothing new
        queue.add(re_decision(303))  # decided on `first`, but 301 came first in the batch
    results = queue.join()
    assert (store.group_commit.batches, store.group_commit.items) == (2, 4)
    (recorded, created), (repeat, repeat_created), stale = results
    assert created and recorded.previous_decision_id == first.decision_id
    assert (repeat, repeat_created) == (recorded, False)
    assert isinstance(stale, StaleComplaint)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(complaint_events)).scalar_one() == 1
    report = store.verify_chain()
    assert report.ok and report.count == 2, report.problems


def test_a_decision_made_without_the_complaint_s_events_is_refused_in_the_batch_that_records_them(store, decider):
    """``without_events``: the service decides a complaint on its body alone and lets the store refuse
    it, under the write lock, if events were recorded on it, even earlier in the same batch."""
    body = make_complaint(400, "GC")
    first, _ = store.append(**append_args(decider, body, uid(400)))
    event = {"type": "responded", "at": "2026-11-02T02:04:00+00:00", "subject": "", "event": "{}"}
    fresh = make_complaint(401, "GC")
    queue = Queue(store)
    with writes_held(store):
        queue.start_writer(dict(append_args(decider, body, uid(402)), without_events=True))  # no events yet
        queue.add(dict(append_args(decider, dict(body, order={"amount": "7.00"}), uid(403)), event=event))
        queue.add(dict(append_args(decider, dict(body, order={"amount": "8.00"}), uid(404)), without_events=True))
        queue.add(dict(append_args(decider, fresh, uid(405)), without_events=True))  # a new complaint
    (same, same_created), (evented, _), refused, (new, new_created) = queue.join()
    assert (same, same_created) == (first, False)  # the request stored before, no events then
    assert evented.previous_decision_id == first.decision_id
    assert isinstance(refused, ComplaintHasEvents)
    assert new_created and new.complaint_id == fresh["complaint_id"]
    with pytest.raises(ComplaintHasEvents):  # a later batch too
        store.append(**dict(append_args(decider, body, uid(406)), without_events=True))
    assert store.count() == 3


def test_a_new_complaint_decided_twice_in_one_batch_keeps_the_second_decision_s_queue_rows(store, decider):
    from store.clock import queue_row
    from store.tables import deadline_index

    def with_rows(n: int, body: dict, day: int) -> dict:
        row = queue_row(
            kind="resolution",
            status="scheduled",
            due_at=dt.datetime(2026, 11, day, tzinfo=dt.UTC),
            due_soon_at=None,
            team="customer_service",
            level="frontline",
            rule="D01",
            record_breach=True,
            breach_recorded=False,
        )
        return dict(append_args(decider, body, uid(n)), deadlines=[row])

    body = make_complaint(500, "GC")
    other = make_complaint(501, "GC")
    queue = Queue(store)
    with writes_held(store):
        queue.start_writer(with_rows(500, body, 5))
        queue.add(with_rows(501, dict(body, order={"amount": "9.00"}), 6))
        queue.add(with_rows(502, other, 7))
    assert all(created for _, created in queue.join())
    with store.engine.connect() as conn:
        rows = sorted(conn.execute(select(deadline_index.c.complaint_id, deadline_index.c.decision_id)))
    assert rows == [(body["complaint_id"], uid(501)), (other["complaint_id"], uid(502))]
