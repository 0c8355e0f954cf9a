"""Exports: JSON Lines and CSV of a time range with each row's policy digest, masked by default; an
unmasked export re-verifies on its own; exported rows re-imported into a fresh store replay identical."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from audit import records as walk
from audit.export import CSV_COLUMNS, export_lines, import_rows, read_jsonl, verify_rows
from audit.masking import MASKING_KEY_ENV, Masker
from audit.replay import StoredPolicies
from audit.runs import Tally, replay_stream
from cli.main import cli
from store import DecisionStore
from tests.helpers.audit_samples import POLICY

KEY = "export-masking-key-0123456789"


def _personal(store) -> set[str]:
    values = set()
    for record in walk.every(store):
        body = json.loads(record.request_body)
        values |= {
            body.get("customer", {}).get("customer_id"),
            body.get("order", {}).get("order_id"),
            body.get("description"),
        }
    return {v for v in values if v and len(v) > 3}


def _fresh(tmp_path, name: str) -> DecisionStore:
    store = DecisionStore(f"sqlite:///{tmp_path / name}")
    store.init_schema()
    return store


@pytest.mark.parametrize("masking", ["none", "pseudonyms", "redacted"])
def test_jsonl_round_trip_replays_identical(filled, tmp_path, masking):
    masker = {"none": Masker(KEY).unmasked(), "pseudonyms": Masker(KEY), "redacted": Masker()}[masking]
    text = "".join(export_lines(walk.every(filled), "jsonl", masker))
    rows = list(read_jsonl(text.splitlines()))
    assert len(rows) == filled.count()
    assert {r["masking"] for r in rows} == {masking}
    assert all(r["policy_digest"] == r["decision"]["policy"]["digest"] for r in rows)
    if masking != "none":
        assert not any(value in text for value in _personal(filled))
        assert verify_rows(rows)  # masked rows cannot be re-hashed, and the export says so
    else:
        assert verify_rows(rows) == []
    fresh = _fresh(tmp_path, f"imported-{masking}.db")
    counts = import_rows(fresh, rows, filled.policy_text)
    assert counts == {"imported": len(rows), "existing": 0}
    tally = Tally("replay")
    results = list(replay_stream(walk.every(fresh), StoredPolicies(fresh), tally=tally))
    assert tally.ok and len(results) == len(rows), [r for r in results if r["result"] != "identical"][:1]
    assert [r["decision_id"] for r in results] == [r["decision_id"] for r in rows]
    assert fresh.verify_chain().ok


def test_an_unmasked_export_shows_edits_and_gaps(filled):
    rows = list(read_jsonl("".join(export_lines(walk.every(filled), "jsonl", Masker().unmasked())).splitlines()))
    rows[3]["decision"]["route"]["level"] = (
        "manager" if rows[3]["decision"]["route"]["level"] != "manager" else "frontline"
    )
    del rows[6]
    problems = verify_rows(rows)
    assert problems[0].startswith(f"seq 4 (decision {rows[3]['decision_id']}): content")
    assert any(p.startswith("seq 8") and "not in the export" in p for p in problems)


def test_csv_has_one_row_per_decision_with_its_policy(filled):
    text = "".join(export_lines(walk.every(filled), "csv", Masker(KEY)))
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(table[0]) == list(CSV_COLUMNS)
    records = list(walk.every(filled))
    assert [r["decision_id"] for r in table] == [r.decision_id for r in records]
    for line, record in zip(table, records, strict=True):
        assert line["policy_digest"] == record.policy_digest and line["chain_hash"] == record.chain_hash
        route = record.decision_dict()["route"]
        assert line["level"] == (route["level"] or "")
        assert line["redirect"] == (
            f"{route['redirect']['rule']}: {route['redirect']['reason']}" if route["redirect"] else ""
        )
        assert json.loads(line["request_body"])["complaint_id"] == record.complaint_id
    assert not any(value in text for value in _personal(filled))


def test_cli_export_replay_and_policy(filled, store_url, tmp_path, monkeypatch):
    monkeypatch.setenv(MASKING_KEY_ENV, KEY)
    runner = CliRunner()
    records = list(walk.every(filled))
    middle = records[len(records) // 2]
    db = ["--database-url", store_url]

    out = runner.invoke(
        cli, ["export", "--since", middle.created_at, "--until", "2100-01-01", "--format", "jsonl", *db]
    )
    assert out.exit_code == 0, out.output
    *rows, closing = [json.loads(line) for line in out.stdout.splitlines()]
    assert closing["type"] == "closing" and json.loads(closing["statement"])["rows"] == len(rows)
    assert rows[0]["decision_id"] == middle.decision_id and len(rows) == len(records) - len(records) // 2
    assert {r["masking"] for r in rows} == {"pseudonyms"}
    assert "personal data: pseudonyms); closing record not signed (no signing key)" in out.stderr

    unmasked = runner.invoke(cli, ["export", "--until", middle.created_at, "--unmasked", "--format", "csv", *db])
    assert (
        unmasked.exit_code == 0
        and f"{len(records) // 2} decisions exported (csv, personal data: none)" in unmasked.stderr
    )

    policy = runner.invoke(cli, ["export-policy", middle.policy_digest, *db])
    assert policy.exit_code == 0 and policy.stdout == POLICY.read_text(encoding="utf-8") == filled.policy_text(
        middle.policy_digest
    )
    assert runner.invoke(cli, ["export-policy", "0" * 64, *db]).exit_code == 1

    one = runner.invoke(cli, ["replay", middle.decision_id, *db])
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["result"] == "identical"
    assert "1 decisions replayed (replay): 1 identical" in one.stderr

    by_complaint = runner.invoke(cli, ["replay", "--complaint", records[0].complaint_id, *db])
    assert by_complaint.exit_code == 0
    assert [json.loads(x)["decision_id"] for x in by_complaint.stdout.splitlines()] == [
        r.decision_id for r in records if r.complaint_id == records[0].complaint_id
    ]

    ranged = runner.invoke(cli, ["replay", "--since", "2000-01-01", "--progress-every", "10", *db])
    assert ranged.exit_code == 0
    assert len(ranged.stdout.splitlines()) == len(records) and "replay: 10/40 decisions (25%)" in ranged.stderr

    raised = tmp_path / "raised.yaml"
    raised.write_text(
        POLICY.read_text(encoding="utf-8").replace("frontline: 200.00", "frontline: 300.00"), encoding="utf-8"
    )
    what_if = runner.invoke(cli, ["replay", "--since", "2000-01-01", "--policy", str(raised), *db])
    assert what_if.exit_code == 0, what_if.output
    assert {json.loads(x)["result"] for x in what_if.stdout.splitlines()} <= {"changed", "unchanged"}
    assert "(what-if)" in what_if.stderr

    same = runner.invoke(cli, ["replay", middle.decision_id, "--policy-digest", middle.policy_digest, *db])
    assert same.exit_code == 0 and json.loads(same.stdout)["result"] == "unchanged"

    assert runner.invoke(cli, ["replay", *db]).exit_code == 2  # nothing selected
    assert runner.invoke(cli, ["replay", "no-such-id", *db]).exit_code == 1
    assert runner.invoke(cli, ["export", "--since", "last month", *db]).exit_code == 2


def test_cli_replay_exits_1_on_a_difference(filled, store_url):
    from tests.helpers.audit_samples import execute

    execute(
        filled, 'UPDATE decisions SET decision = REPLACE(decision, \'"channel":"\', \'"channel":"x\') WHERE seq = 1'
    )
    result = CliRunner().invoke(cli, ["replay", "--since", "2000-01-01", "--database-url", store_url])
    assert result.exit_code == 1
    first = json.loads(result.stdout.splitlines()[0])
    assert first["result"] == "different" and first["differences"][0]["path"] == "channel"


def test_cli_export_flags_rows_that_no_longer_hash(filled, store_url):
    from tests.helpers.audit_samples import execute

    execute(filled, "UPDATE decisions SET engine_version = '0.0.1' WHERE seq = 3")
    result = CliRunner().invoke(cli, ["export", "--since", "2000-01-01", "--unmasked", "--database-url", store_url])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()][:-1]
    assert [r["seq"] for r in rows if r["integrity"] == "mismatch"] == [3]
    assert "1 exported rows (seq 3) no longer hash to their chain_hash (integrity: mismatch)" in result.stderr


def test_replay_of_a_decision_made_by_another_engine_names_the_engine_it_needs(filled, store_url):
    """Decisions change only with the engine version (tests/golden): a 1.1.0 decision is not 'different' under
    2.0.0, it needs engine 1.1.0, and the replay says so."""
    from engine.version import ENGINE_VERSION
    from tests.helpers.audit_samples import execute

    execute(filled, "UPDATE decisions SET engine_version = '1.1.0' WHERE seq = 1")
    result = CliRunner().invoke(cli, ["replay", "--since", "2000-01-01", "--database-url", store_url])
    first = json.loads(result.stdout.splitlines()[0])
    assert first["result"] == "error" and first["differences"] == []
    assert f"made by engine 1.1.0, this is engine {ENGINE_VERSION}: replay it with release 1.1.0" in first["error"]
    assert result.exit_code == 1
