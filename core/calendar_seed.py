"""Seed data for the holiday calendar (CalendarDay) from the `holidays` package: the statutory rest
days of mainland China and the weekend days worked in exchange (调休). Only nationwide rest days are
kept: days off for part of the population (Women's Day, Youth Day, Children's Day, Army Day) do not
move legal periods. The table stays the source of truth; staff correct it in the admin."""

from __future__ import annotations

import re
from datetime import date, datetime

PARTIAL = ("Women", "Youth", "Children", "Army")
_SUBST = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


def china_calendar(years: list[int]) -> list[tuple[date, str, str]]:
    """(date, kind, Chinese name) rows: kind is "holiday" or "workday". The English names are
    parsed (they carry the exchanged working day); the stored names are the Chinese ones."""
    import holidays

    chinese = holidays.China(years=years, language="zh_CN")
    rows: dict[date, tuple[str, str]] = {}
    for day, name in sorted(holidays.China(years=years, language="en_US").items()):
        if not [p for p in name.split(";") if not any(w in p for w in PARTIAL)]:
            continue
        rows[day] = ("holiday", chinese.get(day, name))
        for m in _SUBST.finditer(name):
            worked = datetime.strptime(f"{m[3]}-{m[1]}-{m[2]}", "%Y-%m-%d").date()  # noqa: DTZ007
            rows[worked] = ("workday", f"调休上班（{day.isoformat()} 休息）")
    return [(d, k, n) for d, (k, n) in sorted(rows.items())]
