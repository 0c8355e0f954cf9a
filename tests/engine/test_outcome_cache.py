"""The outcome cache answers what durable_rules answers: facts of one key fire the same rules.

The cache is exact by construction (each test compares a field with a constant; the key keeps,
per field, where the value falls among those constants); these tests hold the construction to
the engine: over the corpus, over facts drawn around every threshold of the default policy, and
over facts the key must not classify.
"""

from __future__ import annotations

import random

import pytest

from bench.corpus import generate
from canonical import canonical_json
from engine.decider import Decider
from engine.outcome_cache import CachedRules, CacheMismatch, FactKey
from engine.outcome_settings import CacheSettings
from engine.runtime import EngineError, fact_json, native_ruleset
from rules.compiler import compile_policy
from rules.fact_space import FactSpace
from tests.helpers.threads import run_in_threads


def _decider(policy, mode: str, size: int = 16_384) -> Decider:
    return Decider(compile_policy(policy), CacheSettings(mode, size))


def _outputs(decider: Decider, raws: list[dict]) -> list[str]:
    out = []
    for raw in raws:
        try:
            out.append(canonical_json(decider.decide(raw)))
        except Exception as exc:  # the corpus holds invalid complaints: their refusal must match too
            out.append(f"{type(exc).__name__}: {exc}")
    return out


def test_decisions_are_byte_identical_with_the_cache_on_off_and_verifying(policy):
    raws = list(generate(3000, 41))
    off = _outputs(_decider(policy, "off"), raws)
    on = _decider(policy, "on")
    assert _outputs(on, raws) == off
    assert on.route_rules.hits > 1000 and on.deadline_rules.hits > 2000  # the corpus repeats classes
    assert _outputs(on, raws) == off  # second pass: every answer from the cache
    assert _outputs(_decider(policy, "verify"), raws) == off


def _random_fact(space: FactSpace, fields: list[str], rng: random.Random, fact_type: str) -> dict:
    """A fact with each field drawn among its representative values (every threshold -1, at, +1)."""
    fact: dict = {"t": fact_type}
    for field in fields:
        fact.update(rng.choice(space.values(field)))
    return fact


def _sibling(fact: dict, space: FactSpace, fields: list[str], rng: random.Random) -> dict:
    """``fact`` with some fields changed: an amount or count moved inside its interval between two
    thresholds of the policy (so no test tells the two apart), any other field drawn again (so the
    key decides whether that field matters)."""
    sibling = dict(fact)
    for field in fields:
        if field == "category" or rng.random() < 0.75:
            continue
        value = fact.get(field)
        if field in space.thresholds and isinstance(value, int):
            points = sorted(space.thresholds[field])
            if value in points:
                continue
            low = max([p for p in points if p < value], default=-1)
            high = min([p for p in points if p > value], default=value + 1000)
            sibling[field] = rng.randint(low + 1, high - 1)
        else:
            sibling.pop(field, None)
            sibling.update(rng.choice(space.values(field)))
    return sibling


@pytest.mark.parametrize("stage", ["route", "deadline"])
def test_facts_of_one_key_fire_the_same_rules(policy, stage):
    compiled = compile_policy(policy)
    space = FactSpace(policy)
    definition = compiled.route_ruleset if stage == "route" else compiled.deadline_ruleset
    name = compiled.names[0 if stage == "route" else 1]
    fact_type = "complaint" if stage == "route" else "decision"
    # Every fact carries its category (the key's partition), tested by the ruleset or not.
    fields = sorted({field for field in space.kinds if f'"{field}"' in fact_json(definition)} | {"category"})
    rules = CachedRules(native_ruleset(name, definition), definition, CacheSettings("verify"))
    rng = random.Random(7)
    shared = 0
    for _ in range(4000):
        fact = _random_fact(space, fields, rng, fact_type)
        sibling = _sibling(fact, space, fields, rng)
        key = rules.key(fact)
        assert key is not None
        rules.fire(key, fact_json(fact))
        if sibling != fact and rules.key(sibling) == key:
            shared += 1
            rules.fire(key, fact_json(sibling))  # CacheMismatch if the engine tells them apart
    assert shared > 100  # pairs of different facts under one key, each compared by the engine


