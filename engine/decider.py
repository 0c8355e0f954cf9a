"""One complaint in, one complete, explained decision out.

A decision is a pure function of (complaint, policy, calendar): nothing here
reads the clock, a random source or state left by an earlier decision, so a
replay on the same policy text gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.clock import (
    EventClock,
    anchor_level,
    clock_section,
    effective_complaint,
    is_envelope,
    ordered,
    settle,
    settle_plain,
)
from engine.complaint import ComplaintError, validate_complaint
from engine.deadlines import plan, schedule
from engine.explain import cite, summary
from engine.facts import decision_keys, lookup, route_fact
from engine.outcome_cache import CachedRules
from engine.outcome_settings import CacheSettings
from engine.remedy import Granted, claim_capped, grant
from engine.route import Route, combine, raise_level, raise_team
from engine.runtime import fact_json, native_ruleset, retyped_json
from engine.shapes import Complaint, Deadline, Decision, Event, Fact, Waiting
from engine.version import ENGINE_VERSION
from engine.windows import counting_words, explain_windows
from rules.calendar import CountingTrace, WorkCalendar
from rules.compiler import DEADLINE_FACT, ROUTE_FACT, CompiledPolicy
from rules.model import BREACH_EVENT, Policy, RemedyRule, RoutingRule
from rules.wording import outcome_words


class Decider:
    """Decides complaints under one compiled policy; safe to share between threads."""

    def __init__(self, compiled: CompiledPolicy, outcome_cache: CacheSettings | None = None):
        self.compiled = compiled
        self.policy: Policy = compiled.policy
        self.calendar = WorkCalendar(self.policy.calendar, self.policy.timezone)
        route_name, deadline_name = compiled.names
        self._route_engine = native_ruleset(route_name, compiled.route_ruleset)
        self._deadline_engine = native_ruleset(deadline_name, compiled.deadline_ruleset)
        # durable_rules decides each class of fact once; the class's answer is then a look-up.
        settings = outcome_cache or CacheSettings()
        self.route_rules = CachedRules(self._route_engine, compiled.route_ruleset, settings)
        self.deadline_rules = CachedRules(self._deadline_engine, compiled.deadline_ruleset, settings)
        self._routing = {rule.info.id: rule for rule in self.policy.routing}
        self._remedies = {rule.info.id: rule for rule in self.policy.remedies}
        self._deadlines = {rule.info.id: rule for rule in self.policy.deadlines}
        ordered: tuple[RoutingRule | RemedyRule, ...] = (*self.policy.routing, *self.policy.remedies)
        self._position = {rule.info.id: index for index, rule in enumerate(ordered)}
        self._escalations = [rule for rule in self.policy.routing if rule.then.escalate_above]
        # Words fixed by the policy, made once here rather than once per decision.
        self._route_effects = {rule.info.id: outcome_words(rule.then) for rule in self.policy.routing}
        self._periods = plan(self.policy)
        self._window_words = {window.id: counting_words(window) for window in self.policy.windows}

    def decide(self, raw: object) -> Decision:
        """Validate ``raw`` (raises ``ComplaintError``) and decide it."""
        return self.decide_valid(validate_complaint(raw, self.policy.levels))

    def decide_valid(self, complaint: Complaint) -> Decision:
        return self.decide_traced(complaint)[0]

    def decide_request(self, raw: object) -> Decision:
        """A stored request: a complaint, or a complaint with the events reported on it (``engine.clock``)."""
        if not is_envelope(raw):
            return self.decide(raw)
        assert isinstance(raw, dict)
        complaint = validate_complaint(raw.get("complaint"), self.policy.levels)
        events = raw.get("events")
        if not isinstance(events, list) or not all(self._known_event(e) for e in events):
            raise ComplaintError({"events": ["expected the recorded events of the complaint"]})
        return self.decide_on_events(complaint, events)

    def _known_event(self, event: object) -> bool:
        if not isinstance(event, dict) or not isinstance(event.get("at"), str):
            return False
        if event.get("type") == BREACH_EVENT:
            return isinstance(event.get("kind"), str)
        return event.get("type") in self.policy.events

    def decide_on_events(self, complaint: Complaint, events: list[Event]) -> Decision:
        """The decision on a validated complaint and its events (stored form), as of the last event."""
        events = ordered(events)

        def decide_prefix(effective: Complaint, prefix: list[Event]) -> Decision:
            clock = EventClock(self.policy, prefix, complaint["received_at"]) if prefix else None
            return self.decide_traced(effective, clock)[0]

        level = anchor_level(decide_prefix, self._raises, complaint, self.policy, events)
        return decide_prefix(effective_complaint(complaint, self.policy, events, level), events)

    def _raises(self, effective: Complaint, field: str) -> bool:
        """Whether an escalation rule (one that raises the level above ``history.level``) holds for
        ``effective`` by a condition that reads ``field``."""
        fact = route_fact(
            effective, self.policy, self.calendar, CountingTrace(), self.compiled.windows_read[effective["category"]]
        )
        for rule in self._escalations:
            condition = rule.condition
            if not all(test.matches(fact) for test in condition.all_of):
                continue
            groups = condition.any_of or (condition.all_of,)
            if any(all(t.matches(fact) for t in group) and any(t.field == field for t in group) for group in groups):
                return True
        return False

    def decide_traced(self, complaint: Complaint, clock: EventClock | None = None) -> tuple[Decision, Facts]:
        """The decision, and the facts the engine was given with the rules it fired (for `complaints explain`)."""
        policy = self.policy
        trace = CountingTrace()
        windows = self.compiled.windows_read[complaint["category"]]
        fact = route_fact(complaint, policy, self.calendar, trace, windows)
        route_key = self.route_rules.key(fact)
        fired = self.route_rules.cached(route_key)
        text = None  # serialised once, on a miss: the deadline fact is this text plus its `decision.*` keys
        if fired is None:
            text = fact_json(fact)
            fired = self.route_rules.fire(route_key, text)
        routing = [self._routing[name] for name in fired if name in self._routing]
        # Precedence is the policy's order, not the engine's firing order: the first
        # redirect listed gives the reason, the first remedy rule listed gives the remedy.
        route = combine(sorted(routing, key=lambda rule: self._position[rule.info.id]), complaint, policy)
        cited = [cite(rule.info, "route", self._route_effects[rule.info.id]) for rule in routing]

        candidates = [self._remedies[name] for name in fired if name in self._remedies]
        remedy_rule = (
            None if route.redirect or not candidates else min(candidates, key=lambda rule: self._position[rule.info.id])
        )
        granted = []
        if remedy_rule:
            caps = claim_capped(remedy_rule.components, complaint["claim"], policy)
            granted = [grant(c, complaint, policy, i in caps) for i, c in enumerate(remedy_rule.components)]
        if remedy_rule:
            cited.append(cite(remedy_rule.info, "remedy", _remedy_effect(remedy_rule, granted)))
        floor_effects = _apply_approval_floor(route, granted, policy)
        if floor_effects:
            cited.append(cite(policy.approval_floor, "route", "; ".join(floor_effects)))

        team = None if route.redirect else route.team
        goods_return = any(part.goods_return for part in granted)
        decided = decision_keys(team, route.level, {p.type for p in granted}, goods_return, route.flags)
        stage2 = dict(fact, t=DEADLINE_FACT, **decided)
        deadline_key = self.deadline_rules.key(stage2)
        deadline_fired = self.deadline_rules.cached(deadline_key)
        if deadline_fired is None:
            stage2_text = fact_json(stage2) if text is None else retyped_json(text, ROUTE_FACT, DEADLINE_FACT, decided)
            deadline_fired = self.deadline_rules.fire(deadline_key, stage2_text)
        deadline_rules = [self._deadlines[name] for name in deadline_fired]  # `schedule` ranks them in policy order
        deadlines = schedule(deadline_rules, complaint, policy, self.calendar, trace, clock, self._periods)
        if clock is not None:
            legal_breached = settle(deadlines, clock, policy)
        else:
            legal_breached = settle_plain(deadlines, policy, complaint["received_at"])
        for deadline in deadlines:
            info = policy.rules_by_id[deadline["rule"]]
            effect = f"{deadline['kind']} due {deadline['due_at'] or 'after ' + _waiting(deadline)}"
            if deadline["status"] == "overdue":
                effect += ", already past when the complaint arrived: overdue"
            if deadline.get("breach_recorded"):
                effect += ", breach recorded at its due time: final"
            cited.append(cite(info, "deadline", effect))
            cited.extend(
                cite(policy.rules_by_id[c["rule"]], "deadline", f"{deadline['kind']} also cited")
                for c in deadline["cited"]
            )

        flags = list(route.flags)
        if legal_breached and "legal_deadline_breached" not in flags:
            flags.append("legal_deadline_breached")
        warnings = []
        if trace.fallback_years:
            flags.append("calendar_fallback")
            warnings.append(self.calendar.fallback_words(trace))
        route_out = _route_out(route, policy)
        remedy_out = _remedy_out(remedy_rule, granted, route, policy)
        text_zh, text_en = summary(policy, route_out, remedy_out, deadlines)
        decision = {
            "complaint_id": complaint["complaint_id"],
            "received_at": complaint["received_at"].astimezone(self.calendar.tz).isoformat(),
            "category": complaint["category"],
            "channel": complaint["channel"],
            "policy": {"version": policy.version, "digest": policy.digest},
            "engine_version": ENGINE_VERSION,
            "route": route_out,
            "remedy": remedy_out,
            "deadlines": deadlines,
            "flags": flags,
            "warnings": warnings,
            "explanation": {
                "rules": cited,
                "windows": explain_windows(windows, complaint, fact, lookup, self._window_words, self.calendar.tz),
                "summary": text_zh,
                "summary_en": text_en,
            },
        }
        if clock is not None:
            decision["clock"] = clock_section(clock)
        return decision, Facts(fact, stage2, fired, deadline_fired)


@dataclass(frozen=True)
class Facts:
    """What the engine saw and answered for one decision: the route and deadline facts, the rules fired."""

    route: Fact
    deadline: Fact
    route_fired: list[str]
    deadline_fired: list[str]


def _apply_approval_floor(route: Route, granted: list[Granted], policy: Policy) -> list[str]:
    effects = []
    for part in granted:
        if part.approver_level and raise_level(route, part.approver_level, policy.approval_floor.id, policy):
            effects.append(f"level raised to {part.approver_level} to approve {part.type} {part.amount}")
        if part.approver_team and raise_team(route, part.approver_team, policy.approval_floor.id, policy):
            effects.append(f"team set to {part.approver_team}, which approves {part.type}")
    return effects


def _remedy_effect(rule: RemedyRule, granted: list[Granted]) -> str:
    if not granted:
        return f"no remedy: {rule.reason}"
    return " + ".join(p.type + (f" {p.amount:.2f}" if p.amount is not None else "") for p in granted)


def _waiting(deadline: Deadline) -> str:
    waiting: Waiting = deadline["waiting_for"] or {}
    return waiting.get("event") or waiting.get("deadline") or "an event"


def _route_out(route: Route, policy: Policy) -> Decision:  # the decision's `route`
    if route.redirect:
        return {
            "redirect": {"reason": route.redirect, "rule": route.redirect_rule},
            "team": None,
            "team_label": None,
            "level": None,
            "level_label": None,
            "escalated_from": None,
            "decided_by": {"team": None, "level": None},
        }
    return {
        "redirect": None,
        "team": route.team,
        "team_label": policy.team_labels[route.team],
        "level": route.level,
        "level_label": policy.level_labels[route.level],
        "escalated_from": route.escalated_from,
        "decided_by": {
            "team": route.team_rule or policy.first_responder.id,
            "level": route.level_rule or policy.first_responder.id,
        },
    }


def _remedy_out(
    rule: RemedyRule | None, granted: list[Granted], route: Route, policy: Policy
) -> Decision:  # the decision's `remedy`
    totals: dict[str, Decimal] = {}
    for part in granted:
        if part.amount is not None:
            totals[part.type] = totals.get(part.type, Decimal("0")) + part.amount
    levels = [p.approver_level for p in granted if p.approver_level]
    approval_level = max(levels, key=policy.level_rank) if levels else None
    reason: str | None
    if route.redirect:
        reason = route.redirect
    elif rule is None:
        reason = "no remedy rule of the policy covers this complaint; the agent proposes one"
    else:
        reason = rule.reason
    return {
        "rule": rule.info.id if rule and not route.redirect else None,
        "components": [part.as_dict(policy) for part in granted],
        "reason": None if granted else reason,
        "approval": {"level": approval_level, "teams": sorted({p.approver_team for p in granted if p.approver_team})},
        "totals": {kind: f"{amount:.2f}" for kind, amount in sorted(totals.items())},
    }
