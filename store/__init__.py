"""The decision store: every decision with its exact input, policy and a hash chain."""

from store.db import (
    DEFAULT_URL,
    ChainReport,
    ComplaintHasEvents,
    DecisionStore,
    StaleComplaint,
    StoredDecision,
    StoreUnavailable,
    normalize_url,
)
from store.keys import ROLES, ApiKey
from store.schema import StoreNeedsUpgrade

__all__ = [
    "DEFAULT_URL",
    "ROLES",
    "ApiKey",
    "ChainReport",
    "DecisionStore",
    "StoreNeedsUpgrade",
    "ComplaintHasEvents",
    "StaleComplaint",
    "StoreUnavailable",
    "StoredDecision",
    "normalize_url",
]
