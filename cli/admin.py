"""Service administration: API keys, the decision store, and serving over HTTP."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import click

from cli.keyfiles import (
    load_public_keys,
    load_witnesses,
    person_options,
    public_keys_option,
    read_held_statements,
    witness_option,
)
from store import ROLES, DecisionStore, StoreNeedsUpgrade, StoreUnavailable
from store.db import DEFAULT_URL, display_url
from store.opening import StoreNotFound, open_existing
from store.times import shown


def _database_option(func):
    return click.option(
        "--database-url",
        envvar="DATABASE_URL",
        default=DEFAULT_URL,
        show_default=True,
        help="Decision store (env DATABASE_URL): sqlite:///path or postgresql://user@host/db.",
    )(func)


def _store(url: str) -> DecisionStore:
    """The existing store at ``url``. Without one (no file, no tables, no answer): one line naming
    the URL and exit 2, having created nothing. Only `store init` (and the service) create a store."""
    try:
        return open_existing(url)
    except (StoreNotFound, StoreNeedsUpgrade, StoreUnavailable) as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


def _new_store(url: str) -> DecisionStore:
    """The store at ``url``, its tables created if missing (`store init` only)."""
    try:
        store = DecisionStore(url)
    except ValueError as exc:
        click.echo(f"{display_url(url)}: {exc}", err=True)
        sys.exit(2)
    try:
        store.init_schema()
    except StoreNeedsUpgrade as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    except StoreUnavailable as exc:
        click.echo(f"decision store unreachable at {display_url(url)}: {exc}", err=True)
        sys.exit(2)
    return store


@click.group()
def keys() -> None:
    """Bearer API keys (stored as sha256; the key itself is shown once), and signing keys."""


@keys.command("create")
@click.option("--name", required=True, help="Who or what uses the key.")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeat for several roles."
)
@person_options
@_database_option
def keys_create(
    name: str, roles: tuple[str, ...], person: str | None, confirmed_by: str | None, database_url: str
) -> None:
    """Create a key and print it once; only its hash is stored. A policy_approver, once one exists, needs its
    person and a second person's confirmation (--person, --confirmed-by)."""
    from store.persons import MintRefused, check_minting, record_minting

    opened = _store(database_url)
    try:
        confirming = check_minting(opened, list(roles), person, _token_in(confirmed_by))
    except MintRefused as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    key, token = opened.create_key(name, list(roles), person)
    if "policy_approver" in roles:
        record_minting(opened, f"key:{key.key_id}", person, confirming, f"operator:{getpass.getuser()}")
    click.echo(token)
    click.echo(
        f"key {key.key_id} ({', '.join(sorted(key.roles))}) for {name}: store it now, it is not shown again", err=True
    )


def _token_in(path: str | None) -> str | None:
    if not path:
        return None
    return Path(path).read_text(encoding="utf-8").strip() or None


@keys.command("list")
@_database_option
def keys_list(database_url: str) -> None:
    """List keys (ids, names, roles; never the keys)."""
    for key in _store(database_url).list_keys():
        state = f"revoked {shown(key.revoked_at)}" if key.revoked_at else "active"
        click.echo(f"{key.key_id}  {','.join(sorted(key.roles)):<30}  {state:<40}  {key.name}")


@keys.command("revoke")
@click.argument("key_id")
@_database_option
def keys_revoke(key_id: str, database_url: str) -> None:
    """Revoke the key KEY_ID (the part after cds_)."""
    if not _store(database_url).revoke_key(key_id):
        click.echo(f"no active key {key_id}", err=True)
        sys.exit(1)
    click.echo(f"revoked {key_id}")


@click.group()
def store() -> None:
    """The decision store."""


@store.command("init")
@_database_option
def store_init(database_url: str) -> None:
    """Create a new store's tables (the first service to start on an empty database also does this).

    A store made by an earlier release is left as it is: exit 2, naming `complaints store upgrade`."""
    _new_store(database_url)
    click.echo(f"decision store ready at {display_url(database_url)}")


