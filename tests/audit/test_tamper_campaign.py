"""The tamper campaign (issue 25): a database operator with full SQL access but without the signing key tries to
rewrite history; every attempt must be refused by the signer and reported by `store verify` (and, with a witness,
named as a fork or rollback). Runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from audit.verify import verify_log
from cli.main import cli
from lifecycle.checkpointing import Checkpointer
from lifecycle.decision_service import DecisionService
from store.checkpoints import HeadRefused, all_statements, take_checkpoint
from store.governance import NewEvent, PolicyRegister
from store.governance import event_hash as register_hash
from store.signing import SigningKey, write_key_pair
from store.signing import read_signing_key as read_key
from store.staff import StaffStore
from store.staff import event_hash as staff_hash
from store.tables import decisions, policy_event_head, policy_events, staff_events
from store.witness import HeadFile
from tests.helpers.audit_samples import execute, fill, recompute_chain


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "keys" / "signing.pem"
    write_key_pair(path)
    return path


@pytest.fixture
def signer(key_file) -> SigningKey:
    return read_key(key_file)


@pytest.fixture
def heads(key_file) -> HeadFile:
    return HeadFile(Path(f"{key_file}.head"))


@pytest.fixture
def checkpointer(decider, store, signer, heads) -> Checkpointer:
    return Checkpointer(
        store, signer, lambda: [{"digest": decider.policy.digest}], every=10, seconds=0, signed_heads=heads
    )


def _register(store, decider, n: int = 3) -> None:
    register = PolicyRegister(store)
    for i in range(n):
        register.transition(
            lambda events, now, i=i: [
                NewEvent(decider.policy.digest, decider.policy.version, "proposed", f"key-{i}", f"person {i}", "r", {})
            ],
            decider.policy,
        )


@pytest.fixture
def signed(decider, store, checkpointer):
    """A register of 3 events, a staff trail of 30 events, then 40 decisions signed every 10 (each checkpoint
    covers the register's and the trail's heads)."""
    _register(store, decider)
    trail = StaffStore(store)
    for i in range(30):
        trail.record("alice", "approve", {"n": i})
    fill(DecisionService(decider, store, checkpointer.recorded), 32, reevaluate_every=4)
    assert store.count() == 40
    assert checkpointer.refused is None, checkpointer.refused
    return store


def keys_of(signer: SigningKey) -> dict:
    return {signer.key_id: signer.public}


def _kinds(report) -> set[str]:
    return {p.kind for p in report.problems}


def _cli_verify(store_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["store", "verify", "--database-url", store_url, *args])
    return result.exit_code, result.output


def _rewrite_request_and_resign_attempt(store, decider) -> None:
    """The worst attack of the issue: change one decision's stored request (replay cannot see it), recompute
    the chain from that row on, update the register's anchors and recompute its chain, delete the statements."""
    execute(
        store,
        "UPDATE decisions SET request_body = REPLACE(request_body, '\"complaint_id\"', '\"complaint_id\" ') "
        "WHERE seq = 15",
    )
    recompute_chain(store)
    with store.engine.begin() as conn:
        head = conn.execute(select(decisions.c.chain_hash).where(decisions.c.seq == 40)).scalar()
        prev = "0" * 64
        for event in conn.execute(select(policy_events).order_by(policy_events.c.seq)).all():
            values = dict(event._mapping)
            if values["decision_seq"] == 40:
                values["decision_hash"] = head
            values["prev_hash"] = prev
            values["chain_hash"] = register_hash(values)
            conn.execute(update(policy_events).where(policy_events.c.seq == event.seq).values(**values))
            prev = values["chain_hash"]
    execute(store, "DELETE FROM signed_statements")


