"""How every command reports a policy it cannot use: each problem at file:line:column, exit 1."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from rules.errors import PolicyError


def policy_problem_lines(error: PolicyError, what: str = "the policy") -> list[str]:
    return [f"{len(error.issues)} problem(s) in {what}:", *(f"  {issue}" for issue in error.issues)]


def fail_policy(error: PolicyError, what: str = "the policy") -> NoReturn:
    for line in policy_problem_lines(error, what):
        click.echo(line, err=True)
    sys.exit(1)
