"""`complaints init DIR`: a starter folder for a new deployment, and the ``.env`` file that `serve` reads."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import MutableMapping
from pathlib import Path

import click

from rules.default_policy import DEFAULT_POLICY, DEFAULT_TESTS, EXAMPLE_COMPLAINT, EXAMPLE_NAME, POLICY_NAME, TESTS_NAME

ENV_FILE = ".env"

# The settings a new deployment decides first; every other one is in docs/configuration.md.
ENV_TEMPLATE = """\
# Settings of this deployment: `complaints serve` run in this folder reads this file (a variable
# already set in the environment wins). Every setting: the manual (/docs/), "Configuration".

# development: API keys off, loopback only. production: API keys required, governed policy changes.
COMPLAINTS_ENV=development
# The decision store: sqlite:///path (one host) or postgresql://user:pass@host:5432/db (several).
DATABASE_URL=sqlite:///var/complaints.db
# The instance's policy file, beside this one; check it with `complaints check`.
COMPLAINTS_POLICY=policies.yaml
# Where gunicorn listens (keys off: loopback only), and how many workers.
COMPLAINTS_BIND=127.0.0.1:8080
# WEB_CONCURRENCY=4
# Signs checkpoints of the hash chain (create it once: complaints keys signing create signing.pem).
# COMPLAINTS_SIGNING_KEY_FILE=signing.pem
# Pseudonymises customer and order ids in exports (at least 16 characters; keep it secret).
# COMPLAINTS_MASKING_KEY=
"""

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines (``#`` comments, blank lines, optional quotes and ``export``); exit 2 on any other line."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            click.echo(f"{path}:{number}: expected KEY=value, got {line.strip()!r}", err=True)
            sys.exit(2)
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def apply_env_file(path: Path, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Set the file's variables not already set; the names set."""
    environ = os.environ if environ is None else environ
    added = []
    for key, value in read_env_file(path).items():
        if key not in environ:
            environ[key] = value
            added.append(key)
    return added


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite the starter files if the folder has them already.")
def init_cmd(folder: str, force: bool) -> None:
    """Write a starter folder for a new deployment: the shipped policy and its tests, a .env with the
    settings to decide first, and an example complaint to try. Then, in FOLDER: `complaints check`,
    `complaints serve`, and the curl line it prints.

    Exit 1, writing nothing, if FOLDER already has one of the files (--force overwrites them)."""
    target = Path(folder)
    files = {POLICY_NAME: DEFAULT_POLICY, TESTS_NAME: DEFAULT_TESTS, ENV_FILE: None, EXAMPLE_NAME: EXAMPLE_COMPLAINT}
    present = [name for name in files if (target / name).exists()]
    if present and not force:
        click.echo(f"{target}: already has {', '.join(present)}; nothing written (--force overwrites)", err=True)
        sys.exit(1)
    target.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        if source is None:
            (target / name).write_text(ENV_TEMPLATE, encoding="utf-8")
        else:
            shutil.copyfile(source, target / name)
        click.echo(f"wrote {target / name}")
    click.echo(f"next: cd {target} && complaints check && complaints test && complaints serve", err=True)
    click.echo(
        f"then try it: curl -s -X POST http://{_bind(ENV_TEMPLATE)}/v1/decisions "
        f"-H 'Content-Type: application/json' --data @{EXAMPLE_NAME}",
        err=True,
    )


def _bind(template: str) -> str:
    """The address the .env written makes `complaints serve` listen on."""
    match = re.search(r"^COMPLAINTS_BIND=(\S+)$", template, flags=re.M)
    assert match, "ENV_TEMPLATE sets COMPLAINTS_BIND"
    return match.group(1)


def register(cli: click.Group) -> None:
    cli.add_command(init_cmd)
