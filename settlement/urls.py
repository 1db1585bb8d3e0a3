"""/finance/: the finance pages, and the bidders' payment pages that bidding links to by id."""

from django.urls import path

from settlement import views

app_name = "settlement"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rounds/<int:pk>/", views.round_deposits, name="round_deposits"),
    path("rounds/<int:pk>/payment-methods/", views.round_payment_settings, name="round_payment_settings"),
    path("deposits/<int:pk>/<slug:action>/", views.deposit_action, name="deposit_action"),
    path("receipts/", views.receipts, name="receipts"),
    path("statements/new/", views.statement_import, name="statement_import"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("claims/", views.claims, name="claims"),
    path("claims/<int:pk>/<slug:action>/", views.claim_action, name="claim_action"),
    path("payouts/", views.payouts, name="payouts"),
    path("payouts/<int:pk>/paid/", views.payout_paid, name="payout_paid"),
    path("alerts/", views.alerts, name="alerts"),
    path("cases/<int:pk>/account/", views.case_account, name="case_account"),
    path("cases/<int:pk>/account.<slug:fmt>", views.case_account_export, name="case_account_export"),
    path("cases/<int:pk>/distribution/", views.case_distribution, name="case_distribution"),
    path("cases/<int:pk>/distribution/<slug:action>/", views.case_distribution_action,
         name="case_distribution_action"),
    path("plans/<int:pk>/statement.pdf", views.plan_statement, name="plan_statement"),
    path("case-payouts/", views.case_payouts, name="case_payouts"),
    path("export/<slug:what>.<slug:fmt>", views.finance_export, name="finance_export"),
    path("reconciliation/", views.reconciliation_page, name="reconciliation"),
    path("reconciliation/run/", views.reconciliation_run, name="reconciliation_run"),
    path("reconciliation/<int:pk>/resolve/", views.reconciliation_resolve, name="reconciliation_resolve"),
    path("case-payouts/<int:pk>/<slug:action>/", views.case_payout_action, name="case_payout_action"),
    path("payout-delays/<int:pk>/<slug:action>/", views.payout_delay_action, name="payout_delay_action"),
    path("balances/", views.balances, name="balances"),
    path("balances/<int:pk>/", views.balance_detail, name="balance_detail"),
    path("balances/<int:pk>/offline/", views.balance_offline, name="balance_offline"),
    # The bidder's own pages.
    path("pay/deposit/<int:pk>/", views.deposit_pay, name="deposit_pay"),
    path("pay/deposit/<int:pk>/<slug:action>/", views.deposit_bidder_action, name="deposit_bidder_action"),
    path("pay/balance/<int:pk>/", views.balance_pay, name="balance_pay"),
]
