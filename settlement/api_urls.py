"""/api/settlement/: the bidder's deposits and balances, and the finance staff's operations
(see settlement.api)."""

from django.urls import path

from settlement import api

app_name = "settlement-api"

urlpatterns = [
    path("deposits/<int:pk>/", api.DepositDetail.as_view(), name="deposit-detail"),
    path("deposits/<int:pk>/payment/", api.DepositPayment.as_view(), name="deposit-payment"),
    path("deposits/<int:pk>/refresh/", api.DepositRefresh.as_view(), name="deposit-refresh"),
    path("deposits/<int:pk>/cancel/", api.DepositCancel.as_view(), name="deposit-cancel"),
    path("deposits/<int:pk>/confirm-offline/", api.DepositConfirmOffline.as_view(), name="deposit-confirm-offline"),
    path("deposits/<int:pk>/release/", api.DepositRelease.as_view(), name="deposit-release"),
    path("deposits/<int:pk>/apply/", api.DepositApply.as_view(), name="deposit-apply"),
    path("balances/<int:pk>/", api.BalanceDetail.as_view(), name="balance-detail"),
    path("balances/<int:pk>/payment/", api.BalancePay.as_view(), name="balance-payment"),
    path("balances/<int:pk>/offline-receipts/", api.BalanceOffline.as_view(), name="balance-offline"),
    path("rounds/<int:pk>/deposits/", api.RoundDepositList.as_view(), name="round-deposits"),
    path("rounds/<int:pk>/payment-settings/", api.RoundPaymentSettings.as_view(), name="round-payment-settings"),
    path("statements/", api.StatementCreate.as_view(), name="statement-list"),
    path("statements/<int:pk>/", api.StatementDetail.as_view(), name="statement-detail"),
    path("receipts/", api.ReceiptList.as_view(), name="receipt-list"),
    path("receipts/<int:pk>/assign/", api.ReceiptAssign.as_view(), name="receipt-assign"),
    path("receipts/<int:pk>/return/", api.ReceiptReturn.as_view(), name="receipt-return"),
    path("payouts/", api.PayoutList.as_view(), name="payout-list"),
    path("payouts/<int:pk>/paid/", api.PayoutPaid.as_view(), name="payout-paid"),
    path("alerts/", api.AlertList.as_view(), name="alert-list"),
    path("cases/<int:pk>/account/", api.CaseAccount.as_view(), name="case-account"),
    path("ledger/check/", api.LedgerCheck.as_view(), name="ledger-check"),
    path("cases/", api.CaseFundsList.as_view(), name="case-funds-list"),
    path("cases/<int:pk>/distribution/", api.CaseDistribution.as_view(), name="case-distribution"),
    path("cases/<int:pk>/costs/", api.CaseCostCreate.as_view(), name="case-costs"),
    path("cases/<int:pk>/stays/", api.CaseStayCreate.as_view(), name="case-stays"),
    path("cases/<int:pk>/plans/", api.PlanCreate.as_view(), name="case-plans"),
    path("cases/<int:pk>/payout-delays/", api.PayoutDelayCreate.as_view(), name="case-payout-delays"),
    path("plans/<int:pk>/serve/", api.PlanServe.as_view(), name="plan-serve"),
    path("plans/<int:pk>/objections/", api.ObjectionCreate.as_view(), name="plan-objections"),
    path("objections/<int:pk>/counter/", api.ObjectionCounter.as_view(), name="objection-counter"),
    path("objections/<int:pk>/suit/", api.ObjectionSuit.as_view(), name="objection-suit"),
    path("objections/<int:pk>/close/", api.ObjectionClose.as_view(), name="objection-close"),
    path("plan-lines/<int:pk>/payouts/", api.LinePayoutCreate.as_view(), name="plan-line-payouts"),
    path("case-payouts/", api.CasePayoutList.as_view(), name="case-payout-list"),
    path("case-payouts/<int:pk>/approve/", api.CasePayoutApprove.as_view(), name="case-payout-approve"),
    path("case-payouts/<int:pk>/execute/", api.CasePayoutExecute.as_view(), name="case-payout-execute"),
    path("case-payouts/<int:pk>/cancel/", api.CasePayoutCancel.as_view(), name="case-payout-cancel"),
    path("payout-delays/<int:pk>/decide/", api.PayoutDelayDecide.as_view(), name="payout-delay-decide"),
    path("payout-delays/<int:pk>/end/", api.PayoutDelayEnd.as_view(), name="payout-delay-end"),
    path("reconciliation/exceptions/", api.ReconciliationExceptionList.as_view(), name="reconciliation-exceptions"),
    path("reconciliation/exceptions/<int:pk>/resolve/", api.ReconciliationExceptionResolve.as_view(),
         name="reconciliation-exception-resolve"),
    path("reconciliation/runs/", api.ReconciliationRunCreate.as_view(), name="reconciliation-runs"),
]
