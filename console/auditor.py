"""Auditor pages: search decisions, open one, replay it, verify the log, export (role auditor).

The same functions as the API's audit endpoints (``audit.records``, ``audit.runs``,
``audit.verify``, ``audit.export``), called directly. Request bodies are shown masked unless the
person holds ``personal_data``; exports likewise, and only when asked for.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Response, current_app, g, render_template, request, stream_with_context
from flask_babel import gettext as _

from api.context import services
from api.decisions import report_mismatch
from api.proposals import governance
from audit import records as walk
from audit.export import FORMATS, MEDIA_TYPES, export_with_closing
from audit.masking import Masker
from audit.register_verify import verify_register
from audit.replay import PolicyNotStored, StoredPolicies
from audit.runs import replay_one
from audit.verify import verify_log
from audit.witness_heads import WitnessHead, read_witnesses, witness_heads
from console import access
from console.deadlines import complaint_events, reevaluations, status_label
from console.formatting import zone
from console.web import bp, me, page, refused, staff
from rules import vocabulary
from store.chain import integrity
from store.db import StoredDecision
from store.times import shown

SEARCH_LIMIT = 100  # the newest matches shown; the count covers them all
FILTERS = ("category", "channel", "team", "level", "remedy", "flag", "policy_version")


def masker() -> Masker:
    """The API's masker when it is registered (the same key), else one from the environment."""
    audit = current_app.extensions.get("complaints_audit")
    return audit["masker"] if audit else Masker.from_env()


def stored_policies() -> StoredPolicies:
    found = current_app.extensions.get("complaints_console_policies")
    if found is None or found.store is not services().store:
        found = current_app.extensions["complaints_console_policies"] = StoredPolicies(services().store)
    return found


# -- search -------------------------------------------------------------------------------


@dataclass
class Query:
    complaint_id: str = ""
    since: str = ""
    until: str = ""
    by: str = walk.DEFAULT_BY
    category: str = ""
    channel: str = ""
    team: str = ""
    level: str = ""
    remedy: str = ""
    flag: str = ""
    policy_version: str = ""

    @classmethod
    def from_args(cls, args) -> Query:
        query = cls(**{name: args.get(name, "").strip() for name in cls.__dataclass_fields__ if name in args})
        if query.by not in walk.BY:
            query.by = walk.DEFAULT_BY
        return query

    def utc(self, name: str) -> str | None:
        value = getattr(self, name)
        return walk.utc_text(value, zone()) if value else None

    def records(self) -> Iterator[StoredDecision]:
        store = services().store
        if self.complaint_id:
            return walk.of_complaint(store, self.complaint_id)
        return walk.in_range(store, self.utc("since"), self.utc("until"), by=self.by)

    def matches(self, decision: dict) -> bool:
        route, remedy = decision.get("route") or {}, decision.get("remedy") or {}
        components = {c.get("type") for c in remedy.get("components") or []}
        wanted = {
            "category": decision.get("category"),
            "channel": decision.get("channel"),
            "team": route.get("team"),
            "level": route.get("level"),
            "policy_version": (decision.get("policy") or {}).get("version"),
        }
        if any(getattr(self, name) and getattr(self, name) != value for name, value in wanted.items()):
            return False
        if self.remedy and self.remedy not in components and self.remedy != remedy.get("rule"):
            return False
        return not (self.flag and self.flag not in (decision.get("flags") or []))


def row_of(record: StoredDecision) -> dict:
    decision = record.decision_dict()
    route, remedy = decision.get("route") or {}, decision.get("remedy") or {}
    return {
        "record": record,
        "decision": decision,
        "team": route.get("team_label") or route.get("team") or route.get("redirect"),
        "level": route.get("level_label") or route.get("level"),
        "remedies": [c.get("label") or c.get("type") for c in remedy.get("components") or []],
        "totals": remedy.get("totals") or {},
    }


