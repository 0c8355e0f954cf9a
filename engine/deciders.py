"""One Decider per policy digest per process: durable_rules cannot register a ruleset twice."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.decide import Decider
from rules.compiler import compile_policy
from rules.loader import load_policy_file, load_policy_text
from rules.model import Policy

_by_digest: dict[str, Decider] = {}
_lock = threading.Lock()


def decider_for(policy: Policy) -> Decider:
    with _lock:
        decider = _by_digest.get(policy.digest)
        if decider is None:
            decider = Decider(compile_policy(policy))
            _by_digest[policy.digest] = decider
        return decider


def decider_for_file(path: str | Path) -> Decider:
    return decider_for(load_policy_file(path))


def decider_for_text(text: str, file: str = "<policy>") -> Decider:
    return decider_for(load_policy_text(text, file))
