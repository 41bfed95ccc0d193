"""An assessor per unit (issue 19, decision 39): "the learner's assessor" means the assessor of
that unit (its own, else the registration's) wherever it gates or lists work: decisions,
mapping reviews, sign-off, the review page, the caseload, its queue and tracker, comments."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.caseload import caseload_registrations, waiting_for_review
from assessment.models import Decision, Outcome, UnitSignOff
from assessment.services import (
    NOT_THEIR_UNIT,
    DecisionRefused,
    Judgement,
    decision_record,
    evidence_record,
    mapping_review,
    unit_sign_off,
)
from portal.models import Notification, NotificationKind, RoleKind
from portfolios.comments import comment_add
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence, MappingStatus, Registration, RegistrationUnit
from portfolios.services import registration_unit_assessor_change
from qualifications.models import Criterion, Unit
from tests.assessment.crowd import decisions_on, many_learners
from tests.audit import AuditWatch
from tests.factories import PASSWORD, RoleFactory
from tests.portfolios.files import pdf

SECONDS = "F/506/2131"  # given to the second assessor: 9 criteria
FIRSTS = "A/506/2130"  # the registration's assessor's, as every unit not given away
ON = datetime.date(2026, 10, 6)
MET = Judgement(Outcome.MET, "observation", ON, "Well done.")


@pytest.fixture
def second(centre):
    return RoleFactory.create(
        centre=centre, kind=RoleKind.ASSESSOR, user__full_name="Nadia Second"
    ).user


@pytest.fixture
def given(registration, centre_admin, second):
    """The registration with SECONDS given to the second assessor."""
    registration_unit_assessor_change(
        registration=registration,
        unit=Unit.objects.get(code=SECONDS),
        assessor=second,
        actor=centre_admin,
    )
    return Registration.objects.get(pk=registration.pk)


def criteria(code: str, *numbers: str) -> frozenset[int]:
    found = Criterion.objects.filter(unit__code=code)
    if numbers:
        found = found.filter(number__in=numbers)
    return frozenset(found.values_list("pk", flat=True))


def add(registration, learner, title: str, mapped: frozenset[int] = frozenset()) -> Evidence:
    details = EvidenceDetails(title, ON, "product")
    evidence = evidence_add(
        registration=registration,
        details=details,
        files=[pdf(extra=title.encode())],
        declared=True,
        actor=learner,
    )
    if mapped:
        mapping_propose(evidence=evidence, targets=Targets(criteria=mapped), actor=learner)
    return evidence


def decide(registration, evidence, actor, targets: frozenset[int]):
    return decision_record(
        registration=registration,
        targets=Targets(criteria=targets),
        judgement=MET,
        evidence=[evidence],
        actor=actor,
    )


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


# Deciding, reviewing, signing off ---------------------------------------------------------


def test_a_unit_assessor_decides_on_their_unit_and_not_on_another_of_the_same_registration(
    given, learner, second
):
    evidence = add(given, learner, "Call log")
    watch = AuditWatch()
    made = decide(given, evidence, second, criteria(SECONDS, "1.1", "1.2"))
    assert len(made) == 2 and {d.decided_by for d in made} == {second}
    assert watch.actions() == ["decision.recorded", "decision.recorded"]
    watch = AuditWatch()
    for ticked in (criteria(FIRSTS, "1.1"), criteria(SECONDS, "1.3") | criteria(FIRSTS, "1.1")):
        with pytest.raises(DecisionRefused) as refused:
            decide(given, evidence, second, ticked)
        assert refused.value.messages == [
            NOT_THEIR_UNIT.format(unit=str(Unit.objects.get(code=FIRSTS)))
        ]
    assert watch.actions() == []
    assert Decision.objects.count() == 2  # all or none: 1.3 of their own unit was not made


def test_the_registrations_assessor_cannot_decide_on_a_unit_given_to_someone_else(
    given, learner, assessor
):
    evidence = add(given, learner, "Call log")
    watch = AuditWatch()
    with pytest.raises(DecisionRefused, match="is assessed by another assessor"):
        decide(given, evidence, assessor, criteria(SECONDS, "1.1"))
    evidence.refresh_from_db()
    assert not evidence.is_locked and not Decision.objects.exists() and watch.actions() == []
    # Every other unit stays theirs.
    assert len(decide(given, evidence, assessor, criteria(FIRSTS, "1.1"))) == 1


def test_an_assessor_with_no_unit_of_the_learner_decides_nothing(given, learner, centre):
    third = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR).user
    evidence = add(given, learner, "Call log")
    with pytest.raises(PermissionDenied):
        decide(given, evidence, third, criteria(SECONDS, "1.1"))
    assert not Decision.objects.exists()


def test_a_unit_assessor_signs_off_their_unit_and_the_registrations_assessor_cannot(
    given, learner, assessor, second
):
    evidence = add(given, learner, "Reflective account")
    decide(given, evidence, second, criteria(SECONDS))
    unit = Unit.objects.get(code=SECONDS)

    def sign(actor):
        return unit_sign_off(
            registration=given,
            unit_id=unit.pk,
            signature=actor.full_name,
            password=PASSWORD,
            declared=True,
            actor=actor,
        )

    with pytest.raises(DecisionRefused, match="is assessed by another assessor"):
        sign(assessor)
    assert not UnitSignOff.objects.exists()
    watch = AuditWatch()
    signed = sign(second)
    assert signed.signed_by == second and watch.actions() == ["unit.signed_off"]
    # And the second assessor signs off nothing of the registration's assessor's.
    with pytest.raises(DecisionRefused, match="is assessed by another assessor"):
        unit_sign_off(
            registration=given,
            unit_id=Unit.objects.get(code=FIRSTS).pk,
            signature="N",
            password=PASSWORD,
            declared=True,
            actor=second,
        )


def test_mappings_are_reviewed_by_the_assessor_of_their_unit(given, learner, assessor, second):
    evidence = add(given, learner, "Call log", criteria(SECONDS, "1.1") | criteria(FIRSTS, "1.1"))
    theirs = evidence.mappings.get(criterion__unit__code=SECONDS)
    firsts = evidence.mappings.get(criterion__unit__code=FIRSTS)
    for mapping, wrong in ((theirs, assessor), (firsts, second)):
        with pytest.raises(DecisionRefused, match="is assessed by another assessor"):
            mapping_review(mapping=mapping, confirm=True, feedback="", actor=wrong)
        mapping.refresh_from_db()
        assert mapping.status == MappingStatus.PROPOSED
    mapping_review(mapping=theirs, confirm=True, feedback="", actor=second)
    mapping_review(mapping=firsts, confirm=False, feedback="Not this one.", actor=assessor)
    assert set(evidence.mappings.values_list("status", flat=True)) == {
        MappingStatus.CONFIRMED,
        MappingStatus.REJECTED,
    }


def test_a_unit_assessor_writes_records_in_the_learners_portfolio(given, second):
    details = EvidenceDetails("Observed a call", ON, "observation", "Greeted the caller well.")
    record = evidence_record(registration=given, details=details, files=[], actor=second)
    assert record.created_by == second


# Pages ----------------------------------------------------------------------------------


def test_the_review_page_shows_another_assessors_unit_without_letting_it_be_decided(
    given, learner, assessor, second, centre
):
    evidence = add(given, learner, "Call log", criteria(SECONDS, "1.1") | criteria(FIRSTS, "1.1"))
    url = reverse("assessment:evidence-review", args=[evidence.pk])
    html = logged_in(second).get(url).content.decode()
    # Only their own unit's mapped item starts ticked; the other unit's items are disabled.
    [mine] = criteria(SECONDS, "1.1")
    [firsts] = criteria(FIRSTS, "1.1")
    assert f'value="{mine}" id="c-{mine}" checked>' in html
    assert f'value="{firsts}" id="c-{firsts}">' in html
    assert html.count('data-testid="unit-elsewhere"') == given.planned_units.count() - 1
    assert html.count("Another assessor assesses this unit: they confirm or reject") == 1
    # The registration's assessor sees the reverse.
    html = logged_in(assessor).get(url).content.decode()
    assert html.count('data-testid="unit-elsewhere"') == 1
    # An assessor of the centre with no unit of the learner does not open it.
    third = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR).user
    assert logged_in(third).get(url).status_code == 404


def test_a_decision_posted_on_another_assessors_unit_is_refused_on_the_form(given, learner, second):
    evidence = add(given, learner, "Call log")
    [firsts] = criteria(FIRSTS, "1.1")
    url = reverse("assessment:evidence-review", args=[evidence.pk])
    answer = logged_in(second).post(
        url, {"criteria": [firsts], "outcome": "met", "method": "product", "assessed_on": ON}
    )
    assert answer.status_code == 200
    assert "is assessed by another assessor" in answer.content.decode()
    assert not Decision.objects.exists()


def test_the_unit_page_offers_sign_off_only_to_the_units_assessor(given, assessor, second):
    unit = Unit.objects.get(code=SECONDS)
    url = reverse("assessment:unit-sign-off", args=[given.pk, unit.pk])
    assert 'name="password"' in logged_in(second).get(url).content.decode()
    assert 'name="password"' not in logged_in(assessor).get(url).content.decode()


# The caseload, its queue and its tracker --------------------------------------------------


def test_each_assessor_finds_the_learner_and_only_the_evidence_that_waits_for_them(
    given, learner, centre, assessor, second
):
    seconds = add(given, learner, "For the second", criteria(SECONDS, "1.1"))
    firsts = add(given, learner, "For the first", criteria(FIRSTS, "1.1"))
    both = add(given, learner, "For both", criteria(SECONDS, "1.2") | criteria(FIRSTS, "1.2"))
    unmapped = add(given, learner, "Not mapped yet")
    assert list(caseload_registrations(second, centre)) == [given]
    assert set(waiting_for_review(second, centre)) == {seconds, both}
    assert set(waiting_for_review(assessor, centre)) == {firsts, both, unmapped}
    home = logged_in(second).get("/").content.decode()
    assert learner.full_name in home and "For the second" in home and "For the first" not in home


def waiting_on_home(person) -> list[str]:
    """The titles of the evidence the person's home page lists as waiting, in its order."""
    home = logged_in(person).get("/").content.decode()
    listed = home.split('data-testid="waiting"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<a href="/assess/evidence/\d+/">([^<]*)</a>', listed)


