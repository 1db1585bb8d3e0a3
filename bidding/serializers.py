"""Serializers of the bidding API. They only parse the shape of input and render output; the rules are
in bidding.services. Money is integer fen (`*_fen`), times ISO-8601 UTC. Identity numbers are only
ever rendered masked; staff serializers of a round that has not finished carry no identity and no
bidder code (WP art.18)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from auction import rules
from auction.models import Party, PriorityHolder
from auction.serializers import EnumField, FenField, Int64Field, UTCDateTimeField
from bidding import selectors
from bidding.identity import IdType
from bidding.models import (
    BarredPerson,
    BidderProfile,
    PersonKind,
    Registration,
    Review,
    RoundScreening,
    ScreeningDecision,
)
from bidding.services import PersonInput
from settlement.serializers import DepositSerializer, PaymentStartSerializer

# --- people ---------------------------------------------------------------------------------------------


class PersonInputSerializer(serializers.Serializer):
    kind = EnumField(PersonKind)
    name = serializers.CharField(max_length=100)
    id_type = EnumField(IdType)
    id_number = serializers.CharField(max_length=30, help_text="Stored encrypted; only the masked form is returned.")
    nationality = serializers.CharField(max_length=3, required=False, allow_blank=True, default="",
                                        help_text="Passports only: ISO 3166-1 alpha-3, e.g. USA.")
    legal_representative = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    @staticmethod
    def person(data: dict[str, Any]) -> PersonInput:
        return PersonInput(kind=data["kind"], name=data["name"], id_type=data["id_type"], id_number=data["id_number"],
                           nationality=data.get("nationality", ""),
                           legal_representative=data.get("legal_representative", ""))


class SignupInputSerializer(PersonInputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ProfileSerializer(serializers.ModelSerializer):
    kind = EnumField(PersonKind)
    id_type = EnumField(IdType)
    username = serializers.CharField(source="user.username")

    class Meta:
        model = BidderProfile
        fields = ["username", "kind", "name", "id_type", "id_masked", "nationality", "legal_representative", "phone",
                  "address", "created_at"]


# --- registrations ----------------------------------------------------------------------------------------


class RegistrationInputSerializer(serializers.Serializer):
    declaration = serializers.BooleanField(help_text="Not barred under WP art.34 (court, platform, auxiliary "
                                                     "body staff or their close relatives).")
    capacity = EnumField(Registration.Capacity, required=False, default=Registration.Capacity.SELF)
    principal = PersonInputSerializer(required=False, allow_null=True, default=None)
    proxy_document = serializers.FileField(required=False, allow_null=True, default=None,
                                           help_text="PDF, JPEG or PNG (multipart only).")
    priority_holder = serializers.PrimaryKeyRelatedField(queryset=PriorityHolder.objects.all(), required=False,
                                                         allow_null=True, default=None)
    priority_document = serializers.FileField(required=False, allow_null=True, default=None)
    creditor_party = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all(), required=False,
                                                        allow_null=True, default=None)
    creditor_document = serializers.FileField(required=False, allow_null=True, default=None)


class PromptInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=20, help_text="The next special prompt's key, in their fixed order.")


class QualificationInputSerializer(serializers.Serializer):
    promise = serializers.BooleanField()
    proof = serializers.FileField(help_text="PDF, JPEG or PNG (multipart only).")


class PaymentInputSerializer(serializers.Serializer):
    gateway = serializers.CharField(max_length=20, help_text="One of the round's payment methods.")


class PromptSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    accepted_at = UTCDateTimeField(allow_null=True)


class ReviewSerializer(serializers.ModelSerializer):
    kind = EnumField(Review.Kind)
    status = EnumField(Review.Status)
    submitted_at = UTCDateTimeField()
    decided_at = UTCDateTimeField(allow_null=True)

    class Meta:
        model = Review
        fields = ["id", "kind", "status", "submitted_at", "decided_at", "note"]


class MyRegistrationSerializer(serializers.ModelSerializer):
    """The bidder's own registration: the next step, the prompts, the court's reviews, the deposit
    and, once qualified, the bidder code."""

    status = EnumField(Registration.Status)
    capacity = EnumField(Registration.Capacity)
    round = serializers.IntegerField(source="round_id")
    lot = serializers.IntegerField(source="round.lot_id")
    effective_end = UTCDateTimeField(source="round.effective_end")
    step = serializers.SerializerMethodField()
    may_bid = serializers.SerializerMethodField()
    prompts = serializers.SerializerMethodField()
    reviews = ReviewSerializer(many=True)
    deposit = DepositSerializer(allow_null=True)
    deposit_due_fen = serializers.SerializerMethodField()
    created_at = UTCDateTimeField()
    qualified_at = UTCDateTimeField(allow_null=True)

    class Meta:
        model = Registration
        fields = ["id", "round", "lot", "effective_end", "status", "step", "capacity", "principal_name",
                  "principal_id_masked", "qualification_required", "qualification_promised_at", "is_priority",
                  "priority_rank", "code", "may_bid", "prompts", "reviews", "deposit", "deposit_due_fen", "created_at",
                  "qualified_at"]

    @extend_schema_field(serializers.ChoiceField(choices=[
        "prompts", "qualification", "waiting", "payment", "pay", "qualified", "closed", "ended"]))
    def get_step(self, obj: Registration) -> str:
        return selectors.registration_step(obj)

    def get_may_bid(self, obj: Registration) -> bool:
        return selectors.may_bid(obj)

    @extend_schema_field(PromptSerializer(many=True))
    def get_prompts(self, obj: Registration) -> list[dict[str, Any]]:
        accepted = {a.key: a.accepted_at for a in obj.prompt_acceptances.all()}
        rows = [{"key": key, "text": str(label), "accepted_at": accepted.get(key)}
                for key, label in rules.SPECIAL_PROMPTS]
        return list(PromptSerializer(rows, many=True).data)

    @extend_schema_field(Int64Field())
    def get_deposit_due_fen(self, obj: Registration) -> int:
        return obj.deposit_due_fen if obj.deposit_due_fen is not None else selectors.deposit_amount(obj)


class PaymentResponseSerializer(serializers.Serializer):
    registration = MyRegistrationSerializer()
    payment = PaymentStartSerializer(allow_null=True)


# --- staff --------------------------------------------------------------------------------------------------------


class RoundSummarySerializer(serializers.Serializer):
    """Counts only: who registered stays sealed until the round has finished (WP art.18)."""

    round = serializers.IntegerField()
    status = serializers.CharField()
    registrant_count = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    pending_reviews = serializers.DictField(child=serializers.IntegerField())
    finished = serializers.BooleanField()


class RevealedRegistrationSerializer(serializers.ModelSerializer):
    """A registration with its identity, for court staff once the round has finished."""

    status = EnumField(Registration.Status)
    bidder_name = serializers.CharField(source="bidder.name")
    bidder_id_masked = serializers.CharField(source="bidder.id_masked")
    deposit = DepositSerializer(allow_null=True)

    class Meta:
        model = Registration
        fields = ["id", "code", "status", "bidder_name", "bidder_id_masked", "capacity", "principal_name",
                  "principal_id_masked", "is_priority", "priority_rank", "deposit"]


class RoundRegistrationsSerializer(serializers.Serializer):
    summary = RoundSummarySerializer()
    registrations = RevealedRegistrationSerializer(many=True, allow_null=True,
                                                   help_text="Only once the round has finished; else null.")


class QueueItemSerializer(serializers.ModelSerializer):
    """A review waiting for the court: what is to be confirmed, never who holds which code."""

    kind = EnumField(Review.Kind)
    status = EnumField(Review.Status)
    round = serializers.IntegerField(source="registration.round_id")
    submitted_at = UTCDateTimeField()

    class Meta:
        model = Review
        fields = ["id", "kind", "status", "round", "submitted_at"]


class ReviewItemSerializer(QueueItemSerializer):
    """One review item with what the court checks (names and masked numbers, the document), no code."""

    has_document = serializers.SerializerMethodField()
    principal_name = serializers.CharField(source="registration.principal_name")
    principal_id_masked = serializers.CharField(source="registration.principal_id_masked")
    registrant_name = serializers.CharField(source="registration.bidder.name")
    registrant_id_masked = serializers.CharField(source="registration.bidder.id_masked")
    priority_holder = serializers.IntegerField(source="registration.priority_holder_id", allow_null=True)
    creditor_party = serializers.IntegerField(source="registration.creditor_party_id", allow_null=True)
    decided_at = UTCDateTimeField(allow_null=True)

    class Meta(QueueItemSerializer.Meta):
        fields = [*QueueItemSerializer.Meta.fields, "has_document", "principal_name", "principal_id_masked",
                  "registrant_name", "registrant_id_masked", "priority_holder", "creditor_party", "decided_at", "note"]

    def get_has_document(self, obj: Review) -> bool:
        return bool(obj.document)


class DecisionInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="Required when refusing: the reason.")


class GroundsInputSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why: recorded in the audit log.")


class BarredInputSerializer(PersonInputSerializer):
    category = EnumField(BarredPerson.Category)
    court = serializers.IntegerField(allow_null=True, help_text="null: every court (administrators only).")
    relation = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BarredSerializer(serializers.ModelSerializer):
    category = EnumField(BarredPerson.Category)
    id_type = EnumField(IdType)
    added_at = UTCDateTimeField()
    removed_at = UTCDateTimeField(allow_null=True)

    class Meta:
        model = BarredPerson
        fields = ["id", "category", "name", "id_type", "id_masked", "court", "relation", "added_at", "removed_at"]


class ReauctionInputSerializer(serializers.Serializer):
    start_price_fen = FenField()
    increment_fen = FenField()
    deposit_fen = FenField()
    bidding_start = UTCDateTimeField()
    bidding_end = UTCDateTimeField()
    notice_text = serializers.CharField(required=False, allow_blank=True)
    terms_text = serializers.CharField(required=False, allow_blank=True)
    payment_text = serializers.CharField(required=False, allow_blank=True)
    balance_due_days = serializers.IntegerField(required=False, min_value=1, max_value=32767)


# --- live bidding ---------------------------------------------------------------------------------------------


class BidInputSerializer(serializers.Serializer):
    client_id = serializers.RegexField(r"^[A-Za-z0-9_.:-]{1,64}$", help_text="Client-generated id; a resend with "
                                       "the same id gets the first answer.")
    amount_fen = serializers.IntegerField(min_value=1, help_text="The bid in fen.")


class BidAckSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='"ack"')
    client_id = serializers.CharField()
    seq = serializers.IntegerField(help_text="The bid's gap-free sequence number in the round.")
    amount_fen = serializers.IntegerField()
    at = serializers.IntegerField(help_text="Server receipt time, epoch milliseconds.")
    code = serializers.CharField(help_text="Your bidder code in this round.")
    duplicate = serializers.BooleanField(help_text="True when this answers a resend.")


class PublicBidSerializer(serializers.Serializer):
    type = serializers.CharField()
    round = serializers.IntegerField()
    seq = serializers.IntegerField()
    server_time = serializers.IntegerField()
    code = serializers.CharField()
    amount_fen = serializers.IntegerField()
    at = serializers.IntegerField()
    priority = serializers.BooleanField()
    current_price_fen = serializers.IntegerField()
    leader_code = serializers.CharField()
    effective_end = serializers.IntegerField()
    extension_count = serializers.IntegerField()
    bid_count = serializers.IntegerField()


class LiveSnapshotSerializer(serializers.Serializer):
    type = serializers.CharField()
    round = serializers.IntegerField()
    seq = serializers.IntegerField()
    server_time = serializers.IntegerField()
    status = serializers.CharField()
    kind = serializers.CharField()
    start_price_fen = serializers.IntegerField()
    increment_fen = serializers.IntegerField()
    current_price_fen = serializers.IntegerField(allow_null=True)
    leader_code = serializers.CharField(allow_blank=True)
    bidding_start = serializers.IntegerField()
    effective_end = serializers.IntegerField()
    extension_count = serializers.IntegerField()
    bid_count = serializers.IntegerField()
    registrant_count = serializers.IntegerField()
    watcher_count = serializers.IntegerField()
    bids = PublicBidSerializer(many=True)
    you = serializers.DictField(allow_null=True)


class ChainLinkSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class SealedChainSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    bid_count = serializers.IntegerField()
    root = serializers.CharField()  # type: ignore[assignment]  # Field.root is DRF internal; the name is ours
    sealed_at = serializers.DateTimeField()
    links = ChainLinkSerializer(many=True)


# --- collusion screening ---------------------------------------------------------------------------------


class ScreeningReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Reason code (docs/screening.md).")
    subjects = serializers.ListField(child=serializers.CharField(), help_text="Bidder codes only.")
    points = serializers.IntegerField()
    zh_hans = serializers.CharField()
    en = serializers.CharField()


class ScreeningDecisionSerializer(serializers.ModelSerializer):
    decision = EnumField(RoundScreening.Review)
    decided_at = UTCDateTimeField()
    decided_by = serializers.CharField(source="decided_by.username")

    class Meta:
        model = ScreeningDecision
        fields = ["decision", "note", "decided_by", "decided_at"]


class ScreeningSerializer(serializers.ModelSerializer):
    """A round's screening. Before the round has finished it holds identity links by bidder code only;
    attribute values (masked) appear only after close."""

    stage = EnumField(RoundScreening.Stage)
    level = EnumField(RoundScreening.Level)
    review = EnumField(RoundScreening.Review)
    screened_at = UTCDateTimeField()
    lot_title = serializers.CharField(source="round.lot.title")
    case_number = serializers.CharField(source="round.lot.case.number")
    bidder_scores = serializers.DictField(child=serializers.IntegerField())
    reasons = serializers.SerializerMethodField()
    decisions = ScreeningDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = RoundScreening
        fields = ["round", "lot_title", "case_number", "stage", "score", "level", "review", "screened_at", "runs",
                  "bidder_scores", "reasons", "decisions"]

    @extend_schema_field(ScreeningReasonSerializer(many=True))
    def get_reasons(self, obj: RoundScreening) -> list[dict[str, Any]]:
        from bidding.screening.reasons import as_reason

        out = []
        for stored in obj.reasons.all():
            r = as_reason(stored)
            out.append({"code": r.code, "subjects": list(r.subjects), "points": r.points,
                        "zh_hans": r.text("zh-hans"), "en": r.text("en")})
        return out


class ScreeningDecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[v for v in RoundScreening.Review.values if v != "open"])
    note = serializers.CharField(help_text="Required: why.")
