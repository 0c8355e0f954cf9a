"""The canonical layout of a policy file (`complaints fmt`), comments kept.

ruamel.yaml's round trip rewrites the text: two spaces per level, list items as `  - ` under
their key, one space after each colon, no trailing spaces, one newline at the end. Comments,
quotes, flow `{…}` / `[…]` and folded `>-` text stay as written, and so does the order of keys.

Formatting never changes what the policy says: the text is first read by the safe loader
(rules/yaml_source.py, which refuses tags and alias bombs), and the formatted text must read
back to the very same values, or nothing is written.
"""

from __future__ import annotations

import io

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from rules.errors import PolicyError, PolicyIssue
from rules.plain_words import describe
from rules.resync import parse_resynchronised
from rules.yaml_source import load_yaml_text

WIDTH = 4096  # never wrap: a line break inside a description is the author's choice


class FormatError(Exception):
    """The formatted text would not read back as the same policy; nothing was written."""


def canonical_text(text: str, file: str = "<policy>") -> str:
    """``text`` in the canonical layout. Raises ``PolicyError`` for text that is not safe YAML."""
    parsed = parse_resynchronised(text, file)  # every YAML mistake at once, in plain words
    if parsed.issues:
        raise PolicyError(describe(parsed.issues, parsed.raw, text))
    before = parsed.raw
    yaml = _round_trip()
    try:
        document = yaml.load(text)
        out = io.StringIO()
        yaml.dump(document, out)
    except YAMLError as exc:
        raise PolicyError([PolicyIssue(file, 1, 1, "", f"invalid YAML: {exc}", "yaml_syntax")]) from None
    formatted = "\n".join(line.rstrip() for line in out.getvalue().splitlines()).rstrip("\n") + "\n"
    after, _ = load_yaml_text(formatted, file)
    if after != before:
        raise FormatError(f"{file}: formatting would change the policy's values; the file was left as it is")
    return formatted


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    yaml.preserve_quotes = True
    yaml.allow_unicode = True
    return yaml
