"""No claim the awarding organisation's claim policy refuses: before its minimum period after
registration ends, without the AO registration number it asks for, for a learner under its age
limit when registered. The claims page says which condition holds the learner back, and the
claim is refused with the same words; readiness kept while a period runs becomes claimable on
the day it ends, with nothing written in between."""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from certification.models import Certificate, Kind
from certification.readiness import readiness_of
from certification.services import ClaimRefused, certificate_claim
from portfolios.models import ClaimReadiness
from portfolios.services import LearnerIdentity, learner_details_change
from qualifications.models import day

CLAIMS = reverse("certification:claims")
TITLE = "SFJ Awards Level 2 Certificate in Customer Service"
NUMBER_MISSING = (
    "No AO registration number is recorded: SFJ Awards accepts a claim only for learners "
    "registered with it. Record the number on the learner's details page."
)


@pytest.fixture
def travel(monkeypatch):
    """Move the portal's clock to noon on a day (every `now` and `localdate` reads it)."""

    def to(on: datetime.date) -> None:
        moment = timezone.make_aware(datetime.datetime.combine(on, datetime.time(12)))
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return to


def refused_claim(registration, centre_admin, kind=Kind.FULL) -> str:
    with pytest.raises(ClaimRefused) as refused:
        certificate_claim(registration=registration, kind=kind, actor=centre_admin)
    assert not Certificate.objects.exists()
    return str(refused.value)


def claims_page(client) -> str:
    return html.unescape(client.get(CLAIMS).content.decode())


def waiting(client) -> str:
    """The claims page's "not ready yet" list."""
    page = claims_page(client)
    return page.split('data-testid="not-ready"')[1].split("</ul>")[0]


def ready_full(client) -> str:
    page = claims_page(client)
    return (
        page.split('data-testid="ready-full"')[1].split("</ul>")[0] if "ready-full" in page else ""
    )


def details(registration, actor, *, born=None, number=None):
    """Record the learner's date of birth or AO number as the learner's details page does."""
    given = LearnerIdentity.of(registration.learner)
    if born is not None:
        given = LearnerIdentity(**{**given.facts(), "date_of_birth": born})
    learner_details_change(
        registration=registration,
        given=given,
        funding=registration.funding,
        ao_registration_number=number,
        actor=actor,
    )


def ten_weeks(achieved) -> tuple[datetime.date, str]:
    """A minimum period of 10 weeks on the qualification; the day it ends and its sentence."""
    achieved.qualification.min_weeks_before_claim = 10
    achieved.qualification.save()
    registered = achieved.registered_on
    claimable = registered + datetime.timedelta(weeks=10)
    return claimable, (
        f"Registered on {day(registered)}: SFJ Awards accepts a claim from {day(claimable)}, "
        "10 weeks after registration."
    )


def test_no_claim_a_day_before_the_minimum_period_ends_and_one_on_the_day(
    achieved, centre_admin, travel
):
    claimable, reason = ten_weeks(achieved)
    travel(claimable - datetime.timedelta(days=1))
    ready = readiness_of(achieved)
    assert (ready.full_reasons, ready.unit_reasons) == ([reason], [reason])
    assert refused_claim(achieved, centre_admin) == (
        f"{achieved.learner.full_name} cannot have a certificate yet: {reason}"
    )
    assert reason in refused_claim(achieved, centre_admin, Kind.UNIT)
    travel(claimable)
    assert certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin).number


def test_readiness_kept_during_the_period_becomes_claimable_on_the_day_it_ends_with_no_write(
    client, achieved, centre_admin, travel
):
    claimable, reason = ten_weeks(achieved)
    client.force_login(centre_admin)
    assert f"{achieved.learner.full_name}, {TITLE}: {reason}" in waiting(client)
    kept = ClaimReadiness.objects.get()
    assert (kept.recheck_on, kept.stale, kept.full_ready) == (claimable, False, False)

    travel(claimable - datetime.timedelta(days=1))
    client.force_login(centre_admin)  # a session idle for ten weeks has ended
    assert reason in waiting(client)
    assert ClaimReadiness.objects.get().computed_at == kept.computed_at  # kept, not redone
    travel(claimable)
    client.force_login(centre_admin)
    assert achieved.learner.full_name in ready_full(client)
    kept = ClaimReadiness.objects.get()
    assert (kept.recheck_on, kept.full_ready) == (None, True)


def test_no_claim_without_the_ao_registration_number_the_ao_asks_for_until_it_is_recorded(
    client, achieved, centre_admin
):
    client.force_login(centre_admin)
    assert achieved.learner.full_name in ready_full(client)
    ao = achieved.qualification.awarding_organisation
    ao.registration_number_required = True
    ao.save()  # the AO's policy: its qualifications' kept readiness goes out of date
    assert f"{achieved.learner.full_name}, {TITLE}: {NUMBER_MISSING}" in waiting(client)
    assert NUMBER_MISSING in refused_claim(achieved, centre_admin)

    details(achieved, centre_admin, number="SFJ000123")
    assert achieved.learner.full_name in ready_full(client)
    assert certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin).number


def test_a_number_not_in_the_aos_stated_format_holds_the_claim(achieved, centre_admin):
    details(achieved, centre_admin, number="123")
    ao = achieved.qualification.awarding_organisation
    ao.registration_number_pattern = r"[A-Z]{3}\d{6}"
    ao.registration_number_format = "three letters and six digits"
    ao.save()
    assert refused_claim(achieved, centre_admin) == (
        f"{achieved.learner.full_name} cannot have a certificate yet: AO registration number "
        "123 is not in the format SFJ Awards states: three letters and six digits."
    )


def test_a_learner_under_the_age_limit_when_registered_cannot_be_claimed_and_one_at_it_can(
    client, achieved, centre_admin
):
    achieved.qualification.min_age = 16
    achieved.qualification.save()
    client.force_login(centre_admin)
    registered = achieved.registered_on
    no_date = (
        f"No date of birth is recorded: SFJ Awards approves {TITLE} for learners aged 16 or over "
        "at registration, so the learner's age must be checked. Record it on the learner's "
        "details page."
    )
    assert no_date in waiting(client)

    sixteen = registered.replace(year=registered.year - 16)  # 16 years hold the same leap days
    details(achieved, centre_admin, born=sixteen + datetime.timedelta(days=1))
    under = (
        f"Aged 15 when registered on {day(registered)}: SFJ Awards approves {TITLE} for "
        "learners aged 16 or over at registration."
    )
    assert f"{achieved.learner.full_name}, {TITLE}: {under}" in waiting(client)  # marked stale
    assert under in refused_claim(achieved, centre_admin)

    details(achieved, centre_admin, born=sixteen)  # 16 on the day registered
    assert achieved.learner.full_name in ready_full(client)
    assert certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin).number
