"""MkDocs hook: the reference pages, generated at every build from the code's own tables.

Nothing here is copied by hand, so nothing can drift: the CLI from the click commands, the HTTP API
from the app's OpenAPI document, the policy language from ``complaints schema`` (its JSON Schema),
the problem, policy-issue and lint codes from ``api.problems``, ``rules.errors`` and
``rules.finding_codes``, and the environment variables from ``api.settings``. ``mkdocs build --strict``
(``make test``) renders them; tests/test_docs.py checks the built site is complete.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import click
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

REPO = Path(__file__).resolve().parents[2]

PAGES = {
    "reference/cli.md": "cli",
    "reference/http-api.md": "http_api",
    "reference/policy-schema.md": "policy_schema",
    "reference/codes.md": "codes",
    "reference/environment.md": "environment",
    "changelog.md": "changelog",
}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for uri, name in PAGES.items():
        content = globals()[f"_{name}"]()
        files.append(File.generated(config, uri, content=content))
    return files


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


# -- the command line ----------------------------------------------------------------------------------


def _walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _walk(sub, (*path, name))


def _no_default(value: object) -> bool:
    """No default worth showing: none, off, empty, computed, or click's own "not set" marker."""
    return value in (None, False, ()) or callable(value) or type(value).__name__ == "Sentinel"


def _cli() -> str:
    from cli.main import cli

    out = [
        "# Command line reference",
        "",
        "Generated from the click commands of `complaints` at build time (`complaints COMMAND --help` prints the same).",
        "The guide to the commands, with examples, is [The command line](../command-line.md) and",
        "[Commands in detail](../cli.md).",
        "",
    ]
    for path, command in _walk(cli, ("complaints",)):
        name = " ".join(path)
        ctx = click.Context(command, info_name=name)
        out += [f"## `{name}`", "", "```text", command.get_usage(ctx), "```", ""]
        if command.help:
            out += [inspect.cleandoc(click.unstyle(command.help)).replace("\b\n", ""), ""]
        params = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        if arguments:
            out += ["Arguments: " + ", ".join(f"`{a.human_readable_name}`" for a in arguments), ""]
        if params:
            out += ["| option | meaning | default |", "|---|---|---|"]
            for option in params:
                flags = ", ".join(f"`{flag}`" for flag in (*option.opts, *option.secondary_opts))
                default = "" if _no_default(option.default) else option.default
                envvar = f" (environment: `{option.envvar}`)" if isinstance(option.envvar, str) else ""
                if isinstance(option.type, click.Choice):
                    envvar += " One of " + ", ".join(f"`{choice}`" for choice in option.type.choices) + "."
                out.append(f"| {flags} | {_cell(option.help or '')}{envvar} | {_cell(default)} |")
            out.append("")
        if isinstance(command, click.Group):
            out += ["Commands: " + ", ".join(f"`{sub}`" for sub in sorted(command.commands)), ""]
    return "\n".join(out)


# -- the HTTP API --------------------------------------------------------------------------------------


def openapi_document() -> dict:
    """The app's OpenAPI document, from an app on a scratch SQLite store and the shipped policy."""
    from app import create_app

    with tempfile.TemporaryDirectory() as scratch:
        saved = dict(os.environ)
        logging.disable(logging.CRITICAL)  # the service's start-up lines are not the build's
        try:
            app = create_app(
                {
                    "DATABASE_URL": f"sqlite:///{Path(scratch) / 'docs.db'}",
                    "COMPLAINTS_POLICY": str(REPO / "policies.yaml"),
                    "COMPLAINTS_ENV": "development",
                    "COMPLAINTS_AUTH": "off",
                }
            )
            spec = app.extensions["complaints_api"].spec.to_dict()
            app.extensions["complaints"].store.dispose()
        finally:
            logging.disable(logging.NOTSET)
            os.environ.clear()
            os.environ.update(saved)
    # The policy's digest changes with every edit of policies.yaml; the reference does not depend on it.
    spec["info"]["description"] = re.sub(r"; policy .*$", ".", spec["info"].get("description", ""))
    return spec


