"""`python manage.py load_valuation_demo`: after `load_demo`, record a valuation of demo lots by
each method (valuation.demo). Running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from valuation import demo


class Command(BaseCommand):
    help = "Record demo valuations (negotiation, directed inquiry, online inquiry, appraisal by lottery)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo.load()
        except demo.DemoMissing:
            raise CommandError(_("Load the demo first: python manage.py load_demo"))
        if result.created:
            self.stdout.write(self.style.SUCCESS(
                _("Valuation demo loaded: %(n)d valuations, one per method, and one online inquiry in progress.")
                % {"n": result.valuations}))
        else:
            self.stdout.write(self.style.WARNING(_("The valuation demo is already loaded; nothing was changed.")))
