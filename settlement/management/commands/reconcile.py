"""`python manage.py reconcile [--day YYYY-MM-DD] [--gateway bank_transfer|stripe]`: reconcile the
ledger with the gateways' own records up to the end of the day (yesterday by default); re-runnable."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import clock
from settlement import reconciliation
from settlement.gateways.stripe_gateway import StripeGateway


class Command(BaseCommand):
    help = "Reconcile the ledger with Stripe's balance transactions and the imported bank statements."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="Reconcile everything dated up to the end of this day (YYYY-MM-DD).")
        parser.add_argument("--gateway", choices=list(reconciliation.RECONCILED_GATEWAYS), action="append")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["day"]) if options["day"] else clock.today() - timedelta(days=1)
        except ValueError as exc:
            raise CommandError(f"--day: {exc}") from exc
        for gateway in options["gateway"] or reconciliation.RECONCILED_GATEWAYS:
            if gateway == "stripe":
                if not StripeGateway().is_enabled():
                    self.stdout.write("stripe: not configured, skipped")
                    continue
                fetched = reconciliation.stripe_records_fetch()
                self.stdout.write(f"stripe: {fetched} new balance transactions fetched")
            run = reconciliation.reconcile(gateway=gateway, day=day, actor="system:reconcile")
            self.stdout.write(f"{gateway} up to {day}: {run.gateway_count} at the gateway, {run.ledger_count} in the "
                              f"ledger, {run.matched_count} matched, {run.exception_count} exceptions")
