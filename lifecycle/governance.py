"""Governed policy change: propose, review, approve or reject, schedule, withdraw.

A version's life: proposed → approved or rejected → scheduled → in force → superseded, or
withdrawn before it takes effect. "In force" and "superseded" are not transitions anyone makes:
they follow from the scheduled dates and the clock. Every transition is an event in the policy
register (``store/governance.py``), hash-chained, with who, when (the server's clock), why and
which digest; a version's state is always read back from those events, never stored apart.

The rules, each refusal naming the rule that refused it (``REFUSALS``):

- a proposal is a valid policy with no unaccepted lint finding whose own policy tests pass with
  at least the configured rule coverage; the review packet (check, lint, tests and coverage, the
  diff in words against the version it replaces, the impact over recent decisions) is attached;
- labels are unique and no two live versions share an ``effective_from``;
- no retroactive change: ``effective_from`` is never before the moment of scheduling, and at
  least the notice period after it (7 days, 15 for ``major``; ECL Art. 34), unless the proposal
  acknowledges a shorter notice with a written reason, recorded with the version;
- four eyes: an approver (role ``policy_approver``) who is not the proposer approves or rejects
  with a comment; the operator's command line (acting directly on the store) cannot approve.
  Approval schedules the version at once, measuring the notice from that moment.

Checks that depend on the other versions run inside the register's write lock, so two requests
racing for the same label or date cannot both pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine.compiled import decider_for, decider_for_text
from engine.decider import Decider
from lifecycle.notice import change_notice
from lifecycle.policy_tests import coverage_summary, load_tests_text, run_as_dict, run_tests
from lifecycle.publish import ACKNOWLEDGEABLE, PublishRefused, check_for_publication
from lifecycle.versions import PolicyBook
from rules.diff import diff_lines, diff_policies
from rules.lint import Finding
from rules.messages import Words
from rules.model import Policy
from store import prefixes
from store.db import DecisionStore
from store.governance import NewEvent, PolicyEvent, PolicyRegister
from store.times import DISPLAY_ZONE, shown

# The law's floor (ECL Art. 34; 2026 platform-rules measures); a policy's `records` may ask for more.
NOTICE_DAYS, MAJOR_NOTICE_DAYS = 7, 15

# rule -> what it refuses. Each refusal is a 409 problem (`policy-change-refused`) or CLI exit 1
# naming the rule; the README lists them.
REFUSALS = {
    "lint_findings": "the policy has lint findings to fix or accept in its `lint: accept` section",
    "tests_failed": "the policy's own tests do not pass",
    "coverage_below_threshold": "the policy tests exercise fewer rules and when_any alternatives than required",
    "already_proposed": "this exact policy text is already proposed, approved or scheduled",
    "duplicate_version": "another live version already has this version label",
    "tied_effective_from": "another live version takes effect at the same moment",
    "effective_in_past": "effective_from is before the moment of scheduling: no retroactive change",
    "notice_too_short": "effective_from is closer to the moment of scheduling than the notice period",
    "self_approval": "the proposer may not approve or reject their own proposal",
    "operator_cannot_approve": "the operator's command line on the store cannot approve or reject; use a key",
    "wrong_state": "the version is not in a state that allows this transition",
}

LIVE = ("proposed", "approved", "scheduled")  # phases that hold a label and a date


class ChangeRefused(ValueError):
    """A transition the rules refuse; nothing was recorded."""

    def __init__(
        self,
        rule: str,
        message: str,
        details: list[dict] | None = None,
        *,
        words: Words | None = None,
        findings: Sequence[Finding] = (),
    ):
        assert rule in REFUSALS, rule
        self.rule = rule
        self.details = details or []
        # For policy authors: the message and lint findings in the catalog's words, to answer in their language.
        self.words = words
        self.findings = tuple(findings)
        super().__init__(message)

    def text(self, lang: str = "en") -> str:
        return self.words.text(lang) if self.words is not None else str(self)

    def detail_dicts(self, lang: str = "en") -> list[dict]:
        return [f.as_dict(lang) for f in self.findings] if self.findings else self.details


class VersionNotFound(LookupError):
    """No version in the register has this digest (or the prefix is ambiguous)."""


@dataclass(frozen=True)
class Actor:
    """Who acts: an API key (``key:<id>``), a console account (``staff:<username>``), the operator's command
    line, or the service itself."""

    id: str
    name: str
    kind: str  # key | operator | system
    person: str = ""  # who is behind the key or account (``person:<name>``); "" = the key or account itself

    @property
    def who(self) -> str:
        """The identity four eyes compare: the person, or the key or account when none is recorded."""
        return self.person or self.id

    @classmethod
    def key(cls, key_id: str, name: str, person: str | None = None) -> Actor:
        return cls(f"key:{key_id}", name, "key", f"person:{person}" if person else "")

    @classmethod
    def staff(cls, username: str, name: str, person: str | None = None) -> Actor:
        """A person signed in to the web console (store/staff.py), with the same roles as a key."""
        return cls(f"staff:{username}", name, "staff", f"person:{person}" if person else "")

    @classmethod
    def operator(cls, who: str) -> Actor:
        return cls(f"operator:{who}", f"operator's command line ({who})", "operator")


SYSTEM = Actor("system", "the service (first start under governance)", "system")


@dataclass
class VersionRecord:
    """A version as its events tell it."""

    digest: str
    version: str
    effective_from: dt.datetime
    major: bool
    phase: str  # proposed | approved | rejected | scheduled | withdrawn
    events: list[PolicyEvent] = field(default_factory=list)
    proposer: str | None = None
    proposer_person: str | None = None  # the person behind the proposing key or account (four eyes)
    proposer_name: str | None = None
    proposed_at: str | None = None
    reason: str | None = None
    short_notice: dict | None = None
    packet: dict | None = None
    scheduled_at: str | None = None
    notice: dict | None = None
    notice_days: int = NOTICE_DAYS

    def state(self, timeline: list[VersionRecord], now: dt.datetime) -> str:
        if self.phase != "scheduled":
            return self.phase
        if now < self.effective_from:
            return "scheduled"
        later = [r for r in timeline if r.effective_from > self.effective_from and r.effective_from <= now]
        return "superseded" if later else "in force"

    def summary(self, timeline: list[VersionRecord], now: dt.datetime) -> dict:
        return {
            "digest": self.digest,
            "version": self.version,
            "effective_from": self.effective_from.astimezone(DISPLAY_ZONE).isoformat(),
            "major": self.major,
            "state": self.state(timeline, now),
            "proposed_by": self.proposer_name,
            "proposed_at": _shown(self.proposed_at),
            "reason": self.reason,
            "scheduled_at": _shown(self.scheduled_at),
            "notice": self.notice,
            "short_notice": self.short_notice,
        }

    def history(self) -> list[dict]:
        return [
            {
                "seq": e.seq,
                "event": e.event,
                "at": shown(e.recorded_at),
                "by": e.actor,
                "by_name": e.actor_name,
                "reason": e.reason,
                "chain_hash": e.chain_hash,
            }
            for e in self.events
        ]


def _shown(stored: str | None) -> str | None:
    """A register time as the service writes it: in the policy's zone (+08:00), not the stored UTC."""
    return shown(stored) if stored else stored


