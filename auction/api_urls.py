"""/api/: public reads and the court staff's writes (see auction.api). The OpenAPI schema is at
/api/schema/ and its documentation at /api/docs/ (config.urls)."""

from django.urls import path

from auction import api

app_name = "api"

urlpatterns = [
    path("rounds/", api.PublicRoundList.as_view(), name="round-list"),
    path("rounds/<int:pk>/", api.PublicRoundDetail.as_view(), name="round-detail"),
    path("lots/<int:pk>/", api.PublicLotDetail.as_view(), name="lot-detail"),
    path("results/", api.PublicResultList.as_view(), name="result-list"),
    path("staff/cases/", api.StaffCaseList.as_view(), name="staff-case-list"),
    path("staff/cases/<int:pk>/", api.StaffCaseDetail.as_view(), name="staff-case-detail"),
    path("staff/cases/<int:pk>/parties/", api.StaffPartyCreate.as_view(), name="staff-case-parties"),
    path("staff/cases/<int:pk>/claims/", api.StaffClaimCreate.as_view(), name="staff-case-claims"),
    path("staff/cases/<int:pk>/lots/", api.StaffLotCreate.as_view(), name="staff-case-lots"),
    path("staff/lots/<int:pk>/", api.StaffLotDetail.as_view(), name="staff-lot-detail"),
    path("staff/lots/<int:pk>/reference-price/", api.StaffReferencePrice.as_view(), name="staff-lot-reference-price"),
    path("staff/lots/<int:pk>/photos/", api.StaffPhotoCreate.as_view(), name="staff-lot-photos"),
    path("staff/lots/<int:pk>/attachments/", api.StaffAttachmentCreate.as_view(), name="staff-lot-attachments"),
    path("staff/lots/<int:pk>/encumbrances/", api.StaffEncumbranceCreate.as_view(), name="staff-lot-encumbrances"),
    path("staff/lots/<int:pk>/leases/", api.StaffLeaseCreate.as_view(), name="staff-lot-leases"),
    path("staff/lots/<int:pk>/taxes/", api.StaffTaxSet.as_view(), name="staff-lot-taxes"),
    path("staff/lots/<int:pk>/priority-holders/", api.StaffPriorityHolderCreate.as_view(),
         name="staff-lot-priority-holders"),
    path("staff/lots/<int:pk>/rounds/", api.StaffRoundCreate.as_view(), name="staff-lot-rounds"),
    path("staff/priority-holders/<int:pk>/", api.StaffPriorityHolderRemove.as_view(),
         name="staff-priority-holder-detail"),
    path("staff/rounds/<int:pk>/", api.StaffRoundDetail.as_view(), name="staff-round-detail"),
    path("staff/rounds/<int:pk>/package/", api.StaffRoundPackage.as_view(), name="staff-round-package"),
    path("staff/rounds/<int:pk>/notifications/", api.StaffNotificationCreate.as_view(),
         name="staff-round-notifications"),
    path("staff/rounds/<int:pk>/panel-decision/", api.StaffPanelDecision.as_view(), name="staff-round-panel-decision"),
    path("staff/rounds/<int:pk>/publish/", api.StaffRoundPublish.as_view(), name="staff-round-publish"),
    path("staff/rounds/<int:pk>/stay/", api.StaffRoundStay.as_view(), name="staff-round-stay"),
    path("staff/rounds/<int:pk>/suspend/", api.StaffRoundSuspend.as_view(), name="staff-round-suspend"),
    path("staff/rounds/<int:pk>/withdraw/", api.StaffRoundWithdraw.as_view(), name="staff-round-withdraw"),
    path("staff/rounds/<int:pk>/terminate/", api.StaffRoundTerminate.as_view(), name="staff-round-terminate"),
    path("staff/rounds/<int:pk>/resume/", api.StaffRoundResume.as_view(), name="staff-round-resume"),
    path("staff/rounds/<int:pk>/next-round/", api.StaffRoundNext.as_view(), name="staff-round-next-round"),
    path("staff/rounds/<int:pk>/take-in-lieu/", api.StaffRoundTakeInLieu.as_view(), name="staff-round-take-in-lieu"),
]
