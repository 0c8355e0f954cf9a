"""How the outcome cache runs (``engine/outcome_cache.py``), from the environment.

Standard library only: the service's settings check it before gunicorn forks, without loading
the native engine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

MODE_ENV = "COMPLAINTS_OUTCOME_CACHE"
SIZE_ENV = "COMPLAINTS_OUTCOME_CACHE_SIZE"
MODES = ("on", "off", "verify")
DEFAULT_SIZE = 50_000  # keys per ruleset; each is a tuple of ~40 small values and a tuple of names


@dataclass(frozen=True)
class CacheSettings:
    """``on``: look up each class of fact, ask durable_rules on a miss; ``verify``: ask it on every fact
    and raise where it disagrees with the cache; ``off``: always ask it. ``size``: keys per ruleset."""

    mode: str = "on"
    size: int = DEFAULT_SIZE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CacheSettings:
        env = os.environ if environ is None else environ
        mode = env.get(MODE_ENV, "on").strip().lower() or "on"
        if mode not in MODES:
            raise ValueError(f"{MODE_ENV}={mode!r}: expected one of {', '.join(MODES)}")
        text = env.get(SIZE_ENV, str(DEFAULT_SIZE)).strip()
        if not text.isdigit():
            raise ValueError(f"{SIZE_ENV}={text!r}: expected a whole number of keys (0 turns the cache off)")
        size = int(text)
        return cls("off" if size == 0 else mode, size)
