from django.urls import path

from assessment import views

app_name = "assessment"

# The assessor's pages live under assess/; a unit's progress is read by its learner too.
urlpatterns = [
    path(
        "registrations/<int:pk>/units/<int:unit_pk>/",
        views.unit_progress_view,
        name="unit-progress",
    ),
    path("registrations/<int:pk>/tracker/", views.tracker_view, name="tracker"),
    path("assess/tracker/", views.caseload_tracker_view, name="caseload-tracker"),
    path("assess/evidence/<int:pk>/", views.evidence_review, name="evidence-review"),
    path(
        "assess/evidence/<int:pk>/classify/",
        views.evidence_classify_view,
        name="evidence-classify",
    ),
    path("assess/mappings/<int:pk>/", views.mapping_review_view, name="mapping-review"),
    path("assess/registrations/<int:pk>/records/new/", views.record_new, name="record-new"),
    path("assess/countersign/", views.countersign, name="countersign"),
    path("assess/decisions/<int:pk>/return/", views.decision_return_view, name="decision-return"),
    path(
        "assess/registrations/<int:pk>/units/<int:unit_pk>/",
        views.unit_sign_off_view,
        name="unit-sign-off",
    ),
    path(
        "assess/sign-offs/<int:pk>/countersign/",
        views.unit_countersign_view,
        name="unit-countersign",
    ),
    path(
        "assess/registrations/<int:pk>/units/<int:unit_pk>/requirements/",
        views.requirement_show_view,
        name="requirement-show",
    ),
    path(
        "assess/registrations/<int:pk>/units/<int:unit_pk>/sufficiency/",
        views.sufficiency_record_view,
        name="sufficiency-record",
    ),
    path(
        "assess/requirements/<int:pk>/withdraw/",
        views.requirement_withdraw_view,
        name="requirement-withdraw",
    ),
    path(
        "assess/sufficiency/<int:pk>/withdraw/",
        views.sufficiency_withdraw_view,
        name="sufficiency-withdraw",
    ),
    path("assess/sign-offs/<int:pk>/unlock/", views.unit_unlock_view, name="unit-unlock"),
    path(
        "assess/sign-offs/<int:pk>/assessor-countersign/",
        views.sign_off_countersign_view,
        name="sign-off-countersign",
    ),
    path(
        "assess/registrations/<int:pk>/history/<str:kind>/<int:item_pk>/",
        views.item_history,
        name="item-history",
    ),
]
