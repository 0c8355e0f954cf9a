"""Governed policy change in tests: a settable server clock, dated variants, the shipped tests text."""

from __future__ import annotations

import datetime as dt

from lifecycle.governance import Actor, Governance
from store.governance import PolicyRegister
from tests.helpers.lifecycle_samples import REPO, variant

TESTS_TEXT = (REPO / "policies.tests.yaml").read_text(encoding="utf-8")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# The server's clock in these tests: Tuesday 1 December 2026, 10:00 in Shanghai.
START = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)

ALICE = Actor.key("alice0000001", "Alice (compliance)")
BOB = Actor.key("bob000000001", "Bob (approver)")
OPERATOR = Actor.operator("ops@host")


class Clock:
    """The server's clock, moved by the test; every transition records what it reads."""

    def __init__(self, now: dt.datetime = START):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def at(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat()


def dated(version: str, effective: dt.datetime, frontline_refund: str = "300.00", announced: dt.datetime | None = None):
    """The shipped policy as ``version``, effective at ``effective``, with a frontline refund limit."""
    return variant(
        version,
        frontline_refund=frontline_refund,
        announced=at(announced or START),
        effective=at(effective),
    )


def governance(store, clock: Clock, min_coverage: int = 100) -> Governance:
    return Governance(store, min_coverage=min_coverage, register=PolicyRegister(store, clock=clock))
