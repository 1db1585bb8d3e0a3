"""Notifications to users: in the app and by email (Django's email backend; the console backend in
the embedded default). Every kind's words are in this one table and rendered in the reader's
language; the apps decide when to notify (their services call notify() inside the transaction of the
event, so a rolled-back event notifies nobody) and the email leaves after the commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core import clock

log = logging.getLogger(__name__)

# kind: (title, body); %(name)s parameters come from the notification's params.
KINDS: dict[str, tuple[Any, Any]] = {
    "outbid": (_("You were outbid: %(lot)s"),
               _("Another bidder bid %(price)s. The round ends at %(end)s unless a later bid extends it.")),
    "ending_soon": (_("Ending soon: %(lot)s"),
                    _("Bidding ends at %(end)s, in about %(minutes)s minutes; a bid in the last 5 minutes "
                      "extends it.")),
    "won": (_("You won: %(lot)s"),
            _("Your bidder code %(code)s won at %(price)s. Pay the balance of %(balance)s by %(due)s; the court then "
              "issues the sale ruling.")),
    "ended": (_("The auction has ended: %(lot)s"),
              _("The round ended (%(status)s). If you did not win, your deposit is released within 24 hours.")),
    "balance_due": (_("Balance due soon: %(lot)s"), _("Pay %(amount)s by %(due)s, or the deposit is forfeited.")),
    "deposit_released": (_("Deposit released: %(lot)s"),
                         _("Your deposit of %(amount)s was released (%(reference)s).")),
    "round_stayed": (_("Auction stayed: %(lot)s"), _("The court stayed the round: %(reason)s")),
    "round_resumed": (_("Auction resumed: %(lot)s"), _("The court resumed the round: %(reason)s")),
    "deadline_soon": (_("Due within 24 hours: %(label)s"), _("%(subject)s — due %(due)s (%(article)s).")),
    "deadline_overdue": (_("Overdue: %(label)s"), _("%(subject)s — was due %(due)s (%(article)s).")),
    "valuation_result": (_("Valuation result: %(lot)s (case %(case)s)"),
                         _("The %(report)s issued by %(issuer)s gives %(price)s. You may object in writing within 5 "
                           "days of receiving it, by %(deadline)s (RP art.22). Follow the case with your case number "
                           "and access code in the case file for parties.")),
}


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


def render(kind: str, params: dict[str, Any], language: str | None = None) -> Rendered:
    title, body = KINDS[kind]
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        try:
            return Rendered(str(title) % params, str(body) % params)
        except (KeyError, TypeError, ValueError):  # a stored notice older than its words: show what we can
            return Rendered(str(title).split("%")[0].rstrip(": "), "")


def notify(users: Iterable[Any], kind: str, params: dict[str, Any], *, key: str, url: str = "",
           mail_now: bool = True) -> int:
    """Notify each user once per key (a repeated event changes nothing); must run inside the event's
    transaction. The email leaves after the commit, or — with mail_now=False, for events on the bid
    path, which must never wait for a mail server — from the clock's `notify.emails` job a moment
    later. Returns how many notices were new."""
    from core.models import UserNotification

    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    now = clock.now()
    created = []
    for user in users:
        if user is None:
            continue
        try:
            with transaction.atomic():
                created.append(UserNotification.objects.create(user=user, kind=kind, params=params, url=url,
                                                               key=key, created_at=now))
        except IntegrityError:
            continue
    if created and mail_now:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: send_emails(ids))
    return len(created)


def notify_address(address: str, kind: str, params: dict[str, Any], *, url: str = "") -> None:
    """Mail a notice to someone without an account (a party of a case), after the commit of the event
    that caused it; the caller's own record (e.g. the delivery it writes once) keeps it from repeating."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    if not address:
        return

    def send() -> None:
        text = render(kind, params, settings.LANGUAGE_CODE)
        link = f"\n\n{settings.FAPAI_SITE_URL}{url}" if url and settings.FAPAI_SITE_URL else ""
        try:
            send_mail(text.title[:150], text.body + link, None, [address])
        except Exception:
            log.exception("notice %s: could not email", kind)

    transaction.on_commit(send)


def send_emails(ids: list[int]) -> int:
    """Mail these notices to users with an address, in the court's language. Each notice is claimed
    first (emailed_at set where it is still empty), so the commit hook and any number of clocks send it
    once; a failed send gives the claim back for the next tick and is logged, the notice stays in the
    app. Returns how many were mailed."""
    from core.models import UserNotification

    sent = 0
    for n in UserNotification.objects.filter(pk__in=ids, emailed_at__isnull=True).exclude(
            user__email="").select_related("user"):
        if not UserNotification.objects.filter(pk=n.pk, emailed_at__isnull=True).update(emailed_at=clock.now()):
            continue  # another process claimed it
        text = render(n.kind, n.params, settings.LANGUAGE_CODE)
        link = f"\n\n{settings.FAPAI_SITE_URL}{n.url}" if n.url and settings.FAPAI_SITE_URL else ""
        try:
            send_mail(text.title[:150], text.body + link, None, [n.user.email])
        except Exception:
            log.exception("notification %s: could not email", n.pk)
            UserNotification.objects.filter(pk=n.pk).update(emailed_at=None)
            continue
        sent += 1
    return sent


# Notices older than this are no longer mailed (a mail server down for a day does not flood users later).
EMAIL_MAX_AGE = timedelta(hours=24)


def send_pending_emails() -> int:
    """Clock job `notify.emails`: mail the notices left for it (mail_now=False) and those whose send
    failed, up to a day old, in batches."""
    from core.models import UserNotification

    ids = list(UserNotification.objects.filter(emailed_at__isnull=True, created_at__gte=clock.now() - EMAIL_MAX_AGE)
               .exclude(user__email="").order_by("id").values_list("pk", flat=True)[:500])
    return send_emails(ids) if ids else 0
