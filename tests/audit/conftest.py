"""Audit fixtures: every store test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server comes from tests/store/pg_server.py (same rules: CI=true
never skips). Decisions are the bench corpus (bench/corpus.py: every
category, channel, goods type and authority edge) plus re-evaluations,
stored through engine.store.DecisionService.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "store"))

from audit_samples import POLICY, fill  # noqa: E402
from pg_server import start_postgres  # noqa: E402

from engine.deciders import decider_for_file  # noqa: E402
from engine.store import DecisionService, DecisionStore  # noqa: E402


@pytest.fixture(scope="session")
def postgres():
    server = start_postgres()
    yield server
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'decisions.db'}"
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
def store(store_url):
    store = DecisionStore(store_url)
    store.init_schema()
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def decider():
    return decider_for_file(POLICY)


@pytest.fixture
def service(decider, store) -> DecisionService:
    return DecisionService(decider, store)


@pytest.fixture
def filled(service, store) -> DecisionStore:
    """A store holding a small varied log (40 decisions)."""
    fill(service, 32, reevaluate_every=4)
    return store
