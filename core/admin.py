"""Admin for the kernel: users (with their role groups) and the holiday calendar are edited here;
the audit chain is shown read-only, because its rows are written only by core.audit and any edit
would break the hash chain that `verify_audit` checks."""

from __future__ import annotations

from typing import Any

# Two-factor devices are not edited in the admin: their pages would show a colleague's secret.
# Staff reset a colleague's devices with the audited user action below (core.twofactor).
import django_otp.plugins.otp_static.admin
import django_otp.plugins.otp_totp.admin  # noqa: F401
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import twofactor
from core.models import AuditChainHead, AuditRecord, CalendarDay, User

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

admin.site.site_header = _("fapai administration")
admin.site.site_title = _("fapai admin")
admin.site.index_title = _("Site administration")


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that only services write (with their audit records): viewable, never added,
    changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Staff pages by audited object type ("app_label.model" → URL name taking the object's pk). Apps
# above core add theirs (auction.admin), so core does not depend on them.
STAFF_PAGES: dict[str, str] = {}


def register_staff_page(object_type: str, url_name: str) -> None:
    STAFF_PAGES[object_type] = url_name


def staff_page_link(url_name: str, pk: Any) -> SafeString | str:
    try:
        url = reverse(url_name, args=[pk])
    except NoReverseMatch:
        return "—"
    return format_html('<a href="{}">{}</a>', url, _("Open the staff page"))


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("Profile"), {"fields": ("display_name",)}))
    list_display = ("username", "display_name", "email", "is_staff", "is_active", "roles", "two_factor")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "display_name", "email")
    actions = ["reset_two_factor"]

    @admin.display(description=_("two-factor"), boolean=True)
    def two_factor(self, obj: User) -> bool:
        return twofactor.confirmed_device(obj) is not None

    @admin.action(description=_("Reset two-factor devices (lost phone): the user enrols again at the next login"),
                  permissions=["change"])
    def reset_two_factor(self, request: HttpRequest, queryset: Any) -> None:
        removed = 0
        with transaction.atomic():  # all of the selected users or none
            for user in queryset:
                removed += twofactor.do_devices_reset(actor=request.user, user=user,
                                                      reason=str(_("reset in the admin")))
        self.message_user(request, _("%(users)s users reset, %(devices)s devices removed.") % {
            "users": queryset.count(), "devices": removed})

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("groups")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ("position", "at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_type", "object_id", "actor_label", "reason")
    date_hierarchy = "at"
    readonly_fields = ("staff_page",)

    @admin.display(description=_("staff page"))
    def staff_page(self, obj: AuditRecord) -> SafeString | str:
        url_name = STAFF_PAGES.get(obj.object_type)
        return staff_page_link(url_name, obj.object_id) if url_name else "—"


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("position", "hash")
