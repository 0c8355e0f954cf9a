"""What changed between two versions of a policy, in words, built on the loaded model.

Comparing `Policy` objects rather than text means reformatting, comments and
key order never show up as changes, and every change is named the way the
policy names it: rule ids, remedy types, levels, window ids, dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from rules.calendar import WorkCalendar
from rules.conditions import Condition
from rules.messages import Words, join, say, sentence
from rules.model import AcceptedFinding, CalendarSpec, Component, Policy, RemedyRule, Rule, Window
from rules.wording import component_words, condition_words, due_words, outcome_words, test_words, tests_words

# In the order printed; each is titled `diff.section.<name>` in the catalog (rules/messages.py).
SECTIONS = (
    "header",
    "levels",
    "authority",
    "windows",
    "routing",
    "remedies",
    "events",
    "deadlines",
    "calendar",
    "records",
    "lint",
)
_MARK = {"added": "+", "removed": "-", "changed": "~", "moved": "↕"}

_V = TypeVar("_V")


@dataclass(frozen=True)
class Change:
    section: str
    action: str  # added | removed | changed | moved
    item: str  # what changed: a rule id, a remedy type, a window id, a date, a header field
    part: str | None  # which part of it: when, then, remedy, limits.frontline, ...
    old: object
    new: object
    text: str  # in English, as the JSON carries it; `words` gives it in either language
    words: Words | None = field(default=None, compare=False)

    def text_in(self, lang: str = "en") -> str:
        return self.words.text(lang) if self.words is not None else self.text

    def as_dict(self, lang: str = "en") -> dict[str, object]:
        return {
            "section": self.section,
            "action": self.action,
            "item": self.item,
            "part": self.part,
            "old": _plain(self.old),
            "new": _plain(self.new),
            "text": self.text_in(lang),
        }


def section_title(section: str, lang: str = "en") -> str:
    return sentence(f"diff.section.{section}", lang)


def _change(section: str, action: str, item: str, part: str | None, old: object, new: object, words: Words) -> Change:
    return Change(section, action, item, part, old, new, words.text(), words)


def _say(function: Callable[..., str], *args: object) -> Callable[[str], str]:
    """Rule parts in words, worded when the language is known."""
    return lambda lang: function(*args, lang)


def diff_policies(old: Policy, new: Policy) -> list[Change]:
    changes: list[Change] = []
    _header(old, new, changes)
    _levels(old, new, changes)
    _authority(old, new, changes)
    _windows(old, new, changes)
    _routing(old, new, changes)
    _remedies(old, new, changes)
    _events(old, new, changes)
    _deadlines(old, new, changes)
    _calendar(old, new, changes)
    _records(old, new, changes)
    _lint(old, new, changes)
    return changes


def diff_lines(old: Policy, new: Policy, changes: list[Change], lang: str = "en") -> list[str]:
    def version(policy: Policy) -> str:
        return sentence(
            "diff.version",
            lang,
            file=policy.source_file,
            version=policy.version,
            effective=policy.effective_from.isoformat(),
        )

    lines = [version(old), f"  → {version(new)}"]
    if not changes:
        same = say("diff.identical" if old.digest == new.digest else "diff.same_meaning")
        lines.append(sentence("diff.no_changes", lang, same=same))
        return lines
    lines.append(sentence("diff.count", lang, count=len(changes)))
    for section in SECTIONS:
        mine = [c for c in changes if c.section == section]
        if mine:
            lines.append(sentence("diff.title", lang, title=section_title(section, lang)))
            lines.extend(f"  {_MARK[c.action]} {c.text_in(lang)}" for c in mine)
    return lines


# -- sections ---------------------------------------------------------------


def _field(
    changes: list[Change],
    section: str,
    item: str,
    part: str | None,
    old: object,
    new: object,
    shown: Callable[[Any], object] | None = None,
) -> None:
    """A changed value; ``shown`` words the old and new values in a language (rule parts), else `_show`."""
    if old != new:
        label = f"{item} {part}" if part else item
        if shown is None:
            words = say("diff.field", label=label, old=_shown(old), new=_shown(new))
        else:
            words = say("diff.field", label=label, old=shown(old), new=shown(new))
        changes.append(_change(section, "changed", item, part, old, new, words))


def _header(old: Policy, new: Policy, changes: list[Change]) -> None:
    for name in ("name", "version", "announced_at", "effective_from", "major", "timezone"):
        _field(changes, "header", name, None, getattr(old, name), getattr(new, name))
    for name in ("description", "basis"):
        _field(
            changes,
            "header",
            "first_responder",
            name,
            getattr(old.first_responder, name),
            getattr(new.first_responder, name),
        )


def _levels(old: Policy, new: Policy, changes: list[Change]) -> None:
    _keyed(
        changes,
        "levels",
        "level",
        old.level_labels,
        new.level_labels,
        lambda k, v: say("diff.labelled", name=k, label=v),
    )
    if set(old.levels) == set(new.levels) and old.levels != new.levels:
        _field(changes, "levels", "levels", "order", " < ".join(old.levels), " < ".join(new.levels))
    for level in set(old.levels) & set(new.levels):
        _field(changes, "levels", f"level {level}", "label", old.level_labels[level], new.level_labels[level])
    _keyed(
        changes, "levels", "team", old.team_labels, new.team_labels, lambda k, v: say("diff.labelled", name=k, label=v)
    )
    if set(old.teams) == set(new.teams) and old.teams != new.teams:
        _field(changes, "levels", "team precedence", None, " > ".join(old.teams), " > ".join(new.teams))
    for team in sorted(set(old.teams) & set(new.teams)):
        _field(changes, "levels", f"team {team}", "label", old.team_labels[team], new.team_labels[team])
    _field(changes, "levels", "default team", None, old.default_team, new.default_team)


def _authority(old: Policy, new: Policy, changes: list[Change]) -> None:
    _keyed(
        changes,
        "authority",
        "remedy_type",
        old.authority,
        new.authority,
        lambda k, v: say(
            "diff.remedy_type",
            name=k,
            label=v.label,
            limits=_limits(v.limits, new.levels if k in new.authority else old.levels),
        ),
    )
    # Types sharing one table (`limits_of`) change together: say it once.
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for kind in [k for k in old.authority if k in new.authority]:
        before, after = old.authority[kind], new.authority[kind]
        for level in dict.fromkeys([*old.levels, *new.levels]):
            a, b = before.limits.get(level), after.limits.get(level)
            if a != b:
                grouped.setdefault((level, _show(a), _show(b)), []).append(kind)
        _field(changes, "authority", kind, "label", before.label, after.label)
        _field(changes, "authority", kind, "approved_by_team", before.approved_by_team, after.approved_by_team)
    for (level, a, b), kinds in grouped.items():
        item = ", ".join(kinds)
        if len(kinds) > 1:
            words = say(
                "diff.shared_limit", kind=kinds[0], others=join("sep.list", kinds[1:]), level=level, old=a, new=b
            )
        else:
            words = say("diff.limit", kind=item, level=level, old=a, new=b)
        changes.append(_change("authority", "changed", item, f"limits.{level}", a, b, words))
    _field(changes, "authority", "authority", "basis", old.authority_basis, new.authority_basis)
    for name in ("id", "description", "basis"):
        _field(
            changes,
            "authority",
            "approval_floor",
            name,
            getattr(old.approval_floor, name),
            getattr(new.approval_floor, name),
        )
    for caps in ("claim_caps", "order_caps"):
        a, b = getattr(old, caps), getattr(new, caps)
        _field(changes, "authority", caps, "types", ", ".join(sorted(a.types)), ", ".join(sorted(b.types)))
        _field(changes, "authority", caps, "basis", a.basis, b.basis)


def _windows(old: Policy, new: Policy, changes: list[Change]) -> None:
    before = {w.id: w for w in old.windows}
    after = {w.id: w for w in new.windows}
    _keyed(
        changes,
        "windows",
        "window",
        before,
        after,
        lambda k, w: say("diff.window", name=k, period=_period(w), label=w.label, basis=w.basis),
    )
    for wid in [w for w in before if w in after]:
        a, b = before[wid], after[wid]
        periods = {_period(a).text(): _period(a), _period(b).text(): _period(b)}
        _field(changes, "windows", wid, "period", _period(a).text(), _period(b).text(), periods.get)
        for name in ("label", "basis"):
            _field(changes, "windows", wid, name, getattr(a, name), getattr(b, name))


def _common_rule_parts(changes: list[Change], section: str, rid: str, a: Rule, b: Rule) -> None:
    for name in ("description", "basis"):
        _field(changes, section, rid, name, getattr(a.info, name), getattr(b.info, name))
    if a.condition != b.condition:
        words = say("diff.conditions", rule=rid, change=_condition_change(a.condition, b.condition))
        changes.append(
            _change(section, "changed", rid, "when", condition_words(a.condition), condition_words(b.condition), words)
        )


def _routing(old: Policy, new: Policy, changes: list[Change]) -> None:
    before = {r.info.id: r for r in old.routing}
    after = {r.info.id: r for r in new.routing}
    _keyed(
        changes,
        "routing",
        "routing_rule",
        before,
        after,
        lambda k, r: say(
            "diff.routing_rule", name=k, when=_say(condition_words, r.condition), then=_say(outcome_words, r.then)
        ),
    )
    for rid in [r for r in before if r in after]:
        a, b = before[rid], after[rid]
        _common_rule_parts(changes, "routing", rid, a, b)
        outcomes = {
            outcome_words(a.then): _say(outcome_words, a.then),
            outcome_words(b.then): _say(outcome_words, b.then),
        }
        _field(changes, "routing", rid, "then", outcome_words(a.then), outcome_words(b.then), outcomes.get)


def _remedies(old: Policy, new: Policy, changes: list[Change]) -> None:
    before = {r.info.id: r for r in old.remedies}
    after = {r.info.id: r for r in new.remedies}

    def remedy_text(rule: RemedyRule, lang: str) -> str:
        parts = " + ".join(component_words(c, lang) for c in rule.components)
        return parts or sentence("diff.no_remedy", lang, reason=rule.reason)

    _keyed(
        changes,
        "remedies",
        "remedy_rule",
        before,
        after,
        lambda k, r: say(
            "diff.remedy_rule",
            name=k,
            categories=", ".join(r.categories),
            when=_say(condition_words, r.condition),
            remedy=_say(remedy_text, r),
        ),
    )
    for rid in [r for r in before if r in after]:
        a, b = before[rid], after[rid]
        _field(changes, "remedies", rid, "category", ", ".join(a.categories), ", ".join(b.categories))
        _common_rule_parts(changes, "remedies", rid, a, b)
        if a.components != b.components:
            changes.extend(_component_changes(rid, a.components, b.components))
        _field(changes, "remedies", rid, "reason", a.reason, b.reason)
    # First hit wins within a category: a change of order is a change of meaning.
    categories = dict.fromkeys(c for r in (*old.remedies, *new.remedies) for c in r.categories)
    for category in categories:
        first = [r.info.id for r in old.remedies if category in r.categories and r.info.id in after]
        second = [r.info.id for r in new.remedies if category in r.categories and r.info.id in before]
        common = [r for r in first if r in second]
        first, second = common, [r for r in second if r in common]
        if first != second:
            words = say("diff.order", category=category, old=" → ".join(first), new=" → ".join(second))
            changes.append(_change("remedies", "moved", category, "order", first, second, words))


def _component_changes(rid: str, before: tuple[Component, ...], after: tuple[Component, ...]) -> list[Change]:
    found = []
    for index in range(max(len(before), len(after))):
        a = before[index] if index < len(before) else None
        b = after[index] if index < len(after) else None
        if a == b:
            continue
        part = f"remedy.{index}"
        if a is None:
            assert b is not None  # both None is a == b, skipped above
            words = say("diff.adds", rule=rid, component=_say(component_words, b))
            found.append(_change("remedies", "changed", rid, part, None, component_words(b), words))
        elif b is None:
            words = say("diff.drops", rule=rid, component=_say(component_words, a))
            found.append(_change("remedies", "changed", rid, part, component_words(a), None, words))
        else:
            words = say(
                "diff.component", rule=rid, index=index + 1, old=_say(component_words, a), new=_say(component_words, b)
            )
            found.append(_change("remedies", "changed", rid, part, component_words(a), component_words(b), words))
    return found


def _events(old: Policy, new: Policy, changes: list[Change]) -> None:
    _keyed(
        changes,
        "events",
        "event",
        old.events,
        new.events,
        lambda k, e: say("diff.event", name=k, label=e.label, field=e.field),
    )
    for eid in [e for e in old.events if e in new.events]:
        for name in ("label", "field"):
            _field(changes, "events", eid, name, getattr(old.events[eid], name), getattr(new.events[eid], name))


def _deadlines(old: Policy, new: Policy, changes: list[Change]) -> None:
    before = {r.info.id: r for r in old.deadlines}
    after = {r.info.id: r for r in new.deadlines}
    _keyed(
        changes,
        "deadlines",
        "deadline_rule",
        before,
        after,
        lambda k, r: say(
            "diff.deadline_rule",
            name=k,
            kind=r.kind,
            due=_say(due_words, r.due),
            when=_say(condition_words, r.condition),
        ),
    )
    for rid in [r for r in before if r in after]:
        a, b = before[rid], after[rid]
        _field(changes, "deadlines", rid, "kind", a.kind, b.kind)
        _common_rule_parts(changes, "deadlines", rid, a, b)
        dues = {due_words(a.due): _say(due_words, a.due), due_words(b.due): _say(due_words, b.due)}
        _field(changes, "deadlines", rid, "due", due_words(a.due), due_words(b.due), dues.get)


def _calendar(old: Policy, new: Policy, changes: list[Change]) -> None:
    a, b = old.calendar, new.calendar
    for year in sorted(set(b.years) - set(a.years)):
        changes.append(_change("calendar", "added", str(year), "years", None, year, say("diff.year_added", year=year)))
        changes.extend(_fallback_days(old, new, year))
    for year in sorted(set(a.years) - set(b.years)):
        changes.append(
            _change("calendar", "removed", str(year), "years", year, None, say("diff.year_removed", year=year))
        )
    for name in ("holidays", "makeup_working_days"):
        before, after = getattr(a, name), getattr(b, name)
        for action, days in (("added", after - before), ("removed", before - after)):
            for first, last in _runs(sorted(days)):
                item = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
                span = (
                    _weekday(first) if first == last else say("diff.span", first=_weekday(first), last=_weekday(last))
                )
                old_value, new_value = (None, item) if action == "added" else (item, None)
                words = say(f"diff.{name}_{action}", days=item, span=span)
                changes.append(_change("calendar", action, item, name, old_value, new_value, words))
    weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

    def weekend(spec: CalendarSpec) -> str:
        return ", ".join(weekdays[d - 1] for d in sorted(spec.weekend))

    _field(changes, "calendar", "weekend", None, weekend(a), weekend(b))
    _field(changes, "calendar", "outside_known_years", None, a.outside_known_years, b.outside_known_years)
    _field(changes, "calendar", "calendar", "basis", a.basis, b.basis)


def _fallback_days(old: Policy, new: Policy, year: int) -> list[Change]:
    """The days of a newly listed ``year`` that the old policy's fallback counted otherwise.

    Decisions recorded under the old policy that counted one of these days were counted on
    the fallback and may change: `complaints impact` lists them.
    """
    mode = old.calendar.outside_known_years
    if mode == "error":
        return []  # the old policy refused to decide in that year: no decision was counted on a guess
    before = WorkCalendar(old.calendar, old.timezone)
    after = WorkCalendar(new.calendar, new.timezone)
    found = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        was, now = before.is_working_day(day), after.is_working_day(day)
        if was != now:
            what = say("diff.working_day" if now else "diff.not_working_day")
            then = say("diff.working_day" if was else "diff.not_working_day")
            item = day.isoformat()
            words = say("diff.fallback_day", day=item, weekday=_weekday(day), now=what, then=then, mode=mode)
            found.append(_change("calendar", "changed", item, "fallback", then.text(), what.text(), words))
        day += dt.timedelta(days=1)
    return found


def _records(old: Policy, new: Policy, changes: list[Change]) -> None:
    for name in old.records.__dataclass_fields__:
        _field(changes, "records", name, None, getattr(old.records, name), getattr(new.records, name))


def _lint(old: Policy, new: Policy, changes: list[Change]) -> None:
    def key(a: AcceptedFinding) -> str:
        return f"{a.finding} [{', '.join(a.rules)}]" + (f" about {a.about}" if a.about else "")

    before = {key(a): a.reason for a in old.accepted_findings}
    after = {key(a): a.reason for a in new.accepted_findings}
    _keyed(changes, "lint", "accepted_finding", before, after, lambda k, reason: f"{k}: {reason}")
    for k in [k for k in before if k in after]:
        _field(changes, "lint", k, "reason", before[k], after[k])


# -- helpers ----------------------------------------------------------------


def _keyed(
    changes: list[Change],
    section: str,
    noun: str,
    before: Mapping[str, _V],
    after: Mapping[str, _V],
    words: Callable[[str, _V], object],
) -> None:
    """Items added and removed; ``noun`` is a `noun.*` of the catalog."""
    name = say(f"noun.{noun}")
    for key in [k for k in after if k not in before]:
        said = say("diff.added", noun=name, words=words(key, after[key]))
        changes.append(_change(section, "added", str(key), None, None, str(key), said))
    for key in [k for k in before if k not in after]:
        said = say("diff.removed", noun=name, words=words(key, before[key]))
        changes.append(_change(section, "removed", str(key), None, str(key), None, said))


def _condition_change(a: Condition, b: Condition) -> Words:
    parts: list[Words] = []
    added = [t for t in b.all_of if t not in a.all_of]
    dropped = [t for t in a.all_of if t not in b.all_of]
    for name in dict.fromkeys(t.field for t in added):
        new = [t for t in added if t.field == name]
        old = [t for t in dropped if t.field == name]
        if len(new) == 1 and len(old) == 1:  # one test of a field rewritten: say it as a change
            parts.append(say("diff.changes_test", old=_say(test_words, old[0]), new=_say(test_words, new[0])))
            added.remove(new[0])
            dropped.remove(old[0])
    if added:
        parts.append(say("diff.adds_tests", tests=join("sep.parts", [_say(test_words, t) for t in added])))
    if dropped:
        parts.append(say("diff.drops_tests", tests=join("sep.parts", [_say(test_words, t) for t in dropped])))
    if a.any_of != b.any_of:
        parts.append(say("diff.any_of", old=_say(_any_words, a), new=_say(_any_words, b)))
    return say("diff.now", changes=join("sep.clauses", parts), when=_say(condition_words, b))


def _any_words(condition: Condition, lang: str = "en") -> str:
    if not condition.any_of:
        return sentence("none", lang)
    return " | ".join("(" + tests_words(group, lang) + ")" for group in condition.any_of)


def _limits(limits: Mapping[str, object], levels: Sequence[str]) -> object:
    return join("sep.list", [f"{level} " + _show(limits.get(level)) for level in levels])


def _period(window: Window) -> Words:
    roll = window.roll_forward or window.unit not in ("calendar_days", "years")
    return say(
        "diff.period",
        amount=window.amount,
        unit=say(f"unit.{window.unit}"),
        anchor=window.anchor,
        counting="" if roll else say("diff.no_roll_forward"),
    )


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _weekday(day: dt.date) -> Words:
    return say(f"weekday.{day.strftime('%A').lower()}")


def _shown(value: object) -> object:
    """A value as `_show` prints it; nothing at all is worded in the language (（无）)."""
    return say("diff.nothing") if value is None else _show(value)


def _show(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _plain(value: object) -> object:
    if isinstance(value, (Decimal, dt.date, dt.datetime)):
        return _show(value)
    return value
