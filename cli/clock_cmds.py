"""The deadline clock for staff and operators: `events add`, `deadlines`, `escalate` (on the store directly).

Exit codes: 0 done; 1 the event was refused (every problem named, nothing recorded); 2 no store, or
no decision on that complaint; 3 (`deadlines --breached`) breached deadlines were listed, for cron.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from cli.admin import _database_option, _store
from engine.complaint import ComplaintError
from engine.events import parse_time
from lifecycle.clock_service import ClockService, UnknownComplaint
from store.clock import COUNT_CAP, STATUSES, due_list
from store.times import DISPLAY_ZONE


def _moment(_ctx, param, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value, param.name).astimezone(DISPLAY_ZONE)
    except ComplaintError as exc:
        raise click.BadParameter(" ".join(next(iter(exc.errors.values())))) from None


def _now(value: dt.datetime | None) -> dt.datetime:
    return value or dt.datetime.now(DISPLAY_ZONE)


@click.group()
def events() -> None:
    """Events reported on complaints (the deadline clock)."""


@events.command("add")
@click.argument("complaint_id")
@click.option("--type", "kind", required=True, help="An event of the policy, e.g. return_received, resolved.")
@click.option("--at", required=True, help="When it happened, ISO 8601 with offset (2026-11-03T10:00:00+08:00).")
@click.option("--note", help="Free text kept with the event (masked in exports).")
@click.option("--reference", help="The calling system's own id for the event.")
@_database_option
def events_add(complaint_id: str, kind: str, at: str, note: str | None, reference: str | None, database_url: str):
    """Record an event on COMPLAINT_ID and print the decision re-made on it (JSON).

    The same event again (type and time) records nothing and prints the decision it produced.
    Exit 1 if the event is refused (each problem named; nothing recorded), 2 for an unknown complaint."""
    raw = {"type": kind, "at": at}
    raw.update({name: value for name, value in (("note", note), ("reference", reference)) if value is not None})
    service = ClockService(_store(database_url))
    try:
        outcome = service.report(complaint_id, raw, now=dt.datetime.now(dt.UTC))
    except UnknownComplaint:
        click.echo(f"no decision was recorded for complaint {complaint_id}", err=True)
        sys.exit(2)
    except ComplaintError as exc:
        click.echo("the event was refused; nothing was recorded:", err=True)
        for field, messages in sorted(exc.errors.items()):
            click.echo(f"  {field}: {' '.join(messages)}", err=True)
        sys.exit(1)
    record = outcome.record
    click.echo(
        json.dumps(
            {
                "created": outcome.created,
                "decision_id": record.decision_id,
                "previous_decision_id": record.previous_decision_id,
                "decision": record.decision_dict(),
                "notifications": [{"kind": n.kind, "payload": n.payload} for n in outcome.notifications],
            },
            ensure_ascii=False,
            indent=2,
        )
    )


@click.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(STATUSES), default="open", show_default=True, help="Which deadlines.")
@click.option("--breached", is_flag=True, help="Only breached ones (same as --status breached); exit 3 if any.")
@click.option("--due-before", callback=_moment, help="Only those due before this time (ISO 8601 with offset).")
@click.option("--team", help="Only this team's.")
@click.option("--level", help="Only this level's.")
@click.option("--kind", help="Only this deadline kind.")
@click.option("--now", callback=_moment, help="Read the queue as of this time (default: now).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of a table.")
@_database_option
@click.pass_context
def deadlines(ctx, status, breached, due_before, team, level, kind, now, limit, as_json, database_url):
    """The work queue: open deadlines across complaints, soonest first (`deadlines rebuild`: make it again
    from each complaint's latest decision)."""
    if ctx.invoked_subcommand is not None:
        return
    moment = _now(now)
    if breached:
        status = "breached"
    entries, total = due_list(
        _store(database_url),
        now=moment,
        status=status,
        due_before=due_before,
        team=team,
        level=level,
        kind=kind,
        limit=limit,
    )
    assert total is not None
    counted = f"more than {COUNT_CAP}" if total > COUNT_CAP else str(total)
    if not as_json:
        click.echo(f"{counted} {status} deadline(s) as of {moment.isoformat()}")
    for entry in entries:
        shown = entry.status_at(moment)
        if as_json:
            row = {
                "complaint_id": entry.complaint_id,
                "kind": entry.kind,
                "status": shown,
                "due_at": entry.due_local,
                "team": entry.team,
                "level": entry.level,
                "rule": entry.rule,
                "decision_id": entry.decision_id,
            }
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(
                f"{entry.due_local}  {shown:<9} {entry.kind:<16} {entry.complaint_id}  "
                f"{entry.team or '-'}/{entry.level or '-'}  {entry.rule}"
            )
    if status == "breached" and total:
        sys.exit(3)


@deadlines.command("rebuild")
@_database_option
def deadlines_rebuild(database_url):
    """Make the work queue again from each complaint's latest decision: a store upgraded from release 1.1.0
    has no queue rows for the complaints decided before. Idempotent (a complaint whose rows are right is
    left alone); progress on standard error; prints how many complaints were read and rewritten."""
    from cli.progress import Progress
    from store.clock import complaint_count

    store = _store(database_url)
    with Progress("rebuild", complaint_count(store), unit="complaints") as progress:
        result = ClockService(store).rebuild_queue(lambda done, changed: progress.advance(1))
    click.echo(f"{result.complaints} complaint(s) read, {result.changed} work queue(s) rebuilt")


@click.command()
@click.option("--now", callback=_moment, help="Record breaches due at or before this time (default: now).")
@_database_option
def escalate(now, database_url):
    """Record every breach due by --now that the policy's clock records (as an event at its due time),
    re-deciding each complaint (escalation per §3.10, legal_deadline_breached for a legal deadline),
    and give the due_soon warnings reached. Safe to run twice at once: each breach is recorded once.
    Prints the run as JSON (recorded, already, failed, warned, notifications)."""
    run = ClockService(_store(database_url)).escalate(_now(now))
    click.echo(json.dumps(run.as_dict(), ensure_ascii=False, indent=2))
    if run.failed:
        sys.exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(events)
    cli.add_command(deadlines)
    cli.add_command(escalate)
