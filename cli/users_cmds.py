"""`complaints users`: the web console's staff accounts (people; systems use API keys).

Run by an operator on the store. A new or reset password is generated and printed once, unless
``--password-stdin`` reads one (for a password manager or a script); only its argon2id hash is
stored. Every change is an event in the console's audit trail, naming the operator.
"""

from __future__ import annotations

import getpass
import secrets
import socket
import sys

import click

from cli.admin import _database_option, _store
from cli.keyfiles import person_options
from store import ROLES
from store.db import utc_now
from store.staff import AccountError, StaffStore
from store.times import shown


def _operator() -> str:
    return f"operator:{getpass.getuser()}@{socket.gethostname()}"


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated?)"""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return secrets.token_urlsafe(15), True


def _hand_over(password: str, generated: bool, done: str) -> None:
    """A generated password on stdout (only there, only now); what was done on stderr."""
    if generated:
        click.echo(password)
    click.echo(done + (": hand over the password above, it is not shown again" if generated else ""), err=True)


def _fail(error: AccountError) -> None:
    click.echo(f"refused: {error}", err=True)
    sys.exit(1)


_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of generating one.",
)


@click.group()
def users() -> None:
    """Console accounts for people: create, list, disable, reset (passwords hashed with argon2id)."""


@users.command("create")
@click.argument("username")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeat for several roles."
)
@click.option("--name", "display_name", default="", help="The person's name as the console shows it.")
@person_options
@_stdin_option
@_database_option
def users_create(
    username: str,
    roles: tuple[str, ...],
    display_name: str,
    person: str | None,
    confirmed_by: str | None,
    password_stdin: bool,
    database_url: str,
) -> None:
    """Create the account USERNAME and print its first password once. A policy_approver, once one exists,
    needs its person and a second person's confirmation (--person, --confirmed-by)."""
    from pathlib import Path

    from store.persons import MintRefused, check_minting, record_minting

    opened = _store(database_url)
    token = Path(confirmed_by).read_text(encoding="utf-8").strip() if confirmed_by else None
    try:
        confirming = check_minting(opened, list(roles), person, token)
    except MintRefused as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    password, generated = _password(password_stdin)
    try:
        account = StaffStore(opened).create(
            username, display_name, list(roles), password, by=_operator(), person=person
        )
    except AccountError as error:
        _fail(error)
        return
    if "policy_approver" in roles:
        record_minting(opened, f"staff:{username}", person, confirming, _operator())
    _hand_over(password, generated, f"account {account.username} ({', '.join(sorted(account.roles))}) created")


@users.command("list")
@_database_option
def users_list(database_url: str) -> None:
    """List accounts: username, roles, state (never passwords)."""
    for account in StaffStore(_store(database_url)).accounts():
        if account.disabled_at:
            state = f"disabled {shown(account.disabled_at)}"
        elif account.locked_until and account.locked_until > utc_now():  # both UTC ISO text: compare as text
            state = f"locked until {shown(account.locked_until)}"
        else:
            state = "active"
        click.echo(
            f"{account.username:<20}  {','.join(sorted(account.roles)):<40}  {state:<45}  {account.display_name}"
        )


@users.command("disable")
@click.argument("username")
@_database_option
def users_disable(username: str, database_url: str) -> None:
    """Disable USERNAME: it cannot sign in, and its open sessions end now."""
    try:
        StaffStore(_store(database_url)).disable(username, by=_operator())
    except AccountError as error:
        _fail(error)
    click.echo(f"disabled {username}")


@users.command("reset")
@click.argument("username")
@_stdin_option
@_database_option
def users_reset(username: str, password_stdin: bool, database_url: str) -> None:
    """A new password for USERNAME (printed once); unlocks and re-enables it and ends its sessions."""
    password, generated = _password(password_stdin)
    try:
        StaffStore(_store(database_url)).reset(username, password, by=_operator())
    except AccountError as error:
        _fail(error)
    _hand_over(
        password, generated, f"password of {username} reset; the account is enabled and unlocked, its sessions ended"
    )


def register(cli: click.Group) -> None:
    cli.add_command(users)
