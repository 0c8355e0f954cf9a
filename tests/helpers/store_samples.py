"""Complaints for the store tests: the shared samples (tests/helpers/samples.py)."""

from __future__ import annotations

from tests.helpers.samples import CATEGORIES, CHANNELS, FLAGS, POLICY, REMEDIES, make_complaint  # noqa: F401 - re-exported
