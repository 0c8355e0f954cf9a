"""Tamper evidence on SQLite and PostgreSQL: raw SQL edits, deletions and reorderings are found, and the
report names the exact decision (seq and decision_id); concurrent writers keep one intact chain."""

from __future__ import annotations

import multiprocessing
import threading

from click.testing import CliRunner

from audit.verify import verify_log
from cli.main import cli
from engine.compiled import decider_for_file
from lifecycle.decision_service import DecisionService
from store import DecisionStore
from tests.helpers.audit_samples import execute, fill, row


def test_an_untouched_log_is_intact(filled):
    report = verify_log(filled)
    assert report.ok and report.first_break is None
    assert report.count == report.head_seq == report.last_seq > 30
    assert report.as_dict()["result"] == "intact"


def test_an_edited_decision_is_named(filled):
    victim = row(filled, 7)
    execute(
        filled, "UPDATE decisions SET decision = REPLACE(decision, '\"frontline\"', '\"manager\"') || ' ' WHERE seq = 7"
    )
    report = verify_log(filled)
    assert not report.ok
    first = report.first_break
    assert (first.kind, first.seq, first.decision_id) == ("edited", 7, victim.decision_id)
    assert report.problem_count == 1  # the next link still matches the stored chain_hash


def test_an_edited_request_body_is_named(filled):
    victim = row(filled, 12)
    execute(
        filled,
        "UPDATE decisions SET request_body = REPLACE(request_body, '\"category\"', '\"category\" ') WHERE seq = 12",
    )
    first = verify_log(filled).first_break
    assert (first.kind, first.seq, first.decision_id) == ("edited", 12, victim.decision_id)


def test_a_rewritten_and_rehashed_row_shows_at_the_next_link(filled):
    """Who rewrites a row and its chain_hash (but not the rest of the chain) breaks the following link."""
    from store.chain import link_hash

    victim, following = row(filled, 5), row(filled, 6)
    values = victim._asdict()
    values["created_at"] = "2020-01-01T00:00:00.000000+00:00"
    execute(
        filled,
        "UPDATE decisions SET created_at = :c, chain_hash = :h WHERE seq = 5",
        c=values["created_at"],
        h=link_hash(values),
    )
    report = verify_log(filled)
    first = report.first_break
    assert (first.kind, first.seq, first.decision_id) == ("relinked", 6, following.decision_id)
    assert "seq 5" in first.detail


def test_a_deleted_decision_is_named_by_its_place(filled):
    after = row(filled, 9)
    before = row(filled, 7)
    execute(filled, "DELETE FROM decisions WHERE seq = 8")
    report = verify_log(filled)
    first = report.first_break
    assert (first.kind, first.seq, first.decision_id) == ("missing", 9, after.decision_id)
    assert "seq 8 missing" in first.detail and before.decision_id in first.detail


def test_reordered_decisions_are_named(filled):
    a, b = row(filled, 3), row(filled, 4)
    execute(filled, "UPDATE decisions SET seq = -4 WHERE seq = 4")
    execute(filled, "UPDATE decisions SET seq = 4 WHERE seq = 3")
    execute(filled, "UPDATE decisions SET seq = 3 WHERE seq = -4")
    report = verify_log(filled)
    first = report.first_break
    assert first.seq == 3 and first.decision_id == b.decision_id  # the decision now in 3rd place
    assert {(p.seq, p.decision_id) for p in report.problems} >= {(3, b.decision_id), (4, a.decision_id)}
    moved = {p.seq: p for p in report.problems if p.kind == "reordered"}
    assert moved[3].expected == "this decision at seq 4, where it was recorded" and moved[3].found == "it at seq 3"
    assert moved[4].expected == "this decision at seq 3, where it was recorded"
    assert not [p for p in report.problems if p.kind == "edited"]  # a move is not called an edit


def test_deleted_last_decisions_show_at_the_head(filled):
    last = verify_log(filled).last_seq
    remaining = row(filled, last - 2)
    execute(filled, "DELETE FROM decisions WHERE seq >= :s", s=last - 1)
    report = verify_log(filled)
    first = report.first_break
    assert (first.kind, first.seq, first.decision_id) == ("head", last - 2, remaining.decision_id)
    assert (first.expected, first.found) == (
        f"the chain head at the last row, seq {last - 2}",
        f"the chain head at seq {last}",
    )
    assert first.meaning == f"decisions seq {last - 1}..{last} were deleted from the end of the log"


def test_a_moved_head_never_contradicts_itself(filled):
    """Same seq, other hash: the message must not read 'head is seq 53 but the last row is seq 53'."""
    last = row(filled, verify_log(filled).last_seq)
    execute(filled, "UPDATE chain_head SET hash = :h", h="f" * 64)
    first = verify_log(filled).first_break
    assert (first.kind, first.seq, first.decision_id) == ("head", last.seq, last.decision_id)
    assert first.expected == f"the chain head's hash {last.chain_hash} (seq {last.seq}'s chain_hash)"
    assert first.found == "f" * 64 and "moved" in first.meaning


