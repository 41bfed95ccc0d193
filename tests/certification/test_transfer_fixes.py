"""What an attacker found in transfers (issue 19, decision 40): the sending centre's per-unit
assessors cleared on acceptance; certificates kept by the centre that claimed them; trainee
decisions awaiting a countersignature block the move; no withdrawal while a transfer waits; the
answers to written questions reach whoever assesses the learner now."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from assessment.models import Decision
from assessment.services import Judgement, decision_record
from certification.transfers import transfer_accept
from portal.models import RoleKind
from portfolios.mapping import Targets
from portfolios.models import RegistrationUnit
from portfolios.services import registration_unit_assessor_change
from qualifications.models import Criterion, Unit
from tests.audit import AuditWatch
from tests.certification.conftest import person
from tests.factories import RoleFactory

UNIT = "A/506/2130"  # mandatory in the SFJ certificate: in every plan


def one_criterion(unit: Unit) -> Targets:
    first = Criterion.objects.filter(unit=unit).order_by("pk").values_list("pk", flat=True)[0]
    return Targets(
        criteria=frozenset([first]), range_items=frozenset(), knowledge_items=frozenset()
    )


def decide(registration, unit, actor) -> list[Decision]:
    return decision_record(
        registration=registration,
        targets=one_criterion(unit),
        judgement=Judgement("met", "product", datetime.date(2026, 10, 6)),
        evidence=[],
        actor=actor,
    )


def test_accepting_clears_the_sending_centres_unit_assessors_and_audits_it(
    asked, registration, centre, centre_admin, northgate, their_admin, their_assessor
):
    unit = Unit.objects.get(code=UNIT)
    # A second assessor at the sending centre, who also assesses at the receiving one.
    old = person(centre, RoleKind.ASSESSOR, "second@example.org")
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=old, actor=centre_admin
    )
    RoleFactory.create(user=old, centre=northgate, kind=RoleKind.ASSESSOR)
    watch = AuditWatch()
    transfer_accept(transfer=asked, assessor=their_assessor, iqa=None, actor=their_admin)
    assert RegistrationUnit.objects.get(registration=registration, unit=unit).assessor is None
    entry = next(e for e in watch.entries() if e.action == "registration.transferred_in")
    assert (entry.after or {})["unit_assessors_cleared"] == {UNIT: old.pk}
    registration.refresh_from_db()
    with pytest.raises(PermissionDenied):
        decide(registration, unit, old)
    assert decide(registration, unit, their_assessor)
