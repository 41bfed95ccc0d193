from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import invitation_views, notification_views, people_views, views
from portal.forms import AuditedSetPasswordForm, EmailAuthenticationForm

# Uploaded evidence and certificates are never served as plain media files, not even locally:
# each is downloaded through a view that checks who is asking.
urlpatterns = [
    path("", include("home.urls")),
    path("role/", views.switch_role, name="switch-role"),
    path("healthz", views.healthz, name="healthz"),
    path("pdf-viewer/", views.pdf_viewer, name="pdf-viewer"),
    path("catalogue/", include("qualifications.urls")),
    path("", include("portfolios.urls")),
    path("", include("competence.urls")),
    path("", include("assessment.urls")),
    path("iqa/", include("iqa.urls")),
    path("", include("certification.urls")),
    path("eqa/", include("eqa.urls")),
    path("", include("api.page_urls")),
    path("api/v1/", include("api.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=AuditedSetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/invitation/<str:token>/",
        invitation_views.invitation_accept_view,
        name="invitation-accept",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("people/invitations/", invitation_views.invitation_list, name="invitation-list"),
    path("people/invite/", invitation_views.invitation_create_view, name="invitation-create"),
    path(
        "people/invitations/<int:pk>/resend/",
        invitation_views.invitation_resend_view,
        name="invitation-resend",
    ),
    path(
        "people/invitations/<int:pk>/withdraw/",
        invitation_views.invitation_withdraw_view,
        name="invitation-withdraw",
    ),
    path("people/<int:pk>/", people_views.person_detail, name="person-detail"),
    path(
        "people/<int:pk>/deactivate/",
        people_views.person_deactivate_view,
        name="person-deactivate",
    ),
    path(
        "people/<int:pk>/reactivate/",
        people_views.person_reactivate_view,
        name="person-reactivate",
    ),
    path("notifications/", notification_views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/", notification_views.notification_open, name="notification-open"),
    path(
        "notifications/read/",
        notification_views.notification_read_all,
        name="notification-read-all",
    ),
    path(
        "notifications/settings/",
        notification_views.notification_settings,
        name="notification-settings",
    ),
    path("admin/", admin.site.urls),
]
