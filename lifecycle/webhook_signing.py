"""Webhook signatures: HMAC-SHA256 over ``timestamp + "." + body``, in the manner of Stripe's.

The header is ``Complaints-Signature: t=1764633600,v1=<hex>`` with one ``v1``
per secret in use (two while a secret is rotated: a receiver that knows either
accepts). The timestamp is signed with the body, so a captured request cannot be
replayed outside the receiver's tolerance window, and the body is signed as the
exact bytes sent. Standard library only, so a receiver written in Python can
copy this file (README, "Notifications (webhooks)").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "Complaints-Signature"
EVENT_ID_HEADER = "Complaints-Event-Id"
EVENT_TYPE_HEADER = "Complaints-Event-Type"
ATTEMPT_HEADER = "Complaints-Delivery-Attempt"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The request is not signed by a secret we hold, or was signed too long ago (or ahead)."""


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def sign(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    if not secrets:
        raise ValueError("no secret to sign with")
    return ",".join([f"t={int(timestamp)}", *(f"{SCHEME}={_mac(secret, timestamp, body)}" for secret in secrets)])


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    *,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check a received ``Complaints-Signature`` against the raw ``body``; return its timestamp.

    Raises ``SignatureError`` if the header is missing or malformed, if no ``v1`` matches any of
    ``secrets``, or if the timestamp is more than ``tolerance`` seconds from ``now`` either way."""
    if not header:
        raise SignatureError(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError(f"{SIGNATURE_HEADER}: t={value!r} is not Unix seconds") from None
        elif name == SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError(f"{SIGNATURE_HEADER}: no t=<timestamp>")
    if not signatures:
        raise SignatureError(f"{SIGNATURE_HEADER}: no {SCHEME}=<signature>")
    expected = [_mac(secret, timestamp, body) for secret in secrets]
    if not any(hmac.compare_digest(given, mine) for given in signatures for mine in expected):
        raise SignatureError("the signature does not match the body with any secret held")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"signed at {timestamp}, more than {tolerance:g} s from now ({int(now)}): a replay?")
    return timestamp
