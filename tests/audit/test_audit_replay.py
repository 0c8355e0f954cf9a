"""Replay: every kind of stored decision replays identical (also masked); a what-if names exactly the
decisions a changed limit affects; range walks go in batches by seq."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from audit import records as walk
from audit.masking import Masker
from audit.replay import StoredPolicies, replay
from audit.runs import Tally, replay_stream
from engine.compiled import decider_for
from lifecycle.decision_service import DecisionService
from rules.loader import load_policy_text
from store import DecisionStore
from tests.helpers.audit_samples import POLICY, fill

KEY = "test-masking-key-0123456789"


@pytest.fixture(scope="module")
def big_store(tmp_path_factory, decider):
    """SQLite store with 400 corpus complaints and their re-evaluations (read-only for the tests below)."""
    store = DecisionStore(f"sqlite:///{tmp_path_factory.mktemp('replay') / 'decisions.db'}")
    store.init_schema()
    fill(DecisionService(decider, store), 400, reevaluate_every=5)
    yield store
    store.dispose()


def test_the_log_is_varied(big_store):
    decisions = [r.decision_dict() for r in walk.every(big_store)]
    assert len(decisions) > 450
    assert len({d["category"] for d in decisions}) == 14
    assert {d["route"]["level"] for d in decisions} >= {"frontline", "supervisor", "manager"}
    assert any(d["route"]["redirect"] for d in decisions)
    assert len({d["remedy"]["rule"] for d in decisions}) > 25
    assert any(r.previous_decision_id for r in walk.every(big_store))


def test_every_stored_decision_replays_identical(big_store):
    tally = Tally("replay")
    results = list(replay_stream(walk.every(big_store, batch=64), StoredPolicies(big_store), tally=tally))
    assert tally.ok and tally.results == {"identical": len(results)}, [
        r for r in results if r["result"] != "identical"
    ][:2]
    assert [r["seq"] for r in results] == list(range(1, len(results) + 1))


def test_a_masked_record_replays_identical(big_store):
    masker, policies = Masker(KEY), StoredPolicies(big_store)
    described = 0
    for record in walk.every(big_store):
        original = json.loads(record.request_body)
        masked_body = masker.mask_body(record.request_body)
        masked = json.loads(masked_body)
        if "customer_id" in original.get("customer", {}):
            assert masked["customer"]["customer_id"].startswith("hmac-sha256:")
            assert original["customer"]["customer_id"] not in masked_body
        if original.get("description"):
            described += 1
            assert masked["description"] == f"[redacted: {len(original['description'])} characters]"
            assert original["description"] not in masked_body
        result = replay(dataclasses.replace(record, request_body=masked_body), policies)
        assert result.identical, (record.decision_id, result.as_dict())
    assert described > 20


def test_pseudonyms_link_one_customer_without_the_key():
    masker = Masker(KEY)
    a = masker.mask_complaint({"customer": {"customer_id": "U-1"}, "order": {"order_id": "U-1"}})
    b = masker.mask_complaint({"customer": {"customer_id": "U-1"}})
    assert a["customer"] == b["customer"]
    assert a["order"]["order_id"] != a["customer"]["customer_id"]  # the field is part of what is hashed
    assert Masker("another-key-0123456789").mask_complaint({"customer": {"customer_id": "U-1"}}) != b
    assert Masker().mask_complaint(b)["customer"]["customer_id"] == "[redacted]"
    assert Masker(KEY).unmasked().mask_complaint(b) is b


def _affected_by_frontline_refund_300(decision: dict) -> bool:
    """Independently of the engine: a refund-type component worth 200.01..300.00 was approved by a
    supervisor and a frontline agent may now approve it."""
    return any(
        c["type"] in ("refund", "return_refund") and Decimal("200.00") < Decimal(c["amount"]) <= Decimal("300.00")
        for c in decision["remedy"]["components"]
    )


def test_what_if_a_raised_frontline_refund_limit(big_store):
    text = POLICY.read_text(encoding="utf-8")
    assert text.count("frontline: 200.00") == 1
    candidate = decider_for(load_policy_text(text.replace("frontline: 200.00", "frontline: 300.00"), "raised.yaml"))
    tally = Tally("what-if")
    results = list(replay_stream(walk.every(big_store), StoredPolicies(big_store), candidate, tally))
    changed = {r["decision_id"] for r in results if r["result"] == "changed"}
    expected = {r.decision_id for r in walk.every(big_store) if _affected_by_frontline_refund_300(r.decision_dict())}
    assert len(expected) >= 5
    assert changed == expected
    assert not tally.results.get("error")
    for r in results:
        if r["result"] == "changed":
            assert "approval" in r["kinds"] and set(r["kinds"]) <= {"level", "approval", "deadline"}
            assert all(
                ".approved_by" in d["path"] or d["path"].startswith(("route.", "remedy.approval", "deadlines."))
                for d in r["differences"]
            ), r["differences"]
            assert r["totals"]["refund"]["before"] == r["totals"]["refund"]["after"]  # amounts do not move
    # a decision whose level came only from the approval floor drops to frontline
    assert tally.by_kind.get("level", 0) >= 1


def test_ranges_by_recorded_time_in_batches(filled):
    everything = list(walk.every(filled, batch=3))
    assert [r.seq for r in everything] == list(range(1, len(everything) + 1))
    middle = everything[10].created_at
    later = list(walk.in_range(filled, since=middle, batch=4))
    earlier = list(walk.in_range(filled, until=middle, batch=4))
    assert [r.seq for r in earlier + later] == [r.seq for r in everything]
    assert later[0].seq == 11 and earlier[-1].seq == 10
    assert list(walk.in_range(filled, since=middle, until=middle)) == []
    some = everything[0]
    assert [r.seq for r in walk.of_complaint(filled, some.complaint_id, batch=1)] == [
        r.seq for r in everything if r.complaint_id == some.complaint_id
    ]


def test_times_are_read_in_a_zone_and_compared_in_utc():
    from zoneinfo import ZoneInfo

    assert walk.utc_text("2026-03-01", ZoneInfo("Asia/Shanghai")) == "2026-02-28T16:00:00.000000+00:00"
    assert walk.utc_text("2026-03-01T08:00:00Z") == "2026-03-01T08:00:00.000000+00:00"
    with pytest.raises(walk.BadTime):
        walk.utc_text("last month")


def test_a_damaged_row_is_an_error_result_not_a_crash(filled):
    from tests.helpers.audit_samples import execute

    execute(filled, "UPDATE decisions SET request_body = '{broken' WHERE seq = 2")
    execute(filled, "UPDATE decisions SET decision = '{\"route\": ' WHERE seq = 3")
    candidate = StoredPolicies(filled).decider(next(walk.every(filled)).policy_digest)
    replayed = list(replay_stream(walk.every(filled), StoredPolicies(filled)))
    assert [r["result"] for r in replayed[:4]] == ["identical", "error", "error", "identical"]
    assert "JSONDecodeError" in replayed[1]["error"] and "not JSON" in replayed[2]["error"]
    what_if = list(replay_stream(walk.every(filled), StoredPolicies(filled), candidate))
    assert [r["result"] for r in what_if[:4]] == ["unchanged", "error", "error", "unchanged"]
