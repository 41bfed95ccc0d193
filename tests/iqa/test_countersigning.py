"""A trainee IQA's samples, and at a centre enforcing its competence register those by an IQA
without a current IQA award covering the unit, wait for a qualified IQA's countersignature
with a note (decision 49): until then they count for no plan item and no claim."""

import html
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from assessment.models import UnitSignOff
from assessment.services import unit_learner_countersign
from competence.models import Award
from iqa.countersigning import (
    INVOLVED,
    NOT_AN_IQA_COUNTERSIGNER,
    NOT_COMPETENT,
    NOTE_NEEDED,
    NOTHING_TO_COUNTERSIGN,
    OWN_SAMPLE,
    SampleCountersignRefused,
    awaiting_iqa_countersignature,
    sample_countersign,
)
from iqa.models import PlanItem
from iqa.selectors import AWAITING_COUNTERSIGNATURE, claim_blockers, quality_assured
from portal.models import RoleKind
from tests.audit import AuditWatch
from tests.competence.register import award, enforce
from tests.factories import RoleFactory
from tests.iqa.test_services import (
    BEGUN_UNIT,
    SIGNED_UNIT,
    assessed,
    evidence,
    generate,
    person,
    sample,
    unit,
)

__all__ = ["assessed", "evidence"]
NOTE = "Checked the decisions against the evidence: I agree with the verdict."


def raises(exception, message):
    return pytest.raises(exception, match=re.escape(message))


@pytest.fixture
def trainee_iqa(centre):
    return person(centre, RoleKind.IQA, "trainee.iqa@example.org", is_trainee=True)


@pytest.fixture
def by_the_trainee(centre, sfj, assessed, trainee_iqa):
    """The learner's IQA is a trainee, who plans and samples the signed-off unit."""
    assessed.iqa = trainee_iqa
    assessed.save()
    generate(centre, sfj, trainee_iqa)
    return sample(assessed, SIGNED_UNIT, trainee_iqa)


def sampled_items():
    return list(PlanItem.objects.sampled())


def test_a_trainee_iqas_sample_counts_for_nothing_until_a_qualified_iqa_countersigns_it(
    assessed, by_the_trainee, iqa, centre
):
    assert by_the_trainee.provisional
    blocked = {unit(SIGNED_UNIT).pk: AWAITING_COUNTERSIGNATURE.format(unit=SIGNED_UNIT)}
    assert claim_blockers(assessed) == blocked and sampled_items() == []
    watch = AuditWatch()
    sample_countersign(sample=by_the_trainee, note=f" {NOTE} ", actor=iqa)
    by_the_trainee.refresh_from_db()
    assert not by_the_trainee.provisional
    assert (by_the_trainee.countersigned_by, by_the_trainee.countersign_note) == (iqa, NOTE)
    assert claim_blockers(assessed) == {} and quality_assured(assessed) == {unit(SIGNED_UNIT).pk}
    assert [i.unit.code for i in sampled_items()] == [SIGNED_UNIT]
    [entry] = watch.entries()
    assert (entry.action, entry.centre_id, entry.actor) == (
        "iqa.sample_countersigned",
        centre.pk,
        iqa,
    )
    assert entry.after == {"provisional": False, "note": NOTE}


def test_the_sampler_another_trainee_an_empty_note_or_a_second_time_are_refused(
    centre, by_the_trainee, trainee_iqa, iqa
):
    with raises(SampleCountersignRefused, OWN_SAMPLE):
        sample_countersign(sample=by_the_trainee, note=NOTE, actor=trainee_iqa)
    second_trainee = person(centre, RoleKind.IQA, "t2@example.org", is_trainee=True)
    with raises(PermissionDenied, NOT_AN_IQA_COUNTERSIGNER):
        sample_countersign(sample=by_the_trainee, note=NOTE, actor=second_trainee)
    with raises(SampleCountersignRefused, NOTE_NEEDED):
        sample_countersign(sample=by_the_trainee, note="  ", actor=iqa)
    by_the_trainee.refresh_from_db()
    assert by_the_trainee.provisional
    sample_countersign(sample=by_the_trainee, note=NOTE, actor=iqa)
    with raises(SampleCountersignRefused, NOTHING_TO_COUNTERSIGN):
        sample_countersign(sample=by_the_trainee, note=NOTE, actor=iqa)


def test_at_an_enforcing_centre_an_iqa_out_of_scope_samples_provisionally_and_needs_a_competent_countersigner(
    centre, centre_admin, sfj, assessed, iqa
):
    enforce(centre, centre_admin)
    second = person(centre, RoleKind.IQA, "second.iqa@example.org")
    third = person(centre, RoleKind.IQA, "third.iqa@example.org")
    # The second IQA holds an assessor award only: not an IQA's.
    award(centre, second, centre_admin, qualifications=[sfj])
    award(centre, third, centre_admin, kind=Award.LEADING_IQA, qualifications=[sfj])
    generate(centre, sfj, iqa)
    taken = sample(assessed, SIGNED_UNIT, iqa)
    assert taken.provisional
    with raises(SampleCountersignRefused, NOT_COMPETENT.format(unit=SIGNED_UNIT)):
        sample_countersign(sample=taken, note=NOTE, actor=second)
    sample_countersign(sample=taken, note=NOTE, actor=third)
    taken.refresh_from_db()
    assert not taken.provisional and taken.countersigned_by == third


