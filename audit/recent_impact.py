"""The impact section of a review packet: recent recorded decisions replayed under a candidate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import islice

from audit.replay import impact
from engine.decider import Decider

MAX_REPLAYED = 20_000  # a proposal waits for its packet: past this many decisions, the first ones stand for the period


def recent_impact(store, days: int, examples: int = 3) -> Callable[[Decider, dt.datetime], dict]:
    """``impact(candidate, now)``: the decisions recorded in the ``days`` before ``now``, replayed."""

    def run(candidate: Decider, now: dt.datetime) -> dict:
        since = (now - dt.timedelta(days=days)).astimezone(dt.UTC).isoformat(timespec="microseconds")
        until = now.astimezone(dt.UTC).isoformat(timespec="microseconds")
        records = store.decisions_between(since, until)
        report = impact(islice(records, MAX_REPLAYED), candidate, examples)
        return {
            "days": days,
            "since": since,
            "until": until,
            "truncated": next(records, None) is not None,
            **report.as_dict(),
            "text": report.as_text().splitlines(),
        }

    return run
