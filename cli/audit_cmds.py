"""Audit commands: replay, export, export-policy, purge (the store is DATABASE_URL / --database-url).

Times (--since/--until) are ISO dates or date-times; without an offset they
are Asia/Shanghai (--tz to change). Ranges are by when the decision was
recorded (created_at), or with --by received by the complaint's received_at:
since inclusive, until exclusive (cli/range_options.py).
"""

from __future__ import annotations

import json
import sys

import click

from audit import records as walk
from audit.export import FORMATS, export_with_closing
from audit.masking import Masker, MaskingKeyError
from audit.parallel import Walk, replay_results
from audit.replay import PolicyNotStored, StoredPolicies
from audit.retention import (
    LEGAL_MINIMUM_YEARS,
    PurgeRefused,
    check_period,
    plan,
    purge,
    strictest_retention,
)
from audit.runs import Tally, candidate_ref, counted, replay_stream
from cli.admin import _database_option, _store
from cli.failures import policy_problem_lines
from cli.keyfiles import load_signer, signing_key_option
from cli.progress import Progress, tracked
from cli.range_options import bounds, by_option, range_options, workers_option
from engine.compiled import decider_for_file
from rules.errors import PolicyError
from rules.loader import load_policy_file
from store import StoreUnavailable
from store.prefixes import PrefixError
from store.times import shown


def _masker(unmasked: bool) -> Masker:
    try:
        masker = Masker.from_env()
    except MaskingKeyError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    return masker.unmasked() if unmasked else masker


def _fail(message: str, code: int = 1):
    click.echo(message, err=True)
    sys.exit(code)


@click.command()
@click.argument("decision_id", required=False)
@click.option("--complaint", "complaint_id", help="Replay every decision on this complaint.")
@range_options
@by_option
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(dir_okay=False, exists=True),
    help="What-if: decide on this policy file instead of each decision's own policy.",
)
@click.option("--policy-digest", help="What-if: decide on this stored policy (by digest).")
@click.option(
    "--progress-every",
    default=500,
    show_default=True,
    help="When stderr is not a terminal: a progress line every N decisions (and every 5 s); a terminal gets a bar.",
)
@workers_option
@_database_option
def replay(
    decision_id, complaint_id, since, until, tz, by, policy_path, policy_digest, progress_every, workers, database_url
):
    """Replay stored decisions and report `identical` or each difference (JSON Lines on stdout).

    One DECISION_ID, --complaint ID, or a range --since/--until (by recorded time, or --by received). Each decision is
    decided again on the exact policy text it was made with; with --policy FILE or --policy-digest D,
    on that policy instead (what-if: route, level, remedy, amounts, deadlines that would change).
    Exit 0 when every replay is identical (what-if: when every decision could be decided), else 1.
    """
    if sum(bool(x) for x in (decision_id, complaint_id, since or until)) != 1:
        raise click.UsageError("give exactly one of DECISION_ID, --complaint, or --since/--until")
    if policy_path and policy_digest:
        raise click.UsageError("give --policy or --policy-digest, not both")
    store = _store(database_url)
    policies = StoredPolicies(store)
    candidate = None
    try:
        if policy_path:
            candidate = decider_for_file(policy_path)
        elif policy_digest:
            candidate = policies.decider(_full_digest(store, policy_digest))
    except PolicyError as error:
        _fail("\n".join(policy_problem_lines(error)))
    except PolicyNotStored as exc:
        _fail(str(exc))
    total: int | None
    if decision_id:
        try:
            record = store.get(store.resolve_decision_id(decision_id))
        except PrefixError as exc:
            _fail(str(exc))
        if record is None:
            _fail(f"no decision {decision_id}")
        records, total = iter([record]), 1
    elif complaint_id:
        records, total = walk.of_complaint(store, complaint_id), walk.count_of_complaint(store, complaint_id)
    else:
        low, high = bounds(since, until, tz)
        records, total = walk.in_range(store, low, high, by=by), walk.count_in_range(store, low, high, by=by)
    tally = Tally("what-if" if candidate else "replay", candidate_ref(candidate) if candidate else None)
    if workers > 1 and not (decision_id or complaint_id):
        job = Walk(
            database_url,
            since=low,
            until=high,
            by=by,
            candidate_file=policy_path,
            candidate_digest=policy_digest,
        )
        results = counted(replay_results(job, workers), tally)
    else:
        results = replay_stream(records, policies, candidate, tally)
    try:
        with Progress(
            tally.mode,
            total,
            every_items=progress_every,
            status=lambda: ", ".join(f"{n} {r}" for r, n in sorted(tally.results.items())),
        ) as progress:
            for result in progress.track(results):
                click.echo(json.dumps(result, ensure_ascii=False))
    except StoreUnavailable as exc:
        _fail(f"decision store unavailable after {tally.total} decisions: {exc}")
    click.echo(tally.as_text(), err=True)
    sys.exit(0 if tally.ok else 1)


