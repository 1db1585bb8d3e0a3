"""Admin for the money records: read-only, because every row is written by settlement.services with
its ledger transaction and audit record. Who paid (names, accounts, owners) is left out here: the
finance pages show it, to finance staff of the court, once the round has finished (WP art.18)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin, register_staff_page
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
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutDelay,
    PlanObjection,
    Receipt,
    RoundPaymentSettings,
    SettlementAlert,
    StripeEvent,
)

register_staff_page("settlement.bankstatement", "settlement:statement_detail")
register_staff_page("settlement.balancedue", "settlement:balance_detail")


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdmin):
    list_display = ("reference", "round", "gateway", "amount_fen", "status", "hold_mode", "held_at", "release_due_at")
    list_filter = ("status", "gateway", "hold_mode")
    search_fields = ("reference", "gateway_ref")
    exclude = ("owner", "payer_name")


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("external_ref", "gateway", "amount_fen", "received_at", "status", "queue_reason", "court")
    list_filter = ("status", "gateway", "queue_reason")
    search_fields = ("external_ref", "remark")
    exclude = ("payer_name", "payer_account")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("key", "reason", "gateway", "amount_fen", "status", "created_at", "paid_at")
    list_filter = ("status", "reason", "gateway")
    search_fields = ("key", "external_ref")
    exclude = ("payee_name", "payee_account")


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = ("filename", "court", "format", "uploaded_at", "matched_count", "queued_count", "duplicate_count")
    list_filter = ("format", "court")


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ("account", "amount_fen")
    readonly_fields = ("account", "amount_fen")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "idempotency_key", "memo", "actor_label", "created_at")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "memo")
    inlines = [LedgerEntryInline]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "kind", "gateway", "case", "account_reference", "balance_fen")
    list_filter = ("kind",)
    search_fields = ("code", "account_reference")


@admin.register(BalanceDue)
class BalanceDueAdmin(ReadOnlyAdmin):
    list_display = ("reference", "round", "amount_fen", "paid_fen", "due_on", "status")
    list_filter = ("status",)
    search_fields = ("reference",)
    exclude = ("owner",)


@admin.register(BalancePayment)
class BalancePaymentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "balance", "gateway", "amount_fen", "status", "received_at")
    list_filter = ("status", "gateway")


@admin.register(ForfeitEarmark)
class ForfeitEarmarkAdmin(ReadOnlyAdmin):
    list_display = ("deposit", "case", "amount_fen", "created_at")


@admin.register(SettlementAlert)
class SettlementAlertAdmin(ReadOnlyAdmin):
    list_display = ("key", "kind", "court", "due_at", "created_at", "resolved_at")
    list_filter = ("kind", "resolved_at")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "object_id", "status", "received_at", "processed_at", "attempts")
    list_filter = ("status", "type")
    search_fields = ("event_id", "object_id")


@admin.register(RoundPaymentSettings)
class RoundPaymentSettingsAdmin(ReadOnlyAdmin):
    list_display = ("round", "gateways", "updated_at")


# Case funds: read-only like everything above. The two-person rule (prepare, approve, execute by three
# people) lives in settlement.services; the admin cannot add, change or delete a payout or a plan.


@admin.register(CasePayout)
class CasePayoutAdmin(ReadOnlyAdmin):
    list_display = ("reference", "case", "payee_name", "amount_fen", "status", "due_on", "prepared_by",
                    "approved_by", "executed_by")
    list_filter = ("status", "method")
    search_fields = ("reference", "external_ref", "case__number")


@admin.register(DistributionPlan)
class DistributionPlanAdmin(ReadOnlyAdmin):
    list_display = ("case", "version", "status", "mode", "available_fen", "served_on")
    list_filter = ("status", "mode")
    search_fields = ("case__number",)
    exclude = ("statement_pdf",)


@admin.register(DistributionLine)
class DistributionLineAdmin(ReadOnlyAdmin):
    list_display = ("plan", "position", "key", "tier", "rank", "payee_name", "claimed_fen", "allocated_fen")
    list_filter = ("tier",)


@admin.register(PlanObjection)
class PlanObjectionAdmin(ReadOnlyAdmin):
    list_display = ("plan", "objector", "disputed_fen", "status", "filed_on", "counter_due", "suit_due")
    list_filter = ("status",)


@admin.register(CaseCost)
class CaseCostAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "description", "amount_fen", "payee_name")
    list_filter = ("kind",)


@admin.register(CaseStay)
class CaseStayAdmin(ReadOnlyAdmin):
    list_display = ("case", "first_day", "last_day", "requested_by_debtor", "reason")


@admin.register(PayoutDelay)
class PayoutDelayAdmin(ReadOnlyAdmin):
    list_display = ("case", "reason", "status", "requested_by", "decided_by", "ended_on")
    list_filter = ("status", "reason")
