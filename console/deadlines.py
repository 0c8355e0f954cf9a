"""The deadline clock in the console: the work queue, the staffing charts, a complaint's events.

Everything reads the store through the functions the API uses (``store.clock``: ``due_list`` behind
GET /v1/deadlines, ``due_summary`` behind GET /v1/deadlines/summary). "Now" of every page is the
request's time unless the page is asked for another (``now=``), and the page states it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _

from api.context import services
from console import access
from console.svg import columns
from console.web import bp, page, refused
from store.clock import COUNT_CAP, STATUSES, due_list, due_summary, events_recorded, open_by_team
from store.db import StoredDecision
from store.times import DISPLAY_ZONE

HORIZON = {"hour": dt.timedelta(hours=48), "day": dt.timedelta(days=14)}  # as GET /v1/deadlines/summary
PAGE_SIZE = 50
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")  # an identifier of the policy, as the API accepts


class BadArgument(ValueError):
    """A query argument the page cannot use: ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def instant(field: str, text: str | None) -> dt.datetime | None:
    """A time from a form (``2026-01-13T12:00``, read in Asia/Shanghai) or with its offset."""
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadArgument(
            field, _("%(field)s: expected a date and time such as 2026-01-13T12:00", field=field)
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=DISPLAY_ZONE)).astimezone(DISPLAY_ZONE)


def now_of(args) -> dt.datetime:
    given = instant("now", args.get("now"))
    return given or services().clock().astimezone(DISPLAY_ZONE)


def form_time(moment: dt.datetime | None) -> str:
    """A time as a ``datetime-local`` input shows it (Asia/Shanghai, to the minute)."""
    return moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%dT%H:%M") if moment else ""


# -- the dashboard's deadline charts ---------------------------------------------------------------


@dataclass
class DeadlineStats:
    now: dt.datetime
    hours: list[tuple[str, int]]  # every hour of the next 48, with the deadlines due in it
    days: list[tuple[str, int]]  # every day of the next 14
    teams: list[tuple[str, int, int]]  # team, on the clock, past due
    breached: int

    @property
    def open(self) -> int:
        return sum(total for _team, total, _past in self.teams)

    def share(self) -> str:
        return f"{self.breached * 100 / self.open:.1f}%" if self.open else "—"


def deadline_stats(now: dt.datetime) -> DeadlineStats:
    store = services().store
    found: dict[str, list[tuple[str, int]]] = {}
    breached = 0
    for by, width in (("hour", 13), ("day", 10)):
        counts, breached = due_summary(store, now=now, until=now + HORIZON[by], by=by)
        per = Counter(dict(counts))
        found[by] = [(label, per[label]) for label in _periods(now, by, width)]
    teams = [(team or "—", total, past) for team, total, past in open_by_team(store, now=now)]
    return DeadlineStats(now, found["hour"], found["day"], teams, breached)


def _periods(now: dt.datetime, by: str, width: int) -> list[str]:
    """The labels (as ``due_local`` starts) of every hour or day from ``now`` to the horizon."""
    step = dt.timedelta(hours=1) if by == "hour" else dt.timedelta(days=1)
    moment, end, labels = now, now + HORIZON[by], []
    while moment < end:
        label = moment.astimezone(DISPLAY_ZONE).isoformat()[:width]
        if label not in labels:
            labels.append(label)
        moment += step
    last = (end - dt.timedelta(microseconds=1)).astimezone(DISPLAY_ZONE).isoformat()[:width]
    return labels if last in labels else [*labels, last]


def deadline_tables(stats: DeadlineStats) -> dict[str, tuple[list[str], list[list[str]]]]:
    return {
        "due_per_hour": (["hour", "due"], [[label, str(n)] for label, n in stats.hours]),
        "due_per_day": (["day", "due"], [[label, str(n)] for label, n in stats.days]),
        "breached_by_team": (
            ["team", "on_the_clock", "past_due", "share_past_due"],
            [[team, str(total), str(past), f"{past * 100 / total:.1f}%"] for team, total, past in stats.teams],
        ),
    }


def deadline_charts(stats: DeadlineStats) -> dict:
    return {
        "hours": columns(
            [label[11:13] for label, _n in stats.hours],
            {_("deadlines due"): [n for _label, n in stats.hours]},
            _("Deadlines due per hour, next 48 hours"),
            chart_id="chart-due-hours",
            width=1100,
        ),
        "days": columns(
            [label[5:] for label, _n in stats.days],
            {_("deadlines due"): [n for _label, n in stats.days]},
            _("Deadlines due per day, next 14 days"),
            chart_id="chart-due-days",
        ),
        "breached": columns(
            [team for team, _total, _past in stats.teams],
            {
                _("past due"): [past for _team, _total, past in stats.teams],
                _("not yet due"): [total - past for _team, total, past in stats.teams],
            },
            _("Deadlines on the clock past due, by team"),
            chart_id="chart-breached",
        ),
    }


