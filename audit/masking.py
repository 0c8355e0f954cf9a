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

Where: ``Masker.mask`` is the one masking policy. It walks any JSON value about to leave the service (a
stored request, a decision, a served record, an export row, an event) and masks by field name wherever
the field appears: identifiers (``customer_id`` under ``customer``, ``order_id`` under ``order``, an
event's ``reference``) become pseudonyms, free text (``description``, an event's ``note``) becomes
``[redacted: N characters]``, and a ``request_body`` (JSON text) is masked inside. Every output path
(API reads, console pages and exports, export rows, bundles only when unmasked is asked for) calls it;
tests/audit/test_masking_paths.py plants a phone number, an ID number and an address in every free-text
field and walks every path as a reader without ``personal_data``.

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

from canonical import canonical_json

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
# The same, as ``Masker.mask`` finds them at any depth: (the field holding it, field) -> kind. A complaint's
# description is at its root (or under an envelope's "complaint"); an event's note and reference are in an
# "events" list (a request's, or a decision's "clock"). A rule's "description" (under "rules") is not personal.
_BY_NAME: dict[tuple[str | None, str], str] = {
    ("customer", "customer_id"): "id",
    ("order", "order_id"): "id",
    (None, "description"): "text",
    ("complaint", "description"): "text",
    ("events", "note"): "text",
    ("events", "reference"): "id",
}
_MARKERS = tuple({f'"{name}"' for _, name in _BY_NAME})  # a JSON text without any of these needs no masking


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

    def mask(self, value: object, parent: str | None = None) -> object:
        """The one masking policy: a copy of ``value`` (parsed JSON: a decision, a served record, an export
        row, a request, an event) with every personal field masked wherever it appears (see the module
        docstring); a ``request_body`` JSON text is masked inside. Unchanged when not ``enabled``."""
        if not self.enabled:
            return value
        if isinstance(value, list):
            return [self.mask(item, parent) for item in value]
        if not isinstance(value, dict):
            return value
        masked: dict[str, object] = {}
        for key, item in value.items():
            kind = _BY_NAME.get((parent, key))
            if kind is not None and isinstance(item, str):
                name = f"{parent}.{key}" if parent in ("customer", "order") else key
                masked[key] = self._masked(kind, name, item)
            elif key == "request_body" and isinstance(item, str):
                masked[key] = self.mask_body(item)
            else:
                masked[key] = self.mask(item, key)
        return masked

    def _masked(self, kind: str, name: str, value: str) -> str:
        return f"[redacted: {len(value)} characters]" if kind == "text" else self.pseudonym(name, value)

    def mask_text(self, text: str) -> str:
        """A JSON text (a stored decision, canonical JSON) masked by ``mask``; returned as it is when it holds
        no personal field name (most decisions), else re-serialised as canonical JSON."""
        if not self.enabled or not any(marker in text for marker in _MARKERS):
            return text
        return canonical_json(self.mask(json.loads(text, parse_float=Decimal)))

    def mask_dict(self, value: dict) -> dict:
        """``mask`` of a JSON object (a decision, a row): the same, typed as an object."""
        masked = self.mask(value)
        assert isinstance(masked, dict)
        return masked

    def mask_complaint(self, complaint: object) -> object:
        """A copy of ``complaint`` (parsed JSON) with personal fields masked; other values untouched."""
        return self.mask(complaint)

    def mask_note(self, note: str) -> str:
        """An event's note, masked: an agent's note is free text and may name the customer."""
        return self._masked("text", "note", note) if self.enabled else note

    def mask_body(self, body: str) -> str:
        """The stored request body with personal fields masked (JSON text; decimal amounts become strings of the same digits)."""
        if not self.enabled:
            return body
        return dumps(self.mask(json.loads(body, parse_float=Decimal)))


def dumps(value: object) -> str:
    """Compact JSON text; a decimal number is written as a string of its exact digits ("199.50"),
    which the complaint schema reads as the same amount."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
