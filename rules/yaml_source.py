"""Safe YAML loading that remembers where every value came from.

PyYAML's SafeLoader builds no objects, but it still expands aliases without
bound and reads floats as binary floats. We compose the node tree ourselves so
that (1) money stays Decimal, (2) every value has a line and column for error
messages, and (3) the text is bounded before anything big is built: its size,
its nesting depth, the items of a list, the nodes composed and the alias
expansion, and the digits of a number. A bound is checked while composing, so a
hostile file (10,000 levels of nesting, 10,000 rules) stops at the first value
past it, in well under a second, instead of after building everything.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import yaml

from rules.errors import PolicyError, PolicyIssue

MAX_POLICY_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000  # values after alias expansion
MAX_COMPOSED_NODES = 50_000  # nodes in the text itself; the shipped policy has under 1,000
MAX_DEPTH = 32  # nesting of mappings and lists; the shipped policy nests 6 deep
MAX_LIST_ITEMS = 1_000  # items of any one list, unless the caller sets a bound for it
MAX_NUMBER_DIGITS = 30  # digits of a number, and of its exponent's magnitude

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


def load_yaml_text(
    text: str, file: str, list_limits: Mapping[str, tuple[int, str, str]] | None = None
) -> tuple[object, SourceMap]:
    """Parse ``text`` into plain Python values plus a map of where each came from.

    ``list_limits``: dotted path of a list -> (most items, issue code, message) for lists the caller
    bounds more tightly than ``MAX_LIST_ITEMS`` (the rule sections: the engine's ruleset size).
    """
    source = SourceMap(file)
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise PolicyError(
            [PolicyIssue(file, 1, 1, "", f"file is larger than {MAX_POLICY_BYTES} bytes", "policy_unreadable")]
        )
    loader = None
    try:
        # Inside the try: the reader refuses unprintable characters (e.g. U+009D) when it is built.
        loader = _BoundedLoader(text, file, list_limits or {})
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise PolicyError([PolicyIssue(file, line, column, "", f"invalid YAML: {problem}", "yaml_syntax")]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([PolicyIssue(file, 1, 1, "", f"invalid YAML: {exc}", "yaml_syntax")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise PolicyError([PolicyIssue(file, 1, 1, "", "the file is empty", "yaml_structure")])
    builder = _Builder(source)
    value = builder.build(node, "")
    if builder.issues:
        raise PolicyError(builder.issues)
    return value, source


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader's composer, stopped at the first node past a bound (depth, list items, node count)."""

    def __init__(self, text: str, file: str, list_limits: Mapping[str, tuple[int, str, str]]):
        super().__init__(text)
        self.file = file
        self.list_limits = list_limits
        self.path: list[str] = []
        self.composed = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if parent is None:
            return super().compose_node(parent, index)
        if isinstance(index, int):  # an item of a list
            where = ".".join(self.path)
            most, code, message = self.list_limits.get(
                where, (MAX_LIST_ITEMS, "policy_limit", f"a list holds at most {MAX_LIST_ITEMS} items")
            )
            if index >= most:
                self._refuse(code, where, message)
            segment = str(index)
        else:  # a mapping's key (index None) or the value under the key node ``index``
            segment = index.value if isinstance(index, yaml.ScalarNode) else "<key>"
        self.composed += 1
        if self.composed > MAX_COMPOSED_NODES:
            self._refuse("policy_limit", ".".join(self.path), f"the text holds more than {MAX_COMPOSED_NODES} values")
        if len(self.path) >= MAX_DEPTH:
            self._refuse("policy_limit", ".".join(self.path), f"mappings and lists nest deeper than {MAX_DEPTH} levels")
        self.path.append(segment)
        try:
            return super().compose_node(parent, index)
        finally:
            self.path.pop()

    def _refuse(self, code: str, path: str, message: str) -> None:
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # PyYAML's stubs leave it untyped
        raise PolicyError([PolicyIssue(self.file, mark.line + 1, mark.column + 1, path, message, code)])


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
            result: dict[object, object] = {}
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
        if _INT.match(text) or _FLOAT.match(text):
            if _too_long(text):
                self.issues.append(
                    PolicyIssue(
                        self.source.file,
                        node.start_mark.line + 1,
                        node.start_mark.column + 1,
                        path,
                        f"a number may have at most {MAX_NUMBER_DIGITS} digits and an exponent of at most "
                        f"{MAX_NUMBER_DIGITS}; got {text[:40]}{'…' if len(text) > 40 else ''}",
                        "policy_limit",
                    )
                )
                return None
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


def _too_long(number: str) -> bool:
    """More digits than any policy value needs (checked before int() or Decimal() sees them)."""
    mantissa, _, exponent = number.replace("_", "").lower().partition("e")
    digits = sum(c.isdigit() for c in mantissa)
    magnitude = exponent.lstrip("+-").lstrip("0")
    return digits > MAX_NUMBER_DIGITS or len(magnitude) > 3 or int(magnitude or "0") > MAX_NUMBER_DIGITS


def _timestamp(text: str) -> object:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        return text
