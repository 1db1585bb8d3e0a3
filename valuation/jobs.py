"""Clock jobs of the valuation app (core.jobs; `manage.py run_clock`). Both are idempotent: a
reminder is a unique row per lot, deadline, kind and due date, so it is sent once however often
the clock runs; a hand-over re-checks the agency's state under the valuation's lock."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from auction.models import Lot
from core import clock
from core.errors import RuleViolation
from core.models import User
from core.roles import Role
from valuation import rules, selectors, services
from valuation.models import Engagement, Valuation, ValuationReminder

log = logging.getLogger(__name__)
V = Valuation.Status


def _kind(deadline: selectors.Deadline) -> str | None:
    if not deadline.open:
        return None
    if deadline.days_left < 0:
        return ValuationReminder.Kind.OVERDUE
    if deadline.days_left <= rules.REMIND_DAYS_BEFORE:
        return ValuationReminder.Kind.DUE_SOON
    return None


def _recipients(lot: Lot) -> list[str]:
    staff = User.objects.filter(court_memberships__court_id=lot.case.court_id, groups__name=Role.COURT_STAFF,
                                is_active=True).exclude(email="").distinct()
    return sorted(staff.values_list("email", flat=True))


def _remind(lot: Lot, valuation: Valuation | None, deadline: selectors.Deadline) -> int:
    kind = _kind(deadline)
    if kind is None:
        return 0
    # Stored and mailed in the court's language, whatever the clock process runs in.
    with translation.override(settings.LANGUAGE_CODE):
        state = _("Overdue") if kind == ValuationReminder.Kind.OVERDUE else _("Due soon")
        message = _("%(state)s: %(deadline)s, due on %(due)s (%(article)s). Lot: %(lot)s, case %(case)s.") % {
            "state": state, "deadline": deadline.label, "due": deadline.due_on, "article": deadline.article,
            "lot": lot.title, "case": lot.case.number}
    with transaction.atomic():
        reminder, created = ValuationReminder.objects.get_or_create(
            lot=lot, code=deadline.code, kind=kind, due_on=deadline.due_on,
            defaults={"valuation": valuation, "message": message})
        if not created:
            return 0
        recipients = _recipients(lot)
        if recipients:
            reminder.recipients = send_mail(message[:150], message, None, recipients, fail_silently=True)
            reminder.save(update_fields=["recipients"])
    return 1


def send_reminders() -> int:
    """A reminder the day before each court deadline, on the day, and once it is overdue: opening
    the procedure (RP art.1), reports (arts.6, 11, 19), delivery (art.21), objections (art.23), the
    sale start (art.30) and the validity (art.27). Stayed valuations are paused."""
    today = clock.today()
    sent = 0
    waiting = (Lot.objects.filter(reference_price_fen__isnull=True, valuations__isnull=True)
               .select_related("case__court"))
    for lot in waiting:
        sent += _remind(lot, None, selectors.open_deadline(lot, today, None))
    recent = today - timedelta(days=7)
    valuations = (Valuation.objects.filter(status=V.OPEN)
                  | Valuation.objects.filter(status=V.FIXED, valid_until__gte=recent))
    valuations = valuations.select_related("lot__case__court")
    for valuation in valuations:
        for deadline in selectors.deadlines(valuation, today):
            sent += _remind(valuation.lot, valuation, deadline)
    return sent


def hand_over_late_agencies() -> int:
    """An agency past its period without a report or extension hands over to the next in order
    (RP art.19 ¶3)."""
    today = clock.today()
    late = (Engagement.objects.filter(status=Engagement.Status.ACTIVE, due_on__lt=today,
                                      selection__valuation__status=V.OPEN)
            .select_related("selection__valuation__lot__case__court"))
    changed = 0
    for engagement in late:
        try:
            services.appraisal_hand_over(actor=services.CLOCK, valuation=engagement.selection.valuation)
        except RuleViolation as exc:  # another clock got there first, or a report came in meanwhile
            log.info("hand-over of engagement %s skipped: %s", engagement.pk, exc.rule_code)
            continue
        changed += 1
    return changed
