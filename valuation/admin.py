"""Admin for the valuation app. The agency list (RP art.15) is kept here by administrators, like the
courts; everything the services govern is read-only, with a link to the valuation page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, register_staff_page, staff_page_link
from core.money import format_fen
from valuation.models import Agency, Objection, Report, Valuation, ValuationCost, ValuationReminder

register_staff_page("valuation.valuation", "valuation:detail")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "specialty", "province", "city", "active")
    list_filter = ("specialty", "active", "province")
    search_fields = ("name", "city")


class ValuationLinkedAdmin(ReadOnlyAdmin):
    valuation_attr = "valuation_id"

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        return ("valuation_page", *super().get_readonly_fields(request, obj))

    @admin.display(description=_("valuation page"))
    def valuation_page(self, obj: Any) -> SafeString | str:
        return staff_page_link("valuation:detail", getattr(obj, self.valuation_attr))


@admin.register(Valuation)
class ValuationAdmin(ValuationLinkedAdmin):
    valuation_attr = "pk"
    list_display = ("lot", "status", "method", "opened_on", "price", "fixed_on", "valid_until")
    list_filter = ("status", "method", "lot__case__court")
    search_fields = ("lot__title", "lot__case__number")
    list_select_related = ("lot",)

    @admin.display(description=_("reference price"), ordering="price_fen")
    def price(self, obj: Valuation) -> str:
        return "—" if obj.price_fen is None else format_fen(obj.price_fen)


@admin.register(Report)
class ReportAdmin(ValuationLinkedAdmin):
    list_display = ("provider_name", "kind", "valuation", "price_fen", "received_on")
    list_filter = ("kind",)
    search_fields = ("provider_name", "number", "valuation__lot__title")


@admin.register(Objection)
class ObjectionAdmin(ValuationLinkedAdmin):
    list_display = ("party", "kind", "status", "outcome", "filed_on")
    list_filter = ("kind", "status", "outcome")


@admin.register(ValuationCost)
class ValuationCostAdmin(ValuationLinkedAdmin):
    list_display = ("case", "kind", "payee", "amount", "recorded_on")
    list_filter = ("kind",)
    search_fields = ("case__number", "payee")

    @admin.display(description=_("amount"), ordering="amount_fen")
    def amount(self, obj: ValuationCost) -> str:
        return format_fen(obj.amount_fen)


@admin.register(ValuationReminder)
class ValuationReminderAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "lot", "code", "kind", "due_on", "recipients")
    list_filter = ("kind",)
    search_fields = ("lot__title", "message")
