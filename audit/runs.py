"""Replay runs for auditors: one decision, a complaint, a time range; on the stored policy or another.

Built on ``audit.replay`` (replay, what_if) and ``audit.compare`` (classify):
each result is a plain dict, one per decision, produced as the records stream
in, plus a ``Tally`` for the closing summary. Results carry no request body, so
no personal data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from audit.replay import StoredPolicies, replay, what_if
from engine.complaint import ComplaintError
from engine.decider import Decider
from rules.calendar import CalendarError
from rules.errors import PolicyError


@dataclass
class Tally:
    """Counts of a replay run: results by kind (identical/different/error or unchanged/changed/error)."""

    mode: str  # "replay" or "what-if"
    candidate: dict | None = None
    total: int = 0
    results: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, result: dict) -> None:
        self.total += 1
        self.results[result["result"]] = self.results.get(result["result"], 0) + 1
        for kind in result.get("kinds", ()):
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    @property
    def ok(self) -> bool:
        """Replay: every decision identical. What-if: every decision could be decided."""
        if self.mode == "replay":
            return self.results.get("identical", 0) == self.total
        return not self.results.get("error")

    def as_dict(self) -> dict:
        out = {
            "summary": True,
            "mode": self.mode,
            "decisions": self.total,
            "results": dict(sorted(self.results.items())),
        }
        if self.mode == "what-if":
            out["candidate"] = self.candidate
            out["by_kind"] = dict(sorted(self.by_kind.items()))
        return out

    def as_text(self) -> str:
        parts = ", ".join(f"{count} {name}" for name, count in sorted(self.results.items())) or "nothing"
        text = f"{self.total} decisions replayed ({self.mode}): {parts}"
        if self.mode == "what-if" and self.by_kind:
            text += "; changes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.by_kind.items()))
        return text


def candidate_ref(decider: Decider) -> dict:
    return {"digest": decider.policy.digest, "version": decider.policy.version}


def replay_one(record, policies: StoredPolicies, candidate: Decider | None = None) -> dict:
    """One decision: on its own policy (``identical``/``different``) or on ``candidate`` (what-if)."""
    if candidate is None:
        result = replay(record, policies).as_dict()
        result["seq"] = record.seq
        return result
    result = {
        "seq": record.seq,
        "decision_id": record.decision_id,
        "complaint_id": record.complaint_id,
        "policy_digest": record.policy_digest,
        "candidate": candidate_ref(candidate),
    }
    try:
        change = what_if(record, candidate)
    except (ComplaintError, CalendarError, PolicyError, json.JSONDecodeError) as exc:
        result.update(result="error", kinds=[], differences=[], error=f"{type(exc).__name__}: {exc}")
        return result
    result.update(
        result="changed" if change.changed else "unchanged",
        kinds=change.kinds,
        differences=[d.as_dict() for d in change.details],
        totals={
            "refund": {"before": f"{change.refund_before:.2f}", "after": f"{change.refund_after:.2f}"},
            "compensation": {
                "before": f"{change.compensation_before:.2f}",
                "after": f"{change.compensation_after:.2f}",
            },
        },
        error=None,
    )
    return result


def counted(results: Iterable[dict], tally: Tally) -> Iterator[dict]:
    """``results`` as they come, each counted in ``tally``."""
    for result in results:
        tally.add(result)
        yield result


def replay_stream(
    records: Iterable, policies: StoredPolicies, candidate: Decider | None = None, tally: Tally | None = None
) -> Iterator[dict]:
    """Results one by one as ``records`` stream in; ``tally`` (if given) counts them."""
    for record in records:
        result = replay_one(record, policies, candidate)
        if tally is not None:
            tally.add(result)
        yield result
