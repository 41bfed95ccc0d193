"""An assessor per unit (issue 19, decision 39): the centre admin gives one unit of a learner's
plan its own assessor, changes it or gives it back to the registration's assessor, through
`registration_unit_assessor_change`, on the registration's people page."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from assessment.caseload import caseload_registrations
from portal.models import Notification, NotificationKind, RoleKind
from portal.services import person_deactivate
from portfolios.forms import NOT_AN_ASSESSOR_HERE
from portfolios.models import Registration, RegistrationUnit
from portfolios.services import (
    IQA_ASSESSES_A_UNIT,
    SAME_PERSON_ASSESSOR_IQA,
    UNIT_NOT_PLANNED,
    UNIT_NOTHING_CHANGED,
    RegistrationRejected,
    registration_staff_change,
    registration_unit_assessor_change,
    registration_withdraw,
)
from qualifications.models import Unit
from tests.audit import AuditWatch
from tests.factories import RoleFactory, UserFactory

UNIT = "A/506/2130"  # mandatory in the SFJ certificate: in every plan


@pytest.fixture
def unit(sfj) -> Unit:
    return Unit.objects.get(code=UNIT)


@pytest.fixture
def second(centre):
    """Another assessor of the centre, with no learner yet."""
    return RoleFactory.create(
        centre=centre, kind=RoleKind.ASSESSOR, user__full_name="Nadia Second"
    ).user


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def own_assessor(registration, unit):
    return RegistrationUnit.objects.get(registration=registration, unit=unit).assessor


def test_a_unit_given_to_a_second_assessor_is_audited_and_all_three_are_told(
    registration, centre, centre_admin, assessor, learner, second, unit
):
    watch = AuditWatch()
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=second, actor=centre_admin
    )
    assert own_assessor(registration, unit) == second
    [entry] = watch.entries()
    assert entry.action == "registration.unit_assessor_changed"
    assert entry.subject == f"registration:{registration.pk}"
    assert (entry.before, entry.after) == (
        {"unit": UNIT, "assessor": None},
        {"unit": UNIT, "assessor": second.pk},
    )
    told = Notification.objects.filter(kind=NotificationKind.ALLOCATION_CHANGED)
    assert set(told.values_list("recipient", "role_kind")) == {
        (second.pk, RoleKind.ASSESSOR),
        (assessor.pk, RoleKind.ASSESSOR),  # the registration's assessor had it until now
        (learner.pk, RoleKind.LEARNER),
    }
    assert told.get(recipient=learner).text == f"Your assessor for {unit} is now Nadia Second."
    unit_page = reverse("assessment:unit-progress", args=[registration.pk, unit.pk])
    assert told.get(recipient=second).link == unit_page
    # The second assessor has the learner in their caseload; the registration's keeps them.
    assert list(caseload_registrations(second, centre)) == [registration]
    assert list(caseload_registrations(assessor, centre)) == [registration]


def test_given_back_to_the_registrations_assessor_the_second_one_loses_the_learner(
    registration, centre, centre_admin, assessor, second, unit
):
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=second, actor=centre_admin
    )
    watch = AuditWatch()
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=None, actor=centre_admin
    )
    assert own_assessor(registration, unit) is None
    [entry] = watch.entries()
    assert (entry.before, entry.after) == (
        {"unit": UNIT, "assessor": second.pk},
        {"unit": UNIT, "assessor": None},
    )
    assert list(caseload_registrations(second, centre)) == []
    url = reverse("portfolios:registration-detail", args=[registration.pk])
    assert logged_in(second).get(url).status_code == 404


def test_wrong_people_are_refused_and_nothing_changes(
    registration, centre, other_centre, centre_admin, learner, iqa, second, unit
):
    stranger = RoleFactory.create(centre=other_centre, kind=RoleKind.ASSESSOR).user
    an_iqa_only = iqa  # holds no assessor role
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=second, actor=centre_admin
    )
    watch = AuditWatch()
    told = Notification.objects.count()
    for person, said in (
        (second, "already has this assessor"),
        (learner, "nobody assesses or quality-assures themselves"),
        (stranger, "is not an assessor at"),
        (an_iqa_only, "is not an assessor at"),
    ):
        with pytest.raises(RegistrationRejected, match=said):
            registration_unit_assessor_change(
                registration=registration, unit=unit, assessor=person, actor=centre_admin
            )
    assert watch.actions() == [] and Notification.objects.count() == told
    assert own_assessor(registration, unit) == second


def test_giving_a_unit_to_the_registrations_assessor_who_assesses_it_already_changes_nothing(
    registration, centre_admin, assessor, second, unit
):
    """The unit has no assessor of its own: the registration's assesses it already. Copying
    them into the unit would be audited and tell three people of a change that is none."""
    watch = AuditWatch()
    told = Notification.objects.count()
    with pytest.raises(RegistrationRejected) as refused:
        registration_unit_assessor_change(
            registration=registration, unit=unit, assessor=assessor, actor=centre_admin
        )
    assert refused.value.messages == [UNIT_NOTHING_CHANGED.format(unit=unit)]
    assert watch.actions() == [] and Notification.objects.count() == told
    assert own_assessor(registration, unit) is None
    # Once the unit is someone else's, the registration's assessor may be given it: a change.
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=second, actor=centre_admin
    )
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=assessor, actor=centre_admin
    )
    assert own_assessor(registration, unit) == assessor


def test_the_learners_iqa_is_never_one_of_their_assessors(
    registration, centre, centre_admin, assessor, iqa, second, unit
):
    RoleFactory.create(user=iqa, centre=centre, kind=RoleKind.ASSESSOR)  # an assessor too
    with pytest.raises(RegistrationRejected) as refused:
        registration_unit_assessor_change(
            registration=registration, unit=unit, assessor=iqa, actor=centre_admin
        )
    assert refused.value.messages == [SAME_PERSON_ASSESSOR_IQA]
    # Nor the other way: the assessor of a unit is not made the IQA.
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=second, actor=centre_admin
    )
    RoleFactory.create(user=second, centre=centre, kind=RoleKind.IQA)
    with pytest.raises(RegistrationRejected) as refused:
        registration_staff_change(
            registration=registration, assessor=assessor, iqa=second, actor=centre_admin
        )
    assert refused.value.messages == [
        IQA_ASSESSES_A_UNIT.format(person=second.full_name, unit=unit)
    ]
    assert Registration.objects.get(pk=registration.pk).iqa == iqa


def test_an_assessor_who_has_left_the_centre_is_not_given_a_unit(
    registration, centre, centre_admin, second, unit
):
    person_deactivate(centre=centre, person=second, reason="Left", actor=centre_admin)
    with pytest.raises(RegistrationRejected, match="is not an assessor at"):
        registration_unit_assessor_change(
            registration=registration, unit=unit, assessor=second, actor=centre_admin
        )
    inactive = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR, user__is_active=False)
    with pytest.raises(RegistrationRejected, match="is not an assessor at"):
        registration_unit_assessor_change(
            registration=registration, unit=unit, assessor=inactive.user, actor=centre_admin
        )


def test_only_the_centres_admin_allocates_and_only_on_an_open_registration_and_planned_unit(
    registration, centre_admin, assessor, outsider, learner, second, unit
):
    for person in (assessor, outsider, learner, second):
        with pytest.raises(PermissionDenied):
            registration_unit_assessor_change(
                registration=registration, unit=unit, assessor=second, actor=person
            )
    not_planned = Unit.objects.exclude(pk__in=registration.planned_units.values("unit"))[0]
    with pytest.raises(RegistrationRejected) as refused:
        registration_unit_assessor_change(
            registration=registration, unit=not_planned, assessor=second, actor=centre_admin
        )
    assert refused.value.messages == [UNIT_NOT_PLANNED]
    registration_withdraw(registration=registration, reason="Left", actor=centre_admin)
    watch = AuditWatch()
    with pytest.raises(RegistrationRejected, match="withdrawn"):
        registration_unit_assessor_change(
            registration=registration, unit=unit, assessor=second, actor=centre_admin
        )
    assert watch.actions() == [] and own_assessor(registration, unit) is None


# The pages ---------------------------------------------------------------------------------


def unit_url(registration, unit) -> str:
    return reverse("portfolios:registration-unit-assessor", args=[registration.pk, unit.pk])


def test_the_admin_gives_a_unit_its_assessor_on_the_people_page(
    registration, centre_admin, second, unit
):
    client = logged_in(centre_admin)
    staff_url = reverse("portfolios:registration-staff", args=[registration.pk])
    page = client.get(staff_url).content.decode()
    assert unit_url(registration, unit) in page
    assert "The registration&#x27;s assessor (" in page and "Nadia Second" in page
    answer = client.post(unit_url(registration, unit), {"assessor": second.pk})
    assert answer.status_code == 302 and answer["Location"] == staff_url
    assert own_assessor(registration, unit) == second
    detail = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert "assessed by Nadia Second" in detail.content.decode()
    unit_page = reverse("assessment:unit-progress", args=[registration.pk, unit.pk])
    assert "assessor Nadia Second" in client.get(unit_page).content.decode()
    tracker = client.get(reverse("assessment:tracker", args=[registration.pk]))
    assert "Assessed by Nadia Second" in tracker.content.decode()
    person = client.get(reverse("person-detail", args=[second.pk])).content.decode()
    assert "Assessor of 1 open registration here" in person
    # Empty: back to the registration's assessor.
    client.post(unit_url(registration, unit), {"assessor": ""})
    assert own_assessor(registration, unit) is None


def test_bad_input_is_shown_under_the_units_field_and_nothing_changes(
    registration, centre, centre_admin, learner, unit
):
    client = logged_in(centre_admin)
    stranger = UserFactory.create()
    watch = AuditWatch()
    for value, said in ((stranger.pk, NOT_AN_ASSESSOR_HERE), ("junk", NOT_AN_ASSESSOR_HERE)):
        answer = client.post(unit_url(registration, unit), {"assessor": value})
        assert answer.status_code == 200
        html = answer.content.decode()
        field = html.index(f'id="unit-{unit.pk}-assessor"')
        error = html.index("invalid-feedback", field)
        assert html.index(said.replace("'", "&#x27;"), error) > field
    # A refusal of the service goes under the field too: the unit already has nobody of its own.
    answer = client.post(unit_url(registration, unit), {"assessor": ""})
    html = answer.content.decode()
    assert answer.status_code == 200 and "already has this assessor" in html
    assert html.index("already has this assessor") > html.index(f'id="unit-{unit.pk}-assessor"')
    assert watch.actions() == [] and own_assessor(registration, unit) is None


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa", "outsider"])
def test_only_the_centres_admin_may_post_a_units_assessor(
    request, persona, registration, second, unit
):
    client = logged_in(request.getfixturevalue(persona))
    answer = client.post(unit_url(registration, unit), {"assessor": second.pk})
    assert answer.status_code in (403, 404)
    assert own_assessor(registration, unit) is None


def test_a_unit_outside_the_plan_is_not_found_and_a_get_is_not_allowed(
    registration, centre_admin, second, unit
):
    client = logged_in(centre_admin)
    not_planned = Unit.objects.exclude(pk__in=registration.planned_units.values("unit"))[0]
    assert (
        client.post(unit_url(registration, not_planned), {"assessor": second.pk}).status_code == 404
    )
    assert client.get(unit_url(registration, unit)).status_code == 405
