"""The route fact is serialised once for both rulesets: the deadline fact's text is made from the
route fact's text, and must be what serialising the deadline fact itself gives."""

from __future__ import annotations

import json

from bench.corpus import generate
from engine.complaint import ComplaintError, validate_complaint
from engine.facts import deadline_fact
from engine.runtime import fact_json, retyped_json
from rules.compiler import DEADLINE_FACT, ROUTE_FACT


def _traced(decider, count: int):
    for raw in generate(count, 23):
        try:
            complaint = validate_complaint(raw, decider.policy.levels)
        except ComplaintError:
            continue
        yield decider.decide_traced(complaint)


def test_deadline_text_is_the_deadline_fact_serialised(decider):
    seen = 0
    for _decision, facts in _traced(decider, 400):
        decided = {key: value for key, value in facts.deadline.items() if key.startswith("decision.")}
        made = retyped_json(fact_json(facts.route), ROUTE_FACT, DEADLINE_FACT, decided)
        assert made == fact_json(facts.deadline)
        seen += 1
    assert seen > 300


def test_deadline_fact_keeps_its_key_order():
    base = {"t": ROUTE_FACT, "channel": "app", "order.amount": 1990}
    fact = deadline_fact(base, "customer_service", "frontline", {"refund"}, False, ["vip"])
    keys = list(fact)
    assert keys[:3] == ["t", "channel", "order.amount"] and fact["t"] == DEADLINE_FACT
    assert keys[3:5] == ["decision.redirect", "decision.goods_return"]
    assert keys[-1] == "decision.flags.vip"


def test_a_text_not_led_by_its_type_is_reserialised():
    # Not what route_fact makes, but the helper must still give the deadline fact's text.
    text = fact_json({"channel": "app", "t": ROUTE_FACT})
    made = retyped_json(text, ROUTE_FACT, DEADLINE_FACT, {"decision.redirect": 1})
    assert json.loads(made) == {"channel": "app", "t": DEADLINE_FACT, "decision.redirect": 1}


def test_the_text_path_fires_what_the_dict_path_fires(decider):
    # The engine was given the deadline fact as text; firing the fact's dict gives the same rules.
    for _decision, facts in _traced(decider, 300):
        assert decider._deadline_engine.fire(facts.deadline) == facts.deadline_fired
        assert decider._route_engine.fire(facts.route) == facts.route_fired


def test_fact_text_is_what_json_dumps_writes(decider):
    facts = [facts.route for _decision, facts in _traced(decider, 100)]
    facts.append({"t": ROUTE_FACT, "order.merchant": "自营", "note": 'quote " and \\ and \n', "n": -3, "x": 1.5})
    for fact in facts:
        assert fact_json(fact) == json.dumps(fact, ensure_ascii=False, separators=(",", ":"))
