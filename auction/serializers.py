"""Serializers of the REST API. They only parse the shape of input and render output: every rule is
checked by auction.services, whose RuleViolations come back as {"errors": [...]} (core.api).

Conventions: money is integer fen in fields ending `_fen`; times are ISO-8601 in UTC ("…Z"); every
representation of a round carries `server_time` so clients can compute countdowns from the offset.
Public serializers never include a person behind a bidder code, a party or a priority holder's contact."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from auction.models import (
    AuctionRound,
    Case,
    Claim,
    Court,
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
from auction.selectors import PUBLIC_STATUSES, SORTS
from auction.services import LOT_FIELDS
from core import clock
from core.money import MAX_FEN

# --- fields -------------------------------------------------------------------------------------


class UTCDateTimeField(serializers.DateTimeField):
    """ISO-8601 in UTC ("2026-03-02T02:00:00Z"). A time sent without an offset is read as UTC."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "format": "int64"})
class Int64Field(serializers.IntegerField):
    """An integer that may not fit in 32 bits: every amount of money in fen."""


class FenField(serializers.IntegerField):
    """An amount of money in integer fen. Never negative; bounded so sums cannot overflow. A JSON
    integer or a string of digits: DRF would also take 100.0 and "100.00" as 100, and "100.00" may
    well have been meant as yuan, so no float and no decimal point is accepted."""

    default_error_messages = {"invalid": _("An amount in whole fen is required (digits only, no decimal point).")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_FEN)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool | float) or (isinstance(data, str) and not re.fullmatch(r"-?[0-9]{1,19}", data)):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class EnumField(serializers.ChoiceField):
    """A choice field bound to a model's TextChoices class. In the OpenAPI schema each choices class
    is one named component (e.g. AuctionRoundKindEnum), so fields that share a name such as `kind`
    or `status` but mean different things never collide."""

    def __init__(self, choices_class: type[models.TextChoices], **kwargs: Any) -> None:
        self.choices_class = choices_class
        super().__init__(choices=choices_class.choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def get_name(self) -> str:
        # A field that may be empty ("" in a blank model field) has a component of its own that says so.
        blank = "OrBlank" if self.target.allow_blank else ""
        return f"{self.target.choices_class.__qualname__.replace('.', '')}{blank}Enum"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        choices = self.target.choices_class
        return {
            "type": "string",
            "enum": list(choices.values) + ([""] if self.target.allow_blank else []),
            "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices),
        }


def server_time(context: Mapping[str, Any]) -> str:
    """The server's time for this response, once per response so every round in it agrees."""
    at: datetime = context.get("server_time") or clock.now()
    return str(UTCDateTimeField().to_representation(at))


# The base of every output serializer (no docstring: the schema would show it on every component).
class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.BigIntegerField: Int64Field, models.DateTimeField: UTCDateTimeField}

    def get_extra_kwargs(self) -> dict[str, Any]:
        extra = super().get_extra_kwargs()
        for name in self.Meta.fields:
            extra.setdefault(name, {})["read_only"] = True
        return extra


# --- errors -------------------------------------------------------------------------------------


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. start_below_reference.")
    message = serializers.CharField(help_text="Human-readable message in the request's language.")
    field = serializers.CharField(allow_null=True, help_text="The input field concerned, or null.")


class ErrorResponseSerializer(serializers.Serializer):
    """Every 4xx response of the API."""

    # DRF takes declared fields off the class, so this does not shadow Serializer.errors at runtime.
    errors = ErrorItemSerializer(many=True)  # type: ignore[assignment]


# --- public -------------------------------------------------------------------------------------