def test_the_signer_refuses_a_rewritten_history_with_its_statements_deleted(
    signed, decider, checkpointer, signer, heads, store_url, caplog
):
    kept = heads.read()
    assert [s.seq for s in kept][-1] == 40
    _rewrite_request_and_resign_attempt(signed, decider)
    fill(DecisionService(decider, signed), 2, seed=7, reevaluate_every=0)  # new decisions wait to be signed
    with caplog.at_level("ERROR", logger="complaints.checkpoints"):
        assert checkpointer.sign() is None
    assert checkpointer.refused and "not in the store" in checkpointer.refused
    assert any(getattr(r, "alert", None) == "signing-refused" for r in caplog.records)
    assert all_statements(signed) == []  # nothing was signed
    with pytest.raises(HeadRefused):
        take_checkpoint(signed, signer, [], signed_heads=heads)
    report = verify_log(signed, keys_of(signer))
    assert not report.ok and "statement" in _kinds(report), report.as_text()
    witnessed = verify_log(signed, keys_of(signer), witnesses=[(str(heads.path), kept)])
    assert {"rollback", "rewritten"} <= _kinds(witnessed), witnessed.as_text()
    rollback = next(p for p in witnessed.problems if p.kind == "rollback")
    assert str(heads.path) in rollback.expected and "statement 1" in rollback.expected
    code, output = _cli_verify(store_url, "--witness", str(heads.path))
    assert code == 1 and "rollback" in output and str(heads.path) in output


def test_a_rewrite_without_deleting_statements_is_refused_too(signed, checkpointer, decider):
    execute(signed, "UPDATE decisions SET request_body = REPLACE(request_body, '\"', '\" ') WHERE seq = 15")
    recompute_chain(signed)
    fill(DecisionService(decider, signed), 2, seed=7, reevaluate_every=0)
    assert checkpointer.sign() is None
    assert "seq 40" in checkpointer.refused


def test_an_edited_decision_not_yet_signed_is_not_signed(signed, checkpointer, decider):
    """Rows after the last signed head are recomputed before signing: an edit there is not blessed."""
    fill(DecisionService(decider, signed), 3, seed=7, reevaluate_every=0)
    execute(signed, "UPDATE decisions SET request_body = REPLACE(request_body, '\"', '\" ') WHERE seq = 42")
    assert checkpointer.sign() is None
    assert "decision seq 42 no longer hashes" in checkpointer.refused


def test_a_store_with_no_checkpoint_fails_verify_in_production(store, service, store_url, monkeypatch):
    fill(service, 4, reevaluate_every=0)
    assert _cli_verify(store_url)[0] == 0  # development: a note, not a failure
    monkeypatch.setenv("COMPLAINTS_ENV", "production")
    code, output = _cli_verify(store_url)
    assert code == 1 and "required in production" in output


def test_signed_statements_deleted_is_a_finding_not_a_fresh_start(signed, signer):
    execute(signed, "DELETE FROM signed_statements")
    report = verify_log(signed, keys_of(signer))
    assert not report.ok
    assert any(p.kind == "statement" and "deleted" in p.meaning for p in report.problems), report.as_text()


def test_a_recomputed_register_is_found_by_the_signed_head(signed, signer, checkpointer):
    """Rewrite who proposed a policy version and recompute the register chain: its own chain says intact."""
    with signed.engine.begin() as conn:
        prev = "0" * 64
        for event in conn.execute(select(policy_events).order_by(policy_events.c.seq)).all():
            values = dict(event._mapping)
            if values["seq"] == 2:
                values["actor_name"] = "someone else"
            values["prev_hash"] = prev
            values["chain_hash"] = register_hash(values)
            conn.execute(update(policy_events).where(policy_events.c.seq == event.seq).values(**values))
            prev = values["chain_hash"]
        conn.execute(update(policy_event_head).where(policy_event_head.c.id == 1).values(hash=prev))
    report = verify_log(signed, keys_of(signer))
    assert "register" in _kinds(report), report.as_text()
    assert checkpointer.sign() is None and "policy register" in checkpointer.refused


def test_the_last_twenty_staff_events_deleted_are_found(signed, signer, checkpointer, store_url):
    execute(signed, "DELETE FROM staff_events WHERE seq > 10")
    report = verify_log(signed, keys_of(signer))
    assert "staff-trail" in _kinds(report), report.as_text()
    code, output = _cli_verify(store_url)
    assert code == 1 and "staff trail" in output
    assert checkpointer.sign() is None and "staff trail" in checkpointer.refused


