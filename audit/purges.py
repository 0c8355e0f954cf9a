"""The purge log: one row per retention purge, in its own table next to the store's.

Kept out of ``store.tables`` on purpose (its own ``MetaData``, created
on first use), so the decision store's schema is unchanged for those who never
purge. ``cut_hash`` is the ``chain_hash`` of the last purged decision: the
``prev_hash`` the first remaining decision must carry, i.e. where verification
starts instead of GENESIS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, select

from store.db import DecisionStore

audit_metadata = MetaData()

purges = Table(
    "decision_purges",
    audit_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("purged_at", String(40), nullable=False),  # when (UTC)
    Column("cut", String(40), nullable=False),  # decisions recorded before this instant were eligible (UTC)
    Column("older_than_years", Integer, nullable=False),
    Column("retention_basis", String(200), nullable=False),
    Column("count", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("first_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("last_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("first_decision_id", String(36), nullable=False),
    Column("last_decision_id", String(36), nullable=False),
    Column("cut_hash", String(64), nullable=False),  # chain_hash of seq last_seq
    Column("purged_by", String(200), nullable=False),
)


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


_ready: set[str] = set()


def ensure_purge_table(store: DecisionStore) -> None:
    if store.url in _ready:
        return
    store._ensure_schema()
    with store._guard(), store.engine.begin() as conn:
        audit_metadata.create_all(conn, checkfirst=True)
    _ready.add(store.url)


def purge_log(store: DecisionStore) -> list[PurgeRecord]:
    """Every purge, oldest first."""
    ensure_purge_table(store)
    with store._guard(), store.engine.connect() as conn:
        rows = conn.execute(select(purges).order_by(purges.c.id)).all()
    return [PurgeRecord(**row._asdict()) for row in rows]
