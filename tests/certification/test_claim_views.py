from django.urls import reverse

from certification.models import Certificate, Kind
from tests.certification.conftest import achieve

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
    response = client.post(CLAIM, {"kind": "unit", "registrations": [registration.pk]}, follow=True)
    assert "1 unit certificate claimed." in response.content.decode()
    [certificate] = Certificate.objects.all()
    assert certificate.kind == Kind.UNIT
    assert [u["reference"] for u in certificate.snapshot["units"]] == ["F/506/2131"]


def test_a_claim_for_a_learner_not_ready_is_refused_with_the_reason(
    client, registration, centre_admin
):
    client.force_login(centre_admin)
    response = client.post(CLAIM, {"kind": "full", "registrations": [registration.pk]}, follow=True)
    assert "cannot have a certificate yet" in response.content.decode()
    assert not Certificate.objects.exists()


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
    client.post(CLAIM, {"kind": "full", "registrations": [achieved.pk]})
    assert not Certificate.objects.exists()


def test_the_certificate_page_is_seen_by_the_learner_and_not_by_an_outsider(
    client, achieved, centre_admin, learner, outsider
):
    client.force_login(centre_admin)
    client.post(CLAIM, {"kind": "full", "registrations": [achieved.pk]})
    certificate = Certificate.objects.get()
    url = reverse("certification:certificate-detail", args=[certificate.pk])
    client.force_login(learner)
    assert certificate.number in client.get(url).content.decode()
    client.force_login(outsider)
    assert client.get(url).status_code == 404
