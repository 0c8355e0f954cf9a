"""Audit bundles and exports as files: write, verify offline, import.

complaints audit bundle --since 2026-10-01 --until 2026-11-01 october.bundle
complaints audit verify-bundle october.bundle --public-key signing.pem.pub      (no database, no service)
complaints import october.jsonl --policy policy-405454f1.yaml --database-url sqlite:///fresh.db
"""

from __future__ import annotations

import json
import os
import sys

import click

from audit.bundle import anchor_name, read_lines, write_bundle
from audit.bundle_check import dumps, load_bundle_file, verify_bundle
from audit.closing import split_closing
from audit.export import import_rows
from audit.records import every
from audit.replay import StoredPolicies
from audit.runs import Tally, replay_stream
from audit.verify import verify_log
from cli.admin import _database_option, _store
from cli.keyfiles import (
    load_public_keys,
    load_signer,
    load_witnesses,
    public_keys_option,
    signed_heads_for,
    signing_key_option,
    witness_option,
)
from cli.progress import tracked
from cli.range_options import bounds, by_option, range_options
from rules.errors import PolicyError
from rules.loader import load_policy_text
from store.checkpoints import HeadRefused, all_statements
from store.db import display_url
from store.times import shown


@click.group("audit")
def audit() -> None:
    """Audit bundles: write one for a period, and verify one offline."""


@audit.command("bundle")
@range_options
@by_option
@signing_key_option
@click.argument("out", type=click.Path(dir_okay=False))
@_database_option
def bundle_cmd(since, until, tz, by, signing_key_path, out, database_url):
    """Write to OUT the decisions of [--since, --until) with the chain around them, the signed checkpoints,
    the public keys and the policy texts they cite: what `audit verify-bundle` needs, offline.

    With a signing key (--signing-key or COMPLAINTS_SIGNING_KEY_FILE), the bundle's closing record is signed
    and, if no checkpoint covers the period's end yet, one is signed first. Holds personal data as received."""
    low, high = bounds(since, until, tz)
    signer = load_signer(signing_key_path, required=False)
    store = _store(database_url)
    scope = {"since": shown(low) if low else None, "until": shown(high) if high else None, "by": by}
    partial = f"{out}.partial"
    heads = signed_heads_for(signing_key_path) if signer is not None else None
    try:
        with open(partial, "w", encoding="utf-8", newline="") as handle:
            summary = write_bundle(
                store, handle, since=low, until=high, by=by, range_shown=scope, signer=signer, signed_heads=heads
            )
    except HeadRefused as exc:
        os.unlink(partial)
        click.echo(f"refused to sign a checkpoint for the bundle: {exc}: no bundle written", err=True)
        sys.exit(1)
    os.replace(partial, out)  # a bundle that failed midway never carries the name asked for
    if summary.signed_checkpoint is not None:
        click.echo(
            f"signed checkpoint {summary.signed_checkpoint.number} (seq {summary.signed_checkpoint.seq})", err=True
        )
    end = (
        f"checkpoint {summary.end['number']} (seq {summary.end['seq']})" if summary.end else "no checkpoint (unproven)"
    )
    click.echo(
        f"{out}: {summary.in_range} decisions {by} in the period, {summary.decisions} in all from "
        f"{anchor_name(summary.start)} to {end}; {summary.statements} signed "
        f"statements, {summary.policies} policy texts; closing record "
        f"{'signed by key ' + signer.key_id if signer else 'NOT signed (no signing key)'}"
    )


@audit.command("verify-bundle")
@click.argument("bundle", type=click.Path(dir_okay=False, exists=True))
@public_keys_option(default="the keys in the bundle (compare their ids with the key you were given)")
@witness_option
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def verify_bundle_cmd(bundle, public_key_paths, witness_paths, as_json):
    """Verify BUNDLE offline (no database, no service): closing record, every signature, every link from the
    start anchor to the signed end checkpoint, the range, and a replay of every decision on the bundled policy
    texts, the policy register and staff trail against the heads the checkpoints signed, and every statement of
    each --witness (a fork or a rollback named by witness and statement). Says what it proved; exit 0 verified,
    1 not."""
    report = verify_bundle(
        load_bundle_file(bundle), load_public_keys(public_key_paths), witnesses=load_witnesses(witness_paths)
    )
    click.echo(dumps(report) if as_json else report.as_text())
    sys.exit(0 if report.ok else 1)


