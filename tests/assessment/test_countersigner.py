"""The decisions and sign-offs waiting for a countersigner are filtered by their centres and
scopes read once (`countersigner_of`), written into the query as values: the same rows as the
condition read inside the query (`in_scope_where_enforced`, the way it was read before), for
every kind of scope: the register not enforced, a whole qualification, one unit (decisions on
criteria, range and knowledge items), an award expired, none at all."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.db.models import OuterRef, Q
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.countersigner import countersigner_of
from assessment.models import Decision, Outcome, UnitSignOff
from assessment.pages import (
    _narrow,
    awaiting_countersignature,
    countersign_counts,
    to_countersign,
    waiting_rows,
)
from assessment.sign_off_countersign import awaiting_sign_offs, sign_offs_waiting
from competence.models import CompetenceEntry, Practice
from competence.services import register_enforce
from competence.standing import (
    Scope,
    enforced,
    in_scope_where_enforced,
    scope_of,
    scope_where_enforced,
)
from home.todo import assessor_work
from portal.models import Role, RoleKind
from portfolios.models import still_open
from qualifications.models import Criterion, KnowledgeItem, RangeItem, Unit
from tests.assessment.crowd import many_learners
from tests.competence.register import award, enforce
from tests.factories import RoleFactory, UserFactory

CVQ_UNIT = "U09602"  # criteria, range items and knowledge items
OTHER_UNIT = "U13402"


def waiting_the_old_way(user):
    """The query as it was read before: the scope as a condition inside it."""
    centres = Role.objects.filter(user=user, kind=RoleKind.ASSESSOR, is_trainee=False).values(
        "centre_id"
    )
    item = OuterRef("criterion_id"), OuterRef("range_item_id"), OuterRef("knowledge_item_id")
    return (
        Decision.objects.filter(provisional=True, current=True, registration__centre__in=centres)
        .filter(still_open("registration__"))
        .exclude(Q(decided_by=user) | Q(registration__learner=user))
        .filter(
            in_scope_where_enforced(
                user.pk,
                Practice.ASSESSING,
                timezone.localdate(),
                centre="registration__centre_id",
                qualification="registration__qualification_id",
                unit=Q(units__criteria=item[0])
                | Q(units__range_items=item[1])
                | Q(units__knowledge_items=item[2]),
            )
        )
    )


def sign_offs_the_old_way(user):
    """The sign-offs as they were read before: per centre, its switch and the user's scope."""
    centres = set(
        Role.objects.filter(user=user, kind=RoleKind.ASSESSOR, is_trainee=False).values_list(
            "centre_id", flat=True
        )
    )
    found = (
        UnitSignOff.objects.filter(
            provisional=True, unlocked_at__isnull=True, registration__centre__in=centres
        )
        .filter(still_open("registration__"))
        .exclude(signed_by=user)
        .exclude(registration__learner=user)
        .select_related("registration")
    )
    today = timezone.localdate()
    return {
        s.pk
        for s in found
        if not enforced(s.registration.centre_id)
        or scope_of(user.pk, s.registration.centre_id, Practice.ASSESSING, today).covers(
            s.registration.qualification_id, s.unit_id
        )
    }


@pytest.fixture
def waiting(cvq_registration, trainee_assessor):
    """A trainee's provisional decisions on every item of two units (criteria, range and
    knowledge items) for three learners, and a provisional sign-off of each unit for each."""
    registrations = [cvq_registration, *many_learners(cvq_registration, 2)]
    units = list(Unit.objects.filter(code__in=[CVQ_UNIT, OTHER_UNIT]))
    now = timezone.now()
    made = []
    for registration in registrations:
        for unit in units:
            for field, model in (
                ("criterion", Criterion),
                ("range_item", RangeItem),
                ("knowledge_item", KnowledgeItem),
            ):
                for item in model.objects.filter(unit=unit)[:3]:
                    made.append(
                        Decision(
                            registration=registration,
                            **{field: item},
                            outcome=Outcome.MET,
                            method="observation",
                            assessed_on=datetime.date(2026, 10, 6),
                            decided_by=trainee_assessor,
                            decided_at=now,
                            provisional=True,
                        )
                    )
    decisions = Decision.objects.bulk_create(made)
    kinds = {(d.criterion_id is not None, d.range_item_id is not None) for d in decisions}
    assert len(kinds) == 3  # each kind of item is there to be filtered
    UnitSignOff.objects.bulk_create(
        UnitSignOff(
            registration=r,
            unit=u,
            signed_by=trainee_assessor,
            signed_at=now,
            signature="T. Rainee",
            provisional=True,
        )
        for r in registrations
        for u in units
    )
    return decisions


