"""A registration's people, for the centre admin: a new assessor or IQA (told, with the
caseload following), and withdrawal with a reason (portfolios.services, people_views)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from assessment.caseload import caseload_registrations
from portal.models import Notification, NotificationKind, RoleKind
from portal.services import person_deactivate
from portfolios.models import Registration, RegistrationStatus
from portfolios.services import (
    NOTHING_CHANGED,
    RegistrationRejected,
    registration_staff_change,
    registration_withdraw,
)
from tests.audit import AuditWatch
from tests.factories import RoleFactory, UserFactory


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_a_new_assessor_gets_the_learner_and_both_are_told(
    registration, centre, centre_admin, assessor, iqa
):
    new = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR).user
    watch = AuditWatch()
    registration_staff_change(registration=registration, assessor=new, iqa=iqa, actor=centre_admin)
    registration.refresh_from_db()
    assert registration.assessor == new
    assert list(caseload_registrations(new, centre)) == [registration]
    assert list(caseload_registrations(assessor, centre)) == []
    [entry] = watch.entries()
    assert entry.action == "registration.staff_changed"
    assert (entry.before, entry.after) == (
        {"assessor": assessor.pk, "iqa": iqa.pk},
        {"assessor": new.pk, "iqa": iqa.pk},
    )
    told = Notification.objects.filter(kind=NotificationKind.ALLOCATION_CHANGED)
    assert sorted(told.values_list("recipient", flat=True)) == sorted([assessor.pk, new.pk])
    given = told.get(recipient=new)
    assert "made you" in given.text and given.role_kind == RoleKind.ASSESSOR
    assert given.link == reverse("portfolios:registration-detail", args=[registration.pk])
    # The old assessor no longer opens the registration; the new one does. (A qualified
    # assessor would still see a trainee's learners, whose decisions they countersign.)
    url = reverse("portfolios:registration-detail", args=[registration.pk])
    assert logged_in(assessor).get(url).status_code == 404
    assert logged_in(new).get(url).status_code == 200


def test_a_new_iqa_is_told_and_the_old_one_too(registration, centre, centre_admin, assessor, iqa):
    other_iqa = RoleFactory.create(centre=centre, kind=RoleKind.IQA).user
    registration_staff_change(
        registration=registration, assessor=assessor, iqa=other_iqa, actor=centre_admin
    )
    told = Notification.objects.filter(kind=NotificationKind.ALLOCATION_CHANGED)
    assert set(told.values_list("recipient", "role_kind")) == {
        (other_iqa.pk, RoleKind.IQA),
        (iqa.pk, RoleKind.IQA),
    }


def test_wrong_people_are_refused_and_nothing_changes(
    registration, centre, other_centre, centre_admin, learner, assessor, iqa, outsider
):
    stranger = UserFactory.create()
    RoleFactory.create(user=stranger, centre=other_centre, kind=RoleKind.ASSESSOR)
    watch = AuditWatch()
    for assessor_now, iqa_now, said in (
        (assessor, iqa, NOTHING_CHANGED),
        (stranger, iqa, "is not an assessor at"),  # an assessor of another centre
        (iqa, iqa, "must not be the learner's assessor"),
        (learner, iqa, "nobody assesses"),
        (assessor, assessor, "must not be the learner's assessor"),
    ):
        with pytest.raises(RegistrationRejected, match=said):
            registration_staff_change(
                registration=registration, assessor=assessor_now, iqa=iqa_now, actor=centre_admin
            )
    with pytest.raises(PermissionDenied):
        registration_staff_change(registration=registration, assessor=None, iqa=iqa, actor=outsider)
    with pytest.raises(PermissionDenied):
        registration_staff_change(registration=registration, assessor=None, iqa=iqa, actor=assessor)
    assert watch.actions() == []
    assert not Notification.objects.exists()


def test_an_assessor_who_left_may_stay_while_the_iqa_changes(
    registration, centre, centre_admin, assessor, iqa
):
    person_deactivate(centre=centre, person=assessor, reason="Left", actor=centre_admin)
    other_iqa = RoleFactory.create(centre=centre, kind=RoleKind.IQA).user
    registration_staff_change(
        registration=registration, assessor=assessor, iqa=other_iqa, actor=centre_admin
    )
    assert Registration.objects.get(pk=registration.pk).iqa == other_iqa


def test_withdrawing_closes_the_registration_and_is_audited(registration, centre_admin, sfj):
    watch = AuditWatch()
    registration_withdraw(
        registration=registration, reason=" Left  the course ", actor=centre_admin
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.WITHDRAWN
    assert registration.closed_because
    [entry] = watch.entries()
    assert entry.action == "registration.withdrawn"
    assert entry.after == {"status": "withdrawn", "reason": "Left the course"}
    with pytest.raises(RegistrationRejected, match="withdrawn"):
        Registration.objects.lock(registration, refused=RegistrationRejected)
    with pytest.raises(RegistrationRejected):  # not twice
        registration_withdraw(registration=registration, reason="Again", actor=centre_admin)


def test_withdrawal_needs_a_reason_and_a_centre_admin(registration, centre_admin, assessor):
    with pytest.raises(RegistrationRejected, match="Give the reason"):
        registration_withdraw(registration=registration, reason="  ", actor=centre_admin)
    with pytest.raises(PermissionDenied):
        registration_withdraw(registration=registration, reason="x", actor=assessor)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE


def test_the_admin_changes_people_and_withdraws_from_the_registration_page(
    registration, centre_admin, trainee_assessor, iqa
):
    client = logged_in(centre_admin)
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    staff_url = reverse("portfolios:registration-staff", args=[registration.pk])
    withdraw_url = reverse("portfolios:registration-withdraw", args=[registration.pk])
    assert staff_url in page.content.decode() and withdraw_url in page.content.decode()
    form = client.get(staff_url).content.decode()
    assert trainee_assessor.full_name in form
    client.post(staff_url, {"assessor": trainee_assessor.pk, "iqa": iqa.pk})
    assert Registration.objects.get(pk=registration.pk).assessor == trainee_assessor

    refused = client.post(withdraw_url, {"reason": ""})
    assert refused.status_code == 200 and "Give the reason" in refused.content.decode()
    answer = client.post(withdraw_url, {"reason": "Moved abroad"})
    assert answer.status_code == 302
    assert Registration.objects.get(pk=registration.pk).status == RegistrationStatus.WITHDRAWN
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert withdraw_url not in page.content.decode()


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa", "outsider"])
def test_only_the_centres_admin_opens_the_pages(request, persona, registration, trainee_assessor):
    client = logged_in(request.getfixturevalue(persona))
    for name in ("portfolios:registration-staff", "portfolios:registration-withdraw"):
        url = reverse(name, args=[registration.pk])
        assert client.get(url).status_code in (403, 404)
    client.post(
        reverse("portfolios:registration-withdraw", args=[registration.pk]), {"reason": "x"}
    )
    client.post(
        reverse("portfolios:registration-staff", args=[registration.pk]),
        {"assessor": trainee_assessor.pk},
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE
    assert registration.assessor != trainee_assessor
