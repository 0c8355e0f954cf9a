"""The `complaints` command line: check policies, decide complaints, look up the calendar."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path

import click

from canonical import canonical_json
from cli.failures import CommandGroup, fail_policy, fail_undecidable, lang_option
from cli.policy_choice import chosen_policy, policy_argument_or_option, policy_option
from cli.policy_cmds import COMMANDS as POLICY_COMMANDS
from cli.policy_cmds import lint_warning_lines, parse_today, today_option
from engine.compiled import decider_for_file
from engine.complaint import ComplaintError
from engine.outcome_settings import CacheSettings
from engine.version import DISTRIBUTION, ENGINE_VERSION
from lifecycle.versions import PolicyBook
from rules.calendar import CalendarError, WorkCalendar
from rules.compiler import compile_policy
from rules.errors import PolicyError
from rules.loader import load_policy_file
from rules.messages import language, sentence

_policy_option = policy_option  # the calendar commands and decide


def _print_version(ctx: click.Context) -> None:
    """The three versions an operator and an auditor ask for: the package, the engine stamped in every
    decision (``engine_version``), and the store schema revision this release reads and writes."""
    from store.schema import head_revision  # reads the migration scripts: only when asked

    click.echo(f"complaints {ENGINE_VERSION}")
    click.echo(f"package {DISTRIBUTION} {ENGINE_VERSION}")
    click.echo(f"engine {ENGINE_VERSION}")
    click.echo(f"store schema revision {head_revision()}")
    ctx.exit()


@click.group(cls=CommandGroup)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _print_version(ctx) if value and not ctx.resilient_parsing else None,
    help="Show the package, engine and store schema versions, and exit.",
)
def cli() -> None:
    """Complaint decision service: policies, decisions, calendar."""
    try:  # read where deciders are made (engine/compiled.py); a bad value is one line here, not a traceback
        CacheSettings.from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


for _command in POLICY_COMMANDS:  # lint, test, diff (cli/policy_cmds.py)
    cli.add_command(_command)


@cli.command()
@policy_argument_or_option
@today_option
@lang_option
def check(policy_argument: str | None, policy_option: str | None, today: str | None, lang: str | None) -> None:
    """Validate and compile POLICY; exit 1 with every problem found, in plain words (zh or en)."""
    policy_path = chosen_policy(policy_argument, policy_option)
    when = parse_today(today)
    try:
        policy = load_policy_file(policy_path)
        compile_policy(policy)
    except PolicyError as error:
        fail_policy(error, lang=lang)
    rules = len(policy.routing) + len(policy.remedies) + len(policy.deadlines)
    click.echo(f"{policy_path}: OK — version {policy.version}, {rules} rules, digest {policy.digest}")
    for line in lint_warning_lines(policy, when, lang):  # warnings only: the policy is usable, exit stays 0
        click.echo(line, err=True)


_MAX_COMPLAINT_BYTES = 16 * 1024 * 1024  # as COMPLAINTS_MAX_BATCH_BODY_BYTES's default


@cli.command()
@click.argument("complaint_file", type=click.File("rb"))
@_policy_option
@click.option("--compact", is_flag=True, help="One line of canonical JSON instead of indented output.")
def decide(complaint_file, policy_path: str, compact: bool) -> None:
    """Decide the complaint in COMPLAINT_FILE (JSON, '-' for stdin) and print the decision."""
    data = complaint_file.read(_MAX_COMPLAINT_BYTES + 1)  # bounded: '-' may be an endless stream
    if len(data) > _MAX_COMPLAINT_BYTES:
        click.echo(f"complaint: larger than {_MAX_COMPLAINT_BYTES} bytes", err=True)
        sys.exit(2)
    try:
        raw = json.loads(data, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        click.echo(f"complaint: not valid JSON: {exc}", err=True)
        sys.exit(2)
    try:
        decider = decider_for_file(policy_path)
        # As over HTTP: a complaint received before the policy's effective_from is refused,
        # never decided by rules that were not yet in force (lifecycle.versions).
        decision = PolicyBook([decider]).decider_for(raw).decide(raw)
    except PolicyError as error:
        fail_policy(error)
    except (ComplaintError, CalendarError) as error:
        fail_undecidable(error)
    if compact:
        click.echo(canonical_json(decision))
    else:
        click.echo(json.dumps(decision, ensure_ascii=False, indent=2))


@cli.group()
def calendar() -> None:
    """Working-day look-ups on the policy's holiday calendar."""


def _calendar(policy_path: str) -> WorkCalendar:
    try:
        policy = load_policy_file(policy_path)
    except PolicyError as error:
        fail_policy(error)
    return WorkCalendar(policy.calendar, policy.timezone)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"expected a date like 2026-10-08, got {text!r}") from None


@calendar.command("is-working-day")
@click.argument("day")
@_policy_option
def is_working_day(day: str, policy_path: str) -> None:
    """Say whether DAY (YYYY-MM-DD) is a working day; exit 0 if it is, 3 if not."""
    cal, when = _calendar(policy_path), _date(day)
    try:
        working = cal.is_working_day(when)
    except CalendarError as error:
        click.echo(f"calendar: {error}", err=True)
        sys.exit(1)
    festival = cal.fallback_holiday(when)
    kind = (
        "make-up working day (调休)"
        if when in cal.spec.makeup_working_days
        else (
            "public holiday"
            if when in cal.spec.holidays
            else (f"statutory holiday {festival}" if festival else ("weekday" if working else "weekend"))
        )
    )
    fallback = {"weekends_only": "weekend-only fallback", "statutory": "statutory-holiday fallback"}
    note = (
        ""
        if when.year in cal.known_years
        else f" (year not in the policy calendar: {fallback[cal.spec.outside_known_years]})"
    )
    click.echo(f"{when} {when.strftime('%A')}: {'working day' if working else 'non-working day'} — {kind}{note}")
    sys.exit(0 if working else 3)


