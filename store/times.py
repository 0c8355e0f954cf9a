"""How times are written: stored as UTC text, shown as RFC 3339 in Asia/Shanghai.

The store keeps every time as ISO 8601 UTC text with microseconds
(``2026-03-02T02:00:00.123456+00:00``): it reads back byte for byte on SQLite
and PostgreSQL, sorts as text, and is what the hash chain covers. Everything we
show (HTTP responses, exports, bundles, reports, signed statements) gives times
as RFC 3339 with the offset of Asia/Shanghai (``+08:00``), the time zone of the
policies and of every deadline in a decision, so an auditor compares like with
like. ``stored_form`` turns a shown time back into the stored text exactly
(microseconds are kept), which is how tools recompute links from an export.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DISPLAY_ZONE_NAME = "Asia/Shanghai"
DISPLAY_ZONE = ZoneInfo(DISPLAY_ZONE_NAME)


def shown(stored: str) -> str:
    """A stored (UTC) time as shown: the same instant at +08:00. Text that is not a time is left as it is."""
    try:
        moment = dt.datetime.fromisoformat(stored)
    except (TypeError, ValueError):
        return stored
    if moment.tzinfo is None:
        return stored
    return moment.astimezone(DISPLAY_ZONE).isoformat(timespec="microseconds")


def stored_form(text: str) -> str:
    """A shown time back as the store writes it (UTC, microseconds); other text unchanged."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def now_shown() -> str:
    return dt.datetime.now(DISPLAY_ZONE).isoformat(timespec="microseconds")
