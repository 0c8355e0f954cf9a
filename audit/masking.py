"""Personal data in stored complaints (ECL Art. 23-24): masked when read, never when stored.

Which fields: ``customer.customer_id`` and ``order.order_id`` (identifiers that
lead to a person through other systems) and ``description`` (free text, may
hold anything). Nothing else in the input vocabulary identifies a person; the
engine's decision holds none of these fields.

How: with a masking key (``COMPLAINTS_MASKING_KEY``, at least 16 characters)
identifiers become keyed pseudonyms, ``hmac-sha256:`` + HMAC-SHA256(key,
field name + value) in hex: the same customer gives the same pseudonym, so an
auditor can still see that two complaints come from one customer, but nobody
without the key can go back to the identifier, nor test guesses (a plain hash
of ``U-5521`` could be found by trying every id). Without a key they become
``[redacted]`` (no linking). A description becomes ``[redacted: N
characters]``. A masked complaint is still valid input and decides exactly
as the original: no rule reads these fields (tests/audit prove a masked
replay ``identical``).

When: at read time. The stored request body stays exactly as received:
issue 3 requires it, and the hash chain covers it, so masking at storage would
either break verification or mean hashing something other than what was
decided. Every way out of the store for auditors (exports, replay reports)
goes through ``Masker``; only a caller holding the ``personal_data`` role
(HTTP, `?personal_data=include`) or someone with direct database access
(CLI ``--unmasked``) sees the fields as received.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from decimal import Decimal

from engine.clock import is_envelope

MASKING_KEY_ENV = "COMPLAINTS_MASKING_KEY"
MIN_KEY_LENGTH = 16
PSEUDONYM_PREFIX = "hmac-sha256:"
REDACTED = "[redacted]"

# (path in the complaint, kind): "id" -> keyed pseudonym, "text" -> redaction marker with length.
PERSONAL_FIELDS = (
    (("customer", "customer_id"), "id"),
    (("order", "order_id"), "id"),
    (("description",), "text"),
)


class MaskingKeyError(ValueError):
    """The masking key is set but too short to be a secret."""


class Masker:
    """Masks personal fields of a complaint; ``enabled=False`` passes them through (personal_data role)."""

    def __init__(self, key: str | bytes | None = None, *, enabled: bool = True):
        if isinstance(key, str):
            key = key.encode("utf-8")
        if key is not None and len(key) < MIN_KEY_LENGTH:
            raise MaskingKeyError(f"{MASKING_KEY_ENV} must be at least {MIN_KEY_LENGTH} characters")
        self._key = key or None
        self.enabled = enabled

    @classmethod
    def from_env(cls, environ=None, *, enabled: bool = True) -> Masker:
        environ = os.environ if environ is None else environ
        return cls(environ.get(MASKING_KEY_ENV) or None, enabled=enabled)

    @property
    def keyed(self) -> bool:
        return self._key is not None

    def unmasked(self) -> Masker:
        return Masker(self._key, enabled=False)

    @property
    def mode(self) -> str:
        """What a reader gets: ``none`` (as received), ``pseudonyms`` (keyed) or ``redacted``."""
        if not self.enabled:
            return "none"
        return "pseudonyms" if self.keyed else "redacted"

    def pseudonym(self, field: str, value: str) -> str:
        if self._key is None:
            return REDACTED
        digest = hmac.new(self._key, f"{field}\x1f{value}".encode(), hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest

    def mask_complaint(self, complaint: object) -> object:
        """A copy of ``complaint`` (parsed JSON) with personal fields masked; other values untouched."""
        if not self.enabled or not isinstance(complaint, dict):
            return complaint
        masked = dict(complaint)
        for path, kind in PERSONAL_FIELDS:
            _mask_path(masked, path, kind, self)
        return masked

    def mask_note(self, note: str) -> str:
        """An event's note, masked: an agent's note is free text and may name the customer."""
        return f"[redacted: {len(note)} characters]" if self.enabled else note

    def mask_body(self, body: str) -> str:
        """The stored request body with personal fields masked (JSON text; decimal amounts become strings of the same digits)."""
        if not self.enabled:
            return body
        parsed = json.loads(body, parse_float=Decimal)
        if is_envelope(parsed):  # a decision on events: the complaint inside carries the personal data
            events = [
                {**e, "note": self.mask_note(e["note"])} if isinstance(e.get("note"), str) else e
                for e in parsed.get("events", [])
                if isinstance(e, dict)
            ]
            return dumps({**parsed, "complaint": self.mask_complaint(parsed["complaint"]), "events": events})
        return dumps(self.mask_complaint(parsed))


def _mask_path(node: dict, path: tuple[str, ...], kind: str, masker: Masker, name: str = "") -> None:
    head, rest = path[0], path[1:]
    name = f"{name}.{head}" if name else head
    if head not in node:
        return
    if rest:
        if isinstance(node[head], dict):
            node[head] = dict(node[head])
            _mask_path(node[head], rest, kind, masker, name)
        return
    value = node[head]
    if not isinstance(value, str):
        return
    node[head] = f"[redacted: {len(value)} characters]" if kind == "text" else masker.pseudonym(name, value)


def dumps(value: object) -> str:
    """Compact JSON text; a decimal number is written as a string of its exact digits ("199.50"),
    which the complaint schema reads as the same amount."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
