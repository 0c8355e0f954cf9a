"""Commands that help compliance staff write a policy: the JSON Schema for their editor, why a rule fired.

complaints schema                                  the JSON Schema of the policy format, for editors
complaints explain COMPLAINT.json [--rule ID]      why each rule fired or did not fire
complaints fmt POLICY... [--check]                 rewrite in the canonical layout, comments kept
"""

from __future__ import annotations

import difflib
import json
import sys
from decimal import Decimal

import click

from cli.failures import fail_policy, fail_undecidable, lang_option
from cli.policy_choice import policy_option
from rules.errors import PolicyError
from rules.json_schema import policy_json_schema


@click.command("schema")
def schema() -> None:
    """Print the JSON Schema of the policy format (`complaints schema > policy.schema.json`)."""
    click.echo(json.dumps(policy_json_schema(), ensure_ascii=False, indent=2))


@click.command("explain")
@click.argument("complaint_file", type=click.File("rb"))
@click.option("--rule", "rule_id", help="Only this rule.")
@policy_option
@click.option("--json", "as_json", is_flag=True, help="The answer as JSON.")
@lang_option
def explain_cmd(complaint_file, rule_id: str | None, policy_path: str, as_json: bool, lang: str | None) -> None:
    """Why each rule fired or did not fire for COMPLAINT_FILE (JSON, '-' for stdin): for a rule that did not,
    the first test that failed, with the complaint's value. Exit 0; 1 for a complaint or policy that cannot be
    decided or an unknown rule; 2 for a body that is not JSON."""
    from engine.compiled import decider_for_file
    from engine.complaint import ComplaintError, validate_complaint
    from engine.why import explain, explanation_lines
    from rules.calendar import CalendarError

    try:
        raw = json.loads(complaint_file.read(), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        click.echo(f"complaint: not valid JSON: {exc}", err=True)
        sys.exit(2)
    try:
        decider = decider_for_file(policy_path)
    except PolicyError as error:
        fail_policy(error, lang=lang)
    policy = decider.policy
    if rule_id is not None and rule_id not in {rule.info.id for rule in policy.all_rules}:
        close = difflib.get_close_matches(rule_id, [rule.info.id for rule in policy.all_rules], n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        click.echo(f"{policy_path}: no rule `{rule_id}`{hint}", err=True)
        sys.exit(1)
    try:
        answer = explain(decider, validate_complaint(raw, policy.levels))
    except (ComplaintError, CalendarError) as error:
        fail_undecidable(error)
    if as_json:
        verdicts = [v.as_dict() for v in answer.verdicts if rule_id in (None, v.rule)]
        payload = {"complaint_id": answer.decision["complaint_id"], "policy": answer.decision["policy"]}
        click.echo(json.dumps({**payload, "rules": verdicts}, ensure_ascii=False, indent=2))
    else:
        for line in explanation_lines(answer, rule_id):
            click.echo(line)


@click.command("fmt")
@click.argument("policy_paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file is not in the canonical layout.")
@lang_option
def fmt_cmd(policy_paths: tuple[str, ...], check: bool, lang: str | None) -> None:
    """Rewrite each POLICY in the canonical layout, keeping comments and what it says. With --check (for CI),
    show what would change and exit 1 if anything would; exit 1 too for a file that is not YAML a policy may use."""
    import difflib
    from pathlib import Path

    from rules.formatting import FormatError, canonical_text
    from rules.loader import read_policy_source

    unformatted = []
    for policy_path in policy_paths:
        path = Path(policy_path)
        try:
            text = read_policy_source(path)  # bounded, UTF-8, and a regular file (a FIFO would hang)
            formatted = canonical_text(text, policy_path)
        except PolicyError as error:
            fail_policy(error, lang=lang)
        except FormatError as error:
            click.echo(str(error), err=True)
            sys.exit(1)
        if formatted == text:
            click.echo(f"{policy_path}: already in the canonical layout")
            continue
        unformatted.append(policy_path)
        if check:
            diff = difflib.unified_diff(
                text.splitlines(keepends=True), formatted.splitlines(keepends=True), policy_path, f"{policy_path} (fmt)"
            )
            click.echo("".join(diff), nl=False)
            click.echo(f"{policy_path}: not in the canonical layout; run `complaints fmt {policy_path}`", err=True)
        else:
            path.write_text(formatted, encoding="utf-8")
            click.echo(f"{policy_path}: formatted")
    sys.exit(1 if check and unformatted else 0)


COMMANDS = (schema, explain_cmd, fmt_cmd)


def register(group: click.Group) -> None:
    for command in COMMANDS:
        group.add_command(command)
