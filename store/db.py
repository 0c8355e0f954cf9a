"""The decision store: one interface over SQLite (default) and PostgreSQL.

``DecisionStore`` is assembled from one module per job, each read on its own:

- ``store/engine_setup.py``: the engine for SQLite or PostgreSQL, the write transaction holding the append
  lock, failures as ``StoreUnavailable``, the schema created or upgraded (migrations: ``store/schema.py``);
- ``store/policy_texts.py``: policy texts by digest, the last good version of each file, publications;
- ``store/appends.py``: batched appends (group commit) as links of the hash chain, with the deadline clock;
- ``store/reads.py``: stored decisions by id, complaint, period, in chain order;
- ``store/chain_check.py``: the hash chain recomputed link by link;
- ``store/api_keys.py``: API keys;
- ``store/records.py``: what they hand out (``StoredDecision``, ``ChainReport``) and the errors.

Appends are serialized so that the hash chain has exactly one head (``store/appends.py``). A method returns
only after COMMIT. Any failure to reach or write the database surfaces as ``StoreUnavailable``.
"""

from __future__ import annotations

from store.api_keys import ApiKeys
from store.appends import Appends
from store.chain_check import ChainCheck
from store.engine_setup import DEFAULT_URL, StoreEngine, display_url, normalize_url
from store.group_commit import GroupCommit
from store.records import (
    ChainReport,
    ComplaintHasEvents,
    PolicyText,
    StaleComplaint,
    StoredDecision,
    StoreUnavailable,
    stored_decision,
    utc_now,
)

__all__ = [
    "DEFAULT_URL",
    "ChainReport",
    "ComplaintHasEvents",
    "DecisionStore",
    "PolicyText",
    "StaleComplaint",
    "StoreEngine",
    "StoreUnavailable",
    "StoredDecision",
    "display_url",
    "normalize_url",
    "stored_decision",
    "utc_now",
]


class DecisionStore(Appends, ChainCheck, ApiKeys):
    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        sqlite_busy_timeout_ms: int = 5000,
        pool_size: int = 5,
        statement_timeout_ms: int = 5000,
        group_commit_max_batch: int = 64,
        group_commit_wait_us: int = 0,
    ):
        """``group_commit_*``: appends of this process's threads share a transaction, at most
        ``max_batch`` in one, the writer waiting at most ``wait_us`` µs for a short batch to fill."""
        super().__init__(
            url,
            sqlite_busy_timeout_ms=sqlite_busy_timeout_ms,
            pool_size=pool_size,
            statement_timeout_ms=statement_timeout_ms,
        )
        self.group_commit = GroupCommit(
            self._write_appends, max_batch=group_commit_max_batch, max_wait=group_commit_wait_us / 1_000_000
        )
