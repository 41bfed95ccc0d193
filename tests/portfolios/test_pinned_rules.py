"""A registration keeps the rules of combination it was made under when the catalogue changes;
new registrations get the new rules; a centre admin moves one to them by a recorded transfer
(decision 27).

The catalogue here is the small test one (tests/qualifications/conftest.py): T/1 needs 12
credits, 6 of them from optional group B (U/3 and U/4 give 3 each). The reload below asks for
14, 8 of them from group B: a learner who has achieved U/1 to U/4 is eligible under the first
rules and not under the second."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
import yaml
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assessment.eligibility import eligibility_of
from assessment.models import UnitSignOff
from assessment.progress import progress_of
from certification.readiness import readiness_of, refresh_readiness
from portal.models import User
from portfolios.models import ClaimReadiness, Registration
from portfolios.services import (
    ALREADY_CURRENT,
    REASON_NEEDED,
    TRANSFER_REFUSED,
    RegistrationDetails,
    RegistrationRejected,
    registration_choose_units,
    registration_create,
    registration_transfer_rules,
)
from qualifications.loader import catalogue_load
from qualifications.models import Qualification, Unit
from qualifications.rules.versions import forget_versions
from tests.audit import AuditWatch
from tests.qualifications.conftest import BASE

START = datetime.date(2026, 9, 1)
SIGNED = datetime.datetime(2026, 10, 1, 12, tzinfo=datetime.UTC)
FIRST_FOUR = ["U/1", "U/2", "U/3", "U/4"]
REASON = "The awarding organisation published version 2 of the rules."


@pytest.fixture
def load(tmp_path, catalogue_db):
    """Load the test catalogue (edited as the test likes) beside the real one, whose codes it
    does not share."""
    path = tmp_path / "900-test.yaml"

    def load(data: dict[str, Any]) -> Qualification:
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        catalogue_load([path])
        return Qualification.objects.get(code="T/1")

    return load


def stricter(catalogue: dict[str, Any]) -> dict[str, Any]:
    """The catalogue with T/1's rules asking for 14 credits, 8 of them from group B."""
    changed = copy.deepcopy(catalogue)
    rules = changed["qualifications"][0]["rules"]
    rules["min_credits"] = 14
    rules["groups"][1]["min_credits"] = 8
    return changed


def register(centre, admin: User, learner: User, optional: list[str]) -> Registration:
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner, qualification=Qualification.objects.get(code="T/1"), start_date=START
        ),
        optional_units=optional,
        actor=admin,
    )


def achieve(registration: Registration, assessor: User, codes: list[str]) -> None:
    """The units signed off and countersigned, as the assessment services leave them."""
    UnitSignOff.objects.bulk_create(
        UnitSignOff(
            registration=registration,
            unit=unit,
            signed_by=assessor,
            signed_at=SIGNED,
            signature="Sam Assessor",
            learner_signature=registration.learner.full_name,
            learner_signed_at=SIGNED,
        )
        for unit in Unit.objects.filter(code__in=codes)
    )


def fresh(registration: Registration) -> Registration:
    """The registration as the next request reads it, in a new process (nothing kept)."""
    forget_versions()
    return Registration.objects.select_related("qualification", "learner", "centre").get(
        pk=registration.pk
    )


@pytest.fixture
def before_the_reload(load, centre, centre_admin, learner, assessor) -> Registration:
    """A learner registered on T/1 under the first rules, with U/1 to U/4 achieved."""
    load(BASE)
    registration = register(centre, centre_admin, learner, ["U/3", "U/4"])
    achieve(registration, assessor, FIRST_FOUR)
    assert readiness_of(fresh(registration)).full_ready
    return registration


@pytest.fixture
def reloaded(before_the_reload, load) -> Registration:
    load(stricter(BASE))
    return before_the_reload


def test_a_reload_that_changes_the_rules_makes_a_new_version_and_keeps_the_old(reloaded):
    versions = Qualification.objects.get(code="T/1").rules_versions.order_by("number")
    assert [(v.number, v.rules["min_credits"]) for v in versions] == [(1, 12), (2, 14)]
    assert fresh(reloaded).rules_version.number == 1


