"""What the views share: settings, the decider of the policy in force, the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import current_app

from api.settings import Settings
from engine.decider import Decider
from lifecycle.checkpointing import Checkpointer
from lifecycle.clock_service import ClockService
from lifecycle.decision_service import DecisionService
from lifecycle.reloader import PolicyRegistry
from lifecycle.versions import NoPolicyInForce
from rules.calendar import CalendarHorizon, calendar_horizon
from store import DecisionStore


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Services:
    settings: Settings
    policies: PolicyRegistry
    store: DecisionStore
    service: DecisionService
    # The wall clock, for readiness and display only; decisions never read it.
    clock: Callable[[], dt.datetime] = field(default=_now)
    checkpointer: Checkpointer | None = None  # None: no signing key configured
    clock_service: ClockService | None = None  # the deadline clock (api/clock.py); made on first use

    def calendar_horizon(self) -> CalendarHorizon | None:
        """The calendar left after today (in the policy's timezone) in the newest version, which decides what comes."""
        policy = self.policies.current().latest.policy
        return calendar_horizon(policy.calendar, self.clock().astimezone(ZoneInfo(policy.timezone)).date())

    @property
    def decider(self) -> Decider:
        """The version in force now (wall clock: for showing, never for deciding)."""
        book = self.policies.current()
        try:
            return book.in_force_at(self.clock())
        except NoPolicyInForce:
            return book.versions[0]


def services() -> Services:
    return current_app.extensions["complaints"]


def current_decider() -> Decider:
    """The policy version in force now (the one `GET /v1/policy` shows)."""
    return services().decider