@calendar.command("add-working-days")
@click.argument("day")
@click.argument("count", type=click.IntRange(1, 366))
@_policy_option
def add_working_days(day: str, count: int, policy_path: str) -> None:
    """The COUNT-th working day after DAY."""
    cal = _calendar(policy_path)
    try:
        click.echo(cal.add_working_days(_date(day), count).isoformat())
    except CalendarError as error:
        click.echo(f"calendar: {error}", err=True)
        sys.exit(1)


@calendar.command("period-end")
@click.argument("day")
@click.argument("count", type=click.IntRange(1, 3660))
@click.option("--unit", type=click.Choice(["calendar_days", "working_days", "years"]), default="calendar_days")
@_policy_option
def period_end(day: str, count: int, unit: str, policy_path: str) -> None:
    """Last day of a period of COUNT units running from an event on DAY (CC Art. 201, 203)."""
    cal = _calendar(policy_path)
    try:
        click.echo(cal.period_end_date(_date(day), unit, count).isoformat())
    except CalendarError as error:
        click.echo(f"calendar: {error}", err=True)
        sys.exit(1)


@calendar.command("month")
@click.argument("month")
@_policy_option
def month(month: str, policy_path: str) -> None:
    """List MONTH (YYYY-MM) day by day: working day, weekend, holiday or make-up day."""
    cal = _calendar(policy_path)
    first = _date(f"{month}-01")
    day = first
    while day.month == first.month:
        try:
            working = cal.is_working_day(day)
        except CalendarError as error:
            click.echo(f"calendar: {error}", err=True)
            sys.exit(1)
        tag = "调休 make-up" if day in cal.spec.makeup_working_days else ("holiday" if day in cal.spec.holidays else "")
        click.echo(f"{day} {day.strftime('%a')}  {'work' if working else 'off '}  {tag}".rstrip())
        day += dt.timedelta(days=1)


@calendar.command("draft")
@click.argument("year", type=click.IntRange(1990, 2200))
def draft(year: int) -> None:
    """Print the calendar block for YEAR with its statutory holidays filled in.

    The bridging holidays and make-up working days only the State Council's notice gives are
    left for you to complete, marked TO COMPLETE (lint reports a block still marked so).
    """
    from rules.calendar_year import draft_year

    click.echo(draft_year(year).block(), nl=False)


@calendar.command("import")
@click.argument("notice_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=click.IntRange(1990, 2200), help="The notice's year, if its title does not say it.")
@lang_option
def import_notice(notice_file: str, year: int | None, lang: str | None) -> None:
    """Read the State Council's notice NOTICE_FILE (its own text, UTF-8) and print the calendar block.

    Exit 1, naming each line, if any line of the arrangement cannot be read.
    """
    from rules.holiday_notice import NoticeError, parse_notice

    words = language(lang)
    try:
        text = Path(notice_file).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        click.echo(sentence("notice.not_utf8", words, file=notice_file, reason=exc.reason), err=True)
        sys.exit(1)
    try:
        arrangement = parse_notice(text, year, Path(notice_file).name)
    except NoticeError as error:
        click.echo(sentence("notice.not_imported", words, file=notice_file, count=len(error.said)), err=True)
        for line, message in error.lines(words):
            click.echo(f"  {notice_file}:{line}: {message}", err=True)
        sys.exit(1)
    click.echo(arrangement.block(), nl=False)
    for day in arrangement.other_years:
        note = sentence("notice.other_year", words, day=day, year=day.year, notice_year=arrangement.year)
        click.echo(note, err=True)


from cli import admin  # noqa: E402 - the service's commands: keys, store, serve

admin.register(cli)

from cli import audit_cmds  # noqa: E402 - replay, export, export-policy, purge

audit_cmds.register(cli)

from cli import lifecycle_cmds  # noqa: E402 - impact

lifecycle_cmds.register(cli)

from cli import signing_cmds  # noqa: E402 - keys signing create, checkpoint, export-checkpoints

signing_cmds.register(cli, admin.keys)

from cli import bundle_cmds  # noqa: E402 - audit bundle, audit verify-bundle

bundle_cmds.register(cli)

from cli import authoring_cmds  # noqa: E402 - schema, explain, fmt

authoring_cmds.register(cli)
from cli import governance_cmds  # noqa: E402 - propose, approve, reject, withdraw, review, notice, versions

governance_cmds.register(cli)
from cli import webhook_cmds  # noqa: E402 - webhooks deliver, list, retry (issue 16)

webhook_cmds.register(cli)

from cli import users_cmds  # noqa: E402 - users create, list, disable, reset (the web console's accounts)

users_cmds.register(cli)

from cli import init_cmd  # noqa: E402 - init

init_cmd.register(cli)

from cli import clock_cmds  # noqa: E402 - events add, deadlines, escalate (the deadline clock)

clock_cmds.register(cli)

if __name__ == "__main__":
    cli()