def test_a_registration_keeps_its_verdict_after_a_reload_that_changes_the_rules(reloaded):
    registration = fresh(reloaded)
    assert registration.rules.min_credits == 12
    assert not registration.rules_are_current
    # Every reader of the rules judges it by its own: claim readiness (the claim's gate),
    # progress, and the eligibility report.
    ready = readiness_of(registration)
    assert ready.full_ready and ready.verdict.counted_credits == 12
    (progress,) = progress_of([registration])
    assert progress.verdict.eligible
    (eligibility,) = eligibility_of(Registration.objects.filter(pk=registration.pk))
    assert eligibility.verdict.eligible and eligibility.rules.min_credits == 12


def test_a_new_registration_after_the_reload_gets_the_new_rules(reloaded, centre, centre_admin):
    other = User.objects.create_user("second@example.org", "Second Learner", "pw-x-123456")
    other.roles.create(centre=centre, kind="learner")
    with pytest.raises(RegistrationRejected) as refused:
        register(centre, centre_admin, other, ["U/3", "U/4"])
    assert any("of at least 14 credits" in m for m in refused.value.messages)
    made = fresh(register(centre, centre_admin, other, ["U/3", "U/4", "U/5"]))
    assert made.rules_version.number == 2 and made.rules.min_credits == 14
    assert made.rules_are_current
    # The same achievements judged by each one's own rules.
    achieve(made, User.objects.get(email="assessor@example.org"), FIRST_FOUR)
    assert not readiness_of(fresh(made)).full_ready
    assert readiness_of(fresh(reloaded)).full_ready


def test_a_reload_that_only_corrects_wording_makes_no_new_version(before_the_reload, load):
    reworded = copy.deepcopy(BASE)
    reworded["units"][0]["title"] = "Unit U/1, title corrected"
    load(reworded)
    registration = fresh(before_the_reload)
    assert registration.qualification.rules_versions.count() == 1
    assert registration.rules_are_current
    assert registration.rules.units["U/1"].title == "Unit U/1, title corrected"


def test_a_reload_back_to_the_old_rules_makes_the_old_registrations_current_again(reloaded, load):
    load(BASE)
    registration = fresh(reloaded)
    assert registration.rules_are_current  # judged by the same rules as a new registration
    assert registration.qualification.rules_versions.count() == 3  # 12, then 14, then 12 again


# The transfer


def test_a_transfer_is_refused_with_the_engines_sentences_when_the_units_cannot_meet_the_new_rules(
    reloaded, centre_admin
):
    audit = AuditWatch()
    with pytest.raises(RegistrationRejected) as refused:
        registration_transfer_rules(registration=reloaded, reason=REASON, actor=centre_admin)
    heading, *sentences = refused.value.messages
    assert heading == TRANSFER_REFUSED.format(number=2, pinned=1)
    assert "Optional: 6 of at least 8 credits (2 more credits needed)" in sentences
    assert any(s.startswith("To complete it:") and "U/5" in s for s in sentences)
    assert fresh(reloaded).rules_version.number == 1
    assert audit.actions() == []


def test_a_transfer_moves_the_registration_to_the_current_rules_and_is_audited(
    reloaded, centre, centre_admin
):
    # Under its own rules the learner adds U/5; then the current rules can be met.
    registration_choose_units(
        registration=fresh(reloaded), optional_units=["U/3", "U/4", "U/5"], actor=centre_admin
    )
    refresh_readiness(centre)
    assert ClaimReadiness.objects.get(registration=reloaded).full_ready
    audit = AuditWatch()
    registration_transfer_rules(
        registration=fresh(reloaded), reason=f"  {REASON}  ", actor=centre_admin
    )
    moved = fresh(reloaded)
    assert moved.rules_version.number == 2 and moved.rules_are_current
    assert not readiness_of(moved).full_ready  # U/5 not achieved yet: 12 of 14 credits
    assert ClaimReadiness.objects.get(registration=reloaded).stale
    (entry,) = audit.entries()
    assert (entry.action, entry.actor, entry.subject) == (
        "registration.rules_transferred",
        centre_admin,
        f"registration:{reloaded.pk}",
    )
    assert entry.before == {"rules_version": 1, "units": [*FIRST_FOUR, "U/5"]}
    assert entry.after == {"rules_version": 2, "units": [*FIRST_FOUR, "U/5"], "reason": REASON}


