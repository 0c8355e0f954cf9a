"""What the store hands out and refuses with: a stored decision, the chain report, the policy text it
keeps, and its errors (store/db.py assembles the store from store/engine_setup.py, store/policy_texts.py,
store/appends.py, store/reads.py, store/chain_check.py and store/api_keys.py)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Row

from store.tables import decisions


class PolicyText(Protocol):
    """What the store keeps of a policy version: its text by digest, with the dates that place it in time."""

    @property
    def digest(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def announced_at(self) -> dt.datetime: ...
    @property
    def effective_from(self) -> dt.datetime: ...


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or written right now; retry later."""


class StaleComplaint(RuntimeError):
    """Another decision on the complaint was appended since the caller read it: read again and retry."""


class ComplaintHasEvents(StaleComplaint):
    """``append(without_events=True)``: events were recorded on the complaint, so it must be decided on
    them (``lifecycle.decision_service``); checked under the write lock, nothing was written."""


@dataclass(frozen=True)
class StoredDecision:
    seq: int
    decision_id: str
    complaint_id: str
    request_body: str
    request_digest: str
    decision: str  # canonical JSON
    fired_rules: str  # canonical JSON list
    policy_digest: str
    policy_version: str
    engine_version: str
    created_at: str
    previous_decision_id: str | None
    prev_hash: str
    chain_hash: str

    def decision_dict(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.decision)
        return loaded

    def fired_rule_ids(self) -> list[str]:
        loaded: list[str] = json.loads(self.fired_rules)
        return loaded

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    head_seq: int
    problems: list[str]


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


_STORED_FIELDS = tuple(StoredDecision.__dataclass_fields__)
# The decisions table lists StoredDecision's fields first and in order (a store test holds them
# so): a row of ``select(decisions)`` is then the dataclass's arguments as it stands, which a
# replay of a million rows feels (14 attribute look-ups a row otherwise).
_ROW_IN_FIELD_ORDER = tuple(column.name for column in decisions.c)[: len(_STORED_FIELDS)] == _STORED_FIELDS


def stored_decision(row: Row[Any]) -> StoredDecision:
    """The StoredDecision of a row of ``select(decisions)``."""
    if _ROW_IN_FIELD_ORDER:
        return StoredDecision(*row[: len(_STORED_FIELDS)])
    return StoredDecision(**{name: getattr(row, name) for name in _STORED_FIELDS})


_stored = stored_decision
