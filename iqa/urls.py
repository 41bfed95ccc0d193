from django.urls import path

from iqa import countersign_views, views

app_name = "iqa"

urlpatterns = [
    path("plans/new/", views.plan_new, name="plan-new"),
    path("strategy/<int:qualification_pk>/", views.strategy_edit, name="strategy"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("registrations/<int:pk>/units/<int:unit_pk>/sample/", views.sample_new, name="sample-new"),
    path("samples/<int:pk>/", views.sample_detail, name="sample-detail"),
    path("registrations/<int:pk>/", views.registration_status, name="registration-status"),
    path("samples/<int:pk>/lift/", views.sample_lift_view, name="sample-lift"),
    path("actions/<int:pk>/respond/", views.action_respond_view, name="action-respond"),
    path("actions/<int:pk>/close/", views.action_close_view, name="action-close"),
    path("actions/<int:pk>/not-accepted/", views.action_not_accept_view, name="action-not-accept"),
    path("plans/<int:pk>/record.csv", views.plan_csv, name="plan-csv"),
    path("countersign/", countersign_views.countersign_list, name="countersign"),
    path(
        "samples/<int:pk>/countersign/",
        countersign_views.sample_countersign_view,
        name="sample-countersign",
    ),
    path("documents/", views.document_request_view, name="document-request"),
    path("documents/<int:pk>/", views.document_download, name="document-download"),
]