def test_the_home_page_lists_what_the_queue_holds_for_shared_and_whole_registrations(
    given, learner, centre, assessor, second
):
    """The home page reads the waiting evidence by the caseload's ids, the registrations whose
    every unit is the assessor's apart from the others: the same evidence as the queue."""
    add(given, learner, "For the second", criteria(SECONDS, "1.1"))
    add(given, learner, "For the first", criteria(FIRSTS, "1.1"))
    add(given, learner, "Not mapped yet")
    (whole,) = many_learners(given, 1, prefix="whole")  # every unit the first assessor's
    add(whole, whole.learner, "All theirs")
    add(whole, whole.learner, "All theirs, mapped", criteria(SECONDS, "1.2"))
    for person in (assessor, second):
        queue = [e.title for e in waiting_for_review(person, centre)]
        assert waiting_on_home(person) == queue
    assert set(waiting_on_home(assessor)) == {
        "For the first",
        "Not mapped yet",
        "All theirs",
        "All theirs, mapped",
    }
    assert waiting_on_home(second) == ["For the second"]


def test_the_caseload_tracker_marks_the_units_another_assessor_assesses(given, assessor, second):
    url = reverse("assessment:caseload-tracker")
    html = logged_in(second).get(url).content.decode()
    units = given.planned_units.count()
    assert html.count("another assessor's unit") == units - 1
    assert f'aria-label="{SECONDS}: 0% met">' in html
    html = logged_in(assessor).get(url).content.decode()
    assert html.count("another assessor's unit") == 1
    assert f'aria-label="{SECONDS}: 0% met, another assessor\'s unit">' in html


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_unit_assessors_caseload_costs_the_same_queries_for_five_learners_and_two_hundred(
    given, learner, second
):
    """Learners the second assessor has a unit of, with evidence mapped to it waiting."""
    unit = Unit.objects.get(code=SECONDS)
    add(given, learner, "Call log", criteria(SECONDS, "1.1"))

    def crowd(n: int, prefix: str) -> None:
        regs = many_learners(given, n, prefix=prefix)
        RegistrationUnit.objects.filter(registration__in=regs, unit=unit).update(assessor=second)
        decisions_on(regs, second, 2)

    crowd(4, "few")
    client = logged_in(second)
    home, tracker = queries(client, "/"), queries(client, reverse("assessment:caseload-tracker"))
    crowd(195, "more")
    assert queries(client, "/") == home
    assert queries(client, reverse("assessment:caseload-tracker")) == tracker
    assert caseload_registrations(second, given.centre).count() == 200


