"""The statutory public holidays of the national holiday rules, for years the policy does not list.

《全国年节及纪念日放假办法》 (as revised in 2024, in force from 2025) gives 13 days:
New Year's Day 1 (元旦), Spring Festival 4 from New Year's Eve (春节, 除夕 and the
first three days), Qingming 1 (清明节), Labour Day 2 (劳动节, May 1-2), Dragon Boat 1
(端午节), Mid-Autumn 1 (中秋节), National Day 3 (国庆节, Oct 1-3). Earlier years
follow the earlier revisions. The lunar and solar-term dates come from the
`holidays` package; the State Council's yearly notice adds the bridging days and
the make-up working days (调休), which no rule can predict: only the notice gives
them, so a year counted here is always reported as a fallback.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

# The names `holidays` gives (language pinned to en_US) mapped to the festival of the
# law; anything else it lists (bridging "Day off (substituted ...)" days) is not statutory.
FESTIVALS = {
    "New Year's Day": "元旦",
    "Chinese New Year's Eve": "春节",
    "Chinese New Year (Spring Festival)": "春节",
    "Tomb-Sweeping Day": "清明节",
    "Labor Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-Autumn Festival": "中秋节",
    "National Day": "国庆节",
}

RULE_TEXT = (
    "weekends plus the statutory public holidays of the national holiday rules (全国年节及纪念日放假办法, from 2025: "
    "元旦 1 day, 春节 4 days from New Year's Eve, 清明节 1, 劳动节 2, 端午节 1, 中秋节 1, 国庆节 3), "
    "without the State Council's bridging days and make-up working days"
)


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """Each statutory holiday of ``year`` with its festival's Chinese name."""
    table = holidays.country_holidays("CN", years=year, observed=False, language="en_US")
    found: dict[dt.date, str] = {}
    for day in sorted(table):
        names = [FESTIVALS[name] for name in table.get_list(day) if name in FESTIVALS]
        if names:
            found[day] = "、".join(dict.fromkeys(names))
    return found