def shown(s):
    """What the countersigning page shows of a sign-off waiting."""
    return (
        s.pk,
        s.registration_id,
        s.unit_id,
        s.registration.learner.full_name,
        s.unit.code,
        s.unit.title,
        s.signed_by.full_name,
        s.signed_at,
    )


def same_as_before(user):
    countersigner = countersigner_of(user)
    new = set(awaiting_countersignature(user).values_list("pk", flat=True))
    assert new == set(waiting_the_old_way(user).values_list("pk", flat=True))
    assert new == set(awaiting_countersignature(user, countersigner).values_list("pk", flat=True))
    assert countersign_counts(user) == (len(new), len({d.registration_id for d in Decision.objects.filter(pk__in=new)}))  # fmt: skip
    # The page's rows and the forms' ids, by SQL compiled once where the user enforces the
    # register at one centre at most: the rows the ORM builds (`_narrow`, the filters).
    built = sorted(_narrow(awaiting_countersignature(user, countersigner)))
    assert sorted(tuple(vars(r).values()) for r in waiting_rows(user)) == built
    assert {r.pk for r in waiting_rows(user, countersigner)} == new
    asked = QueryDict(mutable=True)
    asked.setlist("decisions", [str(pk) for pk in sorted(new)] or ["1"])
    assert set(to_countersign(asked, user) or []) == new
    for decision in Decision.objects.filter(pk__in=new).order_by("pk")[:1]:
        upto = max(new)
        trainee = QueryDict(f"trainee={decision.decided_by_id}-{upto}")
        assert set(to_countersign(trainee, user) or []) == {
            d.pk for d in Decision.objects.filter(pk__in=new, decided_by=decision.decided_by_id)
        }
        last = Decision.objects.filter(pk__in=new).order_by("pk")[len(new) // 2].pk
        on = Decision.objects.filter(pk=decision.pk).values_list("evidence", flat=True).first()
        if on is not None:
            evidence = QueryDict(f"evidence={on}-{last}")
            assert set(to_countersign(evidence, user) or []) == {
                pk
                for pk in new
                if pk <= last
                and on in Decision.objects.get(pk=pk).evidence.values_list("pk", flat=True)
            }
        unit = (
            Decision.objects.filter(pk=decision.pk)
            .values_list("criterion__unit_id", "range_item__unit_id", "knowledge_item__unit_id")
            .get()
        )
        unit_id = next(u for u in unit if u)
        group = QueryDict(f"group={decision.registration_id}-{unit_id}-{last}")
        assert set(to_countersign(group, user) or []) == {
            pk
            for pk, *units in Decision.objects.filter(
                pk__in=new, registration=decision.registration_id, pk__lte=last
            ).values_list(
                "pk", "criterion__unit_id", "range_item__unit_id", "knowledge_item__unit_id"
            )
            if unit_id in units
        }
    signed = {s.pk for s in awaiting_sign_offs(user)}
    assert signed == sign_offs_the_old_way(user)
    listed = awaiting_sign_offs(user, countersigner)
    assert [shown(s) for s in listed] == [
        shown(s)
        for s in UnitSignOff.objects.filter(pk__in=[s.pk for s in listed]).order_by(
            "signed_at", "pk"
        )
    ]
    assert signed == {s.pk for s in awaiting_sign_offs(user, countersigner)}
    assert sign_offs_waiting(user, countersigner) == len(signed)  # the to-do's count
    return new, signed


def on_unit(decisions, code):
    unit = Unit.objects.get(code=code)
    return {
        d.pk
        for d in decisions
        if unit.pk
        in {
            getattr(d.criterion, "unit_id", None),
            getattr(d.range_item, "unit_id", None),
            getattr(d.knowledge_item, "unit_id", None),
        }
    }


def test_the_same_decisions_and_sign_offs_for_every_kind_of_scope(
    waiting, centre, centre_admin, assessor, cvq_registration
):
    everything = {d.pk for d in waiting}
    # The register not enforced: every decision waiting, every sign-off.
    decisions, sign_offs = same_as_before(assessor)
    assert decisions == everything and len(sign_offs) == 6
    enforce(centre, centre_admin)
    # Enforced, no award: nothing.
    assert same_as_before(assessor) == (set(), set())
    # An award of one unit: the decisions on its criteria, range and knowledge items only.
    award(centre, assessor, centre_admin, units=[Unit.objects.get(code=CVQ_UNIT)])
    decisions, sign_offs = same_as_before(assessor)
    assert decisions == on_unit(waiting, CVQ_UNIT) and len(sign_offs) == 3
    # An expired award of the whole qualification changes nothing; a current one covers all.
    qualification = cvq_registration.qualification
    expired = datetime.date.today() - datetime.timedelta(days=1)
    award(centre, assessor, centre_admin, qualifications=[qualification], expires_on=expired)
    assert same_as_before(assessor)[0] == on_unit(waiting, CVQ_UNIT)
    award(centre, assessor, centre_admin, qualifications=[qualification])
    decisions, sign_offs = same_as_before(assessor)
    assert decisions == everything and len(sign_offs) == 6
    # Off again: everything, whatever the awards.
    register_enforce(centre=centre, on=False, actor=centre_admin)
    assert same_as_before(assessor)[0] == everything


def test_an_enforcing_centre_without_an_award_beside_a_centre_that_does_not_enforce(
    waiting, centre, other_centre, centre_admin, assessor, outsider, cvq_registration
):
    """The counts compiled once (`countersign_counts`) when a centre's condition empties: the
    enforcing centre where they hold no award leaves the other centre's decisions; and with
    two enforcing centres, the ORM's count, the same."""
    RoleFactory.create(user=assessor, centre=other_centre, kind=RoleKind.ASSESSOR)
    enforce(centre, centre_admin)
    assert same_as_before(assessor) == (set(), set())  # the waiting work is at `centre`
    register_enforce(centre=centre, on=False, actor=centre_admin)
    enforce(other_centre, outsider)
    decisions, _ = same_as_before(assessor)
    assert decisions == {d.pk for d in waiting}
    enforce(centre, centre_admin)
    award(centre, assessor, centre_admin, qualifications=[cvq_registration.qualification])
    assert len(countersigner_of(assessor).scopes) == 2
    assert same_as_before(assessor)[0] == {d.pk for d in waiting}


def test_the_countersigners_centres_are_only_those_where_they_are_qualified(
    waiting, centre, other_centre, outsider, trainee_assessor, cvq_registration
):
    """A trainee has nothing to countersign; an assessor qualified at another centre only (an
    award there too) sees nothing here, and their own decisions or registration never."""
    assert countersigner_of(trainee_assessor).centres == frozenset()
    assert same_as_before(trainee_assessor) == (set(), set())
    elsewhere = UserFactory.create(email="elsewhere@example.org")
    RoleFactory.create(user=elsewhere, centre=other_centre, kind=RoleKind.ASSESSOR)
    RoleFactory.create(user=elsewhere, centre=centre, kind=RoleKind.ASSESSOR, is_trainee=True)
    award(other_centre, elsewhere, outsider, qualifications=[cvq_registration.qualification])
    assert countersigner_of(elsewhere).centres == frozenset({other_centre.pk})
    assert same_as_before(elsewhere) == (set(), set())
    # The trainee's own learner, qualified as an assessor too: their registration left out.
    learner = cvq_registration.learner
    RoleFactory.create(user=learner, centre=centre, kind=RoleKind.ASSESSOR)
    decisions, _ = same_as_before(learner)
    assert decisions and cvq_registration.pk not in set(
        Decision.objects.filter(pk__in=decisions).values_list("registration_id", flat=True)
    )


def test_the_home_page_reads_the_countersigner_once(waiting, centre, centre_admin, assessor):
    """The to-do's count and its sign-offs share one read of the centres and scopes: as many
    queries whether the register is enforced or not, and whether sign-offs wait or not."""
    role = Role.objects.get(user=assessor, centre=centre, kind=RoleKind.ASSESSOR)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            work = assessor_work(assessor, role)
        return len(captured), work

    queries()  # what a first read of a process caches
    free, work = queries()
    assert (work.to_countersign, work.sign_offs) == (len(waiting), 6)
    enforce(centre, centre_admin)
    award(centre, assessor, centre_admin, units=[Unit.objects.get(code=CVQ_UNIT)])
    enforced_count, work = queries()
    assert (work.to_countersign, work.sign_offs) == (len(on_unit(waiting, CVQ_UNIT)), 3)
    UnitSignOff.objects.update(provisional=False)
    none_count, work = queries()
    assert work.sign_offs == 0
    assert free == enforced_count == none_count


def test_the_countersigners_scopes_are_what_scope_of_reads_for_every_kind_of_entry(
    centre, other_centre, centre_admin, assessor, sfj
):
    """`countersigner_of` and `scope_where_enforced` write `current_on` as SQL: the same scope
    as `scope_of` (the ORM's `current_on`) for entries current, expired the day before or that
    day, ended, not yet achieved, worked towards, of IQA practice, and at a centre where they
    are not qualified."""
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    units = list(Unit.objects.filter(memberships__qualification=sfj).order_by("pk")[:8])
    RoleFactory.create(user=assessor, centre=other_centre, kind=RoleKind.ASSESSOR)
    enforce(centre, centre_admin)
    kinds: list[dict[str, Any]] = [
        {},  # current
        {"expires_on": today},  # current until the end of its expiry day
        {"expires_on": today - day},
        {"ended_on": today},  # counts no more from the day it was ended
        {"ended_on": today + day},
        {"achieved_on": today + day},
        {"status": "working_towards", "achieved_on": None, "deadline": today + day},
        {"award": "iqa"},
    ]
    for unit, changed in zip(units, kinds, strict=True):
        entry = CompetenceEntry.objects.create(
            centre=centre,
            person=assessor,
            **{
                "award": "assessing_competence",
                "status": "held",
                "achieved_on": today - 30 * day,
                "recorded_by": centre_admin,
                "recorded_at": timezone.now(),
                **changed,
            },
            **({"ended_by": centre_admin, "end_reason": "Left"} if "ended_on" in changed else {}),
        )
        entry.units.add(unit)
        if not changed:
            entry.qualifications.add(sfj)
    found = countersigner_of(assessor)
    assert found.centres == {centre.pk, other_centre.pk}
    assert set(found.scopes) == {centre.pk}  # the other centre does not enforce its register
    expected = scope_of(assessor.pk, centre.pk, Practice.ASSESSING, today)
    assert found.scopes[centre.pk] == expected
    assert expected.qualifications == {sfj.pk}
    assert expected.units == {units[0].pk, units[1].pk, units[4].pk}
    assert scope_where_enforced(assessor.pk, centre.pk, Practice.ASSESSING, today) == expected
    # The other centre does not enforce its register; once it does, only its own entries count.
    assert scope_where_enforced(assessor.pk, other_centre.pk, Practice.ASSESSING, today) is None
    other_admin = UserFactory.create(email="other.admin@example.org")
    RoleFactory.create(user=other_admin, centre=other_centre, kind=RoleKind.CENTRE_ADMIN)
    enforce(other_centre, other_admin)
    there = scope_where_enforced(assessor.pk, other_centre.pk, Practice.ASSESSING, today)
    assert there == Scope() == scope_of(assessor.pk, other_centre.pk, Practice.ASSESSING, today)
    entry = CompetenceEntry.objects.create(
        centre=other_centre, person=assessor, award="assessing_competence", status="held",
        achieved_on=today - day, recorded_by=other_admin, recorded_at=timezone.now(),
    )  # fmt: skip
    entry.units.add(units[5])
    there = scope_where_enforced(assessor.pk, other_centre.pk, Practice.ASSESSING, today)
    assert there == Scope(frozenset(), frozenset([units[5].pk]))
    assert there == scope_of(assessor.pk, other_centre.pk, Practice.ASSESSING, today)
