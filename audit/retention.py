"""Retention: remove decisions older than the retention period, and say so in the purge log.

ECL Art. 31 keeps records at least 3 years; a policy may ask for more
(``records.retention_years``). A purge refuses a period shorter than either.

From which date the 3 years count: the law counts from the completion of the
transaction (自交易完成之日起). A decision is the record of handling a
complaint, which is complete no earlier than the decision itself, so a
decision's age counts from the **later** of when it was recorded
(``created_at``) and when the complaint was received (``received_at``, its
business time): a complaint dated in the future, or one recorded late, is kept
longer, never shorter. Years are whole calendar years back from the moment of
the purge (29 February counts back to 28 February).

Whatever the configuration or the caller says, nothing younger than 3 years by
the machine's own clock is removed (``legal_cut``): the ``now`` a caller may
pass (for tests and plans) can only make a purge remove less.

A purge removes a prefix of the chain only: decisions up to (not including)
the first one that must be kept, so what remains is one unbroken chain.
Before deleting, the whole log is verified (a broken log is not purged: that
would erase the evidence). The purge log row records when, the cut, the count,
the first/last seq and decision ids, and the chain hash of the last removed
decision; verification then starts from that hash. The purge is signed like a
checkpoint (``store.checkpoints``, kind ``purge``), so a purge record written
by hand is found. All of it happens in one transaction holding the append lock.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from audit.purges import PurgeRecord, signed_fields
from audit.verify import verify_log
from store.checkpoints import append_statement
from store.db import DecisionStore, utc_now
from store.signing import SigningKey
from store.tables import chain_head, complaint_events, deadline_index, decisions, purges

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


def legal_cut() -> str:
    """The machine's clock minus the legal minimum: nothing on or after it may go, whatever is configured."""
    return years_before(dt.datetime.now(dt.UTC), LEGAL_MINIMUM_YEARS).isoformat(timespec="microseconds")


def _cut_text(years: int, now: dt.datetime | None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return min(years_before(now.astimezone(dt.UTC), years).isoformat(timespec="microseconds"), legal_cut())


def _received_before(decision_text: str, cut: dt.datetime) -> bool:
    """Whether the complaint was received before ``cut``; an unreadable received_at is kept (False)."""
    try:
        moment = dt.datetime.fromisoformat(json.loads(decision_text)["received_at"])
    except (ValueError, KeyError, TypeError):
        return False
    return moment.tzinfo is not None and moment < cut


def _bounds(conn, cut: str) -> tuple[int | None, int | None, int]:
    first = conn.execute(select(func.min(decisions.c.seq))).scalar()
    if first is None:
        return None, None, 0
    keep_from = conn.execute(select(func.min(decisions.c.seq)).where(decisions.c.created_at >= cut)).scalar()
    last = (keep_from - 1) if keep_from is not None else conn.execute(select(func.max(decisions.c.seq))).scalar()
    if last < first:
        return None, None, 0
    # By business time too: the first decision whose complaint was received on or after the cut stops it.
    cut_moment = dt.datetime.fromisoformat(cut)
    rows = conn.execute(
        select(decisions.c.seq, decisions.c.decision)
        .where(decisions.c.seq >= first, decisions.c.seq <= last)
        .order_by(decisions.c.seq)
    )
    for row in rows:
        if not _received_before(row.decision, cut_moment):
            last = row.seq - 1
            break
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
    signer: SigningKey,
    policy_years: int = LEGAL_MINIMUM_YEARS,
    purged_by: str = "complaints purge",
    now: dt.datetime | None = None,
) -> PurgeRecord | None:
    """Remove decisions older than ``years`` years before ``now`` (by recorded and by received time, never
    younger than 3 years by the clock) and sign the purge record with ``signer``; None if there are none."""
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
            purged_ids = select(decisions.c.decision_id).where(decisions.c.seq >= first, decisions.c.seq <= last)
            # The clock's rows of the purged decisions go with them (a later decision on events repeats
            # its events in its own request, so nothing it was decided on is lost).
            conn.execute(delete(complaint_events).where(complaint_events.c.decision_id.in_(purged_ids)))
            conn.execute(delete(deadline_index).where(deadline_index.c.decision_id.in_(purged_ids)))
            conn.execute(delete(decisions).where(decisions.c.seq >= first, decisions.c.seq <= last))
            key = conn.execute(insert(purges).values(**values)).inserted_primary_key
            assert key is not None  # a single-row insert() always reports its primary key
            purge_id = key[0]
            record = PurgeRecord(id=purge_id, **values)
            append_statement(conn, signer, "purge", record.last_seq, record.cut_hash, {"purge": signed_fields(record)})
    return record


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
