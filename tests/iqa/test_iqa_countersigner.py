"""The provisional samples a qualified IQA may countersign are filtered by their centres and
scopes read once (`iqa_countersigner_of`, decision 58), written into the query as values: the
same samples as the condition read inside the query (`in_scope_where_enforced`, the way it was
read before), for every kind of scope: the register not enforced, no award, one unit, a whole
qualification, an award expired, an assessor's award only, and a centre where they are a
trainee."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.models import Decision
from competence.models import Award, Practice
from competence.services import register_enforce
from competence.standing import in_scope_where_enforced
from home.todo import iqa_todo
from iqa.countersigning import awaiting_iqa_countersignature, iqa_countersigner_of, waiting_at
from iqa.models import Action, ActionStatus, Sample
from iqa.pages import (
    IqaActions,
    assessor_action_list,
    assessor_actions,
    held_centres,
    iqa_actions,
)
from portal.models import Role, RoleKind
from portfolios.models import roles_held
from tests.competence.register import award, enforce
from tests.factories import RoleFactory
from tests.iqa.test_countersigning import by_the_trainee, trainee_iqa
from tests.iqa.test_services import BEGUN_UNIT, SIGNED_UNIT, assessed, evidence, person, unit

__all__ = ["assessed", "by_the_trainee", "evidence", "trainee_iqa"]
THIRD_UNIT = "K/503/0421"


def waiting_the_old_way(user):
    """`countersignable_by` as it was read before: the roles and scope as subqueries."""
    centres = Role.objects.filter(user=user, kind=RoleKind.IQA, is_trainee=False).values(
        "centre_id"
    )
    own_work = Decision.objects.filter(samples=OuterRef("pk")).filter(
        Q(decided_by=user) | Q(countersigned_by=user)
    )
    return Sample.objects.filter(
        Q(provisional=True, registration__centre__in=centres)
        & ~Q(sampled_by=user)
        & ~Q(registration__learner=user)
        & ~Q(registration__assessor=user)
        & ~Q(assessor=user)
        & ~Exists(own_work)
        & in_scope_where_enforced(
            user.pk,
            Practice.VERIFYING,
            timezone.localdate(),
            centre="registration__centre_id",
            qualification="registration__qualification_id",
            unit=Q(units=OuterRef("unit_id")),
        )
    )


@pytest.fixture
def waiting(by_the_trainee):
    """The trainee's provisional samples of three units, one not provisional any more."""
    made = [by_the_trainee]
    for code, provisional in ((BEGUN_UNIT, True), (THIRD_UNIT, True), (BEGUN_UNIT, False)):
        copy = Sample.objects.get(pk=by_the_trainee.pk)
        copy.pk, copy.form_token = None, None
        copy.unit, copy.provisional = unit(code), provisional
        copy.save()
        made.append(copy)
    return {s.unit.code: s.pk for s in made if s.provisional}


def same_as_before(user):
    new = set(awaiting_iqa_countersignature(user).values_list("pk", flat=True))
    assert new == set(waiting_the_old_way(user).values_list("pk", flat=True))
    given = iqa_countersigner_of(user)
    assert new == set(awaiting_iqa_countersignature(user, given).values_list("pk", flat=True))
    for role in Role.objects.filter(user=user, kind=RoleKind.IQA, is_trainee=False):
        at = set(waiting_the_old_way(user).filter(registration__centre=role.centre_id))
        assert set(waiting_at(user, role.centre_id)) == at  # the to-do's count
    return new


def test_the_same_samples_for_every_kind_of_scope(waiting, centre, centre_admin, iqa, sfj):
    everything = set(waiting.values())
    assert len(everything) == 3
    assert same_as_before(iqa) == everything  # the register not enforced
    enforce(centre, centre_admin)
    assert same_as_before(iqa) == set()  # no award
    award(centre, iqa, centre_admin, kind=Award.ASSESSING_COMPETENCE, qualifications=[sfj])
    assert same_as_before(iqa) == set()  # an assessor's award covers no IQA work
    award(centre, iqa, centre_admin, kind=Award.IQA, units=[unit(BEGUN_UNIT)])
    assert same_as_before(iqa) == {waiting[BEGUN_UNIT]}
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    award(centre, iqa, centre_admin, kind=Award.IQA, units=[unit(THIRD_UNIT)], expires_on=yesterday)  # fmt: skip
    assert same_as_before(iqa) == {waiting[BEGUN_UNIT]}
    award(centre, iqa, centre_admin, kind=Award.IQA, qualifications=[sfj])
    assert same_as_before(iqa) == everything
    register_enforce(centre=centre, on=False, actor=centre_admin)
    assert same_as_before(iqa) == everything