# -- the work queue ---------------------------------------------------------------------------------


@dataclass
class QueueQuery:
    status: str
    now: dt.datetime
    due_before: dt.datetime | None
    team: str | None
    level: str | None
    kind: str | None
    page: int

    @classmethod
    def from_args(cls, args) -> QueueQuery:
        status = args.get("status") or "open"
        if status not in STATUSES:
            raise BadArgument("status", _("status: expected one of %(names)s", names=", ".join(STATUSES)))
        names = {}
        for field in ("team", "level", "kind"):
            value = (args.get(field) or "").strip() or None
            if value is not None and not NAME.match(value):
                raise BadArgument(field, _("%(field)s: expected an identifier of the policy", field=field))
            names[field] = value
        try:
            number = int(args.get("page") or 1)
        except ValueError:
            number = 0
        if not 1 <= number <= 1_000_000:
            raise BadArgument("page", _("page: expected a whole number from 1"))
        return cls(status, now_of(args), instant("due_before", args.get("due_before")), page=number, **names)

    def link(self, **changes: object) -> str:
        values: dict[str, object] = {
            "status": self.status,
            "now": form_time(self.now),
            "due_before": form_time(self.due_before) or None,
            "team": self.team,
            "level": self.level,
            "kind": self.kind,
            "page": self.page,
        }
        values.update(changes)
        params: dict[str, Any] = {k: str(v) for k, v in values.items() if v}
        return url_for("console.queue_page", **params)


@bp.get("/queue")
@page(*access.QUEUE)
def queue_page():
    try:
        query = QueueQuery.from_args(request.args)
    except BadArgument as exc:
        return refused(str(exc), 400)
    entries, total = due_list(
        services().store,
        now=query.now,
        status=query.status,
        due_before=query.due_before,
        team=query.team,
        level=query.level,
        kind=query.kind,
        limit=PAGE_SIZE,
        offset=(query.page - 1) * PAGE_SIZE,
    )
    assert total is not None
    rows = [{"entry": entry, "status": entry.status_at(query.now)} for entry in entries]
    more = (query.page - 1) * PAGE_SIZE + len(entries) < total
    policy = services().decider.policy
    return render_template(
        "queue.html",
        query=query,
        rows=rows,
        total=min(total, COUNT_CAP),
        exact=total <= COUNT_CAP,
        statuses=STATUSES,
        teams=sorted(policy.teams),
        levels=list(policy.levels),
        kinds=sorted(policy.clock.kinds),
        form_time=form_time,
        status_label=status_label,
        percent=f"{policy.clock.due_soon_percent}%",
        previous=query.link(page=query.page - 1) if query.page > 1 else None,
        next=query.link(page=query.page + 1) if more else None,
    )


def status_label(status: str) -> str:
    return {
        "open": _("open"),
        "due_soon": _("due soon"),
        "breached": _("breached"),
        "scheduled": _("on the clock (scheduled)"),
        "met": _("met"),
        "missed": _("missed"),
        "paused": _("paused"),
        "overdue": _("overdue"),
        "pending": _("waiting for its event"),
    }.get(status, status)


# -- a complaint's events and re-evaluations, on the decision page -----------------------------------


def complaint_events(complaint_id: str, masker) -> list[dict]:
    """The events recorded on the complaint, the note masked by ``masker`` (the page's)."""
    shown = []
    for recorded, decision_id, recorded_at in events_recorded(services().store, complaint_id):
        event = masker.mask([recorded], "events")[0]  # the one masking policy (audit.masking): note, reference
        note = event.get("note")
        shown.append(
            {
                "type": event.get("type"),
                "kind": event.get("kind"),
                "at": event.get("at"),
                "note": note if isinstance(note, str) else None,
                "reference": event.get("reference"),
                "decision_id": decision_id,
                "recorded_at": recorded_at,
            }
        )
    return shown


def reevaluations(on_complaint: list[StoredDecision], events: list[dict]) -> list[dict]:
    """Each decision on the complaint, oldest first, with the event it was re-made on and its deadlines."""
    caused = {event["decision_id"]: event for event in events}
    return [
        {"record": record, "event": caused.get(record.decision_id), "deadlines": record.decision_dict()["deadlines"]}
        for record in on_complaint
    ]
