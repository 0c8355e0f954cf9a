"""Which rules fire, remembered per class of fact: durable_rules decides each class once.

Every test a compiled ruleset holds compares one field with a constant known at
compile time (``$gt``, ``$gte``, ``$lt``, ``$lte``, equality, ``$neq``, ``$ex``,
``$nex``). So the rules a fact fires depend only on, for each field some rule
tests: whether it is present and, if it is, where its value falls among the
constants it is compared with (below, at or above each threshold of an amount
or a count; which of the named values, or none of them, for a string). That
tuple is the key. On a miss the fact goes to durable_rules, whose answer (its
firing order included) is kept for the key; a hit is a dict look-up. A value the
key does not classify is never cached: the engine decides it. The key classifies
only values of the type of the constants a field is compared with (a string among
strings, an integer inside 64 bits among integers); a null, a bool, a float, a
list or an object, a string among amounts, a nested object a dotted field could
be read through, all go to the engine. How the engine reads a test is modelled
in one place, rules/engine_semantics.py, held to the engine by a differential test.

``verify`` mode asks durable_rules on every hit too and raises ``CacheMismatch``
if the answers differ: the agreement runs and tests use it to hold the key exact.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping

from engine.outcome_settings import CacheSettings
from engine.runtime import NativeRuleset, fact_json
from rules.engine_semantics import (
    ABSENT,
    CONNECTIVES,
    INT64_MAX,
    INT64_MIN,
    ORDERED,
    PRESENCE,
    CompiledRule,
    Durable,
    Leaf,
    UnknownOperator,
    Unmodelled,
    holds,
    leaves,
    saturated,
)

_ABSENT = ABSENT  # the field is not in the fact
_OTHER = "\x00other"  # a value of the constants' type equal to none of them


class CacheMismatch(AssertionError):
    """``verify`` mode: durable_rules fired other rules than the cache holds for the fact's key."""


class UnsupportedRuleset(ValueError):
    """A ruleset holds a test the key cannot classify; it is evaluated without the cache."""


Key = tuple[object, ...]  # a fact's class: its partition, then one entry per tested field
KeyFunction = Callable[[Mapping[str, object]], Key | None]


class _Unclassified(TypeError):
    """A value the key does not classify (not of its field's constants' type): the engine decides."""


def _tests_by_field(conditions: list[Durable]) -> dict[str, list[tuple[str, object]]]:
    tests: dict[str, list[tuple[str, object]]] = {}
    try:
        for condition in conditions:
            for leaf in leaves(condition):
                tests.setdefault(leaf.field, []).append((leaf.op, leaf.constant))
    except UnknownOperator as exc:
        raise UnsupportedRuleset(str(exc)) from None
    return tests


def _holds(op: str, value: object, constant: object) -> bool:
    """The engine's reading of one test (rules/engine_semantics.py); one it does not model is refused."""
    try:
        return holds(op, value, constant)
    except Unmodelled as exc:
        raise UnsupportedRuleset(str(exc)) from None


def _given(node: Durable, known: Mapping[str, object]) -> Durable | bool:
    """``node`` with the tests of the ``known`` fields decided: True, False, or what is left to test."""
    if len(node) != 1:  # several keys in one node: all of them hold
        return _given({"$and": [{key: value} for key, value in node.items()]}, known)
    ((key, value),) = node.items()
    if key in CONNECTIVES:
        if not isinstance(value, list):
            raise UnsupportedRuleset(f"{key} of {value!r}")
        decisive, neutral = (False, True) if key == "$and" else (True, False)
        parts = [_given(child, known) for child in value]
        if any(part is decisive for part in parts):
            return decisive
        left = [part for part in parts if part is not neutral]
        if not left:
            return neutral
        return left[0] if len(left) == 1 else {key: left}
    (leaf,) = _leaves_of(node)
    return _holds(leaf.op, known[leaf.field], leaf.constant) if leaf.field in known else node


def _leaves_of(node: Durable) -> list[Leaf]:
    try:
        return list(leaves(node))
    except UnknownOperator as exc:
        raise UnsupportedRuleset(str(exc)) from None


def _unclassified(value: object) -> object:
    """The class of a value not of its field's constants' type: absent is one; anything else the engine decides."""
    if value is _ABSENT:
        return value
    raise _Unclassified(f"{type(value).__name__} is not classified")


def _class_expression(field: str, tests: list[tuple[str, object]], names: dict[str, object]) -> str:
    """Python source for the class of ``field``'s value in the fact (``g`` is the fact's ``get``): equal
    for values no test of the field tells apart, ``A`` (absent) where the fact lacks the field.

    Only values of the type of the field's constants are classified (an integer also only inside the
    engine's 64 bits): a null, a bool, a float, a list, a string among numbers or a number among
    strings raises ``_Unclassified`` and the fact goes to the engine (rules/engine_semantics.py says
    what it does with them)."""
    slot = f"_{len(names)}"
    value = f"g({field!r}, A)"
    v = f"v{slot}"
    constants = [c for op, c in tests if op not in PRESENCE]
    if not constants:  # only presence is tested: any present value, whatever its type, is present
        return f"({value} is not A)"
    types = {type(c) for c in constants}
    if len(types) != 1 or types - {int, str}:
        # The compiler compares a field with one type of constant, integers or strings: anything
        # else is classified by the value itself (exact), strings and 64-bit integers only.
        return f"x({value})"
    (kind,) = types
    typed = f"({v} := {value}).__class__ is {kind.__name__}"
    if kind is int:
        typed += f" and {INT64_MIN} <= {v} <= {INT64_MAX}"  # beyond 64 bits the engine saturates: its call
        constants = [saturated(c) for c in constants if isinstance(c, int)]
    if not any(op in ORDERED for op, _ in tests):
        # Only equality: a value equal to one of the constants is its own class, any other value of
        # their type is one class, "equal to none of them". One dict look-up.
        names[f"m{slot}"] = {c: c for c in constants}
        return f"(m{slot}.get({v}, O) if {typed} else u({v}))"
    if kind is int:
        points = sorted({c for c in constants if isinstance(c, int)})
        names[f"p{slot}"], names[f"s{slot}"] = points, frozenset(points)
        # 2i: strictly between the (i-1)th and the ith constant; 2i+1: equal to the ith.
        return f"(2 * bl(p{slot}, {v}) + ({v} in s{slot}) if {typed} else u({v}))"
    return f"({v} if {typed} else u({v}))"  # strings compared by order: the value itself (exact)


