"""Shared bits of the lint tests: the default policy and line lookup independent of the loader."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POLICY = ROOT / "policies.yaml"


def rule_line(text: str, rule_id: str) -> int:
    """The line of `- id: <rule_id>` in ``text``, found independently of the loader."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == f"- id: {rule_id}":
            return number
    raise AssertionError(f"{rule_id} not in the text")


def line_of(text: str, fragment: str) -> int:
    """The first line of ``text`` containing ``fragment``."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)
