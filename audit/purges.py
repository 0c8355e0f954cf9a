"""The purge log: one row per retention purge (table ``decision_purges`` in ``store.tables``).

Each purge is also signed (a ``purge`` statement of ``store.checkpoints``,
holding ``signed_fields`` of its row), so a row written by hand is found.
``cut_hash`` is the ``chain_hash`` of the last purged decision: the
``prev_hash`` the first remaining decision must carry, i.e. where
verification starts instead of GENESIS. The table is created with the
others (``complaints store init``, or the service at start); reading the log
never creates it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select

from store.db import DecisionStore
from store.tables import purges
from store.times import shown


@dataclass(frozen=True)
class PurgeRecord:
    id: int
    purged_at: str
    cut: str
    older_than_years: int
    retention_basis: str
    count: int
    first_seq: int
    last_seq: int
    first_decision_id: str
    last_decision_id: str
    cut_hash: str
    purged_by: str

    def as_dict(self) -> dict:
        return asdict(self)


def purge_log(store: DecisionStore) -> list[PurgeRecord]:
    """Every purge, oldest first."""
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        rows = conn.execute(select(purges).order_by(purges.c.id)).all()
    return [PurgeRecord(**row._asdict()) for row in rows]


def signed_fields(record: PurgeRecord) -> dict:
    """What a purge statement signs about its purge log row (times as shown); verify compares the two."""
    return {
        "id": record.id,
        "purged_at": shown(record.purged_at),
        "cut": shown(record.cut),
        "older_than_years": record.older_than_years,
        "retention_basis": record.retention_basis,
        "count": record.count,
        "first_seq": record.first_seq,
        "last_seq": record.last_seq,
        "first_decision_id": record.first_decision_id,
        "last_decision_id": record.last_decision_id,
        "cut_hash": record.cut_hash,
        "purged_by": record.purged_by,
    }
