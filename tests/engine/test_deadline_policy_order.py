"""Deadline candidates are ranked in policy order, not in the order the engine fired them.

engine/deadlines.py binds the first of equal due times (and, while a candidate waits on an event,
the first rule) "in policy order". durable_rules fires in definition order unless a rule has a
priority (`pri`), so today the two agree; the decider no longer relies on it. The engine's answer
is replayed here in reverse, as a ruleset with priorities (or another engine) would give it.
"""

from __future__ import annotations

from engine.compiled import decider_for_text
from engine.decider import Decider
from engine.outcome_settings import CacheSettings
from rules.compiler import compile_policy
from rules.loader import load_policy_text
from tests.helpers.lifecycle_samples import DEFAULT_TEXT

PROBE = """  - id: D00_resolution_same_day
    kind: resolution
    description: Probe - every complaint not at manager level resolved within 24 hours.
    basis: internal SLA
    when: {decision.level: {not: manager}}
    due: {after: received, hours: 24}
"""


def _resolution(decider, complaint) -> tuple[str, list[str]]:
    decision = decider.decide(complaint)
    (resolution,) = [d for d in decision["deadlines"] if d["kind"] == "resolution"]
    return resolution["rule"], [c["rule"] for c in resolution["cited"]]


def test_the_first_of_equal_due_times_in_policy_order_binds_whatever_the_firing_order(complaint, monkeypatch):
    text = DEFAULT_TEXT.replace("  - id: D05_resolution_ordinary\n", PROBE + "  - id: D05_resolution_ordinary\n")
    assert text != DEFAULT_TEXT
    raw = complaint(category="other")
    in_order = decider_for_text(text, "policy order")
    assert _resolution(in_order, raw) == ("D00_resolution_same_day", ["D05_resolution_ordinary"])

    # A decider of its own (decider_for_text shares one per digest, with its outcome cache), answered in reverse.
    reversed_engine = Decider(compile_policy(load_policy_text(text, "reversed firing")), CacheSettings())
    engine = reversed_engine.deadline_rules.engine
    fire_json = engine.fire_json
    answers: list[list[str]] = []

    def in_reverse(fact: str) -> list[str]:
        answers.append(list(reversed(fire_json(fact))))
        return answers[-1]

    monkeypatch.setattr(engine, "fire_json", in_reverse)  # the native ruleset is shared: undone after the test
    assert _resolution(reversed_engine, raw) == ("D00_resolution_same_day", ["D05_resolution_ordinary"])
    assert answers and answers[-1].index("D05_resolution_ordinary") < answers[-1].index("D00_resolution_same_day")
    assert reversed_engine.decide(raw)["deadlines"] == in_order.decide(raw)["deadlines"]