def fold(events: list[PolicyEvent]) -> dict[str, VersionRecord]:
    """Every version's record, from the register's events in order."""
    records: dict[str, VersionRecord] = {}
    for event in events:
        detail = event.details()
        record = records.get(event.digest)
        if record is None:
            record = VersionRecord(
                digest=event.digest,
                version=event.version,
                effective_from=dt.datetime.fromisoformat(detail["effective_from"]),
                major=bool(detail.get("major", False)),
                phase=event.event,
            )
            records[event.digest] = record
        record.events.append(event)
        if event.event == "proposed":  # also a new round after a rejection or withdrawal
            record.phase = "proposed"
            record.proposer, record.proposer_name = event.actor, event.actor_name
            record.proposer_person = detail.get("person") or event.actor
            record.proposed_at, record.reason = event.recorded_at, event.reason
            record.short_notice, record.packet = detail.get("short_notice"), detail.get("packet")
            record.notice_days = detail.get("notice_days_required", NOTICE_DAYS)
            record.scheduled_at = record.notice = None
        elif event.event in ("scheduled", "adopted"):
            record.phase = "scheduled"
            record.scheduled_at, record.notice = event.recorded_at, detail.get("notice")
            if event.event == "adopted":  # the baseline: no proposal, the service recorded it at first start
                record.proposer_name, record.proposed_at = event.actor_name, event.recorded_at
                record.reason = event.reason
        else:
            record.phase = event.event
    return records


