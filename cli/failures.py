"""How every command reports what it cannot use: a policy (each problem at file:line:column, exit 1),
or a decision store that stops answering mid-command (one line, exit 2)."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from rules.errors import PolicyError
from store import StoreUnavailable


def policy_problem_lines(error: PolicyError, what: str = "the policy") -> list[str]:
    return [f"{len(error.issues)} problem(s) in {what}:", *(f"  {issue}" for issue in error.issues)]


def fail_policy(error: PolicyError, what: str = "the policy") -> NoReturn:
    for line in policy_problem_lines(error, what):
        click.echo(line, err=True)
    sys.exit(1)


class CommandGroup(click.Group):
    """The `complaints` group: a store that fails while a command runs is one line and exit 2, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except StoreUnavailable as exc:
            click.echo(f"decision store unavailable: {exc}", err=True)
            sys.exit(2)
