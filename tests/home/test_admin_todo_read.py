"""The centre admin's to-do figures read as SQL in one query (`home.todo.admin_counts`,
decision 66) are what the querysets they replaced count: the open registrations naming staff
who left (`Registration.objects.with_staff_left`), the certificates whose PDF failed and the
first of them, the transfers waiting for the centre's answer, and the people holding a role
at the centre."""

import pytest
from django.utils import timezone

from certification.models import Certificate, Kind, RenderStatus, Transfer, TransferStatus
from certification.services import certificate_claim
from certification.transfers import transfer_start
from home.todo import AdminCounts, admin_counts
from portal.models import Centre, Role, RoleKind
from portal.services import person_deactivate
from portfolios.models import Registration
from portfolios.services import registration_unit_assessor_change, registration_withdraw
from privacy.models import Anonymisation
from qualifications.models import Unit
from tests.certification.conftest import REASON, achieve, northgate
from tests.factories import RoleFactory
from tests.portfolios.conftest import registration, sfj
from tests.portfolios.test_staff_who_left import another

__all__ = ["northgate", "registration", "sfj"]

pytestmark = pytest.mark.django_db


def as_querysets(centre: Centre) -> AdminCounts:
    """The four figures as the querysets the to-do used to count them."""
    failed = Certificate.objects.filter(
        registration__centre=centre, status=RenderStatus.FAILED
    ).order_by("pk")
    first = failed.first()
    return AdminCounts(
        Registration.objects.with_staff_left(centre).count(),
        failed.count(),
        first.pk if first else None,
        Transfer.objects.filter(to_centre=centre, status=TransferStatus.PENDING).count(),
        Role.objects.filter(centre=centre).values("user_id").distinct().count(),
    )


def leaves(person, centre, centre_admin) -> None:
    person_deactivate(centre=centre, person=person, reason="Left", actor=centre_admin)


def test_staff_who_left_are_counted_as_the_queryset_counts_them(
    registration, centre, centre_admin, assessor, iqa
):
    def same() -> int:
        read = admin_counts(centre.pk)
        assert read == as_querysets(centre)
        return read.staff_left

    assert same() == 0
    other_assessor = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR).user
    other_iqa = RoleFactory.create(centre=centre, kind=RoleKind.IQA).user
    # Named as assessor on two, as IQA on a third (whose assessor stays), on none of a fourth.
    second = another(registration, centre_admin, assessor=assessor, iqa=other_iqa)
    third = another(registration, centre_admin, assessor=other_assessor, iqa=iqa)
    fourth = another(registration, centre_admin, assessor=other_assessor, iqa=other_iqa)
    assert same() == 0
    leaves(assessor, centre, centre_admin)
    assert same() == 2  # the registration and the second
    leaves(iqa, centre, centre_admin)
    assert same() == 3  # and the third (the registration once, though both left)
    # A unit of the fourth given to an assessor who then leaves.
    unit_assessor = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR).user
    unit = Unit.objects.get(code="A/506/2130")
    registration_unit_assessor_change(
        registration=fourth, unit=unit, assessor=unit_assessor, actor=centre_admin
    )
    assert same() == 3
    leaves(unit_assessor, centre, centre_admin)
    assert same() == 4
    # Closed registrations need nobody: withdrawn, or their learner anonymised.
    registration_withdraw(registration=second, reason="Moved", actor=centre_admin)
    assert same() == 3
    now = timezone.now()
    Anonymisation.objects.create(
        user=third.learner, anonymised_at=now, last_activity=now, retention_years=6
    )
    assert same() == 2
    # Another centre's figures are its own (its one admin).
    assert admin_counts(RoleFactory.create(kind=RoleKind.CENTRE_ADMIN).centre_id) == (
        AdminCounts(0, 0, None, 0, 1)
    )
    # Someone with two roles here is one person; a leaver, who holds none, is nobody here.
    RoleFactory.create(centre=centre, kind=RoleKind.IQA, user=second.learner)
    assert admin_counts(centre.pk).people == as_querysets(centre).people


def test_failed_pdfs_and_transfers_are_counted_as_the_querysets_count_them(
    registration, assessor, centre, centre_admin, northgate
):
    people = as_querysets(centre).people
    assert admin_counts(centre.pk) == as_querysets(centre) == AdminCounts(0, 0, None, 0, people)
    achieve(registration, assessor)
    certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=centre_admin)
    Certificate.objects.filter(pk=certificate.pk).update(status=RenderStatus.FAILED)
    assert (
        admin_counts(centre.pk)
        == as_querysets(centre)
        == AdminCounts(0, 1, certificate.pk, 0, people)
    )
    Certificate.objects.filter(pk=certificate.pk).update(status=RenderStatus.READY)
    assert admin_counts(centre.pk) == as_querysets(centre) == AdminCounts(0, 0, None, 0, people)
    # A learner asked to move to Northgate: its admin's answer is waited for, not this one's.
    moving = another(registration, centre_admin, assessor=assessor)
    transfer_start(registration=moving, to_centre=northgate, reason=REASON, actor=centre_admin)
    assert admin_counts(northgate.pk) == as_querysets(northgate)
    assert admin_counts(northgate.pk).transfers == 1
    assert admin_counts(centre.pk) == as_querysets(centre)
