"""Audit fixtures: every store test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server comes from tests/helpers/postgres.py (same rules: CI=true
never skips). Decisions are the bench corpus (bench/corpus.py: every
category, channel, goods type and authority edge) plus re-evaluations,
stored through lifecycle.decision_service.DecisionService.
"""

from __future__ import annotations

import pytest

from store import DecisionStore
from tests.helpers.audit_samples import fill

# postgres, store_url, store and service come from tests/conftest.py.


@pytest.fixture
def filled(service, store) -> DecisionStore:
    """A store holding a small varied log (40 decisions)."""
    fill(service, 32, reevaluate_every=4)
    return store
