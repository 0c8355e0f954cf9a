"""Key and statement files the commands read: the signing key, auditors' public keys, kept checkpoints."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from store.checkpoints import SignedStatement
from store.signing import KEY_FILE_ENV, PublicKey, SigningKey, SigningKeyError, signing_key_from_env
from store.witness import HEAD_FILE_ENV, HeadFile, WitnessError, head_path_for_key


def signing_key_option(func):
    return click.option(
        "--signing-key",
        "signing_key_path",
        type=click.Path(dir_okay=False),
        envvar=KEY_FILE_ENV,
        help="Ed25519 private key file (env COMPLAINTS_SIGNING_KEY_FILE; or the PEM in COMPLAINTS_SIGNING_KEY).",
    )(func)


def load_signer(path: str | None, *, required: bool, why: str = "") -> SigningKey | None:
    """The signing key from ``path`` or the environment; exit 2 if unreadable, or missing when ``required``."""
    try:
        signer = signing_key_from_env(path=path)
    except SigningKeyError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if signer is None and required:
        click.echo(
            f"no signing key: give --signing-key FILE or set COMPLAINTS_SIGNING_KEY_FILE{why}",
            err=True,
        )
        sys.exit(2)
    return signer


def public_keys_option(
    func=None, *, default: str = "the keys recorded in the store, which prove nothing against its operator"
):
    def decorate(inner):
        return click.option(
            "--public-key",
            "public_key_paths",
            multiple=True,
            type=click.Path(dir_okay=False, exists=True),
            help="A public key you hold (PEM, e.g. signing.pem.pub); repeat for keys used before a rotation. "
            f"Default: {default}.",
        )(inner)

    return decorate(func) if func is not None else decorate


def load_public_keys(paths: tuple[str, ...]) -> dict[str, PublicKey] | None:
    if not paths:
        return None
    keys = {}
    for path in paths:
        try:
            key = PublicKey.from_file(path)
        except SigningKeyError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
        keys[key.key_id] = key
    return keys


def read_held_statements(path: str | None):
    """Statements from a file written by `export-checkpoints` (or a bundle); exit 2 if it is not one."""
    if not path:
        return []
    held = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if item.get("type") == "statement":
                    held.append(SignedStatement.from_dict(item))
            except (ValueError, KeyError, TypeError, AttributeError):
                click.echo(f"{path}:{number}: not a line of `complaints export-checkpoints`", err=True)
                sys.exit(2)
    return held


def signed_heads_for(key_path: str | None) -> HeadFile | None:
    """The signer's record of what it signed: COMPLAINTS_SIGNED_HEAD_FILE, else ``<key file>.head``."""
    path = os.environ.get(HEAD_FILE_ENV) or (str(head_path_for_key(key_path)) if key_path else "")
    return HeadFile(Path(path)) if path else None


def witness_option(func):
    return click.option(
        "--witness",
        "witness_paths",
        multiple=True,
        type=click.Path(dir_okay=False, exists=True),
        help="A file of signed heads kept outside the store (the signer's KEY.head, an auditor's copy of "
        "`complaints export-checkpoints`); repeat for each witness. A statement it holds that the store lacks "
        "or holds differently is reported as a rollback or a fork.",
    )(func)


def load_witnesses(paths: tuple[str, ...]) -> list[tuple[str, list[SignedStatement]]]:
    """(name, statements) of each witness file; exit 2 naming a file that is not one."""
    found = []
    for path in paths:
        try:
            found.append((path, HeadFile(Path(path)).read()))
        except WitnessError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
    return found


def person_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--person` and `--confirmed-by`, as `keys create` and `users create` take them (four eyes per person)."""
    command = click.option(
        "--confirmed-by",
        "confirmed_by",
        type=click.Path(dir_okay=False, exists=True),
        help="A file holding the API key of an existing approver of another person: needed to mint a "
        "policy_approver once one exists.",
    )(command)
    return click.option(
        "--person", default=None, help="Who it belongs to: one person's keys and accounts are one approver."
    )(command)