class RoundFilterSerializer(serializers.Serializer):
    """Query parameters of the public listing and the results archive."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Words in the title, the case number or the address.")
    court = serializers.IntegerField(required=False, min_value=1, help_text="Court id.")
    asset_type = serializers.ChoiceField(choices=Lot.AssetType.choices, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=AuctionRound.Kind.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=[(s, AuctionRound.Status(s).label) for s in PUBLIC_STATUSES],
                                     required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True, max_length=30)
    price_min_fen = FenField(required=False, help_text="Lowest current (or start) price, in fen.")
    price_max_fen = FenField(required=False, help_text="Highest current (or start) price, in fen.")
    sort = serializers.ChoiceField(choices=list(SORTS), required=False, default="ending")


class CourtSerializer(ModelSerializer):
    class Meta:
        model = Court
        fields = ["id", "name", "name_en", "province", "city", "phone", "supervision_phone"]


class PhotoSerializer(ModelSerializer):
    url = serializers.ImageField(source="image", read_only=True)

    class Meta:
        model = LotPhoto
        fields = ["url", "caption"]


class AttachmentSerializer(ModelSerializer):
    kind = EnumField(LotAttachment.Kind, read_only=True)
    url = serializers.FileField(source="file", read_only=True)

    class Meta:
        model = LotAttachment
        fields = ["kind", "title", "url", "uploaded_at"]


class EncumbranceSerializer(ModelSerializer):
    kind = EnumField(Encumbrance.Kind, read_only=True)

    class Meta:
        model = Encumbrance
        fields = ["kind", "holder", "description", "amount_fen", "registered_on", "survives_sale"]


class LeaseSerializer(ModelSerializer):
    rent_period = EnumField(Lease.RentPeriod, read_only=True)

    class Meta:
        model = Lease
        fields = ["tenant", "start", "end", "rent_fen", "rent_period", "rent_prepaid_until", "note"]


class TaxSerializer(ModelSerializer):
    tax = EnumField(TaxAllocation.Tax, read_only=True)
    payer = EnumField(TaxAllocation.Payer, read_only=True)

    class Meta:
        model = TaxAllocation
        fields = ["tax", "payer", "estimate_fen", "note"]


class PublicPriorityHolderSerializer(ModelSerializer):
    """Name, basis and rank are published with the notice (WP art.13(6)); the contact is not."""

    basis = EnumField(PriorityHolder.Basis, read_only=True)

    class Meta:
        model = PriorityHolder
        fields = ["name", "basis", "rank"]


class PublicLotSummarySerializer(ModelSerializer):
    asset_type = EnumField(Lot.AssetType, read_only=True)
    nature = EnumField(Lot.Nature, read_only=True)
    case_number = serializers.CharField(source="case.number", read_only=True)
    court = CourtSerializer(source="case.court", read_only=True)
    cover_photo = serializers.SerializerMethodField()

    class Meta:
        model = Lot
        fields = ["id", "title", "asset_type", "nature", "province", "city", "district", "address", "area_m2",
                  "case_number", "court", "cover_photo"]

    @extend_schema_field(PhotoSerializer(allow_null=True))
    def get_cover_photo(self, lot: Lot) -> dict[str, Any] | None:
        photos = list(lot.photos.all())
        return PhotoSerializer(photos[0], context=self.context).data if photos else None


class PublicRoundBriefSerializer(ModelSerializer):
    kind = EnumField(AuctionRound.Kind, read_only=True)
    status = EnumField(AuctionRound.Status, read_only=True)
    price_fen = Int64Field(source="display_price_fen", read_only=True,
                                         help_text="The current price, or the start price before any bid.")
    server_time = serializers.SerializerMethodField()

    class Meta:
        model = AuctionRound
        fields = ["id", "number", "kind", "status", "currency", "start_price_fen", "increment_fen", "deposit_fen",
                  "current_price_fen", "price_fen", "leader_code", "bid_count", "registrant_count",
                  "extension_count", "notice_published_at", "bidding_start", "bidding_end", "effective_end",
                  "ended_at", "status_reason", "server_time"]

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_server_time(self, rnd: AuctionRound) -> str:
        return server_time(self.context)


class PublicRoundSerializer(PublicRoundBriefSerializer):
    lot = PublicLotSummarySerializer(read_only=True)

    class Meta(PublicRoundBriefSerializer.Meta):
        fields = [*PublicRoundBriefSerializer.Meta.fields, "lot"]


class KeyFactsSerializer(serializers.Serializer):
    """What a bidder must know before registering (WP arts.13, 14), in one place."""

    reference_price_fen = Int64Field(source="lot.reference_price_fen", allow_null=True)
    reference_method = EnumField(Lot.ReferenceMethod, source="lot.reference_method", allow_blank=True)
    reference_valid_until = serializers.DateField(source="lot.reference_valid_until", allow_null=True)
    possession = EnumField(Lot.Possession, source="lot.possession", allow_blank=True)
    occupancy = serializers.CharField(source="lot.occupancy")
    known_defects = serializers.CharField(source="lot.known_defects")
    special_qualifications = serializers.CharField(source="lot.special_qualifications")
    purchase_restricted = serializers.BooleanField(source="lot.purchase_restricted")
    viewing = serializers.CharField(source="lot.viewing")
    has_priority_holders = serializers.SerializerMethodField()
    balance_due_days = serializers.IntegerField()
    court_phone = serializers.CharField(source="lot.case.court.phone")
    supervision_phone = serializers.CharField(source="lot.case.court.supervision_phone")

    def get_has_priority_holders(self, rnd: AuctionRound) -> bool:
        return rnd.lot.priority_holders.exists()


class PublicRoundDetailSerializer(PublicRoundSerializer):
    key_facts = KeyFactsSerializer(source="*", read_only=True)

    class Meta(PublicRoundSerializer.Meta):
        fields = [*PublicRoundSerializer.Meta.fields, "previous_round", "notice_text", "terms_text", "payment_text",
                  "judgment_secret", "judgment_secret_reason", "key_facts"]


class PublicLotDetailSerializer(ModelSerializer):
    asset_type = EnumField(Lot.AssetType, read_only=True)
    nature = EnumField(Lot.Nature, read_only=True)
    possession = EnumField(Lot.Possession, read_only=True)
    reference_method = EnumField(Lot.ReferenceMethod, read_only=True, allow_blank=True)
    case_number = serializers.CharField(source="case.number", read_only=True)
    court = CourtSerializer(source="case.court", read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    encumbrances = EncumbranceSerializer(many=True, read_only=True)
    leases = LeaseSerializer(many=True, read_only=True)
    taxes = TaxSerializer(source="tax_allocations", many=True, read_only=True)
    priority_holders = PublicPriorityHolderSerializer(many=True, read_only=True)
    rounds = PublicRoundBriefSerializer(many=True, read_only=True,
                                        help_text="The lot's public rounds, oldest first.")

    class Meta:
        model = Lot
        fields = ["id", "title", "description", "asset_type", "nature", "province", "city", "district", "address",
                  "area_m2", "quantity", "quantity_unit", "built_year", "possession", "occupancy", "known_defects",
                  "special_qualifications", "purchase_restricted", "viewing", "reference_price_fen",
                  "reference_method", "reference_fixed_on", "reference_valid_until", "reference_document",
                  "view_count", "case_number", "court", "photos", "attachments", "encumbrances", "leases", "taxes",
                  "priority_holders", "rounds"]


# --- staff: output ------------------------------------------------------------------------------


class CourtBriefSerializer(ModelSerializer):
    class Meta:
        model = Court
        fields = ["id", "name", "name_en", "case_code"]


class PartySerializer(ModelSerializer):
    role = EnumField(Party.Role, read_only=True)
    kind = EnumField(Party.Kind, read_only=True)
    # Blank when the party gave none: a plain string in the schema, as "" is no `format: email`.
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Party
        fields = ["id", "role", "kind", "name", "contact", "email"]


class ClaimSerializer(ModelSerializer):
    priority_class = EnumField(Claim.PriorityClass, read_only=True)
    creditor_name = serializers.CharField(source="creditor.name", read_only=True)

    class Meta:
        model = Claim
        fields = ["id", "creditor", "creditor_name", "title_document", "principal_fen", "interest_fen",
                  "priority_class", "secured_lot", "registered_on", "seizure_order", "performance_due_on", "verified"]


class StaffRoundBriefSerializer(ModelSerializer):
    kind = EnumField(AuctionRound.Kind, read_only=True)
    status = EnumField(AuctionRound.Status, read_only=True)

    class Meta:
        model = AuctionRound
        fields = ["id", "number", "kind", "status", "bidding_start", "effective_end"]


class StaffLotBriefSerializer(ModelSerializer):
    asset_type = EnumField(Lot.AssetType, read_only=True)
    rounds = StaffRoundBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Lot
        fields = ["id", "title", "asset_type", "reference_price_fen", "rounds"]


class CaseSerializer(ModelSerializer):
    court = CourtBriefSerializer(read_only=True)
    platform_chosen_by = EnumField(Case.PlatformChosenBy, read_only=True)
    status = EnumField(Case.Status, read_only=True)

    class Meta:
        model = Case
        fields = ["id", "court", "number", "cause", "filed_on", "platform_chosen_by", "status", "created_at"]


class CaseDetailSerializer(CaseSerializer):
    parties = PartySerializer(many=True, read_only=True)
    claims = ClaimSerializer(many=True, read_only=True)
    lots = StaffLotBriefSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "parties", "claims", "lots"]


class StaffPhotoSerializer(ModelSerializer):
    url = serializers.ImageField(source="image", read_only=True)

    class Meta:
        model = LotPhoto
        fields = ["id", "url", "caption", "position"]


class StaffAttachmentSerializer(AttachmentSerializer):
    class Meta(AttachmentSerializer.Meta):
        fields = ["id", *AttachmentSerializer.Meta.fields]


class StaffEncumbranceSerializer(EncumbranceSerializer):
    class Meta(EncumbranceSerializer.Meta):
        fields = ["id", *EncumbranceSerializer.Meta.fields]


class StaffLeaseSerializer(LeaseSerializer):
    class Meta(LeaseSerializer.Meta):
        fields = ["id", *LeaseSerializer.Meta.fields]


class StaffTaxSerializer(TaxSerializer):
    class Meta(TaxSerializer.Meta):
        fields = ["id", *TaxSerializer.Meta.fields]


class StaffPriorityHolderSerializer(PublicPriorityHolderSerializer):
    """A known priority holder with the contact staff use to notify it (WP art.16)."""

    class Meta(PublicPriorityHolderSerializer.Meta):
        fields = ["id", *PublicPriorityHolderSerializer.Meta.fields, "contact"]


class StaffLotSerializer(ModelSerializer):
    asset_type = EnumField(Lot.AssetType, read_only=True)
    nature = EnumField(Lot.Nature, read_only=True)
    possession = EnumField(Lot.Possession, read_only=True)
    reference_method = EnumField(Lot.ReferenceMethod, read_only=True, allow_blank=True)
    case_number = serializers.CharField(source="case.number", read_only=True)
    photos = StaffPhotoSerializer(many=True, read_only=True)
    attachments = StaffAttachmentSerializer(many=True, read_only=True)
    encumbrances = StaffEncumbranceSerializer(many=True, read_only=True)
    leases = StaffLeaseSerializer(many=True, read_only=True)
    taxes = StaffTaxSerializer(source="tax_allocations", many=True, read_only=True)
    priority_holders = StaffPriorityHolderSerializer(many=True, read_only=True)
    rounds = StaffRoundBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Lot
        fields = ["id", "case", "case_number", *LOT_FIELDS, "reference_price_fen", "reference_method",
                  "reference_fixed_on", "reference_valid_until", "reference_note", "reference_document",
                  "view_count", "created_at", "photos", "attachments", "encumbrances", "leases", "taxes",
                  "priority_holders", "rounds"]


class DecisionHolderSerializer(serializers.Serializer):
    """A priority holder as the panel fixed it (a copy, kept even if the holder is later removed)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    basis = EnumField(PriorityHolder.Basis)
    rank = serializers.IntegerField()


