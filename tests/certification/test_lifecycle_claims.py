"""No certificate claimed on a qualification outside its lifecycle: after its certification end
date, or while it is a draft or withdrawn. The claims page says which condition holds the
learner back, and the claim is refused with the same words."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certification.models import Certificate, Kind
from certification.readiness import readiness_of
from certification.services import ClaimRefused, certificate_claim
from portfolios.models import ClaimReadiness
from qualifications.models import Qualification, QualificationStatus

CLAIMS = reverse("certification:claims")
TITLE = "SFJ Awards Level 2 Certificate in Customer Service"


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def ended(on: datetime.date) -> str:
    return (
        f"The certification end date of {TITLE} was {on.day} {on:%B %Y}: its awarding "
        "organisation certificates no more learners on it."
    )


def refused_claim(registration, centre_admin, kind=Kind.FULL) -> str:
    with pytest.raises(ClaimRefused) as refused:
        certificate_claim(registration=registration, kind=kind, actor=centre_admin)
    assert not Certificate.objects.exists()
    return str(refused.value)


def test_no_claim_after_the_certification_end_date_but_one_on_it(achieved, centre_admin):
    qualification = achieved.qualification
    qualification.certification_end = yesterday()
    qualification.save()
    ready = readiness_of(achieved)
    assert ready.full_reasons == [ended(yesterday())] and ready.unit_reasons == [ended(yesterday())]
    assert ended(yesterday()) in refused_claim(achieved, centre_admin)
    assert ended(yesterday()) in refused_claim(achieved, centre_admin, Kind.UNIT)

    qualification.certification_end = timezone.localdate()
    qualification.save()
    assert certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin).number


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (
            QualificationStatus.CONSULTATION_DRAFT,
            f"{TITLE} is a consultation draft: it can be browsed, but it takes no claims for "
            "certificates until its awarding organisation makes it operational.",
        ),
        (
            QualificationStatus.WITHDRAWN,
            f"{TITLE} has been withdrawn: it takes no claims for certificates.",
        ),
    ],
)
def test_no_claim_on_a_draft_or_withdrawn_qualification(achieved, centre_admin, status, reason):
    achieved.qualification.status = status
    achieved.qualification.save()
    assert refused_claim(achieved, centre_admin) == (
        f"{achieved.learner.full_name} cannot have a certificate yet: {reason}"
    )


def test_the_claims_page_says_the_certification_end_date_holds_the_learner_back_once_it_passes(
    client, achieved, centre_admin
):
    client.force_login(centre_admin)
    page = client.get(CLAIMS).content.decode()
    assert 'data-testid="ready-full"' in page and achieved.learner.full_name in page
    # The readiness kept ten days ago; the end date passed five days ago, and nobody edited
    # anything since: the page must still see that the date now refuses the claim.
    ClaimReadiness.objects.update(computed_at=timezone.now() - datetime.timedelta(days=10))
    end = timezone.localdate() - datetime.timedelta(days=5)
    Qualification.objects.filter(pk=achieved.qualification_id).update(certification_end=end)
    page = client.get(CLAIMS).content.decode()
    not_ready = page.split('data-testid="not-ready"')[1].split("</ul>")[0]
    assert f"{achieved.learner.full_name}, {TITLE}: {ended(end)}" in not_ready
    assert "Nobody is ready for a full certificate yet." in page
