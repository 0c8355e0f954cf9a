"""Export closing records on SQLite and PostgreSQL: every export ends with a signed record of what came before;
a cut-off or edited export is found by `audit verify-bundle` and refused by `complaints import`, which re-imports a
complete export (or a bundle) into an empty store and verifies it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app import create_app
from audit.bundle_check import verify_export
from cli.main import cli
from store.signing import PublicKey, write_key_pair
from tests.helpers.audit_samples import POLICY

RANGE = ["--since", "2000-01-01", "--until", "2100-01-01"]


@pytest.fixture
def keyfile(tmp_path):
    path = tmp_path / "signing.pem"
    write_key_pair(path)
    return path


def _cli(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env or {})


def _export(filled, store_url, out, keyfile, *extra):
    result = _cli(
        "export", *RANGE, "-o", str(out), *extra, "--database-url", store_url,
        env={"COMPLAINTS_SIGNING_KEY_FILE": str(keyfile)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result


def _fresh(tmp_path, name="fresh.db") -> str:
    url = f"sqlite:///{tmp_path / name}"
    assert _cli("store", "init", "--database-url", url).exit_code == 0
    return url


def test_an_export_ends_with_a_signed_closing_record(filled, store_url, keyfile, tmp_path):
    out = tmp_path / "all.jsonl"
    made = _export(filled, store_url, out, keyfile, "--unmasked")
    assert f"closing record signed by key {PublicKey.from_file(f'{keyfile}.pub').key_id}" in made.stderr
    *rows, closing = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    body = json.loads(closing["statement"])
    assert (body["kind"], body["rows"], body["first_seq"], body["last_seq"]) == ("export", 40, 1, 40)
    assert body["chain_head"]["seq"] == 40 and body["masking"] == "none" and body["closed_at"].endswith("+08:00")
    checked = _cli("audit", "verify-bundle", str(out), "--public-key", f"{keyfile}.pub")
    assert checked.exit_code == 0, checked.output
    assert "proved: the export is complete and unedited: 40 rows, seq 1..40" in checked.output
    assert "proved: every row hashes to its chain_hash and links to the row before it" in checked.output
    unchecked = _cli("audit", "verify-bundle", str(out))
    assert unchecked.exit_code == 0 and "pass --public-key to check the signature" in unchecked.output


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_cut_off_or_edited_export_is_found(filled, store_url, keyfile, tmp_path, fmt):
    out = tmp_path / f"all.{fmt}"
    _export(filled, store_url, out, keyfile, "--format", fmt)
    public = ["--public-key", f"{keyfile}.pub"]
    assert _cli("audit", "verify-bundle", str(out), *public).exit_code == 0
    data = out.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    cut = _cli("audit", "verify-bundle", str(out), *public)
    assert cut.exit_code == 1 and "no closing record at the end: the file was cut off" in cut.output
    out.write_bytes(data.replace(b"frontline", b"manager", 1))
    edited = _cli("audit", "verify-bundle", str(out), *public)
    assert edited.exit_code == 1 and "the lines before the closing record are not those it was written after" in (
        edited.output
    )


def test_import_refuses_a_cut_off_export_and_verifies_a_complete_one(filled, store_url, keyfile, tmp_path):
    out, policy = tmp_path / "all.jsonl", tmp_path / "policy.yaml"
    _export(filled, store_url, out, keyfile, "--unmasked")
    digest = json.loads(out.read_text(encoding="utf-8").splitlines()[0])["policy_digest"]
    assert _cli("export-policy", digest, "-o", str(policy), "--database-url", store_url).exit_code == 0
    fresh = _fresh(tmp_path)
    data = out.read_bytes()

    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 1])  # the closing record dropped
    refused = _cli("import", str(cut), "--policy", str(policy), "--database-url", fresh)
    assert refused.exit_code == 1 and "no closing record" in refused.stderr and "nothing imported" in refused.stderr
    missing = _cli("import", str(out), "--database-url", fresh)
    assert missing.exit_code == 1 and f"the rows cite policies not given: {digest}" in missing.stderr

    done = _cli("import", str(out), "--policy", str(policy), "--public-key", f"{keyfile}.pub", "--database-url", fresh)
    assert done.exit_code == 0, done.output
    assert "file: the export is complete and unedited: 40 rows" in done.stdout
    assert "imported 40 decisions (0 already there)" in done.stdout and "with a new chain: intact" in done.stdout
    assert "40 decisions replayed (replay): 40 identical" in done.stdout
    again = _cli("import", str(out), "--policy", str(policy), "--database-url", fresh)
    assert again.exit_code == 2 and "import needs an empty store" in again.stderr
    verified = _cli("store", "verify", "--database-url", fresh)
    assert verified.exit_code == 0 and "40 decisions and 1 policy text from genesis" in verified.output


def test_a_masked_export_and_a_bundle_import_too(filled, store_url, keyfile, tmp_path):
    masked = tmp_path / "masked.jsonl"
    _export(filled, store_url, masked, keyfile)
    checked = _cli("audit", "verify-bundle", str(masked), "--public-key", f"{keyfile}.pub")
    assert checked.exit_code == 0 and "note: rows masked: links cannot be recomputed" in checked.output
    bundle = tmp_path / "all.bundle"
    made = _cli(
        "audit", "bundle", "--since", "2000-01-01", str(bundle), "--database-url", store_url,
        env={"COMPLAINTS_SIGNING_KEY_FILE": str(keyfile)},
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    done = _cli("import", str(bundle), "--database-url", _fresh(tmp_path, "from-bundle.db"))
    assert done.exit_code == 0, done.output
    assert "imported 40 decisions" in done.stdout and "40 identical" in done.stdout
    csv_file = tmp_path / "all.csv"
    _export(filled, store_url, csv_file, keyfile, "--format", "csv")
    assert _cli("import", str(csv_file), "--database-url", _fresh(tmp_path, "csv.db")).exit_code == 2


def test_the_service_signs_its_exports(tmp_path, keyfile):
    from bench.corpus import iter_complaints

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_SIGNING_KEY_FILE": str(keyfile),
            "COMPLAINTS_CHECKPOINT_SECONDS": 0,
        }
    )
    client = app.test_client()
    for complaint in iter_complaints(5, 3):
        client.post("/v1/decisions", json=complaint)
    data = client.get("/v1/exports/decisions?since=2000-01-01&until=2100-01-01").get_data()
    public = PublicKey.from_file(f"{keyfile}.pub")
    report = verify_export(data, {public.key_id: public})
    assert report.ok, report.as_text()
    cut = verify_export(data[:-40], {public.key_id: public})
    assert not cut.ok and "cut off" in cut.problems[0]
