"""A provisional IQA sample that nobody at the centre can countersign (the only IQA, their
scope narrowed to another unit): the IQA is told before recording and after, and the centre
admin's to-do list names it (decision 49)."""

import html

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competence.models import Award
from iqa.countersigning import (
    BECAUSE_OUT_OF_SCOPE_IQA,
    BECAUSE_TRAINEE_IQA,
    NOBODY_CAN_IQA,
    SAMPLE_WAITS_FOR,
    sample_recorded_message,
    stranded_samples,
)
from portal.models import RoleKind
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
STRANDED = "provisional and nobody at the centre can countersign"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def stranded_todo(admin) -> list[str]:
    todo = signed_in(admin).get(reverse("home")).context["todo"]
    return [t.text for t in todo if STRANDED in t.text]


@pytest.fixture
def narrowed(centre, centre_admin, sfj, assessed, iqa):
    """An enforcing centre whose only IQA's award covers another unit."""
    enforce(centre, centre_admin)
    award(centre, iqa, centre_admin, kind=Award.IQA, units=[unit(BEGUN_UNIT)])
    generate(centre, sfj, iqa)
    return assessed


def test_the_iqa_is_told_before_and_after_that_nobody_can_countersign_and_the_admin_warned(
    narrowed, iqa, centre_admin
):
    url = reverse("iqa:sample-new", args=[narrowed.pk, unit(SIGNED_UNIT).pk])
    before = text_of(signed_in(iqa).get(url))
    assert (
        "Your sample will be provisional because "
        + BECAUSE_OUT_OF_SCOPE_IQA.format(unit=SIGNED_UNIT)
        in before
    )
    assert SAMPLE_WAITS_FOR in before and NOBODY_CAN_IQA in before
    assert stranded_todo(centre_admin) == []
    taken = sample(narrowed, SIGNED_UNIT, iqa)
    assert taken.provisional
    after = sample_recorded_message(taken, SIGNED_UNIT)
    assert after.startswith("The sample is recorded provisionally because")
    assert NOBODY_CAN_IQA in after
    [warning] = stranded_todo(centre_admin)
    assert warning.startswith("1 IQA sample is provisional")
    assert f"{SIGNED_UNIT} of {narrowed.learner.full_name} (sampled by {iqa.full_name})" in warning


def test_once_a_competent_iqa_is_in_the_register_the_form_names_them_and_the_warning_goes(
    centre, centre_admin, sfj, narrowed, iqa
):
    sample(narrowed, SIGNED_UNIT, iqa)
    assert stranded_todo(centre_admin)
    second = person(centre, RoleKind.IQA, "second.iqa@example.org")
    award(centre, second, centre_admin, kind=Award.IQA, qualifications=[sfj])
    assert stranded_todo(centre_admin) == []
    url = reverse("iqa:sample-new", args=[narrowed.pk, unit(SIGNED_UNIT).pk])
    text = text_of(signed_in(iqa).get(url))
    assert f"At the centre, {second.full_name} can countersign it." in text


def test_an_iqa_in_scope_is_told_nothing_of_the_kind(centre, centre_admin, sfj, assessed, iqa):
    enforce(centre, centre_admin)
    award(centre, iqa, centre_admin, kind=Award.IQA, qualifications=[sfj])
    generate(centre, sfj, iqa)
    url = reverse("iqa:sample-new", args=[assessed.pk, unit(SIGNED_UNIT).pk])
    assert "will be provisional" not in text_of(signed_in(iqa).get(url))


def test_stranded_samples_are_read_in_as_many_queries_for_more_samples(narrowed, iqa, centre):
    sample(narrowed, SIGNED_UNIT, iqa)
    with CaptureQueriesContext(connection) as few:
        assert len(stranded_samples(centre)) == 1
    sample(narrowed, BEGUN_UNIT, iqa)  # in scope: not provisional
    with CaptureQueriesContext(connection) as many:
        assert len(stranded_samples(centre)) == 1
    assert len(many) == len(few)


def test_a_trainee_iqa_is_told_before_sampling_and_a_trainee_elsewhere_is_not(
    centre, other_centre, centre_admin, sfj, assessed, iqa
):
    """The form tells a trainee from the roles the request read: trainee at the learner's
    centre, not at another one."""
    trainee = person(centre, RoleKind.IQA, "trainee.iqa@example.org", is_trainee=True)
    generate(centre, sfj, trainee)
    url = reverse("iqa:sample-new", args=[assessed.pk, unit(SIGNED_UNIT).pk])
    assert "Your sample will be provisional because " + BECAUSE_TRAINEE_IQA in text_of(
        signed_in(trainee).get(url)
    )
    RoleFactory.create(user=iqa, centre=other_centre, kind=RoleKind.IQA, is_trainee=True)
    generate(centre, sfj, iqa)
    assert "will be provisional" not in text_of(signed_in(iqa).get(url))


def test_only_the_open_registrations_samples_at_the_centre_are_found(
    narrowed, iqa, centre, centre_admin
):
    """The samples' query, written as SQL (decision 66), keeps `still_open`'s rule and the
    centre: a sample of a learner anonymised or of a withdrawn registration, or asked of
    another centre, is not found."""
    from django.utils import timezone

    from portfolios.services import registration_withdraw
    from privacy.models import Anonymisation

    taken = sample(narrowed, SIGNED_UNIT, iqa)
    [found] = stranded_samples(centre)
    assert (found.sample_id, found.unit, found.learner, found.sampled_by) == (
        taken.pk, SIGNED_UNIT, narrowed.learner.full_name, iqa.full_name
    )  # fmt: skip
    elsewhere = RoleFactory.create(kind=RoleKind.CENTRE_ADMIN).centre
    assert stranded_samples(elsewhere) == []
    now = timezone.now()
    gone = Anonymisation.objects.create(
        user=narrowed.learner, anonymised_at=now, last_activity=now, retention_years=6
    )
    assert stranded_samples(centre) == []
    gone.delete()
    assert len(stranded_samples(centre)) == 1
    registration_withdraw(registration=narrowed, reason="Moved", actor=centre_admin)
    assert stranded_samples(centre) == []
