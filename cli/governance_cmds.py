"""Governed policy change from the command line: against a server, or as the operator on the store.

complaints propose POLICY --reason TEXT [--tests FILE] [--short-notice-reason TEXT]
complaints approve DIGEST --comment TEXT --server URL
complaints reject DIGEST --comment TEXT --server URL
complaints withdraw DIGEST --reason TEXT
complaints review DIGEST          (state, history, review packet)
complaints notice DIGEST          (the public change notice, 公示)
complaints versions

With ``--server URL`` each command calls the HTTP API with the key in ``COMPLAINTS_API_KEY``, so the
server knows who acts from the key. Without it the command acts directly on the store as the
operator's tool: it records itself as ``operator:<user>@<host>`` and cannot approve or reject.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NoReturn

import click

from audit.recent_impact import recent_impact
from cli.admin import _database_option, _store
from cli.failures import fail_policy
from lifecycle.governance import Actor, ChangeRefused, Governance, VersionNotFound
from lifecycle.policy_tests import default_tests_path
from rules.errors import PolicyError

API_KEY_ENV = "COMPLAINTS_API_KEY"


def _server_option(func):
    return click.option(
        "--server",
        "server",
        default=None,
        metavar="URL",
        help=f"Act through this service (e.g. https://complaints.internal), with the key in ${API_KEY_ENV}.",
    )(func)


def _json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")(func)


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def _operator() -> Actor:
    return Actor.operator(f"{getpass.getuser()}@{socket.gethostname()}")


def _call(server: str, method: str, path: str, body: dict | None = None) -> dict:
    """One request to the service; a problem document is printed (naming its rule) and exits 1."""
    key = os.environ.get(API_KEY_ENV, "")
    if not key:
        _fail(f"--server needs an API key in {API_KEY_ENV}: identities come from keys")
    data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
    request = urllib.request.Request(
        server.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:  # noqa: S310 - the operator's own URL
            return json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        text = error.read().decode("utf-8", errors="replace")
        try:
            problem = json.loads(text)
        except ValueError:
            _fail(f"{server} answered {error.code}: {text[:500]}")
        click.echo(f"{problem.get('code', error.code)}: {problem.get('detail', '')}", err=True)
        for entry in problem.get("errors") or []:
            for message in entry.get("messages", []):
                click.echo(f"  {entry.get('field')}: {message}", err=True)
        sys.exit(1)
    except (urllib.error.URLError, OSError) as error:
        _fail(f"cannot reach {server}: {getattr(error, 'reason', error)}")


def _governance(database_url: str, min_coverage: int = 100, impact_days: int = 30) -> Governance:
    store = _store(database_url)
    return Governance(store, min_coverage=min_coverage, impact=recent_impact(store, impact_days))


def _local(run):
    """Run a transition on the store; a refusal exits 1 naming its rule."""
    try:
        return run()
    except ChangeRefused as error:
        click.echo(f"refused by rule {error.rule}: {error}", err=True)
        for detail in error.details[:20]:
            click.echo("  " + "; ".join(f"{k}: {v}" for k, v in detail.items() if v not in (None, [], {})), err=True)
        sys.exit(1)
    except VersionNotFound as error:
        _fail(str(error))


def _digest_path(digest: str, suffix: str = "") -> str:
    return f"/v1/policies/{urllib.parse.quote(digest, safe='')}{suffix}"


def _print_view(view: dict, as_json: bool, packet: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    click.echo(f"version {view['version']}  {view['state']}  effective from {view['effective_from']}")
    click.echo(f"digest  {view['digest']}")
    if view.get("proposed_by"):
        click.echo(f"proposed by {view['proposed_by']} at {view['proposed_at']}: {view.get('reason')}")
    if view.get("short_notice"):
        click.echo(f"shorter notice acknowledged: {view['short_notice']['reason']}")
    notice = view.get("notice")
    if notice:
        click.echo(
            f"scheduled at {view['scheduled_at']}: {notice['days_given']} days' notice "
            f"({notice['days_required']} required)"
        )
    for entry in view.get("history", []):
        click.echo(
            f"  #{entry['seq']} {entry['at']} {entry['event']:<9} by {entry['by_name']} ({entry['by']}): "
            f"{entry['reason']}"
        )
    review = view.get("review_packet") if packet else None
    if not review:
        return
    tests, coverage = review["tests"], review["tests"]["coverage"]
    click.echo("review packet:")
    click.echo(
        f"  check: valid, {review['check']['rules']} rules; lint: {review['lint']['accepted']} accepted finding(s)"
    )
    click.echo(
        f"  policy tests: {tests['passed']} passed, {tests['failed']} failed; coverage {coverage['percent']}% "
        f"({coverage['rules']['exercised']}/{coverage['rules']['total']} rules, "
        f"{coverage['alternatives']['exercised']}/{coverage['alternatives']['total']} when_any alternatives; "
        f"at least {review['min_coverage']}% required)"
    )
    diff = review.get("diff")
    if diff:
        click.echo(f"  diff against {diff['against']['version']} ({diff['against']['digest'][:12]}):")
        for line in diff["text"][2:]:
            click.echo(f"    {line}")
    else:
        click.echo("  diff: no earlier version to compare with")
    impact = review.get("impact")
    if impact:
        click.echo(f"  impact over the last {impact['days']} days of recorded decisions:")
        for line in impact["text"]:
            click.echo(f"    {line}")


@click.command("propose")
@click.argument("policy_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--reason", required=True, help="Why this change (recorded with the proposal).")
@click.option(
    "--tests",
    "tests_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The policy's tests; default beside it (policies.yaml -> policies.tests.yaml). They must pass.",
)
@click.option(
    "--short-notice-reason",
    default=None,
    help="Acknowledge a notice shorter than 7 days (major: 15) with this written reason.",
)
@click.option(
    "--min-coverage",
    type=click.IntRange(0, 100),
    default=100,
    envvar="COMPLAINTS_MIN_COVERAGE",
    show_default=True,
    help="On the store only (a server uses its own): % of rules and when_any alternatives the tests must exercise.",
)
@click.option(
    "--impact-days",
    type=click.IntRange(0, 3660),
    default=30,
    envvar="COMPLAINTS_IMPACT_DAYS",
    show_default=True,
    help="On the store only: the review packet replays the decisions of the last N days.",
)
@_server_option
@_json_option
@_database_option
def propose_cmd(
    policy_path: str,
    reason: str,
    tests_path: str | None,
    short_notice_reason: str | None,
    min_coverage: int,
    impact_days: int,
    server: str | None,
    as_json: bool,
    database_url: str,
) -> None:
    """Propose POLICY for approval, with its tests and review packet; nothing decides under it until approved."""
    text = Path(policy_path).read_text(encoding="utf-8")
    tests_file = Path(tests_path or default_tests_path(policy_path))
    if not tests_file.exists():
        _fail(f"{tests_file}: no policy tests; a proposal needs them (--tests FILE)")
    tests = tests_file.read_text(encoding="utf-8")
    if server:
        body = {"text": text, "tests": tests, "reason": reason}
        if short_notice_reason:
            body["short_notice_reason"] = short_notice_reason
        view = _call(server, "POST", "/v1/policies", body)
    else:
        gov = _governance(database_url, min_coverage, impact_days)
        try:
            view = _local(
                lambda: gov.propose(
                    text, tests, _operator(), reason, short_notice_reason=short_notice_reason, file=policy_path
                )
            )
        except PolicyError as error:
            fail_policy(error)
    if not as_json:
        click.echo(f"proposed: version {view['version']}, digest {view['digest']}; it needs another person's approval")
    _print_view(view, as_json, packet=True)


def _review_cmd(verb: str):
    @click.command(verb)
    @click.argument("digest")
    @click.option("--comment", required=True, help=f"Why you {verb} it (recorded).")
    @_server_option
    @_json_option
    @_database_option
    def command(digest: str, comment: str, server: str | None, as_json: bool, database_url: str) -> None:
        if server:
            view = _call(server, "POST", _digest_path(digest, f"/{verb}"), {"comment": comment})
        else:  # the operator's tool: refused by the rule, and says so
            gov = _governance(database_url)
            view = _local(lambda: getattr(gov, verb)(digest, _operator(), comment))
        _print_view(view, as_json)

    command.__doc__ = (
        f"{verb.capitalize()} the proposal DIGEST as a `policy_approver` who did not propose it (needs --server)."
        + (" Approval schedules it." if verb == "approve" else "")
    )
    return command


approve_cmd = _review_cmd("approve")
reject_cmd = _review_cmd("reject")


@click.command("withdraw")
@click.argument("digest")
@click.option("--reason", required=True, help="Why it is withdrawn (recorded).")
@_server_option
@_json_option
@_database_option
def withdraw_cmd(digest: str, reason: str, server: str | None, as_json: bool, database_url: str) -> None:
    """Withdraw the version DIGEST before it takes effect."""
    if server:
        view = _call(server, "POST", _digest_path(digest, "/withdraw"), {"reason": reason})
    else:
        gov = _governance(database_url)
        view = _local(lambda: gov.withdraw(digest, _operator(), reason))
    _print_view(view, as_json)


@click.command("review")
@click.argument("digest")
@_server_option
@_json_option
@_database_option
def review_cmd(digest: str, server: str | None, as_json: bool, database_url: str) -> None:
    """The state, history and review packet of the version DIGEST (or a unique prefix of 8+ characters)."""
    if server:
        view = _call(server, "GET", _digest_path(digest))
    else:
        view = _local(lambda: _governance(database_url).view(digest))
    _print_view(view, as_json, packet=True)


@click.command("notice")
@click.argument("digest")
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True)
@_server_option
@_json_option
@_database_option
def notice_cmd(digest: str, lang: str, server: str | None, as_json: bool, database_url: str) -> None:
    """The public change notice (公示) of the version DIGEST, in Chinese and English."""
    if server:
        notice = _call(server, "GET", _digest_path(digest, "/notice"))
    else:
        notice = _local(lambda: _governance(database_url).notice(digest))
    if as_json:
        click.echo(json.dumps(notice, ensure_ascii=False, indent=2))
        return
    parts = [notice[lang]] if lang != "both" else [notice["zh"], notice["en"]]
    click.echo("\n\n".join(parts))


@click.command("versions")
@_server_option
@_json_option
@_database_option
def versions_cmd(server: str | None, as_json: bool, database_url: str) -> None:
    """Every version in the policy register with its state, by effective_from."""
    if server:
        listed = _call(server, "GET", "/v1/policies")
        register, mode = listed["register"], listed["mode"]["mode"]
    else:
        register, mode = _local(lambda: _governance(database_url).versions()), None
    if as_json:
        click.echo(json.dumps(register, ensure_ascii=False, indent=2))
        return
    if mode:
        click.echo(f"{server}: {mode} mode")
    if not register:
        click.echo("no versions in the policy register (an instance in development decides from its file)")
    for row in register:
        click.echo(
            f"{row['version']:<10} {row['state']:<10} effective {row['effective_from']}  {row['digest'][:16]}  "
            f"proposed by {row['proposed_by']}"
        )


def register(group: click.Group) -> None:
    for command in (propose_cmd, approve_cmd, reject_cmd, withdraw_cmd, review_cmd, notice_cmd, versions_cmd):
        group.add_command(command)
