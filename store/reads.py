"""Reading stored decisions: by id or prefix, by complaint, by period, all in chain order."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from store import prefixes
from store.engine_setup import StoreEngine
from store.records import StoredDecision, _stored
from store.tables import decisions, policies


class Reads(StoreEngine):
    def decisions_between(self, since: str, until: str | None = None, batch: int = 500) -> Iterator[StoredDecision]:
        """Stored decisions created in [since, until), in chain order, fetched in batches."""
        self._ensure_schema()
        last = 0
        while True:
            query = select(decisions).where(decisions.c.seq > last, decisions.c.created_at >= since)
            if until is not None:
                query = query.where(decisions.c.created_at < until)
            with self._guard(), self.engine.connect() as conn:
                rows = conn.execute(query.order_by(decisions.c.seq).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                yield _stored(row)
            last = rows[-1].seq

    def resolve_decision_id(self, given: str) -> str:
        """The stored decision id that ``given`` is, or begins (at least 8 characters); ``PrefixError`` otherwise."""
        return self._resolve(given, decisions.c.decision_id, "decision")

    def resolve_policy_digest(self, given: str) -> str:
        """The stored policy digest that ``given`` is, or begins (at least 8 characters); ``PrefixError`` otherwise."""
        return self._resolve(given, policies.c.digest, "stored policy")

    def _resolve(self, given: str, column: ColumnElement[str], what: str) -> str:
        prefix = prefixes.check(given, what)
        self._ensure_schema()
        # A range on the unique index, not LIKE: indexed on both databases.
        query = select(column).where(column >= prefix, column < prefixes.upper_bound(prefix))
        with self._guard(), self.engine.connect() as conn:
            found = conn.execute(query.order_by(column).limit(prefixes.SHOWN_CANDIDATES + 1)).scalars().all()
        return prefixes.pick(given, prefix, found, what)

    def get(self, decision_id: str) -> StoredDecision | None:
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            row = conn.execute(select(decisions).where(decisions.c.decision_id == decision_id)).first()
        return _stored(row) if row else None

    def for_complaint(self, complaint_id: str, *, limit: int, offset: int = 0) -> tuple[list[StoredDecision], int]:
        """Decisions on one complaint, newest first, and how many there are in all."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(decisions).where(decisions.c.complaint_id == complaint_id)
            ).scalar_one()
            rows = conn.execute(
                select(decisions)
                .where(decisions.c.complaint_id == complaint_id)
                .order_by(decisions.c.seq.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return [_stored(row) for row in rows], total

    def count(self) -> int:
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(decisions)).scalar_one()

    def seq_bounds(self) -> tuple[int, int]:
        """The lowest and highest stored ``seq`` ((0, 0) when empty): the range to split over workers."""
        self._ensure_schema()
        with self._guard(), self.engine.connect() as conn:
            low, high = conn.execute(select(func.min(decisions.c.seq), func.max(decisions.c.seq))).one()
        return (low or 0, high or 0)

    def all_decisions(self, batch: int = 500) -> Iterator[StoredDecision]:
        """Every stored decision in chain order."""
        self._ensure_schema()
        last = 0
        while True:
            with self._guard(), self.engine.connect() as conn:
                rows = conn.execute(
                    select(decisions).where(decisions.c.seq > last).order_by(decisions.c.seq).limit(batch)
                ).all()
            if not rows:
                return
            for row in rows:
                yield _stored(row)
            last = rows[-1].seq
