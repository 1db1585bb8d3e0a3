"""Counting legal periods the way CPL art.85 and Civil Code arts.201 and 203 count them:

* the day on which the period starts (the act, the publication, the failure) is not counted;
* the period ends at the end of its last day;
* only a last day that is a rest day (weekend or statutory holiday, unless it is an adjusted working
  day) moves, to the next working day; rest days inside the period still count.

"At least N days before X" is therefore read as: X may happen on or after `period_end(start, N)`.
Worked example: a notice published on 1 March with 30 days' notice allows bidding from 31 March;
if 31 March is a Sunday, from Monday 1 April."""

from __future__ import annotations

from datetime import date, timedelta

from core.models import CalendarDay


def is_rest_day(day: date) -> bool:
    override = CalendarDay.objects.filter(date=day).values_list("kind", flat=True).first()
    if override == CalendarDay.Kind.HOLIDAY:
        return True
    if override == CalendarDay.Kind.WORKDAY:
        return False
    return day.weekday() >= 5


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    overrides = dict(
        CalendarDay.objects.filter(date__gte=day, date__lte=day + timedelta(days=40)).values_list("date", "kind")
    )
    while True:
        kind = overrides.get(day)
        rest = kind == CalendarDay.Kind.HOLIDAY or (kind is None and day.weekday() >= 5)
        if not rest:
            return day
        day += timedelta(days=1)


def period_end(start: date, days: int) -> date:
    """The last day of a period of `days` days starting the day after `start`; a last day that is a
    rest day moves to the next working day (CPL art.85)."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    return next_working_day(start + timedelta(days=days))


def days_left(deadline: date, today: date) -> int:
    """Whole days from today to the deadline; negative when overdue."""
    return (deadline - today).days
