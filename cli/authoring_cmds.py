"""Commands that help compliance staff write a policy: the JSON Schema for their editor.

complaints schema                 the JSON Schema of the policy format, for editors
"""

from __future__ import annotations

import json

import click

from rules.json_schema import policy_json_schema


@click.command("schema")
def schema() -> None:
    """Print the JSON Schema of the policy format (`complaints schema > policy.schema.json`)."""
    click.echo(json.dumps(policy_json_schema(), ensure_ascii=False, indent=2))


COMMANDS = (schema,)


def register(group: click.Group) -> None:
    for command in COMMANDS:
        group.add_command(command)
