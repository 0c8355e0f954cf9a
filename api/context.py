"""What the views share: settings, the decider of the policy in force, the store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from api.settings import Settings
from engine.decider import Decider
from lifecycle.checkpointing import Checkpointer
from lifecycle.decision_service import DecisionService
from lifecycle.reloader import PolicyRegistry
from lifecycle.versions import NoPolicyInForce
from store import DecisionStore


@dataclass
class Services:
    settings: Settings
    policies: PolicyRegistry
    store: DecisionStore
    service: DecisionService
    checkpointer: Checkpointer | None = None  # None: no signing key configured

    @property
    def decider(self) -> Decider:
        """The version in force now (wall clock: for showing, never for deciding)."""
        book = self.policies.current()
        try:
            return book.in_force_at(dt.datetime.now(dt.UTC))
        except NoPolicyInForce:
            return book.versions[0]


def services() -> Services:
    return current_app.extensions["complaints"]


def current_decider() -> Decider:
    """The policy version in force now (the one `GET /v1/policy` shows)."""
    return services().decider