def _exact(value: object) -> object:
    """Absent, an int inside 64 bits or a string, as its own class; anything else the engine decides."""
    if value is _ABSENT or type(value) is str:
        return value
    if isinstance(value, int) and type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value
    raise _Unclassified(f"{type(value).__name__} is not classified")


def _prefixes(fields: list[str]) -> list[str]:
    """The dotted prefixes of ``fields``: the engine reads ``order.amount`` through an ``order`` object too."""
    found = {field.rsplit(".", depth)[0] for field in fields for depth in range(1, field.count(".") + 1)}
    return sorted(found)


def _key_function(partition: Key, conditions: list[Durable]) -> KeyFunction:
    """The key of facts of ``partition`` (their type and category) under ``conditions``, as generated code:
    one tuple display, no loop, no call per field."""
    tests = _tests_by_field(conditions)
    names: dict[str, object] = {
        "A": _ABSENT,
        "O": _OTHER,
        "bl": bisect.bisect_left,
        "u": _unclassified,
        "x": _exact,
        "P": partition,
    }
    parts = [_class_expression(field, tests[field], names) for field in sorted(tests)]
    nested = " or ".join(f"{prefix!r} in fact" for prefix in _prefixes(list(tests))) or "False"
    source = (
        "def key(fact):\n"
        f"    if {nested}:\n"  # a nested object the engine would read a tested field through
        "        return None\n"
        "    g = fact.get\n"
        f"    return (P, {', '.join(parts)})\n"
    )
    exec(compile(source, f"<outcome key {partition}>", "exec"), names)  # noqa: S102 - our own generated source
    function = names["key"]
    if not callable(function):
        raise UnsupportedRuleset(f"no key function for {partition}")
    return function


MAX_PARTITIONS = 256  # key functions kept; the vocabulary has a few dozen (fact type, category) pairs
PARTITION = ("t", "category")  # string fields every fact carries: a key function is made per pair of values


class FactKey:
    """The outcome-deciding class of a fact for one ruleset.

    Per (type, category) of fact, the rules are first simplified with those two known: a rule that
    cannot fire for the category drops out with the fields and thresholds only it tests, so a
    category's key holds only what its own rules can tell apart.
    """

    def __init__(self, definition: Mapping[str, CompiledRule]):
        self._conditions = [part["m"] for rule in definition.values() for part in rule["all"]]
        _tests_by_field(self._conditions)  # refuses an operator the key cannot classify, at compile time
        self._by_partition: dict[Key, KeyFunction] = {}

    def _function(self, partition: Key) -> KeyFunction:
        known = dict(zip(PARTITION, partition, strict=True))
        left = [c for c in (_given(c, known) for c in self._conditions) if isinstance(c, dict)]
        function = _key_function(partition, left)
        self._by_partition[partition] = function  # one per category: a few dozen at most
        return function

    def __call__(self, fact: Mapping[str, object]) -> Key | None:
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
        except TypeError:  # a value the key does not classify (_Unclassified, an unhashable one)
            return None


class CachedRules:
    """A native ruleset asked through an outcome cache (safe to share between threads)."""

    def __init__(self, engine: NativeRuleset, definition: Mapping[str, CompiledRule], settings: CacheSettings):
        self.engine = engine
        self.settings = settings
        self._key: FactKey | None = None
        if settings.mode != "off":
            try:
                self._key = FactKey(definition)
            except UnsupportedRuleset:
                self._key = None
        self._outcomes: dict[Key, tuple[str, ...]] = {}
        self._answers: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.hits = 0  # counted without a lock: exact in one thread, approximate under several
        self.misses = 0

    def key(self, fact: Mapping[str, object]) -> Key | None:
        return self._key(fact) if self._key is not None else None

    def cached(self, key: Key | None) -> list[str] | None:
        """The rules fired by facts of ``key``'s class, if durable_rules was asked for one already."""
        if key is None or self.settings.mode == "verify":
            return None
        fired = self._outcomes.get(key)
        if fired is None:
            return None
        self.hits += 1
        return list(fired)

    def fired(self, fact: dict[str, object]) -> list[str]:
        """The rules ``fact`` fires, from the cache or from durable_rules."""
        key = self.key(fact)
        hit = self.cached(key)
        return hit if hit is not None else self.fire(key, fact_json(fact))

    def fire(self, key: Key | None, text: str) -> list[str]:
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
