"""The decision store, the same tests on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, select, update

from canonical import canonical_json
from engine.compiled import decider_for_text
from engine.complaint import ComplaintError
from lifecycle.decision_service import DecisionService, request_digest
from store.chain import GENESIS
from store.db import StoredDecision, stored_decision
from store.tables import decisions
from tests.helpers.lifecycle_samples import variant
from tests.helpers.store_samples import make_complaint


def submit(service, body: dict, text: str | None = None):
    text = text if text is not None else json.dumps(body, ensure_ascii=False)
    return service.submit(json.loads(text), text)


def test_a_decision_round_trips_exactly(service, store, decider):
    body = make_complaint(1)
    text = json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    outcome = submit(service, body, text)
    assert outcome.created
    record = outcome.record
    assert store.get(record.decision_id) == record
    assert record.request_body == text
    assert record.request_digest == request_digest(json.loads(text))
    assert record.decision == canonical_json(decider.decide(body))
    assert json.loads(record.fired_rules) == list(
        dict.fromkeys(r["id"] for r in record.decision_dict()["explanation"]["rules"])
    )
    assert (record.policy_digest, record.policy_version) == (decider.policy.digest, decider.policy.version)
    assert record.engine_version == "2.0.0" and record.created_at.endswith("+00:00")
    assert (record.seq, record.prev_hash) == (1, GENESIS)
    assert store.policy_text(decider.policy.digest) == decider.policy.text


def test_a_stored_row_is_read_by_position_in_the_dataclass_order(service, store):
    # stored_decision reads a row by position: the table must list the dataclass's fields first, in order.
    fields = tuple(StoredDecision.__dataclass_fields__)
    assert tuple(column.name for column in decisions.c)[: len(fields)] == fields
    record = submit(service, make_complaint(2)).record
    with store.engine.connect() as conn:
        row = conn.execute(select(decisions).where(decisions.c.decision_id == record.decision_id)).one()
    by_name = StoredDecision(**{name: getattr(row, name) for name in fields})
    assert stored_decision(row) == by_name == record


def test_same_request_is_stored_once(service, store):
    body = make_complaint(2)
    first = submit(service, body)
    again = submit(service, body, json.dumps(body, indent=4))  # same JSON, other bytes
    assert first.created and not again.created
    assert again.record == first.record
    assert store.count() == 1


def test_new_body_links_previous_and_lists_newest_first(service, store):
    body = make_complaint(3)
    ids = []
    for n in range(4):
        body["history"] = {"rejected_offers": n}
        ids.append(submit(service, body).record.decision_id)
    submit(service, make_complaint(4))  # another complaint in between changes nothing
    records, total = store.for_complaint(body["complaint_id"], limit=3)
    assert total == 4
    assert [r.decision_id for r in records] == ids[::-1][:3]
    assert [r.previous_decision_id for r in records] == ids[::-1][1:4]
    rest, _ = store.for_complaint(body["complaint_id"], limit=3, offset=3)
    assert [r.decision_id for r in rest] == ids[:1] and rest[0].previous_decision_id is None


def test_a_new_policy_decides_the_same_body_again(service, store, decider):
    body = make_complaint(5)
    first = submit(service, body).record
    newer = decider_for_text(decider.policy.text.replace('version: "2026.1"', 'version: "2026.1-store-test"'))
    assert newer.policy.digest != decider.policy.digest
    second = submit(DecisionService(newer, store), body)
    assert second.created and second.record.previous_decision_id == first.decision_id
    assert second.record.policy_version == "2026.1-store-test"
    assert store.policy_text(newer.policy.digest) == newer.policy.text
    assert not submit(service, body).created  # the first policy's answer is still the stored one


def test_hash_chain_detects_edits_and_removals(service, store):
    for i in range(5):
        submit(service, make_complaint(10 + i))
    report = store.verify_chain()
    assert report.ok and report.count == 5 and report.head_seq == 5
    with store.engine.begin() as conn:
        conn.execute(update(decisions).where(decisions.c.seq == 3).values(decision='{"route":"forged"}'))
    report = store.verify_chain()
    assert not report.ok and any("seq 3" in p and "edited" in p for p in report.problems)
    with store.engine.begin() as conn:
        conn.execute(delete(decisions).where(decisions.c.seq == 3))
    report = store.verify_chain()
    assert any("seq 4" in p and "missing" in p for p in report.problems)


def test_concurrent_writers_keep_one_chain(service, store):
    threads, per_thread = 8, 12
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for n in range(per_thread):
                assert submit(service, make_complaint(1000 + t * per_thread + n)).created
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors[:1]
    report = store.verify_chain()
    assert report.ok, report.problems
    assert report.count == threads * per_thread == report.head_seq


def test_identical_requests_at_once_give_one_decision(service, store):
    body = make_complaint(77)
    barrier = threading.Barrier(8)
    outcomes, errors = [], []

    def work() -> None:
        try:
            barrier.wait()
            outcomes.append(submit(service, body))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors[:1]
    assert sum(o.created for o in outcomes) == 1
    assert len({o.record.decision_id for o in outcomes}) == 1
    assert store.count() == 1


def test_append_with_a_taken_key_returns_the_stored_row(store, decider):
    body = make_complaint(8)
    decision = decider.decide(body)
    args = dict(
        policy=decider.policy,
        complaint_id=body["complaint_id"],
        request_body=json.dumps(body),
        request_digest=request_digest(body),
        decision=decision,
        fired_rules=["x"],
        engine_version="1.0.0",
    )
    first, created = store.append(decision_id="11111111-1111-1111-1111-111111111111", **args)
    second, created_again = store.append(decision_id="22222222-2222-2222-2222-222222222222", **args)
    assert created and not created_again and second == first


def test_api_keys(store):
    key, token = store.create_key("ops", ["decider", "auditor"])
    assert token.startswith(f"cds_{key.key_id}_") and len(token) > 40
    assert store.key_for_token(token) == key
    assert store.key_for_token(token + "x") is None
    assert [k.key_id for k in store.list_keys()] == [key.key_id]
    assert store.revoke_key(key.key_id) and not store.revoke_key(key.key_id)
    assert store.key_for_token(token) is None and store.active_key_count() == 0
    with pytest.raises(ValueError, match="unknown role"):
        store.create_key("x", ["root"])


def test_schema_init_is_idempotent(store_url):
    from store import DecisionStore

    for _ in range(2):
        again = DecisionStore(store_url)
        again.init_schema()
        again.ping()
        again.dispose()


def test_nul_characters_are_refused_on_every_store(service, store):
    body = make_complaint(9)
    body["description"] = "a\u0000b"
    body["complaint_id"] = "C\u0000"
    with pytest.raises(ComplaintError) as caught:
        submit(service, body)
    assert set(caught.value.errors) == {"description", "complaint_id"}
    assert store.count() == 0


def test_the_last_good_version_of_a_policy_file_is_remembered(store, decider):
    other = decider_for_text(variant("2026.9", frontline_refund="300.00")).policy
    assert store.policy_for_source("/srv/policies.yaml") is None
    # Several workers booting at once, each with its own connection: none fails.
    with ThreadPoolExecutor(max_workers=4) as pool:
        racing = [pool.submit(store.remember_policy_source, "/srv/policies.yaml", decider.policy) for _ in range(4)]
    assert [future.result(timeout=30) for future in racing] == [None] * 4
    store.remember_policy_source("/srv/policies.yaml", other)
    store.remember_policy_source("/srv/other.yaml", decider.policy)
    found = store.policy_for_source("/srv/policies.yaml")
    assert (found["digest"], found["version"], found["text"]) == (other.digest, "2026.9", other.text)
    assert store.policy_for_source("/srv/other.yaml")["digest"] == decider.policy.digest
