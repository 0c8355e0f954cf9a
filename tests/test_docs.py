"""The documentation is complete: what the code reads, offers and answers is written down for its readers.

Every environment variable the shipped code reads, every CLI command and option,
every lint finding code, policy issue code and problem type appears in README.md
or docs/. (Modelled on datasette's tests/test_docs.py.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import pytest

from api.problems import PROBLEM_TYPES
from api.settings import ENV_VARS
from cli.main import cli
from rules.errors import ISSUE_CODES
from rules.finding_codes import FINDING_CODES

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = {path.name: path.read_text(encoding="utf-8") for path in sorted((REPO / "docs").glob("*.md"))}
ALL_DOCS = README + "\n".join(DOCS.values())
SHIPPED = ["canonical", "rules", "engine", "store", "lifecycle", "audit", "api", "cli", "console"]

_ENV_READ = re.compile(
    r"""environ(?:\.get)?\(\s*["']([A-Z][A-Z0-9_]+)["']|environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]"""
    r"""|getenv\(\s*["']([A-Z][A-Z0-9_]+)["']|envvar\s*=\s*["']([A-Z][A-Z0-9_]+)["']|_ENV\s*=\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def _shipped_sources() -> list[Path]:
    files = [REPO / "app.py", REPO / "api" / "gunicorn_conf.py"]
    for package in SHIPPED:
        files.extend(sorted((REPO / package).rglob("*.py")))
    return files


def _env_vars_read() -> set[str]:
    found = set(ENV_VARS.values())
    for path in _shipped_sources():
        for match in _ENV_READ.finditer(path.read_text(encoding="utf-8")):
            found.update(group for group in match.groups() if group)
    return found


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    if isinstance(command, click.Group):
        # A group that runs by itself (`complaints deadlines`) is a command as well as its subcommands'.
        found = [(" ".join(("complaints", *path)), command)] if command.invoke_without_command else []
        for name, sub in sorted(command.commands.items()):
            found.extend(_commands(sub, (*path, name)))
        return found
    return [(" ".join(("complaints", *path)), command)]


COMMANDS = _commands(cli)


def _section(name: str) -> str:
    """The text under `### `name`` in docs/cli.md, up to the next heading."""
    text = DOCS["cli.md"]
    match = re.search(rf"^### `{re.escape(name)}`\n(.*?)(?=^#{{2,3}} |\Z)", text, flags=re.M | re.S)
    assert match, f"docs/cli.md has no section `### `{name}``"
    return match.group(1)


def test_the_scan_finds_the_variables_we_know_are_read():
    # Guards the scanner itself: these are read in three different ways.
    found = _env_vars_read()
    assert {"DATABASE_URL", "COMPLAINTS_MASKING_KEY", "WEB_CONCURRENCY", "COMPLAINTS_POLICY"} <= found


@pytest.mark.parametrize("name", sorted(_env_vars_read()))
def test_every_environment_variable_is_documented(name):
    assert f"`{name}`" in README, f"{name} is read by the code but not in the README's configuration table"


def test_every_command_is_listed():
    assert len(COMMANDS) > 20
    headings = re.findall(r"^### `(complaints [a-z -]+)`$", DOCS["cli.md"], flags=re.M)
    assert sorted(headings) == sorted(name for name, _ in COMMANDS), "docs/cli.md and the CLI disagree"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_option_is_documented_under_its_command(name, command):
    section = _section(name)
    for param in command.params:
        if isinstance(param, click.Option):
            flag = max(param.opts, key=len)
            assert f"`{flag}" in section, f"{name}: option {flag} is not described in docs/cli.md"
    assert name.split(" ", 1)[1] in README or name in README, f"{name} is not mentioned in the README"


@pytest.mark.parametrize("code", sorted(FINDING_CODES))
def test_every_lint_finding_code_is_documented(code):
    assert f"`{code}`" in README


@pytest.mark.parametrize("code", sorted(ISSUE_CODES))
def test_every_policy_issue_code_is_documented(code):
    assert f"`{code}`" in README


@pytest.mark.parametrize("slug", sorted(PROBLEM_TYPES))
def test_every_problem_type_is_documented(slug):
    assert f"`{slug}`" in README


def test_design_notes_cited_in_code_exist():
    cited = set()
    for path in _shipped_sources():
        cited.update(re.findall(r"docs/([a-z_]+\.md)", path.read_text(encoding="utf-8")))
    assert cited, "the code cites no note under docs/"
    assert cited <= set(DOCS), f"cited but missing: {sorted(cited - set(DOCS))}"


# -- every `complaints …` the README shows is a command the CLI has, with options it takes --------------

_SHELL_END = {"#", ">", "|", "&&", ";", "||", "2>&1", "<"}
_PLACEHOLDER = re.compile(r"^[\[\]<>…]|…$")


def _readme_invocations() -> list[tuple[int, list[str]]]:
    """(line number, the words from `complaints` on) of every invocation in code blocks and inline code."""
    found = []
    for number, line in enumerate(README.splitlines(), 1):
        pieces = re.findall(r"`([^`]*\bcomplaints [^`]*)`", line)
        if line.startswith(("    ", "$ ")):  # a code block (indented, or a shell prompt)
            pieces.append(line)
        for piece in pieces:
            for part in re.split(r"(?:&&|;|\|\|)", piece.replace("\\|", "/")):
                words = part.replace("(", " ").replace(")", " ").split()
                starts = [i for i, word in enumerate(words) if word == "complaints" or word.endswith("/complaints")]
                if starts and len(words) > starts[0] + 1:
                    found.append((number, words[starts[0] :]))
    return found


def _resolve(words: list[str]) -> tuple[click.Command, list[str], str]:
    command: click.Command = cli
    name = ["complaints"]
    rest = words[1:]
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.commands.get(rest[0])
        if sub is None:
            break
        command, name, rest = sub, [*name, rest[0]], rest[1:]
    return command, rest, " ".join(name)


def test_the_readme_shows_only_commands_and_options_the_cli_has():
    invocations = _readme_invocations()
    assert len(invocations) > 80, "the README's invocations were not found"
    problems = []
    for number, words in invocations:
        if words[1] in ("…", "...") or words[1].startswith(("…", "[")) or words[1] == "command":
            continue  # prose ("every `complaints` command …")
        command, rest, name = _resolve(words)
        runs_alone = isinstance(command, click.Group) and command.invoke_without_command
        if isinstance(command, click.Group) and not (runs_alone and (not rest or rest[0].lstrip("[").startswith("-"))):
            if not rest or rest[0].startswith(("-", "…")) or rest[0] in ("…", "...", "keys"):
                if not (rest and rest[0] == "--version") and command is not cli:
                    problems.append(f"README line {number}: `{' '.join(words)}`: {name} needs a subcommand")
                continue
            problems.append(f"README line {number}: `{' '.join(words)}`: no command {name} {rest[0]}")
            continue
        options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
        for word in rest:
            if word in _SHELL_END or word.startswith("#"):
                break
            flag = word.strip("[]").split("=", 1)[0]
            if re.fullmatch(r"--?[a-z][a-z-]*", flag) and flag not in options:
                problems.append(f"README line {number}: `{' '.join(words)}`: {name} has no option {flag}")
    assert problems == []


def test_the_readme_check_catches_an_option_the_cli_lacks(monkeypatch):
    """The check above can fail: an option the CLI does not take (as `check --strict` would be) is named."""
    monkeypatch.setattr(sys.modules[__name__], "README", README + "\n    complaints check --strict policies.yaml\n")
    with pytest.raises(AssertionError, match="complaints check has no option --strict"):
        test_the_readme_shows_only_commands_and_options_the_cli_has()
