"""Group commit: appends queued by a process's threads are written together, in one transaction.

A thread that wants to append queues its item. If no thread of this process is writing, it
becomes the writer: it waits at most ``max_wait`` seconds for a short queue to fill, then calls
``write_batch(take)``, which takes the write lock (waiting, perhaps, for another process's
transaction), calls ``take()`` for up to ``max_batch`` queued items, oldest first, so that those
that queued meanwhile join, writes them (one head read and update, one COMMIT, one fsync), and
hands every item of the batch its answer or its error. Meanwhile later callers queue behind it and form the next batch, so under
load the batch grows with the queue and the per-decision lock, head update and fsync shrink.

Each caller returns only once the COMMIT holding its item has returned (or with the error of
that item or batch): nothing is acknowledged before it is durable. There is no background
thread: the writer is whichever caller found the writer's seat empty, so nothing is left
running across a fork or at shutdown, and one process has at most one writer at a time.
The chain stays linear across processes because ``write_batch`` holds the store's
cross-process write lock (flock + ``BEGIN IMMEDIATE`` on SQLite, the head row on PostgreSQL).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Slot(Generic[Item, Result]):
    """One queued append: the item, and once its batch is written, its result or its error."""

    __slots__ = ("item", "done", "result", "error")

    def __init__(self, item: Item):
        self.item = item
        self.done = False
        self.result: Result | None = None
        self.error: BaseException | None = None

    def answer(self, result: Result) -> None:
        self.result, self.done = result, True

    def fail(self, error: BaseException) -> None:
        self.error, self.done = error, True


class GroupCommit(Generic[Item, Result]):
    """``submit(item)`` returns ``write_batch``'s answer for that item, written in a shared transaction.

    ``write_batch(take)`` calls ``take()`` once for its batch and must answer or fail every slot;
    a slot it leaves open fails with an error, and if it raises, every slot of the batch fails
    with that exception (the batch taken for it if it raised before calling ``take()``).
    """

    def __init__(
        self,
        write_batch: Callable[[Callable[[], Sequence[Slot[Item, Result]]]], None],
        *,
        max_batch: int = 64,
        max_wait: float = 0.0,
    ):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if not 0 <= max_wait <= 0.1:
            raise ValueError("max_wait is in seconds, from 0 to 0.1")
        self._write_batch = write_batch
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._lock = threading.Lock()
        self._written = threading.Condition(self._lock)  # a batch was written: its callers may return
        self._arrived = threading.Condition(self._lock)  # an item was queued: a waiting writer may stop waiting
        self._queue: list[Slot[Item, Result]] = []
        self._writing = False
        self.batches = 0  # batches written by this process (for tests and benchmarks)
        self.items = 0
        self.on_batch: Callable[[int], None] | None = None  # called with each written batch's size (metrics)

    @property
    def writing(self) -> bool:
        """A thread of this process is writing a batch now."""
        with self._lock:
            return self._writing

    @property
    def queued(self) -> int:
        """Appends waiting for a batch (not counting the one being written)."""
        with self._lock:
            return len(self._queue)

    def submit(self, item: Item) -> Result:
        slot: Slot[Item, Result] = Slot(item)
        with self._lock:
            self._queue.append(slot)
            self._arrived.notify()
            while not slot.done:
                if self._writing:
                    self._written.wait()
                    continue
                self._writing = True
                try:
                    self._wait_for_more()
                    self._lock.release()
                    try:
                        self._write()
                    finally:
                        self._lock.acquire()
                finally:
                    self._writing = False
                    self._written.notify_all()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]  # answered: write_batch set it

    def _wait_for_more(self) -> None:
        """Give a short queue up to ``max_wait`` to fill (the lock held; waiting releases it)."""
        if self.max_wait and len(self._queue) < self.max_batch:
            deadline = time.monotonic() + self.max_wait
            while len(self._queue) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0 or not self._arrived.wait(left):
                    return

    def _take(self) -> list[Slot[Item, Result]]:
        """Up to ``max_batch`` queued slots, oldest first."""
        with self._lock:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        return batch

    def _write(self) -> None:
        batch: list[Slot[Item, Result]] | None = None

        def take() -> list[Slot[Item, Result]]:
            nonlocal batch
            if batch is None:
                batch = self._take()
            return batch

        try:
            self._write_batch(take)
        except BaseException as exc:  # noqa: BLE001 - every caller of the batch gets the error, then it propagates
            for slot in take():
                if not slot.done:
                    slot.fail(exc)
            if not isinstance(exc, Exception):
                raise
        written = take()
        for slot in written:
            if not slot.done:
                slot.fail(RuntimeError("the batch writer gave this append no answer"))
        self.batches += 1
        self.items += len(written)
        if self.on_batch is not None:
            self.on_batch(len(written))
