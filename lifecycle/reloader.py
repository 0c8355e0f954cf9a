"""Keep this process's policy book current without a restart, and never worse.

Sources: the policy file (reloaded when its modification time or size changes,
or when SIGHUP asks) and the versions published in the store (polled every few
seconds). A source that fails to load or compile is logged and reported by
``status()``; the book in force stays as it was. The new book is built fully
and then swapped in with one assignment, so a request sees either the old book
or the new one, never a mix.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field

from engine.compiled import decider_for, decider_for_text
from engine.decider import Decider
from lifecycle.versions import PolicyBook
from rules.loader import load_policy_file
from store.times import now_shown

log = logging.getLogger("complaints.policy")


@dataclass
class ReloadStatus:
    reloads: int = 0
    failures: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    loaded_digests: list[str] = field(default_factory=list)


class PolicyRegistry:
    def __init__(self, policy_path: str, store=None, poll_seconds: float = 5.0):
        self.policy_path = policy_path
        self.store = store
        self.poll_seconds = poll_seconds
        self.status = ReloadStatus()
        self._lock = threading.Lock()
        self._file_stamp = self._stamp()
        self._file_decider = decider_for(load_policy_file(policy_path))  # a bad file at start: refuse to start
        self._published: dict[str, Decider] = {}
        self._last_publication = 0
        self._next_poll = 0.0
        self._reload_requested = False
        self.book = PolicyBook([self._file_decider])
        self.status.loaded_digests = [self._file_decider.policy.digest]

    # -- reading ------------------------------------------------------------

    def current(self) -> PolicyBook:
        """The book in force, refreshed first when a source may have changed."""
        if self._reload_requested or time.monotonic() >= self._next_poll:
            self.refresh()
        return self.book

    def request_reload(self, *_args) -> None:
        """Signal-safe: the next request reloads (used as the SIGHUP handler)."""
        self._reload_requested = True

    # -- reloading ----------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Reload changed sources; True if the book changed. Only one thread reloads at a time."""
        if not self._lock.acquire(blocking=force):
            return False  # someone else is reloading; keep serving the current book
        try:
            self._next_poll = time.monotonic() + self.poll_seconds
            forced = force or self._reload_requested
            self._reload_requested = False
            changed = self._refresh_file(forced)
            changed = self._refresh_store() or changed
            if changed:
                book = PolicyBook([self._file_decider, *self._published.values()])
                self.book = book  # the swap: one reference assignment
                self.status.reloads += 1
                self.status.loaded_digests = [d.policy.digest for d in book.versions]
                log.info("policy book reloaded", extra={"versions": [d.policy.version for d in book.versions]})
            return changed
        finally:
            self._lock.release()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.policy_path)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def _refresh_file(self, forced: bool) -> bool:
        stamp = self._stamp()
        if stamp == self._file_stamp and not forced:
            return False
        self._file_stamp = stamp
        try:
            decider = decider_for(load_policy_file(self.policy_path))
        except Exception as exc:  # noqa: BLE001 - any failure keeps the good policy in force
            self._failed(f"{self.policy_path}: {exc}")
            return False
        if decider.policy.digest == self._file_decider.policy.digest:
            return False
        self._file_decider = decider
        return True

    def _refresh_store(self) -> bool:
        if self.store is None:
            return False
        try:
            rows = self.store.published_after(self._last_publication)
        except Exception as exc:  # noqa: BLE001 - the store being down must not stop deciding
            self._failed(f"reading published policies: {exc}")
            return False
        changed = False
        for row in rows:
            try:
                decider = decider_for_text(row["text"], f"published:{row['digest'][:12]}")
            except Exception as exc:  # noqa: BLE001 - a bad publication never replaces what is in force
                self._failed(f"published policy {row['digest'][:12]}: {exc}")
            else:
                self._published[decider.policy.digest] = decider
                changed = True
            self._last_publication = row["id"]
        return changed

    def _failed(self, message: str) -> None:
        self.status.failures += 1
        self.status.last_error = message
        self.status.last_error_at = now_shown()
        log.error("policy reload failed; the policy in force is unchanged", extra={"reason": message[:2000]})
