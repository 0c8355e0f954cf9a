"""The decision store: every decision with its exact input, policy and a hash chain."""

from engine.store.db import DEFAULT_URL, ChainReport, DecisionStore, StoredDecision, StoreUnavailable, normalize_url
from engine.store.keys import ROLES, ApiKey
from engine.store.service import DecisionService, Outcome, fired_rules, request_digest

__all__ = [
    "DEFAULT_URL",
    "ROLES",
    "ApiKey",
    "ChainReport",
    "DecisionService",
    "DecisionStore",
    "Outcome",
    "StoreUnavailable",
    "StoredDecision",
    "fired_rules",
    "normalize_url",
    "request_digest",
]
