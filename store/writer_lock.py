"""Queue SQLite writers on a lock that wakes the next one at once.

SQLite's own busy handler polls, sleeping up to 100 ms between tries and never
woken when the lock frees: under several threads and gunicorn workers, writers
spent most of their time asleep (bench/http.py: 62% of worker time in
BEGIN IMMEDIATE). Writers of one process queue on a threading lock; processes
queue on an flock of a file beside the database, which the kernel hands over
as soon as it is released (and frees if the holder dies). SQLite's locking
still guarantees correctness; this only orders the waiting.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WriterLock:
    def __init__(self, path: str | None):
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self.path is None:
            return None
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return None  # no lock file possible (read-only dir): SQLite's own waiting still works
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
