"""Retention purges on SQLite and PostgreSQL: at least 3 years (and the policy's retention_years),
only the old prefix of the chain goes, the purge is logged, verify passes after it and still finds tampering."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from audit.purges import purge_log
from audit.retention import PurgeRefused, purge, strictest_retention
from audit.verify import verify_log
from canonical import canonical_json
from cli.main import cli
from rules.loader import load_policy_text
from store import DecisionStore
from store.checkpoints import all_statements
from store.signing import SigningKey, write_key_pair
from tests.helpers.audit_samples import POLICY, backdate, execute, row, set_received

OLD = "2022-01-{day:02d}T03:00:00.000000+00:00"


@pytest.fixture(scope="module")
def signer() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def aged(filled) -> DecisionStore:
    """The first 10 decisions received and recorded in January 2022, the rest now."""
    backdate(filled, {seq: OLD.format(day=seq) for seq in range(1, 11)}, received_too=True)
    assert verify_log(filled).ok
    return filled


def test_purge_removes_only_the_old_prefix_and_verify_still_passes(aged, signer):
    before = verify_log(aged)
    tenth, eleventh = row(aged, 10), row(aged, 11)
    record = purge(aged, 3, signer=signer, purged_by="test")
    assert (record.count, record.first_seq, record.last_seq) == (10, 1, 10)
    assert record.last_decision_id == tenth.decision_id and record.cut_hash == tenth.chain_hash
    assert record.cut < dt.datetime.now(dt.UTC).isoformat()
    assert purge_log(aged) == [record]
    report = verify_log(aged)
    assert report.ok, report.as_text()
    assert (report.count, report.first_seq, report.start_seq) == (before.count - 10, 11, 11)
    assert report.as_dict()["starts_from"] == {"seq": 11, "prev_hash": tenth.chain_hash, "after": "purge 1"}
    assert row(aged, 11).decision_id == eleventh.decision_id
    assert purge(aged, 3, signer=signer) is None  # nothing older is left: no second log entry
    assert len(purge_log(aged)) == 1


def test_tampering_after_a_purge_is_still_found(aged, signer):
    purge(aged, 3, signer=signer)
    victim = row(aged, 15)
    execute(aged, "UPDATE decisions SET policy_version = 'x' WHERE seq = 15")
    first = verify_log(aged).first_break
    assert (first.kind, first.seq, first.decision_id) == ("edited", 15, victim.decision_id)


def test_deleting_the_first_remaining_decision_after_a_purge_is_found(aged, signer):
    purge(aged, 3, signer=signer)
    following = row(aged, 12)
    execute(aged, "DELETE FROM decisions WHERE seq = 11")
    first = verify_log(aged).first_break
    assert (first.kind, first.seq, first.decision_id) == ("missing", 12, following.decision_id)


def test_a_purge_log_entry_moved_to_hide_deletions_is_found(aged, signer):
    purge(aged, 3, signer=signer)
    execute(aged, "DELETE FROM decisions WHERE seq <= 12")
    execute(aged, "UPDATE decision_purges SET first_seq = 3, last_seq = 12")
    report = verify_log(aged)
    assert not report.ok and report.first_break.kind == "purge-log"


def test_purge_refuses_short_periods_and_a_broken_log(aged, signer):
    with pytest.raises(PurgeRefused, match="at least 3 years"):
        purge(aged, 2, signer=signer)
    with pytest.raises(PurgeRefused, match="retention_years"):
        purge(aged, 4, signer=signer, policy_years=5)
    execute(aged, "UPDATE decisions SET engine_version = '0' WHERE seq = 20")
    with pytest.raises(PurgeRefused, match="not intact"):
        purge(aged, 3, signer=signer)
    assert purge_log(aged) == [] and row(aged, 1) is not None


def test_the_cut_stops_at_the_first_recent_decision(filled, signer):
    """A decision recorded late (clock skew) inside the old prefix keeps everything after it."""
    backdate(filled, {1: OLD.format(day=1), 2: OLD.format(day=2), 4: OLD.format(day=4)}, received_too=True)
    record = purge(filled, 3, signer=signer)
    assert (record.first_seq, record.last_seq) == (1, 2)
    assert verify_log(filled).ok


def test_the_strictest_retention_of_stored_policies_binds(store):
    longer = load_policy_text(POLICY.read_text(encoding="utf-8").replace("retention_years: 3", "retention_years: 5"))
    assert strictest_retention(store) == 3
    store.store_policy(longer)
    assert strictest_retention(store) == 5


def test_cli_purge(aged, store_url, tmp_path):
    runner = CliRunner()
    key = tmp_path / "signing.pem"
    write_key_pair(key)
    refused = runner.invoke(
        cli, ["purge", "--older-than-years", "2", "--signing-key", str(key), "--database-url", store_url]
    )
    assert refused.exit_code == 2 and "at least 3 years" in refused.output
    dry = runner.invoke(cli, ["purge", "--older-than-years", "3", "--dry-run", "--database-url", store_url])
    assert dry.exit_code == 0 and "10 decisions (seq 1..10)" in dry.output
    assert row(aged, 1) is not None
    unsigned = runner.invoke(
        cli,
        ["purge", "--older-than-years", "3", "--yes", "--database-url", store_url],
        env={"COMPLAINTS_SIGNING_KEY_FILE": ""},
    )
    assert unsigned.exit_code == 2 and "an unsigned purge record cannot be told from a forged one" in unsigned.output
    assert row(aged, 1) is not None
    env = {"COMPLAINTS_SIGNING_KEY_FILE": str(key)}
    done = runner.invoke(cli, ["purge", "--older-than-years", "3", "--yes", "--database-url", store_url], env=env)
    assert done.exit_code == 0, done.output
    assert "removed 10 decisions, seq 1..10" in done.output and "signed by key" in done.output
    verified = runner.invoke(cli, ["store", "verify", "--public-key", f"{key}.pub", "--database-url", store_url])
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output
    again = runner.invoke(cli, ["purge", "--older-than-years", "3", "--yes", "--database-url", store_url], env=env)
    assert again.exit_code == 0 and "nothing to purge" in again.output


def test_a_purge_is_signed_and_a_forged_purge_record_is_named(aged, signer):
    """The attack: delete old decisions and write the purge log row by hand, with the right cut hash."""
    tenth = row(aged, 10)
    execute(aged, "DELETE FROM decisions WHERE seq <= 10")
    # and their work-queue rows, which would give the deletion away (audit/derived.py)
    execute(aged, "DELETE FROM deadline_index WHERE decision_id NOT IN (SELECT decision_id FROM decisions)")
    execute(
        aged,
        "INSERT INTO decision_purges (purged_at, cut, older_than_years, retention_basis, count, first_seq, last_seq,"
        " first_decision_id, last_decision_id, cut_hash, purged_by) VALUES ('2026-01-01T00:00:00.000000+00:00',"
        " '2023-01-01T00:00:00.000000+00:00', 3, 'ECL Art. 31', 10, 1, 10, 'x', :last, :cut, 'nobody')",
        last=tenth.decision_id,
        cut=tenth.chain_hash,
    )
    report = verify_log(aged, {signer.key_id: signer.public})
    assert [p.kind for p in report.problems] == ["purge-log"], report.as_text()
    first = report.first_break
    assert (first.seq, first.decision_id) == (10, tenth.decision_id)
    assert "purge 1 is not signed" in first.meaning and "forged" in first.meaning


def test_a_signed_purge_record_edited_afterwards_is_named(aged, signer):
    purge(aged, 3, signer=signer)
    statement = all_statements(aged)[-1]
    assert statement.kind == "purge" and statement.seq == 10 and statement.body()["purge"]["count"] == 10
    assert verify_log(aged, {signer.key_id: signer.public}).ok
    execute(aged, "UPDATE decision_purges SET older_than_years = 5, purged_by = 'someone else'")
    first = verify_log(aged, {signer.key_id: signer.public}).first_break
    assert first.kind == "purge-log" and "differs in older_than_years, purged_by" in first.found
    execute(aged, "DELETE FROM decision_purges")
    report = verify_log(aged, {signer.key_id: signer.public})
    assert any(p.kind == "purge-log" and "was deleted" in p.meaning for p in report.problems), report.as_text()


def test_nothing_younger_than_three_years_goes_whatever_the_caller_says(filled, signer):
    """A clock given as 2040 would make every decision 14 years old: the machine's clock still binds."""
    assert purge(filled, 3, signer=signer, now=dt.datetime(2040, 1, 1, tzinfo=dt.UTC)) is None
    assert row(filled, 1) is not None