# Who else follows -------------------------------------------------------------------------


def test_a_qualified_assessor_sees_the_learner_of_a_trainees_unit_to_countersign(
    registration, centre, centre_admin, trainee_assessor
):
    third = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR).user
    visible = Registration.objects.visible_to(third)
    assert registration not in visible
    registration_unit_assessor_change(
        registration=registration,
        unit=Unit.objects.get(code=SECONDS),
        assessor=trainee_assessor,
        actor=centre_admin,
    )
    assert registration in Registration.objects.visible_to(third)
    assert registration in Registration.objects.visible_to(trainee_assessor)


def test_a_learners_comment_on_evidence_mapped_to_a_unit_tells_that_units_assessor(
    given, learner, assessor, second
):
    evidence = add(given, learner, "Call log", criteria(SECONDS, "1.1"))
    comment_add(evidence=evidence, text="Is this enough?", actor=learner)
    told = Notification.objects.filter(kind=NotificationKind.EVIDENCE_COMMENT)
    assert list(told.values_list("recipient", flat=True)) == [second.pk]
    # The second assessor answers in the conversation; the learner is told.
    comment_add(evidence=evidence, text="Yes.", actor=second)
    assert told.filter(recipient=learner).exists()
    # Unmapped evidence is the registration's assessor's.
    other = add(given, learner, "Not mapped yet")
    comment_add(evidence=other, text="Where does this go?", actor=learner)
    assert told.filter(recipient=assessor).count() == 1