def test_a_threshold_separates_keys_and_values_between_thresholds_share_one(decider):
    key = FactKey(decider.compiled.route_ruleset)
    base = {"t": "complaint", "category": "quality_defect", "order.amount": 100}
    at = dict(base, **{"order.amount": 200000})  # R05: above 2,000.00
    assert key(base) == key(dict(base, **{"order.amount": 150000}))
    assert key(at) != key(dict(base, **{"order.amount": 200001}))
    assert key(at) != key(base)
    assert key(base) != key({k: v for k, v in base.items() if k != "order.amount"})  # absent is its own class


def test_a_category_key_leaves_out_what_only_other_categories_test(decider):
    key = FactKey(decider.compiled.route_ruleset)
    quality = {"t": "complaint", "category": "quality_defect", "claim.remedy": "refund"}
    # claim.remedy is tested only by wrong/missing-item and transit rules: irrelevant to quality_defect.
    assert key(quality) == key(dict(quality, **{"claim.remedy": "exchange"}))
    transit = dict(quality, category="damaged_in_transit")
    assert key(transit) != key(dict(transit, **{"claim.remedy": "exchange"}))


def test_values_the_key_does_not_classify_go_to_the_engine(decider):
    rules = decider.route_rules
    fact = {"t": "complaint", "category": "quality_defect", "channel": "app", "order.amount": 1.5}
    assert rules.key(fact) is None
    assert rules.key(dict(fact, **{"order.amount": "200"})) is None
    assert rules.key({"t": "complaint"}) is None  # no category
    assert rules.fired(fact) == decider._route_engine.fire(fact)


def test_verify_mode_catches_a_wrong_answer(decider):
    compiled = decider.compiled
    rules = CachedRules(decider._route_engine, compiled.route_ruleset, CacheSettings("verify"))
    fact = {"t": "complaint", "category": "service_attitude", "channel": "app"}
    key = rules.key(fact)
    rules.fire(key, fact_json(fact))
    rules._outcomes[key] = ("R01_regulator_channel",)  # what a wrong key would have stored
    with pytest.raises(CacheMismatch, match="R01_regulator_channel"):
        rules.fire(key, fact_json(fact))


def test_the_cache_holds_at_most_its_size_oldest_out_first(policy):
    decider = _decider(policy, "on", size=50)
    raws = list(generate(600, 5))
    _outputs(decider, raws)
    assert len(decider.route_rules) == 50
    assert _outputs(decider, raws) == _outputs(_decider(policy, "off"), raws)


def test_off_and_a_zero_size_never_cache(policy, monkeypatch):
    assert CacheSettings.from_env({"COMPLAINTS_OUTCOME_CACHE_SIZE": "0"}).mode == "off"
    decider = _decider(policy, "off")
    _outputs(decider, list(generate(50, 3)))
    assert len(decider.route_rules) == 0 and decider.route_rules.hits == 0


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"COMPLAINTS_OUTCOME_CACHE": "sometimes"}, "expected one of on, off, verify"),
        ({"COMPLAINTS_OUTCOME_CACHE_SIZE": "-1"}, "expected a whole number"),
        ({"COMPLAINTS_OUTCOME_CACHE_SIZE": "lots"}, "COMPLAINTS_OUTCOME_CACHE_SIZE='lots'"),
    ],
)
def test_settings_name_the_variable_and_what_it_expects(environ, message):
    with pytest.raises(ValueError, match=message):
        CacheSettings.from_env(environ)


def test_settings_default_to_on():
    assert CacheSettings.from_env({}) == CacheSettings("on", 16_384)
    assert CacheSettings.from_env({"COMPLAINTS_OUTCOME_CACHE": " Verify "}).mode == "verify"


def test_threads_sharing_one_cache_agree_with_the_engine(policy):
    decider = _decider(policy, "verify")
    raws = list(generate(800, 13))
    expected = _outputs(_decider(policy, "off"), raws)
    results: dict[int, list[str]] = {}

    def run(index: int) -> None:
        results[index] = _outputs(decider, raws)

    run_in_threads(run, 4, with_index=True)
    assert all(result == expected for result in results.values())


