"""What the views share: settings, the decider of the policy in force, the store."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from api.settings import Settings
from engine.decide import Decider
from engine.store import DecisionService, DecisionStore


@dataclass
class Services:
    settings: Settings
    decider: Decider
    store: DecisionStore
    service: DecisionService


def services() -> Services:
    return current_app.extensions["complaints"]


def current_decider() -> Decider:
    """The newest policy version this instance knows (the one `GET /v1/policy` shows)."""
    return services().decider