@audit.command("prove")
@click.argument("decision_id")
@click.option(
    "--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default stdout)."
)
@_database_option
def prove_cmd(decision_id: str, output, database_url: str) -> None:
    """Write the inclusion proof of DECISION_ID (an id or a unique prefix): that it is a leaf of the decisions
    Merkle tree a signed checkpoint states (RFC 9162). Whoever holds the proof and the public key checks it
    offline: `python examples/verify_proof.py PROOF --public-key signing.pem.pub`."""
    from audit.proofs import ProofUnavailable, inclusion

    store = _store(database_url)
    try:
        proof = inclusion(store, store.resolve_decision_id(decision_id))
    except (ProofUnavailable, LookupError) as exc:
        click.echo(str(exc).strip("'\""), err=True)
        sys.exit(1)
    output.write(json.dumps(proof, ensure_ascii=False, indent=2) + "\n")
    click.echo(
        f"decision {decision_id}: leaf {proof['index']} of {proof['tree_size']}, under checkpoint "
        f"{proof['statement']['id']}",
        err=True,
    )


@audit.command("consistency")
@click.argument("first", type=int)
@click.argument("second", type=int)
@click.option("--log", "log", default="decisions", show_default=True, help="decisions, register, staff or events.")
@click.option(
    "--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default stdout)."
)
@_database_option
def consistency_cmd(first: int, second: int, log: str, output, database_url: str) -> None:
    """Write the consistency proof between checkpoints FIRST and SECOND (their numbers): the tree FIRST signed
    is a prefix of the one SECOND signed, so nothing signed was rewritten in between (RFC 9162). Checked
    offline with examples/verify_proof.py."""
    from audit.proofs import ProofUnavailable, consistency

    try:
        proof = consistency(_store(database_url), first, second, log)
    except ProofUnavailable as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    output.write(json.dumps(proof, ensure_ascii=False, indent=2) + "\n")


def _rows_and_policies(data: bytes, policy_paths: tuple[str, ...]) -> tuple[list[dict], dict[str, str]]:
    """The decision rows of a bundle or a JSON Lines export, and the policy texts by digest."""
    items = [item for _, item in read_lines(split_closing(data)[0])]
    bundle = bool(items) and items[0].get("type") == "bundle"
    rows = [item for item in items if item.get("type") == "decision"] if bundle else items
    texts = {item["digest"]: item["text"] for item in items if item.get("type") == "policy"} if bundle else {}
    for path in policy_paths:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            texts[load_policy_text(text, path).digest] = text
        except PolicyError as error:
            click.echo(f"{path}: not a usable policy ({len(error.issues)} problems): nothing imported", err=True)
            sys.exit(1)
    return rows, texts


@click.command("import")
@click.argument("export_file", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--policy",
    "policy_paths",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help="The exact text of a policy the rows cite (`complaints export-policy DIGEST`); repeat. A bundle holds them.",
)
@public_keys_option(default="none for an export (its signature is then not checked); a bundle's own keys")
@_database_option
def import_cmd(export_file, policy_paths, public_key_paths, database_url):
    """Re-import EXPORT_FILE (a JSON Lines export or a bundle) into an empty store, then verify that store.

    The file is checked first (closing record present and matching: a cut-off export is refused; links of an
    unmasked export recomputed). Decisions keep their ids, requests and stored answers and get a new chain
    in the new store; then the new chain is verified and every decision replayed."""
    data = load_bundle_file(export_file)
    if data.startswith(b"\xef\xbb\xbf"):
        click.echo(f"{export_file} is a CSV export: import reads JSON Lines exports and bundles", err=True)
        sys.exit(2)
    checked = verify_bundle(data, load_public_keys(public_key_paths))
    if not checked.ok:
        click.echo(checked.as_text(), err=True)
        click.echo(f"{export_file} is not complete or not intact: nothing imported", err=True)
        sys.exit(1)
    rows, texts = _rows_and_policies(data, policy_paths)
    missing = sorted({row["policy_digest"] for row in rows} - set(texts))
    if missing:
        click.echo(
            "the rows cite policies not given: "
            + ", ".join(missing)
            + " (write each with `complaints export-policy DIGEST -o FILE` and pass --policy FILE): nothing imported",
            err=True,
        )
        sys.exit(1)
    store = _store(database_url)
    if store.count() or all_statements(store):
        click.echo("import needs an empty store (create one with `complaints store init`): nothing imported", err=True)
        sys.exit(2)
    counts = import_rows(store, tracked("import", len(rows))(rows), texts.get)
    report = verify_log(store, track=tracked("verify", store.count()))
    tally = Tally("replay")
    for _ in replay_stream(tracked("replay", store.count())(every(store)), StoredPolicies(store), tally=tally):
        pass
    for line in checked.proved:
        click.echo(f"file: {line}")
    click.echo(
        f"imported {counts['imported']} decisions ({counts['existing']} already there) into "
        f"{display_url(database_url)}, with a new chain: {'intact' if report.ok else 'BROKEN'}; {tally.as_text()}"
    )
    sys.exit(0 if report.ok and tally.ok else 1)


def register(cli: click.Group) -> None:
    cli.add_command(audit)
    cli.add_command(import_cmd)
