"""API shapes of the money side. Money is integer fen (int64); times are UTC ISO-8601; every choice is
a named enum. Who opened a deposit (the payer's name) is null until its round has finished (WP art.18).
Component names carry a "Settlement" prefix (Meta.ref_name) so they never collide with other apps'."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from auction.serializers import EnumField, FenField, Int64Field, ModelSerializer, UTCDateTimeField
from settlement.models import (
    BalanceDue,
    BalancePayment,
    BankStatement,
    CaseCost,
    CasePayout,
    CaseStay,
    Deposit,
    DistributionLine,
    DistributionPlan,
    ForfeitEarmark,
    Gateway,
    LedgerTransaction,
    Payout,
    PayoutDelay,
    PlanObjection,
    PlanService,
    Receipt,
    ReconciliationException,
    ReconciliationRun,
    SettlementAlert,
)
from settlement.selectors import identities_visible, payer_sealed


class PayoutBriefSerializer(ModelSerializer):
    reason = EnumField(Payout.Reason)
    gateway = EnumField(Gateway)
    status = EnumField(Payout.Status)

    class Meta:
        ref_name = "SettlementPayoutBrief"
        model = Payout
        fields = ["id", "reason", "gateway", "amount_fen", "currency", "status", "created_at", "paid_at"]


class DepositSerializer(ModelSerializer):
    """A bidder's own deposit, with its refunds."""

    gateway = EnumField(Gateway)
    status = EnumField(Deposit.Status)
    hold_mode = EnumField(Deposit.HoldMode)
    round = serializers.IntegerField(source="round_id")
    payouts = PayoutBriefSerializer(many=True)

    class Meta:
        ref_name = "SettlementDeposit"
        model = Deposit
        fields = ["id", "round", "reference", "amount_fen", "currency", "payer_name", "gateway", "status", "hold_mode",
                  "created_at", "held_at", "released_at", "applied_at", "forfeited_at", "cancelled_at",
                  "release_due_at", "payouts"]


