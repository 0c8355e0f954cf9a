"""Why a deadline has the status it has, in words (Chinese first) and as a code a machine can read.

Each status a deadline can take has one reason code; the words name the times that decided it, in
the policy's zone, and say whether missing it is a breach of the law or of an internal SLA (brief §9).
"""

from __future__ import annotations

import datetime as dt

# code -> (Chinese, English); the arguments are filled from the deadline's own times.
_WORDS: dict[str, tuple[str, str]] = {
    "waiting_for_event": ("等待事件「{event_label}」后开始计时。", "Starts when `{event}` is reported."),
    "waiting_for_deadline": (
        "与「{deadline}」时限同时到期，该时限尚未开始计时。",
        "Due with the `{deadline}` deadline, which has not started yet.",
    ),
    "running": ("计时中，{due}到期。", "Running; due{due}."),
    "past_at_receipt": (
        "投诉收到时（{received}）已超过{due}的到期时间。",
        "Already past its due time {due} when the complaint arrived ({received}).",
    ),
    "met": (
        "已于{at}由「{event_label}」完成，未超过{due}的到期时间。",
        "Met by `{event}` at {at}, within its due time {due}.",
    ),
    "met_late": (
        "已于{at}由「{event_label}」完成，但晚于{due}的到期时间。",
        "Met by `{event}` at {at}, after its due time {due}.",
    ),
    "past_due": (
        "截至{as_of}未完成，已超过{due}的到期时间。",
        "Not met by {as_of}: its due time {due} has passed.",
    ),
    "breach_recorded": (
        "已于{due}记录超时；记录的超时是事实，此后的决定不再改期。",
        "Breach recorded at its due time {due}; a recorded breach is final and is never rescheduled.",
    ),
    "breach_recorded_met": (
        "已于{due}记录超时，后于{at}由「{event_label}」完成；超时记录不变。",
        "Breach recorded at its due time {due}; met later by `{event}` at {at}; the breach stands.",
    ),
    "paused": ("自{since}起暂停计时，等待「{event_label}」。", "Paused since{since}, waiting for `{event}`."),
}
_LEGAL = (
    "法定时限（{basis}）：超时即违反法定义务。",
    "A legal deadline ({basis}): missing it is a breach of the law.",
)
_INTERNAL = (
    "内部服务时限（{basis}）：超时属于违反服务承诺，不是违法。",
    "An internal deadline ({basis}): missing it breaches the SLA, not the law.",
)
_LEGAL_CITED = (
    "所引法定时限{rule}（{due}）已被违反。",
    "The legal deadline it cites, {rule} (due {due}), was missed.",
)
_MISSED = ("breached", "missed", "overdue")


_TIMES = ("due", "received", "at", "since", "as_of")
_ZONE_WORDS = {"Asia/Shanghai": ("北京时间", "Beijing time")}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when(text: str, zone: str) -> tuple[str, str]:
    """A time (ISO 8601, in the policy's zone) as a person reads it: 2025年4月23日 23:59:59（北京时间） and
    23 Apr 2025 23:59:59 (Beijing time); seconds only when there are any."""
    if not text:
        return "", ""
    moment = dt.datetime.fromisoformat(text)
    clock = moment.strftime("%H:%M:%S" if moment.second else "%H:%M")
    zh_zone, en_zone = _ZONE_WORDS.get(zone, (zone, zone))
    return (
        f"{moment.year}年{moment.month}月{moment.day}日 {clock}（{zh_zone}）",
        f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year} {clock} ({en_zone})",
    )


def reason(
    code: str,
    legal: bool,
    basis: str,
    zone: str,
    legal_cited: dict[str, str] | None = None,
    **args: str,
) -> dict[str, str]:
    """The ``status_reason`` of a deadline: its code and its words in both languages, times in words in the
    policy's zone ``zone``."""
    zh_args, en_args = dict(args), dict(args)
    for name in _TIMES:
        if name in args:
            zh_args[name], en_args[name] = when(args[name], zone)
    zh, en = _WORDS[code][0].format(**zh_args), _WORDS[code][1].format(**en_args)
    if code in ("met_late", "past_due", "past_at_receipt", "breach_recorded", "breach_recorded_met"):
        nature_zh, nature_en = _LEGAL if legal else _INTERNAL
        zh += nature_zh.format(basis=basis)
        en += " " + nature_en.format(basis=basis)
    if legal_cited is not None:
        due_zh, due_en = when(legal_cited["due"], zone)
        zh += _LEGAL_CITED[0].format(rule=legal_cited["rule"], due=due_zh)
        en += " " + _LEGAL_CITED[1].format(rule=legal_cited["rule"], due=due_en)
    return {"code": code, "zh": zh, "en": en}


def missed(status: str) -> bool:
    """A status that says the deadline was not met in time."""
    return status in _MISSED
