from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views
from portal.forms import EmailAuthenticationForm

# Uploaded evidence and certificates are never served as plain media files, not even locally:
# each is downloaded through a view that checks who is asking.
urlpatterns = [
    path("", include("home.urls")),
    path("role/", views.switch_role, name="switch-role"),
    path("healthz", views.healthz, name="healthz"),
    path("pdf-viewer/", views.pdf_viewer, name="pdf-viewer"),
    path("catalogue/", include("qualifications.urls")),
    path("", include("portfolios.urls")),
    path("", include("assessment.urls")),
    path("iqa/", include("iqa.urls")),
    path("", include("certification.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
