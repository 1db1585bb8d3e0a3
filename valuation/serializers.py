"""Serializers of the valuation API. They parse the shape of input and render output; every rule is
checked by valuation.services, whose RuleViolations come back as {"errors": [...]} (core.api).
Conventions as in auction.serializers: money is integer fen in fields ending `_fen`, dates are
ISO dates (Beijing calendar days), enums are named components."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from auction.models import Lot, Party
from auction.serializers import EnumField, FenField, Int64Field, ModelSerializer, private_document_url
from valuation import selectors
from valuation.models import (
    Agency,
    AppraisalSelection,
    Delivery,
    DirectedInquiry,
    Engagement,
    MethodStep,
    Objection,
    OnlineInquiry,
    Proposal,
    Report,
    Valuation,
    ValuationCost,
)

# --- output ------------------------------------------------------------------------------------------


class ValuationMethodStepSerializer(ModelSerializer):
    method = EnumField(Lot.ReferenceMethod, read_only=True)
    outcome = EnumField(MethodStep.Outcome, read_only=True, allow_blank=True)
    ground = serializers.CharField(read_only=True, help_text="A MethodStepGroundEnum value, or empty.")

    class Meta:
        model = MethodStep
        fields = ["method", "position", "outcome", "ground", "reason", "started_on", "ended_on"]


class ValuationProposalSerializer(ModelSerializer):
    party_name = serializers.CharField(source="party.name", read_only=True)

    class Meta:
        model = Proposal
        fields = ["party", "party_name", "price_fen", "proposed_on", "note"]


class ValuationDirectedInquirySerializer(ModelSerializer):
    basis = EnumField(DirectedInquiry.Basis, read_only=True)

    class Meta:
        model = DirectedInquiry
        fields = ["institution", "basis", "requested_on", "due_on", "letter_reference"]


class ValuationOnlineInquirySerializer(ModelSerializer):
    period_over = serializers.SerializerMethodField()
    extension_available = serializers.SerializerMethodField()
    mean_fen = serializers.SerializerMethodField()

    class Meta:
        model = OnlineInquiry
        fields = ["sent_on", "due_on", "extended_due_on", "period_over", "extension_available", "mean_fen"]

    def get_period_over(self, obj: OnlineInquiry) -> bool:
        return bool(self.context["inquiry"].period_over)

    def get_extension_available(self, obj: OnlineInquiry) -> bool:
        return bool(self.context["inquiry"].extension_available)

    @extend_schema_field({"type": "integer", "format": "int64", "nullable": True,
                          "description": "Mean of the counted results, rounded half up to the fen (RP art.13)."})
    def get_mean_fen(self, obj: OnlineInquiry) -> int | None:
        return self.context["inquiry"].mean_fen


class ValuationDeliverySerializer(ModelSerializer):
    party_name = serializers.CharField(source="party.name", read_only=True)
    method = EnumField(Delivery.Method, read_only=True)
    received_on = serializers.SerializerMethodField()
    objection_until = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = ["party", "party_name", "method", "delivered_on", "proof", "received_on", "objection_until"]

    @extend_schema_field(OpenApiTypes.DATE)
    def get_received_on(self, obj: Delivery) -> str:
        return selectors.received_on(obj).isoformat()

    @extend_schema_field(OpenApiTypes.DATE)
    def get_objection_until(self, obj: Delivery) -> str:
        return selectors.objection_deadline(obj).isoformat()


class ValuationReportSerializer(ModelSerializer):
    kind = EnumField(Report.Kind, read_only=True)
    deliveries = ValuationDeliverySerializer(many=True, read_only=True)
    counted = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()
    check = serializers.SerializerMethodField()
    document = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "kind", "provider", "provider_name", "engagement", "extension_requested_on", "price_fen",
                  "corrected_price_fen", "report_date", "received_on", "number", "document", "valid_until",
                  "counted", "note", "check", "deliveries"]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_document(self, obj: Report) -> str | None:
        """The permission-checked download (the file itself is in private storage)."""
        return private_document_url(self.context, "valuation:report_document", obj.pk) if obj.document else None

    def _row(self, obj: Report) -> selectors.InquiryRow | None:
        return next((r for r in self.context["inquiry"].rows if r.report.pk == obj.pk), None)

    @extend_schema_field({"type": "boolean", "nullable": True,
                          "description": "Online inquiry: whether the result counts in the mean (RP art.13)."})
    def get_counted(self, obj: Report) -> bool | None:
        row = self._row(obj)
        return row.included if row else None

    def get_note(self, obj: Report) -> str:
        row = self._row(obj)
        return row.note if row else ""

    @extend_schema_field({"type": "string", "enum": ["below", "above", "within", "unknown"],
                          "description": "The result against the comparable-sales interval."})
    def get_check(self, obj: Report) -> str:
        estimate = self.context.get("estimate")
        price = obj.effective_price_fen
        return estimate.check(price) if estimate is not None and price is not None else "unknown"


class ValuationObjectionSerializer(ModelSerializer):
    kind = EnumField(Objection.Kind, read_only=True)
    ground = EnumField(Objection.Ground, read_only=True)
    status = EnumField(Objection.Status, read_only=True)
    outcome = serializers.CharField(read_only=True, help_text="An ObjectionOutcomeEnum value once decided.")
    party_name = serializers.CharField(source="party.name", read_only=True)

    class Meta:
        model = Objection
        fields = ["id", "report", "party", "party_name", "kind", "ground", "grounds_text", "filed_on", "status",
                  "forwarded_on", "explained_on", "explanation", "review_body", "referred_on", "outcome",
                  "corrected_price_fen", "decided_on", "decision_reference"]


class ValuationEngagementSerializer(ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    status = EnumField(Engagement.Status, read_only=True)

    class Meta:
        model = Engagement
        fields = ["id", "order", "agency", "agency_name", "status", "commissioned_on", "due_on", "extensions",
                  "stayed_days"]


class ValuationCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ValuationSelectionSerializer(ModelSerializer):
    mode = EnumField(AppraisalSelection.Mode, read_only=True)
    specialty = EnumField(Agency.Specialty, read_only=True)
    scope = serializers.CharField(read_only=True, help_text="An AppraisalSelectionScopeEnum value for a lottery.")
    candidates = ValuationCandidateSerializer(many=True, read_only=True)
    drawn = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    engagements = ValuationEngagementSerializer(many=True, read_only=True)

    class Meta:
        model = AppraisalSelection
        fields = ["id", "mode", "specialty", "scope", "lottery_reason", "candidates", "seed", "algorithm", "drawn",
                  "agreement_reference", "selected_on", "engagements"]


class ValuationCostSerializer(ModelSerializer):
    kind = EnumField(ValuationCost.Kind, read_only=True)

    class Meta:
        model = ValuationCost
        fields = ["id", "case", "kind", "payee", "base_fen", "amount_fen", "advanced_by", "borne_by", "explanation",
                  "recorded_on"]


class ValuationDeadlineSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    article = serializers.CharField()
    due_on = serializers.DateField()
    done_on = serializers.DateField(allow_null=True)
    days_left = serializers.IntegerField(help_text="Negative when overdue.")
    overdue = serializers.BooleanField()
    late = serializers.BooleanField(help_text="Done, but after the deadline.")


class ValuationComparableSerializer(serializers.Serializer):
    round = serializers.IntegerField(source="sale.ref")
    lot = serializers.IntegerField(source="sale.lot_id")
    title = serializers.CharField(source="sale.title")
    district = serializers.CharField(source="sale.district")
    area_m2 = serializers.FloatField(source="sale.area_m2")
    built_year = serializers.IntegerField(source="sale.built_year", allow_null=True)
    sold_on = serializers.DateField(source="sale.sold_on")
    price_fen = Int64Field(source="sale.price_fen")
    adjusted_price_fen = Int64Field()
    same_district = serializers.BooleanField()


class ValuationEstimateSerializer(serializers.Serializer):
    """The comparable-sales check: never a legal result."""

    ok = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=["ok", "no_area", "too_few"])
    price_fen = Int64Field(allow_null=True)
    low_fen = Int64Field(allow_null=True)
    high_fen = Int64Field(allow_null=True)
    level = serializers.FloatField(help_text="The interval's nominal coverage (0.8).")
    found = serializers.IntegerField()
    needed = serializers.IntegerField()
    comparables = ValuationComparableSerializer(many=True)


class ValuationSerializer(ModelSerializer):
    """A valuation with everything its page shows."""

    status = EnumField(Valuation.Status, read_only=True)
    method = serializers.CharField(read_only=True, help_text="A LotReferenceMethodEnum value, or empty.")
    lot_title = serializers.CharField(source="lot.title", read_only=True)
    case_number = serializers.CharField(source="lot.case.number", read_only=True)
    investigation = serializers.DictField(child=serializers.BooleanField(), read_only=True)
    next_method = serializers.SerializerMethodField()
    sale_deadline = serializers.SerializerMethodField()
    steps = ValuationMethodStepSerializer(many=True, read_only=True)
    proposals = ValuationProposalSerializer(many=True, read_only=True)
    directed_inquiry = serializers.SerializerMethodField()
    online_inquiry = serializers.SerializerMethodField()
    reports = ValuationReportSerializer(many=True, read_only=True)
    objections = ValuationObjectionSerializer(many=True, read_only=True)
    selections = ValuationSelectionSerializer(many=True, read_only=True)
    costs = ValuationCostSerializer(many=True, read_only=True)
    deadlines = serializers.SerializerMethodField()
    estimate = serializers.SerializerMethodField()

    class Meta:
        model = Valuation
        fields = ["id", "lot", "lot_title", "case_number", "reissue_of", "status", "method", "opened_on",
                  "investigation", "investigation_note", "investigated_on", "price_fen", "fixed_on", "valid_until",
                  "sale_deadline", "stayed_on", "status_ground", "status_reason", "next_method", "steps", "proposals",
                  "directed_inquiry", "online_inquiry", "reports", "objections", "selections", "costs", "deadlines",
                  "estimate"]

    @extend_schema_field({"type": "string", "nullable": True, "description": "The next method of the legal order."})
    def get_next_method(self, obj: Valuation) -> str | None:
        from valuation.services import next_method

        return next_method(obj) if obj.status == Valuation.Status.OPEN else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_sale_deadline(self, obj: Valuation) -> str | None:
        day = selectors.sale_deadline(obj)
        return day.isoformat() if day else None

    @extend_schema_field(ValuationDirectedInquirySerializer(allow_null=True))
    def get_directed_inquiry(self, obj: Valuation) -> dict[str, Any] | None:
        child = getattr(obj, "directed_inquiry", None)
        return ValuationDirectedInquirySerializer(child).data if child else None

    @extend_schema_field(ValuationOnlineInquirySerializer(allow_null=True))
    def get_online_inquiry(self, obj: Valuation) -> dict[str, Any] | None:
        child = getattr(obj, "online_inquiry", None)
        return ValuationOnlineInquirySerializer(child, context=self.context).data if child else None

    @extend_schema_field(ValuationDeadlineSerializer(many=True))
    def get_deadlines(self, obj: Valuation) -> Any:
        return ValuationDeadlineSerializer(selectors.deadlines(obj, self.context["today"]), many=True).data

    @extend_schema_field(ValuationEstimateSerializer(allow_null=True))
    def get_estimate(self, obj: Valuation) -> dict[str, Any] | None:
        estimate = self.context.get("estimate")
        return ValuationEstimateSerializer(estimate).data if estimate is not None else None


class ValuationBriefSerializer(ModelSerializer):
    status = EnumField(Valuation.Status, read_only=True)
    method = serializers.CharField(read_only=True, help_text="A LotReferenceMethodEnum value, or empty.")
    lot_title = serializers.CharField(source="lot.title", read_only=True)

    class Meta:
        model = Valuation
        fields = ["id", "lot", "lot_title", "status", "method", "opened_on", "price_fen", "fixed_on", "valid_until"]


class ValuationLotteryCheckSerializer(serializers.Serializer):
    """A recorded lottery re-run from its seed and candidate list."""

    selection = serializers.IntegerField()
    algorithm = serializers.CharField()
    seed = serializers.CharField()
    candidates = serializers.ListField(child=serializers.IntegerField())
    recorded = serializers.ListField(child=serializers.IntegerField())
    drawn = serializers.ListField(child=serializers.IntegerField())
    verified = serializers.BooleanField()


# --- input ---------------------------------------------------------------------------------------------


class ValuationOpenInputSerializer(serializers.Serializer):
    opened_on = serializers.DateField(required=False, help_text="Defaults to today.")


class ValuationInvestigationInputSerializer(serializers.Serializer):
    items = serializers.DictField(child=serializers.BooleanField(),
                                  help_text="title, encumbrances, occupancy, taxes, defects → done? (RP art.3)")
    note = serializers.CharField(required=False, allow_blank=True)


class ValuationStartInputSerializer(serializers.Serializer):
    method = EnumField(Lot.ReferenceMethod)


class ValuationSkipInputSerializer(serializers.Serializer):
    method = EnumField(Lot.ReferenceMethod)
    ground = EnumField(MethodStep.Ground)
    reason = serializers.CharField(required=False, allow_blank=True)


class ValuationFailInputSerializer(serializers.Serializer):
    ground = EnumField(MethodStep.Ground)
    reason = serializers.CharField(required=False, allow_blank=True)


class ValuationProposalInputSerializer(serializers.Serializer):
    party = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all())
    price_fen = FenField()
    proposed_on = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ValuationConcludeInputSerializer(serializers.Serializer):
    harms_nobody = serializers.BooleanField(help_text="The court's finding that the price harms nobody (RP art.4).")
    valid_until = serializers.DateField(required=False, allow_null=True)


class ValuationDirectedSendInputSerializer(serializers.Serializer):
    institution = serializers.CharField(max_length=150)
    basis = EnumField(DirectedInquiry.Basis)
    requested_on = serializers.DateField()
    due_on = serializers.DateField()
    letter_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ValuationReportInputSerializer(serializers.Serializer):
    price_fen = FenField()
    report_date = serializers.DateField()
    received_on = serializers.DateField()
    number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    document = serializers.FileField(required=False, help_text="PDF, JPEG or PNG (multipart only).")
    valid_until = serializers.DateField(required=False, allow_null=True)


class ValuationInquiryResultInputSerializer(ValuationReportInputSerializer):
    report = serializers.PrimaryKeyRelatedField(queryset=Report.objects.all(), help_text="The platform's report row.")


class ValuationExtensionRequestInputSerializer(serializers.Serializer):
    report = serializers.PrimaryKeyRelatedField(queryset=Report.objects.all(), help_text="The platform's report row.")
    requested_on = serializers.DateField()


class ValuationAgreedInputSerializer(serializers.Serializer):
    specialty = EnumField(Agency.Specialty)
    agencies = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), many=True,
                                                  help_text="Three agencies, in their agreed order.")
    agreement_reference = serializers.CharField(max_length=150, allow_blank=True)


class ValuationLotteryInputSerializer(serializers.Serializer):
    specialty = EnumField(Agency.Specialty)
    scope = EnumField(AppraisalSelection.Scope)
    reason = serializers.CharField(max_length=200, allow_blank=True)


class ValuationAppraisalExtendInputSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=365)
    requested_on = serializers.DateField()


class ValuationDeliverInputSerializer(serializers.Serializer):
    party = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all())
    method = EnumField(Delivery.Method)
    delivered_on = serializers.DateField()
    proof = serializers.CharField(max_length=200, allow_blank=True)


class ValuationObjectionInputSerializer(serializers.Serializer):
    report = serializers.PrimaryKeyRelatedField(queryset=Report.objects.all())
    party = serializers.PrimaryKeyRelatedField(queryset=Party.objects.all())
    kind = EnumField(Objection.Kind)
    ground = EnumField(Objection.Ground)
    grounds_text = serializers.CharField(allow_blank=True)
    filed_on = serializers.DateField()


class ValuationObjectionRefSerializer(serializers.Serializer):
    objection = serializers.PrimaryKeyRelatedField(queryset=Objection.objects.all())


class ValuationForwardInputSerializer(ValuationObjectionRefSerializer):
    forwarded_on = serializers.DateField()


class ValuationExplainInputSerializer(ValuationObjectionRefSerializer):
    explained_on = serializers.DateField()
    explanation = serializers.CharField(allow_blank=True)


class ValuationReviewInputSerializer(ValuationObjectionRefSerializer):
    review_body = serializers.CharField(max_length=150, allow_blank=True)
    referred_on = serializers.DateField()


class ValuationDecideInputSerializer(ValuationObjectionRefSerializer):
    outcome = EnumField(Objection.Outcome)
    decided_on = serializers.DateField()
    decision_reference = serializers.CharField(max_length=150, allow_blank=True)
    corrected_price_fen = FenField(required=False, allow_null=True)


class ValuationStayInputSerializer(serializers.Serializer):
    ground = EnumField(Valuation.StayGround)
    reason = serializers.CharField(allow_blank=True)


class ValuationResumeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ValuationWithdrawInputSerializer(serializers.Serializer):
    ground = EnumField(Valuation.WithdrawGround)
    reason = serializers.CharField(allow_blank=True)


class ValuationCostsInputSerializer(serializers.Serializer):
    inquiry_fee_fen = FenField(required=False, allow_null=True)
    appraisal_fee_rate_bp = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10_000,
                                                     help_text="The agency's rate in basis points (1 bp = 0.01%).")
    actual_expenses_fen = FenField(required=False, allow_null=True)
