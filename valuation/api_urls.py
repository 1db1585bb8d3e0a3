"""/api/valuation/: the reference-price procedure (see valuation.api)."""

from django.urls import path

from valuation import api

app_name = "valuation-api"

urlpatterns = [
    path("valuations/", api.ValuationList.as_view(), name="valuation-list"),
    path("valuations/<int:pk>/", api.ValuationDetail.as_view(), name="valuation-detail"),
    path("lots/<int:pk>/valuations/", api.LotValuationOpen.as_view(), name="lot-valuations"),
    path("lots/<int:pk>/estimate/", api.LotEstimate.as_view(), name="lot-estimate"),
    path("lotteries/<int:pk>/", api.LotteryVerify.as_view(), name="lottery-verify"),
    *[path(f"valuations/<int:pk>/{suffix}/", view.as_view(), name=f"valuation-{suffix.replace('/', '-')}")
      for suffix, view in api.ACTION_VIEWS],
]
