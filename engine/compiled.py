"""Deciders by policy digest, shared by everything in the process.

durable_rules cannot register a ruleset name twice nor free one, so the
native rulesets are kept per name for the life of the process (engine/runtime.py).
The Python side (compiled policy, tables) is kept for the most recently used
digests only: a PolicyBook holds its own versions, so evicting here frees
only policies nothing uses any more (old impact candidates, replaced files).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from engine.decider import Decider
from engine.outcome_settings import CacheSettings
from rules.compiler import compile_policy
from rules.loader import load_policy_file, load_policy_text
from rules.model import Policy

KEEP = 16

_by_digest: OrderedDict[str, Decider] = OrderedDict()
_lock = threading.Lock()


def decider_for(policy: Policy) -> Decider:
    with _lock:
        decider = _by_digest.get(policy.digest)
        if decider is None:
            decider = Decider(compile_policy(policy), CacheSettings.from_env())
            _by_digest[policy.digest] = decider
            while len(_by_digest) > KEEP:
                _by_digest.popitem(last=False)
        else:
            _by_digest.move_to_end(policy.digest)
        return decider


def decider_for_file(path: str | Path) -> Decider:
    return decider_for(load_policy_file(path))


def decider_for_text(text: str, file: str = "<policy>") -> Decider:
    return decider_for(load_policy_text(text, file))