class StaffDepositSerializer(ModelSerializer):
    """A deposit as finance staff see it: the payer only once the round has finished."""

    gateway = EnumField(Gateway)
    status = EnumField(Deposit.Status)
    hold_mode = EnumField(Deposit.HoldMode, allow_blank=True)
    settle_as = EnumField(Deposit.SettleAs, allow_blank=True)
    payer_name = serializers.SerializerMethodField()

    class Meta:
        ref_name = "SettlementStaffDeposit"
        model = Deposit
        fields = ["id", "reference", "amount_fen", "currency", "payer_name", "gateway", "status", "hold_mode",
                  "settle_as", "created_at", "held_at", "released_at", "applied_at", "forfeited_at", "cancelled_at",
                  "release_due_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_payer_name(self, obj: Deposit) -> str | None:
        return obj.payer_name if identities_visible(obj.round) else None


class PaymentStartSerializer(serializers.Serializer):
    """What the payer must do next: transfer instructions, a card form (Stripe.js with the client
    secret), or nothing ("none": the payment is no longer awaited)."""

    gateway = serializers.CharField()
    action = serializers.ChoiceField(choices=["instructions", "card", "none"])
    amount_fen = Int64Field()
    currency = serializers.CharField()
    reference = serializers.CharField(help_text="The transfer reference to quote in the remark.")
    payee = serializers.CharField()
    bank_name = serializers.CharField()
    account_number = serializers.CharField()
    case_account_reference = serializers.CharField(help_text="The case's virtual sub-account (一案一账号).")
    note = serializers.CharField()
    client_secret = serializers.CharField()
    publishable_key = serializers.CharField()
    js_url = serializers.CharField()
    page_url = serializers.CharField(help_text="fapai's page where the payer pays or reads the instructions.")
    return_url = serializers.CharField()
    manual_capture = serializers.BooleanField(help_text="True when the card is only authorised (frozen).")

    class Meta:
        ref_name = "SettlementPaymentStart"

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["note"] = str(instance.note)
        return data


class ReturnUrlSerializer(serializers.Serializer):
    return_url = serializers.CharField(max_length=500, required=False, default="",
                                       help_text="Where the card processor sends the payer back after 3-D Secure.")

    class Meta:
        ref_name = "SettlementReturnUrl"


class PaymentSettingsSerializer(serializers.Serializer):
    gateways = serializers.ListField(child=EnumField(Gateway),
                                     help_text="The accepted gateways (only those enabled on this installation).")

    class Meta:
        ref_name = "SettlementPaymentSettings"


class ReceiptSerializer(ModelSerializer):
    gateway = EnumField(Gateway)
    status = EnumField(Receipt.Status)
    queue_reason = EnumField(Receipt.QueueReason)
    deposit_reference = serializers.SerializerMethodField()
    balance_reference = serializers.SerializerMethodField()
    payer_name = serializers.SerializerMethodField()
    payer_account = serializers.SerializerMethodField()
    claimed_at = UTCDateTimeField(allow_null=True)

    class Meta:
        ref_name = "SettlementReceipt"
        model = Receipt
        fields = ["id", "gateway", "external_ref", "amount_fen", "currency", "received_at", "payer_name",
                  "payer_account", "remark", "credited_account", "status", "queue_reason", "deposit_reference",
                  "balance_reference", "claim_reason", "claimed_at", "statement"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_deposit_reference(self, obj: Receipt) -> str | None:
        return obj.deposit.reference if obj.deposit else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_balance_reference(self, obj: Receipt) -> str | None:
        return obj.balance.reference if obj.balance else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_payer_name(self, obj: Receipt) -> str | None:
        return None if payer_sealed(obj) else obj.payer_name

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_payer_account(self, obj: Receipt) -> str | None:
        return None if payer_sealed(obj) else obj.payer_account


class ReceiptAssignSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=40, help_text="Transfer reference of the deposit or balance.")
    reason = serializers.CharField(max_length=500)

    class Meta:
        ref_name = "SettlementReceiptAssign"


class ReceiptReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    payee_account = serializers.CharField(max_length=60, required=False, default="")

    class Meta:
        ref_name = "SettlementReceiptReturn"


class PayoutSerializer(ModelSerializer):
    reason = EnumField(Payout.Reason)
    gateway = EnumField(Gateway)
    status = EnumField(Payout.Status)
    deposit_reference = serializers.SerializerMethodField()

    class Meta:
        ref_name = "SettlementPayout"
        model = Payout
        fields = ["id", "key", "reason", "gateway", "amount_fen", "currency", "payee_name", "payee_account", "status",
                  "external_ref", "created_at", "paid_at", "deposit_reference"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_deposit_reference(self, obj: Payout) -> str | None:
        return obj.deposit.reference if obj.deposit else None


class PayoutPaidSerializer(serializers.Serializer):
    bank_reference = serializers.CharField(max_length=120)

    class Meta:
        ref_name = "SettlementPayoutPaid"


class StatementSerializer(ModelSerializer):
    format = EnumField(BankStatement.Format)

    class Meta:
        ref_name = "SettlementStatement"
        model = BankStatement
        fields = ["id", "court", "filename", "format", "sha256", "uploaded_at", "completed_at", "line_count",
                  "credit_count", "matched_count", "queued_count", "duplicate_count", "skipped_count"]


class StatementUploadSerializer(serializers.Serializer):
    court = serializers.IntegerField(help_text="The court whose account the statement is of.")
    file = serializers.FileField(help_text="CSV or CAMT.053 XML, at most 10 MB.")

    class Meta:
        ref_name = "SettlementStatementUpload"


class AlertSerializer(ModelSerializer):
    kind = EnumField(SettlementAlert.Kind)

    class Meta:
        ref_name = "SettlementAlert"
        model = SettlementAlert
        fields = ["id", "kind", "round", "deposit", "payout", "balance", "due_at", "created_at"]


class LedgerRowSerializer(serializers.Serializer):
    at = UTCDateTimeField(source="entry.transaction.created_at")
    kind = EnumField(LedgerTransaction.Kind, source="entry.transaction.kind")
    memo = serializers.CharField(source="entry.transaction.memo")
    amount_fen = serializers.SerializerMethodField(help_text="Money in (positive) or out (negative).")
    running_fen = Int64Field()

    class Meta:
        ref_name = "SettlementLedgerRow"

    @extend_schema_field(Int64Field())
    def get_amount_fen(self, obj: Any) -> int:
        return -int(obj.entry.amount_fen)


class EarmarkSerializer(ModelSerializer):
    deposit_reference = serializers.CharField(source="deposit.reference")
    plan = serializers.ListField(child=EnumField(ForfeitEarmark.Step),
                                 help_text="The order in which the court applies the money (WP art.24).")

    class Meta:
        ref_name = "SettlementEarmark"
        model = ForfeitEarmark
        fields = ["deposit_reference", "amount_fen", "reason", "plan", "created_at"]


class CaseAccountSerializer(serializers.Serializer):
    case = serializers.CharField(source="case.number")
    account_reference = serializers.CharField(help_text="The case's virtual sub-account number (一案一账号).")
    balance_fen = Int64Field()
    forfeit_fen = Int64Field()
    entries = LedgerRowSerializer(many=True, source="rows")
    forfeit_entries = LedgerRowSerializer(many=True, source="forfeit_rows")
    earmarks = EarmarkSerializer(many=True)

    class Meta:
        ref_name = "SettlementCaseAccount"


class BalancePaymentSerializer(ModelSerializer):
    gateway = EnumField(Gateway)
    status = EnumField(BalancePayment.Status)

    class Meta:
        ref_name = "SettlementBalancePayment"
        model = BalancePayment
        fields = ["id", "reference", "gateway", "amount_fen", "status", "created_at", "received_at"]


class BalanceSerializer(ModelSerializer):
    status = EnumField(BalanceDue.Status)
    outstanding_fen = Int64Field()
    ready_for_ruling = serializers.SerializerMethodField()
    payments = BalancePaymentSerializer(many=True)

    class Meta:
        ref_name = "SettlementBalance"
        model = BalanceDue
        fields = ["id", "round", "reference", "price_fen", "deposit_credit_fen", "amount_fen", "paid_fen",
                  "outstanding_fen", "currency", "due_on", "status", "ready_for_ruling", "paid_at", "defaulted_at",
                  "payments"]

    def get_ready_for_ruling(self, obj: BalanceDue) -> bool:
        return obj.status == BalanceDue.Status.PAID


class BalancePayInputSerializer(serializers.Serializer):
    gateway = EnumField(Gateway, help_text="One of the round's payment methods.")
    amount_fen = FenField(min_value=1)
    return_url = serializers.CharField(max_length=500, required=False, default="")

    class Meta:
        ref_name = "SettlementBalancePayInput"


class BalanceOfflineSerializer(serializers.Serializer):
    amount_fen = FenField(min_value=1)
    voucher = serializers.CharField(max_length=60, help_text="The receipt voucher number (收据号).")

    class Meta:
        ref_name = "SettlementBalanceOffline"


class LedgerCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    transactions = serializers.IntegerField()
    accounts = serializers.IntegerField()
    problems = serializers.ListField(child=serializers.CharField())

    class Meta:
        ref_name = "SettlementLedgerCheck"


# --- case funds: costs, the distribution plan, payouts ---------------------------------------------------------


class CaseCostSerializer(ModelSerializer):
    kind = EnumField(CaseCost.Kind)

    class Meta:
        ref_name = "SettlementCaseCost"
        model = CaseCost
        fields = ["id", "kind", "description", "amount_fen", "payee_name", "payee_account", "created_at"]


class CaseCostInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CaseCost.Kind.choices)
    description = serializers.CharField(max_length=200)
    amount_fen = FenField(min_value=1)
    payee_name = serializers.CharField(max_length=140)
    payee_account = serializers.CharField(max_length=60, required=False, allow_blank=True)

    class Meta:
        ref_name = "SettlementCaseCostIn"


class CaseStaySerializer(ModelSerializer):
    class Meta:
        ref_name = "SettlementCaseStay"
        model = CaseStay
        fields = ["id", "first_day", "last_day", "requested_by_debtor", "reason"]


class CaseStayInSerializer(serializers.Serializer):
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    requested_by_debtor = serializers.BooleanField(default=False)
    reason = serializers.CharField(max_length=200)

    class Meta:
        ref_name = "SettlementCaseStayIn"


class PlanBuildSerializer(serializers.Serializer):
    interest_stop_on = serializers.DateField(required=False, allow_null=True,
                                             help_text="The day the sale ruling took effect (LI art.3).")
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    class Meta:
        ref_name = "SettlementPlanBuild"


class PlanServeSerializer(serializers.Serializer):
    served_on = serializers.DateField()

    class Meta:
        ref_name = "SettlementPlanServe"


class PlanLineSerializer(serializers.Serializer):
    id = Int64Field(source="line.id")
    position = serializers.IntegerField(source="line.position")
    key = serializers.CharField(source="line.key")
    tier = EnumField(DistributionLine.Tier, source="line.tier")
    rank = serializers.CharField(source="line.rank")
    payee_name = serializers.CharField(source="line.payee_name")
    claimed_fen = FenField(source="line.claimed_fen")
    allocated_fen = FenField(source="line.allocated_fen")
    held_fen = FenField()
    committed_fen = FenField()
    payable_fen = FenField()
    note = serializers.CharField(source="line.note")

    class Meta:
        ref_name = "SettlementPlanLine"


class PlanServiceSerializer(ModelSerializer):
    party_name = serializers.CharField(source="party.name")

    class Meta:
        ref_name = "SettlementPlanService"
        model = PlanService
        fields = ["party", "party_name", "served_on", "objection_due"]


class ObjectionSerializer(ModelSerializer):
    status = EnumField(PlanObjection.Status)

    class Meta:
        ref_name = "SettlementObjection"
        model = PlanObjection
        fields = ["id", "plan", "line", "objector", "disputed_fen", "grounds", "filed_on", "status", "counter_due",
                  "counter_party", "countered_on", "suit_due", "sued_on", "suit_reference", "resolution",
                  "resolved_on"]


class ObjectionInSerializer(serializers.Serializer):
    line = Int64Field()
    objector = Int64Field(help_text="The party (id) who objects; the plan must have been served on it.")
    disputed_fen = FenField(min_value=1)
    grounds = serializers.CharField(max_length=2000)
    filed_on = serializers.DateField()

    class Meta:
        ref_name = "SettlementObjectionIn"


class CounterInSerializer(serializers.Serializer):
    party = Int64Field()
    countered_on = serializers.DateField()
    grounds = serializers.CharField(max_length=2000)

    class Meta:
        ref_name = "SettlementCounterIn"


class SuitInSerializer(serializers.Serializer):
    sued_on = serializers.DateField()
    suit_reference = serializers.CharField(max_length=60)

    class Meta:
        ref_name = "SettlementSuitIn"


class ObjectionCloseInSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=[("decided", "decided"), ("withdrawn", "withdrawn")])
    resolution = serializers.CharField(max_length=2000)

    class Meta:
        ref_name = "SettlementObjectionCloseIn"


