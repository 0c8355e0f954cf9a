"""Compare two decisions field by field: the basis of replay and impact analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# What a what-if replay reports as a change of substance; the policy identity and
# the wording of the explanation change with every new policy text.
POLICY_IDENTITY = ("policy", "engine_version")
EXPLANATION = ("explanation",)


@dataclass(frozen=True)
class Difference:
    path: str
    before: object
    after: object

    def as_dict(self) -> dict:
        return {"path": self.path, "before": self.before, "after": self.after}


def differences(before: object, after: object, ignore: tuple[str, ...] = (), path: str = "") -> list[Difference]:
    """Every leaf that differs. Deadlines are matched by kind, not by position."""
    if path in ignore:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[Difference] = []
        for key in sorted(before.keys() | after.keys()):
            child = f"{path}.{key}" if path else str(key)
            found.extend(differences(before.get(key), after.get(key), ignore, child))
        return found
    if isinstance(before, list) and isinstance(after, list):
        if path == "deadlines":
            return differences(_by_kind(before), _by_kind(after), ignore, path)
        found = []
        for index in range(max(len(before), len(after))):
            left = before[index] if index < len(before) else None
            right = after[index] if index < len(after) else None
            found.extend(differences(left, right, ignore, f"{path}.{index}"))
        return found
    return [] if before == after else [Difference(path, before, after)]


def _by_kind(deadlines: list[dict]) -> dict:
    return {item.get("kind", str(index)): item for index, item in enumerate(deadlines)}


@dataclass
class Change:
    """How a decision changed under another policy, in the terms staff care about."""

    kinds: list[str]
    details: list[Difference]
    refund_before: Decimal
    refund_after: Decimal
    compensation_before: Decimal
    compensation_after: Decimal
    was_fallback: bool = False  # the recorded decision was counted on calendar.outside_known_years
    # (remedy type, who approves it) -> amount, before and after
    money_before: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    money_after: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.kinds)

    @property
    def changed_in_substance(self) -> bool:
        """Changed beyond the fallback's own flag and warning (deadlines, eligibility, remedy, route)."""
        return bool(set(self.kinds) - {"flags", "calendar"})


REFUND_TYPES = ("refund", "return_refund")
FALLBACK_LISTED = 1000  # fallback decisions that change, listed one by one (all are counted)
COMPENSATION_TYPES = ("compensation", "punitive_damages")


def classify(before: dict, after: dict) -> Change:
    details = differences(before, after, ignore=POLICY_IDENTITY + EXPLANATION)
    kinds = []
    paths = [d.path for d in details]

    def touched(*prefixes: str) -> bool:
        return any(p == prefix or p.startswith(prefix + ".") for p in paths for prefix in prefixes)

    if touched("route.team", "route.redirect"):
        kinds.append("route")
    if touched("route.level"):
        kinds.append("level")
    component_fields = {
        p.split(".", 3)[3].split(".")[0] for p in paths if p.startswith("remedy.components.") and p.count(".") >= 3
    }
    if [c["type"] for c in before["remedy"]["components"]] != [c["type"] for c in after["remedy"]["components"]]:
        kinds.append("remedy")
    else:
        if component_fields - {"amount", "approved_by", "capped_by"} or touched("remedy.reason", "remedy.rule"):
            kinds.append("remedy")
        if "amount" in component_fields:
            kinds.append("amount")
    if "approved_by" in component_fields or touched("remedy.approval"):
        kinds.append("approval")
    if touched("deadlines"):
        kinds.append("deadline")
    if touched("flags", "warnings"):
        kinds.append("flags")
    was_fallback = "calendar_fallback" in (before.get("flags") or [])
    if was_fallback and "calendar_fallback" not in (after.get("flags") or []):
        kinds.append("calendar")  # counted on the fallback before, on a listed year now
    return Change(
        kinds,
        details,
        _total(before, REFUND_TYPES),
        _total(after, REFUND_TYPES),
        _total(before, COMPENSATION_TYPES),
        _total(after, COMPENSATION_TYPES),
        was_fallback,
        _money(before),
        _money(after),
    )


def _approver(component: dict) -> str:
    approved = component.get("approved_by") or {}
    return approved.get("level") or approved.get("team") or "(none)"


def _money(decision: dict) -> dict[tuple[str, str], Decimal]:
    """Amounts of a decision's remedy components by (type, approver)."""
    money: dict[tuple[str, str], Decimal] = {}
    for component in decision["remedy"]["components"]:
        if component.get("amount") is not None:
            key = (component["type"], _approver(component))
            money[key] = money.get(key, Decimal("0.00")) + Decimal(component["amount"])
    return money


