import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import Certificate, Kind
from certification.services import certificate_claim, certificate_revoke
from iqa.models import PlanItem, SamplingPlan, Stage
from portal.models import RoleKind
from portfolios.models import Registration
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification, Unit
from tests.certification.confirm import claim_on_pages
from tests.certification.conftest import achieve, more_learners
from tests.factories import RoleFactory, UserFactory
from tests.portfolios.conftest import PROQUAL_OPTIONAL, START

# Their centre holds Direct Claims Status: claims are issued at once (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")

CLAIMS = reverse("certification:claims")
CLAIM = reverse("certification:claim")


def test_the_claims_page_sorts_learners_by_what_they_can_have_and_says_why_not(
    client, registration, assessor, centre_admin
):
    client.force_login(centre_admin)
    page = client.get(CLAIMS).content.decode()
    assert "Nobody is ready for a full certificate yet." in page
    assert "No unit is achieved and cleared by IQA yet." in page
    achieve(registration, assessor, codes={"F/506/2131"})
    page = client.get(CLAIMS).content.decode()
    assert 'data-testid="ready-unit"' in page and "F/506/2131" in page


def test_a_centre_admin_claims_a_unit_certificate_through_the_page(
    client, registration, assessor, centre_admin
):
    achieve(registration, assessor, codes={"F/506/2131"})
    client.force_login(centre_admin)
    response = claim_on_pages(client, "unit", [registration.pk], follow=True)
    assert "1 unit certificate claimed." in response.content.decode()
    [certificate] = Certificate.objects.all()
    assert certificate.kind == Kind.UNIT
    assert [u["reference"] for u in certificate.snapshot["units"]] == ["F/506/2131"]


def test_a_claim_for_a_learner_not_ready_is_refused_with_the_reason(
    client, registration, centre_admin
):
    client.force_login(centre_admin)
    response = client.post(CLAIM, {"kind": "full", "registrations": [registration.pk]})
    assert "cannot have a full certificate now" in response.content.decode()
    assert 'name="token"' not in response.content.decode()  # nothing to confirm
    assert not Certificate.objects.exists()


def test_a_learner_whose_full_certificate_was_revoked_is_not_offered_another_by_hand(
    client, achieved, centre_admin
):
    full = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    certificate_revoke(certificate=full, reason="Issued in error.", actor=centre_admin)
    client.force_login(centre_admin)
    # The claims page does not list them; a claim sent by hand is refused on its confirmation.
    for kind in ("full", "unit"):
        page = client.post(CLAIM, {"kind": kind, "registrations": [achieved.pk]})
        text = page.content.decode()
        assert 'data-testid="will-be-refused"' in text
        assert 'data-testid="to-claim"' not in text and 'name="token"' not in text
    assert list(Certificate.objects.all()) == [full]


def test_nobody_but_the_centre_admin_claims_or_sees_the_claims_page(
    client, achieved, assessor, iqa, learner, outsider
):
    for person in (assessor, iqa, learner):
        client.force_login(person)
        assert client.get(CLAIMS).status_code == 403
        assert (
            client.post(CLAIM, {"kind": "full", "registrations": [achieved.pk]}).status_code == 403
        )
    client.force_login(outsider)  # a centre admin elsewhere: this learner is not in their list
    claim_on_pages(client, "full", [achieved.pk])
    assert not Certificate.objects.exists()


def test_the_certificate_page_is_seen_by_the_learner_and_not_by_an_outsider(
    client, achieved, centre_admin, learner, outsider
):
    client.force_login(centre_admin)
    claim_on_pages(client, "full", [achieved.pk])
    certificate = Certificate.objects.get()
    url = reverse("certification:certificate-detail", args=[certificate.pk])
    client.force_login(learner)
    assert certificate.number in client.get(url).content.decode()
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def claims_queries(client, url=CLAIMS) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_claims_page_costs_the_same_queries_for_three_learners_and_for_forty(
    client, registration, assessor, centre_admin, iqa
):
    # One learner of each kind the page sorts: one with a unit certificate issued, one ready for
    # a unit certificate, one held back by a planned IQA sample; then many with nothing yet.
    # (Each list is read only when it has anyone in it, so both worlds have someone in each.)
    achieve(registration, assessor, codes={"F/506/2131"})
    client.force_login(centre_admin)
    claim_on_pages(client, "unit", [registration.pk])
    more_learners(registration, 2, "few")
    ready, held = Registration.objects.exclude(pk=registration.pk).order_by("pk")[:2]
    achieve(ready, assessor, codes={"F/506/2131"})
    achieve(held, assessor, codes={"F/506/2131"})
    plan = SamplingPlan.objects.create(
        centre=registration.centre, qualification=registration.qualification, iqa=iqa,
        starts_on=datetime.date(2026, 9, 1), ends_on=datetime.date(2027, 8, 31),
    )  # fmt: skip
    PlanItem.objects.create(
        plan=plan, registration=held, unit=Unit.objects.get(code="F/506/2131"),
        assessor=assessor, stage=Stage.SUMMATIVE,
    )  # fmt: skip
    few_first, _ = claims_queries(client)  # readiness worked out and kept
    few, _ = claims_queries(client)  # and read as kept

    more_learners(registration, 37, "many")
    many_first, page = claims_queries(client)
    many, _ = claims_queries(client)
    # Paged: the ready one and a first page of 25 of the 38 not ready are shown, and counted.
    assert page.count("Learner ") == 1 + 25 and "planned for summative IQA sampling" in page
    assert 'data-testid="waiting-count">38 learners' in page
    assert (many_first, many) == (few_first, few)
    assert few < few_first


def test_the_claims_page_filters_by_qualification_so_all_ready_means_all_ready_for_it(
    client, achieved, centre, centre_admin, assessor, catalogue_db
):
    nia = RoleFactory.create(
        centre=centre, kind=RoleKind.LEARNER, user=UserFactory.create(full_name="Nia Other")
    ).user
    other = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=nia,
            qualification=Qualification.objects.get(code="601/3576/1"),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=PROQUAL_OPTIONAL,
        actor=centre_admin,
    )
    client.force_login(centre_admin)
    _, page = claims_queries(client)
    assert "Nia Other" in page and achieved.learner.full_name in page
    _, page = claims_queries(client, f"{CLAIMS}?qualification={other.qualification_id}")
    assert "Nia Other" in page and achieved.learner.full_name not in page
    _, page = claims_queries(client, f"{CLAIMS}?qualification=nonsense")  # ignored, not an error
    assert "Nia Other" in page and achieved.learner.full_name in page


def test_the_learner_finds_their_certificates_on_their_home_page_with_their_state(
    client, registration, assessor, centre_admin, learner
):
    achieve(registration, assessor, codes={"F/506/2131"})
    client.force_login(learner)
    assert 'data-testid="certificates"' not in client.get("/").content.decode()
    certificate = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    page = client.get("/").content.decode()
    link = reverse("certification:certificate-detail", args=[certificate.pk])
    assert f'href="{link}">Unit certificate {certificate.number}</a>' in page
    assert "Being made" in page
    Certificate.objects.filter(pk=certificate.pk).update(status="ready")
    assert "Ready to download" in client.get("/").content.decode()
    certificate_revoke(certificate=certificate, reason="Issued in error.", actor=centre_admin)
    assert "Revoked" in client.get("/").content.decode()
    assert client.get(link).status_code == 200  # and the learner may open it
