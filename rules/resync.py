"""Parse a policy's YAML so that one mistake does not hide the others.

A syntax error (or YAML a policy may not use: a repeated key, a tag) stops only the block it is
in: the rule (an item of a list section) or, outside a list, the top-level section. The block's
lines are blanked (so every other line keeps its number) and the text is parsed again, up to
``MAX_ROUNDS`` times. What remains is checked as usual by the schema and the loader, and
problems caused only by a blanked block (the section is then missing) are not reported twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import yaml

from rules.errors import PolicyError, PolicyIssue
from rules.yaml_source import SourceMap, load_yaml_text

MAX_ROUNDS = 20
_TOP_KEY = re.compile(r"^([A-Za-z_][\w]*)\s*:")
_ID = re.compile(r"\bid:\s*([A-Za-z][A-Za-z0-9_]*)")


@dataclass
class Parsed:
    raw: object  # None when nothing usable is left
    source: SourceMap | None
    issues: list[PolicyIssue] = field(default_factory=list)
    skipped_sections: set[str] = field(default_factory=set)  # top-level sections blanked whole
    thinned_sections: set[str] = field(default_factory=set)  # list sections with an item blanked (maybe all)
    skipped_ids: set[str] = field(default_factory=set)  # ids of the rules blanked
    text: str = ""  # the text that finally parsed

    @property
    def resynchronised(self) -> bool:
        return bool(self.issues)


def parse_resynchronised(text: str, file: str, list_limits: Mapping[str, tuple[int, str, str]] | None = None) -> Parsed:
    lines = text.splitlines(keepends=True)
    parsed = Parsed(None, None)
    for _ in range(MAX_ROUNDS):
        current = "".join(lines)
        try:
            parsed.raw, parsed.source = load_yaml_text(current, file, list_limits)
            parsed.text = current
            return parsed
        except PolicyError as error:
            located = [i for i in error.issues if i.code in ("yaml_syntax", "yaml_structure") and i.line > 0]
            if not located or len(located) != len(error.issues) or _unsafe(error.issues):
                parsed.issues.extend(error.issues)  # e.g. a file too large or an alias bomb: stop here
                return parsed
            opened = _context_lines(current)
            located = [_placed(issue, lines, opened) for issue in located]
            parsed.issues.extend(located)
            marks = [issue.line for issue in located] + opened
            blanked = False
            for line in sorted(set(marks)):
                span = _block(lines, line)
                if span is None:
                    continue
                start, end, section, whole = span
                chunk = "".join(lines[start:end])
                (parsed.skipped_sections if whole else parsed.thinned_sections).add(section)
                parsed.skipped_ids.update(_ID.findall(chunk))
                for index in range(start, end):
                    if lines[index].strip():
                        lines[index] = "\n"
                        blanked = True
            if not blanked or not any(line.strip() for line in lines):
                return parsed
    return parsed


def _placed(issue: PolicyIssue, lines: list[str], opened: list[int]) -> PolicyIssue:
    """A syntax issue named by its block (``routing[R05_x]``), with where an unfinished `{` or quote opened."""
    if issue.code != "yaml_syntax":
        return issue
    span = _block(lines, opened[0] if opened else issue.line)
    path = issue.path
    if span is not None and not path:
        start, end, section, whole = span
        ident = _ID.search("".join(lines[start:end]))
        path = section if whole or ident is None else f"{section}[{ident.group(1)}]"
    return replace(issue, path=path, args=(("opened", str(opened[0])),) if opened else ())


def _unsafe(issues: list[PolicyIssue]) -> bool:
    """Problems that say nothing more can be read safely: stop rather than look further."""
    return any(issue.code == "policy_unreadable" or "expands to more than" in issue.message for issue in issues)


def _context_lines(text: str) -> list[int]:
    """Where PyYAML saw the construct it could not finish (an unclosed `{`): the real mistake is often there."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return [exc.context_mark.line + 1] if exc.context_mark else []
    except yaml.YAMLError:
        return []
    return []


def _block(lines: list[str], line: int) -> tuple[int, int, str, bool] | None:
    """The lines [start, end) of the rule or section holding 1-based ``line``, its section, and whether whole."""
    index = min(max(line - 1, 0), len(lines) - 1)
    start = next((i for i in range(index, -1, -1) if _TOP_KEY.match(lines[i])), None)
    if start is None:
        return None
    section = _TOP_KEY.match(lines[start]).group(1)  # type: ignore[union-attr]  # matched just above
    end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
    content = [i for i in range(start + 1, end) if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    if content and index > start and lines[content[0]].lstrip().startswith("- "):  # a list section: its items
        indent = _indent(lines[content[0]])
        heads = [i for i in content if _indent(lines[i]) == indent and lines[i].lstrip().startswith("- ")]
        first = max((i for i in heads if i <= index), default=None)
        if first is not None:
            last = next((i for i in heads if i > first), end)
            return first, last, section, False
    return start, end, section, True


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
