"""A unit signed off by a trainee, or at a centre enforcing its competence register by an
assessor whose current awards do not cover the unit, is provisional (decision 53): kept and
locking the unit's decisions, but the learner cannot countersign it, so the unit is not
achieved, until a qualified assessor competent for the unit countersigns the sign-off."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assessment.models import Decision, UnitSignOff
from assessment.services import DecisionRefused, decision_countersign, unit_learner_countersign
from assessment.sign_off_countersign import (
    NOT_A_SIGN_OFF_COUNTERSIGNER,
    NOT_COMPETENT_FOR_SIGN_OFF,
    NOTHING_TO_COUNTERSIGN,
    SignOffRefused,
    awaiting_sign_offs,
    sign_off_countersign,
)
from portal.models import AuditEntry, Notification, NotificationKind, RoleKind
from portfolios.unit_states import UnitState, unit_standings
from qualifications.models import Unit
from tests.competence.register import award, enforce
from tests.factories import RoleFactory, UserFactory
from tests.iqa.test_services import BEGUN_UNIT, SIGNED_UNIT, decide, sign

SIGNED = "F/506/2131"


def raises(exception, message):
    return pytest.raises(exception, match=re.escape(message))


@pytest.fixture
def colleague(centre):
    """Another qualified (not trainee) assessor of the centre."""
    user = UserFactory.create(email="colleague@example.org")
    RoleFactory.create(user=user, centre=centre, kind=RoleKind.ASSESSOR)
    return user


def countersign_learner(sign_off, learner):
    return unit_learner_countersign(
        sign_off=sign_off, signature="Ben Hughes", declared=True, actor=learner
    )


def met_and_countersigned(registration, decider, countersigner):
    made = decide(registration, decider, SIGNED_UNIT)
    waiting = [d for d in made if Decision.objects.get(pk=d.pk).provisional]
    if waiting:
        decision_countersign(decisions=waiting, actor=countersigner)


def out_of_scope_sign_off(centre, centre_admin, registration, assessor, colleague, sfj):
    """The assessor holds an award for another unit only; the colleague for the whole
    qualification. The assessor's decisions are countersigned, and they sign the unit off."""
    enforce(centre, centre_admin)
    award(centre, assessor, centre_admin, units=[Unit.objects.get(code=BEGUN_UNIT)])
    award(centre, colleague, centre_admin, qualifications=[sfj])
    met_and_countersigned(registration, assessor, colleague)
    return sign(registration, assessor)


def test_an_out_of_scope_assessors_sign_off_is_provisional_until_a_competent_assessor_countersigns(
    centre, centre_admin, registration, assessor, colleague, learner, sfj
):
    sign_off = out_of_scope_sign_off(centre, centre_admin, registration, assessor, colleague, sfj)
    assert sign_off.provisional and not sign_off.achieved
    entry = AuditEntry.objects.get(action="unit.signed_off")
    assert entry.after is not None and entry.after["provisional"] is True
    # Kept, and locking the unit's decisions as any sign-off does.
    assert UnitSignOff.objects.in_force().filter(pk=sign_off.pk).exists()
    with raises(DecisionRefused, "is signed off: its decisions are locked"):
        decide(registration, assessor, SIGNED_UNIT, "1.1")
    # The learner is not asked to countersign it yet, and cannot.
    assert not Notification.objects.filter(kind=NotificationKind.UNIT_SIGNED_OFF).exists()
    with raises(SignOffRefused, "awaits a qualified assessor's countersignature"):
        countersign_learner(sign_off, learner)
    sign_off.refresh_from_db()
    assert sign_off.learner_signed_at is None
    unit_id = Unit.objects.get(code=SIGNED).pk
    assert unit_standings(registration, [unit_id])[unit_id].state == UnitState.AWAITING_ASSESSOR

    done = sign_off_countersign(sign_off=sign_off, actor=colleague)
    assert not done.provisional and done.countersigned_by == colleague
    assert done.countersigned_at is not None
    entry = AuditEntry.objects.get(action="unit.sign_off_countersigned")
    assert entry.actor == colleague and entry.subject == f"sign_off:{sign_off.pk}"
    # The learner is now asked to countersign, and the unit is achieved once they do.
    assert Notification.objects.filter(
        kind=NotificationKind.UNIT_SIGNED_OFF, recipient=learner
    ).exists()
    assert countersign_learner(done, learner).achieved
    assert unit_standings(registration, [unit_id])[unit_id].state == UnitState.ACHIEVED


def test_an_in_scope_assessors_sign_off_counts_at_once(
    centre, centre_admin, registration, assessor, learner, sfj
):
    enforce(centre, centre_admin)
    award(centre, assessor, centre_admin, qualifications=[sfj])
    met_and_countersigned(registration, assessor, None)
    sign_off = sign(registration, assessor)
    assert not sign_off.provisional
    assert countersign_learner(sign_off, learner).achieved


def test_a_trainees_sign_off_is_provisional_even_where_the_register_is_not_enforced(
    registration, trainee_assessor, assessor, learner
):
    registration.assessor = trainee_assessor
    registration.save()
    met_and_countersigned(registration, trainee_assessor, assessor)
    sign_off = sign(registration, trainee_assessor)
    assert sign_off.provisional
    with raises(SignOffRefused, "made by a trainee assessor"):
        countersign_learner(sign_off, learner)
    assert [s.pk for s in awaiting_sign_offs(assessor)] == [sign_off.pk]
    sign_off_countersign(sign_off=sign_off, actor=assessor)
    sign_off.refresh_from_db()
    assert countersign_learner(sign_off, learner).achieved


