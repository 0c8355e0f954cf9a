"""Policy lifecycle on the store: publish a version, list versions, preview impact.

complaints publish POLICY [--ack short_notice] [--by NAME]
complaints versions
complaints impact NEW --since 2026-10-01 [--until 2026-11-01] [--json]
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from audit import records as walk
from audit.replay import impact as impact_of
from cli.admin import _database_option, _store
from cli.failures import fail_policy, lang_option
from cli.range_options import by_option
from engine.compiled import decider_for
from lifecycle.publish import ACKNOWLEDGEABLE, PublishRefused, publish
from rules.errors import PolicyError
from rules.loader import load_policy_file, read_policy_source
from store.times import shown


@click.command("publish")
@click.argument("policy_path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--ack",
    "acknowledge",
    multiple=True,
    type=click.Choice(ACKNOWLEDGEABLE),
    help="Acknowledge a warning, e.g. a change announced less than 7 (major: 15) days ahead.",
)
@click.option("--by", "published_by", default="cli", show_default=True, help="Who publishes (recorded).")
@lang_option
@_database_option
def publish_cmd(
    policy_path: str, acknowledge: tuple[str, ...], published_by: str, lang: str | None, database_url: str
) -> None:
    """Check POLICY (validate, compile, lint) and publish it to every instance sharing the store."""
    try:
        text = read_policy_source(policy_path)
        result = publish(_store(database_url), text, policy_path, published_by, acknowledge)
    except PolicyError as error:
        fail_policy(error, lang=lang)
    except PublishRefused as refused:
        click.echo(f"not published: {refused}", err=True)
        for finding in refused.findings:
            click.echo(f"  {policy_path}:{finding['line']}: [{finding['code']}] {finding['message']}", err=True)
        sys.exit(1)
    policy = result.policy
    state = "published" if result.published else "already published"
    click.echo(
        f"{state}: version {policy.version}, digest {policy.digest}, effective from {policy.effective_from.isoformat()}"
    )
    if result.acknowledged:
        click.echo(f"acknowledged: {', '.join(result.acknowledged)}")


@click.command("versions")
@_database_option
def versions_cmd(database_url: str) -> None:
    """Published policy versions, oldest publication first."""
    rows = _store(database_url).published_after(0)
    if not rows:
        click.echo("no published versions (instances use their policy file)")
    for row in rows:
        click.echo(
            f"{row['version']:<12} effective {row['effective_from']}  digest {row['digest'][:16]}  "
            f"published {shown(row['published_at'])} by {row['published_by']}"
        )


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
@_database_option
def impact_cmd(
    policy_path: str, since: str, until: str | None, by: str, examples: int, as_json: bool, database_url: str
) -> None:
    """Replay stored decisions under the candidate POLICY and report what would change."""
    try:
        candidate = decider_for(load_policy_file(policy_path))
    except PolicyError as error:
        fail_policy(error)
    store = _store(database_url)
    low, high = _instant(since, "--since"), _instant(until, "--until") if until else None
    records = walk.in_range(store, low, high, by=by)

    def progress(report) -> None:
        if report.total % 1000 == 0:
            click.echo(f"\r  {report.total} replayed, {report.changed} changed", err=True, nl=False)

    report = impact_of(records, candidate, examples, progress)
    click.echo(f"\r  {report.total} replayed, {report.changed} changed", err=True)
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
    for command in (publish_cmd, versions_cmd, impact_cmd):
        group.add_command(command)
