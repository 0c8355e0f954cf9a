"""Check every part of a policy that can be checked, even when other parts are wrong.

The schema refuses the whole document for any one mistake, and the checks of meaning
(rules/loader.py ``_Builder``) need a document the schema accepted. So once the schema has
named every structural mistake, each wrong part is set aside: an unknown key is removed, a
wrong rule or section is replaced by a neutral stand-in that passes the schema (keeping its id,
so that references to it still resolve), a wrong authority entry or event is removed. The checks
of meaning then run on the rest, and what they say about a part set aside is dropped: the
schema has already spoken about it. A stand-in never reaches a ``Policy``: the policy is refused
whenever anything was set aside. Where no neutral stand-in exists (levels, teams, the authority
table as a whole, events as a whole), only the schema's findings are given.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from rules.errors import PolicyError, PolicyIssue
from rules.field_errors import DICT_ENTRY, SCHEMA_WIDE, flatten_messages
from rules.model import Policy
from rules.schema import PolicySchema
from rules.yaml_source import SourceMap

UNKNOWN_KEY = "unknown key; check its spelling and indentation"
MAX_ROUNDS = 3
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_SECTION_STANDINS: dict[str, object] = {
    "policy": {"name": "-", "version": "-", "announced_at": _EPOCH, "effective_from": _EPOCH},
    "first_responder": {"description": "-", "basis": "-"},
    "records": {
        "retention_years": 3,
        "retention_basis": "-",
        "explanation_basis": "-",
        "change_notice_days": 0,
        "major_change_notice_days": 0,
        "change_notice_basis": "-",
    },
    "calendar": {"basis": "-", "outside_known_years": "error", "years": {}},
    "windows": [],
    "routing": [],
    "remedies": [],
    "deadlines": [],
}
_AUTHORITY_STANDINS: dict[str, object] = {
    "basis": "-",
    "claim_caps": {"types": [], "basis": "-"},
    "order_caps": {"types": [], "basis": "-"},
}


@dataclass
class Aside:
    """What was set aside: the paths of the parts replaced or removed, and names removed with them."""

    paths: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    exact: set[str] = field(default_factory=set)  # paths covered themselves, not what lies under them

    def covers(self, issue: PolicyIssue) -> bool:
        if issue.path in self.exact or any(issue.path == p or issue.path.startswith(p + ".") for p in self.paths):
            return True
        return any(f"`{name}`" in issue.message for name in self.names)


def check_all(
    raw: dict[str, Any],
    source: SourceMap,
    build: Callable[[dict[str, Any]], Policy],
    schema_issues: Callable[[object], list[tuple[str, str]]],
    skipped_sections: set[str],
    skipped_ids: set[str],
    thinned_sections: Collection[str] = (),
) -> tuple[Policy | None, list[PolicyIssue]]:
    """The policy if every check passes, else None; and every issue found, structure and meaning.

    ``skipped_*`` are what the YAML resynchronisation blanked: sections, rule ids, and list sections
    with items blanked (left empty, such a section reads as null: not a mistake of its own).
    """
    skipped = Aside(sorted(skipped_sections), set(skipped_ids), set(thinned_sections))
    try:
        data = PolicySchema().load(raw)
    except ValidationError as exc:
        found = schema_issues(exc.messages)
        issues = [source.issue(path, message, "schema") for path, message in found]
        issues = [issue for issue in issues if not skipped.covers(issue)]
        aside = Aside()
        data = _set_aside(raw, found, aside)
        if data is None:
            return None, issues
        try:
            build(data)
        except PolicyError as error:
            issues.extend(i for i in error.issues if not aside.covers(i) and not skipped.covers(i))
        except Exception:  # the checks of meaning ran on stand-ins: a fault there must not hide the schema's findings
            pass
        return None, issues
    try:
        return build(data), []
    except PolicyError as error:
        return None, [issue for issue in error.issues if not skipped.covers(issue)]


def _set_aside(raw: dict[str, Any], found: list[tuple[str, str]], aside: Aside) -> dict[str, Any] | None:
    """``raw`` with every wrong part set aside, loaded by the schema; None if that is not possible."""
    data = copy.deepcopy(raw)
    for _ in range(MAX_ROUNDS):
        for path, message in found:
            if not _put_aside(data, path, message, aside):
                return None
        try:
            loaded: dict[str, Any] = PolicySchema().load(data)
            return loaded
        except ValidationError as exc:
            found = [(path, message) for path, message in _flat(exc.messages)]
    return None


def _flat(messages: object) -> list[tuple[str, str]]:
    flat = flatten_messages(messages, transparent=(SCHEMA_WIDE, *DICT_ENTRY))
    return [(path, text) for path, texts in flat.items() for text in texts]


def _put_aside(data: dict[str, Any], path: str, message: str, aside: Aside) -> bool:
    parts = path.split(".")
    if message in (UNKNOWN_KEY, "Unknown field."):
        parent = _at(data, parts[:-1])
        if isinstance(parent, dict):
            for key in [k for k in parent if str(k) == parts[-1]]:
                del parent[key]
            aside.paths.append(path)
            return True
    head = parts[0]
    if head in ("windows", "routing", "remedies", "deadlines") and len(parts) > 1 and parts[1].isdigit():
        items = data.get(head)
        if isinstance(items, list) and int(parts[1]) < len(items):
            items[int(parts[1])] = _rule_standin(head, items[int(parts[1])], int(parts[1]))
            aside.paths.append(f"{head}.{parts[1]}")
            return True
    if head in ("levels", "teams") and len(parts) > 1 and parts[1].isdigit():
        items = data.get(head)
        index = int(parts[1])
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            ident = items[index].get("id")
            if isinstance(ident, str) and _IDENTIFIER.match(ident):
                standin = {"id": ident, "label": "-"}
                if head == "teams" and isinstance(items[index].get("default"), bool):
                    standin["default"] = items[index]["default"]
                items[index] = standin
                aside.paths.append(f"{head}.{index}")
                return True
        return False
    if head == "authority" and len(parts) > 2 and parts[1] == "remedies":
        entries = _at(data, ["authority", "remedies"])
        if isinstance(entries, dict):
            levels = [lv.get("id") for lv in data.get("levels") or [] if isinstance(lv, dict)]
            if parts[2] in entries and levels and all(isinstance(lv, str) for lv in levels):
                # Anyone may grant it: a stand-in that other entries' `limits_of` can still share.
                entries[parts[2]] = {"label": "-", "limits": dict.fromkeys(levels, "any")}
            else:
                entries.pop(parts[2], None)
                aside.names.add(parts[2])
            aside.paths.append(".".join(parts[:3]))
            return True
    if head == "authority" and len(parts) > 1 and parts[1] in (*_AUTHORITY_STANDINS, "approval_floor"):
        authority = data.get("authority")
        if isinstance(authority, dict):
            if parts[1] == "approval_floor":
                floor = authority.get("approval_floor")
                ident = floor.get("id") if isinstance(floor, dict) else None
                ident = ident if isinstance(ident, str) and _IDENTIFIER.match(ident) else "set_aside_floor"
                authority["approval_floor"] = {"id": ident, "description": "-", "basis": "-"}
            else:
                authority[parts[1]] = copy.deepcopy(_AUTHORITY_STANDINS[parts[1]])
            aside.paths.append(".".join(parts[:2]))
            return True
    if head == "events" and len(parts) > 1 and isinstance(data.get("events"), dict):
        data["events"].pop(parts[1], None)
        aside.paths.append(".".join(parts[:2]))
        aside.names.add(parts[1])
        return True
    if head == "calendar" and len(parts) > 2 and parts[1] == "years":
        years = _at(data, ["calendar", "years"])
        if isinstance(years, dict):
            for key in [k for k in years if str(k) == parts[2]]:
                del years[key]
            aside.paths.append(".".join(parts[:3]))
            return True
    if head == "lint":
        data.pop("lint", None)
        aside.paths.append("lint")
        return True
    if head in _SECTION_STANDINS:
        data[head] = copy.deepcopy(_SECTION_STANDINS[head])
        aside.paths.append(head)
        return True
    if len(parts) == 1 and message in (UNKNOWN_KEY, "Unknown field."):
        data.pop(head, None)
        aside.paths.append(head)
        return True
    return False


def _rule_standin(section: str, item: object, index: int) -> dict[str, object]:
    """A rule that passes the schema and says nothing, under the original id where it has one."""
    ident = item.get("id") if isinstance(item, dict) else None
    if not (isinstance(ident, str) and _IDENTIFIER.match(ident)):
        ident = f"set_aside_{section}_{index}"
    described = {"id": ident, "description": "-", "basis": "-"}
    if section == "routing":
        return {**described, "then": {"flags": ["set_aside"]}}
    if section == "remedies":
        return {**described, "category": "other", "remedy": "none", "reason": "-"}
    if section == "deadlines":
        kind = item.get("kind") if isinstance(item, dict) else None
        kind = kind if isinstance(kind, str) and _IDENTIFIER.match(kind) else "set_aside"
        return {**described, "kind": kind, "due": {"after": "set_aside", "minutes": 1}}
    return {"id": ident, "label": "-", "from": "order.delivered_at", "period": {"calendar_days": 1}, "basis": "-"}


def _at(data: object, parts: list[str]) -> object:
    value = data
    for part in parts:
        if isinstance(value, dict):
            value = next((v for k, v in value.items() if str(k) == part), None)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value