def test_who_may_not_countersign_a_sign_off_is_refused_and_nothing_changes(
    centre, centre_admin, registration, assessor, colleague, trainee_assessor, learner, sfj
):
    sign_off = out_of_scope_sign_off(centre, centre_admin, registration, assessor, colleague, sfj)
    with raises(PermissionDenied, NOT_A_SIGN_OFF_COUNTERSIGNER):
        sign_off_countersign(sign_off=sign_off, actor=assessor)  # its signer
    with raises(PermissionDenied, NOT_A_SIGN_OFF_COUNTERSIGNER):
        sign_off_countersign(sign_off=sign_off, actor=trainee_assessor)
    with raises(PermissionDenied, NOT_A_SIGN_OFF_COUNTERSIGNER):
        sign_off_countersign(sign_off=sign_off, actor=learner)
    # A qualified assessor whose awards do not cover the unit.
    other = UserFactory.create(email="other@example.org")
    RoleFactory.create(user=other, centre=centre, kind=RoleKind.ASSESSOR)
    award(centre, other, centre_admin, units=[Unit.objects.get(code=BEGUN_UNIT)])
    with raises(SignOffRefused, NOT_COMPETENT_FOR_SIGN_OFF.format(unit=SIGNED)):
        sign_off_countersign(sign_off=sign_off, actor=other)
    assert awaiting_sign_offs(other) == []
    sign_off.refresh_from_db()
    assert sign_off.provisional and sign_off.countersigned_by is None
    assert not AuditEntry.objects.filter(action="unit.sign_off_countersigned").exists()
    # Countersigned once; a second time is refused.
    sign_off_countersign(sign_off=sign_off, actor=colleague)
    with raises(SignOffRefused, NOTHING_TO_COUNTERSIGN):
        sign_off_countersign(sign_off=sign_off, actor=colleague)
    assert AuditEntry.objects.filter(action="unit.sign_off_countersigned").count() == 1


def test_the_countersigning_page_lists_the_sign_off_and_countersigns_it(
    client, centre, centre_admin, registration, assessor, colleague, learner, sfj
):
    sign_off = out_of_scope_sign_off(centre, centre_admin, registration, assessor, colleague, sfj)
    page_of_sign_off = reverse("assessment:unit-sign-off", args=[registration.pk, sign_off.unit_id])
    client.force_login(learner)
    html = client.get(page_of_sign_off).content.decode()
    assert 'data-testid="awaits-countersignature"' in html
    assert "awaits countersignature by a qualified assessor" in html
    assert reverse("assessment:unit-countersign", args=[sign_off.pk]) not in html

    client.force_login(colleague)
    page = client.get(reverse("assessment:countersign"))
    assert [s.pk for s in page.context["sign_offs"]] == [sign_off.pk]
    action = reverse("assessment:sign-off-countersign", args=[sign_off.pk])
    assert action in page.content.decode()
    assert action in client.get(page_of_sign_off).content.decode()
    answer = client.post(action, follow=True)
    assert "You countersigned the sign-off of F/506/2131" in answer.content.decode()
    sign_off.refresh_from_db()
    assert not sign_off.provisional and sign_off.countersigned_by == colleague
    assert client.get(reverse("assessment:countersign")).context["sign_offs"] == []
    client.force_login(learner)
    html = client.get(page_of_sign_off).content.decode()
    assert "awaits countersignature" not in html
    assert reverse("assessment:unit-countersign", args=[sign_off.pk]) in html


def test_the_countersigning_page_costs_the_same_queries_for_one_sign_off_and_for_several(
    client, centre, centre_admin, registration, assessor, colleague, sfj,
    django_assert_max_num_queries,
):  # fmt: skip
    out_of_scope_sign_off(centre, centre_admin, registration, assessor, colleague, sfj)
    client.force_login(colleague)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("assessment:countersign"))
    # More provisional sign-offs of the same kind: the page reads them all at once.
    for code in (BEGUN_UNIT,):
        unit = Unit.objects.get(code=code)
        UnitSignOff.objects.create(
            registration=registration,
            unit=unit,
            signed_by=assessor,
            signed_at=UnitSignOff.objects.get().signed_at,
            signature="x",
            provisional=True,
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("assessment:countersign"))
    assert len(page.context["sign_offs"]) == 2


def test_the_countersigners_to_do_list_says_a_sign_off_waits_for_them(
    client, centre, centre_admin, registration, assessor, colleague, sfj
):
    out_of_scope_sign_off(centre, centre_admin, registration, assessor, colleague, sfj)
    client.force_login(colleague)
    todo = [t.text for t in client.get(reverse("home")).context["todo"]]
    assert (
        "1 unit sign-off awaiting your countersignature before the learner can countersign" in todo
    )
    client.force_login(assessor)  # its signer: nothing of theirs to countersign
    todo = [t.text for t in client.get(reverse("home")).context["todo"]]
    assert not any("unit sign-off" in text for text in todo)
