"""Audit bundles: everything an external auditor needs for a period, verified offline.

complaints audit bundle --since 2026-10-01 --until 2026-11-01 october.bundle
complaints audit verify-bundle october.bundle --public-key signing.pem.pub      (no database, no service)
"""

from __future__ import annotations

import os
import sys

import click

from audit.bundle import write_bundle
from audit.bundle_check import dumps, load_bundle_file, verify_bundle
from cli.admin import _database_option, _store
from cli.keyfiles import load_public_keys, load_signer, public_keys_option, signing_key_option
from cli.range_options import bounds, by_option, range_options
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
    with open(partial, "w", encoding="utf-8", newline="") as handle:
        summary = write_bundle(store, handle, since=low, until=high, by=by, range_shown=scope, signer=signer)
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
        f"{summary.start.get('kind')} (seq {summary.start.get('seq')}) to {end}; {summary.statements} signed "
        f"statements, {summary.policies} policy texts; closing record "
        f"{'signed by key ' + signer.key_id if signer else 'NOT signed (no signing key)'}"
    )


@audit.command("verify-bundle")
@click.argument("bundle", type=click.Path(dir_okay=False, exists=True))
@public_keys_option(default="the keys in the bundle (compare their ids with the key you were given)")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def verify_bundle_cmd(bundle, public_key_paths, as_json):
    """Verify BUNDLE offline (no database, no service): closing record, every signature, every link from the
    start anchor to the signed end checkpoint, the range, and a replay of every decision on the bundled policy
    texts. Says what it proved; exit 0 verified, 1 not."""
    report = verify_bundle(load_bundle_file(bundle), load_public_keys(public_key_paths))
    click.echo(dumps(report) if as_json else report.as_text())
    sys.exit(0 if report.ok else 1)


def register(cli: click.Group) -> None:
    cli.add_command(audit)