@store.command("upgrade")
@_database_option
def store_upgrade(database_url: str) -> None:
    """Bring the store's schema to this release's, keeping every row (Alembic revisions in store/migrations/).

    Back the store up first. Safe to run again; run it once, from one place, before starting the new
    release's service, which refuses a store that needs it. Exit 2 for a missing or unreachable store,
    or one upgraded by a newer release."""
    from store.schema import head_revision

    try:
        opened = open_existing(database_url, allow_upgrade=True)
        before, after = opened.upgrade_schema()
    except (StoreNotFound, StoreNeedsUpgrade, StoreUnavailable) as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    where = display_url(database_url)
    if before == after:
        click.echo(f"decision store at {where} is up to date (schema revision {head_revision()})")
    else:
        was = f"revision {before}" if before else "no schema revision (release 1.1.0 or earlier)"
        click.echo(f"decision store at {where} upgraded from {was} to revision {after}")


@store.command("verify")
@public_keys_option
@click.option(
    "--checkpoints",
    "held_path",
    type=click.Path(dir_okay=False, exists=True),
    help="Checkpoints you kept (`complaints export-checkpoints`): each must still be in the store and match.",
)
@witness_option
@click.option(
    "--require-checkpoint/--allow-unsigned",
    default=None,
    help="Fail when no signed checkpoint matches the chain (default: on when COMPLAINTS_ENV=production).",
)
@_database_option
def store_verify(
    public_key_paths: tuple[str, ...],
    held_path: str | None,
    witness_paths: tuple[str, ...],
    require_checkpoint: bool | None,
    database_url: str,
) -> None:
    """Recompute the hash chain over every stored decision and check every signed checkpoint against it, the
    policy register's chain of governance events, the staff trail, the derived deadline and work-queue rows, and
    every witness given; exit 1 naming the first break (edited, deleted, reordered, rewritten after checkpoint N,
    truncated, forked or rolled back against a witness)."""
    from audit.register_verify import verify_register  # the governance transitions (issue 12)
    from audit.verify import verify_log  # after purges it starts from the recorded cut, not GENESIS

    keys, held = load_public_keys(public_key_paths), read_held_statements(held_path)
    witnesses = load_witnesses(witness_paths)
    if require_checkpoint is None:
        require_checkpoint = os.environ.get("COMPLAINTS_ENV", "") == "production"
    opened = _store(database_url)
    from cli.progress import tracked

    report = verify_log(
        opened,
        keys,
        held,
        track=tracked("verify", opened.count()),
        witnesses=witnesses,
        require_checkpoint=require_checkpoint,
    )
    click.echo(report.as_text())
    register = verify_register(opened)
    click.echo(register.as_text())
    sys.exit(0 if report.ok and register.ok else 1)


@click.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, exists=True),
    help="Settings to read (KEY=value lines; the environment wins). Default: .env in the current folder, if any.",
)
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve(env_file: str | None, gunicorn_args: tuple[str, ...]) -> None:
    """Serve the API with gunicorn and its configuration shipped in the package (api/gunicorn_conf.py), from
    any folder; extra arguments go to gunicorn. A server that cannot start says why in one line, exit 1."""
    from cli.init_cmd import ENV_FILE, apply_env_file

    settings_file = Path(env_file) if env_file else Path(ENV_FILE)
    if env_file or settings_file.is_file():
        added = apply_env_file(settings_file)
        click.echo(f"settings: {settings_file} ({', '.join(added) or 'nothing not already set'})", err=True)
    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:api.gunicorn_conf",
            "--chdir",
            str(Path.cwd()),
            *gunicorn_args,
        ],
    )


def register(cli: click.Group) -> None:
    cli.add_command(keys)
    cli.add_command(store)
    cli.add_command(serve)
