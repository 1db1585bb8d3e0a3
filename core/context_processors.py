from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from core.roles import Role, has_role, is_staff_member

SITE_NAME = _("fapai judicial auctions")


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": SITE_NAME,
        "is_staff_member": is_staff_member(user),
        "is_court_staff": has_role(user, Role.COURT_STAFF, Role.PANEL),
        "is_finance": has_role(user, Role.FINANCE),
        "is_supervisor": has_role(user, Role.SUPERVISOR),
        "is_bidder": has_role(user, Role.BIDDER),
        # Counted only when a page shows it (the header does, for logged-in users).
        "unread_notifications": SimpleLazyObject(lambda: _unread(user)),
    }


def _unread(user: Any) -> int:
    from core.models import UserNotification

    if user is None or not user.is_authenticated:
        return 0
    return UserNotification.objects.filter(user=user, read_at__isnull=True).count()
