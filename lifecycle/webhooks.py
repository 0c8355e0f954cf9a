"""Outbound notifications: what a webhook says, and putting it in the outbox.

``enqueue_notification(store, kind, payload)`` is what the deadline clock calls
when a deadline is due soon or breached, or a decision is escalated. It only
writes a row (``store/outbox.py``); sending is ``lifecycle/webhook_delivery.py``,
in another thread or process, so a slow or absent receiver never delays a
decision. The body is fixed when queued and sent byte for byte on every attempt::

    {"created_at": "2026-12-02T08:00:00.000000+08:00", "data": {...the payload...},
     "format": "complaints-webhook/1", "id": "<event id>", "type": "deadline.breached"}

``id`` is the event's idempotency key (also the ``Complaints-Event-Id`` header):
delivery is at least once, so a receiver ignores an id it has seen.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping

from sqlalchemy.engine import Connection

from canonical import canonical_json
from store.db import DecisionStore, StoreUnavailable
from store.outbox import add_event, enqueue
from store.times import DISPLAY_ZONE

KINDS = ("deadline.due_soon", "deadline.breached", "decision.escalated")
FORMAT = "complaints-webhook/1"
MAX_BODY_BYTES = 64 * 1024
# Event ids made from a caller's key: the same (kind, key) is the same event, queued once.
_KEY_NAMESPACE = uuid.UUID("6f1d52a4-8a0e-4f55-9d2b-2f7c1f0e6a11")

log = logging.getLogger("complaints.webhooks")


class NotificationError(ValueError):
    """A notification that cannot be queued: unknown kind, a payload that is not a JSON object, too large."""


def event_id_for(kind: str, key: str) -> str:
    return str(uuid.uuid5(_KEY_NAMESPACE, f"{kind}\n{key}"))


def _unfit(value: object, path: str) -> str | None:
    """What is wrong with the first value a receiver could misread: a float (money and counts travel as
    text or integers, never floats) or a time without a time zone."""
    if isinstance(value, float):
        return f"{path}: a float; give money as Decimal or text and counts as integers"
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return f"{path}: a time without a time zone"
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = list(enumerate(value))
    else:
        return None
    for name, item in items:
        found = _unfit(item, f"{path}.{name}")
        if found:
            return found
    return None


def notification_body(event_id: str, kind: str, payload: Mapping, created_at: dt.datetime) -> str:
    """The exact JSON text a subscriber receives (canonical: sorted keys, UTF-8, money as text)."""
    if kind not in KINDS:
        raise NotificationError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    if not isinstance(payload, Mapping):
        raise NotificationError(f"payload: expected a JSON object, got {type(payload).__name__}")
    if created_at.tzinfo is None:
        raise NotificationError("now: expected a time with a time zone")
    unfit = _unfit(payload, "payload")
    if unfit:
        raise NotificationError(unfit)
    envelope = {
        "format": FORMAT,
        "id": event_id,
        "type": kind,
        "created_at": created_at.astimezone(DISPLAY_ZONE).isoformat(timespec="microseconds"),
        "data": dict(payload),
    }
    try:
        body = canonical_json(envelope)
    except (TypeError, ValueError) as exc:
        raise NotificationError(f"payload: not JSON ({exc})") from None
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise NotificationError(f"payload: the notification is larger than {MAX_BODY_BYTES} bytes")
    return body


def enqueue_notification(
    store: DecisionStore,
    kind: str,
    payload: dict,
    *,
    key: str | None = None,
    conn: Connection | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Queue a ``kind`` notification carrying ``payload`` for every subscriber.

    ``key``: the same (kind, key) is queued once, however often asked (e.g. ``deadline id + due time``
    for a breach, so two ``escalate`` runs notify once). ``conn``: the caller's open write transaction,
    so the notification commits or rolls back with what caused it; pass it when inside one (on SQLite
    a second write transaction would wait for the first). Without ``conn``, a store that cannot be
    written is logged and swallowed: the decision that caused the notification stands.
    ``NotificationError`` for a bad kind or payload, before anything is written."""
    when = now if now is not None else dt.datetime.now(dt.UTC)
    event_id = event_id_for(kind, key) if key is not None else str(uuid.uuid4())
    body = notification_body(event_id, kind, payload, when)
    if conn is not None:
        add_event(conn, event_id=event_id, kind=kind, body=body, created_at=when)
        return
    try:
        enqueue(store, event_id=event_id, kind=kind, body=body, created_at=when)
    except StoreUnavailable as exc:
        log.error(
            "notification not queued: decision store unavailable",
            extra={"event_id": event_id, "kind": kind, "reason": str(exc)},
        )
