"""The assessor is told before signing that their sign-off will be provisional, why, and who
can countersign it (or that nobody can); after deciding or signing, why their work is
provisional and what it waits for; the centre admin is warned when nobody can countersign
(decision 53, amended). And the sign-off page lists a unit's requirements and sufficiency
before its items, grouped with their counts."""

import datetime
import html

import pytest
from django.test import Client
from django.urls import reverse

from assessment.provisional import (
    BECAUSE_OUT_OF_SCOPE,
    BECAUSE_TRAINEE,
    NOBODY_CAN,
    WAITS_FOR,
)
from assessment.services import Judgement, decision_record
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.prior_learning import PriorDetails, exemption_record, prior_learning_withdraw
from qualifications.models import Criterion, Unit
from tests.assessment.test_requirements_met import UNIT as CG_UNIT
from tests.assessment.test_requirements_met import cg
from tests.assessment.test_sign_off_countersigned import colleague, met_and_countersigned
from tests.competence.register import award, enforce
from tests.factories import PASSWORD
from tests.iqa.test_services import BEGUN_UNIT, SIGNED_UNIT, decide
from tests.portfolios.files import pdf

__all__ = ["cg", "colleague"]

STRANDED = "provisional decisions or a provisional sign-off that nobody at the centre can"


def text_of(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def sign_off_url(registration, code=SIGNED_UNIT):
    return reverse(
        "assessment:unit-sign-off", args=[registration.pk, Unit.objects.get(code=code).pk]
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def todo_of(user) -> list[str]:
    return [t.text for t in signed_in(user).get(reverse("home")).context["todo"]]


@pytest.fixture
def out_of_scope(centre, centre_admin, registration, assessor, colleague, sfj):
    """An enforcing centre; the assessor's award covers another unit only, the colleague's
    the whole qualification, who countersigned the assessor's decisions on the unit."""
    enforce(centre, centre_admin)
    award(centre, assessor, centre_admin, units=[Unit.objects.get(code=BEGUN_UNIT)])
    award(centre, colleague, centre_admin, qualifications=[sfj])
    met_and_countersigned(registration, assessor, colleague)
    return registration


def test_the_sign_off_page_says_before_signing_it_will_be_provisional_why_and_who_countersigns(
    out_of_scope, assessor, colleague
):
    client = signed_in(assessor)
    text = text_of(client.get(sign_off_url(out_of_scope)))
    assert (
        "Your sign-off will be provisional because " + BECAUSE_OUT_OF_SCOPE.format(unit=SIGNED_UNIT)
        in text
    )
    assert WAITS_FOR in text
    assert f"At the centre, {colleague.full_name} can countersign it." in text
    # Signed: the message says why and what it waits for.
    answer = client.post(
        sign_off_url(out_of_scope),
        {"declared": "on", "signature": "Samir Patel", "password": PASSWORD},
        follow=True,
    )
    said = text_of(answer)
    assert f"{SIGNED_UNIT} is signed off provisionally because" in said
    assert f"{WAITS_FOR}, then the learner countersigns" in said
    assert "Your sign-off will be provisional" not in said  # signed now


def test_a_qualified_assessor_in_scope_is_told_nothing_of_the_kind(
    centre, centre_admin, registration, assessor, sfj
):
    enforce(centre, centre_admin)
    award(centre, assessor, centre_admin, qualifications=[sfj])
    assert "will be provisional" not in text_of(signed_in(assessor).get(sign_off_url(registration)))


def test_when_nobody_can_countersign_the_assessor_is_told_and_the_centre_admin_warned(
    centre, centre_admin, registration, assessor, colleague, sfj
):
    enforce(centre, centre_admin)
    # The colleague's award covers another unit only: nobody is competent for this one.
    award(centre, colleague, centre_admin, units=[Unit.objects.get(code=BEGUN_UNIT)])
    decide(registration, assessor, SIGNED_UNIT)  # provisional, and nobody can countersign
    text = text_of(signed_in(assessor).get(sign_off_url(registration)))
    assert NOBODY_CAN in text
    [warning] = [t for t in todo_of(centre_admin) if STRANDED in t]
    assert warning.startswith("1 unit has ")
    # It names the unit, the learner and who decided, so the admin knows whose work waits.
    assert f"({SIGNED_UNIT} of {registration.learner.full_name} (by {assessor.full_name}))" in (
        warning
    )
    # Once the register names someone competent, the warning goes.
    award(centre, colleague, centre_admin, qualifications=[sfj])
    assert not [t for t in todo_of(centre_admin) if STRANDED in t]


def test_a_trainees_decisions_are_said_to_be_provisional_and_what_they_wait_for(
    registration, trainee_assessor, learner
):
    registration.assessor = trainee_assessor
    registration.save()
    details = EvidenceDetails("Shift log", datetime.date(2026, 10, 6), "product")
    evidence = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    first, second = Criterion.objects.filter(unit__code=SIGNED_UNIT).order_by("position")[:2]
    answer = signed_in(trainee_assessor).post(
        reverse("assessment:evidence-review", args=[evidence.pk]),
        {
            "criteria": [first.pk, second.pk],
            "outcome": "met",
            "method": "product",
            "assessed_on": "2026-10-06",
        },
        follow=True,
    )
    said = text_of(answer)
    assert "2 decisions recorded." in said
    assert f"They are provisional because {BECAUSE_TRAINEE}: they " in said
    assert WAITS_FOR.replace("waits", "wait") in said


def test_the_admin_is_not_warned_while_a_qualified_assessor_can_countersign(
    registration, trainee_assessor, assessor, centre_admin
):
    """Not enforced: any qualified assessor of the centre but the trainee can countersign."""
    registration.assessor = trainee_assessor
    registration.save()
    decision_record(
        registration=registration,
        targets=Targets(
            criteria=frozenset(
                Criterion.objects.filter(unit__code=SIGNED_UNIT).values_list("pk", flat=True)
            )
        ),
        judgement=Judgement("met", "observation", datetime.date(2026, 10, 6)),
        evidence=[],
        actor=trainee_assessor,
    )
    assert not [t for t in todo_of(centre_admin) if STRANDED in t]
    assessor.roles.update(is_trainee=True)  # now nobody qualified is left
    assert [t for t in todo_of(centre_admin) if STRANDED in t]


def test_the_sign_off_page_lists_requirements_and_sufficiency_before_the_items_with_counts(
    cg, assessor
):
    text = text_of(signed_in(assessor).get(sign_off_url(cg, CG_UNIT)))
    requirements = text.index("Evidence requirements and sufficiency: 9 still missing")
    items = text.index("Items of the unit: ")
    assert requirements < items
    assert "evidence requirement 5b" in text[requirements:items]
    criteria = Criterion.objects.filter(unit__code=CG_UNIT).count()
    assert f"Items of the unit: {criteria} with no decision" in text
    assert text.index("No decision yet") > requirements


def test_provisional_decisions_on_a_unit_since_held_through_rpl_or_exempt_are_not_counted(
    centre, centre_admin, registration, assessor, colleague, sfj
):
    """Decided sensibly: once the unit is achieved through RPL or exempt (or signed off by a
    qualified assessor), its provisional decisions count toward nothing and wait for nobody,
    so the admin is not asked to find a countersigner for them. Withdrawing the RPL or the
    exemption brings the warning back, as the decisions matter again."""
    enforce(centre, centre_admin)
    award(centre, colleague, centre_admin, units=[Unit.objects.get(code=BEGUN_UNIT)])
    decide(registration, assessor, SIGNED_UNIT)
    assert [t for t in todo_of(centre_admin) if STRANDED in t]
    details = PriorDetails(
        Unit.objects.get(code=SIGNED_UNIT).pk, "Exempt by the AO", datetime.date(2021, 5, 4)
    )
    record = exemption_record(registration=registration, details=details, actor=centre_admin)
    assert not [t for t in todo_of(centre_admin) if STRANDED in t]
    prior_learning_withdraw(record=record, reason="Recorded in error", actor=centre_admin)
    assert [t for t in todo_of(centre_admin) if STRANDED in t]


def test_the_admins_warning_is_read_in_as_many_queries_for_many_stranded_units(
    centre, centre_admin, registration, assessor, colleague, sfj
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessment.provisional import stranded

    enforce(centre, centre_admin)  # and nobody's award covers anything
    decide(registration, assessor, SIGNED_UNIT)
    with CaptureQueriesContext(connection) as few:
        assert len(stranded(centre)) == 1
    decide(registration, assessor, BEGUN_UNIT)
    with CaptureQueriesContext(connection) as many:
        found = stranded(centre)
    assert {s.unit for s in found} == {SIGNED_UNIT, BEGUN_UNIT}
    assert len(many) == len(few)


def test_the_review_page_warns_before_an_out_of_scope_decision_and_says_after_nobody_can(
    centre, centre_admin, registration, assessor, colleague, learner, sfj
):
    """Decision 53, amended: the review page, like the sign-off page, says before deciding that
    the decisions will be provisional and why, and after, in the sign-off page's words, that
    nobody at the centre can countersign them."""
    enforce(centre, centre_admin)
    # Nobody's award covers SIGNED_UNIT: the colleague's covers another unit only.
    award(centre, colleague, centre_admin, units=[Unit.objects.get(code=BEGUN_UNIT)])
    award(centre, assessor, centre_admin, units=[Unit.objects.get(code=BEGUN_UNIT)])
    details = EvidenceDetails("Shift log", datetime.date(2026, 10, 6), "product")
    evidence = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    client = signed_in(assessor)
    url = reverse("assessment:evidence-review", args=[evidence.pk])
    before = text_of(client.get(url))
    assert (
        f"Your decisions on unit {SIGNED_UNIT} will be provisional because "
        + BECAUSE_OUT_OF_SCOPE.format(unit=SIGNED_UNIT)
        in before
    )
    assert NOBODY_CAN in before
    # In scope for the begun unit: no warning for it.
    assert f"Your decisions on unit {BEGUN_UNIT}" not in before
    criterion = Criterion.objects.filter(unit__code=SIGNED_UNIT).order_by("position")[0]
    answer = client.post(
        url,
        {"criteria": [criterion.pk], "outcome": "met", "method": "product",
         "assessed_on": "2026-10-06"},
        follow=True,
    )  # fmt: skip
    [said] = [str(m) for m in answer.context["messages"]]
    assert said.startswith("1 decision recorded. It is provisional because")
    assert said.endswith(NOBODY_CAN)


def test_work_is_left_to_the_person_by_person_check_unless_three_others_could_countersign_it(
    centre, centre_admin, registration, assessor, colleague, learner, sfj, monkeypatch
):
    """`stranded` leaves out of its query the work on a qualification that three or more
    qualified assessors' awards cover whole: one at least is neither who did it nor the
    learner. Two covering it are not enough: here they are who decided (awarded since) and the
    learner, who is also an assessor of the centre, so nobody can countersign. And what it
    finds is what the check of every piece of waiting work finds."""

    from assessment import provisional
    from portal.models import Role, RoleKind

    def every_piece_checked() -> list:
        with monkeypatch.context() as m:
            m.setattr(provisional, "_settled", lambda qualified, scopes: [])
            return provisional.stranded(centre)

    enforce(centre, centre_admin)
    decide(registration, assessor, SIGNED_UNIT)  # out of scope: provisional
    Role.objects.create(user=learner, centre=centre, kind=RoleKind.ASSESSOR)
    award(centre, assessor, centre_admin, qualifications=[sfj])
    award(centre, learner, centre_admin, qualifications=[sfj])
    found = provisional.stranded(centre)
    assert [s.words for s in found] == [
        f"{SIGNED_UNIT} of {learner.full_name} (by {assessor.full_name})"
    ]
    assert found == every_piece_checked()
    award(centre, colleague, centre_admin, qualifications=[sfj])  # the third: settled
    assert provisional.stranded(centre) == every_piece_checked() == []
