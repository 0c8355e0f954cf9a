"""Compliance pages: the draft editor with live diagnostics, policy tests, diff, impact, propose,
and the policy versions (approve, reject, withdraw, change notice).

Each action calls what the API calls (``lifecycle.governance.Governance`` through the API's own
instance, ``lifecycle.policy_tests``, ``rules.diff``, ``audit.replay.impact``); the person acts
as ``Actor.staff``, so four eyes compare people as they compare keys.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from flask import g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from api.context import services
from api.proposals import governance
from audit import records as walk
from audit.replay import impact
from console import access
from console.formatting import money, zone
from console.svg import bars, paired_bars
from console.web import bp, me, page, refused, staff
from engine.compiled import decider_for
from lifecycle.governance import Actor, ChangeRefused, VersionNotFound
from lifecycle.policy_tests import coverage_summary, default_tests_path, load_tests_text, run_as_dict, run_tests
from rules.diff import diff_lines, diff_policies
from rules.errors import PolicyError
from rules.lint import lint_policy
from rules.loader import load_policy_text
from rules.model import Policy

DRAFT_FILE = "draft.yaml"
DONE = ("approved", "rejected", "withdrawn")
MAX_TEXT = 1_048_576


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "zh")


def _actor() -> Actor:
    account = g.staff_session.account
    return Actor.staff(account.username, account.display_name, account.person)


def _in_force() -> Policy:
    return services().decider.policy


def _starting_texts() -> tuple[str, str, str | None]:
    """The author's saved draft, else the newest version's text and the tests file beside the policy."""
    saved = staff().draft(me())
    if saved:
        return saved[0], saved[1], saved[2]
    latest = services().policies.current().latest.policy
    tests_path = default_tests_path(services().settings.policy_path)
    tests = Path(tests_path).read_text(encoding="utf-8") if Path(tests_path).is_file() else ""
    return latest.text, tests, None


def _texts() -> tuple[str, str]:
    return request.form.get("text", "")[:MAX_TEXT], request.form.get("tests", "")[:MAX_TEXT]


# -- the editor -----------------------------------------------------------------------------


@bp.get("/policy/draft")
@page(*access.AUTHOR)
def editor():
    text, tests, saved_at = _starting_texts()
    return render_template(
        "editor.html",
        text=text,
        tests=tests,
        saved_at=saved_at,
        policy=_in_force(),
        since=(today() - dt.timedelta(days=30)).isoformat(),
        until=(today() + dt.timedelta(days=1)).isoformat(),
    )


@bp.post("/policy/draft/save")
@page(*access.AUTHOR)
def save_draft():
    text, tests = _texts()
    saved_at = staff().save_draft(me(), text, tests)
    return render_template("saved.html", saved_at=saved_at)


def diagnostics(text: str, lang: str) -> dict:
    """Check and lint findings of a draft at line:column, in the person's language."""
    try:
        policy = load_policy_text(text, DRAFT_FILE)
    except PolicyError as error:
        found = [
            {
                "line": issue.line,
                "column": issue.column,
                "severity": "error",
                "code": issue.code,
                "message": " ".join([issue.text(lang), *issue.fixes(lang)]),
                "path": issue.path,
            }
            for issue in error.issues
        ]
        summary = ngettext("%(num)d error", "%(num)d errors", len(found))
        return {"valid": False, "diagnostics": found, "summary": summary}
    try:
        report = lint_policy(policy)
    except Exception as exc:  # lint is advice: its fault must not hide that the policy is valid
        return {"valid": True, "diagnostics": [], "summary": _("Valid; lint could not run: %(e)s", e=str(exc))}
    found = [
        {
            "line": max(finding.line, 1),
            "column": 1,
            "severity": "warning",
            "code": finding.code,
            "message": finding.message,
            "path": "",
        }
        for finding in report.unaccepted
    ]
    summary = (
        ngettext("Valid; %(num)d lint finding", "Valid; %(num)d lint findings", len(found))
        if found
        else _("Valid; no lint findings (version %(version)s).", version=policy.version)
    )
    return {"valid": True, "diagnostics": found, "summary": summary}


