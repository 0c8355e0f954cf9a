"""Which rules fire, remembered per class of fact: durable_rules decides each class once.

Every test a compiled ruleset holds compares one field with a constant known at
compile time (``$gt``, ``$gte``, ``$lt``, ``$lte``, equality, ``$neq``, ``$ex``,
``$nex``). So the rules a fact fires depend only on, for each field some rule
tests: whether it is present and, if it is, where its value falls among the
constants it is compared with (below, at or above each threshold of an amount
or a count; which of the named values, or none of them, for a string). That
tuple is the key. On a miss the fact goes to durable_rules, whose answer (its
firing order included) is kept for the key; a hit is a dict look-up. A value the
key does not classify (anything but an int where a field is compared by order, a
value that cannot be hashed) is never cached: the engine decides it.

``verify`` mode asks durable_rules on every hit too and raises ``CacheMismatch``
if the answers differ: the agreement runs and tests use it to hold the key exact.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from engine.outcome_settings import CacheSettings
from engine.runtime import NativeRuleset, fact_json

_ORDERED = ("$gt", "$gte", "$lt", "$lte")
_EQUALITY = ("$neq",)
_PRESENCE = ("$ex", "$nex")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}
_ABSENT = object()  # the field is not in the fact
_OTHER = "\x00other"  # a string equal to none of the constants a field is compared with


class CacheMismatch(AssertionError):
    """``verify`` mode: durable_rules fired other rules than the cache holds for the fact's key."""


class UnsupportedRuleset(ValueError):
    """A ruleset holds a test the key cannot classify; it is evaluated without the cache."""


def _leaves(node: dict) -> Iterator[tuple[str, str, object]]:
    """(operator, field, constant) of every elementary test of a durable_rules condition."""
    for key, value in node.items():
        if key in ("$and", "$or"):
            for child in value:
                yield from _leaves(child)
        elif key.startswith("$"):
            if key not in _ORDERED + _EQUALITY + _PRESENCE:
                raise UnsupportedRuleset(f"operator {key}")
            ((field, operand),) = value.items()
            yield key, field, operand
        else:
            yield "eq", key, value


def _tests_by_field(conditions: list[dict]) -> dict[str, list[tuple[str, object]]]:
    tests: dict[str, list[tuple[str, object]]] = {}
    for condition in conditions:
        for op, field, constant in _leaves(condition):
            tests.setdefault(field, []).append((op, constant))
    return tests


def _holds(op: str, value: object, constant: object) -> bool:
    """durable_rules' reading of one test on a present value of the same type as its constant."""
    if op == "eq":
        return value == constant
    if op == "$neq":
        return value != constant
    if op == "$ex":
        return True
    if op == "$nex":
        return False
    if type(value) is not type(constant):  # an ordered test against another type: leave it to the engine
        raise UnsupportedRuleset(f"{op} of {value!r} with {constant!r}")
    return _COMPARE[op](value, constant)


def _given(node: dict, known: Mapping[str, object]) -> dict | bool:
    """``node`` with the tests of the ``known`` fields decided: True, False, or what is left to test."""
    if len(node) != 1:  # several keys in one node: all of them hold
        return _given({"$and": [{key: value} for key, value in node.items()]}, known)
    ((key, value),) = node.items()
    if key in ("$and", "$or"):
        decisive, neutral = (False, True) if key == "$and" else (True, False)
        parts = [_given(child, known) for child in value]
        if any(part is decisive for part in parts):
            return decisive
        left = [part for part in parts if part is not neutral]
        if not left:
            return neutral
        return left[0] if len(left) == 1 else {key: left}
    field, operand, op = (*next(iter(value.items())), key) if key.startswith("$") else (key, value, "eq")
    return _holds(op, known[field], operand) if field in known else node


def _class_expression(field: str, tests: list[tuple[str, object]], names: dict[str, object]) -> str:
    """Python source for the class of ``field``'s value in the fact (``g`` is the fact's ``get``): equal
    for values no test of the field tells apart, ``A`` (absent) where the fact lacks the field."""
    slot = f"_{len(names)}"
    value = f"g({field!r}, A)"
    constants = [c for op, c in tests if op not in _PRESENCE]
    if not constants:  # only presence is tested
        return f"({value} is not A)"
    if not any(op in _ORDERED for op, _ in tests):
        # Only equality: a value equal to one of the constants is its own class, any other value
        # (whatever its type) is one class, "equal to none of them". One dict look-up.
        names[f"m{slot}"] = {**{c: c for c in constants}, _ABSENT: _ABSENT}
        return f"m{slot}.get({value}, O)"
    numbers = [c for c in constants if type(c) is int]
    if len(numbers) == len(constants):
        points = sorted(set(numbers))
        names[f"p{slot}"], names[f"s{slot}"] = points, frozenset(points)
        # 2i: strictly between the (i-1)th and the ith constant; 2i+1: equal to the ith. Anything but an
        # int (a float, a string) adds None: TypeError, and the fact goes to the engine uncached.
        v = f"v{slot}"
        return (
            f"(A if ({v} := {value}) is A else 2 * bl(p{slot}, {v}) + ({v} in s{slot})"
            f" + (0 if {v}.__class__ is int else None))"
        )
    return f"x({value})"  # ordered tests on constants of other types: the value itself (exact)


