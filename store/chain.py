"""The tamper-evident hash chain over stored decisions.

Each row's ``chain_hash`` is sha256 over ``prev_hash`` and the canonical JSON of
the row's content (everything but ``chain_hash`` itself), so changing, removing
or reordering any stored decision breaks every later link.
"""

from __future__ import annotations

import hashlib
from typing import Any

from canonical import canonical_json

GENESIS = "0" * 64

# The columns a link covers, in a fixed list: adding a column later means a new chain format.
CHAINED_COLUMNS = (
    "seq",
    "decision_id",
    "complaint_id",
    "request_body",
    "request_digest",
    "decision",
    "fired_rules",
    "policy_digest",
    "policy_version",
    "engine_version",
    "created_at",
    "previous_decision_id",
    "prev_hash",
)


def link_hash(row: dict[str, Any]) -> str:
    content = canonical_json({name: row[name] for name in CHAINED_COLUMNS})
    return hashlib.sha256(f"{row['prev_hash']}\n{content}".encode()).hexdigest()


def integrity(row: dict[str, Any]) -> str:
    """``ok`` when the row's content hashes to its ``chain_hash``, else ``mismatch`` (the row was changed).

    Only the row's own link: what a read can check cheaply. Whether the chain around it holds is
    ``complaints store verify``'s question."""
    return "ok" if link_hash(row) == row["chain_hash"] else "mismatch"
