from django.urls import path

from assessment import views

app_name = "assessment"

urlpatterns = [
    path("evidence/<int:pk>/", views.evidence_review, name="evidence-review"),
    path("mappings/<int:pk>/", views.mapping_review_view, name="mapping-review"),
    path("registrations/<int:pk>/records/new/", views.record_new, name="record-new"),
    path("countersign/", views.countersign, name="countersign"),
    path(
        "registrations/<int:pk>/units/<int:unit_pk>/",
        views.unit_sign_off_view,
        name="unit-sign-off",
    ),
    path("sign-offs/<int:pk>/countersign/", views.unit_countersign_view, name="unit-countersign"),
    path("sign-offs/<int:pk>/unlock/", views.unit_unlock_view, name="unit-unlock"),
    path(
        "registrations/<int:pk>/history/<str:kind>/<int:item_pk>/",
        views.item_history,
        name="item-history",
    ),
]