def private_document_url(context: Mapping[str, Any], url_name: str, pk: Any) -> str:
    url = reverse(url_name, args=[pk])
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class PanelDecisionSerializer(ModelSerializer):
    members = serializers.ListField(child=serializers.CharField(), read_only=True)
    priority_holders = DecisionHolderSerializer(many=True, read_only=True)
    document = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_document(self, obj: PanelDecision) -> str | None:
        """The permission-checked download (the file itself is in private storage)."""
        if not obj.document:
            return None
        return private_document_url(self.context, "staff:panel_decision_document", obj.round_id)

    class Meta:
        model = PanelDecision
        fields = ["id", "round", "decided_on", "reference", "members", "document", "start_price_fen",
                  "increment_fen", "deposit_fen", "priority_holders", "recorded_at"]


class NotificationSerializer(ModelSerializer):
    method = EnumField(Notification.Method, read_only=True)
    recipient_name = serializers.CharField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "party", "priority_holder", "recipient_name", "method", "at", "proof", "unreachable_reason",
                  "recorded_at"]


class StaffRoundSerializer(ModelSerializer):
    """A round as court staff see it, drafts included. Registrants appear only as counts."""

    kind = EnumField(AuctionRound.Kind, read_only=True)
    status = EnumField(AuctionRound.Status, read_only=True)
    lot_title = serializers.CharField(source="lot.title", read_only=True)
    case_number = serializers.CharField(source="lot.case.number", read_only=True)
    panel_decision = serializers.SerializerMethodField()
    notifications = NotificationSerializer(many=True, read_only=True)
    server_time = serializers.SerializerMethodField()

    class Meta:
        model = AuctionRound
        fields = ["id", "lot", "lot_title", "case_number", "number", "kind", "status", "previous_round", "currency",
                  "start_price_fen", "increment_fen", "deposit_fen", "bidding_start", "bidding_end",
                  "effective_end", "extension_count", "notice_published_at", "balance_due_days", "notice_text",
                  "terms_text", "judgment_secret", "judgment_secret_reason", "payment_text", "status_reason",
                  "status_changed_at", "stopped_at", "ended_at", "current_price_fen", "leader_code", "bid_count",
                  "registrant_count", "created_at", "panel_decision", "notifications", "server_time"]

    @extend_schema_field(PanelDecisionSerializer(allow_null=True))
    def get_panel_decision(self, rnd: AuctionRound) -> dict[str, Any] | None:
        decision = getattr(rnd, "panel_decision", None)
        return PanelDecisionSerializer(decision, context=self.context).data if decision else None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_server_time(self, rnd: AuctionRound) -> str:
        return server_time(self.context)


class PackageItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    ok = serializers.BooleanField()
    detail = serializers.CharField(allow_blank=True)


class PackageSerializer(serializers.Serializer):
    """The WP art.13 publication package and WP art.14 prompt inputs, item by item."""

    items = PackageItemSerializer(many=True)


class TakeInLieuResultSerializer(serializers.Serializer):
    round = StaffRoundSerializer()
    value_fen = Int64Field()
    verified_claims_fen = Int64Field()
    top_up_fen = Int64Field()


# --- staff: input -------------------------------------------------------------------------------


class CaseInputSerializer(serializers.Serializer):
    court = serializers.PrimaryKeyRelatedField(queryset=Court.objects.all())
    number = serializers.CharField(max_length=100, help_text="Official format, e.g. （2024）京0105执1234号.")
    cause = serializers.CharField(max_length=100)
    filed_on = serializers.DateField()
    platform_chosen_by = EnumField(Case.PlatformChosenBy, required=False)


class PartyInputSerializer(serializers.Serializer):
    role = EnumField(Party.Role)
    kind = EnumField(Party.Kind)
    name = serializers.CharField(max_length=100, allow_blank=True)
    contact = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)


class ClaimInputSerializer(serializers.Serializer):
    creditor = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all())
    title_document = serializers.CharField(max_length=200)
    principal_fen = FenField()
    interest_fen = FenField(required=False)
    priority_class = EnumField(Claim.PriorityClass, required=False)
    secured_lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), required=False, allow_null=True)
    registered_on = serializers.DateField(required=False, allow_null=True)
    seizure_order = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)
    performance_due_on = serializers.DateField(required=False, allow_null=True)
    verified = serializers.BooleanField(required=False)