def timeline_of(records: dict[str, VersionRecord]) -> list[VersionRecord]:
    """The scheduled versions (in force, superseded or to come), ordered by effective_from."""
    return sorted((r for r in records.values() if r.phase == "scheduled"), key=lambda r: r.effective_from)


def required_notice(policy_major: bool, records_days: tuple[int, int] | None = None) -> int:
    """Days of notice a change needs: the law's floor, or the policy's own if it asks for more."""
    minor, major = records_days or (0, 0)
    return max(MAJOR_NOTICE_DAYS, major) if policy_major else max(NOTICE_DAYS, minor)


def _days(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 86400:.2f}"


def check_schedule(
    *,
    version: str,
    digest: str,
    effective_from: dt.datetime,
    notice_days: int,
    short_notice: dict | None,
    records: dict[str, VersionRecord],
    now: dt.datetime,
    phases: tuple[str, ...] = LIVE,
) -> dict:
    """The notice this version gets if scheduled ``now``; raises ``ChangeRefused`` if it may not be."""
    others = [r for r in records.values() if r.digest != digest and r.phase in phases]
    for other in others:
        if other.version == version:
            raise ChangeRefused(
                "duplicate_version",
                f"version label {version!r} is already used by {other.digest[:12]} ({other.phase}); "
                "give this version a new label",
            )
    for other in others:
        if other.effective_from == effective_from:
            raise ChangeRefused(
                "tied_effective_from",
                f"version {other.version} ({other.digest[:12]}, {other.phase}) already takes effect at "
                f"{effective_from.isoformat()}; choose another effective_from",
            )
    if effective_from < now:
        raise ChangeRefused(
            "effective_in_past",
            f"effective_from {effective_from.isoformat()} is before now ({now.isoformat(timespec='seconds')}): a "
            "change never applies to complaints already received; choose a later effective_from",
        )
    given, needed = effective_from - now, dt.timedelta(days=notice_days)
    if given < needed and short_notice is None:
        earliest = (now + needed).isoformat(timespec="seconds")
        raise ChangeRefused(
            "notice_too_short",
            f"effective_from is {_days(given)} days after now; this change needs {notice_days} days' notice "
            f"(ECL Art. 34): take effect at {earliest} or later, or "
            "acknowledge a shorter notice with a written reason",
        )
    return {
        "measured_from": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "days_given": _days(given),
        "days_required": notice_days,
        "short": given < needed,
        "acknowledged_reason": short_notice["reason"] if short_notice and given < needed else None,
    }


def _packet_policy(policy: Policy) -> dict:
    return {"version": policy.version, "digest": policy.digest, "effective_from": policy.effective_from.isoformat()}


