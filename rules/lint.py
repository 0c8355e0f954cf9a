"""Lint a policy: rules that can never fire, conflicts, gaps and loose ends.

Each finding names the rules and the lines they are on and, where it is about
complaints, carries an example complaint that shows it (built from the
representative facts of ``rules.fact_space`` and replayable through the
engine). Findings are warnings: the policy still loads and decides. A policy
marks a deliberate one with ``lint: accept: [{finding, rules, about, reason}]``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

from rules.calendar import CalendarHorizon, calendar_horizon
from rules.calendar_year import TO_COMPLETE
from rules.conditions import Condition, Test
from rules.fact_space import FactSpace, SpaceFact, TooManyCombinations, describe_fact
from rules.finding_codes import FINDING_CODES
from rules.messages import Words, join, say, sentence, ui
from rules.model import DeadlineRule, Policy, RemedyRule, RoutingRule, Rule, RuleInfo
from rules.wording import tests_words
from rules.yaml_source import SourceMap, load_yaml_text

_R = TypeVar("_R", RoutingRule, RemedyRule, DeadlineRule)  # a rule that `_cover` may name

# Remedies for which the seller sends goods to the consumer (the outbound leg).
GOODS_SENT = frozenset({"resend", "exchange", "repair"})
_PLACEHOLDER = re.compile(r"^\s*(|-+|\?+|todo|tbd|tbc|n/?a|none|xxx+|待定|无|暂无)\s*\.?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    line: int
    rules: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()
    about: str | None = None
    example: str | None = None  # the example in the policy's words
    complaint: dict[str, Any] | None = None  # the example as a complaint a caller could send
    accepted: str | None = None  # the policy's reason, when it accepts the finding
    # The sentence in the catalog (rules/messages.py SENTENCES); `message` is its English.
    words: Words | None = field(default=None, compare=False)

    def text(self, lang: str = "en") -> str:
        return self.words.text(lang) if self.words is not None else self.message

    def as_dict(self, lang: str = "en") -> dict[str, object]:
        return {
            "code": self.code,
            "severity": "warning",
            "message": self.text(lang),
            "line": self.line,
            "rules": [{"id": rule, "line": line} for rule, line in zip(self.rules, self.lines, strict=True)],
            "about": self.about,
            "example": self.example,
            "complaint": self.complaint,
            "accepted": self.accepted,
        }

    def render(self, file: str, lang: str = "en") -> list[str]:
        """The finding as printed; labels from the catalog (rules/messages.py UI), the code unchanged."""
        status = ui("lint_accepted" if self.accepted else "lint_warning", lang)
        lines = [f"{file}:{self.line}: {status} [{self.code}] {self.text(lang)}"]
        if self.accepted:
            lines.append(ui("lint_accepted_because", lang, reason=self.accepted))
        if self.example:
            lines.append(ui("lint_example", lang, example=self.example))
        if self.complaint:
            lines.append(ui("lint_complaint", lang, complaint=json.dumps(self.complaint, ensure_ascii=False)))
        return lines


@dataclass
class LintReport:
    policy: Policy
    findings: list[Finding] = field(default_factory=list)
    # How much calendar is left after the caller's `today`; a warning, never a finding: it
    # depends on the date lint runs, so it must not decide whether a policy may be published.
    calendar: CalendarHorizon | None = None

    def calendar_lines(self, lang: str = "en") -> list[str]:
        if self.calendar is None:
            return []
        status = sentence("calendar.warning" if self.calendar.running_out else "calendar.ok", lang)
        message = self.calendar.message(lang)
        return [sentence("calendar.line", lang, file=self.policy.source_file, status=status, message=message)]

    @property
    def unaccepted(self) -> list[Finding]:
        return [f for f in self.findings if not f.accepted]

    @property
    def accepted(self) -> list[Finding]:
        return [f for f in self.findings if f.accepted]

    def as_dict(self, lang: str = "en") -> dict[str, object]:
        return {
            "policy": {"file": self.policy.source_file, "version": self.policy.version, "digest": self.policy.digest},
            "findings": [f.as_dict(lang) for f in self.findings],
            "unaccepted": len(self.unaccepted),
            "accepted": len(self.accepted),
            "calendar": self.calendar.as_dict() if self.calendar else None,
        }


def lint_policy(policy: Policy, today: dt.date | None = None) -> LintReport:
    """Lint ``policy``; with ``today``, also say how much of its holiday calendar is left."""
    linter = _Linter(policy)
    linter.run()
    findings = _apply_acceptances(policy, linter.findings)
    findings.sort(key=lambda f: (f.line, f.code, f.rules))
    horizon = calendar_horizon(policy.calendar, today) if today is not None else None
    return LintReport(policy, findings, horizon)


def _apply_acceptances(policy: Policy, findings: list[Finding]) -> list[Finding]:
    result, used = [], set()
    for finding in findings:
        for index, accept in enumerate(policy.accepted_findings):
            if (
                accept.finding == finding.code
                and set(accept.rules) == set(finding.rules)
                and (accept.about is None or accept.about == finding.about)
            ):
                finding = replace(finding, accepted=accept.reason)
                used.add(index)
                break
        result.append(finding)
    for index, accept in enumerate(policy.accepted_findings):
        if index not in used:
            what = (
                say("lint.accept_about", finding=accept.finding, about=accept.about) if accept.about else accept.finding
            )
            rules = say("lint.accept_for", rules=join("sep.list", accept.rules)) if accept.rules else ""
            words = say("lint.stale_acceptance", what=what, rules=rules)
            result.append(Finding("stale_acceptance", words.text(), accept.line, about=accept.finding, words=words))
    return result


class _Linter:
    def __init__(self, policy: Policy):
        self.policy = policy
        self.space = FactSpace(policy)
        self.findings: list[Finding] = []
        self.never: set[str] = set()
        self._source: SourceMap | None = None

    # -- helpers ------------------------------------------------------------

    def add(
        self,
        code: str,
        words: Words,
        infos: Iterable[RuleInfo] = (),
        *,
        about: str | None = None,
        fact: SpaceFact | None = None,
        fields: set[str] | None = None,
        line: int | None = None,
    ) -> None:
        assert code in FINDING_CODES, code
        lines = tuple(info.line for info in infos)
        example = complaint = None
        if fact is not None:
            example = describe_fact(fact, self._with_anchors(fields or set()))
            complaint = self.space.example_complaint(fact)
            if any(f.startswith("decision.") for f in fact):
                complaint = None  # a decision is the engine's output, not something a caller sends
        self.findings.append(
            Finding(
                code,
                words.text(),
                line if line is not None else (min(lines) if lines else 1),
                tuple(info.id for info in infos),
                lines,
                about,
                example,
                complaint,
                words=words,
            )
        )

    def _with_anchors(self, fields: set[str]) -> set[str]:
        return set(fields) | {self.space.anchor_of[f] for f in fields if f in self.space.anchor_of}

    def locate(self, path: str) -> int:
        if self._source is None:
            try:
                self._source = load_yaml_text(self.policy.text, self.policy.source_file)[1]
            except Exception:  # the policy loaded, so this cannot fail; stay safe in a linter
                self._source = SourceMap(self.policy.source_file)
        return self._source.locate(path)[0]

    def facts(self, conditions: list[Condition], fixed: SpaceFact | None = None) -> list[SpaceFact] | None:
        try:
            return list(self.space.facts(conditions, fixed))
        except TooManyCombinations:
            return None

    @staticmethod
    def cite(info: RuleInfo) -> Words:
        return say("cite", rule=info.id, line=info.line)

    def cites(self, infos: Iterable[RuleInfo]) -> object:
        return join("sep.both", [self.cite(info) for info in infos])

    # -- checks -------------------------------------------------------------

    def run(self) -> None:
        self.contradictions()
        self.remedies()
        self.redirect_conflicts()
        self.deadline_gaps()
        self.pending_forever()
        self.authority_bands()
        self.approvers_routed()
        self.shipping_legs()
        self.bases()
        self.unused()
        self.calendar_and_notice()

    def contradictions(self) -> None:
        policy = self.policy
        for rule in policy.all_rules:
            fixed = None
            if isinstance(rule, RemedyRule):
                condition = Condition(
                    (Test("category", "in", rule.categories), *rule.condition.all_of), rule.condition.any_of
                )
            else:
                condition = rule.condition
            facts = self.facts([condition], fixed)
            if facts is None or any(condition.matches(f) for f in facts):
                continue
            self.never.add(rule.info.id)
            words = say("lint.contradiction", rule=self.cite(rule.info), why=self.why_never(rule))
            self.add("contradiction", words, [rule.info])

    def why_never(self, rule: Rule) -> Words:
        condition = rule.condition
        by_field: dict[str, list[Test]] = {}
        for test in condition.all_of:
            by_field.setdefault(test.field, []).append(test)
        if isinstance(rule, RemedyRule):
            own = [t for t in by_field.get("category", [])]
            if own and not any(all(t.matches({"category": c}) for t in own) for c in rule.categories):
                return say(
                    "lint.why_own_category",
                    words=partial(tests_words, own),
                    categories=join("sep.list", rule.categories),
                )
        for name, tests in by_field.items():
            candidates = [c for _, options in self.space.groups({name}) for c in options]
            if not any(all(t.matches(c) for t in tests) for c in candidates):
                words = partial(tests_words, tests)  # worded in the language asked for
                if len(tests) > 1:
                    return say("lint.why_both", words=words)
                if name.startswith("decision.flags."):
                    return say("lint.why_flag", words=words)
                return say("lint.why_never", words=words)
        if condition.any_of:
            return say("lint.why_any_of")
        return say("lint.why_all")

    def remedies(self) -> None:
        policy = self.policy
        redirects = [r for r in policy.routing if r.then.redirect]
        categories = list(dict.fromkeys(c for field in ("category",) for c in self.space.kinds[field].values))
        for category in categories:
            rules = [r for r in policy.remedies if category in r.categories]
            conditions = [r.condition for r in rules] + [r.condition for r in redirects]
            facts = self.facts(conditions, {"category": category})
            if facts is None:
                continue
            fields = {t.field for c in conditions for t in (*c.all_of, *(t for g in c.any_of for t in g))}
            fields.add("category")

            def redirected(fact: SpaceFact, redirects: list[RoutingRule] = redirects) -> list[RoutingRule]:
                return [r for r in redirects if r.condition.matches(fact)]

            def first(fact: SpaceFact, rules: list[RemedyRule] = rules) -> RemedyRule | None:
                return next((r for r in rules if r.condition.matches(fact)), None)

            gap = next((f for f in facts if not redirected(f) and first(f) is None), None)
            if gap is not None:
                if rules:
                    message = say(
                        "lint.remedy_gap", category=category, rules=join("sep.list", [r.info.id for r in rules])
                    )
                else:
                    message = say("lint.remedy_uncovered", category=category)
                self.add(
                    "remedy_gap",
                    message,
                    [r.info for r in rules],
                    about=category,
                    fact=gap,
                    fields=fields,
                    line=rules[-1].info.line if rules else 1,
                )
            for index, rule in enumerate(rules):
                if rule.info.id in self.never:
                    continue
                mine = [f for f in facts if rule.condition.matches(f)]
                if not mine or any(first(f) is rule and not redirected(f) for f in mine):
                    continue
                about = category if len(rule.categories) > 1 else None
                scope = say("lint.scope", category=category) if about else ""
                open_facts = [f for f in mine if not redirected(f)]
                if open_facts:
                    firsts = (first(f) for f in open_facts)  # never None: ``rule`` itself matches them
                    blockers = _cover(rules[:index], open_facts) or [b for b in dict.fromkeys(firsts) if b is not None]
                    key = "lint.shadowed_one" if len(blockers) == 1 else "lint.shadowed_many"
                    names = self.cites(b.info for b in blockers)
                    self.add(
                        "shadowed",
                        say(key, rule=self.cite(rule.info), scope=scope, names=names),
                        [rule.info, *(b.info for b in blockers)],
                        about=about,
                        fact=open_facts[0],
                        fields=fields,
                        line=rule.info.line,
                    )
                else:
                    redirecting = _cover(redirects, mine) or list(dict.fromkeys(r for f in mine for r in redirected(f)))
                    key = "lint.redirected_one" if len(redirecting) == 1 else "lint.redirected_many"
                    names = self.cites(b.info for b in redirecting)
                    self.add(
                        "redirected",
                        say(key, rule=self.cite(rule.info), scope=scope, names=names),
                        [rule.info, *(b.info for b in redirecting)],
                        about=about,
                        fact=mine[0],
                        fields=fields,
                        line=rule.info.line,
                    )

    def redirect_conflicts(self) -> None:
        redirects = [r for r in self.policy.routing if r.then.redirect and r.info.id not in self.never]
        for a, b in itertools.combinations(redirects, 2):
            if a.then.redirect == b.then.redirect:
                continue
            facts = self.facts([a.condition, b.condition]) or []
            both = next((f for f in facts if a.condition.matches(f) and b.condition.matches(f)), None)
            if both is None:
                continue
            self.add(
                "conflicting_redirects",
                say("lint.conflicting_redirects", a=self.cite(a.info), b=self.cite(b.info)),
                [a.info, b.info],
                fact=both,
                fields=a.condition.fields() | b.condition.fields(),
            )

    def deadline_gaps(self) -> None:
        by_kind: dict[str, list[DeadlineRule]] = {}
        for rule in self.policy.deadlines:
            if rule.info.id not in self.never:
                by_kind.setdefault(rule.kind, []).append(rule)
        for kind, rules in by_kind.items():
            split: set[str] = set()
            for a, b in itertools.combinations(rules, 2):
                facts = self.facts([a.condition, b.condition])
                if facts is not None and not any(a.condition.matches(f) and b.condition.matches(f) for f in facts):
                    split |= a.condition.fields() & b.condition.fields()
            if not split:
                continue  # the rules add cases; they do not divide one case into parts
            relaxed = [_relax(r.condition, split) for r in rules]
            facts = self.facts([r.condition for r in rules] + relaxed)
            if facts is None:
                continue
            hole = next(
                (
                    f
                    for f in facts
                    if any(c.matches(f) for c in relaxed) and not any(r.condition.matches(f) for r in rules)
                ),
                None,
            )
            if hole is None:
                continue
            self.add(
                "deadline_gap",
                say(
                    "lint.deadline_gap",
                    kind=kind,
                    fields=join("sep.list", sorted(split)),
                    rules=join("sep.list", [r.info.id for r in rules]),
                ),
                [r.info for r in rules],
                about=kind,
                fact=hole,
                fields=split,
            )

    def pending_forever(self) -> None:
        kinds: dict[str, list[DeadlineRule]] = {}
        for rule in self.policy.deadlines:
            kinds.setdefault(rule.kind, []).append(rule)
        for rule in self.policy.deadlines:
            other = rule.due.with_kind
            if not other or rule.info.id in self.never:
                continue
            partners = kinds.get(other, [])
            facts = self.facts([rule.condition, *(p.condition for p in partners)])
            if facts is None:
                continue
            alone = next(
                (f for f in facts if rule.condition.matches(f) and not any(p.condition.matches(f) for p in partners)),
                None,
            )
            if alone is None:
                continue
            self.add(
                "pending_forever",
                say("lint.pending_forever", rule=self.cite(rule.info), other=other),
                [rule.info, *(p.info for p in partners)],
                about=other,
                fact=alone,
                fields=rule.condition.fields(),
                line=rule.info.line,
            )

    def authority_bands(self) -> None:
        seen: dict[tuple[tuple[str, str], ...], list[str]] = {}
        for kind, entry in self.policy.authority.items():
            seen.setdefault(tuple(sorted((k, str(v)) for k, v in entry.limits.items())), []).append(kind)
        levels = self.policy.levels
        for kinds in seen.values():
            limits = self.policy.authority[kinds[0]].limits
            for lower, higher in zip(levels, levels[1:], strict=False):
                a, b = limits[lower], limits[higher]
                if isinstance(a, str) or isinstance(b, str) or a != b:
                    continue
                self.add(
                    "authority_band_empty",
                    say(
                        "lint.authority_band_empty",
                        names=join("sep.list", kinds),
                        higher=higher,
                        lower=lower,
                        amount=f"{b:.2f}",
                    ),
                    about=kinds[0],
                    line=self.locate(f"authority.remedies.{kinds[0]}.limits.{higher}"),
                )

    def approvers_routed(self) -> None:
        """A remedy only a team may approve (punitive damages: legal_compliance) must reach that team.

        For every complaint a remedy rule answers with such a component, some routing rule must
        send the complaint to the approving team at a level above the lowest: otherwise the
        decision routes it to another team, or to that team's frontline, which may not approve it.
        """
        policy = self.policy
        lowest = policy.levels[0]
        redirects = [r for r in policy.routing if r.then.redirect]
        for rule in policy.remedies:
            if rule.info.id in self.never:
                continue
            teams = {
                policy.authority[c.type].approved_by_team: c.type
                for c in rule.components
                if policy.authority[c.type].approved_by_team
                and all(v == "never" for v in policy.authority[c.type].limits.values())
            }
            for team, kind in teams.items():
                routes = [
                    r for r in policy.routing if r.then.team == team and r.then.min_level and r.then.min_level != lowest
                ]
                for category in rule.categories:
                    earlier = [
                        r
                        for r in policy.remedies[: policy.remedies.index(rule)]
                        if category in r.categories and r.info.id not in self.never
                    ]
                    conditions = [rule.condition, *(r.condition for r in earlier + routes + redirects)]
                    facts = self.facts(conditions, {"category": category})
                    if facts is None:
                        continue
                    gap = next(
                        (
                            f
                            for f in facts
                            if rule.condition.matches(f)
                            and not any(r.condition.matches(f) for r in earlier + redirects)
                            and not any(r.condition.matches(f) for r in routes)
                        ),
                        None,
                    )
                    if gap is None:
                        continue
                    named = join("sep.list", [self.cite(r.info) for r in routes]) if routes else say("none")
                    self.add(
                        "approver_not_routed",
                        say(
                            "lint.approver_not_routed",
                            rule=self.cite(rule.info),
                            kind=kind,
                            team=team,
                            category=category,
                            lowest=lowest,
                            named=named,
                        ),
                        [rule.info, *(r.info for r in routes)],
                        about=f"{kind}:{category}",
                        fact=gap,
                        fields={t.field for c in conditions for t in (*c.all_of, *(t for g in c.any_of for t in g))},
                        line=rule.info.line,
                    )

    def shipping_legs(self) -> None:
        """Who pays a shipping leg is said only for a leg goods travel: back (goods_return), or out (goods sent)."""
        for rule in self.policy.remedies:
            for position, part in enumerate(rule.components):
                wrong = []
                if part.return_shipping_paid_by and not part.goods_return:
                    wrong.append(say("lint.return_without_goods"))
                if part.outbound_shipping_paid_by and part.type not in GOODS_SENT:
                    wrong.append(say("lint.outbound_without_goods", type=part.type))
                for what in wrong:
                    self.add(
                        "shipping_without_goods",
                        say(
                            "lint.shipping_without_goods",
                            rule=self.cite(rule.info),
                            position=position + 1,
                            type=part.type,
                            what=what,
                        ),
                        [rule.info],
                        about=f"{part.type}:{position}",
                        line=rule.info.line,
                    )

    def bases(self) -> None:
        policy = self.policy
        for rule in policy.all_rules:
            if _PLACEHOLDER.match(rule.info.basis):
                self.add(
                    "missing_basis",
                    say("lint.missing_basis", rule=self.cite(rule.info), basis=rule.info.basis.strip()),
                    [rule.info],
                )
        for index, window in enumerate(policy.windows):
            if _PLACEHOLDER.match(window.basis):
                self.add(
                    "missing_basis",
                    say("lint.window_missing_basis", window=window.id, basis=window.basis.strip()),
                    about=window.id,
                    line=self.locate(f"windows.{index}.basis"),
                )

    def unused(self) -> None:
        policy = self.policy
        tested = {
            t.field
            for rule in policy.all_rules
            for t in (*rule.condition.all_of, *(t for g in rule.condition.any_of for t in g))
        }
        for index, window in enumerate(policy.windows):
            if f"within.{window.id}" not in tested:
                self.add(
                    "unused_window",
                    say("lint.unused_window", window=window.id),
                    about=window.id,
                    line=self.locate(f"windows.{index}"),
                )
        used = {rule.due.after for rule in policy.deadlines}
        for clock in policy.clock.kinds.values():
            used.update((*clock.met_by, *clock.pauses_on, *clock.resumes_on))
        used.update(name for name, event in policy.events.items() if event.counts)
        for event in policy.events:
            if event not in used:
                self.add(
                    "unused_event",
                    say("lint.unused_event", event=event),
                    about=event,
                    line=self.locate(f"events.{event}"),
                )
        if policy.clock.kinds:
            # Once a policy runs deadlines on events, a kind nothing meets can only ever be breached.
            for kind in dict.fromkeys(rule.kind for rule in policy.deadlines):
                if kind not in policy.clock.kinds:
                    self.add(
                        "never_met",
                        say("lint.never_met", kind=kind),
                        about=kind,
                        line=self.locate("clock.kinds"),
                    )

    def calendar_and_notice(self) -> None:
        policy = self.policy
        year = policy.effective_from.year
        if year not in policy.calendar.years:
            fallback = policy.calendar.outside_known_years
            self.add(
                "calendar_year_missing",
                say("lint.calendar_year_missing", year=year, fallback=fallback),
                about=str(year),
                line=self.locate("calendar.years"),
            )
        for number, text in enumerate(policy.text.splitlines(), start=1):
            if f"# {TO_COMPLETE}" in text and "makeup_working_days" in text:
                self.add(
                    "calendar_draft",
                    say("lint.calendar_draft", marker=TO_COMPLETE),
                    about=f"line {number}",
                    line=number,
                )
        records = policy.records
        needed = records.major_change_notice_days if policy.major else records.change_notice_days
        notice = policy.effective_from - policy.announced_at
        if notice < dt.timedelta(days=needed):
            what = say("lint.a_major_change" if policy.major else "lint.a_change")
            self.add(
                "short_notice",
                say(
                    "lint.short_notice",
                    notice=partial(_duration, notice),
                    what=what,
                    needed=needed,
                    basis=records.change_notice_basis,
                ),
                about="policy",
                line=self.locate("policy.effective_from"),
            )


def _duration(span: dt.timedelta, lang: str) -> str:
    """A timedelta as Python prints it (``3 days, 0:00:00``), in Chinese ``3 天 0:00:00``."""
    if lang != "zh":
        return str(span)
    clock = str(dt.timedelta(seconds=span.seconds, microseconds=span.microseconds))
    return sentence("lint.days", lang, days=span.days, time=clock) if span.days else clock


def _cover(candidates: Sequence[_R], facts: Sequence[SpaceFact]) -> list[_R]:
    """The first single rule that matches every one of ``facts``, as a one-item list, else []."""
    for rule in candidates:
        if all(rule.condition.matches(f) for f in facts):
            return [rule]
    return []


def _relax(condition: Condition, split: set[str]) -> Condition:
    """The condition with its tests on ``split`` fields loosened to `the field is given`."""

    def loosen(tests: tuple[Test, ...]) -> tuple[Test, ...]:
        out = []
        for test in tests:
            if test.field in split and test.op != "present":
                out.append(Test(test.field, "present", 1))
            else:
                out.append(test)
        return tuple(dict.fromkeys(out))

    return Condition(loosen(condition.all_of), tuple(loosen(g) for g in condition.any_of))
