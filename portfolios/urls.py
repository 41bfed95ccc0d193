from django.urls import path

from portfolios import (
    evidence_views,
    people_views,
    prior_learning_views,
    question_views,
    views,
    witness_views,
)

app_name = "portfolios"

urlpatterns = [
    path("registrations/", views.registration_list, name="registration-list"),
    path("registrations/new/", views.registration_create_view, name="registration-create"),
    path("registrations/bulk/", views.registration_bulk, name="registration-bulk"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration-detail"),
    path("registrations/<int:pk>/units/", views.registration_units, name="registration-units"),
    path("registrations/<int:pk>/rules/", views.registration_rules, name="registration-rules"),
    path(
        "registrations/<int:pk>/learner/", views.registration_learner, name="registration-learner"
    ),
    path(
        "registrations/<int:pk>/people/",
        people_views.registration_staff,
        name="registration-staff",
    ),
    path(
        "registrations/<int:pk>/people/units/<int:unit_pk>/",
        people_views.registration_unit_assessor,
        name="registration-unit-assessor",
    ),
    path(
        "registrations/<int:pk>/withdraw/",
        people_views.registration_withdraw_view,
        name="registration-withdraw",
    ),
    path("registrations/<int:pk>/rpl/new/", prior_learning_views.rpl_new, name="rpl-new"),
    path(
        "registrations/<int:pk>/exemptions/new/",
        prior_learning_views.exemption_new,
        name="exemption-new",
    ),
    path(
        "registrations/<int:pk>/units/<int:unit_pk>/rpl/new/",
        prior_learning_views.rpl_items_new,
        name="rpl-items-new",
    ),
    path(
        "prior-learning-items/<int:pk>/withdraw/",
        prior_learning_views.rpl_item_withdraw_view,
        name="rpl-item-withdraw",
    ),
    path(
        "prior-learning/<int:pk>/withdraw/",
        prior_learning_views.prior_learning_withdraw_view,
        name="prior-learning-withdraw",
    ),
    path("registrations/<int:pk>/evidence/new/", evidence_views.evidence_new, name="evidence-new"),
    path(
        "registrations/<int:pk>/evidence/write/",
        evidence_views.evidence_write_view,
        name="evidence-write",
    ),
    path("evidence/<int:pk>/", evidence_views.evidence_detail, name="evidence-detail"),
    path("evidence/<int:pk>/edit/", evidence_views.evidence_edit, name="evidence-edit"),
    path("evidence/<int:pk>/map/", evidence_views.evidence_map, name="evidence-map"),
    path("evidence/<int:pk>/comments/", evidence_views.evidence_comment, name="evidence-comment"),
    path(
        "evidence/<int:pk>/acknowledge/",
        evidence_views.evidence_acknowledge,
        name="evidence-acknowledge",
    ),
    path("evidence/<int:pk>/remove/", evidence_views.evidence_remove, name="evidence-remove"),
    path("evidence/files/<int:pk>/", evidence_views.evidence_file, name="evidence-file"),
    path(
        "registrations/<int:pk>/questions/new/",
        question_views.question_set_new,
        name="question-set-new",
    ),
    path("questions/<int:pk>/", question_views.question_set_detail, name="question-set-detail"),
    path("registrations/<int:pk>/witness/new/", witness_views.witness_ask, name="witness-ask"),
    path("witness/<str:token>/", witness_views.witness_confirm_view, name="witness-confirm"),
]
