"""The fast validation path gives exactly what the marshmallow schema gives, or declines."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.corpus import generate
from canonical import canonical_json
from engine.complaint import ComplaintError, complaint_schema
from engine.fast_path import fast_load
from tests.engine.test_properties import invalid_complaints, valid_complaints

LEVELS = ("frontline", "supervisor", "manager")


def _slow(raw):
    return complaint_schema(LEVELS).load(copy.deepcopy(raw))


def _same(fast: dict, slow: dict) -> None:
    # canonical_json writes times with their offsets, so 10:00+08:00 and 02:00Z differ here as they would in a decision.
    assert canonical_json(fast) == canonical_json(slow)


def test_every_corpus_complaint_takes_the_fast_path_with_the_same_result():
    for raw in generate(3000, seed=11):
        fast = fast_load(raw, LEVELS)
        assert fast is not None, raw
        _same(fast, _slow(raw))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=valid_complaints())
def test_valid_complaints_agree(raw):
    fast = fast_load(raw, LEVELS)
    if fast is not None:
        _same(fast, _slow(raw))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=invalid_complaints())
def test_invalid_complaints_are_always_declined(case):
    raw, _field = case
    assert fast_load(raw, LEVELS) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=valid_complaints(),
    path=st.sampled_from(
        [
            ("order", "amount"),
            ("customer", "complaints_last_30_days"),
            ("history", "repairs"),
            ("history", "resolution_overdue"),
            ("received_at",),
            ("flags",),
            ("claim", "amount"),
        ]
    ),
    value=st.one_of(
        st.booleans(),
        st.none(),
        st.floats(allow_nan=True),
        st.text(max_size=5),
        st.integers(-5, 10**12),
        st.lists(st.integers(), max_size=2),
    ),
)
def test_odd_values_are_declined_or_agree(raw, path, value):
    """Whatever a field holds, the fast path either declines or loads exactly what the schema loads."""
    target = raw
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    fast = fast_load(raw, LEVELS)
    if fast is None:
        return
    try:
        slow = _slow(raw)
    except Exception as exc:  # the schema refused what the fast path accepted: a real divergence
        raise AssertionError(f"fast path accepted {path}={value!r} but the schema says {exc}") from None
    _same(fast, slow)


def test_validate_complaint_still_names_fields_on_the_slow_path(decider):
    raw = generate(1, seed=3)[0]
    raw["order"]["amount"] = "1.001"
    raw["channel"] = "fax"
    try:
        decider.decide(raw)
    except ComplaintError as error:
        assert set(error.errors) == {"order.amount", "channel"}
    else:
        raise AssertionError("expected a ComplaintError")
