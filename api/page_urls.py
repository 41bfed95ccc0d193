"""The API's pages for people: the centre admin's tokens, the OpenAPI document and its
interactive page (Swagger UI from the drf-spectacular-sidecar package's static files, no CDN)."""

from django.urls import path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import page_views


class GuidePage(TemplateView):
    """The integrator's guide: how the endpoints fit together (invitations, the events feed,
    errors), for a centre's MIS people, who never see the repository's docs/api.md."""

    http_method_names = ["get", "head"]
    template_name = "api/guide.html"


class DocsPage(SpectacularSwaggerSplitView):
    """Swagger UI, whose script is a static file of its own (the site's CSP allows no inline
    script). A GET (and its script) only: an HTML page has no error template for the rest."""

    http_method_names = ["get", "head"]
    template_name = "api/swagger_ui.html"


urlpatterns = [
    path("api-tokens/", page_views.token_list, name="api-tokens"),
    path("api-tokens/<int:pk>/revoke/", page_views.token_revoke_view, name="api-token-revoke"),
    # The document and its page are public: they describe the API, and hold nothing of a centre's.
    path("api/v1/schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    path("api/v1/guide/", GuidePage.as_view(), name="api-guide"),
    path(
        "api/v1/docs/",
        DocsPage.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]
