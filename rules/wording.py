"""Rule parts in plain words, for lint findings, policy-test reports and policy diffs."""

from __future__ import annotations

from decimal import Decimal

from rules.conditions import Condition, Test
from rules.model import AmountSpec, Component, Due, RouteOutcome

_MONEY_FIELDS = ("order.amount", "claim.amount")


def money(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def value_words(field: str, value: object) -> str:
    """A fact value as the policy author wrote it: 2000.00 for money, true/false for flags."""
    if field in _MONEY_FIELDS and isinstance(value, int):
        return money(value)
    if _is_bool_field(field) and value in (0, 1):
        return "true" if value else "false"
    return str(value)


def _is_bool_field(field: str) -> bool:
    return field.startswith(("flags.", "within.", "decision.remedy.", "decision.flags.")) or field in (
        "received_on_working_day",
        "history.resolution_overdue",
        "decision.redirect",
        "decision.goods_return",
    )


def test_words(test: Test) -> str:
    field, op, value = test.field, test.op, test.value
    if op == "present":
        return f"{field} is given" if value else f"{field} is not given"
    if op == "eq":
        return f"{field} is {value_words(field, value)}"
    if op == "in":
        return f"{field} is one of {', '.join(value_words(field, v) for v in test.items)}"
    if op == "not":
        return f"{field} is not {value_words(field, value)}"
    if op == "not_in":
        return f"{field} is none of {', '.join(value_words(field, v) for v in test.items)}"
    word = {"above": "above", "at_least": "at least", "below": "below", "at_most": "at most"}[op]
    return f"{field} {word} {value_words(field, value)}"


def condition_words(condition: Condition) -> str:
    parts = [test_words(test) for test in condition.all_of]
    if condition.any_of:
        groups = [" and ".join(test_words(t) for t in group) or "always" for group in condition.any_of]
        parts.append("at least one of: " + " | ".join(f"({g})" for g in groups))
    return "; ".join(parts) if parts else "always (no conditions)"


def outcome_words(then: RouteOutcome) -> str:
    parts = []
    if then.redirect:
        parts.append(f"redirect: {then.redirect}")
    if then.team:
        parts.append(f"team {then.team}")
    if then.min_level:
        parts.append(f"level at least {then.min_level}")
    if then.escalate_above:
        parts.append(f"one level above {then.escalate_above}")
    if then.flags:
        parts.append("flags " + ", ".join(then.flags))
    return "; ".join(parts)


def amount_words(spec: AmountSpec | None) -> str:
    if spec is None:
        return ""
    if spec.fixed is not None:
        text = f"{spec.fixed:.2f}"
    else:
        text = spec.of or ""
        if spec.percent is not None:
            text = f"{spec.percent}% of {text}"
        if spec.times is not None:
            text = f"{spec.times} times {text}"
    if spec.min is not None:
        text += f", at least {spec.min:.2f}"
    if spec.max is not None:
        text += f", at most {spec.max:.2f}"
    return text


def component_words(component: Component) -> str:
    text = component.type
    if component.amount is not None:
        text += f" ({amount_words(component.amount)})"
    if component.goods_return:
        text += ", goods returned"
    if component.return_shipping_paid_by:
        text += f", return shipping paid by {component.return_shipping_paid_by}"
    if component.outbound_shipping_paid_by:
        text += f", outbound shipping paid by {component.outbound_shipping_paid_by}"
    return text


def due_words(due: Due) -> str:
    if due.with_kind:
        return f"with the {due.with_kind} deadline"
    assert due.unit is not None  # without `with`, the schema requires `after` and exactly one period
    return f"{due.amount} {due.unit.replace('_', ' ')} after {due.after}"
