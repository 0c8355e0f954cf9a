"""Safe YAML loading that remembers where every value came from.

PyYAML's SafeLoader builds no objects, but it still expands aliases without
bound and reads floats as binary floats. We compose the node tree ourselves so
that (1) money stays Decimal, (2) every value has a line and column for error
messages, and (3) alias expansion and document size are capped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import yaml

from rules.errors import PolicyError, PolicyIssue

MAX_POLICY_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000

# The tags plain YAML resolves to by itself. Any other tag was written in the file
# (``!!python/object``, ``!!binary``, ``!local``) and is refused, on any node.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "merge", "value", "map", "seq")
)
_INT = re.compile(r"^[-+]?[0-9][0-9_]*$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")


@dataclass
class SourceMap:
    """Maps a dotted path (``routing.3.when``) to the (line, column) it was read at."""

    file: str
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: str) -> tuple[int, int]:
        probe = path
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe.rpartition(".")[0]
        return self.marks.get("", (1, 1))

    def issue(self, path: str, message: str, code: str) -> PolicyIssue:
        line, column = self.locate(path)
        return PolicyIssue(self.file, line, column, path, message, code)


def load_yaml_text(text: str, file: str) -> tuple[object, SourceMap]:
    """Parse ``text`` into plain Python values plus a map of where each came from."""
    source = SourceMap(file)
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise PolicyError(
            [PolicyIssue(file, 1, 1, "", f"file is larger than {MAX_POLICY_BYTES} bytes", "policy_unreadable")]
        )
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise PolicyError([PolicyIssue(file, line, column, "", f"invalid YAML: {problem}", "yaml_syntax")]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([PolicyIssue(file, 1, 1, "", f"invalid YAML: {exc}", "yaml_syntax")]) from None
    if node is None:
        raise PolicyError([PolicyIssue(file, 1, 1, "", "the file is empty", "yaml_structure")])
    builder = _Builder(source)
    value = builder.build(node, "")
    if builder.issues:
        raise PolicyError(builder.issues)
    return value, source


class _Builder:
    def __init__(self, source: SourceMap):
        self.source = source
        self.count = 0
        self.issues: list[PolicyIssue] = []

    def build(self, node: yaml.Node, path: str) -> object:
        self.count += 1
        if self.count > MAX_NODES:
            raise PolicyError(
                [
                    self.source.issue(
                        path, f"document expands to more than {MAX_NODES} values (alias bomb?)", "yaml_structure"
                    )
                ]
            )
        self.source.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _PLAIN_TAGS:
            self.issues.append(self._at(node, path, f"tag {node.tag} is not allowed"))
            return None
        if isinstance(node, yaml.MappingNode):
            result: dict = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.issues.append(self._at(key_node, path, "mapping keys must be plain text"))
                    continue
                key = self._scalar(key_node, path)
                key_text = str(key)
                child = f"{path}.{key_text}" if path else key_text
                if key in result:
                    self.issues.append(self._at(key_node, child, "duplicate key"))
                self.source.marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(item, f"{path}.{index}" if path else str(index)) for index, item in enumerate(node.value)
            ]
        assert isinstance(node, yaml.ScalarNode)  # a composed node is a mapping, a sequence or a scalar
        return self._scalar(node, path)

    def _at(self, node: yaml.Node, path: str, message: str) -> PolicyIssue:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        return PolicyIssue(self.source.file, line, column, path, message, "yaml_structure")

    def _scalar(self, node: yaml.ScalarNode, path: str) -> object:
        if node.tag not in _PLAIN_TAGS:  # keys come here without passing through build()
            self.issues.append(self._at(node, path, f"tag {node.tag} is not allowed"))
            return node.value
        text = node.value
        if node.style is not None:  # quoted: always a string
            return text
        if node.tag == "tag:yaml.org,2002:null" or text in ("", "~", "null", "Null", "NULL"):
            return None
        if node.tag == "tag:yaml.org,2002:bool":
            return text.lower() in ("true", "yes", "on")
        if _INT.match(text):
            return int(text.replace("_", ""))
        if _FLOAT.match(text):
            try:
                return Decimal(text.replace("_", ""))
            except InvalidOperation:
                return text
        if node.tag == "tag:yaml.org,2002:timestamp":
            return _timestamp(text)
        return text


def _timestamp(text: str) -> object:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        return text
