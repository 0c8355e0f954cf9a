"""Signed checkpoints on SQLite and PostgreSQL: a chain recomputed by someone with write access to the
database (but not the signing key) is found and named, as are a cut tail, a forged or removed checkpoint and
a key nobody trusts; key rotation keeps old checkpoints verifiable; the service signs on its schedule."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
from click.testing import CliRunner

from app import create_app
from audit.verify import verify_log
from cli.main import cli
from lifecycle.checkpointing import Checkpointer
from lifecycle.decision_service import DecisionService
from store.checkpoints import all_statements, take_checkpoint
from store.signing import PublicKey, SigningKey, write_key_pair
from tests.helpers.audit_samples import POLICY, execute, fill, recompute_chain, row


@pytest.fixture
def signer() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def signed(decider, store, signer):
    """40 decisions with a checkpoint every 10 (seq 10, 20, 30, 40), as the service signs them."""
    checkpointer = Checkpointer(store, signer, lambda: [{"digest": decider.policy.digest}], every=10, seconds=0)
    fill(DecisionService(decider, store, checkpointer.recorded), 32, reevaluate_every=4)
    assert store.count() == 40
    return store


# The work-queue rows of deleted decisions, which would give the deletion away (audit/derived.py).
ORPHANS = "DELETE FROM deadline_index WHERE decision_id NOT IN (SELECT decision_id FROM decisions)"


def keys_of(*signers: SigningKey) -> dict[str, PublicKey]:
    return {s.key_id: s.public for s in signers}


def test_the_service_schedule_signs_every_n_decisions(signed, signer, decider):
    statements = all_statements(signed)
    assert [(s.number, s.kind, s.seq) for s in statements] == [(n, "checkpoint", 10 * n) for n in range(1, 5)]
    body = statements[1].body()
    assert body["previous"] == statements[0].digest and body["chain_hash"] == row(signed, 20).chain_hash
    assert body["policies"] == [{"digest": decider.policy.digest}] and body["signed_at"].endswith("+08:00")
    report = verify_log(signed, keys_of(signer))
    assert report.ok, report.as_text()
    assert report.checkpoints_checked == 4 and report.last_checkpoint["seq"] == 40
    assert report.key_source == "given" and report.keys == [signer.key_id]


def test_a_recomputed_chain_is_found_and_named(signed, signer):
    """The attack: edit a decision, recompute every link with store.chain.link_hash, move the head."""
    victim = row(signed, 15)
    execute(signed, 'UPDATE decisions SET decision = REPLACE(decision, \'"team":"\', \'"team":"x\') WHERE seq = 15')
    recompute_chain(signed)
    report = verify_log(signed, keys_of(signer))
    assert not report.ok
    # Besides the chain: the work queue no longer matches the edited decision, the signed tree no longer holds.
    assert {p.kind for p in report.problems} == {"rewritten", "derived", "tree"}, report.as_text()
    report.problems = [p for p in report.problems if p.kind == "rewritten"]
    first = report.first_break
    assert (first.kind, first.seq, first.decision_id) == ("rewritten", 20, row(signed, 20).decision_id)
    assert "chain rewritten after checkpoint 1 (seq 10)" in first.detail
    assert row(signed, 15).decision_id == victim.decision_id
    assert [p.seq for p in report.problems] == [20, 30, 40]  # every later checkpoint no longer matches
    assert report.last_checkpoint["number"] == 1


def test_the_chain_alone_would_have_said_intact(signed):
    """Why checkpoints (and witnesses): without them, the same recomputation passes once the operator also
    removes the record of the signing key; with that record left, the deleted statements are a finding."""
    execute(
        signed, 'UPDATE decisions SET decision = REPLACE(decision, \'"summary":"\', \'"summary":"x\') WHERE seq = 15'
    )
    recompute_chain(signed)
    execute(signed, "DELETE FROM signed_statements")
    report = verify_log(signed)
    assert not report.ok and "signed statements were deleted" in report.as_text()
    execute(signed, "DELETE FROM signing_keys")
    report = verify_log(signed)
    assert report.ok and "no signed checkpoints" in report.as_text()


def test_a_cut_tail_is_found_even_with_the_head_moved_back(signed, signer):
    execute(signed, "DELETE FROM decisions WHERE seq > 35")
    execute(signed, ORPHANS)
    recompute_chain(signed)  # head moved to seq 35 with its hash: the chain alone is consistent
    report = verify_log(signed, keys_of(signer))
    assert [(p.kind, p.seq) for p in report.problems] == [("truncated", 40), ("tree", None)], report.as_text()
    assert "the log ends at seq 35: decisions seq 36..40 were deleted" in report.first_break.detail


def test_a_forged_or_removed_checkpoint_is_found(signed, signer):
    execute(
        signed,
        "UPDATE signed_statements SET statement = REPLACE(statement, :a, :b) WHERE id = 2",
        a='"seq":20',
        b='"seq":21',
    )
    forged = verify_log(signed, keys_of(signer)).first_break
    assert forged.kind == "statement" and "checkpoint statement 2" in forged.detail and "signature" in forged.detail
    execute(signed, "DELETE FROM signed_statements WHERE id = 2")
    removed = verify_log(signed, keys_of(signer)).first_break
    assert removed.kind == "statement" and "statements 2..2 are missing" in removed.detail


def test_a_checkpoint_signed_with_another_key_is_not_trusted(signed, signer):
    intruder = SigningKey.generate()
    report = verify_log(signed, keys_of(intruder))
    assert not report.ok and f"signed by key {signer.key_id}, which is not one of the keys" in str(report.first_break)
    # Without keys given, the keys recorded in the store are used, and the report says what that is worth.
    fallback = verify_log(signed)
    assert fallback.ok and fallback.key_source == "store"
    assert "whoever writes the database could replace" in fallback.as_text()


def test_key_rotation_keeps_old_checkpoints_verifiable(decider, store, signer):
    service = DecisionService(decider, store)
    fill(service, 5, reevaluate_every=0)
    take_checkpoint(store, signer, [])
    rotated = SigningKey.generate()
    fill(service, 5, seed=99, reevaluate_every=0)
    take_checkpoint(store, rotated, [])
    assert [s.key_id for s in all_statements(store)] == [signer.key_id, rotated.key_id]
    assert verify_log(store, keys_of(signer, rotated)).ok
    only_new = verify_log(store, keys_of(rotated))
    assert [p.kind for p in only_new.problems] == ["statement"] and signer.key_id in only_new.first_break.detail


def test_checkpoints_kept_by_the_auditor_catch_a_cut_that_removed_them_too(signed, signer, store_url, tmp_path):
    runner = CliRunner()
    kept = tmp_path / "checkpoints.jsonl"
    exported = runner.invoke(cli, ["export-checkpoints", "-o", str(kept), "--database-url", store_url])
    assert exported.exit_code == 0 and "4 signed statements, 1 public keys" in exported.stderr
    execute(signed, "DELETE FROM decisions WHERE seq > 25")
    execute(signed, ORPHANS)
    execute(signed, "DELETE FROM signed_statements WHERE id > 2")
    recompute_chain(signed)
    public = tmp_path / "signing.pub"
    public.write_text(signer.public.pem)
    blind = runner.invoke(cli, ["store", "verify", "--public-key", str(public), "--database-url", store_url])
    assert blind.exit_code == 0  # the store alone cannot show what it no longer holds
    held = runner.invoke(
        cli, ["store", "verify", "--public-key", str(public), "--checkpoints", str(kept), "--database-url", store_url]
    )
    assert held.exit_code == 1, held.output
    assert "statement 3 that you hold (seq 30" in held.output and "no such statement in the store" in held.output
    assert "decisions seq 26..40 were deleted" in held.output


def test_cli_keys_checkpoint_and_verify(store, decider, store_url, tmp_path):
    runner = CliRunner()
    key_path = tmp_path / "keys" / "signing.pem"
    made = runner.invoke(cli, ["keys", "signing", "create", str(key_path)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    public = PublicKey.from_file(f"{key_path}.pub")
    assert public.key_id in made.stdout
    assert runner.invoke(cli, ["keys", "signing", "create", str(key_path)]).exit_code == 1  # never overwritten

    db = ["--database-url", store_url]
    env = {"COMPLAINTS_SIGNING_KEY_FILE": str(key_path)}
    empty = runner.invoke(cli, ["checkpoint", *db], env=env)
    assert empty.exit_code == 0 and "nothing to sign" in empty.output
    fill(DecisionService(decider, store), 4, reevaluate_every=0)
    signed = runner.invoke(cli, ["checkpoint", "--policy", str(POLICY), *db], env=env)
    assert signed.exit_code == 0, signed.output
    assert f"checkpoint 1: seq 4, chain hash {row(store, 4).chain_hash}" in signed.stdout
    assert all_statements(store)[0].body()["policies"][0]["digest"] == decider.policy.digest
    again = runner.invoke(cli, ["checkpoint", *db], env=env)
    assert "checkpoint 1 already signs the head (seq 4)" in again.output
    assert runner.invoke(cli, ["checkpoint", *db], env={"COMPLAINTS_SIGNING_KEY_FILE": ""}).exit_code == 2

    verified = runner.invoke(cli, ["store", "verify", "--public-key", f"{key_path}.pub", *db])
    assert verified.exit_code == 0, verified.output
    assert "1 checkpoints match the chain; the last, checkpoint 1, signed seq 4" in verified.output
    assert "signatures checked with the public keys given" in verified.output
    lines = [json.loads(x) for x in runner.invoke(cli, ["export-checkpoints", *db]).stdout.splitlines()]
    assert [x["type"] for x in lines] == ["public_key", "statement"] and lines[0]["key_id"] == public.key_id


def test_the_service_signs_by_count_and_by_time(tmp_path):
    key_path = tmp_path / "signing.pem"
    write_key_pair(key_path)
    base = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
        "COMPLAINTS_POLICY": str(POLICY),
        "COMPLAINTS_SIGNING_KEY_FILE": str(key_path),
    }
    from bench.corpus import iter_complaints

    app = create_app({**base, "COMPLAINTS_CHECKPOINT_EVERY": 3, "COMPLAINTS_CHECKPOINT_SECONDS": 0})
    client, store = app.test_client(), app.extensions["complaints"].store
    for complaint in iter_complaints(7, 5):
        assert client.post("/v1/decisions", json=complaint).status_code in (201, 422)
    assert [s.seq for s in all_statements(store)] == [3, 6][: store.count() // 3]

    timed = create_app({**base, "COMPLAINTS_CHECKPOINT_EVERY": 0, "COMPLAINTS_CHECKPOINT_SECONDS": 1})
    client = timed.test_client()
    for complaint in iter_complaints(2, 6):
        client.post("/v1/decisions", json=complaint)
    head = store.count()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and all_statements(store)[-1].seq != head:
        time.sleep(0.1)
    timed.extensions["complaints"].checkpointer.stop()
    app.extensions["complaints"].checkpointer.stop()
    assert all_statements(store)[-1].seq == head
    public = PublicKey.from_file(f"{key_path}.pub")
    assert verify_log(store, {public.key_id: public}).ok
    served = client.get("/v1/audit/checkpoints").get_json()
    assert [s["id"] for s in served["statements"]] == [s.number for s in all_statements(store)]
    assert served["public_keys"] == [{"key_id": public.key_id, "public_key": public.pem}]
    verified = client.get("/v1/audit/verify").get_json()
    assert verified["ok"] and verified["checkpoints"]["last"]["seq"] == head


def test_an_unreadable_signing_key_refuses_to_start(tmp_path):
    from api.settings import ConfigError

    bad = tmp_path / "signing.pem"
    bad.write_text("not a key")
    with pytest.raises(ConfigError, match=f"signing key {bad}: not an unencrypted PEM private key"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "COMPLAINTS_SIGNING_KEY_FILE": str(bad)})