def test_an_edited_staff_event_is_found(signed, signer):
    with signed.engine.begin() as conn:
        event = dict(conn.execute(select(staff_events).where(staff_events.c.seq == 5)).one()._mapping)
        event["username"] = "mallory"
        event["chain_hash"] = staff_hash(event)  # the row alone rehashed: the next link breaks
        conn.execute(update(staff_events).where(staff_events.c.seq == 5).values(**event))
    assert "staff-trail" in _kinds(verify_log(signed, keys_of(signer)))


def test_a_policy_comment_edit_with_its_text_digest_updated_is_found(signed, signer, decider, checkpointer):
    from canonical import sha256_hex

    text = decider.policy.text + "\n# a comment added later\n"
    execute(signed, "UPDATE policies SET text = :text WHERE digest = :digest", text=text, digest=decider.policy.digest)
    execute(
        signed,
        "UPDATE policy_text_digests SET text_sha256 = :sha WHERE digest = :digest",
        sha=sha256_hex(text),
        digest=decider.policy.digest,
    )
    report = verify_log(signed, keys_of(signer))
    assert any(p.kind == "policy-text" and "signed" in p.expected for p in report.problems), report.as_text()
    assert checkpointer.sign() is None and "policy" in checkpointer.refused


def test_a_fork_is_named_by_witness_and_position(signed, signer, heads, tmp_path):
    """Another statement under a number the witness holds: the operator re-signed with a key of their own."""
    witness = tmp_path / "auditor.jsonl"
    witness.write_text(heads.path.read_text())
    mallory = SigningKey.generate()
    execute(signed, "DELETE FROM signed_statements WHERE id >= 3")
    take_checkpoint(signed, mallory, [])
    report = verify_log(
        signed, {**keys_of(signer), mallory.key_id: mallory.public}, witnesses=[("auditor", HeadFile(witness).read())]
    )
    fork = [p for p in report.problems if p.kind == "fork"]
    assert fork and "statement 3" in fork[0].expected and "auditor" in fork[0].expected, report.as_text()


def test_the_head_file_is_appended_in_order_and_holds_every_signed_head(signed, heads):
    numbers = [s.number for s in heads.read()]
    assert numbers == sorted(numbers) and numbers[-1] == all_statements(signed)[-1].number
    lines = heads.path.read_text().splitlines()
    assert all(json.loads(line)["type"] == "statement" for line in lines)


# verify-bundle: the same attacks, found offline from a bundle with the auditor's witness.


def _bundle_and_verify(store_url: str, tmp_path: Path, key_file: Path, *witnesses: Path) -> tuple[int, str]:
    out = tmp_path / "all.bundle"
    made = CliRunner().invoke(
        cli,
        ["audit", "bundle", str(out), "--database-url", store_url],
        env={"COMPLAINTS_SIGNING_KEY_FILE": str(key_file)},
    )
    if made.exit_code != 0:
        return made.exit_code, made.output
    args = ["audit", "verify-bundle", str(out), "--public-key", f"{key_file}.pub"]
    for witness in witnesses:
        args += ["--witness", str(witness)]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def _auditor_copy(heads: HeadFile, tmp_path: Path) -> Path:
    witness = tmp_path / "auditor-witness.jsonl"
    witness.write_text(heads.path.read_text())
    return witness


def test_an_untouched_bundle_verifies_with_a_witness(signed, store_url, tmp_path, key_file, heads):
    code, output = _bundle_and_verify(store_url, tmp_path, key_file, _auditor_copy(heads, tmp_path))
    assert code == 0, output
    assert "policy register: 3 events" in output and "staff trail: 30 events" in output
    assert "identical" in output


def test_the_rewrite_and_delete_attack_is_found_by_verify_bundle(signed, decider, store_url, tmp_path, key_file, heads):
    witness = _auditor_copy(heads, tmp_path)
    _rewrite_request_and_resign_attempt(signed, decider)
    code, output = _bundle_and_verify(store_url, tmp_path, key_file, witness)
    assert code == 1 and "refused to sign" in output  # the bundle command's signer refuses too
    # Worse: the operator also reaches the signer's host, deletes its kept heads and the store's record of the
    # key, so the signer takes the store for a fresh one and signs the rewritten log as "checkpoint 1".
    heads.path.unlink()
    execute(signed, "DELETE FROM signing_keys")
    code, output = _bundle_and_verify(store_url, tmp_path, key_file)
    assert code == 0, output  # alone, the re-signed bundle is consistent: only a witness can tell
    code, output = _bundle_and_verify(store_url, tmp_path, key_file, witness)
    assert code == 1 and f"fork: witness {witness} holds statement 1 (seq 10" in output, output
    report = verify_log(signed, keys_of(read_key(key_file)), witnesses=[(str(witness), HeadFile(witness).read())])
    assert {"fork", "rollback", "rewritten"} <= _kinds(report), report.as_text()


