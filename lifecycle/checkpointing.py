"""The service's checkpoint schedule: sign the chain head every N decisions and every M seconds.

Every N decisions (``COMPLAINTS_CHECKPOINT_EVERY``) the worker that records
the N-th decision since the last checkpoint signs the head, right after its
commit; every M seconds (``COMPLAINTS_CHECKPOINT_SECONDS``) a background thread
signs it if any decision was recorded since. Several workers and instances
share one store: ``store.checkpoints.take_checkpoint`` decides under the append
lock, so a head is signed once however many ask. A failure to sign is logged
and never fails the decision, which is already committed; the next attempt
signs everything since.

With ``signed_heads`` (the signer's record of what it signed, kept beside its key:
``store.witness``), a head is signed only if the store's history extends the last
one signed; otherwise nothing is signed, loudly: an ERROR log event
``checkpoint refused`` (``alert: signing-refused``), ``refused`` set (``/readyz``
says ``degraded`` and ``complaints_signing_refused`` is 1) until a later attempt
succeeds, which needs the history put back.

A checkpoint records the policy versions this instance applies (digest,
version, effective_from): what was in force when the head was signed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from store.checkpoints import HeadRefused, SignedStatement, last_checkpoint, take_checkpoint
from store.db import DecisionStore, StoredDecision, StoreUnavailable
from store.signing import SigningKey
from store.witness import HeadFile

log = logging.getLogger("complaints.checkpoints")


def policy_refs(policies) -> list[dict]:
    """What a checkpoint says about the policies in force: one entry per version, oldest first."""
    return [
        {"digest": p.digest, "version": p.version, "effective_from": p.effective_from.isoformat()} for p in policies
    ]


class Checkpointer:
    def __init__(
        self,
        store: DecisionStore,
        signer: SigningKey,
        policies: Callable[[], list[dict]],
        *,
        every: int = 1000,
        seconds: float = 300.0,
        signed_heads: HeadFile | None = None,
    ):
        self.signed_heads = signed_heads
        self.refused: str | None = None  # why the last attempt refused to sign; None once one succeeds
        self.store = store
        self.signer = signer
        self.policies = policies
        self.every = every
        self.seconds = seconds
        self._lock = threading.Lock()
        self._next_seq: int | None = None  # sign once a decision at or past this seq is recorded
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sign(self, min_new: int = 1) -> SignedStatement | None:
        """Sign the head now if ``min_new`` decisions are unsigned; None if there was nothing to sign."""
        with self._lock:
            try:
                statement = take_checkpoint(
                    self.store, self.signer, self.policies(), min_new=min_new, signed_heads=self.signed_heads
                )
            except HeadRefused as exc:
                self.refused = str(exc)
                log.error(
                    "checkpoint refused: the store's history does not extend the head this signer signed last",
                    extra={"alert": "signing-refused", "reason": str(exc), "key_id": self.signer.key_id},
                )
                self._next_seq = (self._next_seq or 0) + max(self.every, 1)  # not again on every decision
                return None
            self.refused = None
            signed = statement if statement is not None else last_checkpoint(self.store)
            self._next_seq = (signed.seq if signed is not None else 0) + max(self.every, 1)
        if statement is not None:
            log.info(
                "checkpoint signed",
                extra={"checkpoint": statement.number, "seq": statement.seq, "key_id": statement.key_id},
            )
        return statement

    def recorded(self, record: StoredDecision) -> None:
        """After a decision is committed: sign if it is the N-th since the last checkpoint."""
        if self.every <= 0:
            return
        try:
            if self._next_seq is None:
                with self._lock:
                    if self._next_seq is None:
                        signed = last_checkpoint(self.store)
                        self._next_seq = (signed.seq if signed is not None else 0) + self.every
            if record.seq >= self._next_seq:
                self.sign(min_new=self.every)
        except StoreUnavailable as exc:
            log.warning("checkpoint not signed: decision store unavailable", extra={"reason": str(exc)})

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.sign(min_new=1)
            except StoreUnavailable as exc:
                log.warning("checkpoint not signed: decision store unavailable", extra={"reason": str(exc)})
            except Exception:  # noqa: BLE001 - the schedule must outlive one bad attempt
                log.exception("checkpoint not signed")

    def start(self) -> None:
        """The time schedule (a daemon thread); nothing when ``seconds`` is 0."""
        if self.seconds > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="checkpoints", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