def test_a_transfer_adds_the_units_the_new_rules_make_mandatory(
    before_the_reload, load, centre_admin
):
    moved = copy.deepcopy(BASE)
    moved["qualifications"][0]["units"][4]["group"] = "A"  # U/5 becomes mandatory
    moved["qualifications"][0]["rules"]["min_credits"] = 16
    load(moved)
    registration_transfer_rules(registration=before_the_reload, reason=REASON, actor=centre_admin)
    planned = dict(fresh(before_the_reload).planned_units.values_list("unit__code", "mandatory"))
    assert planned == {"U/1": True, "U/2": True, "U/3": False, "U/4": False, "U/5": True}


def test_a_transfer_is_refused_without_a_reason_or_when_already_current(
    reloaded, centre, centre_admin
):
    registration_choose_units(
        registration=fresh(reloaded), optional_units=["U/3", "U/4", "U/5"], actor=centre_admin
    )
    with pytest.raises(RegistrationRejected) as refused:
        registration_transfer_rules(registration=fresh(reloaded), reason=" ", actor=centre_admin)
    assert refused.value.messages == [REASON_NEEDED]
    registration_transfer_rules(registration=fresh(reloaded), reason=REASON, actor=centre_admin)
    audit = AuditWatch()
    with pytest.raises(RegistrationRejected) as refused:
        registration_transfer_rules(registration=fresh(reloaded), reason=REASON, actor=centre_admin)
    assert refused.value.messages == [ALREADY_CURRENT]
    assert audit.actions() == []


def test_only_a_centre_admin_of_the_centre_may_transfer(reloaded, assessor, outsider):
    for person in (assessor, outsider, reloaded.learner):
        with pytest.raises(PermissionDenied):
            registration_transfer_rules(registration=reloaded, reason=REASON, actor=person)
    assert fresh(reloaded).rules_version.number == 1


# The pages


def page(client, user: User, name: str, registration: Registration, **post: str) -> Any:
    client.force_login(user)
    url = reverse(f"portfolios:{name}", args=[registration.pk])
    return client.post(url, post) if post else client.get(url)


def test_the_registration_page_shows_the_pinned_version_and_that_the_rules_changed(
    client, reloaded, centre_admin, learner
):
    shown = page(client, centre_admin, "registration-detail", reloaded).content.decode()
    assert "Judged by version 1 of the qualification" in shown
    assert "new registrations are judged by version 2" in shown
    assert reverse("portfolios:registration-rules", args=[reloaded.pk]) in shown
    shown = page(client, learner, "registration-detail", reloaded).content.decode()
    assert "new registrations are judged by version 2" in shown
    assert reverse("portfolios:registration-rules", args=[reloaded.pk]) not in shown


def test_the_registration_page_of_a_current_registration_says_so(
    client, before_the_reload, learner
):
    shown = page(client, learner, "registration-detail", before_the_reload).content.decode()
    assert "the rules that apply to new registrations today" in shown
    assert "have changed since" not in shown


def test_the_transfer_page_shows_both_versions_and_why_a_transfer_would_be_refused(
    client, reloaded, centre_admin
):
    shown = page(client, centre_admin, "registration-rules", reloaded).content.decode()
    assert "At least 12 credits in total." in shown and "At least 14 credits in total." in shown
    assert "a transfer would be refused" in shown
    assert "Optional: 6 of at least 8 credits" in shown
    answer = page(client, centre_admin, "registration-rules", reloaded, reason=REASON)
    assert answer.status_code == 200
    assert "cannot meet the current rules of combination (version 2)" in answer.content.decode()
    assert fresh(reloaded).rules_version.number == 1


def test_the_transfer_page_moves_a_registration_that_can_meet_the_new_rules(
    client, reloaded, centre_admin
):
    registration_choose_units(
        registration=fresh(reloaded), optional_units=["U/3", "U/4", "U/5"], actor=centre_admin
    )
    answer = page(client, centre_admin, "registration-rules", reloaded, reason=REASON)
    assert answer.status_code == 302
    assert fresh(reloaded).rules_version.number == 2
    shown = page(client, centre_admin, "registration-detail", reloaded).content.decode()
    assert "Judged by version 2" in shown


def test_the_units_page_of_an_older_version_describes_and_checks_by_its_rules(
    client, reloaded, centre_admin
):
    shown = page(client, centre_admin, "registration-units", reloaded).content.decode()
    assert "At least 12 credits in total." in shown
    assert "At least 14 credits in total." not in shown
