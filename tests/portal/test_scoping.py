"""Who sees which centres and people. The rule lives in Role.objects.visible_to."""

import pytest

from portal.models import Centre, Role, RoleKind, User
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def people(viewer: User) -> set[str]:
    return set(User.objects.visible_to(viewer).values_list("email", flat=True))


def centres(viewer: User) -> set[str]:
    return set(Centre.objects.visible_to(viewer).values_list("name", flat=True))


@pytest.fixture
def everyone(learner, assessor, trainee_assessor, iqa, centre_admin, outsider):
    return {
        "learner": learner,
        "assessor": assessor,
        "trainee": trainee_assessor,
        "iqa": iqa,
        "admin": centre_admin,
        "outsider": outsider,
    }


def test_a_centre_admin_sees_everyone_in_their_centre_and_nobody_outside_it(everyone):
    assert people(everyone["admin"]) == {
        "learner@example.org",
        "assessor@example.org",
        "trainee@example.org",
        "iqa@example.org",
        "admin@example.org",
    }
    assert centres(everyone["admin"]) == {"Riverside Skills Academy"}


def test_an_outsider_sees_nobody_in_a_centre_they_do_not_belong_to(everyone):
    assert people(everyone["outsider"]) == {"outsider@example.org"}
    assert centres(everyone["outsider"]) == {"Harbour Training Centre"}


def test_a_learner_sees_themselves_and_the_staff_of_their_centre_but_not_other_learners(
    everyone, centre
):
    RoleFactory.create(
        centre=centre, kind=RoleKind.LEARNER, user=UserFactory.create(email="peer@example.org")
    )
    seen = people(everyone["learner"])
    assert "learner@example.org" in seen
    assert {"assessor@example.org", "iqa@example.org", "admin@example.org"} <= seen
    assert "peer@example.org" not in seen
    assert "outsider@example.org" not in seen


def test_an_assessor_does_not_see_learners_until_they_are_allocated(everyone):
    seen = people(everyone["assessor"])
    assert "learner@example.org" not in seen
    assert {"iqa@example.org", "admin@example.org", "trainee@example.org"} <= seen


def test_an_assessor_and_an_iqa_see_the_learners_allocated_to_them_and_no_others(everyone, centre):
    from portfolios.models import Registration
    from qualifications.models import Qualification
    from qualifications.rules.versions import current_version

    qualification = Qualification.objects.create(code="Q1", title="Q", level=2)
    Registration.objects.create(
        learner=everyone["learner"],
        centre=centre,
        qualification=qualification,
        pinned_rules_id=current_version(qualification).id,
        assessor=everyone["assessor"],
        iqa=everyone["iqa"],
        start_date="2026-09-01",
    )
    peer = RoleFactory.create(centre=centre, kind=RoleKind.LEARNER).user
    for staff in ("assessor", "iqa"):
        seen = people(everyone[staff])
        assert "learner@example.org" in seen
        assert peer.email not in seen
    assert "learner@example.org" not in people(everyone["trainee"])

    # An assessor who leaves the centre loses sight of the learner, though the registration
    # still names them.
    Role.objects.filter(user=everyone["assessor"]).delete()
    assert "learner@example.org" not in people(everyone["assessor"])


def test_a_person_with_two_roles_in_two_centres_sees_each_centre_as_that_role_allows(
    centre, other_centre, everyone
):
    # An IQA here who is a centre admin at the other centre: all of there, only staff here.
    dual = UserFactory.create(email="dual@example.org")
    RoleFactory.create(user=dual, centre=centre, kind=RoleKind.IQA)
    RoleFactory.create(user=dual, centre=other_centre, kind=RoleKind.CENTRE_ADMIN)
    far_learner = RoleFactory.create(centre=other_centre, kind=RoleKind.LEARNER).user

    seen = people(dual)
    assert far_learner.email in seen
    assert "outsider@example.org" in seen
    assert "learner@example.org" not in seen
    assert "assessor@example.org" in seen
    assert centres(dual) == {"Riverside Skills Academy", "Harbour Training Centre"}


def test_a_centre_admin_sees_only_the_roles_people_hold_in_their_own_centre(
    centre, other_centre, everyone
):
    # The learner also studies at the other centre; this centre's admin must not learn that.
    RoleFactory.create(user=everyone["learner"], centre=other_centre, kind=RoleKind.LEARNER)
    visible = Role.objects.visible_to(everyone["admin"]).filter(user=everyone["learner"])
    assert [r.centre for r in visible] == [centre]


def test_a_closed_account_sees_nothing(everyone):
    admin = everyone["admin"]
    admin.is_active = False
    admin.save()
    assert people(admin) == set()
    assert centres(admin) == set()


def test_a_person_with_no_roles_sees_only_themselves(everyone):
    loner = UserFactory.create(email="loner@example.org")
    assert people(loner) == {"loner@example.org"}
    assert centres(loner) == set()
