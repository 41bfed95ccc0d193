from django.urls import path, re_path

from api import learner_views, views
from api.rest import not_found

app_name = "api"

urlpatterns = [
    path("qualifications/", views.QualificationList.as_view(), name="qualifications"),
    path("qualifications/<int:pk>/", views.QualificationDetail.as_view(), name="qualification"),
    path("learners/", learner_views.Learners.as_view(), name="learners"),
    path("learners/<int:pk>/", learner_views.Learner.as_view(), name="learner"),
    path("staff/", views.StaffList.as_view(), name="staff"),
    path("invitations/", learner_views.InvitationList.as_view(), name="invitations"),
    path("invitations/<int:pk>/", learner_views.InvitationDetail.as_view(), name="invitation"),
    path(
        "invitations/<int:pk>/resend/",
        learner_views.InvitationResend.as_view(),
        name="invitation-resend",
    ),
    path(
        "invitations/<int:pk>/withdraw/",
        learner_views.InvitationWithdraw.as_view(),
        name="invitation-withdraw",
    ),
    path("registrations/", views.RegistrationList.as_view(), name="registrations"),
    path("registrations/<int:pk>/", views.RegistrationDetail.as_view(), name="registration"),
    path(
        "registrations/<int:pk>/withdraw/",
        views.RegistrationWithdraw.as_view(),
        name="registration-withdraw",
    ),
    path(
        "registrations/<int:pk>/progress/",
        views.RegistrationProgress.as_view(),
        name="registration-progress",
    ),
    path("claims/", views.ClaimList.as_view(), name="claims"),
    path("certificates/", views.CertificateList.as_view(), name="certificates"),
    path("certificates/<int:pk>/", views.CertificateDetail.as_view(), name="certificate"),
    path("events/", views.EventFeed.as_view(), name="events"),
    re_path(r"^(?P<path>.*)$", not_found, name="not-found"),
]