def test_a_register_rewrite_is_found_by_verify_bundle(signed, store_url, tmp_path, key_file, heads):
    witness = _auditor_copy(heads, tmp_path)
    with signed.engine.begin() as conn:
        prev = "0" * 64
        for event in conn.execute(select(policy_events).order_by(policy_events.c.seq)).all():
            values = dict(event._mapping)
            values["actor_name"] = "someone else" if values["seq"] == 2 else values["actor_name"]
            values["prev_hash"], values["chain_hash"] = prev, None
            values["chain_hash"] = register_hash(values)
            conn.execute(update(policy_events).where(policy_events.c.seq == event.seq).values(**values))
            prev = values["chain_hash"]
        conn.execute(update(policy_event_head).where(policy_event_head.c.id == 1).values(hash=prev))
    out = tmp_path / "b.bundle"
    assert CliRunner().invoke(cli, ["audit", "bundle", str(out), "--database-url", store_url]).exit_code == 0
    result = CliRunner().invoke(
        cli, ["audit", "verify-bundle", str(out), "--public-key", f"{key_file}.pub", "--witness", str(witness)]
    )
    assert result.exit_code == 1 and "policy register was rewritten" in result.output, result.output


def test_staff_events_deleted_are_found_by_verify_bundle(signed, store_url, tmp_path, key_file, heads):
    execute(signed, "DELETE FROM staff_events WHERE seq > 10")
    out = tmp_path / "b.bundle"
    assert CliRunner().invoke(cli, ["audit", "bundle", str(out), "--database-url", store_url]).exit_code == 0
    result = CliRunner().invoke(cli, ["audit", "verify-bundle", str(out), "--public-key", f"{key_file}.pub"])
    assert result.exit_code == 1 and "staff trail ends at event 10" in result.output, result.output


def test_a_policy_comment_edit_is_found_by_verify_bundle(signed, store_url, tmp_path, key_file, decider):
    from canonical import sha256_hex

    text = decider.policy.text + "\n# a comment added later\n"
    execute(signed, "UPDATE policies SET text = :text WHERE digest = :digest", text=text, digest=decider.policy.digest)
    execute(
        signed,
        "UPDATE policy_text_digests SET text_sha256 = :sha WHERE digest = :digest",
        sha=sha256_hex(text),
        digest=decider.policy.digest,
    )
    out = tmp_path / "b.bundle"
    assert CliRunner().invoke(cli, ["audit", "bundle", str(out), "--database-url", store_url]).exit_code == 0
    result = CliRunner().invoke(cli, ["audit", "verify-bundle", str(out), "--public-key", f"{key_file}.pub"])
    assert result.exit_code == 1 and "comment" in result.output, result.output


# Derived state: the work queue and the recorded events, against the decisions they came from.


@pytest.fixture
def clocked(service, store):
    """Two complaints on the clock, one with two recorded events."""
    from canonical import canonical_json
    from lifecycle.clock_service import ClockService

    for complaint_id in ("CLK-1", "CLK-2"):
        body = {
            "complaint_id": complaint_id,
            "received_at": "2026-11-02T10:00:00+08:00",
            "channel": "online_chat",
            "category": "other",
            "order": {"amount": "10.00"},
        }
        service.submit(body, canonical_json(body))
    clock = ClockService(store)
    clock.report("CLK-1", {"type": "responded", "at": "2026-11-02T10:05:00+08:00", "note": "call 13900139000"})
    clock.report("CLK-1", {"type": "customer_replied", "at": "2026-11-02T11:00:00+08:00"})
    return store


