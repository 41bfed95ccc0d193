import datetime

import pytest
from django.core.exceptions import PermissionDenied

from certification.models import Certificate, CertificateDeletion, Kind
from certification.readiness import FULL_MET, NO_UNITS, readiness_of
from certification.services import ClaimRefused, certificate_claim, certificates_claim
from iqa.models import Verdict
from iqa.services import Judgement, sample_record
from portal.models import AuditEntry
from qualifications.models import Unit
from tests.certification.conftest import achieve


def test_a_learner_with_nothing_achieved_is_ready_for_nothing_and_says_why(registration):
    ready = readiness_of(registration)
    assert not ready.full_ready and not ready.unit_ready
    assert ready.unit_reasons == [NO_UNITS]
    assert any("credits" in reason for reason in ready.full_reasons)


def test_some_units_achieved_make_a_unit_certificate_possible_but_not_a_full_one(
    registration, assessor
):
    achieve(registration, assessor, codes={"F/506/2131"})
    ready = readiness_of(registration)
    assert ready.unit_ready and not ready.full_ready
    assert ready.claimable_units == ["F/506/2131"]


def test_a_full_certificate_snapshots_the_learner_the_qualification_and_the_units(
    achieved, centre_admin
):
    ready = readiness_of(achieved)
    assert ready.full_ready and ready.unit_reasons == [FULL_MET]
    certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    snap = certificate.snapshot
    assert snap["learner_name"] == achieved.learner.full_name
    assert snap["qualification_title"] == achieved.qualification.title
    assert snap["qualification_number"] == (
        achieved.qualification.number or achieved.qualification.code
    )
    assert snap["awarding_organisation"] == "SFJ Awards"
    assert {u["reference"] for u in snap["units"]} >= {"F/506/2131"}
    assert snap["credits"] >= 27
    assert certificate.number.startswith("QP-") and len(certificate.number) == 14
    assert AuditEntry.objects.filter(action="certificate.claimed").count() == 1

    # Later edits of the catalogue or the learner never change what was issued.
    achieved.qualification.title = "Renamed"
    achieved.qualification.save()
    achieved.learner.full_name = "Someone Else"
    achieved.learner.save()
    certificate.refresh_from_db()
    assert certificate.snapshot["qualification_title"] != "Renamed"
    assert certificate.snapshot["learner_name"] != "Someone Else"


def test_a_second_claim_of_the_same_kind_is_refused_with_the_number_issued(achieved, centre_admin):
    first = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    with pytest.raises(ClaimRefused, match=first.number):
        certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    assert Certificate.objects.count() == 1


def test_only_a_centre_admin_of_the_centre_claims(achieved, assessor, iqa, learner, outsider):
    for person in (assessor, iqa, learner, outsider):
        with pytest.raises(PermissionDenied):
            certificate_claim(registration=achieved, kind=Kind.FULL, actor=person)
    assert not Certificate.objects.exists()


def test_an_open_iqa_action_holds_the_claim_back_with_the_reason(achieved, centre_admin, iqa):
    unit = Unit.objects.get(code="F/506/2131")
    sample_record(
        registration=achieved,
        unit_id=unit.pk,
        decisions=list(achieved.decisions.filter(current=True, criterion__unit=unit)),
        evidence=[],
        judgement=Judgement(True, True, True, False, True, Verdict.ACTION_REQUIRED, "Thin."),
        actions=[("Add a second piece of evidence.", datetime.date(2026, 12, 15))],
        actor=iqa,
    )
    with pytest.raises(ClaimRefused, match="An IQA action on F/506/2131 is still open"):
        certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    assert not Certificate.objects.exists()


def test_claiming_many_refuses_the_learner_not_ready_and_issues_the_others(
    achieved, registration, centre_admin, centre, sfj, assessor, iqa
):
    from portal.models import RoleKind
    from portfolios.services import RegistrationDetails, registration_create
    from tests.factories import RoleFactory, UserFactory
    from tests.portfolios.conftest import SFJ_ENOUGH, START

    other = UserFactory.create(email="other@example.org")
    RoleFactory.create(user=other, centre=centre, kind=RoleKind.LEARNER)
    not_ready = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=other, qualification=sfj, start_date=START, assessor=assessor, iqa=iqa
        ),
        optional_units=SFJ_ENOUGH,
        actor=centre_admin,
    )
    results = certificates_claim(
        registrations=[not_ready, achieved], kind=Kind.FULL, actor=centre_admin
    )
    assert results[0].certificate is None and "cannot have a certificate yet" in results[0].refusal
    assert results[1].certificate is not None and results[1].refusal == ""


def test_certificates_are_never_deleted(achieved, centre_admin):
    certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    with pytest.raises(CertificateDeletion):
        certificate.delete()
    assert Certificate.objects.filter(pk=certificate.pk).exists()


def test_the_database_itself_refuses_a_second_certificate_of_the_same_kind(achieved, centre_admin):
    from django.db import IntegrityError, transaction

    first = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    twin = Certificate(
        number="QP-TWIN0-00000",
        learner_identifier=first.learner_identifier,
        registration=achieved,
        centre_id=achieved.centre_id,
        kind=Kind.FULL,
        snapshot=first.snapshot,
        issued_at=first.issued_at,
        issued_by=centre_admin,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
