from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core import audit


class Command(BaseCommand):
    help = "Recompute the audit hash chain and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        if not result.ok:
            raise CommandError(
                f"audit chain BROKEN at position {result.first_broken}: {result.problem} "
                f"({result.checked} records verified before it)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain OK: {result.checked} records verified"))
