"""Admin for courts, cases, lots and rounds. Courts and memberships are edited here; everything the
services govern (with an audit record for each change) is read-only, with a link to the staff page
where staff change it through the services. Bidder codes appear, identities never (WP art.18)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from auction.models import (
    AuctionRound,
    Case,
    Claim,
    Court,
    CourtMembership,
    Encumbrance,
    Lease,
    Lot,
    LotAttachment,
    LotPhoto,
    Notification,
    PanelDecision,
    Party,
    PriorityHolder,
    TaxAllocation,
)
from core.admin import ReadOnlyAdmin, register_staff_page, staff_page_link
from core.money import format_fen

register_staff_page("auction.case", "staff:case_detail")
register_staff_page("auction.lot", "staff:lot_detail")
register_staff_page("auction.auctionround", "staff:round_detail")


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else format_fen(fen)


class StaffLinkedAdmin(ReadOnlyAdmin):
    """Read-only, with a link from the change page to the staff page that shows the object (or
    the case, lot or round it belongs to)."""

    staff_url_name = ""
    staff_pk_attr = "pk"

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        return ("staff_page", *super().get_readonly_fields(request, obj))

    def get_fields(self, request: Any, obj: Any = None) -> Any:
        fields = [f for f in super().get_fields(request, obj) if f != "staff_page"]
        return ["staff_page", *fields]

    @admin.display(description=_("staff page"))
    def staff_page(self, obj: Any) -> SafeString | str:
        return staff_page_link(self.staff_url_name, getattr(obj, self.staff_pk_attr))


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "case_code", "province", "city", "phone")
    list_filter = ("province",)
    search_fields = ("name", "name_en", "case_code", "city")


@admin.register(CourtMembership)
class CourtMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "court")
    list_filter = ("court",)
    search_fields = ("user__username", "user__display_name", "court__name", "court__case_code")
    autocomplete_fields = ("user", "court")
    list_select_related = ("user", "court")


@admin.register(Case)
class CaseAdmin(StaffLinkedAdmin):
    staff_url_name = "staff:case_detail"
    list_display = ("number", "court", "cause", "filed_on", "platform_chosen_by", "status")
    list_filter = ("status", "platform_chosen_by", "court", "year")
    search_fields = ("number", "cause")
    date_hierarchy = "filed_on"
    list_select_related = ("court",)


@admin.register(Party)
class PartyAdmin(StaffLinkedAdmin):
    staff_url_name = "staff:case_detail"
    staff_pk_attr = "case_id"
    list_display = ("name", "role", "kind", "case")
    list_filter = ("role", "kind")
    search_fields = ("name", "case__number")
    list_select_related = ("case",)


@admin.register(Claim)
class ClaimAdmin(StaffLinkedAdmin):
    staff_url_name = "staff:case_detail"
    staff_pk_attr = "case_id"
    list_display = ("creditor", "case", "principal", "interest", "priority_class", "verified")
    list_filter = ("priority_class", "verified")
    search_fields = ("creditor__name", "case__number", "title_document")
    list_select_related = ("creditor", "case")

    @admin.display(description=_("principal"), ordering="principal_fen")
    def principal(self, obj: Claim) -> str:
        return _yuan(obj.principal_fen)

    @admin.display(description=_("interest"), ordering="interest_fen")
    def interest(self, obj: Claim) -> str:
        return _yuan(obj.interest_fen)


@admin.register(Lot)
class LotAdmin(StaffLinkedAdmin):
    staff_url_name = "staff:lot_detail"
    list_display = ("title", "case", "asset_type", "nature", "city", "reference_price", "reference_valid_until")
    list_filter = ("asset_type", "nature", "reference_method", "case__court")
    search_fields = ("title", "case__number", "address", "city")
    list_select_related = ("case",)

    @admin.display(description=_("reference price"), ordering="reference_price_fen")
    def reference_price(self, obj: Lot) -> str:
        return _yuan(obj.reference_price_fen)


class LotChildAdmin(StaffLinkedAdmin):
    staff_url_name = "staff:lot_detail"
    staff_pk_attr = "lot_id"
    list_select_related = ("lot",)


@admin.register(LotPhoto)
class LotPhotoAdmin(LotChildAdmin):
    list_display = ("caption", "lot", "position")
    search_fields = ("caption", "lot__title")


@admin.register(LotAttachment)
class LotAttachmentAdmin(LotChildAdmin):
    list_display = ("title", "kind", "lot", "uploaded_at")
    list_filter = ("kind",)
    search_fields = ("title", "lot__title")


@admin.register(Encumbrance)
class EncumbranceAdmin(LotChildAdmin):
    list_display = ("kind", "holder", "lot", "amount", "registered_on", "survives_sale")
    list_filter = ("kind", "survives_sale")
    search_fields = ("holder", "lot__title")

    @admin.display(description=_("secured amount"), ordering="amount_fen")
    def amount(self, obj: Encumbrance) -> str:
        return _yuan(obj.amount_fen)


@admin.register(Lease)
class LeaseAdmin(LotChildAdmin):
    list_display = ("tenant", "lot", "start", "end", "rent", "rent_period")
    list_filter = ("rent_period",)
    search_fields = ("tenant", "lot__title")

    @admin.display(description=_("rent"), ordering="rent_fen")
    def rent(self, obj: Lease) -> str:
        return _yuan(obj.rent_fen)


@admin.register(TaxAllocation)
class TaxAllocationAdmin(LotChildAdmin):
    list_display = ("lot", "tax", "payer", "estimate")
    list_filter = ("tax", "payer")
    search_fields = ("lot__title",)

    @admin.display(description=_("estimate"), ordering="estimate_fen")
    def estimate(self, obj: TaxAllocation) -> str:
        return _yuan(obj.estimate_fen)


@admin.register(PriorityHolder)
class PriorityHolderAdmin(LotChildAdmin):
    list_display = ("name", "basis", "rank", "lot")
    list_filter = ("basis",)
    search_fields = ("name", "lot__title")


@admin.register(AuctionRound)
class AuctionRoundAdmin(StaffLinkedAdmin):
    staff_url_name = "staff:round_detail"
    list_display = ("__str__", "number", "kind", "status", "start_price", "bidding_start", "effective_end", "court")
    list_filter = ("status", "kind", "lot__case__court")
    search_fields = ("lot__title", "lot__case__number")
    date_hierarchy = "bidding_start"
    list_select_related = ("lot__case__court",)

    @admin.display(description=_("start price"), ordering="start_price_fen")
    def start_price(self, obj: AuctionRound) -> str:
        return _yuan(obj.start_price_fen)

    @admin.display(description=_("court"), ordering="lot__case__court")
    def court(self, obj: AuctionRound) -> Court:
        return obj.lot.case.court


class RoundChildAdmin(StaffLinkedAdmin):
    staff_url_name = "staff:round_detail"
    staff_pk_attr = "round_id"
    list_select_related = ("round__lot",)


@admin.register(PanelDecision)
class PanelDecisionAdmin(RoundChildAdmin):
    list_display = ("reference", "round", "decided_on", "recorded_by", "recorded_at")
    search_fields = ("reference", "round__lot__title")
    date_hierarchy = "decided_on"


@admin.register(Notification)
class NotificationAdmin(RoundChildAdmin):
    list_display = ("recipient", "round", "method", "at", "proof")
    list_filter = ("method",)
    search_fields = ("proof", "party__name", "priority_holder__name", "round__lot__title")

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("party", "priority_holder")

    @admin.display(description=_("recipient"))
    def recipient(self, obj: Notification) -> str:
        return obj.recipient_name