def _derived(store) -> list:
    return [p for p in verify_log(store).problems if p.kind == "derived"]


def test_an_intact_work_queue_and_events_verify(clocked):
    report = verify_log(clocked)
    assert report.ok, report.as_text()
    assert report.complaints_checked == 2


def test_a_due_time_moved_to_2099_is_found(clocked, store_url):
    execute(
        clocked, "UPDATE deadline_index SET due_at = '2099-01-01T00:00:00.000000+00:00' WHERE complaint_id = 'CLK-2'"
    )
    found = _derived(clocked)
    assert found and "due_at '2099" in found[0].found and "CLK-2" in found[0].expected, found
    code, output = _cli_verify(store_url)
    assert code == 1 and "derived" in output


def test_a_deleted_work_queue_row_is_found(clocked, signer):
    """Found from the clock's start a checkpoint signed: CLK-2's rows are older than every row left."""
    take_checkpoint(clocked, signer, [])
    execute(clocked, "DELETE FROM deadline_index WHERE complaint_id = 'CLK-2'")
    found = _derived(clocked)
    assert found and "was deleted" in found[0].meaning, found
    execute(clocked, "DELETE FROM deadline_index WHERE complaint_id = 'CLK-1'")
    assert {p.expected.split(":")[0] for p in _derived(clocked)} == {"complaint CLK-1", "complaint CLK-2"}


def test_a_deleted_or_edited_recorded_event_is_found(clocked):
    execute(
        clocked, "UPDATE complaint_events SET event = REPLACE(event, '11:00', '12:00') WHERE type = 'customer_replied'"
    )
    assert any("recorded events" in p.meaning for p in _derived(clocked))
    execute(clocked, "DELETE FROM complaint_events WHERE type = 'customer_replied'")
    assert any("1 stored events" in p.found for p in _derived(clocked))


# Proofs (RFC 9162): checked by examples/verify_proof.py, an auditor's tool that imports nothing of ours.

VERIFIER = Path(__file__).resolve().parents[2] / "examples" / "verify_proof.py"


def _offline(proof_path: Path, key_file: Path) -> tuple[int, str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(VERIFIER), str(proof_path), "--public-key", f"{key_file}.pub"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_standalone_verifier_imports_nothing_of_the_service():
    import ast

    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "argparse", "base64", "hashlib", "json", "sys", "cryptography"}, imported


def test_an_inclusion_proof_verifies_offline_and_an_altered_one_does_not(signed, store_url, key_file, tmp_path):
    decision_id = row_id(signed, 15)
    proof_path = tmp_path / "proof.json"
    made = CliRunner().invoke(
        cli, ["audit", "prove", decision_id[:12], "-o", str(proof_path), "--database-url", store_url]
    )
    assert made.exit_code == 0, made.output
    proof = json.loads(proof_path.read_text())
    assert proof["index"] == 14 and proof["tree_size"] == 40 and decision_id in proof["leaf"]
    code, output = _offline(proof_path, key_file)
    assert code == 0 and f"entry {decision_id}" in output and "leaf 14 of the 40-leaf tree" in output, output
    altered = dict(proof, leaf=proof["leaf"].replace('"seq":15', '"seq":16'))
    proof_path.write_text(json.dumps(altered))
    code, output = _offline(proof_path, key_file)
    assert code == 1 and "not at index 14" in output, output
    other = tmp_path / "other.pem"
    write_key_pair(other)
    proof_path.write_text(json.dumps(proof))
    assert _offline(proof_path, other)[0] == 1  # not the key it was signed with


def test_a_consistency_proof_between_two_heads_verifies_offline(signed, store_url, key_file, tmp_path):
    for log in ("decisions", "register", "staff", "events"):
        out = tmp_path / f"{log}.json"
        made = CliRunner().invoke(
            cli, ["audit", "consistency", "1", "4", "--log", log, "-o", str(out), "--database-url", store_url]
        )
        if log == "events":  # the signed fixture records no events: no tree to be a prefix of
            assert made.exit_code == 1 and "is not a prefix" in made.output
            continue
        assert made.exit_code == 0, made.output
        code, output = _offline(out, key_file)
        assert code == 0 and "is a prefix of the tree of statement 4" in output, output
    proof = json.loads((tmp_path / "decisions.json").read_text())
    assert (proof["first_size"], proof["second_size"]) == (10, 40)
    proof["path"][0] = "00" * 32
    (tmp_path / "bad.json").write_text(json.dumps(proof))
    code, output = _offline(tmp_path / "bad.json", key_file)
    assert code == 1 and "does not extend" in output