def test_the_service_refuses_to_start_on_a_bad_cache_setting():
    from api.settings import ConfigError, load_settings

    with pytest.raises(ConfigError, match="COMPLAINTS_OUTCOME_CACHE='maybe': expected one of on, off, verify"):
        load_settings(environ={"COMPLAINTS_OUTCOME_CACHE": "maybe"})
    assert load_settings(environ={"COMPLAINTS_OUTCOME_CACHE": "verify"}).env == "development"


def test_key_functions_are_bounded_whatever_categories_come(decider):
    from engine.outcome_cache import MAX_PARTITIONS

    key = FactKey(decider.compiled.route_ruleset)
    for number in range(MAX_PARTITIONS):
        assert key({"t": "complaint", "category": f"made-up-{number}", "channel": "app"}) is not None
    assert key({"t": "complaint", "category": "one more", "channel": "app"}) is None  # the engine decides it
    assert key({"t": "complaint", "category": "made-up-0", "channel": "app"}) is not None  # kept ones still work


def test_the_command_line_refuses_a_bad_cache_setting_in_one_line(tmp_path):
    from click.testing import CliRunner

    from cli.main import cli

    result = CliRunner().invoke(cli, ["check"], env={"COMPLAINTS_OUTCOME_CACHE": "bogus"})
    assert result.exit_code == 1
    assert result.output.strip() == "Error: COMPLAINTS_OUTCOME_CACHE='bogus': expected one of on, off, verify"


def _deadline_fact(tier: object, working: int) -> dict:
    return {
        "t": "decision",
        "category": "service_attitude",
        "channel": "app",
        "received_on_working_day": working,
        "customer.tier": tier,
        "decision.redirect": 0,
        "decision.team": "customer_service",
        "decision.level": "agent",
    }


@pytest.mark.parametrize("working", [1, 0])
def test_a_null_tier_after_a_regular_one_goes_to_the_engine(decider, working):
    """Issue 24, item 10: the cache classed null with "some other string" (D03/D04 "not vip"), while
    durable_rules holds no comparison on null; verify mode raised CacheMismatch and the cache on
    scheduled a first-response deadline the engine does not."""
    compiled = decider.compiled
    engine = decider._deadline_engine
    regular, null = _deadline_fact("regular", working), _deadline_fact(None, working)
    first_response = "D03_first_response_working" if working else "D04_first_response_non_working"
    assert first_response in engine.fire(regular) and first_response not in engine.fire(null)
    verify = CachedRules(engine, compiled.deadline_ruleset, CacheSettings("verify"))
    on = CachedRules(engine, compiled.deadline_ruleset, CacheSettings("on"))
    for rules in (verify, on):
        assert rules.fired(regular) == engine.fire(regular)
        assert rules.key(null) is None
        assert rules.fired(null) == engine.fire(null)  # no CacheMismatch; on == off


@pytest.mark.parametrize(
    "value",
    [None, True, False, 1.0, 150000.0, "150000", [], {}, ["vip"], 2**63, -(2**63) - 1],
    ids=repr,
)
def test_the_key_classifies_only_values_of_the_constants_type(decider, value):
    rules = CachedRules(decider._route_engine, decider.compiled.route_ruleset, CacheSettings("verify"))
    base = {"t": "complaint", "category": "quality_defect", "channel": "app", "order.amount": 150000}
    assert rules.key(base) is not None
    for field in ("order.amount", "channel"):
        fact = dict(base, **{field: value})
        if type(value) is str and field == "channel":  # a string among strings: classified ("other")
            continue
        assert rules.key(fact) is None, field
        try:
            expected = decider._route_engine.fire(fact)
        except EngineError:
            continue
        assert rules.fired(fact) == expected


def test_a_field_the_engine_reads_through_a_nested_object_goes_to_the_engine(decider):
    rules = CachedRules(decider._route_engine, decider.compiled.route_ruleset, CacheSettings("verify"))
    fact = {"t": "complaint", "category": "quality_defect", "channel": "app", "order": {"amount": 300000}}
    assert rules.key(fact) is None
    assert rules.fired(fact) == decider._route_engine.fire(fact)
