from django.urls import path

from eqa import views

app_name = "eqa"

urlpatterns = [
    path("", views.eqa_home, name="home"),
    path("<int:pk>/", views.window_detail, name="window"),
    path(
        "<int:pk>/registrations/<int:registration_pk>/",
        views.registration_detail,
        name="registration",
    ),
    path("<int:pk>/files/<int:file_pk>/", views.evidence_file, name="evidence-file"),
    path("<int:pk>/iqa/", views.iqa_records, name="iqa"),
    path("<int:pk>/sample/", views.sample_new, name="sample"),
    path("<int:pk>/report/", views.report_new, name="report"),
    path("<int:pk>/claims/", views.claims, name="claims"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("centre/", views.centre_reports, name="centre-reports"),
]
