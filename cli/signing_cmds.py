"""Signing keys and checkpoints on the command line.

complaints keys signing create PATH           a new Ed25519 key pair: PATH (private) and PATH.pub
complaints checkpoint                         sign the chain head now
complaints export-checkpoints [-o FILE]       every signed statement and recorded public key (JSON Lines)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.admin import _database_option, _store
from cli.keyfiles import load_signer, signed_heads_for, signing_key_option
from lifecycle.checkpointing import policy_refs
from rules.errors import PolicyError
from rules.loader import load_policy_file, load_policy_text
from store.checkpoints import HeadRefused, all_statements, last_checkpoint, recorded_keys, take_checkpoint
from store.signing import KEY_FILE_ENV, SigningKeyError, write_key_pair


@click.group("signing")
def signing() -> None:
    """Ed25519 keys that sign checkpoints, purge records and export closing records (kept outside the database)."""


@signing.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
def signing_create(path: str) -> None:
    """Write a new key pair: PATH (private, mode 0600) and PATH.pub (public, for auditors)."""
    try:
        key = write_key_pair(path)
    except SigningKeyError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"signing key {key.key_id}: private key {path}, public key {path}.pub")
    click.echo(
        f"set {KEY_FILE_ENV}={Path(path).resolve()} for the service; give {path}.pub to the auditors; "
        "keep the private key out of the database and its backups",
        err=True,
    )


def _policies_in_force(store, policy_path: str | None) -> list[dict]:
    """The instance's policy file (if it loads) and every published version: what the service would apply."""
    found = {}
    if policy_path and Path(policy_path).is_file():
        try:
            policy = load_policy_file(policy_path)
            found[policy.digest] = policy
        except PolicyError:
            click.echo(f"{policy_path} does not load: not named in the checkpoint", err=True)
    for row in store.published_after(0):
        if row["digest"] not in found:
            found[row["digest"]] = load_policy_text(row["text"], f"policy:{row['digest'][:12]}")
    return policy_refs(sorted(found.values(), key=lambda p: (p.effective_from, p.digest)))


@click.command("checkpoint")
@signing_key_option
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(dir_okay=False),
    envvar="COMPLAINTS_POLICY",
    help="The instance's policy file, named in the checkpoint with the published versions (env COMPLAINTS_POLICY).",
)
@_database_option
def checkpoint_cmd(signing_key_path: str | None, policy_path: str | None, database_url: str) -> None:
    """Sign the chain head now (the service also signs on its schedule).

    Refused (exit 1) when the store's history no longer extends the last head this key signed, as kept in
    KEY.head beside the key (or COMPLAINTS_SIGNED_HEAD_FILE)."""
    signer = load_signer(signing_key_path, required=True)
    assert signer is not None
    store = _store(database_url)
    heads = signed_heads_for(signing_key_path)
    try:
        statement = take_checkpoint(store, signer, _policies_in_force(store, policy_path), signed_heads=heads)
    except HeadRefused as exc:
        click.echo(
            f"refused to sign: {exc} (the heads this key signed are kept in {heads.path if heads else '?'}); "
            "run `complaints store verify --witness` with that file to see what changed",
            err=True,
        )
        sys.exit(1)
    if statement is None:
        last = last_checkpoint(store)
        if last is None:
            click.echo("the log is empty: nothing to sign")
        else:
            click.echo(f"checkpoint {last.number} already signs the head (seq {last.seq}): nothing new to sign")
        return
    body = statement.body()
    click.echo(
        f"checkpoint {statement.number}: seq {statement.seq}, chain hash {statement.chain_hash}, "
        f"signed at {body['signed_at']} by key {statement.key_id}"
    )


@click.command("export-checkpoints")
@click.option(
    "--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default stdout)."
)
@_database_option
def export_checkpoints(output, database_url: str) -> None:
    """Every signed statement (checkpoints, purges) and the public keys recorded, as JSON Lines.

    Keep the file: `complaints store verify --checkpoints FILE` later proves that none of them was removed."""
    store = _store(database_url)
    keys = recorded_keys(store)
    for key in sorted(keys.values(), key=lambda k: k.key_id):
        output.write(json.dumps({"type": "public_key", "key_id": key.key_id, "public_key": key.pem}) + "\n")
    statements = all_statements(store)
    for statement in statements:
        output.write(json.dumps({"type": "statement", **statement.as_dict()}, ensure_ascii=False) + "\n")
    click.echo(f"{len(statements)} signed statements, {len(keys)} public keys", err=True)


def register(cli: click.Group, keys_group: click.Group) -> None:
    keys_group.add_command(signing)
    cli.add_command(checkpoint_cmd)
    cli.add_command(export_checkpoints)
