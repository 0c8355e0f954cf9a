"""The validated policy, as plain immutable objects the engine reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from rules.conditions import Condition


@dataclass(frozen=True)
class RuleInfo:
    """What an explanation cites: id, plain description, legal basis, line in the file."""

    id: str
    description: str
    basis: str
    line: int = 0


@dataclass(frozen=True)
class Window:
    id: str
    label: str
    anchor: str  # fact path of the date the period runs from
    unit: str  # calendar_days | working_days | years | hours (on the clock)
    amount: int
    basis: str
    # CC Art. 203: a last day that is not a working day moves to the next working day. The law's
    # default; an internal SLA in the consumer's favour sets it false (calendar_days and years only).
    roll_forward: bool = True


@dataclass(frozen=True)
class RouteOutcome:
    team: str | None = None
    min_level: str | None = None
    escalate_above: str | None = None
    flags: tuple[str, ...] = ()
    redirect: str | None = None


@dataclass(frozen=True)
class RoutingRule:
    info: RuleInfo
    condition: Condition
    then: RouteOutcome


@dataclass(frozen=True)
class AmountSpec:
    of: str | None = None
    fixed: Decimal | None = None
    percent: Decimal | None = None
    times: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class Component:
    type: str
    amount: AmountSpec | None
    goods_return: bool
    return_shipping_paid_by: str | None  # consumer -> seller, when goods come back
    outbound_shipping_paid_by: str | None = None  # seller -> consumer: a resend, an exchange, a repaired item


@dataclass(frozen=True)
class RemedyRule:
    info: RuleInfo
    categories: tuple[str, ...]
    condition: Condition
    components: tuple[Component, ...]
    reason: str | None


@dataclass(frozen=True)
class Due:
    after: str | None  # event id
    with_kind: str | None
    unit: str | None
    amount: int | None
    # A last calendar day that is not a working day moves to the next working day (CC Art. 201, 203).
    # None: as the rule's nature says: a legal period rolls forward, an internal one does not (brief §9).
    roll_forward: bool | None = None


@dataclass(frozen=True)
class DeadlineRule:
    info: RuleInfo
    kind: str
    condition: Condition
    due: Due
    # A deadline the law sets: missed or breached, the decision is flagged legal_deadline_breached;
    # an internal one (an SLA) missed is a breach of the SLA, never a legal breach (brief §9).
    legal: bool = False

    @property
    def rolls_forward(self) -> bool:
        return self.legal if self.due.roll_forward is None else self.due.roll_forward


Rule = RoutingRule | RemedyRule | DeadlineRule


@dataclass(frozen=True)
class Event:
    id: str
    label: str
    field: str | None
    counts: str | None = None  # a history count field each reported event adds 1 to
    once: bool = False  # at most one per complaint


# The event the escalation run records when a deadline passes unmet; never reported by a caller.
BREACH_EVENT = "deadline_breached"


@dataclass(frozen=True)
class ClockKind:
    """The policy's clock for one deadline kind (section `clock`)."""

    kind: str
    met_by: tuple[str, ...]
    pauses_on: tuple[str, ...] = ()
    resumes_on: tuple[str, ...] = ()
    record_breach: bool = False
    breach_sets: str | None = None


@dataclass(frozen=True)
class Clock:
    due_soon_percent: int = 80
    kinds: dict[str, ClockKind] = field(default_factory=dict)


@dataclass(frozen=True)
class Authority:
    type: str
    label: str
    limits: dict[str, Decimal | str]  # level -> amount | "any" | "never"
    approved_by_team: str | None


@dataclass(frozen=True)
class Caps:
    types: frozenset[str]
    basis: str


@dataclass(frozen=True)
class CalendarSpec:
    basis: str
    weekend: frozenset[int]  # isoweekday numbers, 6 and 7 by default
    outside_known_years: str  # error | weekends_only | statutory
    holidays: frozenset[dt.date]
    makeup_working_days: frozenset[dt.date]
    years: tuple[int, ...]
    warn_days_before_end: int = 60  # lint and /readyz warn when less calendar than this is left


@dataclass(frozen=True)
class Records:
    retention_years: int
    retention_basis: str
    explanation_basis: str
    change_notice_days: int
    major_change_notice_days: int
    change_notice_basis: str


@dataclass(frozen=True)
class AcceptedFinding:
    """A lint finding the policy marks as deliberate (`lint: accept:`)."""

    finding: str
    rules: tuple[str, ...]
    about: str | None
    reason: str
    line: int = 0


@dataclass(frozen=True)
class Policy:
    name: str
    version: str
    announced_at: dt.datetime
    effective_from: dt.datetime
    major: bool
    timezone: str
    levels: tuple[str, ...]
    level_labels: dict[str, str]
    teams: tuple[str, ...]  # most specific first
    team_labels: dict[str, str]
    default_team: str
    first_responder: RuleInfo
    authority: dict[str, Authority]
    authority_basis: str
    approval_floor: RuleInfo
    claim_caps: Caps
    order_caps: Caps
    windows: tuple[Window, ...]
    routing: tuple[RoutingRule, ...]
    remedies: tuple[RemedyRule, ...]
    events: dict[str, Event]
    deadlines: tuple[DeadlineRule, ...]
    calendar: CalendarSpec
    records: Records
    source_file: str
    text: str = field(repr=False)
    canonical: str = field(repr=False)
    digest: str
    accepted_findings: tuple[AcceptedFinding, ...] = ()
    clock: Clock = field(default_factory=Clock)

    def level_rank(self, level: str) -> int:
        return self.levels.index(level)

    @property
    def all_rules(self) -> tuple[Rule, ...]:
        """Every routing, remedy and deadline rule, in that order."""
        return (*self.routing, *self.remedies, *self.deadlines)

    @cached_property
    def rules_by_id(self) -> dict[str, RuleInfo]:
        table = {rule.info.id: rule.info for rule in self.all_rules}
        table[self.approval_floor.id] = self.approval_floor
        return table
