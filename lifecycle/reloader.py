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

Two modes (``governed``):

- development: the file decides from its ``effective_from``, beside the versions
  scheduled in the policy register (a scheduled version at the file's very date
  gives way to the file, the developer's working copy);
- governed (production): only the register's scheduled versions decide; the file is
  a draft source, read only at the first start under governance, when the register
  is empty, to adopt the version(s) already in force as the baseline. Until the
  register has been read, nothing is decided (``StoreUnavailable``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.compiled import decider_for, decider_for_text
from engine.decider import Decider
from lifecycle.governance import Governance, fold, timeline_of
from lifecycle.versions import PolicyBook
from rules.errors import PolicyError
from rules.loader import load_policy_file
from store.db import StoreUnavailable
from store.governance import PolicyRegister
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
    def __init__(self, policy_path: str, store=None, poll_seconds: float = 5.0, governed: bool = False):
        self.policy_path = policy_path
        # Not resolved: a symlinked file (a mounted ConfigMap) keeps one name while its target moves.
        self.source = os.path.abspath(policy_path)
        self.store = store
        self.poll_seconds = poll_seconds
        self.governed = governed and store is not None
        self.status = ReloadStatus()
        # Called after every change of ``status`` (the API keeps its gauges current with it).
        self.on_status: Callable[[PolicyRegistry], None] | None = None
        self._lock = threading.Lock()
        self._register = PolicyRegister(store) if store is not None else None
        self._register_seq = -1  # the last register event read; -1: never read
        self._scheduled: dict[str, Decider] = {}  # the register's scheduled versions, by digest
        self._next_poll = 0.0
        self._reload_requested = False
        self._file_stamp = self._stamp()
        self._file_decider: Decider | None = None
        if self.governed:
            self._boot_governed()
        else:
            self._file_decider = self._boot_decider()
            self._refresh_store()
        self.book = self._build()
        self.status.loaded_digests = [d.policy.digest for d in self.book.versions]

    @property
    def mode(self) -> dict:
        """Which mode decides, in words for /readyz and GET /v1/policies."""
        if self.governed:
            return {
                "mode": "governed",
                "policy_file": f"{self.policy_path}: a draft source, not in force; propose it to change the policy",
                "deciding": "the versions scheduled in the policy register, by effective_from",
            }
        return {
            "mode": "development",
            "policy_file": f"{self.policy_path}: decides from its effective_from (reloaded when it changes)",
            "deciding": "the policy file and the versions scheduled in the policy register, by effective_from",
        }

    def _boot_governed(self) -> None:
        """Read the register; on the first start under governance, adopt what was in force as the baseline."""
        self._refresh_store()
        if self._register_seq >= 0 and not self._scheduled:
            file_decider = self._boot_decider()
            adopted = Governance(self.store, register=self._register).adopt(self._baseline(file_decider))
            if adopted:
                log.warning(
                    "first start under governance: adopted the policy in force as the baseline",
                    extra={"policy_version": file_decider.policy.version, "policy_digest": file_decider.policy.digest},
                )
            self._refresh_store()
        if self._register_seq < 0:
            # The store cannot be read: a placeholder that never decides (current() refuses until it can).
            self._file_decider = self._boot_decider()

    def _baseline(self, file_decider: Decider) -> list:
        """What decided before governance: the file and the versions once published, as the old book chose."""
        candidates = [(file_decider.policy, f"policy file {self.source}")]
        try:
            rows = self.store.published_after(0)
        except Exception:  # noqa: BLE001 - no legacy publications to read: the file alone
            rows = []
        for row in rows:
            try:
                decider = decider_for_text(row["text"], f"published:{row['digest'][:12]}")
            except Exception:  # noqa: BLE001 - a bad publication never decided either
                continue
            candidates.append((decider.policy, f"published {row['published_at']} by {row['published_by']}"))
        chosen: dict = {}
        for policy, source in candidates:  # at one date, the one announced later won (then the digest)
            best = chosen.get(policy.effective_from)
            if best is None or (policy.announced_at, policy.digest) > (best[0].announced_at, best[0].digest):
                chosen[policy.effective_from] = (policy, source)
        return [chosen[moment] for moment in sorted(chosen)]

    def _build(self) -> PolicyBook:
        if self.governed:
            versions = list(self._scheduled.values())
            if not versions:  # not read yet: the placeholder, guarded by current()
                assert self._file_decider is not None
                versions = [self._file_decider]
            return PolicyBook(versions)
        assert self._file_decider is not None
        start = self._file_decider.policy.effective_from
        others = [d for d in self._scheduled.values() if d.policy.effective_from != start]
        return PolicyBook([self._file_decider, *others])

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
        if self.governed and not self._scheduled:
            self.refresh(force=True)
            if not self._scheduled:
                raise StoreUnavailable("the policy register cannot be read: no governed version to decide under")
        return self.book

    def request_reload(self, *_args) -> None:
        """Signal-safe: the next request, or the poller within a second, reloads (the SIGHUP handler)."""
        self._reload_requested = True

    def start_polling(self) -> threading.Thread | None:
        """Refresh every ``poll_seconds`` (and soon after SIGHUP) in a daemon thread, requests or not.

        Without it a worker that gets no request keeps reporting a failure long fixed: /metrics adds
        up every worker's gauges, and /readyz is answered by whichever worker the request reaches.
        The thread holds the registry weakly and ends with it."""
        if self.poll_seconds <= 0:
            return None
        thread = threading.Thread(
            target=_poll, args=(weakref.ref(self), self.poll_seconds), name="policy-poller", daemon=True
        )
        thread.start()
        return thread

    # -- reloading ----------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Reload changed sources; True if the book changed. Only one thread reloads at a time."""
        if not self._lock.acquire(blocking=force):
            return False  # someone else is reloading; keep serving the current book
        try:
            self._next_poll = time.monotonic() + self.poll_seconds
            forced = force or self._reload_requested
            self._reload_requested = False
            changed = False if self.governed else self._refresh_file(forced)
            changed = self._refresh_store() or changed
            if changed:
                book = self._build()
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
        if self._file_decider is not None and decider.policy.digest == self._file_decider.policy.digest:
            return False
        self._remember(decider)
        self._file_decider = decider
        return True

    def _refresh_store(self) -> bool:
        """Read the register's scheduled versions when it has new events; True if they changed."""
        if self._register is None:
            return False
        try:
            last = self._register.last_seq()
            if last == self._register_seq:
                self._recovered(STORE)
                return False
            timeline = timeline_of(fold(self._register.events()))
            texts = {r.digest: self.store.policy_text(r.digest) for r in timeline if r.digest not in self._scheduled}
        except Exception as exc:  # noqa: BLE001 - the store being down must not stop deciding
            self._failed(STORE, f"reading the policy register: {exc}")
            return False
        self._recovered(STORE)
        scheduled: dict[str, Decider] = {}
        for record in timeline:
            decider = self._scheduled.get(record.digest)
            if decider is None:
                try:
                    decider = decider_for_text(texts[record.digest] or "", f"scheduled:{record.digest[:12]}")
                    if decider.policy.digest != record.digest:
                        raise ValueError(f"the stored text now digests to {decider.policy.digest[:12]}")
                except Exception as exc:  # noqa: BLE001 - a bad stored text never replaces what is in force
                    self._failed(PUBLICATION, f"scheduled policy {record.digest[:12]}: {exc}")
                    return False
            scheduled[record.digest] = decider
        self._recovered(PUBLICATION)
        changed = scheduled.keys() != self._scheduled.keys()
        self._scheduled, self._register_seq = scheduled, last
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


def _poll(registry_ref: weakref.ref[PolicyRegistry], poll_seconds: float) -> None:
    step = min(1.0, poll_seconds)  # a SIGHUP is acted on within a second
    waited = 0.0
    while True:
        time.sleep(step)
        waited += step
        registry = registry_ref()
        if registry is None:
            return
        if registry._reload_requested or waited >= poll_seconds:
            waited = 0.0
            try:
                registry.refresh()
            except Exception:  # noqa: BLE001 - the poller must outlive any one failure (refresh logs its own)
                log.exception("policy poll failed")
        del registry


def _one_line(error: Exception) -> str:
    """A policy error on one line: its first problem, and how many there are."""
    if isinstance(error, PolicyError) and error.issues:
        more = len(error.issues) - 1
        return str(error.issues[0]) + (f"; and {more} more" if more else "")
    return str(error).strip().replace("\n", "; ") or type(error).__name__
