"""The team leads' dashboard: the complaint statistics a weekly review asks for (投诉数据统计与分析).

Counts over the decisions whose complaint was received in the period (business time, in the
policy's time zone): by category, channel, team, level and remedy per day; the share escalated
and the share with a deadline already overdue at receipt; refunds and compensation by who
approves them; the busiest hours. Every chart has its numbers under it and a CSV download of
exactly those numbers. Aggregates only: no complaint, customer or order is shown.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask import Response, render_template, request
from flask_babel import gettext as _

from api.context import services
from audit import records as walk
from console import access
from console.deadlines import BadArgument, deadline_charts, deadline_stats, deadline_tables, form_time, now_of
from console.formatting import moment, money, zone
from console.svg import bars, columns
from console.web import bp, page, refused

DIMENSIONS = ("category", "channel", "team", "level", "remedy")
MAX_DAYS = 366


@dataclass
class Stats:
    days: list[str]
    total: int = 0
    escalated: int = 0
    overdue: int = 0
    per_day: dict[str, dict[str, Counter]] = field(
        default_factory=lambda: {d: defaultdict(Counter) for d in DIMENSIONS}
    )
    totals: dict[str, Counter] = field(default_factory=lambda: {d: Counter() for d in DIMENSIONS})
    escalated_per_day: Counter = field(default_factory=Counter)
    per_day_total: Counter = field(default_factory=Counter)
    money: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    hours: Counter = field(default_factory=Counter)

    def add(self, decision: dict, day: str, hour: int) -> None:
        route, remedy = decision.get("route") or {}, decision.get("remedy") or {}
        components = remedy.get("components") or []
        values = {
            "category": [decision.get("category") or "?"],
            "channel": [decision.get("channel") or "?"],
            "team": [route.get("team") or (f"→ {route.get('redirect')}" if route.get("redirect") else "?")],
            "level": [route.get("level") or "?"],
            "remedy": sorted({c.get("type") or "?" for c in components}) or ["none"],
        }
        self.total += 1
        self.per_day_total[day] += 1
        for dimension, names in values.items():
            for name in names:
                self.per_day[dimension][name][day] += 1
                self.totals[dimension][name] += 1
        if route.get("escalated_from"):
            self.escalated += 1
            self.escalated_per_day[day] += 1
        if any(d.get("status") == "overdue" for d in decision.get("deadlines") or []):
            self.overdue += 1
        for component in components:
            if component.get("type") in ("refund", "return_refund", "compensation") and component.get("amount"):
                approver = component.get("approved_by") or {}
                who = approver.get("team") or approver.get("level") or "?"
                kind = "compensation" if component["type"] == "compensation" else "refund"
                self.money[(kind, who)] += Decimal(component["amount"])
        self.hours[hour] += 1

    def share(self, part: int) -> str:
        return f"{Decimal(part * 100) / self.total:.1f}%" if self.total else "—"


def period() -> tuple[dt.date, dt.date]:
    today = dt.datetime.now(zone()).date()
    try:
        since = dt.date.fromisoformat(request.args.get("since", "")) if request.args.get("since") else None
        until = dt.date.fromisoformat(request.args.get("until", "")) if request.args.get("until") else None
    except ValueError:
        since = until = None
    until = until or today + dt.timedelta(days=1)
    since = since or until - dt.timedelta(days=14)
    if since >= until or (until - since).days > MAX_DAYS:
        since = until - dt.timedelta(days=14)
    return since, until


def collect(since: dt.date, until: dt.date) -> Stats:
    tz = zone()
    days = [(since + dt.timedelta(days=n)).isoformat() for n in range((until - since).days)]
    stats = Stats(days)
    low, high = walk.utc_text(since.isoformat(), tz), walk.utc_text(until.isoformat(), tz)
    for record in walk.in_range(services().store, low, high, by="received"):
        decision = record.decision_dict()
        received = moment(decision.get("received_at"))
        if received is None:
            continue
        local = received.astimezone(tz)
        stats.add(decision, local.date().isoformat(), local.hour)
    return stats


def tables(stats: Stats) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every chart's numbers, as (header, rows): what the page lists and the CSV holds."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for dimension in DIMENSIONS:
        names = sorted(stats.totals[dimension])
        rows = [[day, *[str(stats.per_day[dimension][n][day]) for n in names]] for day in stats.days]
        out[f"{dimension}_per_day"] = (["day", *names], rows)
        out[f"{dimension}_total"] = (
            [dimension, "decisions"],
            [[n, str(c)] for n, c in stats.totals[dimension].most_common()],
        )
    out["escalated_per_day"] = (
        ["day", "decisions", "escalated"],
        [[d, str(stats.per_day_total[d]), str(stats.escalated_per_day[d])] for d in stats.days],
    )
    out["money_by_approval"] = (
        ["remedy", "approved_by", "amount"],
        [[kind, who, f"{amount:.2f}"] for (kind, who), amount in sorted(stats.money.items())],
    )
    out["busiest_hours"] = (["hour", "decisions"], [[f"{h:02d}", str(stats.hours[h])] for h in range(24)])
    return out


@bp.get("/dashboard")
@page(*access.DASHBOARD)
def dashboard_page():
    since, until = period()
    dimension = request.args.get("dimension", "category")
    if dimension not in DIMENSIONS:
        dimension = "category"
    try:
        now = now_of(request.args)
    except BadArgument as exc:
        return refused(str(exc), 400)
    stats = collect(since, until)
    clock = deadline_stats(now)
    names = sorted(stats.totals[dimension])
    labels = [d[5:] for d in stats.days]
    charts = {
        "over_time": columns(
            labels,
            {n: [stats.per_day[dimension][n][d] for d in stats.days] for n in names},
            _("Decisions per day by %(dimension)s", dimension=_label(dimension)),
            chart_id="chart-over-time",
            width=1100,
            height=300,
        ),
        "totals": {
            d: bars(
                stats.totals[d].most_common(12),
                _("Decisions by %(dimension)s", dimension=_label(d)),
                chart_id=f"chart-{d}",
            )
            for d in DIMENSIONS
        },
        "escalated": columns(
            labels,
            {
                _("not escalated"): [stats.per_day_total[d] - stats.escalated_per_day[d] for d in stats.days],
                _("escalated"): [stats.escalated_per_day[d] for d in stats.days],
            },
            _("Escalated per day"),
            chart_id="chart-escalated",
        ),
        "money": bars(
            [(f"{kind} · {who}", amount) for (kind, who), amount in sorted(stats.money.items())],
            _("Refunds and compensation by approver"),
            label=money,
            chart_id="chart-money",
        ),
        "hours": columns(
            [f"{h:02d}" for h in range(24)],
            {_("decisions"): [stats.hours[h] for h in range(24)]},
            _("Busiest hours (received)"),
            chart_id="chart-hours",
        ),
    }
    return render_template(
        "dashboard.html",
        now=now,
        now_arg=request.args.get("now") or None,
        now_field=form_time(now),
        clock=clock,
        clock_charts=deadline_charts(clock),
        since=since,
        until=until,
        dimension=dimension,
        dimensions=DIMENSIONS,
        stats=stats,
        charts=charts,
        tables=tables(stats) | deadline_tables(clock),
        label=_label,
    )


@bp.get("/dashboard.csv")
@page(*access.DASHBOARD)
def dashboard_csv():
    since, until = period()
    chart = request.args.get("chart", "")
    try:
        now = now_of(request.args)
    except BadArgument as exc:
        return Response(f"{exc}\n", status=400, content_type="text/plain; charset=utf-8")
    found = tables(collect(since, until)) | deadline_tables(deadline_stats(now))
    if chart not in found:
        return Response(
            f"unknown chart {chart!r}; expected one of {', '.join(sorted(found))}\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    header, rows = found[chart]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{chart}-{since}-{until}.csv"'},
    )


def _label(dimension: str) -> str:
    return {
        "category": _("category"),
        "channel": _("channel"),
        "team": _("team"),
        "level": _("level"),
        "remedy": _("remedy"),
    }.get(dimension, dimension)
