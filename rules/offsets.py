"""Offsets of the times a complaint, an event or a policy gives: whole minutes, as ISO 8601 writes them.

Python reads ``2026-10-02T10:00:00+08:00:30`` (an offset with seconds); no zone in use has such an
offset, and accepting it would shift the instant by the seconds. Every door refuses it.
"""

from __future__ import annotations

import datetime as dt

OFFSET_MESSAGE = "expected an offset of whole minutes such as +08:00, not one with seconds"


def whole_minutes(moment: dt.datetime) -> bool:
    """Whether ``moment`` (aware) is offset from UTC by a whole number of minutes."""
    offset = moment.utcoffset()
    return offset is None or offset % dt.timedelta(minutes=1) == dt.timedelta(0)
