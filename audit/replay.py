"""Replay stored decisions: on their own policy text (audit) or on another (what-if).

A replay re-parses the request exactly as stored, decides it on the policy
loaded by digest from the store, and compares canonical JSON. The comparison
itself lives in ``audit.compare`` and is shared with impact previews.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from audit.compare import Change, ImpactReport, classify, differences
from canonical import canonical_json
from engine.compiled import decider_for_text
from engine.complaint import ComplaintError
from engine.decider import Decider
from engine.version import ENGINE_VERSION
from rules.calendar import CalendarError
from rules.errors import PolicyError


class PolicyNotStored(LookupError):
    """A decision names a policy digest whose text the store does not hold."""


class StoredPolicies:
    """Deciders for stored policy texts, compiled on first use and kept per digest."""

    def __init__(self, store):
        self.store = store
        self._lock = threading.Lock()
        self._cache: dict[str, Decider] = {}

    def decider(self, digest: str) -> Decider:
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None:
            return cached
        text = self.store.policy_text(digest)
        if text is None:
            raise PolicyNotStored(f"policy {digest} is not in the store")
        decider = decider_for_text(text, f"policy:{digest[:12]}")
        if decider.policy.digest != digest:
            raise PolicyNotStored(f"stored text for {digest} now digests to {decider.policy.digest}")
        with self._lock:
            self._cache[digest] = decider
        return decider


@dataclass
class ReplayResult:
    decision_id: str
    complaint_id: str
    policy_digest: str
    identical: bool
    differences: list[dict] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict:
        return {
            "decision_id": self.decision_id,
            "complaint_id": self.complaint_id,
            "policy_digest": self.policy_digest,
            "result": "error" if self.error else ("identical" if self.identical else "different"),
            "differences": self.differences,
            "error": self.error,
        }


def parse_request(body: str) -> object:
    return json.loads(body, parse_float=Decimal)


def redecide(record, decider: Decider) -> dict:
    """The decision re-made from the stored request: a complaint, or a complaint with its events."""
    return decider.decide_request(parse_request(record.request_body))


def replay(record, policies: StoredPolicies) -> ReplayResult:
    """Re-run one stored decision on the exact policy text it was made with."""
    result = ReplayResult(record.decision_id, record.complaint_id, record.policy_digest, identical=False)
    if record.engine_version != ENGINE_VERSION:
        # Decisions change only with the engine version (tests/golden): this engine cannot vouch for
        # another's bytes, so it names the release that can instead of reporting a difference.
        result.error = (
            f"made by engine {record.engine_version}, this is engine {ENGINE_VERSION}: replay it with release "
            f"{record.engine_version} of complaint-decisions (the manual, Upgrades and backups)"
        )
        return result
    try:
        fresh = redecide(record, policies.decider(record.policy_digest))
    except (PolicyNotStored, PolicyError, ComplaintError, CalendarError, json.JSONDecodeError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    if canonical_json(fresh) == record.decision:
        result.identical = True
        return result
    try:
        stored = json.loads(record.decision)
    except json.JSONDecodeError as exc:  # the stored decision was damaged: report it, keep replaying the rest
        result.error = f"stored decision is not JSON: {exc}"
        return result
    result.differences = [d.as_dict() for d in differences(stored, fresh)]
    return result


def what_if(record, candidate: Decider) -> Change:
    """How one stored decision would come out under ``candidate``."""
    return classify(json.loads(record.decision), redecide(record, candidate))


def impact(records: Iterable, candidate: Decider, examples_per_kind: int = 3, progress=None) -> ImpactReport:
    """Replay ``records`` under ``candidate`` and aggregate what would change."""
    report = ImpactReport(examples_per_kind=examples_per_kind)
    for record in records:
        try:
            report.add(record.decision_id, what_if(record, candidate), record.complaint_id)
        except (ComplaintError, CalendarError, json.JSONDecodeError):  # a stored body no longer JSON: tampered
            report.total += 1
            report.errors += 1
        if progress is not None:
            progress(report)
    return report
