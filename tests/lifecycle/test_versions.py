"""Versions by business date, scheduled through the register, replay of each decision on the version it named."""

from __future__ import annotations

import datetime as dt

import pytest

from audit.replay import StoredPolicies, replay
from engine.complaint import ComplaintError
from lifecycle.decision_service import DecisionService
from lifecycle.reloader import PolicyRegistry
from rules.errors import PolicyError
from store import DecisionStore
from store.governance import PolicyRegister
from tests.helpers.governance_samples import ALICE, BOB, START, TESTS_TEXT, Clock, dated, governance
from tests.helpers.lifecycle_samples import DEFAULT_TEXT, body, refund_complaint

EFFECTIVE = START + dt.timedelta(days=14)  # 2026-12-15T10:00:00+08:00


def schedule(store, text: str) -> str:
    """Propose with one key and approve with another: the version is scheduled."""
    gov = governance(store, Clock())
    digest = gov.propose(text, TESTS_TEXT, ALICE, "raise the frontline refund limit")["digest"]
    gov.approve(digest, BOB, "ok")
    return digest


@pytest.fixture
def store(tmp_path):
    store = DecisionStore(f"sqlite:///{tmp_path / 'lifecycle.db'}")
    store.init_schema()
    return store


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policies.yaml"
    path.write_text(DEFAULT_TEXT, encoding="utf-8")
    return path


def test_complaints_either_side_of_the_boundary_get_their_version(store, policy_file):
    schedule(store, dated("2026.2", EFFECTIVE))
    registry = PolicyRegistry(str(policy_file), store, poll_seconds=0)
    service = DecisionService(registry, store)
    before = refund_complaint("C-before", "2026-12-15T09:59:59+08:00")
    after = refund_complaint("C-after", "2026-12-15T10:00:00+08:00")
    old = service.submit(before, body(before)).record
    new = service.submit(after, body(after)).record
    assert (old.policy_version, new.policy_version) == ("2026.1", "2026.2")
    # 250.00 is above the old frontline refund limit (200.00) and within the new one (300.00).
    assert old.decision_dict()["route"]["level"] == "supervisor"
    assert new.decision_dict()["route"]["level"] == "frontline"
    # An auditor's replay uses the version each decision named, not the newest.
    policies = StoredPolicies(store)
    assert replay(old, policies).identical and replay(new, policies).identical


def test_a_complaint_before_every_version_is_refused_naming_received_at(store, policy_file):
    service = DecisionService(PolicyRegistry(str(policy_file), store, poll_seconds=0), store)
    early = refund_complaint("C-early", "2024-12-31T23:59:59+08:00")
    early["order"].update(paid_at="2024-12-01T10:00:00+08:00", delivered_at="2024-12-03T10:00:00+08:00")
    with pytest.raises(ComplaintError) as caught:
        service.submit(early, body(early))
    assert "before the first policy version in force" in caught.value.errors["received_at"][0]
    assert store.count() == 0


def test_an_invalid_policy_is_never_proposed(store):
    broken = DEFAULT_TEXT.replace("frontline: 200.00, supervisor: 2000.00", "frontline: 2000.01, supervisor: 2000.00")
    with pytest.raises(PolicyError, match="frontline limit 2000.01 is above the supervisor limit"):
        governance(store, Clock()).propose(broken, TESTS_TEXT, ALICE, "broken")
    assert PolicyRegister(store).events() == []


def test_a_scheduled_version_reaches_every_instance_sharing_the_store(store, policy_file, tmp_path):
    first = PolicyRegistry(str(policy_file), store, poll_seconds=0)
    other_store = DecisionStore(store.url)  # a second instance: its own connections, same database
    second = PolicyRegistry(str(policy_file), other_store, poll_seconds=0)
    schedule(store, dated("2026.2", EFFECTIVE))
    for registry in (first, second):
        assert [d.policy.version for d in registry.current().versions] == ["2026.1", "2026.2"]
