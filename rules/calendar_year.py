"""One year of the policy's calendar as staff enter it: holidays, make-up working days, and the YAML block.

`complaints calendar draft YEAR` fills in the statutory days of the national holiday rules
and leaves the bridging holidays and make-up working days for staff, marked TO COMPLETE;
`complaints calendar import NOTICE.txt` fills in all of it from the State Council's notice
(``rules.holiday_notice``). Both print the block in the layout of ``policies.yaml``, to be
pasted under ``calendar: years:``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rules.statutory_holidays import statutory_holidays

# The markers a draft carries until staff complete it from the notice.
TO_COMPLETE = "TO COMPLETE"


@dataclass(frozen=True)
class Festival:
    """One item of the arrangement: the festival(s), the days off, the make-up working days."""

    names: tuple[str, ...]  # 元旦, 春节, ... (国庆节、中秋节 may share one item)
    holidays: tuple[dt.date, ...]
    makeup_working_days: tuple[dt.date, ...] = ()
    line: int = 0  # line of the notice it was read from (0: drafted)


@dataclass
class YearArrangement:
    year: int
    festivals: list[Festival]
    source: str  # where it came from, said in the block's first comment
    draft: bool = False  # statutory days only: bridging and make-up days still to complete
    other_years: list[dt.date] = field(default_factory=list)  # days of the notice outside ``year``

    @property
    def holidays(self) -> list[dt.date]:
        return sorted({day for f in self.festivals for day in f.holidays if day.year == self.year})

    @property
    def makeup_working_days(self) -> list[dt.date]:
        return sorted({day for f in self.festivals for day in f.makeup_working_days if day.year == self.year})

    def block(self, indent: str = "    ") -> str:
        """The year as the YAML block of ``calendar.years`` (``indent``: that of the year key)."""
        inner = indent + "  "
        lines = [f"{indent}{self.year}:   # {self.source}", f"{inner}holidays:"]
        for festival in self.festivals:
            days = [day for day in festival.holidays if day.year == self.year]
            for first, last in _runs(days):
                span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
                note = "、".join(festival.names) + (" (statutory)" if self.draft else "")
                lines.append(f"{inner}  - {span:<24} # {note}")
        makeup = ", ".join(day.isoformat() for day in self.makeup_working_days)
        if self.draft:
            lines.append(
                f"{inner}# {TO_COMPLETE}: copy the State Council's notice for {self.year}: add its bridging holidays "
                "above and its make-up"
            )
            lines.append(f"{inner}# working days (调休上班日) below, then delete these two comment lines.")
            lines.append(f"{inner}makeup_working_days: []   # {TO_COMPLETE}")
        else:
            lines.append(f"{inner}makeup_working_days: [{makeup}]")
        return "\n".join(lines) + "\n"


def draft_year(year: int) -> YearArrangement:
    """The statutory days of ``year`` by festival, with the notice's own days left to staff."""
    by_festival: dict[str, list[dt.date]] = {}
    for day, names in statutory_holidays(year).items():
        for name in names.split("、"):
            by_festival.setdefault(name, []).append(day)
    festivals = [Festival((name,), tuple(days)) for name, days in by_festival.items()]
    festivals.sort(key=lambda f: f.holidays[0])
    source = f"DRAFT by `complaints calendar draft {year}`: the statutory holidays of the national holiday rules only"
    return YearArrangement(year, festivals, source, draft=True)


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
