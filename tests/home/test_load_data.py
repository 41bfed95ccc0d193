"""The load population's layout, and a tiny one made on SQLite (well under a second). The real
checks, on a bigger population and on PostgreSQL, are in tests/integration/test_load_data.py."""

from __future__ import annotations

import pytest

from assessment.kept import fill_decided_work
from assessment.models import DecidedWork, UnitSignOff
from assessment.pages import awaiting_countersignature
from assessment.services import unit_missing
from certification.models import Certificate
from certification.readiness import readiness_of
from home.load_data import LoadDataRefused, Options, generate
from home.load_data.layout import centre_plans, email
from portal.audit import audit_verification
from portal.models import Role, RoleKind, User
from portfolios.models import Evidence, Registration


def test_people_are_spread_evenly_with_the_small_centre_first():
    plans = centre_plans(centres=3, learners=10, assessors=7, iqas=3, small_centre_learners=5)
    assert [(p.name, p.learners, p.assessors, p.iqas) for p in plans] == [
        ("Load centre 00", 5, 2, 1),
        ("Load centre 01", 4, 3, 1),
        ("Load centre 02", 3, 2, 1),
        ("Load centre 03", 3, 2, 1),
    ]
    assert email(1, "assessor", 12) == "assessor12@c01.load.test"
    assert email(0, "admin") == "admin@c00.load.test"


def test_learners_go_to_assessors_in_turn_and_every_fifth_assessor_is_a_trainee():
    plan = centre_plans(centres=1, learners=20, assessors=10, iqas=2, small_centre_learners=0)[0]
    assert [plan.assessor_of(k) for k in (1, 2, 10, 11)] == [1, 2, 10, 1]
    assert [k for k in range(1, 11) if plan.is_trainee(k)] == [5, 10]
    assert not plan.is_trainee(plan.countersigner_of(5))


def test_the_small_centre_has_a_qualified_assessor_and_a_trainee_sharing_its_learners():
    small = centre_plans(centres=1, learners=20, assessors=10, iqas=2, small_centre_learners=5)[0]
    assert [k for k in (1, 2) if small.is_trainee(k)] == [2]
    assert small.countersigner_of(2) == 1 and not small.is_trainee(1)
    assert [small.assessor_of(k) for k in range(1, 6)] == [1, 2, 1, 2, 1]


def test_impossible_sizes_are_refused_with_the_reason():
    assert Options(centres=4, assessors=3).problems() == [
        "Every centre needs an assessor: --assessors at least --centres."
    ]
    assert "IQA" in Options(centres=4, assessors=8, iqas=2).problems()[0]
    assert Options(centres=0, small_centre_learners=0).problems()
    assert Options(learners=-1, iqas=-2).problems()[:1] == [
        "Counts cannot be negative: --learners, --iqas."
    ]
    assert Options(jobs=0).problems() == ["--jobs must be at least 1."]


@pytest.mark.django_db
def test_the_small_centre_on_sqlite_is_made_as_the_services_would_make_it(catalogue_db):
    report = generate(Options(centres=0, small_centre_learners=5, password="tiny-secret"))
    assert report.centres == ["Load centre 00"]
    assert Registration.objects.count() == 5
    assert audit_verification().broken is None
    assert audit_verification().count == report.rows["portal.AuditEntry"] > 0
    sign_offs = list(UnitSignOff.objects.select_related("registration"))
    assert sign_offs
    assert not [s.pk for s in sign_offs if unit_missing(s.registration, s.unit_id)]
    certificate = Certificate.objects.get()
    assert readiness_of(certificate.registration).full_ready
    roles = Role.objects.filter(centre__name="Load centre 00")
    assessors = roles.filter(kind=RoleKind.ASSESSOR).order_by("user__email")
    assert [(r.user.email, r.is_trainee) for r in assessors] == [
        ("assessor1@c00.load.test", False),
        ("assessor2@c00.load.test", True),
    ]
    assert roles.filter(kind=RoleKind.IQA).count() == 1
    # Each has a learner midway, for certain: a unit signed off and an upload waiting for review;
    # the trainee's decisions wait for the qualified assessor's countersignature.
    trainee, qualified = assessors[1].user, assessors[0].user
    for assessor in (qualified, trainee):
        midway = Registration.objects.filter(assessor=assessor, sign_offs__isnull=False)
        waiting = Evidence.objects.filter(registration__in=midway, judged_at__isnull=True)
        assert waiting.exists(), assessor.email
    assert set(awaiting_countersignature(qualified).values_list("decided_by", flat=True)) == {
        trainee.pk
    }
    assert User.objects.get(email="learner3@c00.load.test").check_password("tiny-secret")
    # The work kept for the IQA is what the decisions written say, as the services keep it.
    written = kept_lines()
    fill_decided_work()
    assert kept_lines() == written != set()
    with pytest.raises(LoadDataRefused, match="--replace"):
        generate(Options(centres=0, small_centre_learners=1))


def kept_lines() -> set[tuple[object, ...]]:
    return set(
        DecidedWork.objects.values_list(
            "registration", "unit", "decided_by", "countersigned_by", "method", "assessed_on"
        )
    )
