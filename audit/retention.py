"""Retention: remove decisions older than the retention period, and say so in the purge log.

ECL Art. 31 keeps records at least 3 years; a policy may ask for more
(``records.retention_years``). A purge refuses a period shorter than either.
Age is counted from ``created_at`` (when the decision was recorded), in whole
calendar years back from now (29 February counts back to 28 February).

A purge removes a prefix of the chain only: decisions up to (not including)
the first one recorded at or after the cut, so what remains is one unbroken
chain. Before deleting, the whole log is verified (a broken log is not
purged: that would erase the evidence). The purge log row records when, the
cut, the count, the first/last seq and decision ids, and the chain hash of the
last removed decision; verification then starts from that hash. All of it
happens in one transaction holding the append lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from audit.purges import PurgeRecord
from audit.verify import verify_log
from store.db import DecisionStore, utc_now
from store.tables import chain_head, decisions, purges

LEGAL_MINIMUM_YEARS = 3
LEGAL_BASIS = "ECL Art. 31"


class PurgeRefused(ValueError):
    """The purge would break the retention rules or the log is not intact."""


@dataclass(frozen=True)
class PurgePlan:
    cut: str
    count: int
    first_seq: int | None
    last_seq: int | None


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year without one
        return moment.replace(year=moment.year - years, day=28)


def check_period(years: int, policy_years: int = LEGAL_MINIMUM_YEARS) -> None:
    if years < LEGAL_MINIMUM_YEARS:
        raise PurgeRefused(f"decisions are kept at least {LEGAL_MINIMUM_YEARS} years ({LEGAL_BASIS}); refusing {years}")
    if years < policy_years:
        raise PurgeRefused(f"the policy keeps records {policy_years} years (records.retention_years); refusing {years}")


def _cut_text(years: int, now: dt.datetime | None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return years_before(now.astimezone(dt.UTC), years).isoformat(timespec="microseconds")


def _bounds(conn, cut: str) -> tuple[int | None, int | None, int]:
    first = conn.execute(select(func.min(decisions.c.seq))).scalar()
    if first is None:
        return None, None, 0
    keep_from = conn.execute(select(func.min(decisions.c.seq)).where(decisions.c.created_at >= cut)).scalar()
    last = (keep_from - 1) if keep_from is not None else conn.execute(select(func.max(decisions.c.seq))).scalar()
    if last < first:
        return None, None, 0
    count = conn.execute(
        select(func.count()).select_from(decisions).where(decisions.c.seq >= first, decisions.c.seq <= last)
    ).scalar_one()
    return first, last, count


def plan(store: DecisionStore, years: int, *, now: dt.datetime | None = None) -> PurgePlan:
    """What a purge of decisions older than ``years`` would remove (nothing is changed)."""
    cut = _cut_text(years, now)
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        first, last, count = _bounds(conn, cut)
    return PurgePlan(cut, count, first, last)


def purge(
    store: DecisionStore,
    years: int,
    *,
    policy_years: int = LEGAL_MINIMUM_YEARS,
    purged_by: str = "complaints purge",
    now: dt.datetime | None = None,
) -> PurgeRecord | None:
    """Remove decisions recorded more than ``years`` years before ``now``; None if there are none."""
    check_period(years, policy_years)
    store._ensure_schema()
    report = verify_log(store)
    if not report.ok:
        raise PurgeRefused(f"the decision log is not intact ({report.first_break}); refusing to purge")
    cut = _cut_text(years, now)
    with store._guard(), store.engine.connect() as conn:
        if store.dialect == "sqlite":
            conn = conn.execution_options(immediate=True)  # BEGIN IMMEDIATE: the append lock
        with conn.begin():
            conn.execute(select(chain_head.c.seq).where(chain_head.c.id == 1).with_for_update()).one()
            first, last, count = _bounds(conn, cut)
            if count == 0 or first is None or last is None:  # the bounds are None only when count is 0
                return None
            if count != last - first + 1:
                raise PurgeRefused(f"seq {first}..{last} holds {count} decisions, not {last - first + 1}; refusing")
            ends = {
                row.seq: row
                for row in conn.execute(
                    select(decisions.c.seq, decisions.c.decision_id, decisions.c.chain_hash).where(
                        decisions.c.seq.in_([first, last])
                    )
                )
            }
            values = {
                "purged_at": utc_now(),
                "cut": cut,
                "older_than_years": years,
                "retention_basis": f"{LEGAL_BASIS}; policy records.retention_years {policy_years}",
                "count": count,
                "first_seq": first,
                "last_seq": last,
                "first_decision_id": ends[first].decision_id,
                "last_decision_id": ends[last].decision_id,
                "cut_hash": ends[last].chain_hash,
                "purged_by": purged_by[:200],
            }
            conn.execute(delete(decisions).where(decisions.c.seq >= first, decisions.c.seq <= last))
            key = conn.execute(insert(purges).values(**values)).inserted_primary_key
            assert key is not None  # a single-row insert() always reports its primary key
            purge_id = key[0]
    return PurgeRecord(id=purge_id, **values)


def strictest_retention(store: DecisionStore, *policies) -> int:
    """The longest ``records.retention_years`` of ``policies`` and of every policy text in the store."""
    from rules.loader import load_policy_text
    from store.tables import policies as policy_table

    years = [LEGAL_MINIMUM_YEARS, *(p.records.retention_years for p in policies)]
    store._ensure_schema()
    with store._guard(), store.engine.connect() as conn:
        digests = conn.execute(select(policy_table.c.digest)).scalars().all()
    for digest in digests:
        text = store.policy_text(digest)
        if text is not None:
            years.append(load_policy_text(text, f"policy:{digest[:12]}").records.retention_years)
    return max(years)