def test_an_iqa_with_a_current_award_for_the_unit_samples_as_before(
    centre, centre_admin, sfj, assessed, iqa
):
    enforce(centre, centre_admin)
    award(centre, iqa, centre_admin, kind=Award.IQA, qualifications=[sfj])
    generate(centre, sfj, iqa)
    assert not sample(assessed, SIGNED_UNIT, iqa).provisional


def test_the_page_lists_the_sample_an_empty_note_is_sent_back_and_a_note_countersigns_it(
    by_the_trainee, iqa
):
    client = Client()
    client.force_login(iqa)
    page = reverse("iqa:countersign")
    assert f"unit {SIGNED_UNIT}" in client.get(page).content.decode()
    action = reverse("iqa:sample-countersign", args=[by_the_trainee.pk])
    answer = client.post(action, {"note": ""})
    assert answer.status_code == 302 and answer["Location"] == page
    [(shown, form)] = client.get(page).context["rows"]
    assert shown == by_the_trainee and form.errors["note"]
    assert client.post(action, {"note": NOTE}).status_code == 302
    by_the_trainee.refresh_from_db()
    assert not by_the_trainee.provisional
    assert "No sample waits" in client.get(page).content.decode()


def test_a_trainee_iqa_cannot_open_the_countersigning_page(by_the_trainee, trainee_iqa):
    client = Client()
    client.force_login(trainee_iqa)
    assert client.get(reverse("iqa:countersign")).status_code == 403


def test_a_qualified_iqas_to_do_list_leads_to_the_samples_waiting_and_a_trainees_does_not(
    by_the_trainee, iqa, trainee_iqa
):
    client = Client()
    client.force_login(iqa)
    assert (
        "1 sample by another IQA waiting for your countersignature"
        in client.get(reverse("home")).content.decode()
    )
    client.force_login(trainee_iqa)
    assert "waiting for your countersignature" not in client.get(reverse("home")).content.decode()


def sees(user, taken) -> tuple[bool, bool]:
    """Whether `user` finds the sample on their countersigning list, and may open its page."""
    client = Client()
    client.force_login(user)
    listed = taken in awaiting_iqa_countersignature(user)
    opened = client.get(reverse("iqa:sample-detail", args=[taken.pk])).status_code == 200
    return listed, opened


def test_a_provisional_sample_is_seen_only_by_the_iqas_who_may_countersign_it(
    centre, centre_admin, sfj, assessed, by_the_trainee, iqa, learner
):
    # An IQA who is the registration's assessor, and a learner who is an IQA of the centre
    # too: neither may countersign the sample, so neither sees it.
    involved = person(centre, RoleKind.IQA, "involved.iqa@example.org")
    assessed.assessor = involved
    assessed.save()
    RoleFactory.create(user=learner, centre=centre, kind=RoleKind.IQA)
    uninvolved = person(centre, RoleKind.IQA, "uninvolved.iqa@example.org")
    assert sees(uninvolved, by_the_trainee) == (True, True)
    assert sees(involved, by_the_trainee) == (False, False)
    assert sees(learner, by_the_trainee) == (False, False)
    with raises(SampleCountersignRefused, INVOLVED):
        sample_countersign(sample=by_the_trainee, note=NOTE, actor=involved)
    # At a centre enforcing its register, only an IQA competent for the unit.
    enforce(centre, centre_admin)
    assert sees(uninvolved, by_the_trainee) == (False, False)
    award(centre, uninvolved, centre_admin, kind=Award.IQA, units=[unit(BEGUN_UNIT)])
    assert sees(uninvolved, by_the_trainee) == (False, False)
    award(centre, uninvolved, centre_admin, kind=Award.IQA, units=[unit(SIGNED_UNIT)])
    assert sees(uninvolved, by_the_trainee) == (True, True)
    # Once countersigned, it is no longer theirs to see.
    sample_countersign(sample=by_the_trainee, note=NOTE, actor=uninvolved)
    assert sees(uninvolved, by_the_trainee) == (False, False)
    assert sees(iqa, by_the_trainee)[1] is False  # the centre's other qualified IQA


def test_an_iqa_who_decided_on_the_sample_does_not_see_it_to_countersign(
    centre, by_the_trainee, assessor
):
    RoleFactory.create(user=assessor, centre=centre, kind=RoleKind.IQA)
    assert sees(assessor, by_the_trainee)[0] is False


def test_the_claims_page_says_a_unit_whose_sample_awaits_countersignature_awaits_it(
    assessed, by_the_trainee, centre_admin, iqa, learner
):
    sign_off = UnitSignOff.objects.get(registration=assessed, unit=unit(SIGNED_UNIT))
    unit_learner_countersign(
        sign_off=sign_off, signature=learner.full_name, declared=True, actor=learner
    )
    client = Client()
    client.force_login(centre_admin)
    url = reverse("iqa:registration-status", args=[assessed.pk])
    page = html.unescape(client.get(url).content.decode())
    assert AWAITING_COUNTERSIGNATURE.format(unit=SIGNED_UNIT) in page
    assert "not been sampled yet" not in page
    sample_countersign(sample=by_the_trainee, note=NOTE, actor=iqa)
    page = html.unescape(client.get(url).content.decode())
    assert "Claimable: internally quality assured" in page
