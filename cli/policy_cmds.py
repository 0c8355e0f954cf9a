"""Policy lifecycle commands for compliance staff: lint, test, diff.

complaints lint [POLICY] [--json]            findings; exit 1 if any is not accepted
complaints test [POLICY] [--tests FILE] [-v] run the policy tests; failures first; exit 1 on a failure
complaints diff OLD NEW [--json]             what changed between two policy versions
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from cli.failures import fail_policy, lang_option
from cli.policy_choice import chosen_policy, policy_argument_or_option
from rules.errors import PolicyError
from rules.loader import load_policy_file
from rules.messages import language, sentence, ui
from rules.model import Policy


def _load(path: str, lang: str | None = None) -> Policy:
    try:
        return load_policy_file(path)
    except PolicyError as error:
        fail_policy(error, "the policy", lang)


def parse_today(text: str | None) -> dt.date:
    """``--today``: the date the calendar horizon is counted from; default the current date."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"expected a date like 2026-12-01, got {text!r}", param_hint="--today") from None


def today_option(func):
    return click.option(
        "--today",
        default=None,
        metavar="DATE",
        help="Count the calendar left from this date (YYYY-MM-DD); default: the current date.",
    )(func)


def lint_warning_lines(policy: Policy, today: dt.date | None = None, lang: str | None = None) -> list[str]:
    """Lint findings as warnings for `complaints check`; accepted ones are counted, not listed."""
    from rules.lint import lint_policy

    words = language(lang)
    try:
        report = lint_policy(policy, today)
    except Exception as exc:  # lint is advice: a fault in it must not fail the validation `check` does
        return [sentence("lint.could_not_run", words, error=f"{type(exc).__name__}: {exc}")]
    lines = report.calendar_lines(words) if report.calendar and report.calendar.running_out else []
    for finding in report.unaccepted:
        lines.extend(finding.render(policy.source_file, words))
    if report.accepted:
        lines.append(sentence("lint.accepted_count", words, count=len(report.accepted)))
    return lines


@click.command("lint")
@policy_argument_or_option
@click.option("--json", "as_json", is_flag=True, help="Findings as JSON.")
@today_option
@lang_option
def lint(
    policy_argument: str | None, policy_option: str | None, as_json: bool, today: str | None, lang: str | None
) -> None:
    """Find rules that never fire, conflicts and gaps in POLICY; exit 1 on findings the policy does not accept.

    Also says how many days of holiday calendar are left after --today (a warning below
    calendar.warn_days_before_end, default 60; it never changes the exit code).
    """
    from rules.lint import lint_policy

    policy_path = chosen_policy(policy_argument, policy_option)
    report = lint_policy(_load(policy_path, lang), parse_today(today))
    if as_json:
        # For scripts: English sentences unless a language is asked for (as over HTTP); keys and codes fixed.
        click.echo(json.dumps(report.as_dict(language(lang, default="en")), ensure_ascii=False, indent=2))
    else:
        words = language(lang)
        for finding in report.findings:
            for line in finding.render(policy_path, words):
                click.echo(line)
        for line in report.calendar_lines(words):
            click.echo(line)
        summary = ui(
            "lint_summary", words, file=policy_path, unaccepted=len(report.unaccepted), accepted=len(report.accepted)
        )
        click.echo(summary + (ui("lint_clean", words) if not report.findings else ""))
    sys.exit(1 if report.unaccepted else 0)


@click.command("test")
@policy_argument_or_option
@click.option(
    "--tests",
    "tests_path",
    type=click.Path(dir_okay=False),
    help="Tests file; default: beside the policy, policies.yaml -> policies.tests.yaml.",
)
@click.option("--json", "as_json", is_flag=True, help="Results as JSON.")
@click.option("--require-coverage", is_flag=True, help="Also exit 1 when a rule is exercised by no test.")
@click.option(
    "--min-coverage",
    type=click.IntRange(0, 100),
    default=None,
    help="Also exit 1 when fewer than this % of rules and when_any alternatives are exercised.",
)
@click.option("--verbose", "-v", is_flag=True, help="Also list every test that passed.")
@lang_option
def test_cmd(
    policy_argument: str | None,
    policy_option: str | None,
    tests_path: str | None,
    as_json: bool,
    require_coverage: bool,
    min_coverage: int | None,
    verbose: bool,
    lang: str | None,
) -> None:
    """Run the policy tests of POLICY: failures first, a summary line, and the rules no test exercises."""
    from lifecycle.policy_tests import default_tests_path, load_tests_file, report_lines, run_as_dict, run_tests

    policy_path = chosen_policy(policy_argument, policy_option)
    policy = _load(policy_path, lang)
    tests_path = tests_path or str(default_tests_path(policy_path))
    try:
        tests = load_tests_file(tests_path, policy)
    except PolicyError as error:
        fail_policy(error, "the tests file", lang)
    run = run_tests(policy, tests, tests_path)
    if as_json:
        click.echo(json.dumps(run_as_dict(run), ensure_ascii=False, indent=2))
    else:
        for line in report_lines(run, verbose, language(lang)):
            click.echo(line)
    failed = bool(run.failed) or (require_coverage and bool(run.coverage.unexercised))
    if min_coverage is not None and run.coverage.percent < min_coverage:
        words = sentence("test.below_min_coverage", language(lang), percent=run.coverage.percent, min=min_coverage)
        click.echo(words, err=True)
        failed = True
    sys.exit(1 if failed else 0)


@click.command("diff")
@click.argument("old_path", type=click.Path(dir_okay=False))
@click.argument("new_path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Changes as JSON.")
@lang_option
def diff(old_path: str, new_path: str, as_json: bool, lang: str | None) -> None:
    """What changed from OLD to NEW: rules, limits, deadlines, windows, calendar and header, in words."""
    from rules.diff import diff_lines, diff_policies

    old, new = _load(old_path, lang), _load(new_path, lang)
    changes = diff_policies(old, new)
    if as_json:
        payload = {
            "old": {"file": old_path, "version": old.version, "digest": old.digest},
            "new": {"file": new_path, "version": new.version, "digest": new.digest},
            "changes": [c.as_dict(language(lang, default="en")) for c in changes],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for line in diff_lines(old, new, changes, language(lang)):
            click.echo(line)


COMMANDS = (lint, test_cmd, diff)
