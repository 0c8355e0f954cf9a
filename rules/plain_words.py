"""Policy problems in plain words: located by rule id, worded from the catalog, with a likely fix.

``describe`` takes the issues as the loader found them and returns them ready for compliance
staff:

- the path names the rule by its id (``routing[R05_quality_high_value].then.team``, not
  ``routing.5.then.team``);
- the message is the catalog's (rules/messages.py), in English here and in Chinese on demand;
- fixes where one is likely: a tab, full-width punctuation typed on a Chinese keyboard, a
  thousands separator in an amount (all seen in the line itself), and the closest known name
  for a misspelt key, category, team, level, field, value or flag ("did you mean").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import Any

from rules.errors import PolicyIssue
from rules.messages import ENTRIES, match, words

# Sections whose items carry an `id` that names them better than a position.
ID_SECTIONS = ("levels", "teams", "windows", "routing", "remedies", "deadlines")
# Full-width punctuation a Chinese keyboard types where YAML needs ASCII.
FULL_WIDTH = {
    "：": ":",
    "，": ",",
    "；": ";",
    "｛": "{",
    "｝": "}",
    "【": "[",
    "】": "]",
    "［": "[",
    "］": "]",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "\u3000": "space",
}
_STRUCTURAL = frozenset("：，；｛｝【】［］\u3000")
_THOUSANDS = re.compile(r"(?<![\w.])([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?)(?![\w])")
# Unfinished constructs: PyYAML notices them later than where they open.
_OPENED = ("yaml_flow_mapping", "yaml_flow_sequence", "yaml_quoted")
# The issue's words name something the author typed: a wrong name is worth a close look.
_NAMED = ("name", "value", "key")


def describe(issues: list[PolicyIssue], raw: object, text: str) -> list[PolicyIssue]:
    lines = text.splitlines()
    return [_describe(issue, raw, lines) for issue in issues]


def rule_path(path: str, raw: object) -> str:
    """``routing.5.then.team`` -> ``routing[R05_quality_high_value].then.team`` when item 5 has an id."""
    parts = path.split(".")
    if len(parts) < 2 or parts[0] not in ID_SECTIONS or not parts[1].isdigit() or not isinstance(raw, dict):
        return path
    items = raw.get(parts[0])
    index = int(parts[1])
    if not isinstance(items, list) or index >= len(items) or not isinstance(items[index], dict):
        return path
    rule_id = items[index].get("id")
    if not isinstance(rule_id, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", rule_id):
        return path
    return ".".join([f"{parts[0]}[{rule_id}]", *parts[2:]])


def _describe(issue: PolicyIssue, raw: object, lines: list[str]) -> PolicyIssue:
    found = match(issue.message)
    key, args = found if found else ("", {})
    args = dict(args)
    if issue.path:
        args.setdefault("key", issue.path.rsplit(".", 1)[-1])
        value = _value_at(raw, issue.path)
        if isinstance(value, str | int) and not isinstance(value, bool):
            args.setdefault("value", str(value))
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            args["value"] = ", ".join(value)
    args.update(dict(issue.args))  # what the finder knew beyond its words (rules/resync.py: where a `{` opened)
    line = lines[issue.line - 1] if 0 < issue.line <= len(lines) else ""
    hints: list[tuple[str, dict[str, str]]] = []
    hints.extend(_line_fixes(issue, line, args))
    suggestion = _suggestion(key, args, issue.path, raw)
    if suggestion:
        hints.append(("did_you_mean", {"suggestion": suggestion}))
    entry = ENTRIES.get(key)
    if entry and entry.hint and not hints:  # the general advice, when nothing more precise was found
        hints.append((entry.hint, args))
    if key in _OPENED and "opened" in args and args["opened"] != str(issue.line):
        hints.append(("opened_at", {"line": args["opened"]}))
    message = words(key, args, "en") if key else issue.message
    return replace(
        issue,
        path=rule_path(issue.path, raw),
        message=message,
        key=key,
        args=_frozen(args),
        hints=tuple((hint, _frozen(hint_args)) for hint, hint_args in _unique(hints)),
    )


def _line_fixes(issue: PolicyIssue, line: str, args: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    fixes: list[tuple[str, dict[str, str]]] = []
    syntax = issue.code == "yaml_syntax"
    code_part = line.split(" #", 1)[0]
    if syntax and "\t" in line:
        fixes.append(("tab", {}))
    named = " ".join(args.get(name, "") for name in _NAMED)
    wide = [ch for ch in dict.fromkeys(code_part) if ch in FULL_WIDTH]
    if wide and (syntax and any(ch in _STRUCTURAL for ch in wide) or any(ch in named for ch in wide)):
        found = " ".join(f"`{ch}`" if ch != "\u3000" else "space" for ch in wide)
        ascii_ = " ".join(f"`{FULL_WIDTH[ch]}`" if ch != "\u3000" else "space" for ch in wide)
        fixes.append(("fullwidth", {"found": found, "ascii": ascii_}))
    separated = _THOUSANDS.search(code_part)
    if separated and (syntax or issue.code in ("schema", "condition", "unknown_name")):
        written = separated.group(1)
        fixes.append(("thousands", {"written": written, "plain": written.replace(",", "")}))
    return fixes


def _suggestion(key: str, args: dict[str, str], path: str, raw: object) -> str | None:
    if key == "unknown_key":
        wrong, choices = args.get("key", ""), _keys_at(path.rsplit(".", 1)[0] if "." in path else "")
    else:
        entry = ENTRIES.get(key)
        if entry is None or entry.suggest is None:
            return None
        wrong_arg, choices_arg = entry.suggest
        wrong = args.get(wrong_arg, "")
        listed = choices_arg[1:] if choices_arg.startswith("=") else args.get(choices_arg, "")
        choices = [c.strip().strip("`'") for c in listed.split(",") if c.strip()]
    if not wrong or not choices:
        return None
    candidates = [w.strip().strip("`'[]") for w in wrong.split(",")]
    for candidate in candidates:
        if candidate in choices or not candidate:
            continue
        plain = _ascii(candidate)
        close = difflib.get_close_matches(plain, choices, n=1, cutoff=0.75)
        if close:
            return close[0]
        # A name cut short (`legal` for `legal_compliance`).
        longer = [choice for choice in choices if choice.startswith(plain) and len(plain) >= 3]
        if len(longer) == 1:
            return longer[0]
    return None


def _ascii(name: str) -> str:
    return "".join(FULL_WIDTH.get(ch, ch) for ch in name).split(":")[0].strip()


def _value_at(raw: object, path: str) -> object:
    value = raw
    for part in path.split("."):
        if isinstance(value, dict):
            value = next((v for k, v in value.items() if str(k) == part), None)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _keys_at(path: str) -> list[str]:
    """The keys the policy format allows in the mapping at ``path`` (from the JSON Schema)."""
    node: Mapping[str, Any] = _schema()
    root = node
    for part in [p for p in path.split(".") if p] if path else []:
        node = _resolve(root, node)
        if node.get("type") == "array" or "items" in node:
            node = node.get("items", {})
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return []
    node = _resolve(root, node)
    return list(node.get("properties", {}))


def _resolve(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while True:
        if "$ref" in node:
            node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            node = next((n for n in node["anyOf"] if "$ref" in n or n.get("type") in ("object", "array")), {})
        else:
            return node


@cache
def _schema() -> dict[str, Any]:
    from rules.json_schema import policy_json_schema

    return policy_json_schema()


def _frozen(args: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in args.items()))


def _unique(hints: list[tuple[str, dict[str, str]]]) -> list[tuple[str, dict[str, str]]]:
    seen: set[str] = set()
    result = []
    for hint, args in hints:
        if hint not in seen:
            seen.add(hint)
            result.append((hint, args))
    return result
