"""A thread-safe, leak-free way to ask durable_rules which rules fire.

We drive the C module ``durable_rules_engine`` directly instead of the stock
``Host``: the Host starts timer threads that segfault under concurrent callers
(docs/durable_rules.md). Each evaluation borrows a session id from a pool,
asserts one fact, drains the fired rule names in firing order, and retracts the
fact in ``finally``, so the engine holds nothing between decisions and the
1,024-session limit is never approached.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import threading
from collections.abc import Mapping

import durable_rules_engine as native

from canonical import compact_encoder

MAX_SESSIONS = 64  # per ruleset; well under the engine's 1,024
_ACTIVE_CONDITION_LIMIT = 303  # the engine's error code for "too many active conditions"


class EngineError(RuntimeError):
    """The rules engine refused or failed an evaluation."""


class NativeRuleset:
    """One durable_rules ruleset registered in this process, evaluated by many threads."""

    def __init__(self, name: str, definition: Mapping[str, object]):
        self.name = name
        # set_rulesets-style calls mutate their argument; keep ours intact.
        payload = json.dumps(copy.deepcopy(definition), ensure_ascii=False)
        try:
            self._handle = native.create_ruleset(name, payload)
        except native.error as exc:
            raise EngineError(f"durable_rules refused ruleset {name}: {exc}") from None
        # Free session ids. list.pop/append are atomic under the GIL, so the common
        # case takes no lock; the condition is only for waiting when all are busy.
        self._free: list[str] = []
        self._created = 0
        self._waiting = 0
        self._available = threading.Condition()
        self._fact_ids = itertools.count()

    def fire(self, fact: dict[str, object]) -> list[str]:
        """Names of the rules ``fact`` satisfies, in the engine's firing order."""
        return self.fire_json(fact_json(fact))

    def fire_json(self, fact: str) -> list[str]:
        """``fire`` on a fact already serialised by ``fact_json`` (a caller that asserts related facts
        serialises their shared keys once)."""
        sid = self._borrow()
        healthy = True
        # The same bytes json.dumps(dict(fact, sid=..., id=...)) gives: the session keys go last.
        payload = f'{fact[:-1]},"sid":"{sid}","id":"f{next(self._fact_ids)}"}}'
        try:
            result = native.assert_fact(self._handle, payload)
            fired: list[str] = []
            state = result[1]
            try:
                action = native.start_action_for_state(self._handle, state)
                text = action[1] if action else None
                while text:
                    name = _rule_name(text)
                    if name not in fired:  # an `$or` fires once per satisfied branch
                        fired.append(name)
                    text = native.complete_and_start_action(self._handle, state)
            except BaseException:
                native.abandon_action(self._handle, state)
                raise
            return fired
        except native.error as exc:
            healthy = False
            if str(_ACTIVE_CONDITION_LIMIT) in str(exc):
                raise EngineError(
                    f"{self.name}: too many rules match one complaint at once (durable_rules error 303); "
                    "make conditions more exclusive"
                ) from None
            raise EngineError(f"{self.name}: {exc}") from None
        finally:
            try:
                native.retract_fact(self._handle, payload)
            except native.error:
                healthy = False
            self._release(sid, healthy)

    def _borrow(self) -> str:
        try:
            return self._free.pop()
        except IndexError:
            pass
        with self._available:
            if self._created < MAX_SESSIONS:
                self._created += 1
                return f"s{self._created}"
            self._waiting += 1  # every session busy: wait for one
            try:
                while True:
                    try:
                        return self._free.pop()
                    except IndexError:
                        self._available.wait(0.05)  # the timeout covers a release between pop and wait
            finally:
                self._waiting -= 1

    def _release(self, sid: str, healthy: bool) -> None:
        if not healthy:
            # A session left half-built must never be reused; drop its state.
            try:
                native.delete_state(self._handle, sid)
            except native.error:
                pass
        self._free.append(sid)
        if self._waiting:
            with self._available:
                self._available.notify()


_ENCODE = compact_encoder(sort_keys=False)  # keys in the fact's order


def fact_json(fact: dict[str, object]) -> str:
    """The text durable_rules is given for ``fact``: compact JSON, keys in the fact's order."""
    return _ENCODE(fact)


def retyped_json(text: str, old_type: str, new_type: str, extra: dict[str, object]) -> str:
    """``fact_json(dict(fact, t=new_type, **extra))`` from ``text = fact_json(fact)``, whose first key is
    ``t`` = ``old_type``, without serialising the fact's keys again (``extra``'s keys are not in it)."""
    head = _type_head(old_type)
    if not text.startswith(head) or not extra:
        return fact_json(dict(json.loads(text), t=new_type, **extra))
    return f"{_type_head(new_type)}{text[len(head) : -1]},{_ENCODE(extra)[1:]}"


@functools.lru_cache(maxsize=16)
def _type_head(fact_type: str) -> str:
    """``{"t":"<fact_type>"`` as fact_json writes it, the opening of every fact's text."""
    return fact_json({"t": fact_type})[:-1]


def _rule_name(message: str) -> str:
    """The fired rule's name from the engine's ``{"name":{...}}`` reply, without parsing the fact."""
    start = message.index('"') + 1
    return message[start : message.index('"', start)]


_registry: dict[str, NativeRuleset] = {}
_registry_lock = threading.Lock()


def native_ruleset(name: str, definition: Mapping[str, object]) -> NativeRuleset:
    """The process-wide ruleset ``name``: durable_rules cannot register a name twice."""
    with _registry_lock:
        ruleset = _registry.get(name)
        if ruleset is None:
            ruleset = NativeRuleset(name, definition)
            _registry[name] = ruleset
        return ruleset


def native_ruleset_count() -> int:
    """Rulesets registered in this process; each holds native memory until the process ends."""
    return len(_registry)
