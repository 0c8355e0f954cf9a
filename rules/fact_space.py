"""A finite set of representative facts, to reason about conditions by example.

Every test compares one field with constants, so a field only needs one value
per way the policy's tests can tell values apart: each enum value, true/false,
absent where the field may be missing, and for amounts and counts every
threshold the policy uses, one fen (or one) below, at and above it. Values no
test can tell apart are merged, so the product over the fields a question
involves stays small. Fields that hang together are generated together: the
eligibility windows running from one date (a complaint within 7 days of
delivery is within 15 too) and the decision a deadline rule sees (a redirect
has no team, level or remedy).

`example_complaint` turns such a fact back into a complaint a caller could
send, so every lint finding can be replayed through the real engine.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from rules.calendar import CalendarError, WorkCalendar
from rules.conditions import Condition, Test
from rules.model import Policy, Window
from rules.vocabulary import INPUT_FLAGS, REMEDY_TYPES, FieldKind, decision_fields, fact_fields

MAX_COMBINATIONS = 200_000

# A representative fact, or part of one: flat dotted keys, enum values as strings, the rest as integers.
SpaceFact = dict[str, int | str]

_ALWAYS_PRESENT = (
    {
        "channel",
        "category",
        "received_on_working_day",
        "order.amount",
        "order.goods_type",
        "customer.tier",
        "customer.complaints_last_30_days",
        "decision.redirect",
        "decision.goods_return",
    }
    | {f"flags.{flag}" for flag in INPUT_FLAGS}
    | {f"decision.remedy.{kind}" for kind in REMEDY_TYPES}
)
_DECISION_GROUP = ("decision.redirect", "decision.team", "decision.level")
_DATE_PRESENT = 1  # dates are only ever tested with `present`


class TooManyCombinations(ValueError):
    """The fields a question involves have too many representative combinations to try."""


class FactSpace:
    def __init__(self, policy: Policy):
        self.policy = policy
        output_flags = tuple(
            sorted(
                set(INPUT_FLAGS) | {flag for rule in policy.routing for flag in rule.then.flags} | {"calendar_fallback"}
            )
        )
        windows = tuple(w.id for w in policy.windows)
        self.kinds: dict[str, FieldKind] = {
            **fact_fields(policy.levels, policy.teams, windows, output_flags),
            **decision_fields(policy.levels, policy.teams, output_flags),
        }
        self.thresholds: dict[str, set[int]] = {}
        for rule in policy.all_rules:
            for test in _tests(rule.condition):
                if self.kinds.get(test.field, FieldKind("")).kind in ("money", "count") and test.op != "present":
                    # `in` / `not_in` hold several values: each is a threshold of its own.
                    values = test.value if isinstance(test.value, tuple) else (test.value,)
                    self.thresholds.setdefault(test.field, set()).update(int(v) for v in values)
        # Windows by the date they run from, shortest first.
        self.windows_of: dict[str, list[Window]] = {}
        for window in policy.windows:
            self.windows_of.setdefault(window.anchor, []).append(window)
        for group in self.windows_of.values():
            group.sort(key=_approx_days)
        self.anchor_of = {f"within.{w.id}": w.anchor for w in policy.windows}

    # -- values -------------------------------------------------------------

    def optional(self, field: str) -> bool:
        return field not in _ALWAYS_PRESENT

    def values(self, field: str) -> list[SpaceFact]:
        """Candidate (partial) facts for one plain field; {} means the field is absent."""
        kind = self.kinds[field]
        if field.startswith("decision.flags."):
            return [{field: 1}, {}]
        found: list[SpaceFact]
        if kind.kind == "enum":
            found = [{field: value} for value in kind.values]
        elif kind.kind == "bool":
            found = [{field: 1}, {field: 0}]
        elif kind.kind in ("money", "count"):
            numbers = {0}
            for limit in self.thresholds.get(field, ()):
                numbers.update(n for n in (limit - 1, limit, limit + 1) if n >= 0)
            found = [{field: n} for n in sorted(numbers)]
        else:  # date
            found = [{field: _DATE_PRESENT}]
        return found + ([{}] if self.optional(field) else [])

    def window_values(self, anchor: str) -> list[SpaceFact]:
        """The anchor date absent, or present with the complaint inside the k longest windows."""
        windows = self.windows_of.get(anchor, [])
        lengths = sorted({_approx_days(w) for w in windows})
        found: list[SpaceFact] = [{}]
        for slot in range(len(lengths) + 1):
            fact: SpaceFact = {anchor: _DATE_PRESENT}
            for window in windows:
                fact[f"within.{window.id}"] = int(lengths.index(_approx_days(window)) >= slot)
            found.append(fact)
        return found

    def decision_values(self, fields: set[str]) -> list[SpaceFact]:
        """Decisions a deadline rule may see: a redirect (no team, level or remedy) or a handled complaint."""
        remedies = sorted(f for f in fields if f.startswith("decision.remedy.") or f == "decision.goods_return")
        found: list[SpaceFact] = [{"decision.redirect": 1, **{f: 0 for f in remedies}}]
        for team, level in itertools.product(self.policy.teams, self.policy.levels):
            for bits in itertools.product((1, 0), repeat=len(remedies)):
                found.append(
                    {
                        "decision.redirect": 0,
                        "decision.team": team,
                        "decision.level": level,
                        **dict(zip(remedies, bits, strict=True)),
                    }
                )
        return found

    # -- enumeration --------------------------------------------------------

    def groups(self, fields: set[str], fixed: SpaceFact | None = None) -> list[tuple[set[str], list[SpaceFact]]]:
        """Independent groups of fields with their candidate partial facts."""
        fixed = fixed or {}
        pending = set(fields) | set(fixed)
        result: list[tuple[set[str], list[SpaceFact]]] = []
        decision = {
            f
            for f in pending
            if f in _DECISION_GROUP or f.startswith("decision.remedy.") or f == "decision.goods_return"
        }
        if decision:
            result.append((decision | set(_DECISION_GROUP), self.decision_values(decision)))
            pending -= decision
        anchors = {self.anchor_of.get(f, f) for f in pending if f in self.anchor_of or f in self.windows_of}
        for anchor in sorted(anchors):
            members = {anchor} | {f"within.{w.id}" for w in self.windows_of[anchor]}
            result.append((members, self.window_values(anchor)))
            pending -= members
        for field in sorted(pending):
            result.append(({field}, self.values(field)))
        narrowed = []
        for members, candidates in result:
            pinned = {f: v for f, v in fixed.items() if f in members}
            if pinned:
                candidates = [c for c in candidates if all(c.get(f) == v for f, v in pinned.items())]
            narrowed.append((members, candidates))
        return narrowed

    def facts(self, conditions: list[Condition], fixed: SpaceFact | None = None) -> Iterator[SpaceFact]:
        """Representative facts over the fields ``conditions`` test: one per way they can be told apart."""
        tests = [t for condition in conditions for t in _tests(condition)]
        fields = {t.field for t in tests}
        reduced = []
        for members, candidates in self.groups(fields, fixed):
            mine = [t for t in tests if t.field in members]
            seen, keep = set(), []
            for candidate in candidates:
                signature = tuple(t.matches(candidate) for t in mine)
                if signature not in seen:
                    seen.add(signature)
                    keep.append(candidate)
            reduced.append(keep)
        total = 1
        for keep in reduced:
            total *= len(keep)
        if total > MAX_COMBINATIONS:
            raise TooManyCombinations(f"{total} combinations")
        for combo in itertools.product(*reduced):
            fact: SpaceFact = {}
            for part in combo:
                fact.update(part)
            yield fact

    # -- examples -----------------------------------------------------------

    def example_complaint(self, fact: SpaceFact) -> dict[str, Any]:
        """A complaint (JSON-ready, as a caller sends it) whose engine fact agrees with ``fact``."""
        policy = self.policy
        calendar = WorkCalendar(policy.calendar, policy.timezone)
        start = policy.effective_from.astimezone(calendar.tz).date() + dt.timedelta(days=14)
        wanted_working = fact.get("received_on_working_day", 1)
        day = start
        for offset in range(60):
            candidate = start + dt.timedelta(days=offset)
            if _working(calendar, candidate) == bool(wanted_working):
                day = candidate
                break
        received = dt.datetime.combine(day, dt.time(10, 0), tzinfo=calendar.tz)
        complaint: dict[str, Any] = {
            "complaint_id": "lint-example",
            "received_at": received.isoformat(),
            "channel": fact.get("channel", "online_chat"),
            "category": fact.get("category", "other"),
            "order": {"amount": _money(fact.get("order.amount", 10000))},
        }
        dates: dict[str, dt.datetime] = {}
        for anchor, windows in self.windows_of.items():
            if anchor not in fact:
                continue
            wanted = {w: fact[f"within.{w.id}"] for w in windows if f"within.{w.id}" in fact}
            dates[anchor] = _anchor_for(calendar, received, wanted, anchor)
        for field, value in fact.items():
            if self.kinds.get(field, FieldKind("")).kind == "date" and value == _DATE_PRESENT and field not in dates:
                dates[field] = received - dt.timedelta(days=1)
        if "order.paid_at" in dates:
            earliest = min([received, *(d for f, d in dates.items() if f.startswith("order."))])
            dates["order.paid_at"] = earliest - dt.timedelta(days=1)
        for field, value in sorted(fact.items()):
            section, _, name = field.partition(".")
            if field in ("channel", "category", "received_on_working_day", "order.amount") or section in (
                "within",
                "decision",
            ):
                continue
            if field in dates:
                value = dates[field].isoformat()
            elif section == "flags":
                if value:
                    complaint.setdefault("flags", []).append(name)
                continue
            elif field == "claim.amount":
                value = _money(value)
            elif field == "history.resolution_overdue":
                value = bool(value)
            complaint.setdefault(section, {})[name] = value
        return complaint


def _working(calendar: WorkCalendar, day: dt.date) -> bool:
    try:
        return calendar.is_working_day(day)
    except CalendarError:
        return day.isoweekday() not in calendar.spec.weekend


# Order times a complaint may report ahead of its receipt (engine.complaint: the others may not).
MAY_LIE_AHEAD = frozenset({"order.promised_delivery_at"})


def _anchor_for(
    calendar: WorkCalendar, received: dt.datetime, wanted: dict[Window, int | str], anchor_field: str = ""
) -> dt.datetime:
    """A date from which exactly the wanted windows include ``received``: before it, or ahead where allowed."""
    horizon = max((_approx_days(w) for w in wanted), default=1) * 2 + 60
    offsets = [-back for back in range(1, int(horizon))]
    if anchor_field in MAY_LIE_AHEAD:
        offsets += list(range(1, 8))
    for offset in offsets:
        anchor = received + dt.timedelta(days=offset)
        try:
            got = {w: int(calendar.within(anchor, received, w.unit, w.amount, None, w.roll_forward)) for w in wanted}
        except CalendarError:
            continue
        if got == wanted:
            return anchor
    return received - dt.timedelta(days=1)


def _approx_days(window: Window) -> float:
    return {"calendar_days": 1.0, "working_days": 1.4, "years": 365.25, "hours": 1 / 24}[window.unit] * window.amount


def _money(fen: int | str) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def _tests(condition: Condition) -> list[Test]:
    return [*condition.all_of, *(t for group in condition.any_of for t in group)]


def describe_fact(fact: SpaceFact, fields: set[str] | None = None) -> str:
    """The fact in the policy's words; ``fields`` the conditions test are named even when absent."""
    from rules.wording import value_words

    parts = []
    for field in sorted(set(fact) | set(fields or ())):
        if field not in fact:
            if not field.startswith(("within.", "decision.team", "decision.level")):
                parts.append(f"{field} not given")
            continue
        value = fact[field]
        if value == _DATE_PRESENT and field.endswith("_at"):
            parts.append(f"{field} given")
        else:
            parts.append(f"{field}={value_words(field, value)}")
    return ", ".join(parts)
