"""The options that choose a period: --since, --until, --tz, and --by (which clock).

Times without an offset are read in --tz (default Asia/Shanghai); since is
inclusive, until exclusive. --by recorded (the default) ranges by when the store
recorded each decision; --by received by the complaint's received_at, its
business time (a walk over the whole log).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from audit import records as walk

DEFAULT_TZ = "Asia/Shanghai"


def range_options(func):
    func = click.option(
        "--tz", default=DEFAULT_TZ, show_default=True, help="Time zone of --since/--until without an offset."
    )(func)
    func = click.option("--until", help="Before this time (exclusive), e.g. 2026-04-01.")(func)
    func = click.option("--since", help="At or after this time (inclusive), e.g. 2026-03-01.")(func)
    return func


def by_option(func):
    return click.option(
        "--by",
        type=click.Choice(walk.BY),
        default=walk.DEFAULT_BY,
        show_default=True,
        help="Which time --since/--until apply to: recorded (when the store recorded the decision) or received "
        "(the complaint's received_at, its business time; reads the whole log).",
    )(func)


def workers_option(func):
    """``--workers N``: replay a period over N processes split by seq range (audit/parallel.py)."""
    return click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=1,
        show_default=True,
        help="Replay a period over this many processes, split by seq range; the same output, in chain order.",
    )(func)


def bounds(since: str | None, until: str | None, tz: str) -> tuple[str | None, str | None]:
    """--since/--until as the UTC text the store compares."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {tz!r}", param_hint="--tz") from None
    try:
        return (walk.utc_text(since, zone) if since else None, walk.utc_text(until, zone) if until else None)
    except walk.BadTime as exc:
        raise click.BadParameter(str(exc)) from None