@bp.post("/policy/check")
@page(*access.AUTHOR)
def check():
    body = request.get_json(silent=True) or {}
    given = body.get("text") if isinstance(body, dict) else None
    text = given if isinstance(given, str) else request.form.get("text", "")
    return jsonify(diagnostics(text[:MAX_TEXT], _locale()))


def _load_or_issues(text: str):
    try:
        return load_policy_text(text, DRAFT_FILE), None
    except PolicyError as error:
        return None, [f"{i.line}:{i.column} {i.text(_locale())} [{i.code}]" for i in error.issues]


@bp.post("/policy/tests")
@page(*access.AUTHOR)
def tests():
    text, tests_text = _texts()
    policy, issues = _load_or_issues(text)
    if policy is None:
        return render_template("issues.html", issues=issues, what=_("The draft"))
    try:
        run = run_tests(policy, load_tests_text(tests_text, policy, "tests.yaml"), "tests.yaml")
    except PolicyError as error:
        return render_template(
            "issues.html",
            issues=[f"{i.line}:{i.column} {i.text(_locale())} [{i.code}]" for i in error.issues],
            what=_("The tests"),
        )
    result = run_as_dict(run)
    return render_template(
        "tests_result.html",
        result=result,
        coverage=coverage_summary(run),
        min_coverage=services().settings.min_coverage,
    )


@bp.post("/policy/diff")
@page(*access.AUTHOR)
def diff():
    text, _tests = _texts()
    policy, issues = _load_or_issues(text)
    if policy is None:
        return render_template("issues.html", issues=issues, what=_("The draft"))
    old = _in_force()
    changes = diff_policies(old, policy)
    return render_template(
        "diff_result.html", lines=diff_lines(old, policy, changes), changes=changes, old=old, new=policy
    )


@bp.post("/policy/impact")
@page(*access.IMPACT)
def impact_preview():
    text, _tests = _texts()
    policy, issues = _load_or_issues(text)
    if policy is None:
        return render_template("issues.html", issues=issues, what=_("The draft"))
    by = request.form.get("by", walk.DEFAULT_BY)
    try:
        since = walk.utc_text(request.form.get("since", ""), zone())
        until_text = request.form.get("until", "")
        until = walk.utc_text(until_text, zone()) if until_text else None
    except walk.BadTime as exc:
        return render_template("issues.html", issues=[str(exc)], what=_("The period"))
    if by not in walk.BY:
        by = walk.DEFAULT_BY
    try:
        candidate = decider_for(policy)
    except PolicyError as error:
        return render_template("issues.html", issues=[str(i) for i in error.issues], what=_("The draft"))
    report = impact(walk.in_range(services().store, since, until, by=by), candidate, 3).as_dict()
    staff().record(me(), "impact_preview", {"policy_digest": policy.digest, "decisions": report["decisions"]})
    names = (_("before"), _("after"))
    kinds = bars(
        [(kind, count) for kind, count in report["by_kind"].items()],
        _("Decisions that would change, by kind"),
        chart_id="impact-kinds",
    )
    money_rows = [
        (_("refunds"), Decimal(report["totals"]["refund"]["before"]), Decimal(report["totals"]["refund"]["after"])),
        (
            _("compensation"),
            Decimal(report["totals"]["compensation"]["before"]),
            Decimal(report["totals"]["compensation"]["after"]),
        ),
    ]
    approval_rows = [
        (key, Decimal(v["before"]), Decimal(v["after"])) for key, v in report["money"]["by_approval"].items()
    ]
    return render_template(
        "impact_result.html",
        report=report,
        kinds_chart=kinds,
        money_chart=paired_bars(money_rows, _("Money before and after"), names, label=money, chart_id="impact-money"),
        approval_chart=paired_bars(
            approval_rows, _("Money by remedy and approver"), names, label=money, chart_id="impact-approval"
        ),
        approval_rows=approval_rows,
        policy=policy,
    )