class Governance:
    """Policy changes on one store. ``impact(candidate, now)`` gives the packet's impact section."""

    def __init__(
        self,
        store: DecisionStore,
        *,
        min_coverage: int = 100,
        impact: Callable[[Decider, dt.datetime], dict] | None = None,
        register: PolicyRegister | None = None,
    ):
        self.store = store
        self.register = register or PolicyRegister(store)
        self.min_coverage = min_coverage
        self.impact = impact

    # -- reading ----------------------------------------------------------------

    def records(self) -> dict[str, VersionRecord]:
        return fold(self.register.events())

    def now(self) -> dt.datetime:
        return self.register.clock()

    def find(self, digest: str) -> VersionRecord:
        """The version with this digest, or a unique prefix of at least 8 characters of it."""
        records = self.records()
        if digest in records:
            return records[digest]
        try:
            prefix = prefixes.check(digest, "policy")
            return records[prefixes.pick(digest, prefix, (d for d in records if d.startswith(prefix)), "policy")]
        except prefixes.PrefixError as exc:
            raise VersionNotFound(f"{exc} in the policy register" if exc.unknown else str(exc)) from None

    def versions(self) -> list[dict]:
        """Every version in the register with its state now, by effective_from."""
        records, now = self.records(), self.now()
        line = timeline_of(records)
        ordered = sorted(records.values(), key=lambda r: (r.effective_from, r.events[0].seq))
        return [r.summary(line, now) for r in ordered]

    def view(self, digest: str) -> dict:
        """State, history and review packet of one version."""
        record = self.find(digest)
        line, now = timeline_of(self.records()), self.now()
        return {**record.summary(line, now), "history": record.history(), "review_packet": record.packet}

    def timeline(self) -> list[VersionRecord]:
        return timeline_of(self.records())

    def policy(self, digest: str) -> Policy:
        """The stored text of a version in the register, loaded (and checked against its digest)."""
        text = self.store.policy_text(digest)
        if text is None:
            raise VersionNotFound(f"the text of policy {digest} is not in the store")
        policy = decider_for_text(text, f"stored:{digest[:12]}").policy
        if policy.digest != digest:
            raise VersionNotFound(f"the stored text of {digest[:12]} now digests to {policy.digest[:12]}")
        return policy

    def notice(self, digest: str) -> dict:
        """The public change notice (公示) of a version, against the version it replaces."""
        record = self.find(digest)
        records, now = self.records(), self.now()
        policy = self.policy(record.digest)
        replaced = self._replaced(policy, None)
        changes = diff_policies(replaced, policy) if replaced is not None else []
        return change_notice(policy, record.state(timeline_of(records), now), record.scheduled_at, replaced, changes)

    # -- transitions --------------------------------------------------------------

    def propose(
        self,
        text: str,
        tests_text: str,
        actor: Actor,
        reason: str,
        *,
        short_notice_reason: str | None = None,
        book: PolicyBook | None = None,
        file: str = "<proposed policy>",
    ) -> dict:
        """Check, test and record a proposal with its review packet; ``PolicyError`` for bad texts."""
        policy, file_warnings, accepted = self._checked(text, file)
        candidate = decider_for(policy)
        run = run_tests(policy, load_tests_text(tests_text, policy, "<policy tests>"), "<policy tests>")
        coverage = coverage_summary(run)
        if run.failed:
            raise ChangeRefused(
                "tests_failed",
                f"{len(run.failed)} of {len(run.outcomes)} policy tests fail; a version is proposed only when its "
                "own tests pass",
                [
                    {"test": o.test.name, "line": o.test.line, "error": o.error, "failures": o.failures}
                    for o in run.failed
                ],
            )
        if coverage["percent"] < self.min_coverage:
            raise ChangeRefused(
                "coverage_below_threshold",
                f"the policy tests cover {coverage['percent']}% of rules and when_any alternatives; at least "
                f"{self.min_coverage}% is required",
                [{"not_exercised": coverage["not_exercised"]}],
            )
        notice_days = required_notice(
            policy.major, (policy.records.change_notice_days, policy.records.major_change_notice_days)
        )
        short = {"reason": short_notice_reason.strip()} if short_notice_reason and short_notice_reason.strip() else None
        now = self.now()
        # Refuse early what scheduling would refuse, before the expensive packet is built.
        check_schedule(
            version=policy.version,
            digest=policy.digest,
            effective_from=policy.effective_from,
            notice_days=notice_days,
            short_notice=short,
            records=self.records(),
            now=now,
        )
        packet = self._packet(policy, candidate, run, coverage, file_warnings, accepted, book, now)

        def decide(events: list[PolicyEvent], at: dt.datetime) -> list[NewEvent]:
            records = fold(events)
            mine = records.get(policy.digest)
            if mine is not None and mine.phase in LIVE:
                raise ChangeRefused(
                    "already_proposed", f"this text is already {mine.phase} as version {mine.version} ({mine.digest})"
                )
            check_schedule(
                version=policy.version,
                digest=policy.digest,
                effective_from=policy.effective_from,
                notice_days=notice_days,
                short_notice=short,
                records=records,
                now=at,
            )
            detail = {
                "effective_from": policy.effective_from.isoformat(),
                "announced_at": policy.announced_at.isoformat(),
                "major": policy.major,
                "notice_days_required": notice_days,
                "short_notice": short,
                "packet": packet,
                "person": actor.who,
            }
            return [NewEvent(policy.digest, policy.version, "proposed", actor.id, actor.name, reason, detail)]

        self.register.transition(decide, policy)
        return self.view(policy.digest)

    def approve(self, digest: str, actor: Actor, comment: str) -> dict:
        """Approve a proposal and schedule it now; the notice is measured from this moment."""
        target = self.find(digest).digest

        def decide(events: list[PolicyEvent], at: dt.datetime) -> list[NewEvent]:
            records = fold(events)
            record = self._reviewable(records[target], actor, "approve")
            notice = check_schedule(
                version=record.version,
                digest=record.digest,
                effective_from=record.effective_from,
                notice_days=record.notice_days,
                short_notice=record.short_notice,
                records=records,
                now=at,
            )
            base = {"effective_from": record.effective_from.isoformat(), "major": record.major}
            return [
                NewEvent(record.digest, record.version, "approved", actor.id, actor.name, comment, base),
                NewEvent(
                    record.digest,
                    record.version,
                    "scheduled",
                    actor.id,
                    actor.name,
                    f"scheduled on approval: in force from {record.effective_from.isoformat()}",
                    {**base, "notice": notice},
                ),
            ]

        self.register.transition(decide)
        return self.view(target)

    def reject(self, digest: str, actor: Actor, comment: str) -> dict:
        target = self.find(digest).digest

        def decide(events: list[PolicyEvent], at: dt.datetime) -> list[NewEvent]:
            record = self._reviewable(fold(events)[target], actor, "reject")
            detail = {"effective_from": record.effective_from.isoformat(), "major": record.major}
            return [NewEvent(record.digest, record.version, "rejected", actor.id, actor.name, comment, detail)]

        self.register.transition(decide)
        return self.view(target)

    def withdraw(self, digest: str, actor: Actor, reason: str) -> dict:
        """Withdraw a version before it takes effect (proposed, approved or scheduled)."""
        target = self.find(digest).digest

        def decide(events: list[PolicyEvent], at: dt.datetime) -> list[NewEvent]:
            records = fold(events)
            record = records[target]
            state = record.state(timeline_of(records), at)
            if state not in LIVE:
                raise ChangeRefused(
                    "wrong_state",
                    f"version {record.version} is {state}: only a version not yet in force (proposed, approved or "
                    "scheduled) can be withdrawn; to undo a version in force, propose the earlier text again",
                )
            detail = {"effective_from": record.effective_from.isoformat(), "major": record.major, "was": state}
            return [NewEvent(record.digest, record.version, "withdrawn", actor.id, actor.name, reason, detail)]

        self.register.transition(decide)
        return self.view(target)

    def adopt(self, policies: list[tuple[Policy, str]]) -> bool:
        """First start under governance: record the versions already in force as the baseline.

        Only when the register holds no scheduled version (another process may have adopted first).
        """

        def decide(events: list[PolicyEvent], at: dt.datetime) -> list[NewEvent]:
            if timeline_of(fold(events)):
                return []
            return [
                NewEvent(
                    policy.digest,
                    policy.version,
                    "adopted",
                    SYSTEM.id,
                    SYSTEM.name,
                    f"in force before governed policy change ({source})",
                    {"effective_from": policy.effective_from.isoformat(), "major": policy.major, "source": source},
                )
                for policy, source in policies
            ]

        if not policies:
            return False
        for policy, _ in policies:
            self.store.store_policy(policy)
        return bool(self.register.transition(decide))

    # -- helpers ------------------------------------------------------------------

    def _reviewable(self, record: VersionRecord, actor: Actor, verb: str) -> VersionRecord:
        if actor.kind not in ("key", "staff"):
            raise ChangeRefused(
                "operator_cannot_approve",
                f"the {actor.name} cannot {verb}: an approver with the `policy_approver` role must, over HTTP "
                "(complaints approve --server URL) or in the web console",
            )
        if record.phase != "proposed":
            raise ChangeRefused(
                "wrong_state", f"version {record.version} is {record.phase}: only a proposed version can be {verb}d"
            )
        if record.proposer == actor.id or record.proposer_person == actor.who:
            same = "" if record.proposer == actor.id else f" (as {record.proposer_name}, the same {actor.who})"
            raise ChangeRefused(
                "self_approval",
                f"{actor.name} proposed version {record.version}{same}: another person must {verb} it"
                + ("; withdraw it instead" if verb == "reject" else ""),
            )
        return record

    @staticmethod
    def _checked(text: str, file: str) -> tuple[Policy, list[str], int]:
        try:
            # Short notice between the file's own dates is only information here: the notice that
            # binds is measured from the moment of scheduling (check_schedule).
            return check_for_publication(text, file, ACKNOWLEDGEABLE)
        except PublishRefused as refused:
            raise ChangeRefused(
                "lint_findings", str(refused), refused.findings, words=refused.words, findings=refused.found
            ) from None

    def _replaced(self, policy: Policy, book: PolicyBook | None) -> Policy | None:
        """The version in force just before this one would take effect."""
        before = policy.effective_from - dt.timedelta(microseconds=1)
        if book is not None:
            earlier = [d for d in book.versions if d.policy.effective_from <= before]
            return earlier[-1].policy if earlier else None
        earlier_records = [r for r in self.timeline() if r.effective_from <= before]
        if not earlier_records:
            return None
        text = self.store.policy_text(earlier_records[-1].digest)
        return decider_for_text(text, f"stored:{earlier_records[-1].digest[:12]}").policy if text else None

    def _packet(self, policy, candidate, run, coverage, file_warnings, accepted, book, now) -> dict:
        replaced = self._replaced(policy, book)
        diff = None
        if replaced is not None:
            changes = diff_policies(replaced, policy)
            diff = {
                "against": _packet_policy(replaced),
                "changes": [c.as_dict() for c in changes],
                "text": diff_lines(replaced, policy, changes),
            }
        tests = run_as_dict(run)
        tests["coverage"] = coverage
        return {
            "check": {
                "valid": True,
                "rules": len(policy.all_rules),
                "digest": policy.digest,
                "version": policy.version,
            },
            "lint": {"unaccepted": [], "accepted": accepted, "file_dates_short_notice": bool(file_warnings)},
            "tests": tests,
            "min_coverage": self.min_coverage,
            "diff": diff,
            "impact": self.impact(candidate, now) if self.impact else None,
        }
