"""Which policy a command uses: POLICY or --policy, then COMPLAINTS_POLICY, then ./policies.yaml, then
the default shipped with the package (``rules/default_policy.py``); a policy not named on the command
line is named on stderr, so that output is never read against the wrong file."""

from __future__ import annotations

import click

from rules.default_policy import GIVEN, choose_policy

_HELP = "Policy file; default: $COMPLAINTS_POLICY, else ./policies.yaml, else the shipped default."


def policy_option(func):
    """``--policy``, resolved by the lookup order into ``policy_path`` (never None)."""
    return click.option(
        "--policy",
        "policy_path",
        type=click.Path(dir_okay=False),
        default=None,
        callback=lambda _ctx, _param, value: chosen_policy(value),
        help=_HELP,
    )(func)


def policy_argument_or_option(func):
    """An optional POLICY argument, or ``--policy`` (the same), resolved into ``policy_path``."""
    func = click.argument("policy_argument", metavar="[POLICY]", required=False, type=click.Path(dir_okay=False))(func)
    return click.option("--policy", "policy_option", type=click.Path(dir_okay=False), default=None, help=_HELP)(func)


def chosen_policy(given: str | None, also: str | None = None) -> str:
    if given and also and given != also:
        raise click.UsageError(f"two policies given ({given}, --policy {also}): give one")
    choice = choose_policy(given or also)
    if choice.source != GIVEN:
        click.echo(choice.describe(), err=True)
    return choice.path