@bp.get("/decisions")
@page(*access.AUDIT)
def search():
    searched = bool(request.args)
    query = Query.from_args(request.args) if searched else Query(since=_days_ago(30))
    error, rows, total = None, [], 0
    try:
        newest: collections.deque = collections.deque(maxlen=SEARCH_LIMIT)
        for record in query.records():
            if query.matches(record.decision_dict()):
                total += 1
                newest.append(record)
        rows = [row_of(r) for r in reversed(newest)]
    except walk.BadTime as exc:
        error = _("Period: %(error)s", error=str(exc))
    policy = services().decider.policy
    template = "decision_rows.html" if request.headers.get("HX-Request") else "search.html"
    return render_template(
        template,
        query=query,
        rows=rows,
        total=total,
        limit=SEARCH_LIMIT,
        error=error,
        policy=policy,
        categories=vocabulary.CATEGORIES,
        channels=vocabulary.CHANNELS,
        flags=vocabulary.INPUT_FLAGS,
        remedies=vocabulary.REMEDY_TYPES,
    )


def _days_ago(days: int) -> str:
    return (dt.datetime.now(zone()) - dt.timedelta(days=days)).date().isoformat()


# -- one decision ---------------------------------------------------------------------------


@bp.get("/decisions/<decision_id>")
@page(*access.AUDIT)
def decision_page(decision_id: str):
    store = services().store
    record = store.get(decision_id)
    if record is None:
        return refused(_("No decision %(id)s.", id=decision_id), 404)
    unmasked = access.PERSONAL_DATA in g.roles
    reader = masker().unmasked() if unmasked else masker()
    decision = reader.mask_dict(record.decision_dict())  # the one masking policy (audit.masking)
    body = reader.mask_body(record.request_body)
    try:
        shown_body = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    except json.JSONDecodeError:
        shown_body = body
    previous = store.get(record.previous_decision_id) if record.previous_decision_id else None
    row = record.as_row()
    link_ok = integrity(row) == "ok"
    on_complaint = list(walk.of_complaint(store, record.complaint_id))
    events = complaint_events(record.complaint_id, masker().unmasked() if unmasked else masker())
    if unmasked:
        staff().record(me(), "decision_viewed_unmasked", {"decision_id": record.decision_id})
    if not link_ok:
        report_mismatch(record, "console")
    candidates = [v for v in governance().versions() if v["state"] in ("proposed", "approved", "scheduled")]
    return render_template(
        "decision.html",
        candidates=candidates,
        record=record,
        decision=decision,
        body=shown_body,
        unmasked=unmasked,
        timeline=_timeline(decision),
        link_ok=link_ok,
        previous=previous,
        on_complaint=on_complaint,
        events=events,
        chain=reevaluations(on_complaint, events),
        status_label=status_label,
        stored_at=shown(record.created_at),
    )


def _timeline(decision: dict) -> list[dict]:
    """Received, then each deadline by its due time, with the rule and basis that set it."""
    events = [{"at": decision.get("received_at"), "kind": "received", "deadline": None}]
    for deadline in decision.get("deadlines") or []:
        events.append({"at": deadline.get("due_at"), "kind": deadline.get("kind"), "deadline": deadline})
    return sorted(events, key=lambda e: (e["at"] is None, str(e["at"] or "")))


@bp.post("/decisions/<decision_id>/replay")
@page(*access.AUDIT)
def replay(decision_id: str):
    record = services().store.get(decision_id)
    if record is None:
        return refused(_("No decision %(id)s.", id=decision_id), 404)
    choice = request.form.get("policy", "stored")
    candidate = None
    if choice == "current":
        candidate = services().decider
    elif re.fullmatch(r"[0-9a-f]{64}", choice):  # a version in the register, e.g. a proposal under review
        try:
            candidate = stored_policies().decider(choice)
        except PolicyNotStored:
            return refused(_("No stored policy %(digest)s.", digest=choice), 404)
    result = replay_one(record, stored_policies(), candidate)
    staff().record(
        me(),
        "what_if" if candidate else "replay",
        {"decision_id": record.decision_id, "result": result["result"]},
    )
    return render_template("replay_result.html", result=result, candidate=candidate)


