from django.conf import settings
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

admin.site.site_header = _("City Grid Management: administration")
admin.site.site_title = _("City Grid Management")
admin.site.index_title = _("Administration")


def favicon(request):
    # Resolved per request, not at import: with DEBUG off the static files' manifest exists only
    # after collectstatic, and `manage.py check` must run before that.
    return HttpResponsePermanentRedirect(static_url("img/favicon.svg"))


urlpatterns = [
    path("", include("ops.urls")),  # /healthz, /readyz, /metrics
    path("", include("accounts.urls")),
    path("grids/", include("grids.urls")),
    path("cases/", include("cases.urls")),
    path("assessments/", include("assessments.urls")),
    path("citizen/", include("citizens.urls")),  # 随手拍: public, no login
    path("open311/v2/", include("open311.urls")),  # Open311 GeoReport v2
    path("audit/", include("audit.urls")),  # the audit administrator's search and export
    path("assets/", include("assets.urls")),  # the component inventory (部件普查)
    path("devices/", include("devices.urls")),  # cameras, sensors and their alerts
    path("campaigns/", include("campaigns.urls")),  # special campaigns (专项整治)
    path("exchange/", include("exchange.urls")),  # messages to 12345 and the higher-level platform
    path("api/grids/", include("grids.api.urls")),
    path("api/assessments/", include("assessments.api.urls")),
    path("api/assets/", include("assets.api.urls")),
    path("api/devices/", include("devices.api.urls")),
    path("api/campaigns/", include("campaigns.api.urls")),
    path("api/exchange/", include("exchange.api.urls")),  # 12345 and upstream systems' work orders
    path("api/gazetteer/", include("gazetteer.api.urls")),
    path("api/", include("cases.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI from drf_spectacular_sidecar's static files (SPECTACULAR_SETTINGS): works offline;
    # its start-up script is served from /api/docs/?script, not inline (Content-Security-Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's).
    path("favicon.ico", favicon),
    # Uploaded files, in development and production alike, through the view that checks who asks
    # (an original photo's EXIF has the reporter's position); nginx sends them (MEDIA_ACCEL_REDIRECT).
    path(settings.MEDIA_URL.strip("/") + "/", include("cases.media_urls")),
]
