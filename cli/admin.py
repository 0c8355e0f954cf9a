"""Service administration: API keys, the decision store, and serving over HTTP."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from store import ROLES, DecisionStore, StoreUnavailable
from store.db import DEFAULT_URL

REPO = Path(__file__).resolve().parent.parent


def _database_option(func):
    return click.option(
        "--database-url",
        envvar="DATABASE_URL",
        default=DEFAULT_URL,
        show_default=True,
        help="Decision store (env DATABASE_URL): sqlite:///path or postgresql://user@host/db.",
    )(func)


def _store(url: str) -> DecisionStore:
    try:
        store = DecisionStore(url)
        store.init_schema()
        return store
    except StoreUnavailable as exc:
        click.echo(f"decision store unavailable: {exc}", err=True)
        sys.exit(1)


@click.group()
def keys() -> None:
    """Bearer API keys (stored as sha256; the key itself is shown once)."""


@keys.command("create")
@click.option("--name", required=True, help="Who or what uses the key.")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeat for several roles."
)
@_database_option
def keys_create(name: str, roles: tuple[str, ...], database_url: str) -> None:
    """Create a key and print it once; only its hash is stored."""
    key, token = _store(database_url).create_key(name, list(roles))
    click.echo(token)
    click.echo(
        f"key {key.key_id} ({', '.join(sorted(key.roles))}) for {name}: store it now, it is not shown again", err=True
    )


@keys.command("list")
@_database_option
def keys_list(database_url: str) -> None:
    """List keys (ids, names, roles; never the keys)."""
    for key in _store(database_url).list_keys():
        state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
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
    """Create the tables (the service also does this at start)."""
    _store(database_url)
    click.echo("decision store ready")


@store.command("verify")
@_database_option
def store_verify(database_url: str) -> None:
    """Recompute the hash chains over every stored decision and policy register event; exit 1 naming the first break."""
    from audit.register_verify import verify_register  # the governance transitions (issue 12)
    from audit.verify import verify_log  # after purges it starts from the recorded cut, not GENESIS

    report = verify_log(_store(database_url))
    click.echo(report.as_text())
    register = verify_register(_store(database_url))
    click.echo(register.as_text())
    sys.exit(0 if report.ok and register.ok else 1)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve(gunicorn_args: tuple[str, ...]) -> None:
    """Serve the API with gunicorn and gunicorn.conf.py (extra arguments go to gunicorn)."""
    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(REPO / "gunicorn.conf.py"),
            "--chdir",
            str(Path.cwd()),
            *gunicorn_args,
        ],
    )


def register(cli: click.Group) -> None:
    cli.add_command(keys)
    cli.add_command(store)
    cli.add_command(serve)