def test_only_where_qualified_and_never_their_own(waiting, centre, other_centre, trainee_iqa, sfj):
    """A trainee IQA, or one qualified only at another centre, has nothing to countersign; the
    sampler never their own sample, nor the registration's assessor."""
    assert same_as_before(trainee_iqa) == set()
    assert iqa_countersigner_of(trainee_iqa).centres == frozenset()
    elsewhere = person(other_centre, RoleKind.IQA, "elsewhere.iqa@example.org")
    RoleFactory.create(user=elsewhere, centre=centre, kind=RoleKind.IQA, is_trainee=True)
    assert iqa_countersigner_of(elsewhere).centres == frozenset({other_centre.pk})
    assert same_as_before(elsewhere) == set()
    assessor = Sample.objects.get(pk=waiting[SIGNED_UNIT]).assessor
    RoleFactory.create(user=assessor, centre=centre, kind=RoleKind.IQA)
    assert same_as_before(assessor) == set()


def test_the_iqa_to_do_counts_the_samples_in_as_many_queries_enforced_or_not(
    waiting, centre, centre_admin, iqa
):
    role = Role.objects.get(user=iqa, centre=centre, kind=RoleKind.IQA)
    today = timezone.localdate()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            todo = iqa_todo(iqa, role, today, IqaActions([], []))
        return len(captured), [t.text for t in todo if "countersignature" in t.text]

    queries()  # what a first read of a process caches
    free, texts = queries()
    assert texts == ["3 samples by another IQA waiting for your countersignature"]
    enforce(centre, centre_admin)
    award(centre, iqa, centre_admin, kind=Award.IQA, units=[unit(BEGUN_UNIT)])
    enforced_count, texts = queries()
    assert texts == ["1 sample by another IQA waiting for your countersignature"]
    assert free == enforced_count


def what_is_shown(a: Action, today: datetime.date) -> tuple[object, ...]:
    sample = a.sample
    learner = sample.registration.learner
    return (a.pk, a.sample_id, a.text, a.due_on, a.iqa_comment, a.overdue_on(today),
            sample.unit.code, learner.full_name)  # fmt: skip


def test_the_home_pages_actions_at_the_centres_of_the_requests_roles(
    by_the_trainee, centre, other_centre, trainee_iqa, assessor
):
    """The assessor's and the IQA's actions read with the centres of the roles the request read
    (`held_centres`) are those read with the roles as a subquery; other centres', none."""
    ActionFactory = Action.objects.create
    for status, due in ((ActionStatus.OPEN, 1), (ActionStatus.RESPONDED, -2), (ActionStatus.OPEN, -3)):  # fmt: skip
        ActionFactory(
            sample=by_the_trainee,
            text="Show where 1.2 is covered.",
            due_on=timezone.localdate() + datetime.timedelta(days=due),
            status=status,
        )
    RoleFactory.create(user=assessor, centre=other_centre, kind=RoleKind.ASSESSOR)
    RoleFactory.create(user=trainee_iqa, centre=other_centre, kind=RoleKind.LEARNER)
    today = timezone.localdate()
    for user, kind in ((assessor, RoleKind.ASSESSOR), (trainee_iqa, RoleKind.IQA)):
        centres = held_centres(Role.objects.filter(user=user), kind)
        assert centres == sorted(roles_held(user, kind).values_list("centre_id", flat=True))
    mine = held_centres(Role.objects.filter(user=assessor), RoleKind.ASSESSOR)
    before = [a.pk for a in assessor_actions(assessor)]
    assert len(before) == 2 and [a.pk for a in assessor_actions(assessor, mine)] == before
    assert list(assessor_actions(assessor, [other_centre.pk])) == []
    # Read by SQL compiled once, as the home page reads them: the same actions, in the same
    # order, with what the page and the to-do list show of each.
    shown = [what_is_shown(a, today) for a in assessor_actions(assessor, mine)]
    for listed in (assessor_action_list(assessor, mine), assessor_action_list(assessor, [*mine])):
        assert [what_is_shown(a, today) for a in listed] == shown
    assert assessor_action_list(assessor, [other_centre.pk]) == []
    assert assessor_action_list(trainee_iqa, mine) == []
    iqas = held_centres(Role.objects.filter(user=trainee_iqa), RoleKind.IQA)
    old, new = iqa_actions(trainee_iqa, today), iqa_actions(trainee_iqa, today, iqas)
    assert (len(old.to_close), len(old.overdue)) == (1, 1)
    assert (new.to_close, new.overdue) == (old.to_close, old.overdue)
    assert iqa_actions(trainee_iqa, today, [other_centre.pk]) == IqaActions([], [])
