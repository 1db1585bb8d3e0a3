"""`python manage.py otp_code <username>`: print the current authenticator code of a user, for the
local demo and development only.

Guard: it refuses to run unless DEBUG is on or the database is the embedded default (the SQLite
file var/db.sqlite3 that `make run` uses), and always under the production settings — anywhere
else a code printed on a terminal would be a second factor anyone with shell access could read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core import twofactor
from core.models import User


def embedded_default_database() -> bool:
    db = settings.DATABASES["default"]
    if not str(db.get("ENGINE", "")).endswith("sqlite3"):
        return False
    var_dir = Path(getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var"))
    return Path(str(db.get("NAME", ""))).resolve() == (var_dir / "db.sqlite3").resolve()


def allowed() -> bool:
    if getattr(settings, "FAPAI_PRODUCTION", False):
        return False
    return bool(settings.DEBUG) or embedded_default_database()


class Command(BaseCommand):
    help = "Print the current two-factor code of a user (demo and development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not allowed():
            raise CommandError(_("otp_code runs only with DEBUG on or on the embedded SQLite demo database, never "
                                 "in production."))
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("No user %(username)s.") % {"username": options["username"]})
        device = twofactor.confirmed_device(user)
        if device is None:
            raise CommandError(_("%(username)s has no authenticator yet; they enrol at their next login.") % {
                "username": user.username})
        self.stdout.write(twofactor.current_code(device))
