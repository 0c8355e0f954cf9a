"""Money, as every door reads it: the policy file, the API's complaints and the command line.

One grammar: ASCII digits, optionally a point and exactly two decimals (``199``, ``199.00``),
at most ``MAX_INTEGER_DIGITS`` digits before the point. A policy may write the amount as a YAML
number (200.00) or quoted ("200.00"); a complaint as a JSON string ("199.00") or number (199.00).
A number is held to the grammar as Python writes it back (``str(Decimal)``), so ``1e3`` is
``1E+3`` and refused like the text "1e3". Everything else is refused with a message that shows
the accepted form: ``1e3``, full-width or Arabic-Indic digits, ``1_000.00``, `` 100.00 ``,
``+5.00``, ``5.``, ``.5``, ``19.9``, ``1,500.00``, ``¥200``, ``true``.

The bound on digits comes before ``Decimal()`` sees the text: quantizing a number of 29 or more
digits raises ``decimal.InvalidOperation`` instead of giving a message.
"""

from __future__ import annotations

import re
from decimal import Decimal

MAX_INTEGER_DIGITS = 12  # up to 999,999,999,999.99 CNY: far above any order, limit or compensation
AMOUNT_FORM = "an amount such as 200.00 (digits, optionally a point and exactly 2 decimals)"
_GRAMMAR = re.compile(r"([0-9]+)(?:\.[0-9]{2})?")  # fullmatch only: `$` would let a trailing newline in
_DECIMALS = re.compile(r"[0-9]+\.([0-9]+)")  # digits and decimals, but not 2 of them
_SHOWN = 40  # characters of a refused value quoted back in a message

# What went wrong -> its message (``{value}`` is the value as given); the policy's limits word some
# of them their own way (rules/schema.py), and rules/messages.py translates each.
MESSAGES = {
    "form": f"expected {AMOUNT_FORM}, got {{value}}",
    "negative": "expected an amount of at least 0.00, got {value}",
    "decimals": "expected at most 2 decimals, got {value}",
    "one_decimal": "expected exactly 2 decimals, such as {value}0; got {value}",
    "digits": f"expected at most {MAX_INTEGER_DIGITS} digits before the point, got {{value}}",
}


class AmountError(ValueError):
    """Not an amount: ``kind`` is a key of ``MESSAGES``, ``value`` the value as shown in the message."""

    def __init__(self, kind: str, value: str):
        self.kind, self.value = kind, value
        super().__init__(MESSAGES[kind].format(value=value))


def parse_amount(value: object) -> Decimal:
    """``value`` as an exact non-negative Decimal with 2 decimals, or ``AmountError`` saying why not."""
    if isinstance(value, bool):
        raise AmountError("form", repr(value).lower())
    if isinstance(value, int | Decimal):
        text = str(value)
    elif isinstance(value, float):  # only from a caller that parsed JSON with floats
        text = repr(value)
    elif isinstance(value, str):
        text = value
    else:
        raise AmountError("form", type(value).__name__)
    match = _GRAMMAR.fullmatch(text)
    if match is None:
        if len(text) <= _SHOWN:
            if text.startswith("-") and (_GRAMMAR.fullmatch(text[1:]) or _DECIMALS.fullmatch(text[1:])):
                raise AmountError("negative", text)
            decimals = _DECIMALS.fullmatch(text)
            if decimals:
                raise AmountError("one_decimal" if len(decimals.group(1)) == 1 else "decimals", text)
        raise AmountError("form", _show(text))
    if len(match.group(1)) > MAX_INTEGER_DIGITS:
        raise AmountError("digits", _show(text))
    return Decimal(text).quantize(Decimal("0.01"))


def as_amount(value: object) -> Decimal | None:
    """``value`` as an exact Decimal (see ``parse_amount``), or None if it is not written as an amount."""
    try:
        return parse_amount(value)
    except AmountError:
        return None


def _show(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "…")
