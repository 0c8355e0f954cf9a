"""Load a policy file: parse, validate structure, check meaning, build the model.

Every problem is collected and reported together, each located at
file:line:column with the dotted path of the value.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from canonical import canonical_json, sha256_hex
from rules.compiler import MAX_RULES_PER_RULESET
from rules.conditions import Condition, parse_condition
from rules.errors import EngineLimitError, PolicyError, PolicyIssue
from rules.field_errors import DICT_ENTRY, SCHEMA_WIDE, flatten_messages
from rules.model import (
    BREACH_EVENT,
    AcceptedFinding,
    AmountSpec,
    Authority,
    CalendarSpec,
    Caps,
    Clock,
    ClockKind,
    Component,
    DeadlineRule,
    Due,
    Event,
    Policy,
    Records,
    RemedyRule,
    RouteOutcome,
    RoutingRule,
    RuleInfo,
    Window,
)
from rules.one_pass import check_all
from rules.plain_words import describe
from rules.resync import parse_resynchronised
from rules.vocabulary import DEADLINE_UNITS, INPUT_FLAGS, WEEKDAYS, FieldKind, decision_fields, fact_fields
from rules.yaml_source import MAX_POLICY_BYTES, SourceMap

# The policy document as the schema loaded it (rules/schema.py fixes its shape): read by key.
PolicyData = dict[str, Any]


def read_policy_source(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of a policy (or policy tests) file, reading at most ``MAX_POLICY_BYTES`` + 1 bytes.

    Bounded, so that a runaway generator is refused at once instead of read until memory runs out; anything
    but a regular file (a FIFO, a device such as /dev/zero, a directory) is refused before it is read.
    """
    path = Path(path)
    try:
        # Opened without blocking and checked on the open file (no gap to swap it): opening a FIFO for
        # reading waits for a writer, which would hang `check`, a start or the reload thread.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        kind = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(kind):
            os.close(descriptor)
            raise PolicyError(
                [
                    PolicyIssue(
                        str(path),
                        1,
                        1,
                        "",
                        f"the {what} is {_kind_of(kind)}, not a regular file; give the path of the YAML file itself",
                        "policy_unreadable",
                    )
                ]
            )
        os.set_blocking(descriptor, True)
        with os.fdopen(descriptor, "rb") as file:
            raw = file.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        raise PolicyError(
            [PolicyIssue(str(path), 1, 1, "", f"cannot read the {what}: {exc.strerror}", "policy_unreadable")]
        ) from None
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(
            [
                PolicyIssue(
                    str(path), 1, 1, "", f"the {what} is larger than {MAX_POLICY_BYTES} bytes", "policy_unreadable"
                )
            ]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(
            [PolicyIssue(str(path), 1, 1, "", f"expected UTF-8 text: {exc.reason}", "policy_unreadable")]
        ) from None


def _kind_of(mode: int) -> str:
    for test, words in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return words
    return "not a file"


def load_policy_file(path: str | Path) -> Policy:
    return load_policy_text(read_policy_source(path), str(path))


# The rule sections are counted while the YAML is read: past the engine's ruleset size, nothing is built.
_RULE_SECTIONS = {
    section: (
        MAX_RULES_PER_RULESET,
        "engine_limit",
        f"more than {MAX_RULES_PER_RULESET} {kind} rules; the engine holds at most {MAX_RULES_PER_RULESET} "
        "in one ruleset: merge rules or split the policy",
    )
    for section, kind in (("routing", "routing"), ("remedies", "remedy"), ("deadlines", "deadline"))
}


def load_policy_text(text: str, file: str = "<policy>") -> Policy:
    """The policy, or a ``PolicyError`` with every problem found in one pass, in plain words.

    A YAML mistake stops only its own block (rules/resync.py); the schema and the checks of
    meaning run on everything that parsed (rules/one_pass.py); rules/plain_words.py words it all.
    """
    parsed = parse_resynchronised(text, file, _RULE_SECTIONS)
    raw, source, issues = parsed.raw, parsed.source, list(parsed.issues)
    policy = None
    if source is not None and not isinstance(raw, dict):
        issues.append(source.issue("", "expected a mapping with sections policy, levels, teams, ...", "schema"))
    elif source is not None and isinstance(raw, dict):
        try:
            _check_rule_count(raw, source)  # before anything is built
        except PolicyError as error:
            raise type(error)(describe([*issues, *error.issues], raw, text)) from None
        policy, found = check_all(
            raw,
            source,
            lambda data: _Builder(data, source, text).build(),
            _schema_issues,
            parsed.skipped_sections,
            parsed.skipped_ids,
            parsed.thinned_sections,
        )
        issues.extend(found)
    if issues or policy is None:
        raise PolicyError(describe(issues, raw, text))
    return policy


def _check_rule_count(raw: Mapping[str, Any], source: SourceMap) -> None:
    """Routing and remedy rules share one ruleset: refuse more than it holds before building any of them."""
    counts = [len(raw[name]) if isinstance(raw.get(name), list) else 0 for name in ("routing", "remedies")]
    if sum(counts) > MAX_RULES_PER_RULESET:
        # Located at the first rule past the limit.
        first_over = (
            f"routing.{MAX_RULES_PER_RULESET}"
            if counts[0] > MAX_RULES_PER_RULESET
            else f"remedies.{MAX_RULES_PER_RULESET - counts[0]}"
        )
        raise EngineLimitError(
            [
                source.issue(
                    first_over,
                    f"{sum(counts)} routing and remedy rules ({counts[0]} + {counts[1]}); the engine holds at most "
                    f"{MAX_RULES_PER_RULESET} in one ruleset: merge rules or split the policy",
                    "engine_limit",
                )
            ]
        )


def _schema_issues(messages: object) -> list[tuple[str, str]]:
    found = flatten_messages(messages, transparent=(SCHEMA_WIDE, *DICT_ENTRY))
    return [(path, _PLAIN.get(message, message)) for path, texts in found.items() for message in texts]


_PLAIN = {
    "Unknown field.": "unknown key; check its spelling and indentation",
    "Missing data for required field.": "required key is missing",
}


class _Builder:
    def __init__(self, data: PolicyData, source: SourceMap, text: str):
        self.data = data
        self.source = source
        self.text = text
        self.issues: list[PolicyIssue] = []

    def problem(self, code: str, path: str, message: str) -> None:
        self.issues.append(self.source.issue(path, message, code))

    def info(self, raw: PolicyData, path: str) -> RuleInfo:
        return RuleInfo(raw["id"], raw["description"], raw["basis"], self.source.locate(path)[0])

    def build(self) -> Policy:
        data = self.data
        levels = tuple(level["id"] for level in data["levels"])
        teams = tuple(team["id"] for team in data["teams"])
        self.check_unique(levels, "levels", "level")
        self.check_unique(teams, "teams", "team")
        defaults = [team["id"] for team in data["teams"] if team["default"]]
        if len(defaults) != 1:
            self.problem(
                "inconsistent", "teams", f"expected exactly one team marked `default: true`, found {len(defaults)}"
            )
        authority = self.authority(levels, teams)
        windows = self.windows(levels, teams)
        output_flags = tuple(
            sorted(
                set(INPUT_FLAGS)
                | {flag for rule in data["routing"] for flag in rule["then"].get("flags", [])}
                | {"calendar_fallback"}
            )
        )
        stage1 = fact_fields(levels, teams, tuple(w.id for w in windows), output_flags)
        stage2 = {**stage1, **decision_fields(levels, teams, output_flags)}
        self.check_rule_ids()
        routing = self.routing(stage1, levels, teams)
        remedies = self.remedies(stage1)
        events = self.events(stage1)
        deadlines = self.deadlines(stage2, events)
        clock = self.clock(stage1, events, deadlines)
        calendar = self.calendar()
        accepted = self.accepted_findings()
        if self.issues:
            raise PolicyError(self.issues)
        canonical = canonical_json(data)
        header = data["policy"]
        auth = data["authority"]
        return Policy(
            name=header["name"],
            version=header["version"],
            announced_at=header["announced_at"],
            effective_from=header["effective_from"],
            major=header["major"],
            timezone=header["timezone"],
            levels=levels,
            level_labels={lv["id"]: lv["label"] for lv in data["levels"]},
            teams=teams,
            team_labels={t["id"]: t["label"] for t in data["teams"]},
            default_team=defaults[0],
            first_responder=RuleInfo(
                "first_responder",
                data["first_responder"]["description"],
                data["first_responder"]["basis"],
                self.source.locate("first_responder")[0],
            ),
            authority=authority,
            authority_basis=auth["basis"],
            approval_floor=self.info(auth["approval_floor"], "authority.approval_floor"),
            claim_caps=Caps(frozenset(auth["claim_caps"]["types"]), auth["claim_caps"]["basis"]),
            order_caps=Caps(frozenset(auth["order_caps"]["types"]), auth["order_caps"]["basis"]),
            windows=windows,
            routing=routing,
            remedies=remedies,
            events=events,
            deadlines=deadlines,
            calendar=calendar,
            records=Records(**data["records"]),
            source_file=self.source.file,
            text=self.text,
            canonical=canonical,
            digest=sha256_hex(canonical),
            accepted_findings=accepted,
            clock=clock,
        )

    def check_unique(self, ids: tuple[str, ...], path: str, what: str) -> None:
        for name, count in Counter(ids).items():
            if count > 1:
                self.problem("duplicate", path, f"{what} `{name}` is listed {count} times")

    def check_rule_ids(self) -> None:
        seen: dict[str, str] = {}
        floor = self.data["authority"]["approval_floor"]["id"]
        seen[floor] = "authority.approval_floor"
        for section in ("routing", "remedies", "deadlines"):
            for index, rule in enumerate(self.data[section]):
                path = f"{section}.{index}.id"
                if rule["id"] in seen:
                    line = self.source.locate(seen[rule["id"]])[0]
                    self.problem("duplicate", path, f"duplicate rule id `{rule['id']}` (first used at line {line})")
                else:
                    seen[rule["id"]] = path

    def accepted_findings(self) -> tuple[AcceptedFinding, ...]:
        known = {self.data["authority"]["approval_floor"]["id"]}
        known.update(rule["id"] for section in ("routing", "remedies", "deadlines") for rule in self.data[section])
        result = []
        for index, raw in enumerate(self.data.get("lint", {}).get("accept", [])):
            path = f"lint.accept.{index}"
            for position, rule_id in enumerate(raw["rules"]):
                if rule_id not in known:
                    self.problem("unknown_name", f"{path}.rules.{position}", f"unknown rule `{rule_id}`")
            line = self.source.locate(path)[0]
            result.append(AcceptedFinding(raw["finding"], tuple(raw["rules"]), raw.get("about"), raw["reason"], line))
        return tuple(result)

    def authority(self, levels: tuple[str, ...], teams: tuple[str, ...]) -> dict[str, Authority]:
        entries = self.data["authority"]["remedies"]
        result: dict[str, Authority] = {}
        for kind, entry in entries.items():
            path = f"authority.remedies.{kind}"
            limits = entry.get("limits")
            if "limits_of" in entry:
                target = entries.get(entry["limits_of"])
                if target is None or "limits" not in target:
                    self.problem(
                        "inconsistent",
                        f"{path}.limits_of",
                        f"`{entry['limits_of']}` has no `limits` of its own to share",
                    )
                    continue
                limits = target["limits"]
            else:
                self.check_limits(limits, levels, f"{path}.limits")
            team = entry.get("approved_by_team")
            if team is not None and team not in teams:
                self.problem(
                    "unknown_name",
                    f"{path}.approved_by_team",
                    f"unknown team `{team}`; expected one of: {', '.join(teams)}",
                )
            if team is None and limits.get(levels[-1]) != "any":
                self.problem(
                    "inconsistent",
                    path,
                    f"amounts above the {levels[-1]} limit have no approver: "
                    f"set {levels[-1]} to `any` or give `approved_by_team`",
                )
            result[kind] = Authority(kind, entry["label"], dict(limits), team)
        for kind in {c["type"] for rule in self.data["remedies"] for c in rule["remedy"]} - result.keys():
            self.problem(
                "missing", "authority.remedies", f"remedy type `{kind}` is used by a rule but has no authority entry"
            )
        return result

    def check_limits(self, limits: PolicyData, levels: tuple[str, ...], path: str) -> None:
        for level in limits:
            if level not in levels:
                self.problem(
                    "unknown_name", f"{path}.{level}", f"unknown level `{level}`; expected one of: {', '.join(levels)}"
                )
        missing = [level for level in levels if level not in limits]
        if missing:
            self.problem("missing", path, f"missing a limit for: {', '.join(missing)}")
            return

        # Authority only grows up the ladder: never < amounts (ascending) < any.
        def rank(value: object) -> tuple[int, object]:
            if value == "never":
                return (0, 0)
            if value == "any":
                return (2, 0)
            return (1, value)

        for lower, higher in zip(levels, levels[1:], strict=False):
            if rank(limits[lower]) > rank(limits[higher]):
                self.problem(
                    "inconsistent",
                    f"{path}.{lower}",
                    f"{lower} limit {limits[lower]} is above the {higher} limit {limits[higher]};"
                    " limits must not decrease up the levels",
                )

    def windows(self, levels: tuple[str, ...], teams: tuple[str, ...]) -> tuple[Window, ...]:
        plain = fact_fields(levels, teams, (), ())
        result = []
        self.check_unique(tuple(w["id"] for w in self.data["windows"]), "windows", "window")
        for index, raw in enumerate(self.data["windows"]):
            kind = plain.get(raw["anchor"])
            if kind is None or kind.kind != "date":
                dates = sorted(name for name, k in plain.items() if k.kind == "date")
                self.problem(
                    "unknown_name", f"windows.{index}.from", f"expected a date field, one of: {', '.join(dates)}"
                )
            ((unit, amount),) = raw["period"].items()
            roll_forward = raw.get("roll_forward", True)
            if "roll_forward" in raw and unit not in ("calendar_days", "years"):
                self.problem(
                    "inconsistent",
                    f"windows.{index}.roll_forward",
                    f"roll_forward applies to periods of calendar_days or years; a period of {unit} "
                    + ("ends on a working day already" if unit == "working_days" else "is counted on the clock"),
                )
            result.append(Window(raw["id"], raw["label"], raw["anchor"], unit, amount, raw["basis"], roll_forward))
        return tuple(result)

    def condition(self, rule: PolicyData, fields: dict[str, FieldKind], path: str) -> Condition:
        condition, problems = parse_condition(rule["when"], rule.get("when_any"), fields, path)
        for where, message in problems:
            self.problem("condition", where, message)
        return condition

    def routing(
        self, fields: dict[str, FieldKind], levels: tuple[str, ...], teams: tuple[str, ...]
    ) -> tuple[RoutingRule, ...]:
        result = []
        for index, raw in enumerate(self.data["routing"]):
            path = f"routing.{index}"
            then = raw["then"]
            if "team" in then and then["team"] not in teams:
                self.problem(
                    "unknown_name",
                    f"{path}.then.team",
                    f"unknown team `{then['team']}`; expected one of: {', '.join(teams)}",
                )
            if "min_level" in then and then["min_level"] not in levels:
                self.problem(
                    "unknown_name",
                    f"{path}.then.min_level",
                    f"unknown level `{then['min_level']}`; expected one of: {', '.join(levels)}",
                )
            if "redirect" in then and len(then) > 1:
                self.problem(
                    "inconsistent",
                    f"{path}.then.redirect",
                    "a redirect stands alone: it routes the complaint out, with no team, level or flags",
                )
            outcome = RouteOutcome(
                then.get("team"),
                then.get("min_level"),
                then.get("escalate_above"),
                tuple(then.get("flags", ())),
                then.get("redirect"),
            )
            result.append(RoutingRule(self.info(raw, path), self.condition(raw, fields, path), outcome))
        return tuple(result)

    def remedies(self, fields: dict[str, FieldKind]) -> tuple[RemedyRule, ...]:
        result = []
        for index, raw in enumerate(self.data["remedies"]):
            path = f"remedies.{index}"
            categories = raw["category"] if isinstance(raw["category"], list) else [raw["category"]]
            components = []
            for position, comp in enumerate(raw["remedy"]):
                amount = comp.get("amount")
                needs_amount = comp["type"] in {"refund", "return_refund", "resend", "compensation", "punitive_damages"}
                if needs_amount and amount is None:
                    self.problem("missing", f"{path}.remedy.{position}", f"a `{comp['type']}` needs an `amount`")
                if not needs_amount and amount is not None:
                    self.problem(
                        "inconsistent", f"{path}.remedy.{position}.amount", f"a `{comp['type']}` has no amount"
                    )
                components.append(
                    Component(
                        comp["type"],
                        AmountSpec(**amount) if amount else None,
                        comp["goods_return"],
                        comp.get("return_shipping_paid_by"),
                        comp.get("outbound_shipping_paid_by"),
                    )
                )
            result.append(
                RemedyRule(
                    self.info(raw, path),
                    tuple(categories),
                    self.condition(raw, fields, path),
                    tuple(components),
                    raw.get("reason"),
                )
            )
        return tuple(result)

    def events(self, fields: dict[str, FieldKind]) -> dict[str, Event]:
        result = {}
        setters: dict[str, str] = {}  # field -> the first event that sets it
        for name, raw in self.data["events"].items():
            field_name = raw.get("field")
            if field_name is not None and field_name in setters:
                # Brief §9: one event never stands in for another (the goods at the seller start the
                # refund, the goods at the service centre an exchange or a repair).
                self.problem(
                    "inconsistent",
                    f"events.{name}.field",
                    f"`{field_name}` is set by event `{setters[field_name]}` already: each event starts only its own"
                    " deadlines; give this event no field, or a field of its own",
                )
            elif field_name is not None:
                setters[field_name] = name
            if field_name is not None and field_name != "received_at":
                kind = fields.get(field_name)
                if kind is None or kind.kind != "date":
                    self.problem(
                        "unknown_name",
                        f"events.{name}.field",
                        f"expected received_at or a date field, got `{field_name}`",
                    )
            if name == BREACH_EVENT:
                self.problem(
                    "unknown_name",
                    f"events.{name}",
                    f"`{name}` is recorded by the escalation run itself; choose another event name",
                )
            counts = raw.get("counts")
            if counts is not None and not _history_field(fields, counts, "count"):
                self.problem(
                    "unknown_name",
                    f"events.{name}.counts",
                    f"expected a count field of history, got `{counts}`",
                )
            result[name] = Event(name, raw["label"], field_name, counts, raw.get("once", False))
        return result

    def clock(
        self, fields: dict[str, FieldKind], events: dict[str, Event], deadlines: tuple[DeadlineRule, ...]
    ) -> Clock:
        raw = self.data.get("clock")
        if raw is None:
            return Clock()
        kinds = list(dict.fromkeys(rule.kind for rule in deadlines))
        result = {}
        for kind, spec in raw["kinds"].items():
            path = f"clock.kinds.{kind}"
            if kind not in kinds:
                self.problem(
                    "unknown_name", path, f"unknown deadline kind `{kind}`; expected one of: {', '.join(kinds)}"
                )
            for key in ("met_by", "pauses_on", "resumes_on"):
                for name in spec.get(key, []):
                    if name not in events:
                        self.problem(
                            "unknown_name",
                            f"{path}.{key}",
                            f"unknown event `{name}`; expected one of: {', '.join(events)}",
                        )
            if spec.get("pauses_on") and not spec.get("resumes_on"):
                self.problem("inconsistent", f"{path}.resumes_on", "a kind that pauses needs `resumes_on` events")
            sets = spec.get("breach_sets")
            if sets is not None:
                if not _history_field(fields, sets, "bool"):
                    self.problem(
                        "unknown_name", f"{path}.breach_sets", f"expected a yes/no field of history, got `{sets}`"
                    )
                if not spec.get("record_breach"):
                    self.problem("inconsistent", f"{path}.breach_sets", "`breach_sets` needs `record_breach: true`")
            result[kind] = ClockKind(
                kind,
                tuple(spec["met_by"]),
                tuple(spec.get("pauses_on", ())),
                tuple(spec.get("resumes_on", ())),
                spec.get("record_breach", False),
                sets,
            )
        return Clock(raw["due_soon_percent"], result)

    def deadlines(self, fields: dict[str, FieldKind], events: dict[str, Event]) -> tuple[DeadlineRule, ...]:
        kinds = {raw["kind"] for raw in self.data["deadlines"]}
        result = []
        for index, raw in enumerate(self.data["deadlines"]):
            path = f"deadlines.{index}"
            due = raw["due"]
            if "after" in due and due["after"] not in events:
                self.problem(
                    "unknown_name",
                    f"{path}.due.after",
                    f"unknown event `{due['after']}`; expected one of: {', '.join(events)}",
                )
            if "with_" in due and (due["with_"] not in kinds or due["with_"] == raw["kind"]):
                self.problem(
                    "unknown_name",
                    f"{path}.due.with",
                    f"expected another deadline kind, one of: {', '.join(sorted(kinds - {raw['kind']}))}",
                )
            unit = next((u for u in DEADLINE_UNITS if u in due), None)
            result.append(
                DeadlineRule(
                    self.info(raw, path),
                    raw["kind"],
                    self.condition(raw, fields, path),
                    Due(
                        due.get("after"),
                        due.get("with_"),
                        unit,
                        due.get(unit) if unit else None,
                        due.get("roll_forward"),
                    ),
                    raw.get("legal", False),
                )
            )
        return tuple(result)

    def calendar(self) -> CalendarSpec:
        raw = self.data["calendar"]
        holidays: set[dt.date] = set()
        makeup: set[dt.date] = set()
        for year, spec in raw["years"].items():
            path = f"calendar.years.{year}"
            for name, days, target in (
                ("holidays", spec["holidays"], holidays),
                ("makeup_working_days", spec["makeup_working_days"], makeup),
            ):
                for day in days:
                    if day.year != year:
                        self.problem("calendar", f"{path}.{name}", f"{day} is not in {year}")
                target.update(days)
            for day in spec["makeup_working_days"]:
                if day in holidays:
                    self.problem(
                        "calendar", f"{path}.makeup_working_days", f"{day} is both a holiday and a make-up working day"
                    )
        weekend = frozenset(WEEKDAYS.index(day) + 1 for day in raw["weekend"])
        for day in sorted(makeup):
            if day.isoweekday() not in weekend:
                self.problem(
                    "calendar",
                    f"calendar.years.{day.year}.makeup_working_days",
                    f"{day} is a {WEEKDAYS[day.weekday()]}, already a working day",
                )
        return CalendarSpec(
            raw["basis"],
            weekend,
            raw["outside_known_years"],
            frozenset(holidays),
            frozenset(makeup),
            tuple(sorted(raw["years"])),
            raw.get("warn_days_before_end", 60),
        )


def _history_field(fields: Mapping[str, FieldKind], name: str, kind: str) -> bool:
    """``name`` is a field of ``history`` of that kind (events and breaches write only the history)."""
    found = fields.get(name)
    return name.startswith("history.") and found is not None and found.kind == kind
