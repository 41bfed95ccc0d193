"""A unit signed off, achieved or on a certificate in force stays in the learner's plan: changing
the optional units (the registration page's edit and the API's PATCH share `_save_units`) is
refused, naming the unit, and changes nothing."""

from __future__ import annotations

import pytest

from assessment.models import UnitSignOff
from assessment.services import unit_unlock
from certification.models import Kind
from certification.services import certificate_claim, certificate_revoke
from portfolios.services import (
    DROPPED_CERTIFIED,
    DROPPED_SIGNED_OFF,
    RegistrationRejected,
    registration_choose_units,
)
from qualifications.models import Unit
from tests.audit import AuditWatch
from tests.certification.conftest import achieve
from tests.factories import grant_direct_claims

pytestmark = pytest.mark.django_db

KEPT = "SFJ-CS2-07"  # optional, in the fixture's plan
OTHERS = ["K/503/0421", "A/506/2158", "T/506/2126"]  # enough credits without it


def named(code: str) -> str:
    return f"{code} {Unit.objects.get(code=code).title}"


def test_an_achieved_optional_unit_cannot_leave_the_plan(registration, assessor, centre_admin):
    achieve(registration, assessor, codes={KEPT})
    watch = AuditWatch()
    with pytest.raises(RegistrationRejected) as refused:
        registration_choose_units(
            registration=registration, optional_units=OTHERS, actor=centre_admin
        )
    assert refused.value.messages == [DROPPED_SIGNED_OFF.format(unit=named(KEPT), what="achieved")]
    assert registration.planned_units.filter(unit__code=KEPT).exists()
    assert not watch.entries()


def test_once_the_sign_off_is_unlocked_the_unit_can_leave_the_plan(
    registration, assessor, centre_admin
):
    achieve(registration, assessor, codes={KEPT})
    unit_unlock(
        sign_off=UnitSignOff.objects.get(registration=registration),
        reason="Signed off against the wrong evidence.",
        actor=centre_admin,
    )
    registration_choose_units(registration=registration, optional_units=OTHERS, actor=centre_admin)
    assert not registration.planned_units.filter(unit__code=KEPT).exists()


def test_a_unit_on_a_certificate_in_force_cannot_leave_the_plan_until_it_is_revoked(
    registration, assessor, centre_admin
):
    grant_direct_claims(registration.centre)
    achieve(registration, assessor, codes={KEPT})
    certificate = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    # The sign-off is unlocked: the certificate alone keeps the unit in the plan.
    unit_unlock(
        sign_off=UnitSignOff.objects.get(registration=registration),
        reason="Signed off against the wrong evidence.",
        actor=centre_admin,
    )
    with pytest.raises(RegistrationRejected) as refused:
        registration_choose_units(
            registration=registration, optional_units=OTHERS, actor=centre_admin
        )
    assert refused.value.messages == [
        DROPPED_CERTIFIED.format(unit=named(KEPT), number=certificate.number)
    ]
    certificate_revoke(certificate=certificate, reason="Issued in error.", actor=centre_admin)
    registration_choose_units(registration=registration, optional_units=OTHERS, actor=centre_admin)
    assert not registration.planned_units.filter(unit__code=KEPT).exists()


def test_units_staying_in_the_plan_may_be_achieved_and_certified(
    registration, assessor, centre_admin
):
    achieve(registration, assessor, codes={KEPT})
    registration_choose_units(
        registration=registration, optional_units=[KEPT, *OTHERS], actor=centre_admin
    )
    assert registration.planned_units.filter(unit__code="A/506/2158").exists()
