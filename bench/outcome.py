"""The part of a decision all three implementations must agree on.

Route (redirect rule, team, level), flags, the remedy rule, each remedy
component (type, amount as Decimal with 2 decimals, approving level or team)
and the approval level. Deadlines and the explanation are the engine's alone.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class Outcome(NamedTuple):
    redirect: str | None  # rule id of the redirect, None when handled
    team: str | None
    level: str | None
    flags: tuple[str, ...]  # routing flags, in the order the rules add them
    rule: str | None  # remedy rule id
    components: tuple[tuple[str, Decimal | None, str | None, str | None], ...]  # type, amount, level, team
    approval: str | None  # level that approves the remedy (None without components needing one)


def fen_to_decimal(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def from_engine(decision: dict) -> Outcome:
    """The Outcome of an engine decision (the dict ``Decider.decide`` returns)."""
    route, remedy = decision["route"], decision["remedy"]
    redirect = route["redirect"]
    components = tuple(
        (
            part["type"],
            None if part["amount"] is None else Decimal(part["amount"]),
            part["approved_by"].get("level"),
            part["approved_by"].get("team"),
        )
        for part in remedy["components"]
    )
    return Outcome(
        redirect["rule"] if redirect else None,
        route["team"],
        route["level"],
        tuple(flag for flag in decision["flags"] if flag != "calendar_fallback"),
        remedy["rule"],
        components,
        remedy["approval"]["level"],
    )


def describe_difference(a: Outcome, b: Outcome) -> str:
    return "; ".join(f"{name}: {x!r} != {y!r}" for name, x, y in zip(Outcome._fields, a, b, strict=True) if x != y)
