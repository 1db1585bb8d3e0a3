"""`python manage.py load_demo`: load the embedded demo (courts, cases, lots, rounds in every status,
one bidding live now) and print a login for each role. Running it again changes nothing.

There is deliberately no --reset: the demo is recorded in the append-only audit chain, and deleting
it would break the chain that `verify_audit` proves."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from auction.demo import data, loader
from auction.models import AuctionRound, Case, Court, Lot
from core import clock, twofactor
from core.models import User
from core.roles import Role


class Command(BaseCommand):
    help = "Load the demo data (fictional courts, cases, lots and rounds) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = loader.load()
        if result.created:
            self.stdout.write(self.style.SUCCESS(
                _("Demo loaded in %(seconds).1f s: %(courts)d courts, %(cases)d cases, %(lots)d lots, "
                  "%(rounds)d rounds. All names and numbers are fictional.") % {
                    "seconds": time.monotonic() - started, "courts": Court.objects.count(),
                    "cases": Case.objects.count(), "lots": Lot.objects.count(),
                    "rounds": AuctionRound.objects.count()}))
        else:
            self.stdout.write(self.style.WARNING(_("The demo data is already loaded; nothing was changed.")))
        if result.live_round is not None:
            end = result.live_round.effective_end.astimezone(clock.SHANGHAI)
            self.stdout.write(_("Bidding now: %(title)s, ends at %(end)s (Beijing time).") % {
                "title": result.live_round.lot.title, "end": f"{end:%H:%M}"})
        self.write_logins(result.existing_users)

    def write_logins(self, existing: list[str]) -> None:
        labels = dict(Role.choices)
        courts = {c.code: c.name for c in data.COURTS}
        rows = [(_("username"), _("password"), _("role"), _("court"))]
        for u in data.USERS:
            roles = " + ".join(str(labels[r]) for r in u.roles) or _("Administrator (superuser)")
            password = _("(unchanged)") if u.username in existing else data.DEMO_PASSWORD
            rows.append((u.username, password, roles, courts.get(u.court or "", "")))
        widths = [max(_display_width(row[i]) for row in rows) for i in range(4)]
        self.stdout.write("")
        for row in rows:
            self.stdout.write("  ".join(cell + " " * (widths[i] - _display_width(cell))
                                        for i, cell in enumerate(row)).rstrip())
        self.stdout.write("")
        self.write_two_factor()
        self.stdout.write(_("These logins are for the local demo only: the password is public. "
                            "Do not load the demo into a production database."))

    def write_two_factor(self) -> None:
        """Staff log in with a second factor; the demo's authenticator secret is public on purpose."""
        staff = [u.username for u in data.USERS if u.staff]
        first = User.objects.filter(username=staff[0]).first() if staff else None
        device = twofactor.confirmed_device(first) if first is not None else None
        self.stdout.write(_("Staff logins (%(users)s) then ask for a 6-digit code. Add this demo secret to an "
                            "authenticator app (TOTP, 6 digits, 30 s): %(secret)s") % {
                                "users": ", ".join(staff), "secret": twofactor.DEMO_TOTP_SECRET})
        if device is not None:
            self.stdout.write(_("Code right now: %(code)s; `python manage.py otp_code <username>` prints the "
                                "current one.") % {"code": twofactor.current_code(device)})
        self.stdout.write("")


def _display_width(text: str) -> int:
    """Chinese characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
