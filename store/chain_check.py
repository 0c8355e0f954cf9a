"""The hash chain recomputed link by link over the stored decisions (``store verify`` adds the signed
checkpoints, the trees and the derived state: audit/verify.py)."""

from __future__ import annotations

from sqlalchemy import select

from store.chain import GENESIS, link_hash
from store.reads import Reads
from store.records import ChainReport
from store.tables import chain_head


class ChainCheck(Reads):
    def verify_chain(self) -> ChainReport:
        """Recompute every link; report each break (edited, removed or reordered rows)."""
        self._ensure_schema()
        problems: list[str] = []
        expected_prev, expected_seq, count = GENESIS, 1, 0
        for record in self.all_decisions():
            count += 1
            row = record.as_row()
            if record.seq != expected_seq:
                problems.append(f"seq {record.seq}: expected seq {expected_seq} (a row is missing)")
            if record.prev_hash != expected_prev:
                problems.append(f"seq {record.seq}: prev_hash does not match the previous row's chain_hash")
            if link_hash(row) != record.chain_hash:
                problems.append(f"seq {record.seq}: chain_hash does not match the row's content (edited)")
            expected_prev, expected_seq = record.chain_hash, record.seq + 1
        with self._guard(), self.engine.connect() as conn:
            head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).one()
        if head.hash != expected_prev or head.seq != expected_seq - 1:
            problems.append(f"chain head (seq {head.seq}) does not match the last stored row")
        return ChainReport(ok=not problems, count=count, head_seq=head.seq, problems=problems)
