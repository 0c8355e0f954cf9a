"""Amounts as a policy may write them: a YAML number (200.00) or the same digits quoted ("200.00").

Both are read exactly, as Decimal: the policy tests and the API take quoted amounts, so the
policy does too. Anything else (``1,500.00``, ``¥200``, ``true``) is not an amount.
"""

from __future__ import annotations

import re
from decimal import Decimal

# Digits with an optional decimal part; the sign is kept so that the caller can say "at least 0".
AMOUNT_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def as_amount(value: object) -> Decimal | None:
    """``value`` as an exact Decimal, or None if it is not written as an amount."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str) and AMOUNT_TEXT.match(value.strip()):
        return Decimal(value.strip())
    return None
