from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from settlement import views as settlement_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/valuation/", include("valuation.api_urls")),
    path("api/settlement/", include("settlement.api_urls")),
    path("api/bidding/", include("bidding.api_urls")),
    path("api/", include("auction.api_urls")),
    path("court/valuation/", include("valuation.urls")),
    path("court/", include("auction.staff_urls")),
    path("finance/", include("settlement.urls")),
    path("webhooks/", include("settlement.webhook_urls")),
    path("statistics/", settlement_views.public_statistics, name="statistics"),
    path("statistics.csv", settlement_views.public_statistics_csv, name="statistics_csv"),
    path("bidder/", include("bidding.urls")),
    path("", include("core.urls")),
    path("", include("auction.urls")),
]
# Uploaded photos and attachments are public court material; in production a proxy serves MEDIA_ROOT.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
if not settings.DEBUG:
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