class LotInputSerializer(serializers.ModelSerializer):
    """The description of a lot; on PATCH every field is optional."""

    asset_type = EnumField(Lot.AssetType)
    nature = EnumField(Lot.Nature, required=False,
                       help_text="Derived from the asset type unless the type is “other”.")
    possession = EnumField(Lot.Possession, required=False, allow_blank=True)

    class Meta:
        model = Lot
        fields = LOT_FIELDS


class ReferencePriceInputSerializer(serializers.Serializer):
    price_fen = FenField()
    method = EnumField(Lot.ReferenceMethod)
    fixed_on = serializers.DateField()
    valid_until = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                 help_text="The source document's reference (report number).")
    document = serializers.FileField(required=False, help_text="PDF, JPEG or PNG (multipart only).")


class PhotoInputSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP.")
    caption = serializers.CharField(max_length=200, allow_blank=True, help_text="The text alternative.")
    position = serializers.IntegerField(required=False, min_value=0, max_value=32767)


class AttachmentInputSerializer(serializers.Serializer):
    kind = EnumField(LotAttachment.Kind)
    title = serializers.CharField(max_length=200)
    file = serializers.FileField(help_text="PDF, JPEG or PNG.")


class EncumbranceInputSerializer(serializers.Serializer):
    kind = EnumField(Encumbrance.Kind)
    holder = serializers.CharField(max_length=100)
    survives_sale = serializers.BooleanField()
    description = serializers.CharField(required=False, allow_blank=True)
    amount_fen = FenField(required=False, allow_null=True)
    registered_on = serializers.DateField(required=False, allow_null=True)


