"""What a decision says about the eligibility windows it counted: the period, the counting, the answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from engine.shapes import Complaint, Fact
from rules.model import Window

_DAYS = {"calendar_days": "calendar days", "years": "years"}


def counting_words(window: Window) -> str:
    """How ``window`` is counted, in the words a decision gives."""
    n, anchor = window.amount, window.anchor
    if window.unit == "hours":
        if n == 0:
            return f"until the time of {anchor} itself, on the clock"
        return f"{n} hours on the clock from {anchor}"
    if window.unit == "working_days":
        return (
            f"{n} working days, counted from the day after {anchor}, up to 23:59:59 of the last one; "
            "weekends and public holidays are skipped, make-up working days (调休) count"
        )
    text = f"{n} {_DAYS[window.unit]}, counted from the day after {anchor}, up to 23:59:59 of the last day"
    if window.roll_forward:
        return (
            text + "; a last day that is not a working day moves to the end of the next working day (CC Art. 201, 203)"
        )
    return text + "; the last day stays where it falls, weekend or holiday (no roll-forward: roll_forward false)"


def explain_windows(
    windows: tuple[Window, ...],
    complaint: Complaint,
    fact: Fact,
    lookup: Callable[[Complaint, str], object],
    worded: dict[str, str] | None = None,
    tz: dt.tzinfo | None = None,
) -> list[dict[str, object]]:
    """One entry per window counted for this complaint (its date was given and a rule that can fire reads it).
    ``worded`` maps window ids to their ``counting_words``, when the caller keeps them."""
    found: list[dict[str, object]] = []
    for window in windows:
        key = f"within.{window.id}"
        if key not in fact:
            continue
        anchor = lookup(complaint, window.anchor)
        assert isinstance(anchor, dt.datetime)  # a window is counted only from a date given
        found.append(
            {
                "id": window.id,
                "label": window.label,
                "from": window.anchor,
                "from_at": (anchor.astimezone(tz) if tz is not None else anchor).isoformat(),  # the policy's zone
                "period": {window.unit: window.amount},
                "roll_forward": window.roll_forward if window.unit in ("calendar_days", "years") else None,
                "counting": worded[window.id] if worded is not None else counting_words(window),
                "within": bool(fact[key]),
                "basis": window.basis,
            }
        )
    return found