def _ref_name(schema: dict) -> str:
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref", "")
    if not ref:
        return f"`{schema.get('type', 'object')}`" if schema else ""
    name = ref.rsplit("/", 1)[-1]
    return f"[{name}](#schema-{name.lower()})"


def _http_api() -> str:
    spec = openapi_document()
    out = [
        "# HTTP API reference",
        "",
        "Generated from the service's OpenAPI document at build time. A running service serves the same document at",
        "`/openapi.json`, an interactive reference (Swagger UI, served by the app itself) at `/docs/api/`, and a",
        "plain page at `/docs`. How to use the API: [The HTTP API](../http-api.md).",
        "",
        f"OpenAPI {spec.get('openapi', '')}, API version {spec['info'].get('version', '')}.",
        "",
    ]
    for path, operations in sorted(spec.get("paths", {}).items()):
        for method, op in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            out += [f"## `{method.upper()} {path}`", "", f"**{_cell(op.get('summary', ''))}**", ""]
            if op.get("description"):
                out += [op["description"].strip(), ""]
            security = op.get("security", spec.get("security"))
            out += [
                "Authentication: " + ("none (public)" if security == [] else "API key (`Authorization: Bearer`)"),
                "",
            ]
            params = [*operations.get("parameters", []), *op.get("parameters", [])]
            if params:
                out += ["| parameter | in | required | meaning |", "|---|---|---|---|"]
                for p in params:
                    out.append(
                        f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} | {_cell(p.get('description', ''))} |"
                    )
                out.append("")
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                out += [f"Request body (`{media}`): {_ref_name(content.get('schema', {}))}", ""]
            out += ["| status | meaning |", "|---|---|"]
            for status, response in sorted(op.get("responses", {}).items()):
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                out.append(f"| {status} | {_cell(response.get('description', ''))} |")
            out.append("")
    out += ["## Schemas", ""]
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        out += [
            f"### {name} {{ #schema-{name.lower()} }}",
            "",
            "```json",
            json.dumps(schema, indent=2, ensure_ascii=False),
            "```",
            "",
        ]
    return "\n".join(out)


# -- the policy language -------------------------------------------------------------------------------


