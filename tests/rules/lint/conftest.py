"""Helpers for the lint tests: variants of the default policy, each with one seeded defect."""

from __future__ import annotations

import pytest

from rules.loader import load_policy_file
from tests.helpers.lint_gallery import DEFAULT_POLICY


@pytest.fixture(scope="session")
def default_text() -> str:
    return DEFAULT_POLICY.read_text(encoding="utf-8")


@pytest.fixture
def variant(tmp_path, default_text):
    """``variant((old, new), ...)``: the default policy with each `old` replaced once; returns (policy, text, path)."""

    def make(*edits: tuple[str, str], name: str = "variant.yaml"):
        text = default_text
        for old, new in edits:
            assert text.count(old) == 1, f"edit target not unique: {old!r}"
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return load_policy_file(path), text, path

    return make
