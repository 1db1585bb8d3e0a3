"""Bidder pages at /bidder/, and the court's registration pages under /bidder/court/."""

from django.urls import path

from bidding import views

app_name = "bidding"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("profile/", views.profile, name="profile"),
    path("rounds/<int:round_pk>/register/", views.register, name="register"),
    path("registrations/<int:pk>/", views.registration, name="registration"),
    path("registrations/<int:pk>/prompts/", views.prompt_accept, name="prompt_accept"),
    path("registrations/<int:pk>/qualification/", views.qualification, name="qualification"),
    path("registrations/<int:pk>/pay/", views.pay, name="pay"),
    path("registrations/<int:pk>/pay/cancel/", views.payment_cancel, name="payment_cancel"),
    path("registrations/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("registrations/<int:pk>/receipts/<int:seq>.json", views.receipt, name="receipt"),
    path("rounds/<int:pk>/verify/", views.verify, name="verify"),
    path("rounds/<int:pk>/reminder/", views.reminder, name="reminder"),
    path("rounds/<int:pk>/confirmation.pdf", views.confirmation_pdf, name="confirmation"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("court/rounds/<int:pk>/", views.staff_round, name="staff_round"),
    path("court/rounds/<int:pk>/re-auction/", views.reauction, name="reauction"),
    path("court/rounds/<int:pk>/after-sale/<slug:step>/", views.staff_after_sale, name="staff_after_sale"),
    path("court/reviews/", views.review_queue, name="review_queue"),
    path("court/reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("court/registrations/<int:pk>/default/", views.staff_default, name="staff_default"),
    path("court/barred/", views.barred_list, name="barred_list"),
    path("court/live/", views.live_board, name="live_board"),
    path("court/live.json", views.live_board_json, name="live_board_json"),
    path("court/screening/", views.screening_queue, name="screening_queue"),
    path("court/screening/rounds/<int:pk>/", views.screening_detail, name="screening_detail"),
    path("court/screening/rounds/<int:pk>/run/", views.screening_rerun, name="screening_rerun"),
    path("court/rounds/<int:pk>/bids.csv", views.round_bids_csv, name="round_bids_csv"),
    path("court/barred/<int:pk>/remove/", views.barred_remove, name="barred_remove"),
]