@click.command("export")
@range_options
@by_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)
@click.option(
    "--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default stdout)."
)
@click.option(
    "--unmasked",
    is_flag=True,
    help="Personal fields as received (customer_id, order_id, description). Default: masked "
    "(keyed pseudonyms with COMPLAINTS_MASKING_KEY, else redacted).",
)
@signing_key_option
@_database_option
def export(since, until, tz, by, fmt, output, unmasked, signing_key_path, database_url):
    """Export the decisions recorded (or, --by received, received) in [--since, --until) as JSON Lines or CSV,
    each with its policy digest."""
    low, high = bounds(since, until, tz)
    masker = _masker(unmasked)
    signer = load_signer(signing_key_path, required=False)
    store = _store(database_url)
    scope = {"since": shown(low) if low else None, "until": shown(high) if high else None, "by": by}
    count = -1  # the closing record is the last line (and a CSV's header the first)
    mismatched: list[int] = []
    lines = export_with_closing(
        store,
        tracked("export", walk.count_in_range(store, low, high, by=by))(walk.in_range(store, low, high, by=by)),
        fmt,
        masker,
        signer=signer,
        range_shown=scope,
        on_mismatch=lambda r: mismatched.append(r.seq),
    )
    try:
        for line in lines:
            output.write(line)
            count += 1
    except StoreUnavailable as exc:
        _fail(f"decision store unavailable: {exc} (the export has no closing record: it is incomplete)")
    if fmt == "csv":
        count -= 1
    closed = f"closing record signed by key {signer.key_id}" if signer else "closing record not signed (no signing key)"
    click.echo(f"{count} decisions exported ({fmt}, personal data: {masker.mode}); {closed}", err=True)
    if mismatched:
        listed = ", ".join(str(seq) for seq in mismatched[:10]) + (" …" if len(mismatched) > 10 else "")
        _fail(
            f"{len(mismatched)} exported rows (seq {listed}) no longer hash to their chain_hash (integrity: mismatch): "
            "they were changed after they were recorded; run `complaints store verify`"
        )


def _full_digest(store, given: str) -> str:
    """The stored digest ``given`` is or begins (at least 8 characters), or exit 1 naming the candidates."""
    try:
        return store.resolve_policy_digest(given)
    except PrefixError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


@click.command("export-policy")
@click.argument("digest")
@click.option(
    "--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default stdout)."
)
@_database_option
def export_policy(digest, output, database_url):
    """Print the exact text of the stored policy DIGEST (as decisions cite it)."""
    store = _store(database_url)
    text = store.policy_text(_full_digest(store, digest))
    if text is None:
        _fail(f"no stored policy {digest}")
    output.write(text)


@click.command("purge")
@click.option(
    "--older-than-years",
    "years",
    type=int,
    required=True,
    help=f"Remove decisions recorded more than N years ago (N >= {LEGAL_MINIMUM_YEARS}, ECL Art. 31, "
    "and >= every policy's records.retention_years).",
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(dir_okay=False),
    envvar="COMPLAINTS_POLICY",
    help="The policy in force (its records.retention_years also binds).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@signing_key_option
@_database_option
def purge_cmd(years, policy_path, dry_run, yes, signing_key_path, database_url):
    """Remove decisions older than the retention period (never younger than 3 years, ECL Art. 31, counted from
    the later of recording and receipt) and record the purge, signed (verify still passes)."""
    signer = load_signer(
        signing_key_path,
        required=not dry_run,
        why=": a purge is signed, since an unsigned purge record cannot be told from a forged one",
    )
    store = _store(database_url)
    try:
        in_force = [load_policy_file(policy_path)] if policy_path else []
        policy_years = strictest_retention(store, *in_force)
        check_period(years, policy_years)
    except PolicyError as error:
        _fail("\n".join(policy_problem_lines(error)))
    except PurgeRefused as exc:
        _fail(f"refused: {exc}", 2)
    would = plan(store, years)
    if would.count == 0:
        click.echo(f"nothing recorded before {shown(would.cut)}: nothing to purge")
        return
    click.echo(
        f"{would.count} decisions (seq {would.first_seq}..{would.last_seq}) were recorded (and received) before {shown(would.cut)}"
    )
    if dry_run:
        return
    if not yes and not click.confirm("remove them for good?", err=True):
        _fail("nothing removed")
    assert signer is not None  # required above unless --dry-run, which returned
    try:
        record = purge(store, years, signer=signer, policy_years=policy_years)
    except PurgeRefused as exc:
        _fail(f"refused: {exc}", 2)
    if record is None:
        click.echo("nothing to purge")
        return
    click.echo(
        f"purge {record.id}: removed {record.count} decisions, seq {record.first_seq}..{record.last_seq} "
        f"(cut {shown(record.cut)}); verification now starts from chain hash {record.cut_hash}; "
        f"signed by key {signer.key_id}"
    )


COMMANDS = (replay, export, export_policy, purge_cmd)


def register(cli: click.Group) -> None:
    for command in COMMANDS:
        cli.add_command(command)