def _type(schema: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema or "oneOf" in schema:
        return " or ".join(_type(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map of {_type(schema['additionalProperties'])}"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    return f"{kind}" if kind else "any"


def _properties(schema: dict) -> list[str]:
    props = schema.get("properties", {})
    if not props:
        return [f"Type: {_type(schema)}.", ""]
    required = set(schema.get("required", []))
    rows = ["| key | type | required | meaning |", "|---|---|---|---|"]
    for key, sub in props.items():
        rows.append(
            f"| `{key}` | {_cell(_type(sub))} | {'yes' if key in required else 'no'} | {_cell(sub.get('description', ''))} |"
        )
    return [*rows, ""]


def _policy_schema() -> str:
    from rules.json_schema import policy_json_schema

    schema = policy_json_schema()
    out = [
        "# Policy language reference",
        "",
        "Generated at build time from the JSON Schema that `complaints schema` prints (editors can use it for",
        "completion). The guide with examples: [The policy language](../policy-language.md).",
        "",
        f"**{schema.get('title', '')}** — {schema.get('description', '')}",
        "",
        "## The file (top level)",
        "",
        *_properties(schema),
    ]
    for name, sub in schema.get("$defs", {}).items():
        out += [f"## {name}", ""]
        if sub.get("description"):
            out += [sub["description"], ""]
        out += _properties(sub)
    out += [
        "## The whole schema",
        "",
        '??? note "JSON Schema (as `complaints schema` prints it)"',
        "",
        "    ```json",
        *("    " + line for line in json.dumps(schema, indent=2, ensure_ascii=False).splitlines()),
        "    ```",
        "",
    ]
    return "\n".join(out)


# -- codes ---------------------------------------------------------------------------------------------


def _codes() -> str:
    from api.problems import PROBLEM_TYPES
    from rules.errors import ISSUE_CODES
    from rules.finding_codes import FINDING_CODES

    out = [
        "# Codes reference",
        "",
        "Generated at build time from the code's own tables. Scripts match on the code, never on the wording.",
        "What to do about each, with examples: [Error codes](../errors.md).",
        "",
        "## Problem types (HTTP)",
        "",
        "Every error answer of the API is an RFC 9457 `application/problem+json` document whose `type` is",
        "`/docs#problem-<code>` and whose `code` is the code below.",
        "",
        "| code | status | title | meaning |",
        "|---|---|---|---|",
    ]
    for slug, (status, title, meaning) in PROBLEM_TYPES.items():
        out.append(f'| <span id="problem-{slug}"></span>`{slug}` | {status} | {_cell(title)} | {_cell(meaning)} |')
    out += [
        "",
        "## Policy issues (`check`, `propose`, `POST /v1/policies`)",
        "",
        "| code | what it means and how to fix it |",
        "|---|---|",
    ]
    out += [f"| `{code}` | {_cell(text)} |" for code, text in ISSUE_CODES.items()]
    out += ["", "## Lint findings (`lint`, `check`, `propose`)", "", "| code | finding |", "|---|---|"]
    out += [f"| `{code}` | {_cell(text)} |" for code, text in FINDING_CODES.items()]
    return "\n".join([*out, ""])


# -- environment variables -----------------------------------------------------------------------------

_ENV_READ = re.compile(
    r"""environ(?:\.get)?\(\s*["']([A-Z][A-Z0-9_]+)["']|environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]"""
    r"""|getenv\(\s*["']([A-Z][A-Z0-9_]+)["']|envvar\s*=\s*["']([A-Z][A-Z0-9_]+)["']|_ENV\s*=\s*["']([A-Z][A-Z0-9_]+)["']"""
)
SHIPPED = ("canonical", "rules", "engine", "store", "lifecycle", "audit", "api", "cli", "console")


def environment_variables_read() -> dict[str, list[str]]:
    """Every variable the shipped code reads: name -> the modules that read it (by a scan of the sources)."""
    from api.settings import ENV_VARS

    found: dict[str, list[str]] = {name: ["api/settings.py"] for name in ENV_VARS.values()}
    sources = [REPO / "app.py", *(path for package in SHIPPED for path in sorted((REPO / package).rglob("*.py")))]
    for path in sources:
        for match in _ENV_READ.finditer(path.read_text(encoding="utf-8")):
            for name in filter(None, match.groups()):
                where = found.setdefault(name, [])
                relative = path.relative_to(REPO).as_posix()
                if relative not in where:
                    where.append(relative)
    return found


def _environment() -> str:
    from api.settings import ENV_VARS, Settings

    defaults = {ENV_VARS[f.name]: f.default for f in fields(Settings) if f.name in ENV_VARS}
    out = [
        "# Environment variables reference",
        "",
        "Generated at build time: the service's settings (`api.settings`) and every other variable the shipped code",
        "reads (a scan of its sources). What each one means and when to set it: [Configuration](../configuration.md).",
        "",
        "| variable | default | read by |",
        "|---|---|---|",
    ]
    for name, where in sorted(environment_variables_read().items()):
        default = defaults.get(name, "")
        shown = f"`{default}`" if default not in ("", None) else ""
        out.append(f"| `{name}` | {shown} | {', '.join(f'`{w}`' for w in where)} |")
    return "\n".join([*out, ""])


# -- the changelog -------------------------------------------------------------------------------------


def _changelog() -> str:
    """CHANGELOG.md of the repository, its links to repository files made plain names."""
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    return re.sub(r"\[([^\]]+)\]\((?!https?:)[^)]+\)", r"\1", text)
