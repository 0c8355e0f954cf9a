"""The purge log: one row per retention purge (table ``decision_purges`` in ``store.tables``).

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
