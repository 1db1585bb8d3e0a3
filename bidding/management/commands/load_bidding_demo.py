"""`python manage.py load_bidding_demo`: after `load_demo`, two bidders qualified for the live demo
round (bidding.demo). Running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bidding import demo


class Command(BaseCommand):
    help = "Register two demo bidders, with held deposits, for the live demo round."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo.load()
        except demo.DemoMissing:
            raise CommandError(_("Load the demo first: python manage.py load_demo")) from None
        names = ", ".join(result.usernames)
        if result.created:
            self.stdout.write(self.style.SUCCESS(
                _("Bidders %(names)s (password %(password)s) are qualified to bid in the live demo round "
                  "%(round)s.") % {"names": names, "password": demo.PASSWORD, "round": result.round_id}))
        else:
            self.stdout.write(self.style.WARNING(_("The bidding demo is already loaded; nothing was changed.")))
