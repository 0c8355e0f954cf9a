"""Versions by business date, publishing, replay of each decision on the version it named."""

from __future__ import annotations

import pytest

from audit.replay import StoredPolicies, replay
from engine.complaint import ComplaintError
from lifecycle.decision_service import DecisionService
from lifecycle.publish import PublishRefused, publish
from lifecycle.reloader import PolicyRegistry
from rules.errors import PolicyError
from store import DecisionStore
from tests.helpers.lifecycle_samples import DEFAULT_TEXT, body, refund_complaint, variant

RAISED = dict(frontline_refund="300.00", announced="2026-06-01T09:00:00+08:00", effective="2026-06-15T00:00:00+08:00")


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
    publish(store, variant("2026.2", **RAISED), "raised.yaml", "test")
    registry = PolicyRegistry(str(policy_file), store, poll_seconds=0)
    service = DecisionService(registry, store)
    before = refund_complaint("C-before", "2026-06-14T23:59:59+08:00")
    after = refund_complaint("C-after", "2026-06-15T00:00:00+08:00")
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


def test_short_notice_needs_an_explicit_acknowledgement(store):
    short = variant("2026.3", announced="2026-06-10T09:00:00+08:00", effective="2026-06-15T00:00:00+08:00")
    with pytest.raises(PublishRefused) as refused:
        publish(store, short, "short.yaml", "test")
    assert [f["code"] for f in refused.value.findings] == ["short_notice"]
    assert store.published_after(0) == []
    result = publish(store, short, "short.yaml", "test", acknowledge=("short_notice",))
    assert result.published and result.acknowledged == ["short_notice"]
    again = publish(store, short, "short.yaml", "test", acknowledge=("short_notice",))
    assert not again.published
    assert [row["version"] for row in store.published_after(0)] == ["2026.3"]


def test_a_major_change_needs_15_days_notice(store):
    major = variant("2026.4", announced="2026-06-01T09:00:00+08:00", effective="2026-06-12T00:00:00+08:00")
    major = major.replace("  major: false", "  major: true")
    with pytest.raises(PublishRefused, match="short_notice|too soon"):
        publish(store, major, "major.yaml", "test")
    minor = major.replace("  major: true", "  major: false")
    assert publish(store, minor, "minor.yaml", "test").published  # 11 days is enough for a minor change


def test_an_invalid_policy_is_never_published(store):
    broken = DEFAULT_TEXT.replace("frontline: 200.00, supervisor: 2000.00", "frontline: 2000.01, supervisor: 2000.00")
    with pytest.raises(PolicyError, match="frontline limit 2000.01 is above the supervisor limit"):
        publish(store, broken, "broken.yaml", "test")
    assert store.published_after(0) == []


def test_a_publication_reaches_every_instance_sharing_the_store(store, policy_file, tmp_path):
    first = PolicyRegistry(str(policy_file), store, poll_seconds=0)
    other_store = DecisionStore(store.url)  # a second instance: its own connections, same database
    second = PolicyRegistry(str(policy_file), other_store, poll_seconds=0)
    publish(store, variant("2026.2", **RAISED), "raised.yaml", "test")
    for registry in (first, second):
        assert [d.policy.version for d in registry.current().versions] == ["2026.1", "2026.2"]