def test_the_years_count_from_the_later_of_recording_and_receipt(filled, signer):
    """Recorded in 2022 but received recently (business time): kept, and the prefix stops before it."""
    backdate(filled, {seq: OLD.format(day=seq) for seq in range(1, 7)}, received_too=True)
    set_received(filled, 4, dt.datetime.now(dt.UTC).isoformat())  # recorded in 2022, received now
    assert row(filled, 4).created_at.startswith("2022")
    record = purge(filled, 3, signer=signer)
    assert (record.first_seq, record.last_seq) == (1, 3)
    assert verify_log(filled).ok


def test_purge_takes_the_clock_rows_of_the_purged_decisions(service, store, signer):
    """An event's row and the work queue of purged decisions go with them: no dangling reference."""
    from lifecycle.clock_service import ClockService
    from store.clock import due_list, events_of

    body = {
        "complaint_id": "OLD-1",
        "received_at": "2026-11-02T10:00:00+08:00",
        "channel": "online_chat",
        "category": "other",
        "order": {"amount": "10.00"},
    }
    service.submit(body, canonical_json(body))
    ClockService(store).report("OLD-1", {"type": "responded", "at": "2026-11-02T10:05:00+08:00"})
    fresh = dict(body, complaint_id="NEW-1")
    service.submit(fresh, canonical_json(fresh))
    backdate(store, {1: OLD.format(day=1), 2: OLD.format(day=2)}, received_too=True)
    record = purge(store, 3, signer=signer, purged_by="test")
    assert record is not None and record.count == 2
    assert events_of(store, "OLD-1") == []
    now = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)
    assert {entry.complaint_id for entry in due_list(store, now=now)[0]} == {"NEW-1"}
    assert verify_log(store).ok
