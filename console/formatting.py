"""How the console shows values: amounts as ¥1,234.50, times in the policy's time zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup

from api.context import services
from audit.compare import value_words


def money(value: object) -> str:
    """``"1234.5"`` -> ``¥1,234.50``; text that is not an amount is shown as it is."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount).quantize(Decimal('0.01')):,.2f}"


def zone() -> ZoneInfo:
    return ZoneInfo(services().decider.policy.timezone)


def moment(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else None


def when(value: object, seconds: bool = False) -> str:
    """An instant in the policy's time zone: ``2026-03-07 13:05 (+08:00)``."""
    parsed = moment(value)
    if parsed is None:
        return "—" if value in (None, "") else str(value)
    local = parsed.astimezone(zone())
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" ({offset[:3]}:{offset[3:]})"


def short(digest: object, n: int = 12) -> str:
    return str(digest or "")[:n]


def yes_no(value: object) -> Markup:
    return Markup("✓") if value else Markup("—")


def install_filters(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, when=when, short=short, yes_no=yes_no, words=value_words)
