"""Validate an event a calling system reports on a complaint (POST /v1/complaints/{id}/events).

An event is ``{"type", "at", "note"?, "reference"?}``: a type the policy defines, a time with its
offset, not before the complaint and not before the events already recorded, and at most one of a
type the policy marks ``once``. Every problem names its field (``ComplaintError``), so the caller
is told what to fix and nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from engine.complaint import ComplaintError
from engine.fast_path import MAX_YEAR, MIN_YEAR
from engine.shapes import Event
from rules.model import BREACH_EVENT, Policy
from rules.offsets import OFFSET_MESSAGE, whole_minutes

_TEXT_FIELDS = {"note": 2000, "reference": 128}
_RECEIVED = "received"  # the complaint itself: its time is received_at


def parse_time(value: object, field: str) -> dt.datetime:
    """A timezone-aware ISO 8601 time, or ``ComplaintError`` naming ``field``."""
    if not isinstance(value, str):
        raise ComplaintError({field: ["expected an ISO 8601 timestamp with offset, e.g. 2026-10-02T10:00:00+08:00"]})
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ComplaintError(
            {field: [f"expected an ISO 8601 timestamp with offset, e.g. 2026-10-02T10:00:00+08:00; got {value!r}"]}
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ComplaintError({field: ["expected a timezone offset (e.g. +08:00); a time without one is ambiguous"]})
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ComplaintError({field: [f"expected a time between the years {MIN_YEAR} and {MAX_YEAR}"]})
    if not whole_minutes(moment):
        raise ComplaintError({field: [f"{OFFSET_MESSAGE}; got {value!r}"]})
    return moment


def check_event(raw: object, policy: Policy) -> tuple[str, dt.datetime]:
    """The event's type and time if every field is sound on its own, else ``ComplaintError`` naming each.

    Checked before a repeated event (same type and ``at``) is answered with the decision it made:
    a retry with an unknown field or a bad note is refused, not taken as the same event."""
    if not isinstance(raw, dict):
        raise ComplaintError({"event": ['expected a JSON object {"type": ..., "at": ...}']})
    errors: dict[str, list[str]] = {}
    for name in sorted(set(raw) - {"type", "at", *_TEXT_FIELDS}):
        errors[name] = ["unknown field; an event has type, at, and optionally note and reference"]
    kind = raw.get("type")
    postable = [name for name in policy.events if name != _RECEIVED]
    if not isinstance(kind, str):
        errors["type"] = [f"required: one of {', '.join(postable)}"]
    elif kind == BREACH_EVENT:
        errors["type"] = [
            f"`{BREACH_EVENT}` is recorded by the escalation run (POST /v1/escalations:run), not reported"
        ]
    elif kind not in postable:
        errors["type"] = [f"unknown event type `{kind}`; expected one of: {', '.join(postable)}"]
    for name, limit in _TEXT_FIELDS.items():
        value = raw.get(name)
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= limit):
            errors[name] = [f"expected text of 1 to {limit} characters"]
        elif isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold it: refused on every store
            errors[name] = ["text may not contain the NUL character (\\u0000)"]
    moment = None
    if "at" not in raw:
        errors["at"] = ["required: when the event happened, with its offset"]
    else:
        try:
            moment = parse_time(raw["at"], "at")
        except ComplaintError as exc:
            errors.update(exc.errors)
    if errors:
        raise ComplaintError(errors)
    assert moment is not None and isinstance(kind, str)
    return kind, moment


def validate_event(raw: object, policy: Policy, received_at: dt.datetime, recorded: list[Event]) -> Event:
    """The event in its stored form (``type``, ``at`` as given, optional text fields), or ``ComplaintError``.

    ``recorded`` are the complaint's events so far (stored form), oldest first."""
    kind, moment = check_event(raw, policy)
    assert isinstance(raw, dict)
    if moment < received_at:
        raise ComplaintError({"at": [f"{raw['at']} is before the complaint was received ({received_at.isoformat()})"]})
    reported = [event for event in recorded if event["type"] != BREACH_EVENT]
    if reported:
        last = reported[-1]
        if moment < dt.datetime.fromisoformat(last["at"]):
            raise ComplaintError(
                {
                    "at": [
                        f"{raw['at']} is before the last event recorded on this complaint "
                        f"({last['type']} at {last['at']}); events are reported in the order they happened"
                    ]
                }
            )
    if policy.events[kind].once and any(event["type"] == kind for event in reported):
        raise ComplaintError({"type": [f"`{kind}` was already recorded on this complaint; it happens only once"]})
    # Written in the policy's zone whatever offset the caller used (brief §9); the instant is unchanged.
    stored: Event = {"type": kind, "at": moment.astimezone(ZoneInfo(policy.timezone)).isoformat()}
    stored.update({name: raw[name] for name in _TEXT_FIELDS if raw.get(name) is not None})
    return stored


def breach_event(kind: str, due_at: str, rule: str | None = None) -> Event:
    """The event the escalation run records: the deadline ``kind`` passed unmet at ``due_at``, when
    ``rule`` bound it (the breach settles the kind on that rule in every later decision, brief §9)."""
    event: Event = {"type": BREACH_EVENT, "kind": kind, "at": due_at}
    if rule is not None:
        event["rule"] = rule
    return event
