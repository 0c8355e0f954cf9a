"""Keep this process's policy book current without a restart, and never worse.

Sources: the policy file (reloaded when its modification time or size changes,
or when SIGHUP asks) and the versions published in the store (polled every few
seconds). A source that fails to load or compile is logged and reported by
``status``; the book in force stays as it was, and the failure is cleared once
that source loads again. The new book is built fully and then swapped in with
one assignment, so a request sees either the old book or the new one, never a mix.

A process that starts while its file is broken (a worker restarted by SIGHUP,
``max_requests``, a crash) boots on the last good version of that file, which
every successful load remembers in the store (``remember_policy_source``). Only
when no good version was ever stored does it refuse to start (``NoGoodPolicy``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.compiled import decider_for, decider_for_text
from engine.decider import Decider
from lifecycle.versions import PolicyBook
from rules.errors import PolicyError
from rules.loader import load_policy_file
from store.times import now_shown

log = logging.getLogger("complaints.policy")

# The sources whose failures are tracked apart (each cleared by its own next success).
FILE, STORE, PUBLICATION = "file", "store", "publication"


class NoGoodPolicy(RuntimeError):
    """The policy file does not load and no good version of it was ever stored: nothing to serve."""


@dataclass(frozen=True)
class Failure:
    at: str
    message: str


@dataclass
class ReloadStatus:
    reloads: int = 0
    failures: int = 0  # since start, never reset
    loaded_digests: list[str] = field(default_factory=list)
    failing: dict[str, Failure] = field(default_factory=dict)  # source -> its failure still in effect

    @property
    def last_error(self) -> str | None:
        """The latest failure still in effect, or None once every source loads again."""
        latest = self._latest()
        return latest.message if latest else None

    @property
    def last_error_at(self) -> str | None:
        latest = self._latest()
        return latest.at if latest else None

    def _latest(self) -> Failure | None:
        return max(self.failing.values(), key=lambda f: f.at, default=None)


class PolicyRegistry:
    def __init__(self, policy_path: str, store=None, poll_seconds: float = 5.0):
        self.policy_path = policy_path
        # Not resolved: a symlinked file (a mounted ConfigMap) keeps one name while its target moves.
        self.source = os.path.abspath(policy_path)
        self.store = store
        self.poll_seconds = poll_seconds
        self.status = ReloadStatus()
        # Called after every change of ``status`` (the API keeps its gauges current with it).
        self.on_status: Callable[[PolicyRegistry], None] | None = None
        self._lock = threading.Lock()
        self._file_stamp = self._stamp()
        self._file_decider = self._boot_decider()
        self._published: dict[str, Decider] = {}
        self._last_publication = 0
        self._next_poll = 0.0
        self._reload_requested = False
        self.book = PolicyBook([self._file_decider])
        self.status.loaded_digests = [self._file_decider.policy.digest]

    def _boot_decider(self) -> Decider:
        """The file's policy; if the file is broken, the last good version of it stored, else NoGoodPolicy."""
        try:
            decider = decider_for(load_policy_file(self.policy_path))
        except Exception as exc:  # noqa: BLE001 - whatever breaks the file, fall back the same way
            fallback = self._last_good(exc)
            self._failed(
                FILE,
                f"{self.policy_path}: {exc} (serving the last good version {fallback.policy.version}, "
                f"{fallback.policy.digest[:12]})",
            )
            return fallback
        self._remember(decider)
        return decider

    def _last_good(self, error: Exception) -> Decider:
        problem = _one_line(error)
        if self.store is None:
            raise NoGoodPolicy(f"{self.policy_path} does not load ({problem}) and there is no store to fall back on")
        try:
            row = self.store.policy_for_source(self.source)
        except Exception as exc:  # noqa: BLE001 - a store that cannot answer has no fallback to give
            raise NoGoodPolicy(
                f"{self.policy_path} does not load ({problem}) and the store cannot give its last good version ({exc})"
            ) from None
        if row is None:
            raise NoGoodPolicy(
                f"{self.policy_path} does not load ({problem}) and no good version of it was ever stored; "
                f"fix the file (complaints check {self.policy_path})"
            )
        decider = decider_for_text(row["text"], f"stored:{row['digest'][:12]}")
        if decider.policy.digest != row["digest"]:
            raise NoGoodPolicy(
                f"{self.policy_path} does not load ({problem}) and its last good version in the store no longer "
                f"matches its digest {row['digest'][:12]}; run complaints store verify"
            )
        log.warning(
            "the policy file does not load; serving its last good version from the store",
            extra={"reason": problem[:2000], "policy_version": decider.policy.version, "policy_digest": row["digest"]},
        )
        return decider

    def _remember(self, decider: Decider) -> None:
        """Record the file's good version, so a restart while the file is broken can boot on it."""
        if self.store is None:
            return
        try:
            self.store.remember_policy_source(self.source, decider.policy)
        except Exception as exc:  # noqa: BLE001 - the store being down must not stop deciding
            log.warning("could not record the policy file's good version", extra={"reason": str(exc)[:500]})

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
                self._notify()
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
            self._failed(FILE, f"{self.policy_path}: {exc}")
            return False
        self._recovered(FILE)
        if decider.policy.digest == self._file_decider.policy.digest:
            return False
        self._remember(decider)
        self._file_decider = decider
        return True

    def _refresh_store(self) -> bool:
        if self.store is None:
            return False
        try:
            rows = self.store.published_after(self._last_publication)
        except Exception as exc:  # noqa: BLE001 - the store being down must not stop deciding
            self._failed(STORE, f"reading published policies: {exc}")
            return False
        self._recovered(STORE)
        changed = False
        for row in rows:
            try:
                decider = decider_for_text(row["text"], f"published:{row['digest'][:12]}")
            except Exception as exc:  # noqa: BLE001 - a bad publication never replaces what is in force
                self._failed(PUBLICATION, f"published policy {row['digest'][:12]}: {exc}")
            else:
                self._published[decider.policy.digest] = decider
                self._recovered(PUBLICATION)
                changed = True
            self._last_publication = row["id"]
        return changed

    def _failed(self, source: str, message: str) -> None:
        self.status.failures += 1
        self.status.failing[source] = Failure(now_shown(), message)
        log.error("policy reload failed; the policy in force is unchanged", extra={"reason": message[:2000]})
        self._notify()

    def _recovered(self, source: str) -> None:
        if self.status.failing.pop(source, None) is not None:
            log.info("policy source loads again", extra={"source": source})
            self._notify()

    def _notify(self) -> None:
        if self.on_status is not None:
            self.on_status(self)


def _one_line(error: Exception) -> str:
    """A policy error on one line: its first problem, and how many there are."""
    if isinstance(error, PolicyError) and error.issues:
        more = len(error.issues) - 1
        return str(error.issues[0]) + (f"; and {more} more" if more else "")
    return str(error).strip().replace("\n", "; ") or type(error).__name__
