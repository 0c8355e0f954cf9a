"""The manual is complete: what the code reads, offers and answers is written down for its readers.

The manual is the MkDocs site built from docs/ (``mkdocs build --strict``: no broken link, no page
left out of the navigation). Every environment variable the shipped code reads, every CLI command and
option, every lint finding code, policy issue code and problem type appears in the built site; each
environment variable's meaning is on the configuration page. (Modelled on datasette's tests/test_docs.py.)
"""

from __future__ import annotations

import html
import re
import subprocess
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
PAGES = {
    path.relative_to(REPO / "docs").as_posix(): path.read_text(encoding="utf-8")
    for path in sorted((REPO / "docs").rglob("*.md"))
}
CONFIGURATION = DOCS["configuration.md"]
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


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> dict[str, str]:
    """The manual as built (``mkdocs build --strict``, as ``make test`` runs it): page path -> its text."""
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stderr[-3000:]
    return {
        page.relative_to(out).as_posix(): html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        for page in out.rglob("*.html")
    }


def _site_text(site: dict[str, str]) -> str:
    return "\n".join(site.values())


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
def test_every_environment_variable_is_documented(name, site):
    assert f"`{name}`" in CONFIGURATION, f"{name} is read by the code but not in docs/configuration.md's table"
    assert name in site["reference/environment/index.html"], f"{name} is missing from the generated reference"


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


def test_every_command_and_option_is_in_the_generated_reference(site):
    page = site["reference/cli/index.html"]
    for name, command in COMMANDS:
        assert name in page, f"{name} is missing from the generated CLI reference"
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert max(param.opts, key=len) in page, f"{name}: {param.opts} missing from the CLI reference"


def test_every_code_is_in_the_generated_reference(site):
    page = site["reference/codes/index.html"]
    missing = [code for code in (*FINDING_CODES, *ISSUE_CODES, *PROBLEM_TYPES) if code not in page]
    assert missing == []


@pytest.mark.parametrize("code", sorted(FINDING_CODES))
def test_every_lint_finding_code_is_explained(code):
    assert f"`{code}`" in DOCS["errors.md"]


@pytest.mark.parametrize("code", sorted(ISSUE_CODES))
def test_every_policy_issue_code_is_explained(code):
    assert f"`{code}`" in DOCS["errors.md"]


@pytest.mark.parametrize("slug", sorted(PROBLEM_TYPES))
def test_every_problem_type_is_explained(slug):
    assert f"`{slug}`" in DOCS["errors.md"]


def test_every_route_of_the_api_is_in_the_generated_reference(site):
    import importlib.util

    spec_of = importlib.util.spec_from_file_location("docs_reference", REPO / "docs" / "hooks" / "reference.py")
    assert spec_of and spec_of.loader
    reference = importlib.util.module_from_spec(spec_of)
    spec_of.loader.exec_module(reference)
    openapi_document = reference.openapi_document
    page = site["reference/http-api/index.html"]
    spec = openapi_document()
    for path, operations in spec["paths"].items():
        for method in operations:
            if method != "parameters":
                assert f"{method.upper()} {path}" in page


def test_every_person_has_a_guide_in_chinese_and_in_english(site):
    for person in ("compliance", "approvers", "auditors", "team-leads"):
        assert f"guides/zh/{person}/index.html" in site and f"guides/en/{person}/index.html" in site
        assert len(re.findall(r"[\u4e00-\u9fff]", site[f"guides/zh/{person}/index.html"])) > 150, person


def test_the_readme_is_a_front_door():
    lines = README.splitlines()
    assert len(lines) <= 250
    first_screen = "\n".join(lines[:60])
    assert "make run" in first_screen and "make test" in first_screen
    for field in ("decision_id", "chain_hash", "integrity", "engine_version", "request_digest"):
        assert f'"{field}"' in README, f"the worked example's envelope lacks {field}"


def test_the_manual_builds_offline():
    """No web font, no CDN: the theme's font is off (Material would fetch Google Fonts)."""
    import yaml

    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8").replace("!!python", "#"))
    assert config["theme"]["font"] is False
    assert config["strict"] is True


def test_design_notes_cited_in_code_exist():
    cited = set()
    for path in _shipped_sources():
        cited.update(re.findall(r"docs/([a-z_]+\.md)", path.read_text(encoding="utf-8")))
    assert cited, "the code cites no note under docs/"
    assert cited <= set(DOCS), f"cited but missing: {sorted(cited - set(DOCS))}"


# -- every `complaints …` the README shows is a command the CLI has, with options it takes --------------

_SHELL_END = {"#", ">", "|", "&&", ";", "||", "2>&1", "<"}
_PLACEHOLDER = re.compile(r"^[\[\]<>…]|…$")


def _readme_invocations() -> list[tuple[str, list[str]]]:
    """(where, the words from `complaints` on) of every invocation in code blocks and inline code,
    in the README and every page of the manual."""
    found = []
    lines = [(f"README.md line {n}", line) for n, line in enumerate(README.splitlines(), 1)]
    for page, text in PAGES.items():
        lines += [(f"docs/{page} line {n}", line) for n, line in enumerate(text.splitlines(), 1)]
    for number, line in lines:
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
    assert len(invocations) > 200, "the manual's invocations were not found"
    problems = []
    for number, words in invocations:
        if words[1] in ("…", "...") or words[1].startswith(("…", "[")) or words[1] == "command":
            continue  # prose ("every `complaints` command …")
        command, rest, name = _resolve(words)
        runs_alone = isinstance(command, click.Group) and command.invoke_without_command
        if isinstance(command, click.Group) and not (runs_alone and (not rest or rest[0].lstrip("[").startswith("-"))):
            if not rest or rest[0].startswith(("-", "…")) or rest[0] in ("…", "...", "keys"):
                if not (rest and rest[0] == "--version") and command is not cli:
                    problems.append(f"{number}: `{' '.join(words)}`: {name} needs a subcommand")
                continue
            problems.append(f"{number}: `{' '.join(words)}`: no command {name} {rest[0]}")
            continue
        options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
        for word in rest:
            if word in _SHELL_END or word.startswith("#"):
                break
            flag = word.strip("[]").split("=", 1)[0]
            if re.fullmatch(r"--?[a-z][a-z-]*", flag) and flag not in options:
                problems.append(f"{number}: `{' '.join(words)}`: {name} has no option {flag}")
    assert problems == []


def test_the_readme_check_catches_an_option_the_cli_lacks(monkeypatch):
    """The check above can fail: an option the CLI does not take (as `check --strict` would be) is named."""
    monkeypatch.setattr(sys.modules[__name__], "README", README + "\n    complaints check --strict policies.yaml\n")
    with pytest.raises(AssertionError, match="complaints check has no option --strict"):
        test_the_readme_shows_only_commands_and_options_the_cli_has()