@bp.get("/policies/<digest>/text")
@page(*access.POLICY_TEXT)
def policy_text(digest: str):
    text = services().store.policy_text(digest)
    if text is None:
        return refused(_("No stored policy %(digest)s.", digest=digest), 404)
    if request.args.get("raw"):
        return Response(text, content_type="text/plain; charset=utf-8", headers={"X-Policy-Digest": digest})
    return render_template("policy_text.html", digest=digest, text=text)


# -- verify ---------------------------------------------------------------------------------


@bp.get("/verify")
@page(*access.AUDIT)
def verify_page():
    return render_template("verify.html", report=None, witnesses=_witness_heads())


def _witness_heads() -> list[WitnessHead]:
    return witness_heads(services().store, services().settings.witness_paths)


FAILING = ("fork", "rollback", "missing", "unreadable")  # a witness in these states fails the verification


@bp.post("/verify")
@page(*access.AUDIT)
def verify():
    store = services().store
    readable, _ = read_witnesses(services().settings.witness_paths)
    report = verify_log(store, witnesses=readable).as_dict()
    register = verify_register(store).as_dict()
    trail_count, trail_problems = staff().verify_events()
    witnesses = _witness_heads()
    ok = report["ok"] and register["ok"] and not trail_problems and not any(w.state in FAILING for w in witnesses)
    staff().record(me(), "verify", {"ok": ok, "decisions": report["decisions"]})
    template = "verify_result.html" if request.headers.get("HX-Request") else "verify.html"
    return render_template(
        template,
        report=report,
        register=register,
        trail={"events": trail_count, "problems": trail_problems},
        witnesses=witnesses,
        ok=ok,
    )


# -- the console's audit trail ------------------------------------------------------------------

TRAIL_LIMIT = 200


@bp.get("/trail")
@page(*access.AUDIT)
def trail():
    """Who signed in (or failed to), exported, replayed, verified, proposed, approved: newest first."""
    username = request.args.get("username", "").strip().lower()
    events = staff().events(limit=TRAIL_LIMIT, username=username or None)
    rows = [{"event": e, "detail": json.loads(e.detail)} for e in events]
    return render_template("trail.html", rows=rows, username=username, limit=TRAIL_LIMIT)


# -- export ---------------------------------------------------------------------------------


@bp.get("/export")
@page(*access.AUDIT)
def export_page():
    today = dt.datetime.now(zone()).date()
    return render_template(
        "export.html",
        since=(today - dt.timedelta(days=30)).isoformat(),
        until=(today + dt.timedelta(days=1)).isoformat(),
        formats=FORMATS,
        error=None,
    )


@bp.post("/export")
@page(*access.AUDIT)
def export():
    form = request.form
    fmt = form.get("format", "jsonl")
    by = form.get("by", walk.DEFAULT_BY)
    include = form.get("personal_data") == "include"
    if include and access.PERSONAL_DATA not in g.roles:
        return refused(_("Unmasked personal data needs the role personal_data as well as auditor."), 403)
    if fmt not in FORMATS or by not in walk.BY:
        return refused(_("Unknown format or period kind."), 400)
    try:
        low, high = walk.utc_text(form.get("since", ""), zone()), walk.utc_text(form.get("until", ""), zone())
    except walk.BadTime as exc:
        today = dt.datetime.now(zone()).date()
        return render_template(
            "export.html",
            since=form.get("since", ""),
            until=form.get("until", today.isoformat()),
            formats=FORMATS,
            error=str(exc),
        ), 400
    chosen = masker().unmasked() if include else masker()
    store = services().store
    staff().record(
        me(),
        "export",
        {"since": shown(low), "until": shown(high), "by": by, "format": fmt, "personal_data": chosen.mode},
    )
    checkpointer = services().checkpointer
    lines = export_with_closing(
        store,
        walk.in_range(store, low, high, by=by),
        fmt,
        chosen,
        signer=checkpointer.signer if checkpointer else None,
        range_shown={"since": shown(low), "until": shown(high), "by": by},
        on_mismatch=lambda r: report_mismatch(r, "export"),
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        stream_with_context(lines),
        content_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="decisions-{stamp}.{fmt}"',
            "X-Personal-Data": chosen.mode,
        },
    )
