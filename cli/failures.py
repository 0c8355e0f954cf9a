"""How every command reports what it cannot use: a policy (each problem at file:line:column, exit 1),
or a decision store that stops answering mid-command (one line, exit 2).

Policy problems are in Chinese by default, for compliance staff; ``--lang en`` or
``COMPLAINTS_LANG=en`` for English (rules/messages.py holds the words). The codes in brackets
are the same in both.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from engine.complaint import ComplaintError
from rules.calendar import CalendarError
from rules.errors import PolicyError
from rules.messages import LANGUAGES, language, ui
from store import StoreUnavailable


def lang_option(func):
    """``--lang zh|en`` for a command that reports policy problems; default ``$COMPLAINTS_LANG``, else zh."""
    return click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        default=None,
        help="Language of policy problems: zh (default, or $COMPLAINTS_LANG) or en.",
    )(func)


def policy_problem_lines(error: PolicyError, what: str = "the policy", lang: str | None = None) -> list[str]:
    lang = language(lang)
    lines = [ui("problems", lang, count=len(error.issues), what=ui(what, lang))]
    for issue in error.issues:
        lines.extend(f"  {line}" for line in issue.lines(lang))
    return lines


def fail_policy(error: PolicyError, what: str = "the policy", lang: str | None = None) -> NoReturn:
    for line in policy_problem_lines(error, what, lang):
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


def fail_undecidable(error: ComplaintError | CalendarError) -> NoReturn:
    """A complaint the policy cannot decide: every bad field, or the date off the calendar; exit 1."""
    if isinstance(error, ComplaintError):
        click.echo("the complaint cannot be decided:", err=True)
        for field, messages in sorted(error.errors.items()):
            click.echo(f"  {field}: {' '.join(messages)}", err=True)
    else:
        click.echo(f"calendar: {error}", err=True)
    sys.exit(1)
