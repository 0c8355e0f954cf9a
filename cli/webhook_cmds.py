"""Outbound webhooks on the command line.

complaints webhooks deliver [--once]       send the outbox (a pass, or forever as a service)
complaints webhooks list [--status S]      what waits, what is dead
complaints webhooks retry [ID...|--all-dead]   try dead deliveries again
complaints webhooks prune [--older-than-days N]  delete what was delivered long ago
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys

import click

from cli.admin import _database_option, _store
from lifecycle import webhook_config
from lifecycle.webhook_config import WebhookConfigError, build_config, display_url
from lifecycle.webhook_delivery import Attempt, Deliverer
from store.db import StoreUnavailable
from store.outbox import DEAD, PENDING, STATUSES, Delivery, deliveries, depth, prune, revive
from store.times import shown


@click.group("webhooks")
def webhooks() -> None:
    """Notifications to subscribers (deadline.due_soon, deadline.breached, decision.escalated): signed JSON POSTs
    from an outbox in the store, retried with backoff."""


def _unavailable(exc: StoreUnavailable) -> None:
    click.echo(f"decision store unavailable: {exc}", err=True)
    sys.exit(2)


def _echo_attempt(outcome: str, delivery: Delivery, attempt: Attempt) -> None:
    answer = f"HTTP {attempt.status}" if attempt.status is not None else attempt.error
    click.echo(
        f"{outcome:<9}  {delivery.event_id}  {delivery.kind:<18}  {display_url(delivery.subscriber)}  "
        f"attempt {delivery.attempts}: {answer}"
    )


def _depth_line(counts: dict[str, int]) -> str:
    return "outbox: " + ", ".join(f"{counts[state]} {state}" for state in ("queued", *STATUSES))


def _tuning(flag: str, variable: str, default: int, text: str):
    """A whole-number delivery setting, read from COMPLAINTS_WEBHOOK_<variable> as the service reads it."""
    return click.option(
        flag,
        envvar=f"COMPLAINTS_WEBHOOK_{variable}",
        type=int,
        default=default,
        show_default=True,
        help=f"{text} (env COMPLAINTS_WEBHOOK_{variable}).",
    )


@webhooks.command("deliver")
@click.option("--once", is_flag=True, help="One pass: send what is due now, then exit (e.g. from cron).")
@click.option(
    "--urls",
    envvar="COMPLAINTS_WEBHOOK_URLS",
    default="",
    help="Subscriber URLs, separated by commas or spaces (env COMPLAINTS_WEBHOOK_URLS).",
)
@click.option(
    "--secret-file",
    envvar="COMPLAINTS_WEBHOOK_SECRET_FILE",
    default="",
    help="File of signing secrets, one a line (env COMPLAINTS_WEBHOOK_SECRET_FILE).",
)
@_tuning(
    "--timeout-ms", "TIMEOUT_MS", webhook_config.DEFAULT_TIMEOUT_MS, "How long one network step of a POST may take"
)
@_tuning("--max-attempts", "MAX_ATTEMPTS", webhook_config.DEFAULT_MAX_ATTEMPTS, "Attempts before a delivery is dead")
@_tuning(
    "--backoff-seconds",
    "BACKOFF_SECONDS",
    webhook_config.DEFAULT_BACKOFF_SECONDS,
    "Wait before the 2nd attempt, doubling for each later one, half of it random",
)
@_tuning(
    "--backoff-max-seconds",
    "BACKOFF_MAX_SECONDS",
    webhook_config.DEFAULT_BACKOFF_MAX_SECONDS,
    "The longest wait between attempts",
)
@_tuning(
    "--poll-seconds", "POLL_SECONDS", webhook_config.DEFAULT_POLL_SECONDS, "Without --once: a pass every N seconds"
)
@_database_option
def deliver_cmd(
    once: bool,
    urls: str,
    secret_file: str,
    timeout_ms: int,
    max_attempts: int,
    backoff_seconds: int,
    backoff_max_seconds: int,
    poll_seconds: int,
    database_url: str,
) -> None:
    """Send the outbox's due notifications, each signed (Complaints-Signature), one line per attempt. Any number
    of deliverers may run on one store: each delivery is leased to one of them. Without --once it runs until
    SIGTERM or Ctrl-C. Exit 2 if the configuration or the store cannot be used."""
    try:
        config = build_config(
            urls,
            secret_file,
            production=os.environ.get("COMPLAINTS_ENV", "") == "production",
            timeout_ms=timeout_ms,
            max_attempts=max_attempts,
            backoff_seconds=backoff_seconds,
            backoff_max_seconds=backoff_max_seconds,
            poll_seconds=poll_seconds,
        )
    except WebhookConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if config is None:
        click.echo("no subscriber: set COMPLAINTS_WEBHOOK_URLS or give --urls", err=True)
        sys.exit(2)
    deliverer = Deliverer(_store(database_url), config, on_attempt=_echo_attempt)
    if once:
        try:
            report = deliverer.run_once()
        except StoreUnavailable as exc:
            _unavailable(exc)
        click.echo(
            f"{report.delivered} delivered, {report.retrying} to retry, {report.dead} dead; {_depth_line(report.depth)}"
        )
        return
    signal.signal(signal.SIGTERM, lambda _signum, _frame: deliverer.stop(timeout=0))
    click.echo(f"delivering to {len(config.subscribers)} subscriber(s), a pass every {poll_seconds} s", err=True)
    try:
        deliverer.run_forever()
    except KeyboardInterrupt:
        pass


@webhooks.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([*STATUSES, "all"]),
    help="Deliveries in this state; repeat for several. Default: pending and dead.",
)
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True, help="At most N rows.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line, with the body sent.")
@_database_option
def list_cmd(statuses: tuple[str, ...], limit: int, as_json: bool, database_url: str) -> None:
    """The outbox: how many notifications wait in each state, then one line per delivery (soonest due first):
    id, state, attempts, next attempt or when it was delivered, event, kind, subscriber (without query or
    password), the last answer."""
    chosen = STATUSES if "all" in statuses else (statuses or (PENDING, DEAD))
    store = _store(database_url)
    try:
        counts, rows = depth(store), deliveries(store, statuses=chosen, limit=limit)
    except StoreUnavailable as exc:
        _unavailable(exc)
    if as_json:
        for row in rows:
            item = {**row.__dict__, "subscriber": display_url(row.subscriber), "body": json.loads(row.body)}
            for name in ("next_attempt_at", "lease_until", "last_attempt_at", "delivered_at", "created_at"):
                item[name] = shown(item[name]) if item[name] else None
            click.echo(json.dumps(item, ensure_ascii=False, sort_keys=True))
        return
    click.echo(_depth_line(counts))
    for row in rows:
        when = shown(row.delivered_at) if row.delivered_at else shown(row.next_attempt_at)
        answer = row.last_error or (f"HTTP {row.last_status}" if row.last_status is not None else "-")
        click.echo(
            f"{row.id:>6}  {row.status:<9}  {row.attempts:>2}  {when}  {row.event_id}  {row.kind:<18}  "
            f"{display_url(row.subscriber)}  {answer}"
        )


@webhooks.command("retry")
@click.argument("delivery_ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="Every dead delivery.")
@_database_option
def retry_cmd(delivery_ids: tuple[int, ...], all_dead: bool, database_url: str) -> None:
    """Make dead deliveries (by the ids `webhooks list` shows, or --all-dead) pending again, due now, with a
    fresh count of attempts; the next `deliver` pass sends them."""
    if bool(delivery_ids) == all_dead:
        click.echo("give the ids of dead deliveries, or --all-dead (not both)", err=True)
        sys.exit(2)
    try:
        count = revive(_store(database_url), dt.datetime.now(dt.UTC), None if all_dead else delivery_ids)
    except StoreUnavailable as exc:
        _unavailable(exc)
    click.echo(f"{count} dead deliver{'y' if count == 1 else 'ies'} pending again")
    if delivery_ids and count < len(set(delivery_ids)):
        click.echo("some of the ids given are not dead deliveries: left as they are", err=True)
        sys.exit(1)


@webhooks.command("prune")
@click.option(
    "--older-than-days",
    type=click.IntRange(1, 36_600),
    default=30,
    show_default=True,
    help="Delete deliveries delivered more than N days ago, and their events.",
)
@_database_option
def prune_cmd(older_than_days: int, database_url: str) -> None:
    """Delete the deliveries delivered more than N days ago and the events no delivery names any more
    (the outbox is not an archive: decisions and their events are in the decision log). Pending and dead
    deliveries stay."""
    before = dt.datetime.now(dt.UTC) - dt.timedelta(days=older_than_days)
    try:
        gone, events = prune(_store(database_url), before)
    except StoreUnavailable as exc:
        _unavailable(exc)
    click.echo(f"{gone} delivered deliveries and {events} events older than {older_than_days} days deleted")


def register(cli: click.Group) -> None:
    cli.add_command(webhooks)
