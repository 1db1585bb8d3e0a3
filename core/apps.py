from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_seed_data(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Rows the system cannot run without: the audit chain head, one group per role and the holiday
    calendar. Run after every migrate and after every test-database flush (Django sends
    post_migrate then), never overwriting what staff changed."""
    from django.contrib.auth.models import Group

    from core.calendar_seed import china_calendar
    from core.models import AuditChainHead, CalendarDay
    from core.roles import Role

    AuditChainHead.objects.using(using).get_or_create(id=1)
    for role in Role.values:
        Group.objects.using(using).get_or_create(name=role)
    if not CalendarDay.objects.using(using).exists():
        CalendarDay.objects.using(using).bulk_create(
            [CalendarDay(date=d, kind=k, name=n[:100], source="holidays package (seed)")
             for d, k, n in china_calendar([2024, 2025, 2026, 2027])],
            ignore_conflicts=True,
        )


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        post_migrate.connect(ensure_seed_data, sender=self, dispatch_uid="fapai-core-seed")
        from core import audit, jobs, notify, twofactor

        audit.register_actions(twofactor.AUDIT_ACTIONS)
        jobs.register("notify.emails", notify.send_pending_emails)
