from django.urls import path, re_path

from api import views
from api.rest import not_found

app_name = "api"

urlpatterns = [
    path("qualifications/", views.QualificationList.as_view(), name="qualifications"),
    path("qualifications/<int:pk>/", views.QualificationDetail.as_view(), name="qualification"),
    path("learners/", views.LearnerList.as_view(), name="learners"),
    path("learners/<int:pk>/", views.LearnerDetail.as_view(), name="learner"),
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
