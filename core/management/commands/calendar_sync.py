from typing import Any

from django.core.management.base import BaseCommand

from core.calendar_seed import china_calendar
from core.models import CalendarDay


class Command(BaseCommand):
    help = "Add missing statutory holidays and adjusted working days for the given years (never overwrites)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("years", nargs="+", type=int)

    def handle(self, *args: Any, years: list[int], **options: Any) -> None:
        added = 0
        for day, kind, name in china_calendar(years):
            _obj, created = CalendarDay.objects.get_or_create(
                date=day, defaults={"kind": kind, "name": name[:100], "source": "holidays package"})
            added += created
        self.stdout.write(f"{added} calendar days added")
