"""Previewing a candidate policy on the store's recorded decisions.

complaints impact NEW --since 2026-10-01 [--until 2026-11-01] [--json]

Proposing, approving and listing versions are in ``cli/governance_cmds.py``.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from audit import records as walk
from audit.parallel import Walk, impact_report
from audit.replay import impact as impact_of
from cli.admin import _database_option, _store
from cli.failures import fail_policy
from cli.progress import Progress
from cli.range_options import by_option, workers_option
from engine.compiled import decider_for
from rules.errors import PolicyError
from rules.loader import load_policy_file
from rules.offsets import OFFSET_MESSAGE, whole_minutes


def _instant(text: str, option: str) -> str:
    """A date or timestamp as the UTC ISO text the store orders by."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"expected a date (2026-10-01) or a timestamp with offset, got {text!r}", param_hint=option
        ) from None
    if moment.tzinfo is None:
        if len(text) > 10:
            raise click.BadParameter("a timestamp needs an offset, e.g. +08:00", param_hint=option)
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a date is a Shanghai date
    if not whole_minutes(moment):
        raise click.BadParameter(f"{OFFSET_MESSAGE}; got {text!r}", param_hint=option)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


@click.command("impact")
@click.argument("policy_path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--since",
    required=True,
    help="Replay decisions recorded (or --by received) from this date (Asia/Shanghai) or time.",
)
@click.option("--until", default=None, help="... up to (not including) this date or time.")
@by_option
@click.option("--examples", default=3, show_default=True, help="Examples shown per kind of change.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@workers_option
@_database_option
def impact_cmd(
    policy_path: str,
    since: str,
    until: str | None,
    by: str,
    examples: int,
    as_json: bool,
    workers: int,
    database_url: str,
) -> None:
    """Replay stored decisions under the candidate POLICY and report what would change."""
    try:
        candidate = decider_for(load_policy_file(policy_path))
    except PolicyError as error:
        fail_policy(error)
    store = _store(database_url)
    low, high = _instant(since, "--since"), _instant(until, "--until") if until else None
    records = walk.in_range(store, low, high, by=by)
    changed = {"count": 0}
    with Progress(
        "impact", walk.count_in_range(store, low, high, by=by), status=lambda: f"{changed['count']} would change"
    ) as progress:

        def counted(report) -> None:
            changed["count"] = report.changed

        if workers > 1:

            def advanced(report) -> None:
                counted(report)
                progress.advance()

            job = Walk(database_url, since=low, until=high, by=by, candidate_file=policy_path)
            report = impact_report(job, workers, examples, advanced)
        else:
            report = impact_of(progress.track(records), candidate, examples, counted)
    click.echo(f"  {report.total} replayed, {report.changed} changed", err=True)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "policy": {"version": candidate.policy.version, "digest": candidate.policy.digest},
                    **report.as_dict(),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(f"candidate {candidate.policy.version} ({candidate.policy.digest[:12]})")
        click.echo(report.as_text())


def register(group: click.Group) -> None:
    for command in (impact_cmd,):
        group.add_command(command)
