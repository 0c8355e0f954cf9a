"""Audit bundles on SQLite and PostgreSQL: a bundle verifies offline (no database, no service) and says what
it proved; a truncated, edited, re-signed or unanchored bundle does not."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from audit.bundle_check import verify_bundle
from audit.records import received_at
from cli.main import cli
from lifecycle.checkpointing import Checkpointer
from lifecycle.decision_service import DecisionService
from store.signing import SigningKey, write_key_pair
from store.times import shown
from tests.helpers.audit_samples import fill, row


@pytest.fixture
def keyfile(tmp_path):
    path = tmp_path / "signing.pem"
    return path, write_key_pair(path)


@pytest.fixture
def signed(decider, store, keyfile):
    """40 decisions, a checkpoint every 10 (seq 10, 20, 30, 40)."""
    _, signer = keyfile
    checkpointer = Checkpointer(store, signer, lambda: [], every=10, seconds=0)
    fill(DecisionService(decider, store, checkpointer.recorded), 32, reevaluate_every=4)
    return store


def _bundle(store_url, out, *args, key=None):
    env = {"COMPLAINTS_SIGNING_KEY_FILE": str(key) if key else ""}
    return CliRunner().invoke(cli, ["audit", "bundle", *args, str(out), "--database-url", store_url], env=env)


def _verify(out, public=None):
    args = ["audit", "verify-bundle", str(out)] + (["--public-key", str(public)] if public else [])
    return CliRunner().invoke(cli, args)


def _period(store):
    """From seq 12's recording time to seq 28's: decisions 12..27 by recorded time."""
    return ["--since", row(store, 12).created_at, "--until", row(store, 28).created_at]


def test_a_bundle_verifies_offline_and_says_what_it_proved(signed, store_url, keyfile, tmp_path):
    key, _ = keyfile
    out = tmp_path / "october.bundle"
    made = _bundle(store_url, out, *_period(signed), key=key)
    assert made.exit_code == 0, made.output
    assert "16 decisions recorded in the period, 20 in all from checkpoint 1 (seq 10) to checkpoint 3 (seq 30)" in (
        made.stdout
    )
    assert not (tmp_path / "october.bundle.partial").exists()
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["type"] for x in lines][:2] == ["bundle", "public_key"] and lines[-1]["type"] == "closing"
    decisions = [x for x in lines if x["type"] == "decision"]
    assert [d["seq"] for d in decisions] == list(range(11, 31))
    assert [d["seq"] for d in decisions if d["in_range"]] == list(range(12, 28))
    assert all(d["created_at"].endswith("+08:00") for d in decisions)

    checked = _verify(out, f"{key}.pub")
    assert checked.exit_code == 0, checked.output
    text = checked.output
    assert "proved: the file is complete" in text
    assert "proved: 4 signed statements (checkpoints, purge records): every signature valid, in sequence" in text
    assert "proved: the chain from checkpoint 1 (seq 10) to checkpoint 3 (seq 30): 20 decisions, every link" in text
    assert "proved: 16 decisions recorded in" in text and "(seq 12..27)" in text
    assert "proved: every decision replayed identical, byte for byte, on the 1 bundled policy texts" in text
    assert text.rstrip().endswith("RESULT: verified")
    without_key = _verify(out)
    assert without_key.exit_code == 0 and "compare these ids with the public key you were given" in without_key.output


def test_a_truncated_bundle_fails(signed, store_url, keyfile, tmp_path):
    key, _ = keyfile
    out = tmp_path / "b.bundle"
    assert _bundle(store_url, out, *_period(signed), key=key).exit_code == 0
    data = out.read_bytes()
    for cut in (data[: len(data) // 2], data[: data.rstrip(b"\n").rfind(b"\n") + 1]):
        out.write_bytes(cut)
        result = _verify(out, f"{key}.pub")
        assert result.exit_code == 1 and "no closing record at the end: the file was cut off" in result.output


def test_an_edited_bundle_fails_even_re_closed_by_someone_without_the_key(signed, store_url, keyfile, tmp_path):
    key, signer = keyfile
    out = tmp_path / "b.bundle"
    assert _bundle(store_url, out, *_period(signed), key=key).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, x in enumerate(lines) if json.loads(x).get("seq") == 15)
    decision = json.loads(lines[index])
    decision["decision"]["route"]["team"] = (
        "legal_compliance" if decision["decision"]["route"]["team"] != "legal_compliance" else "logistics"
    )
    lines[index] = json.dumps(decision, ensure_ascii=False, separators=(",", ":")) + "\n"
    out.write_text("".join(lines), encoding="utf-8")
    edited = _verify(out, f"{key}.pub")
    assert edited.exit_code == 1
    assert "the lines before the closing record are not those it was written after (edited)" in edited.output
    assert f"seq 15 (decision {decision['decision_id']}): its content does not hash to its chain_hash: edited" in (
        edited.output
    )
    assert f"seq 15 (decision {decision['decision_id']}): replays differently (route.team" in edited.output

    # Someone without the signing key drops seq 15, recomputes the links after it and re-closes with their own key.
    from audit.closing import ClosingWriter
    from audit.export import stored_from_row
    from store.chain import link_hash

    body = [json.loads(x) for x in lines[:-1] if json.loads(x).get("seq") != 15 or json.loads(x)["type"] != "decision"]
    prev = None
    for item in body:
        if item["type"] == "decision":
            if prev is not None:
                item["prev_hash"] = prev
                item["chain_hash"] = link_hash(stored_from_row(item).as_row())
            prev = item["chain_hash"]
    intruder = SigningKey.generate()
    closing = ClosingWriter("bundle")
    text = "".join(closing.add(json.dumps(x, ensure_ascii=False, separators=(",", ":")) + "\n") for x in body)
    out.write_text(text + closing.jsonl_line({"rows": 19, "in_range": 15}, intruder), encoding="utf-8")
    forged = _verify(out, f"{key}.pub")
    assert forged.exit_code == 1
    assert f"the closing record is signed by key {intruder.key_id}, not one of {signer.key_id}" in forged.output
    assert "seq 16" in forged.output and "expected seq 15: decisions were removed or reordered" in forged.output
    assert "checkpoint 2 signed chain_hash" in forged.output and "the chain was rewritten" in forged.output


def test_an_unanchored_end_is_said_and_a_key_anchors_it(decider, store, store_url, keyfile, tmp_path):
    key, signer = keyfile
    fill(DecisionService(decider, store), 6, reevaluate_every=0)
    bare = tmp_path / "bare.bundle"
    made = _bundle(store_url, bare, "--since", "2000-01-01")
    assert made.exit_code == 0 and "closing record NOT signed (no signing key)" in made.output
    result = _verify(bare, f"{key}.pub")
    assert result.exit_code == 1
    assert "is under no signed checkpoint: the last decisions are not proven" in result.output
    assert "the closing record is not signed" in result.output

    anchored = tmp_path / "anchored.bundle"
    made = _bundle(store_url, anchored, "--since", "2000-01-01", key=key)
    assert made.exit_code == 0 and "signed checkpoint 1 (seq 6)" in made.stderr
    assert _verify(anchored, f"{key}.pub").exit_code == 0


def test_a_bundle_by_received_time(signed, store_url, keyfile, tmp_path):
    key, _ = keyfile
    records = sorted((received_at(r), r.seq) for r in map(lambda s: _stored(signed, s), range(1, 41)))
    low, high = records[5][0], records[25][0]
    expected = sorted(seq for moment, seq in records if low <= moment < high)
    out = tmp_path / "received.bundle"
    made = _bundle(store_url, out, "--since", low.isoformat(), "--until", high.isoformat(), "--by", "received", key=key)
    assert made.exit_code == 0, made.output
    decisions = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(d["seq"] for d in decisions if d.get("type") == "decision" and d["in_range"]) == expected
    header = decisions[0]
    assert header["range"] == {"since": shown(low.isoformat()), "until": shown(high.isoformat()), "by": "received"}
    checked = _verify(out, f"{key}.pub")
    assert checked.exit_code == 0, checked.output
    assert f"proved: {len(expected)} decisions received in" in checked.output


def _stored(store, seq):
    from audit.records import between_seqs

    return next(iter(between_seqs(store, seq - 1, seq)))


def test_verify_bundle_needs_nothing_but_the_file(signed, store_url, keyfile, tmp_path):
    key, _ = keyfile
    out = tmp_path / "b.bundle"
    assert _bundle(store_url, out, "--since", "2000-01-01", key=key).exit_code == 0
    report = verify_bundle(out.read_bytes())
    assert report.ok, report.as_text()
    assert verify_bundle(b"{}\n").problems == [
        "not an audit bundle (the first line is not a complaints-bundle/1 header) nor an export"
    ]


def test_an_empty_period_is_not_a_proof_of_absence(signed, store_url, keyfile, tmp_path):
    key, _ = keyfile
    out = tmp_path / "empty.bundle"
    assert _bundle(store_url, out, "--since", "2100-01-01", key=key).exit_code == 0
    result = _verify(out, f"{key}.pub")
    assert result.exit_code == 0 and "note: no decision recorded in" in result.output
    assert "a bundle proves what it holds, not that nothing else exists" in result.output
