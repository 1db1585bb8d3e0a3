"""Legal periods counted as CPL art.85 counts them: the start day is not counted, rest days inside
the period count, and only a last day that is a rest day moves to the next working day. Adjusted
working weekend days (调休) are working days. The migration seeds China's calendar for 2024–2027;
the dates below were checked against that seed."""

from __future__ import annotations

from datetime import date

import pytest

from core import days
from core.models import CalendarDay

pytestmark = pytest.mark.django_db


def make(day: date, kind: str) -> None:
    CalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": "test"})


def test_the_seed_holds_the_days_these_tests_rely_on() -> None:
    seeded = dict(CalendarDay.objects.filter(date__year=2026).values_list("date", "kind"))
    assert seeded[date(2026, 4, 6)] == CalendarDay.Kind.HOLIDAY  # Qingming, observed (Monday)
    assert seeded[date(2026, 5, 9)] == CalendarDay.Kind.WORKDAY  # Saturday worked for 5 May
    assert seeded[date(2026, 10, 7)] == CalendarDay.Kind.HOLIDAY  # National Day week
    for free in (date(2026, 3, 3), date(2026, 3, 17), date(2026, 4, 1), date(2026, 4, 7)):
        assert free not in seeded


@pytest.mark.parametrize(
    ("day", "rest"),
    [
        (date(2026, 3, 2), False),  # an ordinary Monday
        (date(2026, 3, 7), True),  # Saturday
        (date(2026, 3, 8), True),  # Sunday
        (date(2026, 4, 6), True),  # a Monday that is a statutory holiday
        (date(2026, 5, 9), False),  # a Saturday that is an adjusted working day
    ],
)
def test_is_rest_day(day: date, rest: bool) -> None:
    assert days.is_rest_day(day) is rest


def test_calendar_rows_override_the_default_week() -> None:
    make(date(2026, 3, 4), CalendarDay.Kind.HOLIDAY)
    make(date(2026, 3, 7), CalendarDay.Kind.WORKDAY)
    assert days.is_rest_day(date(2026, 3, 4)) is True
    assert days.is_rest_day(date(2026, 3, 7)) is False
    assert days.next_working_day(date(2026, 3, 4)) == date(2026, 3, 5)
    assert days.next_working_day(date(2026, 3, 7)) == date(2026, 3, 7)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 2), date(2026, 3, 2)),  # a working day is its own next working day
        (date(2026, 3, 7), date(2026, 3, 9)),  # weekend
        (date(2026, 4, 4), date(2026, 4, 7)),  # weekend followed by the Qingming Monday
        (date(2026, 10, 1), date(2026, 10, 8)),  # the National Day week
        (date(2026, 5, 9), date(2026, 5, 9)),  # adjusted working Saturday
    ],
)
def test_next_working_day(day: date, working: date) -> None:
    assert days.next_working_day(day) == working


def test_the_start_day_is_not_counted() -> None:
    assert days.period_end(date(2026, 3, 2), 1) == date(2026, 3, 3)
    assert days.period_end(date(2026, 3, 2), 3) == date(2026, 3, 5)
    assert days.period_end(date(2026, 3, 2), 15) == date(2026, 3, 17)
    assert days.period_end(date(2026, 3, 2), 30) == date(2026, 4, 1)


def test_rest_days_inside_the_period_count() -> None:
    # Friday + 3 days: Saturday and Sunday count, the period ends on Monday.
    assert days.period_end(date(2026, 3, 6), 3) == date(2026, 3, 9)
    # A period running through the whole National Day week still ends 15 days later.
    assert days.period_end(date(2026, 9, 28), 15) == date(2026, 10, 13)


def test_a_last_day_on_a_weekend_moves_to_monday() -> None:
    assert days.period_end(date(2026, 3, 4), 3) == date(2026, 3, 9)  # would end on Saturday 7 March
    assert days.period_end(date(2026, 3, 5), 3) == date(2026, 3, 9)  # would end on Sunday 8 March


def test_a_last_day_on_a_seeded_holiday_moves_past_the_whole_holiday() -> None:
    # 5 March + 30 days = Saturday 4 April; 5 and 6 April are Qingming; Tuesday 7 April is the end.
    assert days.period_end(date(2026, 3, 5), 30) == date(2026, 4, 7)
    assert days.period_end(date(2026, 9, 16), 15) == date(2026, 10, 8)


def test_a_last_day_on_an_adjusted_working_saturday_does_not_move() -> None:
    assert days.period_end(date(2026, 4, 9), 30) == date(2026, 5, 9)


def test_a_holiday_added_by_staff_moves_the_end_and_only_that_day_matters() -> None:
    assert days.period_end(date(2026, 3, 2), 15) == date(2026, 3, 17)
    make(date(2026, 3, 17), CalendarDay.Kind.HOLIDAY)
    assert days.period_end(date(2026, 3, 2), 15) == date(2026, 3, 18)
    make(date(2026, 3, 18), CalendarDay.Kind.HOLIDAY)
    assert days.period_end(date(2026, 3, 2), 15) == date(2026, 3, 19)
    # A holiday inside the period changes nothing.
    make(date(2026, 3, 4), CalendarDay.Kind.HOLIDAY)
    assert days.period_end(date(2026, 3, 2), 3) == date(2026, 3, 5)


def test_the_worked_example_of_the_module_docstring() -> None:
    # Notice on 1 March 2024 with 30 days: 31 March 2024 is a Sunday, so bidding from Monday 1 April.
    assert date(2024, 3, 31).weekday() == 6
    assert days.period_end(date(2024, 3, 1), 30) == date(2024, 4, 1)


def test_a_start_on_a_rest_day_does_not_matter() -> None:
    assert days.period_end(date(2026, 3, 7), 2) == date(2026, 3, 9)
    assert days.period_end(date(2026, 3, 7), 3) == date(2026, 3, 10)


def test_zero_and_negative_periods() -> None:
    assert days.period_end(date(2026, 3, 2), 0) == date(2026, 3, 2)
    assert days.period_end(date(2026, 3, 7), 0) == date(2026, 3, 9)
    with pytest.raises(ValueError):
        days.period_end(date(2026, 3, 2), -1)


def test_days_left() -> None:
    assert days.days_left(date(2026, 3, 9), date(2026, 3, 2)) == 7
    assert days.days_left(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert days.days_left(date(2026, 3, 1), date(2026, 3, 2)) == -1
