"""RPL for a criterion (or a CVQ range or knowledge item), decision 54: the item counts as met
with no decision, on the unit page, the tracker and the registration page, and the unit can be
signed off once every other item is met by assessment; the rules engine never sees it (only a
whole unit's RPL achieves a unit). Also: who may agree RPL where the centre enforces its
competence register."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from assessment.progress import (
    CriterionState,
    progress_of,
    standings_of,
    unit_progress,
    with_standing,
)
from assessment.rpl_competence import OUTSIDE_SCOPE
from assessment.services import (
    DecisionRefused,
    Judgement,
    decision_record,
    unit_missing,
    unit_sign_off,
)
from assessment.tracker import CellState, caseload_grids, registration_tracker
from competence.models import Award, EntryStatus
from competence.services import EntryDetails, entry_record, register_enforce
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import EvidenceMethod, PriorLearning, PriorLearningItem, Registration
from portfolios.prior_learning import (
    ALREADY_RECORDED,
    ITEM_ALREADY_RPL,
    ITEM_MET,
    NO_ITEMS,
    NOT_OF_THE_UNIT,
    SIGNED_ON_IT,
    PriorDetails,
    PriorLearningRefused,
    met_by_rpl,
    rpl_item_withdraw,
    rpl_items_record,
    rpl_record,
)
from portfolios.services import DROPPED_PRIOR_ITEMS, RegistrationRejected, registration_choose_units
from portfolios.unit_states import unit_standings
from qualifications.kept_units import units_rows
from qualifications.models import Criterion, KnowledgeItem, RangeItem, Unit
from tests.audit import AuditWatch
from tests.factories import PASSWORD
from tests.portfolios.files import pdf

UNIT = "F/506/2131"  # mandatory in the SFJ registration's plan
PRIOR = "Contact centre course (ABC Awards, no. 88123), May 2021: covered handling complaints"


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def criteria(code: str = UNIT) -> list[Criterion]:
    return list(Criterion.objects.filter(unit__code=code).order_by("position"))


@pytest.fixture
def certificate_copy(registration, learner):
    details = EvidenceDetails("My 2021 certificate", datetime.date(2026, 9, 2), EvidenceMethod.RPL)
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def agree(registration, actor, evidence, items, code=UNIT):
    details = PriorDetails(unit(code).pk, PRIOR, datetime.date(2021, 5, 4), evidence)
    return rpl_items_record(registration=registration, details=details, items=items, actor=actor)


def decide(registration, assessor, evidence, criteria_ids):
    targets = Targets(criteria=frozenset(criteria_ids))
    decision_record(
        registration=registration,
        targets=targets,
        judgement=Judgement("met", "product", datetime.date(2026, 10, 6)),
        evidence=[evidence],
        actor=assessor,
    )


def sign_off(registration, assessor, code=UNIT):
    return unit_sign_off(
        registration=registration,
        unit_id=unit(code).pk,
        signature="Samir Patel",
        password=PASSWORD,
        declared=True,
        actor=assessor,
    )


def test_criteria_met_through_rpl_need_no_decision_and_the_unit_is_then_signed_off(
    registration, assessor, learner, certificate_copy
):
    first, second, *rest = criteria()
    watch = AuditWatch()
    made = agree(
        registration,
        assessor,
        certificate_copy,
        [("criterion", first.pk), ("criterion", second.pk)],
    )
    assert [m.criterion for m in made] == [first, second]
    [entry] = watch.entries()
    assert entry.action == "prior_learning.items_rpl_recorded" and entry.after is not None
    assert entry.after["items"] == [f"criterion {first.number}", f"criterion {second.number}"]
    certificate_copy.refresh_from_db()
    assert certificate_copy.is_locked  # agreed on: the learner can no longer take it away

    # Only the other criteria stand between the unit and its sign-off.
    assert unit_missing(registration, unit(UNIT).pk) == [
        f"criterion {c.number} has no decision" for c in rest
    ]
    # The unit page, the tracker and the registration page say so.
    [rows] = units_rows(registration.qualification, [unit(UNIT).pk])
    states = {
        row.criterion.pk: row.state
        for _, progress in unit_progress(registration, rows).outcomes
        for row in progress
    }
    assert states[first.pk] == states[second.pk] == CriterionState.RPL
    assert {states[c.pk] for c in rest} == {CriterionState.NO_EVIDENCE}
    [tracked] = [t for t in registration_tracker(registration) if t.unit.code == UNIT]
    assert [c.state for c in tracked.cells[:2]] == [CellState.RPL, CellState.RPL]
    assert tracked.met == 2
    assert unit_standings(registration, [unit(UNIT).pk])[unit(UNIT).pk].met == 2
    client = Client()
    client.force_login(learner)
    page = client.get(reverse("assessment:unit-progress", args=[registration.pk, unit(UNIT).pk]))
    assert page.content.decode().count(CriterionState.RPL) == 2
    # The rules engine is untouched: the unit is not achieved until it is signed off.
    assert progress_of([registration])[0].verdict.rpl_units == ()
    with pytest.raises(DecisionRefused):
        sign_off(registration, assessor)

    decide(registration, assessor, certificate_copy, [c.pk for c in rest])
    assert unit_missing(registration, unit(UNIT).pk) == []
    signed = sign_off(registration, assessor)
    assert signed.unit == unit(UNIT)
    # The sign-off rests on the RPL: it cannot be withdrawn until the sign-off is unlocked.
    with pytest.raises(PriorLearningRefused) as refused:
        rpl_item_withdraw(record=made[0], reason="Not genuine", actor=assessor)
    name = f"{UNIT} {unit(UNIT).title}"
    assert refused.value.messages == [
        SIGNED_ON_IT.format(unit=name, item=f"criterion {first.number}")
    ]


def test_a_withdrawn_criterion_rpl_is_kept_and_the_criterion_needs_a_decision_again(
    registration, assessor, certificate_copy
):
    first = criteria()[0]
    [made] = agree(registration, assessor, certificate_copy, [("criterion", first.pk)])
    assert f"criterion {first.number} has no decision" not in unit_missing(
        registration, unit(UNIT).pk
    )
    rpl_item_withdraw(record=made, reason="The course did not cover it", actor=assessor)
    made.refresh_from_db()
    assert not made.in_force and made.withdrawal_reason == "The course did not cover it"
    assert met_by_rpl(registration) == set()
    assert f"criterion {first.number} has no decision" in unit_missing(registration, unit(UNIT).pk)
    # Agreed again afterwards: the old record stays, withdrawn.
    agree(registration, assessor, certificate_copy, [("criterion", first.pk)])
    assert PriorLearningItem.objects.filter(registration=registration).count() == 2


def test_criterion_rpl_is_refused_where_it_has_no_place(
    registration, assessor, centre_admin, learner, certificate_copy
):
    first, second, *_ = criteria()
    for who in (centre_admin, learner):
        with pytest.raises(PermissionDenied):
            agree(registration, who, certificate_copy, [("criterion", first.pk)])
    with pytest.raises(PriorLearningRefused) as refused:
        agree(registration, assessor, certificate_copy, [])
    assert refused.value.messages == [NO_ITEMS]
    elsewhere = criteria("SFJ-CS2-03")[0]
    with pytest.raises(PriorLearningRefused) as refused:
        agree(registration, assessor, certificate_copy, [("criterion", elsewhere.pk)])
    assert refused.value.messages == [NOT_OF_THE_UNIT.format(unit=f"{UNIT} {unit(UNIT).title}")]
    decide(registration, assessor, certificate_copy, [second.pk])
    agree(registration, assessor, certificate_copy, [("criterion", first.pk)])
    with pytest.raises(PriorLearningRefused) as refused:
        agree(
            registration,
            assessor,
            certificate_copy,
            [("criterion", first.pk), ("criterion", second.pk)],
        )
    assert sorted(refused.value.messages) == sorted(
        [
            ITEM_ALREADY_RPL.format(item=f"criterion {first.number}"),
            ITEM_MET.format(item=f"criterion {second.number}"),
        ]
    )
    assert PriorLearningItem.objects.count() == 1


def test_a_unit_met_as_a_whole_takes_no_criterion_rpl(registration, assessor, certificate_copy):
    code = "K/503/0421"
    details = PriorDetails(unit(code).pk, PRIOR, datetime.date(2021, 5, 4), certificate_copy)
    rpl_record(registration=registration, details=details, actor=assessor)
    with pytest.raises(PriorLearningRefused) as refused:
        agree(registration, assessor, certificate_copy, [("criterion", criteria(code)[0].pk)], code)
    what = "achieved through RPL"
    assert refused.value.messages == [
        ALREADY_RECORDED.format(unit=f"{code} {unit(code).title}", what=what)
    ]


def test_a_cvq_knowledge_item_met_through_rpl_needs_no_decision(
    cvq_registration, assessor, learner
):
    details = EvidenceDetails("Old course", datetime.date(2026, 9, 2), EvidenceMethod.RPL)
    evidence = evidence_add(
        registration=cvq_registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    item = KnowledgeItem.objects.filter(unit__in=cvq_registration.planned_units.values("unit"))[0]
    code = item.unit.code
    assert f"knowledge K{item.number} has no decision" in unit_missing(
        cvq_registration, item.unit_id
    )
    agree(cvq_registration, assessor, evidence, [("knowledge_item", item.pk)], code)
    assert f"knowledge K{item.number} has no decision" not in unit_missing(
        cvq_registration, item.unit_id
    )
    [rows] = units_rows(cvq_registration.qualification, [item.unit_id])
    others = unit_progress(cvq_registration, rows).other_items
    assert [o.state for o in others if o.item.pk == item.pk and o.kind == "knowledge_item"] == [
        CriterionState.RPL
    ]


def test_an_enforcing_centre_lets_only_an_assessor_whose_award_covers_the_unit_agree_rpl(
    registration, centre, centre_admin, assessor, certificate_copy
):
    """Decision 54: RPL has no countersigning, so outside the assessor's scope it is refused
    (a decision there would be provisional), naming who may agree it."""
    register_enforce(centre=centre, on=True, actor=centre_admin)
    code = "K/503/0421"
    details = PriorDetails(unit(code).pk, PRIOR, datetime.date(2021, 5, 4), certificate_copy)
    with pytest.raises(PriorLearningRefused) as refused:
        rpl_record(registration=registration, details=details, actor=assessor)
    assert refused.value.messages == [OUTSIDE_SCOPE]
    with pytest.raises(PriorLearningRefused, match="competence register"):
        agree(registration, assessor, certificate_copy, [("criterion", criteria()[0].pk)])
    assert not PriorLearning.objects.exists() and not PriorLearningItem.objects.exists()
    entry_record(
        centre=centre,
        person=assessor,
        details=EntryDetails(
            award=Award.ASSESSING_COMPETENCE,
            status=EntryStatus.HELD,
            achieved_on=datetime.date(2020, 1, 6),
            units=[unit(code)],
        ),
        actor=centre_admin,
    )
    rpl_record(registration=registration, details=details, actor=assessor)
    with pytest.raises(PriorLearningRefused, match="competence register"):  # not its scope
        agree(registration, assessor, certificate_copy, [("criterion", criteria()[0].pk)])


def test_the_assessor_ticks_criteria_on_the_page_and_everyone_sees_them_met(
    registration, assessor, learner, centre_admin
):
    first, second, *_ = criteria()
    unit_page = reverse("assessment:unit-progress", args=[registration.pk, unit(UNIT).pk])
    url = reverse("portfolios:rpl-items-new", args=[registration.pk, unit(UNIT).pk])
    client = Client()
    client.force_login(assessor)
    assert url in client.get(unit_page).content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert f"criterion:{first.pk}" in dict(page.context["form"].fields["items"].choices)
    response = client.post(
        url,
        {
            "items": [f"criterion:{first.pk}", f"criterion:{second.pk}"],
            "description": PRIOR,
            "achieved_on": "2021-05-04",
            "evidence_files": pdf(extra=b"course certificate"),
        },
    )
    assert response.status_code == 302 and response["Location"] == unit_page
    made = list(PriorLearningItem.objects.order_by("pk"))
    assert [m.criterion for m in made] == [first, second]
    assert made[0].evidence.method == EvidenceMethod.RPL
    # Met, they are no longer offered.
    offered = dict(client.get(url).context["form"].fields["items"].choices)
    assert f"criterion:{first.pk}" not in offered
    for who in (learner, centre_admin):
        viewer = Client()
        viewer.force_login(who)
        shown = viewer.get(reverse("portfolios:registration-detail", args=[registration.pk]))
        text = shown.content.decode()
        assert f"{UNIT}, criterion {first.number}" in text
        assert url not in viewer.get(unit_page).content.decode()
    # Withdrawn on its page by the centre admin, with a reason.
    admin = Client()
    admin.force_login(centre_admin)
    withdraw = reverse("portfolios:rpl-item-withdraw", args=[made[0].pk])
    assert admin.post(withdraw, {"reason": ""}).status_code == 200
    assert admin.post(withdraw, {"reason": "Recorded on the wrong criterion"}).status_code == 302
    made[0].refresh_from_db()
    assert not made[0].in_force


def test_nobody_but_the_units_qualified_assessor_opens_the_criteria_page(
    registration, learner, centre_admin, iqa
):
    url = reverse("portfolios:rpl-items-new", args=[registration.pk, unit(UNIT).pk])
    for who in (learner, centre_admin, iqa):
        client = Client()
        client.force_login(who)
        assert client.get(url).status_code == 403


def test_the_caseload_counts_a_criterion_met_through_rpl_once(
    registration, assessor, certificate_copy
):
    first, second, *_ = criteria()
    before = standings_of(list(with_standing(Registration.objects.filter(pk=registration.pk))))[0]
    [grid] = caseload_grids([registration_named(registration)], assessor)
    was = grid.rows[0].cells[unit(UNIT).pk].percent_met
    decide(registration, assessor, certificate_copy, [first.pk, second.pk])
    # First met both ways: its RPL agreed after a decision that met it (as where the decision
    # was still provisional then; a decision after the RPL is refused, decision 54 amended).
    # The service refuses RPL on a met item today, so the record is moved onto it.
    [made] = agree(registration, assessor, certificate_copy, [("criterion", criteria()[3].pk)])
    PriorLearningItem.objects.filter(pk=made.pk).update(criterion=first)
    after = standings_of(list(with_standing(Registration.objects.filter(pk=registration.pk))))[0]
    assert after.met == before.met + 2
    [grid] = caseload_grids([registration_named(registration)], assessor)
    items = len(criteria())
    assert grid.rows[0].cells[unit(UNIT).pk].percent_met == was + round(100 * 2 / items)
    agree(registration, assessor, certificate_copy, [("criterion", criteria()[2].pk)])
    [grid] = caseload_grids([registration_named(registration)], assessor)
    assert grid.rows[0].cells[unit(UNIT).pk].percent_met == round(100 * 3 / items)
    assert (
        standings_of(list(with_standing(Registration.objects.filter(pk=registration.pk))))[0].met
        == 3
    )


def registration_named(registration):
    return Registration.objects.select_related("qualification").get(pk=registration.pk)


def test_a_unit_with_criteria_met_through_rpl_cannot_leave_the_plan_until_withdrawn(
    registration, assessor, centre_admin, certificate_copy
):
    code = "SFJ-CS2-07"  # optional, in the plan
    [made] = agree(
        registration, assessor, certificate_copy, [("criterion", criteria(code)[0].pk)], code
    )
    others = ["K/503/0421", "A/506/2158", "T/506/2126"]
    with pytest.raises(RegistrationRejected) as refused:
        registration_choose_units(
            registration=registration, optional_units=others, actor=centre_admin
        )
    assert refused.value.messages == [DROPPED_PRIOR_ITEMS.format(unit=f"{code} {unit(code).title}")]
    rpl_item_withdraw(record=made, reason="Unit taken out of the plan", actor=centre_admin)
    registration_choose_units(registration=registration, optional_units=others, actor=centre_admin)
    assert not registration.planned_units.filter(unit__code=code).exists()


# Decision 52, amended after review: RPL for items obeys the unit's simulation rules.
CVQ_UNIT = "U00306"  # simulation allowed only in elements 2 to 4


def cvq_evidence(cvq_registration, learner, setting, kind=""):
    details = EvidenceDetails(
        f"Till drill ({setting}, {kind or 'kind not stated'})",
        datetime.date(2026, 9, 2),
        "product",
        setting=setting,
        kind=kind,
    )
    return evidence_add(
        registration=cvq_registration,
        details=details,
        files=[pdf(extra=f"{setting}{kind}".encode())],
        declared=True,
        actor=learner,
    )


def cvq_criterion(number):
    return Criterion.objects.get(unit__code=CVQ_UNIT, number=number)


@pytest.mark.parametrize("kind", ["", "performance"])
def test_rpl_for_criteria_is_refused_on_simulated_evidence_where_a_decision_would_be(
    cvq_registration, assessor, learner, kind
):
    simulated = cvq_evidence(cvq_registration, learner, "simulated", kind)
    numbers = ("1.1", "5.2")
    # The words a `met` decision on the same criteria and evidence is refused with.
    with pytest.raises(DecisionRefused) as decided:
        decision_record(
            registration=cvq_registration,
            targets=Targets(criteria=frozenset(cvq_criterion(n).pk for n in numbers)),
            judgement=Judgement("met", "product", datetime.date(2026, 10, 6)),
            evidence=[simulated],
            actor=assessor,
        )
    watch = AuditWatch()
    with pytest.raises(PriorLearningRefused) as refused:
        agree(
            cvq_registration,
            assessor,
            simulated,
            [("criterion", cvq_criterion(n).pk) for n in numbers],
            CVQ_UNIT,
        )
    assert refused.value.messages == decided.value.messages
    first, second = refused.value.messages
    assert first.startswith("Criterion 1.1 cannot be met on simulated performance evidence")
    assert second.startswith("Criterion 5.2 cannot be met on simulated performance evidence")
    rule = unit(CVQ_UNIT).simulation_rules.get(element="")
    assert f"“{rule.quote}”" in first
    assert refused.value.fields == {first: "evidence", second: "evidence"}
    assert not PriorLearningItem.objects.exists() and watch.actions() == []
    simulated.refresh_from_db()
    assert not simulated.is_locked


def test_rpl_for_criteria_on_simulated_evidence_is_agreed_where_simulation_is_allowed(
    cvq_registration, assessor, learner
):
    simulated = cvq_evidence(cvq_registration, learner, "simulated")
    made = agree(
        cvq_registration,
        assessor,
        simulated,
        [("criterion", cvq_criterion(n).pk) for n in ("2.1", "3.1", "4.1")],
        CVQ_UNIT,
    )
    assert len(made) == 3
    # Simulated knowledge evidence alone is no more real work (reversed after review, decision
    # 51 amended): refused where simulation is not allowed, agreed where it is.
    knowledge = cvq_evidence(cvq_registration, learner, "simulated", "knowledge")
    with pytest.raises(PriorLearningRefused) as refused:
        agree(
            cvq_registration,
            assessor,
            knowledge,
            [("criterion", cvq_criterion("1.1").pk)],
            CVQ_UNIT,
        )
    assert refused.value.messages[0].startswith(
        "Criterion 1.1 cannot be met on simulated evidence alone"
    )
    assert agree(
        cvq_registration, assessor, knowledge, [("criterion", cvq_criterion("2.2").pk)], CVQ_UNIT
    )
    # Real work is agreed anywhere.
    real = cvq_evidence(cvq_registration, learner, "real_work")
    assert agree(
        cvq_registration, assessor, real, [("criterion", cvq_criterion("5.1").pk)], CVQ_UNIT
    )


def test_the_criteria_form_shows_each_items_code_and_text_and_counts_in_words(
    registration, assessor
):
    first, second, *_ = criteria()
    url = reverse("portfolios:rpl-items-new", args=[registration.pk, unit(UNIT).pk])
    client = Client()
    client.force_login(assessor)
    page = client.get(url).content.decode()
    for item in (first, second):
        assert escape(f"Criterion {item.number}: {item.text}") in page
    posted = {
        "description": PRIOR,
        "achieved_on": "2021-05-04",
        "evidence_files": pdf(extra=b"course certificate"),
    }
    one = client.post(url, {**posted, "items": [f"criterion:{first.pk}"]}, follow=True)
    assert f"1 item of {UNIT} met through RPL." in one.content.decode()
    posted["evidence_files"] = pdf(extra=b"another copy")
    two = [f"criterion:{c.pk}" for c in criteria()[1:3]]
    assert f"2 items of {UNIT} met through RPL." in (
        client.post(url, {**posted, "items": two}, follow=True).content.decode()
    )


def test_the_criteria_form_of_a_cvq_unit_shows_its_range_and_knowledge_items_text(
    cvq_registration, assessor
):
    item = KnowledgeItem.objects.filter(unit__code=CVQ_UNIT)[0]
    scope = RangeItem.objects.filter(unit__code=CVQ_UNIT)[0]
    url = reverse("portfolios:rpl-items-new", args=[cvq_registration.pk, item.unit_id])
    client = Client()
    client.force_login(assessor)
    choices = dict(client.get(url).context["form"].fields["items"].choices)
    assert choices[f"knowledge_item:{item.pk}"] == f"K{item.number}: {item.text}"
    heading = f"{scope.heading}: " if scope.heading else ""
    assert choices[f"range_item:{scope.pk}"] == (f"Range {scope.reference}: {heading}{scope.text}")


def test_rpl_for_a_whole_unit_is_refused_on_simulated_evidence_where_the_unit_forbids_it(
    cvq_registration, assessor, learner
):
    """Decision 52, amended on 7 December 2026: a whole unit's RPL is for every item of it, so
    simulated performance evidence is refused wherever the unit or an element forbids
    simulation (U00306 allows it only in elements 2 to 4, seed 004, line 891)."""
    simulated = cvq_evidence(cvq_registration, learner, "simulated", "performance")
    details = PriorDetails(unit(CVQ_UNIT).pk, PRIOR, datetime.date(2021, 5, 4), simulated)
    watch = AuditWatch()
    with pytest.raises(PriorLearningRefused) as refused:
        rpl_record(registration=cvq_registration, details=details, actor=assessor)
    rule = unit(CVQ_UNIT).simulation_rules.get(element="")
    messages = refused.value.messages
    assert messages[0].startswith("Criteria 1.1, 1.2")
    assert "cannot be met on simulated performance evidence" in messages[0]
    assert f"“{rule.quote}”" in messages[0]
    assert not [m for m in messages if m.startswith("Criteria 2.1")]
    assert set(refused.value.fields.values()) == {"evidence"}
    assert not PriorLearning.objects.exists() and watch.actions() == []
    simulated.refresh_from_db()
    assert not simulated.is_locked
    # Real-work evidence of the prior learning is agreed.
    real = cvq_evidence(cvq_registration, learner, "real_work", "performance")
    details = PriorDetails(unit(CVQ_UNIT).pk, PRIOR, datetime.date(2021, 5, 4), real)
    assert rpl_record(registration=cvq_registration, details=details, actor=assessor)


def test_rpl_for_a_whole_unit_on_simulated_evidence_is_agreed_where_simulation_is_allowed(
    cvq_registration, assessor, learner
):
    for rule in unit(CVQ_UNIT).simulation_rules.all():
        rule.allowed = True
        rule.save()
    registration = Registration.objects.get(pk=cvq_registration.pk)
    simulated = cvq_evidence(registration, learner, "simulated", "performance")
    details = PriorDetails(unit(CVQ_UNIT).pk, PRIOR, datetime.date(2021, 5, 4), simulated)
    assert rpl_record(registration=registration, details=details, actor=assessor)
