"""/api/bidding/: the bidder's registrations and the court's registration work (see bidding.api)."""

from django.urls import path

from bidding import api

app_name = "bidding-api"

urlpatterns = [
    path("rounds/<int:pk>/bids/", api.BidPlace.as_view(), name="round-bid"),
    path("rounds/<int:pk>/live/", api.LiveSnapshot.as_view(), name="round-live"),
    path("rounds/<int:pk>/bids/after/", api.BidsAfter.as_view(), name="round-bids-after"),
    path("rounds/<int:pk>/chain/", api.SealedChain.as_view(), name="round-chain"),
    path("signup/", api.Signup.as_view(), name="signup"),
    path("profile/", api.Profile.as_view(), name="profile"),
    path("registrations/", api.MyRegistrations.as_view(), name="registration-list"),
    path("rounds/<int:pk>/registrations/", api.RegistrationStart.as_view(), name="registration-start"),
    path("registrations/<int:pk>/", api.RegistrationDetail.as_view(), name="registration-detail"),
    path("registrations/<int:pk>/prompts/", api.PromptAccept.as_view(), name="registration-prompts"),
    path("registrations/<int:pk>/qualification/", api.QualificationSubmit.as_view(),
         name="registration-qualification"),
    path("registrations/<int:pk>/deposit/", api.DepositOpen.as_view(), name="registration-deposit"),
    path("registrations/<int:pk>/payment/", api.DepositPayment.as_view(), name="registration-payment"),
    path("registrations/<int:pk>/deposit/cancel/", api.DepositCancel.as_view(), name="registration-deposit-cancel"),
    path("registrations/<int:pk>/cancel/", api.RegistrationCancel.as_view(), name="registration-cancel"),
    path("staff/rounds/<int:pk>/registrations/", api.StaffRoundRegistrations.as_view(),
         name="staff-round-registrations"),
    path("staff/rounds/<int:pk>/re-auction/", api.StaffReauction.as_view(), name="staff-round-reauction"),
    path("staff/reviews/", api.StaffReviewQueue.as_view(), name="staff-review-list"),
    path("staff/reviews/<int:pk>/", api.StaffReviewDetail.as_view(), name="staff-review-detail"),
    path("staff/reviews/<int:pk>/decision/", api.StaffReviewDecision.as_view(), name="staff-review-decision"),
    path("staff/registrations/<int:pk>/default/", api.StaffRegistrationDefault.as_view(),
         name="staff-registration-default"),
    path("staff/barred/", api.StaffBarredList.as_view(), name="staff-barred-list"),
    path("staff/screening/", api.StaffScreeningQueue.as_view(), name="staff-screening-list"),
    path("staff/screening/rounds/<int:pk>/", api.StaffScreeningDetail.as_view(), name="staff-screening-detail"),
    path("staff/screening/rounds/<int:pk>/decision/", api.StaffScreeningDecision.as_view(),
         name="staff-screening-decision"),
    path("staff/barred/<int:pk>/remove/", api.StaffBarredRemove.as_view(), name="staff-barred-remove"),
]
