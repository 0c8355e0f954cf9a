"""Rule parts in plain words, for lint findings, policy-test reports and policy diffs.

English by default (the words the JSON carries and the decision cites); ``lang="zh"`` gives
the Chinese of the catalog (rules/messages.py SENTENCES). Field names, values and ids are the
policy's own in both.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rules.conditions import Condition, Test
from rules.messages import sentence
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


def _sep(key: str, lang: str) -> str:
    return sentence(key, lang)


def test_words(test: Test, lang: str = "en") -> str:
    field, op, value = test.field, test.op, test.value
    if op == "present":
        return sentence("words.given" if value else "words.not_given", lang, field=field)
    if op in ("eq", "not"):
        return sentence(f"words.{op}", lang, field=field, value=value_words(field, value))
    if op in ("in", "not_in"):
        values = _sep("sep.list", lang).join(value_words(field, v) for v in test.items)
        return sentence(f"words.{op}", lang, field=field, values=values)
    return sentence(f"words.{op}", lang, field=field, value=value_words(field, value))


def tests_words(tests: Iterable[Test], lang: str = "en") -> str:
    """Tests that must all hold, joined by `and`."""
    return _sep("sep.and", lang).join(test_words(t, lang) for t in tests)


def condition_words(condition: Condition, lang: str = "en") -> str:
    parts = [test_words(test, lang) for test in condition.all_of]
    if condition.any_of:
        groups = [tests_words(group, lang) or sentence("words.always", lang) for group in condition.any_of]
        parts.append(sentence("words.any_of", lang, groups=" | ".join(f"({g})" for g in groups)))
    return _sep("sep.parts", lang).join(parts) if parts else sentence("words.no_conditions", lang)


def outcome_words(then: RouteOutcome, lang: str = "en") -> str:
    parts = []
    if then.redirect:
        parts.append(sentence("words.redirect", lang, reason=then.redirect))
    if then.team:
        parts.append(sentence("words.team", lang, team=then.team))
    if then.min_level:
        parts.append(sentence("words.min_level", lang, level=then.min_level))
    if then.escalate_above:
        parts.append(sentence("words.escalate", lang, level=then.escalate_above))
    if then.flags:
        parts.append(sentence("words.flags", lang, flags=", ".join(then.flags)))
    return _sep("sep.parts", lang).join(parts)


def amount_words(spec: AmountSpec | None, lang: str = "en") -> str:
    if spec is None:
        return ""
    if spec.fixed is not None:
        text = f"{spec.fixed:.2f}"
    else:
        text = spec.of or ""
        if spec.percent is not None:
            text = sentence("words.percent_of", lang, percent=spec.percent, of=text)
        if spec.times is not None:
            text = sentence("words.times_of", lang, times=spec.times, of=text)
    if spec.min is not None:
        text += sentence("words.at_least_amount", lang, amount=f"{spec.min:.2f}")
    if spec.max is not None:
        text += sentence("words.at_most_amount", lang, amount=f"{spec.max:.2f}")
    return text


def component_words(component: Component, lang: str = "en") -> str:
    text = component.type
    if component.amount is not None:
        text += sentence("words.component_amount", lang, amount=amount_words(component.amount, lang))
    if component.goods_return:
        text += sentence("words.goods_returned", lang)
    if component.return_shipping_paid_by:
        text += sentence("words.return_paid_by", lang, who=component.return_shipping_paid_by)
    if component.outbound_shipping_paid_by:
        text += sentence("words.outbound_paid_by", lang, who=component.outbound_shipping_paid_by)
    return text


def due_words(due: Due, lang: str = "en") -> str:
    if due.with_kind:
        return sentence("words.due_with", lang, kind=due.with_kind)
    assert due.unit is not None  # without `with`, the schema requires `after` and exactly one period
    unit = sentence(f"unit.{due.unit}", lang)
    return sentence("words.due_after", lang, amount=due.amount, unit=unit, after=due.after)