def test_a_rewritten_log_no_longer_gives_the_signed_tree(signed, signer, store_url):
    execute(signed, "UPDATE decisions SET request_body = REPLACE(request_body, '\"', '\" ') WHERE seq = 15")
    recompute_chain(signed)
    report = verify_log(signed, keys_of(signer))
    assert "tree" in _kinds(report) and "rewritten" in _kinds(report), report.as_text()
    proof = CliRunner().invoke(cli, ["audit", "prove", row_id(signed, 3), "--database-url", store_url])
    assert proof.exit_code == 1 and "no longer give the root" in proof.output


def row_id(store, seq: int) -> str:
    with store.engine.connect() as conn:
        return conn.execute(select(decisions.c.decision_id).where(decisions.c.seq == seq)).scalar_one()


def test_a_head_file_that_cannot_be_read_or_written_is_loud(store, service, signer, tmp_path):
    """Unreadable: nothing is signed. Signed but not kept: the signer says so, and keeps it once it can."""
    fill(service, 2, reevaluate_every=0)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where a folder should be")
    with pytest.raises(HeadRefused, match="cannot be read"):
        take_checkpoint(store, signer, [], signed_heads=HeadFile(blocked / "heads.jsonl"))
    assert all_statements(store) == []
    with pytest.raises(HeadRefused, match="cannot be written"):
        take_checkpoint(store, signer, [], signed_heads=HeadFile(Path("/proc/complaints-heads.jsonl")))
    assert [s.number for s in all_statements(store)] == [1]
    heads = HeadFile(tmp_path / "heads.jsonl")
    fill(service, 1, seed=5, reevaluate_every=0)
    assert take_checkpoint(store, signer, [], signed_heads=heads) is not None
    assert [s.number for s in heads.read()] == [2]


def _clocked_bundle(store, store_url, tmp_path, key_file, signer) -> tuple[int, str]:
    take_checkpoint(store, signer, [])
    return _bundle_verified(store_url, tmp_path, key_file)


def _bundle_verified(store_url, tmp_path, key_file) -> tuple[int, str]:
    """`audit bundle` of the store, then `audit verify-bundle` of it: (exit code, output)."""
    out = tmp_path / "clock.bundle"
    made = CliRunner().invoke(
        cli,
        ["audit", "bundle", str(out), "--database-url", store_url],
        env={"COMPLAINTS_SIGNING_KEY_FILE": str(key_file)},
    )
    assert made.exit_code == 0, made.output
    result = CliRunner().invoke(cli, ["audit", "verify-bundle", str(out), "--public-key", f"{key_file}.pub"])
    return result.exit_code, result.output


def test_a_bundle_of_an_intact_clock_verifies(clocked, store_url, tmp_path, key_file, signer):
    code, output = _clocked_bundle(clocked, store_url, tmp_path, key_file, signer)
    assert code == 0, output
    assert "the recorded complaint events: 2 under the signed events tree" in output
    assert "the work queue: 3 rows, each as the decision it names gives it" in output


def test_a_due_time_moved_and_an_event_deleted_are_found_by_verify_bundle(
    clocked, store_url, tmp_path, key_file, signer
):
    take_checkpoint(clocked, signer, [])  # signed before the tampering: the events tree covers both events
    execute(
        clocked, "UPDATE deadline_index SET due_at = '2099-01-01T00:00:00.000000+00:00' WHERE complaint_id = 'CLK-2'"
    )
    execute(clocked, "DELETE FROM complaint_events WHERE type = 'customer_replied'")
    code, output = _bundle_verified(store_url, tmp_path, key_file)
    assert code == 1
    assert "work-queue row CLK-2/" in output and "due_at" in output, output
    assert "recorded complaint events no longer give the events tree" in output