class LeaseInputSerializer(serializers.Serializer):
    tenant = serializers.CharField(max_length=100)
    start = serializers.DateField()
    end = serializers.DateField()
    rent_fen = FenField()
    rent_period = EnumField(Lease.RentPeriod)
    rent_prepaid_until = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)


class TaxInputSerializer(serializers.Serializer):
    tax = EnumField(TaxAllocation.Tax)
    payer = EnumField(TaxAllocation.Payer)
    estimate_fen = FenField(required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PriorityHolderInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    basis = EnumField(PriorityHolder.Basis)
    rank = serializers.IntegerField(required=False, min_value=1, max_value=32767)
    contact = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RemovalInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the holder is removed (audited).")


class RoundInputSerializer(serializers.Serializer):
    """Terms and texts of a round; on PATCH every field is optional."""

    start_price_fen = FenField()
    increment_fen = FenField()
    deposit_fen = FenField()
    bidding_start = UTCDateTimeField()
    bidding_end = UTCDateTimeField()
    notice_text = serializers.CharField(required=False, allow_blank=True)
    terms_text = serializers.CharField(required=False, allow_blank=True)
    payment_text = serializers.CharField(required=False, allow_blank=True)
    judgment_secret = serializers.BooleanField(required=False)
    judgment_secret_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    balance_due_days = serializers.IntegerField(required=False, min_value=0, max_value=32767)


class NotificationInputSerializer(serializers.Serializer):
    method = EnumField(Notification.Method)
    at = UTCDateTimeField()
    proof = serializers.CharField(max_length=200, allow_blank=True)
    party = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all(), required=False, allow_null=True)
    priority_holder = serializers.PrimaryKeyRelatedField(queryset=PriorityHolder.objects.all(), required=False,
                                                         allow_null=True)
    unreachable_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PanelDecisionInputSerializer(serializers.Serializer):
    decided_on = serializers.DateField()
    reference = serializers.CharField(max_length=100, allow_blank=True)
    members = serializers.ListField(child=serializers.CharField(max_length=100, allow_blank=True))
    document = serializers.FileField(required=False, help_text="PDF, JPEG or PNG (multipart only).")


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Published with the round (WP art.28).")


class ResumeInputSerializer(ReasonInputSerializer):
    cause_ended_on = serializers.DateField()
    bidding_start = UTCDateTimeField()
    bidding_end = UTCDateTimeField()


class TakeInLieuInputSerializer(ReasonInputSerializer):
    creditor = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all())
    qualification_confirmed = serializers.BooleanField(required=False)

