"""`python manage.py load_distribution_demo`: after `load_demo`, a case whose vehicle was sold and paid
for, with costs, claims and a served distribution plan (bidding.demo). Running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bidding import demo


class Command(BaseCommand):
    help = "Sell a demo lot through the services and serve its distribution plan."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = demo.load_distribution()
        except demo.DemoMissing:
            raise CommandError(_("Load the demo first: python manage.py load_demo")) from None
        if created:
            self.stdout.write(self.style.SUCCESS(
                _("Case %(case)s is sold and paid; its distribution plan is served. Log in as clerk (prepare), "
                  "approver (approve) and finance (pay).") % {"case": demo.DIST_CASE}))
        else:
            self.stdout.write(self.style.WARNING(_("The distribution demo is already loaded; nothing was changed.")))
