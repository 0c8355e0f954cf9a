"""engine/deadlines.py: the plan made once per policy and the order kinds are settled in."""

from __future__ import annotations

import dataclasses

from engine.complaint import validate_complaint
from engine.deadlines import plan, schedule
from rules.calendar import CountingTrace, WorkCalendar
from rules.model import Due
from tests.conftest import make_complaint


def _with_a_note_due_with_refund(policy):
    """The policy plus a `note` kind due together with the refund, listed before the refund rules."""
    d07 = next(rule for rule in policy.deadlines if rule.info.id == "D07_refund_after_return")
    note = dataclasses.replace(
        d07,
        info=dataclasses.replace(d07.info, id="DX_note_with_refund"),
        kind="note",
        due=Due(after=None, with_kind="refund", unit=None, amount=None),
        legal=False,
    )
    return dataclasses.replace(policy, deadlines=(note, *policy.deadlines)), note, d07


def test_the_plan_words_each_rule_once(policy):
    planned = plan(policy)
    d07 = planned.rules["D07_refund_after_return"]
    assert d07.period == {"after": "return_received", "calendar_days": 7}
    assert d07.path == ("history", "return_received_at")
    assert d07.waiting == {"event": "return_received", "label": policy.events["return_received"].label}
    assert planned.rules["D09_refund_without_return"].period == {"with": "resolution"}
    assert planned.kinds == tuple(dict.fromkeys(rule.kind for rule in policy.deadlines))


def test_a_kind_due_with_another_is_settled_after_it_whatever_order_they_fired_in(policy):
    extended, note, d07 = _with_a_note_due_with_refund(policy)
    complaint = validate_complaint(
        make_complaint(history={"return_received_at": "2026-11-05T10:00:00+08:00"}), policy.levels
    )
    calendar = WorkCalendar(policy.calendar, policy.timezone)
    for fired in ([note, d07], [d07, note]):
        deadlines = schedule(fired, complaint, extended, calendar, CountingTrace(), None, plan(extended))
        by_kind = {d["kind"]: d for d in deadlines}
        assert by_kind["refund"]["due_at"] == "2026-11-12T23:59:59+08:00"
        assert by_kind["note"]["due_at"] == by_kind["refund"]["due_at"]
        assert by_kind["note"]["status"] == "scheduled"
        assert [d["kind"] for d in deadlines] == ["note", "refund"]  # reported in policy order


def test_a_kind_due_with_one_that_did_not_fire_waits_for_it(policy):
    extended, note, _ = _with_a_note_due_with_refund(policy)
    complaint = validate_complaint(make_complaint(), policy.levels)
    calendar = WorkCalendar(policy.calendar, policy.timezone)
    (deadline,) = schedule([note], complaint, extended, calendar, CountingTrace())
    assert deadline["status"] == "pending"
    assert deadline["waiting_for"] == {"deadline": "refund"}
    assert deadline["counting"] == "due together with the `refund` deadline"