def _exact(value: object) -> object:
    if value is _ABSENT or type(value) in (int, str):
        return value
    raise TypeError(f"{type(value).__name__} is not classified")  # a float, a list: the engine decides


def _key_function(partition: tuple, conditions: list[dict]) -> Callable[[Mapping[str, object]], tuple]:
    """The key of facts of ``partition`` (their type and category) under ``conditions``, as generated code:
    one tuple display, no loop, no call per field."""
    tests = _tests_by_field(conditions)
    names: dict[str, object] = {"A": _ABSENT, "O": _OTHER, "bl": bisect.bisect_left, "x": _exact, "P": partition}
    parts = [_class_expression(field, tests[field], names) for field in sorted(tests)]
    source = f"def key(fact):\n    g = fact.get\n    return (P, {', '.join(parts)})\n"
    exec(compile(source, f"<outcome key {partition}>", "exec"), names)  # noqa: S102 - our own generated source
    return names["key"]  # type: ignore[return-value]


MAX_PARTITIONS = 256  # key functions kept; the vocabulary has a few dozen (fact type, category) pairs
PARTITION = ("t", "category")  # string fields every fact carries: a key function is made per pair of values


class FactKey:
    """The outcome-deciding class of a fact for one ruleset.

    Per (type, category) of fact, the rules are first simplified with those two known: a rule that
    cannot fire for the category drops out with the fields and thresholds only it tests, so a
    category's key holds only what its own rules can tell apart.
    """

    def __init__(self, definition: dict):
        self._conditions = [part["m"] for rule in definition.values() for part in rule["all"]]
        _tests_by_field(self._conditions)  # refuses an operator the key cannot classify, at compile time
        self._by_partition: dict[tuple, Callable[[Mapping[str, object]], tuple]] = {}

    def _function(self, partition: tuple) -> Callable[[Mapping[str, object]], tuple]:
        known = dict(zip(PARTITION, partition, strict=True))
        left = [c for c in (_given(c, known) for c in self._conditions) if isinstance(c, dict)]
        function = _key_function(partition, left)
        self._by_partition[partition] = function  # one per category: a few dozen at most
        return function

    def __call__(self, fact: Mapping[str, object]) -> tuple | None:
        partition = (fact.get("t"), fact.get("category"))
        function = self._by_partition.get(partition)
        if function is None:
            if type(partition[0]) is not str or type(partition[1]) is not str:
                return None
            if len(self._by_partition) >= MAX_PARTITIONS:  # validation bounds categories; this bounds the rest
                return None
            try:
                function = self._function(partition)
            except UnsupportedRuleset:  # a test on the category the key cannot decide: the engine does
                return None
        try:
            return function(fact)
        except TypeError:  # a value the key does not classify (an unhashable one, a string among amounts)
            return None


class CachedRules:
    """A native ruleset asked through an outcome cache (safe to share between threads)."""

    def __init__(self, engine: NativeRuleset, definition: dict, settings: CacheSettings):
        self.engine = engine
        self.settings = settings
        self._key: FactKey | None = None
        if settings.mode != "off":
            try:
                self._key = FactKey(definition)
            except UnsupportedRuleset:
                self._key = None
        self._outcomes: dict[tuple, tuple[str, ...]] = {}
        self._answers: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.hits = 0  # counted without a lock: exact in one thread, approximate under several
        self.misses = 0

    def key(self, fact: Mapping[str, object]) -> tuple | None:
        return self._key(fact) if self._key is not None else None

    def cached(self, key: tuple | None) -> list[str] | None:
        """The rules fired by facts of ``key``'s class, if durable_rules was asked for one already."""
        if key is None or self.settings.mode == "verify":
            return None
        fired = self._outcomes.get(key)
        if fired is None:
            return None
        self.hits += 1
        return list(fired)

    def fired(self, fact: dict) -> list[str]:
        """The rules ``fact`` fires, from the cache or from durable_rules."""
        key = self.key(fact)
        hit = self.cached(key)
        return hit if hit is not None else self.fire(key, fact_json(fact))

    def fire(self, key: tuple | None, text: str) -> list[str]:
        """Ask durable_rules (the fact as ``fact_json`` text) and keep its answer for ``key``."""
        fired = self.engine.fire_json(text)
        if key is None:
            return fired
        self.misses += 1
        known = self._outcomes.get(key)
        if known is not None:  # verify mode (or another thread filled it meanwhile)
            if list(known) != fired:
                raise CacheMismatch(f"{self.engine.name}: key {key!r} cached {list(known)}, engine fired {fired}")
            return fired
        outcomes = self._outcomes
        if len(outcomes) >= self.settings.size:
            try:  # oldest first: dicts keep insertion order
                del outcomes[next(iter(outcomes))]
            except (KeyError, RuntimeError, StopIteration):  # another thread trimmed it first
                pass
        answer = tuple(fired)
        # Few distinct answers (outcome sets) behind many keys: each kept once (bounded as the keys are).
        if len(self._answers) >= self.settings.size:
            self._answers.clear()
        outcomes[key] = self._answers.setdefault(answer, answer)
        return fired

    def clear(self) -> None:
        """Forget every outcome (a benchmark's cold start); the next fact of each class asks the engine."""
        self._outcomes.clear()
        self._answers.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._outcomes)
