"""What changed between two versions of a policy, in words, built on the loaded model.

Comparing `Policy` objects rather than text means reformatting, comments and
key order never show up as changes, and every change is named the way the
policy names it: rule ids, remedy types, levels, window ids, dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from rules.calendar import WorkCalendar
from rules.model import Component, Policy
from rules.wording import component_words, condition_words, due_words, outcome_words, test_words

SECTIONS = {
    "header": "Header",
    "levels": "Levels and teams",
    "authority": "Authority (审批权限)",
    "windows": "Eligibility windows (期限窗口)",
    "routing": "Routing rules (分派规则)",
    "remedies": "Remedy rules (处理方案)",
    "events": "Events",
    "deadlines": "Deadline rules (处理期限)",
    "calendar": "Calendar (节假日)",
    "records": "Records (记录保存)",
    "lint": "Accepted lint findings",
}
_MARK = {"added": "+", "removed": "-", "changed": "~", "moved": "↕"}


@dataclass(frozen=True)
class Change:
    section: str
    action: str  # added | removed | changed | moved
    item: str  # what changed: a rule id, a remedy type, a window id, a date, a header field
    part: str | None  # which part of it: when, then, remedy, limits.frontline, ...
    old: object
    new: object
    text: str

    def as_dict(self) -> dict:
        return {
            "section": self.section,
            "action": self.action,
            "item": self.item,
            "part": self.part,
            "old": _plain(self.old),
            "new": _plain(self.new),
            "text": self.text,
        }


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


def diff_lines(old: Policy, new: Policy, changes: list[Change]) -> list[str]:
    lines = [
        f"{old.source_file} (version {old.version}, effective {old.effective_from.isoformat()})",
        f"  → {new.source_file} (version {new.version}, effective {new.effective_from.isoformat()})",
    ]
    if not changes:
        same = "identical content" if old.digest == new.digest else "no change in meaning (only layout or comments)"
        lines.append(f"No changes: {same}.")
        return lines
    lines.append(f"{len(changes)} change(s):")
    for section, title in SECTIONS.items():
        mine = [c for c in changes if c.section == section]
        if mine:
            lines.append(f"{title}:")
            lines.extend(f"  {_MARK[c.action]} {c.text}" for c in mine)
    return lines


# -- sections ---------------------------------------------------------------


def _field(changes, section, item, part, old, new, text=None):
    if old != new:
        label = f"{item} {part}" if part else item
        changes.append(
            Change(section, "changed", item, part, old, new, text or f"{label}: {_show(old)} → {_show(new)}")
        )


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
    _keyed(changes, "levels", "level", old.level_labels, new.level_labels, lambda k, v: f"{k} ({v})")
    if set(old.levels) == set(new.levels) and old.levels != new.levels:
        _field(changes, "levels", "levels", "order", " < ".join(old.levels), " < ".join(new.levels))
    for level in set(old.levels) & set(new.levels):
        _field(changes, "levels", f"level {level}", "label", old.level_labels[level], new.level_labels[level])
    _keyed(changes, "levels", "team", old.team_labels, new.team_labels, lambda k, v: f"{k} ({v})")
    if set(old.teams) == set(new.teams) and old.teams != new.teams:
        _field(changes, "levels", "team precedence", None, " > ".join(old.teams), " > ".join(new.teams))
    for team in sorted(set(old.teams) & set(new.teams)):
        _field(changes, "levels", f"team {team}", "label", old.team_labels[team], new.team_labels[team])
    _field(changes, "levels", "default team", None, old.default_team, new.default_team)


def _authority(old: Policy, new: Policy, changes: list[Change]) -> None:
    _keyed(
        changes,
        "authority",
        "remedy type",
        old.authority,
        new.authority,
        lambda k, v: f"{k} ({v.label}): limits {_limits(v.limits, new.levels if k in new.authority else old.levels)}",
    )
    # Types sharing one table (`limits_of`) change together: say it once.
    grouped: dict[tuple, list[str]] = {}
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
        shared = f"{kinds[0]} (shared by {', '.join(kinds[1:])})" if len(kinds) > 1 else item
        changes.append(
            Change("authority", "changed", item, f"limits.{level}", a, b, f"{shared}: {level} limit {a} → {b}")
        )
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
    _keyed(changes, "windows", "window", before, after, lambda k, w: f"{k}: {_period(w)} ({w.label}; {w.basis})")
    for wid in [w for w in before if w in after]:
        a, b = before[wid], after[wid]
        _field(changes, "windows", wid, "period", _period(a), _period(b))
        for name in ("label", "basis"):
            _field(changes, "windows", wid, name, getattr(a, name), getattr(b, name))


def _common_rule_parts(changes, section, rid, a, b) -> None:
    for name in ("description", "basis"):
        _field(changes, section, rid, name, getattr(a.info, name), getattr(b.info, name))
    if a.condition != b.condition:
        text = f"{rid} conditions: {_condition_change(a.condition, b.condition)}"
        changes.append(
            Change(section, "changed", rid, "when", condition_words(a.condition), condition_words(b.condition), text)
        )


def _routing(old: Policy, new: Policy, changes: list[Change]) -> None:
    before = {r.info.id: r for r in old.routing}
    after = {r.info.id: r for r in new.routing}
    _keyed(
        changes,
        "routing",
        "routing rule",
        before,
        after,
        lambda k, r: f"{k}: when {condition_words(r.condition)} → {outcome_words(r.then)}",
    )
    for rid in [r for r in before if r in after]:
        a, b = before[rid], after[rid]
        _common_rule_parts(changes, "routing", rid, a, b)
        _field(changes, "routing", rid, "then", outcome_words(a.then), outcome_words(b.then))


def _remedies(old: Policy, new: Policy, changes: list[Change]) -> None:
    before = {r.info.id: r for r in old.remedies}
    after = {r.info.id: r for r in new.remedies}

    def remedy_text(rule) -> str:
        parts = " + ".join(component_words(c) for c in rule.components)
        return parts or f"no remedy ({rule.reason})"

    _keyed(
        changes,
        "remedies",
        "remedy rule",
        before,
        after,
        lambda k, r: f"{k} [{', '.join(r.categories)}]: when {condition_words(r.condition)} → {remedy_text(r)}",
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
            changes.append(
                Change(
                    "remedies",
                    "moved",
                    category,
                    "order",
                    first,
                    second,
                    f"order of the `{category}` rules (first match wins): {' → '.join(first)} "
                    f"becomes {' → '.join(second)}",
                )
            )


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
            found.append(
                Change("remedies", "changed", rid, part, None, component_words(b), f"{rid} adds {component_words(b)}")
            )
        elif b is None:
            found.append(
                Change("remedies", "changed", rid, part, component_words(a), None, f"{rid} drops {component_words(a)}")
            )
        else:
            text = f"{rid} remedy {index + 1}: {component_words(a)} → {component_words(b)}"
            found.append(Change("remedies", "changed", rid, part, component_words(a), component_words(b), text))
    return found


def _events(old: Policy, new: Policy, changes: list[Change]) -> None:
    _keyed(changes, "events", "event", old.events, new.events, lambda k, e: f"{k} ({e.label}, field {e.field})")
    for eid in [e for e in old.events if e in new.events]:
        for name in ("label", "field"):
            _field(changes, "events", eid, name, getattr(old.events[eid], name), getattr(new.events[eid], name))


def _deadlines(old: Policy, new: Policy, changes: list[Change]) -> None:
    before = {r.info.id: r for r in old.deadlines}
    after = {r.info.id: r for r in new.deadlines}
    _keyed(
        changes,
        "deadlines",
        "deadline rule",
        before,
        after,
        lambda k, r: f"{k}: {r.kind} due {due_words(r.due)} when {condition_words(r.condition)}",
    )
    for rid in [r for r in before if r in after]:
        a, b = before[rid], after[rid]
        _field(changes, "deadlines", rid, "kind", a.kind, b.kind)
        _common_rule_parts(changes, "deadlines", rid, a, b)
        _field(changes, "deadlines", rid, "due", due_words(a.due), due_words(b.due))


def _calendar(old: Policy, new: Policy, changes: list[Change]) -> None:
    a, b = old.calendar, new.calendar
    for year in sorted(set(b.years) - set(a.years)):
        changes.append(Change("calendar", "added", str(year), "years", None, year, f"year {year} added"))
        changes.extend(_fallback_days(old, new, year))
    for year in sorted(set(a.years) - set(b.years)):
        changes.append(Change("calendar", "removed", str(year), "years", year, None, f"year {year} removed"))
    for name, word in (("holidays", "holiday"), ("makeup_working_days", "make-up working day (调休)")):
        before, after = getattr(a, name), getattr(b, name)
        for action, days in (("added", after - before), ("removed", before - after)):
            for first, last in _runs(sorted(days)):
                item = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
                span = _weekday(first) if first == last else f"{_weekday(first)} to {_weekday(last)}"
                old_value, new_value = (None, item) if action == "added" else (item, None)
                changes.append(
                    Change("calendar", action, item, name, old_value, new_value, f"{word} {action}: {item} ({span})")
                )
    weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

    def weekend(spec):
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
            what = "a working day" if now else "not a working day"
            then = "a working day" if was else "not a working day"
            item = day.isoformat()
            found.append(
                Change(
                    "calendar",
                    "changed",
                    item,
                    "fallback",
                    then,
                    what,
                    f"{item} ({_weekday(day)}) is now {what}; the fallback ({mode}) counted it as {then}: "
                    "decisions counted on the fallback that reach this day change",
                )
            )
        day += dt.timedelta(days=1)
    return found


def _records(old: Policy, new: Policy, changes: list[Change]) -> None:
    for name in old.records.__dataclass_fields__:
        _field(changes, "records", name, None, getattr(old.records, name), getattr(new.records, name))


def _lint(old: Policy, new: Policy, changes: list[Change]) -> None:
    def key(a):
        return f"{a.finding} [{', '.join(a.rules)}]" + (f" about {a.about}" if a.about else "")

    before = {key(a): a.reason for a in old.accepted_findings}
    after = {key(a): a.reason for a in new.accepted_findings}
    _keyed(changes, "lint", "accepted finding", before, after, lambda k, reason: f"{k}: {reason}")
    for k in [k for k in before if k in after]:
        _field(changes, "lint", k, "reason", before[k], after[k])


# -- helpers ----------------------------------------------------------------


def _keyed(changes, section, noun, before: dict, after: dict, words) -> None:
    for key in [k for k in after if k not in before]:
        changes.append(
            Change(section, "added", str(key), None, None, str(key), f"{noun} added: {words(key, after[key])}")
        )
    for key in [k for k in before if k not in after]:
        changes.append(
            Change(section, "removed", str(key), None, str(key), None, f"{noun} removed: {words(key, before[key])}")
        )


def _condition_change(a, b) -> str:
    parts = []
    added = [t for t in b.all_of if t not in a.all_of]
    dropped = [t for t in a.all_of if t not in b.all_of]
    for field in dict.fromkeys(t.field for t in added):
        new = [t for t in added if t.field == field]
        old = [t for t in dropped if t.field == field]
        if len(new) == 1 and len(old) == 1:  # one test of a field rewritten: say it as a change
            parts.append(f"changes {test_words(old[0])} → {test_words(new[0])}")
            added.remove(new[0])
            dropped.remove(old[0])
    if added:
        parts.append("adds " + "; ".join(test_words(t) for t in added))
    if dropped:
        parts.append("drops " + "; ".join(test_words(t) for t in dropped))
    if a.any_of != b.any_of:
        before = _any_words(a)
        after = _any_words(b)
        parts.append(f"when_any was {before}, now {after}")
    return ", ".join(parts) + f" (now: {condition_words(b)})"


def _any_words(condition) -> str:
    if not condition.any_of:
        return "none"
    return " | ".join("(" + " and ".join(test_words(t) for t in group) + ")" for group in condition.any_of)


def _limits(limits: dict, levels) -> str:
    return ", ".join(f"{level} {_show(limits.get(level))}" for level in levels)


def _period(window) -> str:
    counting = "" if window.roll_forward or window.unit not in ("calendar_days", "years") else " (no roll-forward)"
    return f"{window.amount} {window.unit.replace('_', ' ')} from {window.anchor}{counting}"


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _weekday(day: dt.date) -> str:
    return day.strftime("%A")


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