# Where each kind of change shows in a decision: the example of a kind names its own field first.
KIND_PATHS = {
    "route": ("route.team", "route.redirect"),
    "level": ("route.level",),
    "remedy": ("remedy.rule", "remedy.reason", "remedy.components"),
    "amount": ("remedy.components",),
    "approval": ("remedy.approval", "remedy.components"),
    "deadline": ("deadlines",),
    "flags": ("flags", "warnings"),
}
KIND_WORDS = {
    "route": "team or redirect changes",
    "level": "handling level changes",
    "remedy": "remedy changes",
    "amount": "amount changes",
    "approval": "approver changes",
    "deadline": "deadline changes",
    "flags": "flags or warnings change",
}


def kind_differences(kind: str, details: list[Difference]) -> list[Difference]:
    """The differences that make a change of ``kind``, most telling first (for examples)."""
    prefixes = KIND_PATHS.get(kind, ())

    def matches(d: Difference) -> bool:
        if kind == "amount":
            return d.path.startswith("remedy.components.") and d.path.endswith(".amount")
        if kind == "approval" and d.path.startswith("remedy.components."):
            return ".approved_by" in d.path
        return any(d.path == p or d.path.startswith(p + ".") for p in prefixes)

    return [d for d in details if matches(d)] or details


def value_words(value: object) -> str:
    """A decision value as a person reads it: no Python reprs, a deadline by its due time or what it waits for."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        if value.get("due_at"):
            return f"{value.get('kind', 'deadline')} due {value['due_at']}"
        if value.get("status") == "pending":
            waiting = (value.get("waiting_for") or {}).get("event", "an event")
            return f"{value.get('kind', 'deadline')} pending until {waiting}"
        if "type" in value and "amount" in value:
            return f"{value['type']} {value['amount'] if value['amount'] is not None else ''}".strip()
        return "; ".join(f"{k}: {value_words(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(value_words(v) for v in value) + "]" if value else "(none)"
    return str(value)


def _total(decision: dict, types: tuple[str, ...]) -> Decimal:
    totals = decision["remedy"]["totals"]
    return sum((Decimal(totals[t]) for t in types if t in totals), Decimal("0.00"))


@dataclass
class ImpactReport:
    """Aggregate of many what-if comparisons, with a few examples of each kind of change."""

    examples_per_kind: int = 3
    total: int = 0
    changed: int = 0
    errors: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[dict]] = field(default_factory=dict)
    refund_before: Decimal = Decimal("0.00")
    refund_after: Decimal = Decimal("0.00")
    compensation_before: Decimal = Decimal("0.00")
    compensation_after: Decimal = Decimal("0.00")
    # Recorded decisions counted on the calendar fallback, and those of them that now change.
    fallback: int = 0
    fallback_changed_count: int = 0
    fallback_changed: list[dict] = field(default_factory=list)  # the first FALLBACK_LISTED of them
    money: dict[tuple[str, str], list[Decimal]] = field(default_factory=dict)  # (type, approver) -> [before, after]

    def add(self, decision_id: str, change: Change, complaint_id: str | None = None) -> None:
        self.total += 1
        if change.was_fallback:
            self.fallback += 1
            if change.changed_in_substance:
                self.fallback_changed_count += 1
            if change.changed_in_substance and len(self.fallback_changed) < FALLBACK_LISTED:
                self.fallback_changed.append(
                    {
                        "decision_id": decision_id,
                        "kinds": [k for k in change.kinds if k not in ("flags", "calendar")],
                        "differences": [
                            d.as_dict() for d in change.details if not d.path.startswith(("flags", "warnings"))
                        ][:10],
                    }
                )
        self.refund_before += change.refund_before
        self.refund_after += change.refund_after
        self.compensation_before += change.compensation_before
        self.compensation_after += change.compensation_after
        for side, amounts in ((0, change.money_before), (1, change.money_after)):
            for key, amount in amounts.items():
                self.money.setdefault(key, [Decimal("0.00"), Decimal("0.00")])[side] += amount
        if not change.changed:
            return
        self.changed += 1
        for kind in change.kinds:
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            bucket = self.examples.setdefault(kind, [])
            if len(bucket) < self.examples_per_kind:
                shown = kind_differences(kind, change.details)[:10]
                bucket.append(
                    {
                        "decision_id": decision_id,
                        "complaint_id": complaint_id,
                        "differences": [d.as_dict() for d in shown],
                    }
                )

    def merge(self, later: ImpactReport) -> None:
        """Add the report of the decisions that come after this one's in chain order (a worker's
        range, audit/parallel.py): the counts and sums add up, the examples are the first ones of
        the two in order, so merging the ranges' reports in order gives the one-walk report."""
        self.total += later.total
        self.changed += later.changed
        self.errors += later.errors
        for kind, count in later.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + count
        for kind, shown in later.examples.items():
            bucket = self.examples.setdefault(kind, [])
            bucket.extend(shown[: max(0, self.examples_per_kind - len(bucket))])
        self.refund_before += later.refund_before
        self.refund_after += later.refund_after
        self.compensation_before += later.compensation_before
        self.compensation_after += later.compensation_after
        self.fallback += later.fallback
        self.fallback_changed_count += later.fallback_changed_count
        self.fallback_changed.extend(later.fallback_changed[: max(0, FALLBACK_LISTED - len(self.fallback_changed))])
        for key, (before, after) in later.money.items():
            totals = self.money.setdefault(key, [Decimal("0.00"), Decimal("0.00")])
            totals[0] += before
            totals[1] += after

    def _money_by(self, position: int) -> dict[str, tuple[Decimal, Decimal]]:
        totals: dict[str, tuple[Decimal, Decimal]] = {}
        for key, (before, after) in self.money.items():
            old_before, old_after = totals.get(key[position], (Decimal("0.00"), Decimal("0.00")))
            totals[key[position]] = (old_before + before, old_after + after)
        return dict(sorted(totals.items()))

    def as_dict(self) -> dict:
        return {
            "decisions": self.total,
            "changed": self.changed,
            "unchanged": self.total - self.changed,
            "errors": self.errors,
            "by_kind": dict(sorted(self.by_kind.items())),
            "totals": {
                "refund": {"before": f"{self.refund_before:.2f}", "after": f"{self.refund_after:.2f}"},
                "compensation": {
                    "before": f"{self.compensation_before:.2f}",
                    "after": f"{self.compensation_after:.2f}",
                },
            },
            "examples": self.examples,
            "calendar_fallback": {
                "recorded_on_fallback": self.fallback,
                "now_on_listed_calendar": self.by_kind.get("calendar", 0),
                "changed": self.fallback_changed_count,
                "decisions": self.fallback_changed,
            },
            "money": {
                "by_remedy_type": {
                    k: {"before": f"{b:.2f}", "after": f"{a:.2f}"} for k, (b, a) in self._money_by(0).items()
                },
                "by_approval": {
                    k: {"before": f"{b:.2f}", "after": f"{a:.2f}"} for k, (b, a) in self._money_by(1).items()
                },
            },
        }

    def as_text(self) -> str:
        """The report in words: each kind of change with its count and examples, then money moved."""
        lines = [
            f"{self.total} decisions replayed: {self.changed} would change, "
            f"{self.total - self.changed} unchanged, {self.errors} could not be decided"
        ]
        for kind, count in sorted(self.by_kind.items()):
            lines.append(f"{KIND_WORDS.get(kind, kind)}: {count} decision(s)")
            for item in self.examples.get(kind, []):
                who = item.get("complaint_id") or item["decision_id"]
                for difference in item["differences"][:3]:
                    lines.append(
                        f"  {who}  {difference['path']}  "
                        f"{value_words(difference['before'])} → {value_words(difference['after'])}"
                    )
        lines.append(
            f"refunds       {self.refund_before:.2f} → {self.refund_after:.2f}"
            f"  ({self.refund_after - self.refund_before:+.2f})"
        )
        lines.append(
            f"compensation  {self.compensation_before:.2f} → {self.compensation_after:.2f}"
            f"  ({self.compensation_after - self.compensation_before:+.2f})"
        )
        for title, totals in (("by remedy type", self._money_by(0)), ("by approval", self._money_by(1))):
            if totals:
                lines.append(f"money {title} (before → after):")
                width = max(len(k) for k in totals)
                for key, (before, after) in totals.items():
                    lines.append(f"  {key:<{width}}  {before:.2f} → {after:.2f}  ({after - before:+.2f})")
        if self.fallback:
            lines.append(
                f"calendar_fallback: {self.fallback} recorded decisions were counted on the calendar fallback; "
                f"{self.by_kind.get('calendar', 0)} are now counted on a listed year, "
                f"{self.fallback_changed_count} of them change beyond the flag:"
            )
            for item in self.fallback_changed:
                first = item["differences"][0] if item["differences"] else {}
                lines.append(
                    f"  {item['decision_id']} ({', '.join(item['kinds'])}): {first.get('path')}: "
                    f"{value_words(first.get('before'))} → {value_words(first.get('after'))}"
                )
        return "\n".join(lines)
