"""Shared bits of the policy-test and diff tests: the default policy, its tests file, and line lookup."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POLICY = ROOT / "policies.yaml"
DEFAULT_TESTS = ROOT / "policies.tests.yaml"


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)
