"""Shared helpers of the core test suite: a baseline complaint and the default decider."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from engine.compiled import decider_for_file
from lifecycle.decision_service import DecisionService
from store import DecisionStore
from tests.helpers.postgres import start_postgres  # tests/store: started once per session for every suite

ROOT = Path(__file__).resolve().parent.parent
POLICY_FILE = ROOT / "policies.yaml"
POLICY_DIR = Path(__file__).resolve().parent / "policies"


class _Remove:
    """Marker: ``complaint(order={"delivered_at": REMOVE})`` drops the key from the baseline."""

    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()

# Tuesday 10 March 2026, an ordinary working day; delivered 5 days earlier.
BASELINE = {
    "complaint_id": "C-0001",
    "received_at": "2026-03-10T10:00:00+08:00",
    "channel": "online_chat",
    "category": "other",
    "order": {
        "order_id": "O-0001",
        "amount": "100.00",
        "paid_at": "2026-01-15T10:00:00+08:00",
        "delivered_at": "2026-03-05T10:00:00+08:00",
        "goods_type": "general",
        "goods_condition": "intact",
        "merchant": "self_operated",
    },
    "customer": {"customer_id": "U-0001", "tier": "regular", "complaints_last_30_days": 0},
}


def deep_merge(base: dict, overrides: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is REMOVE:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def make_complaint(**overrides) -> dict:
    """A valid baseline complaint, deep-merged with ``overrides`` (``REMOVE`` drops a key)."""
    return deep_merge(BASELINE, overrides)


make_complaint.REMOVE = REMOVE


@pytest.fixture(scope="session")
def complaint():
    """The builder ``complaint(**overrides)``; ``complaint.REMOVE`` as a value drops that key.

    A fixture rather than an import: several conftest.py files live under tests/,
    so ``from conftest import ...`` would be ambiguous.
    """
    return make_complaint


@pytest.fixture(scope="session")
def decider():
    return decider_for_file(POLICY_FILE)


@pytest.fixture(scope="session")
def policy(decider):
    return decider.policy


@pytest.fixture(scope="session")
def decide(decider):
    """``decide(**overrides)``: decide the baseline complaint with overrides applied."""

    def run(**overrides) -> dict:
        return decider.decide(make_complaint(**overrides))

    return run


class Look:
    """Readers of a decision, so that assertions name what they check."""

    @staticmethod
    def deadline(decision: dict, kind: str) -> dict | None:
        return next((d for d in decision["deadlines"] if d["kind"] == kind), None)

    @staticmethod
    def due(decision: dict, kind: str) -> str | None:
        found = Look.deadline(decision, kind)
        assert found is not None, f"no {kind} deadline in {[d['kind'] for d in decision['deadlines']]}"
        return found["due_at"]

    @staticmethod
    def components(decision: dict) -> list[tuple[str, str | None]]:
        return [(c["type"], c["amount"]) for c in decision["remedy"]["components"]]

    @staticmethod
    def fired(decision: dict, stage: str | None = None) -> list[str]:
        return [r["id"] for r in decision["explanation"]["rules"] if stage is None or r["stage"] == stage]

    @staticmethod
    def route(decision: dict) -> tuple[str | None, str | None]:
        return decision["route"]["team"], decision["route"]["level"]


@pytest.fixture(scope="session")
def look():
    return Look


# Store fixtures shared by tests/store and tests/audit: each store test runs on SQLite and on a
# real PostgreSQL server (Debian's binaries; with CI=true it never skips, see tests/helpers/postgres.py).


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


@pytest.fixture
def service(decider, store) -> DecisionService:
    return DecisionService(decider, store)