class CasePayoutSerializer(ModelSerializer):
    status = EnumField(CasePayout.Status)
    method = EnumField(CasePayout.Method)
    case_number = serializers.CharField(source="case.number")

    class Meta:
        ref_name = "SettlementCasePayout"
        model = CasePayout
        fields = ["id", "reference", "case", "case_number", "line", "line_key", "method", "payee_name",
                  "payee_account", "amount_fen", "status", "due_on", "prepared_by", "prepared_at", "approved_by",
                  "approved_at", "executed_by", "executed_at", "external_ref", "escrow_reason", "cancel_reason"]


class PayoutPrepareSerializer(serializers.Serializer):
    amount_fen = FenField(min_value=1)
    payee_account = serializers.CharField(max_length=60, required=False, allow_blank=True)

    class Meta:
        ref_name = "SettlementPayoutPrepare"


class CasePayoutExecuteSerializer(serializers.Serializer):
    bank_reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
    escrow_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)

    class Meta:
        ref_name = "SettlementCasePayoutExecute"


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)

    class Meta:
        ref_name = "SettlementReason"


class PayoutDelaySerializer(ModelSerializer):
    reason = EnumField(PayoutDelay.Reason)
    status = EnumField(PayoutDelay.Status)

    class Meta:
        ref_name = "SettlementPayoutDelay"
        model = PayoutDelay
        fields = ["id", "case", "reason", "note", "status", "requested_at", "decided_at", "ended_on"]


class PayoutDelayInSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=PayoutDelay.Reason.choices)
    note = serializers.CharField(max_length=1000)

    class Meta:
        ref_name = "SettlementPayoutDelayIn"


class PayoutDelayDecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()

    class Meta:
        ref_name = "SettlementPayoutDelayDecide"


class PayoutDelayEndSerializer(serializers.Serializer):
    ended_on = serializers.DateField()

    class Meta:
        ref_name = "SettlementPayoutDelayEnd"


class PlanSerializer(ModelSerializer):
    status = EnumField(DistributionPlan.Status)
    mode = EnumField(DistributionPlan.Mode)

    class Meta:
        ref_name = "SettlementPlan"
        model = DistributionPlan
        fields = ["id", "version", "status", "mode", "available_fen", "paid_before_fen", "forfeit_moved_fen",
                  "interest_stop_on", "application_fee_fen", "note", "based_on", "created_at", "served_on",
                  "statement_sha256"]


class CaseFundsSerializer(serializers.Serializer):
    case = Int64Field(source="case.id")
    case_number = serializers.CharField(source="case.number")
    balance_fen = FenField()
    forfeit_fen = FenField()
    committed_fen = FenField()
    due_on = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()

    class Meta:
        ref_name = "SettlementCaseFunds"


class DistributionSerializer(serializers.Serializer):
    funds = CaseFundsSerializer()
    plan = PlanSerializer(allow_null=True)
    lines = PlanLineSerializer(many=True)
    services = PlanServiceSerializer(many=True)
    objections = ObjectionSerializer(many=True)
    costs = CaseCostSerializer(many=True)
    stays = CaseStaySerializer(many=True)
    payouts = CasePayoutSerializer(many=True)
    delays = PayoutDelaySerializer(many=True)

    class Meta:
        ref_name = "SettlementDistribution"