def test_every_finding_says_what_was_expected_found_and_meant(filled):
    victim = row(filled, 7)
    execute(filled, "UPDATE decisions SET fired_rules = '[]' WHERE seq = 7")
    execute(filled, "DELETE FROM decisions WHERE seq = 20")
    report = verify_log(filled)
    for problem in report.problems:
        assert problem.expected and problem.found and problem.meaning, problem
        # a work-queue row left by the deleted decision names a decision that has no seq any more
        assert problem.decision_id and (problem.seq is not None or problem.kind == "derived"), problem
    assert any(p.kind == "derived" and "deleted" in p.meaning for p in report.problems)
    edited, missing, relinked = [p for p in report.problems if p.kind != "derived"]
    assert (edited.kind, edited.seq, edited.decision_id) == ("edited", 7, victim.decision_id)
    assert edited.expected == f"chain_hash {victim.chain_hash} (as stored)"
    assert edited.found.startswith("the row's content hashes to ") and edited.meaning.startswith(
        "this decision was changed"
    )
    assert (missing.kind, missing.seq, missing.expected, missing.found) == ("missing", 21, "seq 20", "seq 21")
    assert "seq 20 missing after decision" in missing.meaning and "deleted" in missing.meaning
    assert (relinked.kind, relinked.seq) == ("relinked", 21) and "no longer in the log" in relinked.meaning
    text = report.as_text()
    assert f"seq 7 (decision {victim.decision_id}): edited: expected chain_hash {victim.chain_hash}" in text


def test_cli_store_verify_names_the_decision(filled, store_url):
    victim = row(filled, 2)
    runner = CliRunner()
    ok = runner.invoke(cli, ["store", "verify", "--database-url", store_url])
    assert ok.exit_code == 0 and "intact" in ok.output
    execute(filled, "UPDATE decisions SET fired_rules = '[]' WHERE seq = 2")
    broken = runner.invoke(cli, ["store", "verify", "--database-url", store_url])
    assert broken.exit_code == 1
    assert f"first break: seq 2 (decision {victim.decision_id}): edited" in broken.output


def test_threads_writing_at_once_keep_one_chain(service, store):
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            fill(service, 10, seed=1000 + t, reevaluate_every=0)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors[:1]
    report = verify_log(store)
    assert report.ok, report.as_text()
    assert report.count == report.head_seq >= 55


def _process_writer(url: str, seed: int, queue) -> None:
    from tests.helpers.audit_samples import POLICY

    store = DecisionStore(url)
    try:
        queue.put(len(fill(DecisionService(decider_for_file(POLICY), store), 12, seed=seed, reevaluate_every=3)))
    except BaseException as exc:  # noqa: BLE001
        queue.put(repr(exc))
    finally:
        store.dispose()


def test_processes_writing_at_once_keep_one_chain(store, store_url):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_process_writer, args=(store_url, 2000 + p, queue)) for p in range(3)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    assert all(isinstance(r, int) for r in results), results
    report = verify_log(store)
    assert report.ok, report.as_text()
    assert report.count == sum(results) == report.head_seq


def test_a_comment_only_edit_of_a_policy_text_is_found(filled):
    digest = row(filled, 1).policy_digest
    execute(filled, "UPDATE policies SET text = text || '# edited later' WHERE digest = :d", d=digest)
    report = verify_log(filled)
    assert not report.ok
    first = report.first_break
    assert (first.kind, first.seq) == ("policy-text", None)
    assert digest[:12] in first.detail and "text digest" in first.detail
    assert report.as_dict()["policies"] == 1


def test_a_policy_text_edit_with_its_text_digest_rewritten_is_found_by_its_content(filled):
    from canonical import sha256_hex

    digest = row(filled, 1).policy_digest
    text = filled.policy_text(digest).replace("frontline: 200.00", "frontline: 900.00")
    execute(filled, "UPDATE policies SET text = :t WHERE digest = :d", t=text, d=digest)
    execute(filled, "UPDATE policy_text_digests SET text_sha256 = :s WHERE digest = :d", s=sha256_hex(text), d=digest)
    first = verify_log(filled).first_break
    assert first.kind == "policy-text" and "no longer gives its digest" in first.detail


def test_a_policy_stored_before_text_digests_still_verifies(filled):
    """Stores written before text digests existed stay verifiable: their texts are checked by content."""
    execute(filled, "DELETE FROM policy_text_digests")
    report = verify_log(filled)
    assert report.ok, report.problems
    assert report.as_dict()["policies_without_text_digest"] == 1
    result = CliRunner().invoke(cli, ["store", "verify", "--database-url", filled.url])
    assert result.exit_code == 0, result.output
    assert "1 policy text checked by its content digest only" in result.output
