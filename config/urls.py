from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from settlement import views as settlement_views

# The API docs page loads Swagger UI from its CDN, with its script in a file of its own (the split
# view), so the CSP allows that CDN there and only there.
SWAGGER_CDN = "https://cdn.jsdelivr.net"
api_docs = csp_update({"script-src": [SWAGGER_CDN], "style-src": [SWAGGER_CDN, "'unsafe-inline'"],
                       "img-src": [SWAGGER_CDN]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

# A database outage is answered 503 with a translated message, not a 500 page (core.unavailable).
handler500 = "core.unavailable.server_error"
# A path under /api/ that matches no route gets the API's JSON 404, as the schema documents.
handler404 = "core.api.not_found"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
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
# Uploaded photos and attachments are public court material, served with safe headers (core.views.media);
# in production a proxy may serve MEDIA_ROOT instead. Private documents have views of their own.
urlpatterns += [re_path(r"^media/(?P<path>.*)$", core_views.media, name="media")]