class ReconciliationExceptionSerializer(ModelSerializer):
    kind = EnumField(ReconciliationException.Kind)
    status = EnumField(ReconciliationException.Status)
    gateway = EnumField(Gateway)

    class Meta:
        ref_name = "SettlementReconciliationException"
        model = ReconciliationException
        fields = ["id", "gateway", "kind", "reference", "gateway_amount_fen", "ledger_amount_fen", "detail", "court",
                  "status", "resolution", "resolved_by", "resolved_at"]


class ReconciliationRunSerializer(ModelSerializer):
    gateway = EnumField(Gateway)

    class Meta:
        ref_name = "SettlementReconciliationRun"
        model = ReconciliationRun
        fields = ["id", "gateway", "day", "started_at", "started_by", "gateway_count", "ledger_count",
                  "matched_count", "exception_count"]


class ReconciledGateway(models.TextChoices):
    BANK_TRANSFER = Gateway.BANK_TRANSFER.value, Gateway.BANK_TRANSFER.label
    STRIPE = Gateway.STRIPE.value, Gateway.STRIPE.label


class ReconcileInSerializer(serializers.Serializer):
    gateway = EnumField(ReconciledGateway)
    day = serializers.DateField()

    class Meta:
        ref_name = "SettlementReconcileIn"
