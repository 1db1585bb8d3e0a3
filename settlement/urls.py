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
    path("balances/", views.balances, name="balances"),
    path("balances/<int:pk>/", views.balance_detail, name="balance_detail"),
    path("balances/<int:pk>/offline/", views.balance_offline, name="balance_offline"),
    # The bidder's own pages.
    path("pay/deposit/<int:pk>/", views.deposit_pay, name="deposit_pay"),
    path("pay/deposit/<int:pk>/<slug:action>/", views.deposit_bidder_action, name="deposit_bidder_action"),
    path("pay/balance/<int:pk>/", views.balance_pay, name="balance_pay"),
]