@bp.post("/policy/propose")
@page(*access.AUTHOR)
def propose():
    text, tests_text = _texts()
    reason = request.form.get("reason", "").strip()
    short = request.form.get("short_notice_reason", "").strip() or None
    if not reason:
        return render_template("issues.html", issues=[_("Give the reason for this change.")], what=_("The proposal"))
    try:
        out = governance().propose(
            text, tests_text, _actor(), reason[:4000], short_notice_reason=short, book=services().policies.current()
        )
    except PolicyError as error:
        return render_template(
            "issues.html",
            issues=[f"{i.line}:{i.column} {i.text(_locale())} [{i.code}]" for i in error.issues],
            what=_("The draft"),
        )
    except ChangeRefused as error:
        return render_template("refusal.html", error=error)
    services().policies.refresh(force=True)
    staff().record(me(), "proposed", {"digest": out["digest"], "version": out["version"]})
    target = url_for("console.version_page", digest=out["digest"])
    return render_template("proposed.html", out=out, target=target), 200, {"HX-Redirect": target}


# -- versions -------------------------------------------------------------------------------


def state_label(state: str) -> str:
    """A version's state (lifecycle/governance.py) in the person's language."""
    return {
        "proposed": _("proposed"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "scheduled": _("scheduled"),
        "in force": _("in force"),
        "superseded": _("superseded"),
        "withdrawn": _("withdrawn"),
    }.get(state, state)


@bp.app_context_processor
def _words():
    return {"state_label": state_label}


@bp.get("/versions")
@page(*access.VERSIONS)
def versions():
    return render_template("versions.html", versions=list(reversed(governance().versions())))


@bp.get("/versions/<digest>")
@page(*access.VERSIONS)
def version_page(digest: str):
    try:
        view = governance().view(digest)
    except VersionNotFound as error:
        return refused(str(error), 404)
    done = request.args.get("done") if request.args.get("done") in DONE else None
    return render_template("version.html", v=view, packet=view.get("review_packet") or {}, error=None, done=done)


def _transition(digest: str, verb: str, run):
    try:
        run()
    except VersionNotFound as error:
        return refused(str(error), 404)
    except ChangeRefused as error:
        view = governance().view(digest)
        page_ = render_template("version.html", v=view, packet=view.get("review_packet") or {}, error=error)
        return page_, 409
    services().policies.refresh(force=True)
    staff().record(me(), verb, {"digest": digest})
    return redirect(url_for("console.version_page", digest=digest, done=verb))  # a reload does not post again


@bp.post("/versions/<digest>/approve")
@page(*access.REVIEW)
def approve(digest: str):
    comment = request.form.get("comment", "").strip()
    if not comment:
        return refused(_("Give a comment with the approval."), 400)
    return _transition(digest, "approved", lambda: governance().approve(digest, _actor(), comment[:4000]))


@bp.post("/versions/<digest>/reject")
@page(*access.REVIEW)
def reject(digest: str):
    comment = request.form.get("comment", "").strip()
    if not comment:
        return refused(_("Give a comment with the rejection."), 400)
    return _transition(digest, "rejected", lambda: governance().reject(digest, _actor(), comment[:4000]))


@bp.post("/versions/<digest>/withdraw")
@page(*access.WITHDRAW)
def withdraw(digest: str):
    reason = request.form.get("reason", "").strip()
    if not reason:
        return refused(_("Give the reason for withdrawing it."), 400)
    return _transition(digest, "withdrawn", lambda: governance().withdraw(digest, _actor(), reason[:4000]))


@bp.get("/versions/<digest>/notice")
@page(*access.VERSIONS)
def notice(digest: str):
    try:
        found = governance().notice(digest)
    except VersionNotFound as error:
        return refused(str(error), 404)
    return render_template("notice.html", notice=found, digest=digest)


def today() -> dt.date:
    return dt.datetime.now(zone()).date()
