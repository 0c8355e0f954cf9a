"""Shortened decision ids and digests, as the README and the tools show them (``1f0c2a9e…``).

A prefix of at least ``MIN_PREFIX`` characters stands for the one stored id or digest it begins;
a trailing ellipsis (``…`` or ``...``, as printed) is ignored. Shorter, ambiguous or unknown
prefixes are refused, naming the candidates, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MIN_PREFIX = 8
SHOWN_CANDIDATES = 5
_ID_TEXT = re.compile(r"^[0-9a-f-]+$")


class PrefixError(LookupError):
    """A prefix that names no single stored id; ``unknown`` tells 404 apart from a bad request."""

    def __init__(self, message: str, *, unknown: bool = False, candidates: tuple[str, ...] = ()):
        super().__init__(message)
        self.unknown = unknown
        self.candidates = candidates


def clean(given: str) -> str:
    text = given.strip().lower()
    for ellipsis in ("…", "..."):
        text = text.removesuffix(ellipsis)
    return text


def check(given: str, what: str) -> str:
    """The cleaned prefix; ``PrefixError`` if it is too short or not made of id characters."""
    text = clean(given)
    if not _ID_TEXT.match(text):
        raise PrefixError(f"no {what} {given}: an id is hexadecimal digits (and dashes), e.g. 1f0c2a9e", unknown=True)
    if len(text) < MIN_PREFIX:
        raise PrefixError(f"{what} {given!r}: give at least {MIN_PREFIX} characters of it")
    return text


def upper_bound(prefix: str) -> str:
    """The smallest text above every text that starts with ``prefix`` (for an indexed range query)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def pick(given: str, prefix: str, matches: Iterable[str], what: str) -> str:
    """The one match, or ``PrefixError`` naming what was found."""
    found = sorted(set(matches))
    if len(found) == 1:
        return found[0]
    if not found:
        raise PrefixError(f"no {what} {given}", unknown=True)
    shown = ", ".join(found[:SHOWN_CANDIDATES]) + (", …" if len(found) > SHOWN_CANDIDATES else "")
    raise PrefixError(
        f"{what} {given} is ambiguous: it begins {len(found) if len(found) <= SHOWN_CANDIDATES else 'more than 5'} "
        f"of them ({shown}); give more characters",
        candidates=tuple(found[:SHOWN_CANDIDATES]),
    )
