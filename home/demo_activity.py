"""The demo centre's work in progress, made once through the same services people use, so that
every demo login opens on something to do:

- Leo Brown (CVQ): every unit met, its sufficiency recorded (two customers, two occasions, a
  sufficient period), signed off and countersigned, a summative IQA sample agreed: ready for a
  full certificate.
- Noah Williams (ProQual diploma): one unit achieved (a unit certificate can be claimed), a second
  in progress with an IQA action on it to answer, and new evidence waiting for review.
- Mia Campbell (CVQ): her trainee assessor's decisions wait for a qualified countersignature.
- Zara Ahmed (ProQual diploma): just registered, no evidence yet.
- Grace Mensah (IQA) has a sampling plan for the ProQual diploma, and an answered action to close.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from assessment.models import Decision
from assessment.requirements_met import evidence_on_unit, tracked
from assessment.services import (
    Judgement,
    decision_record,
    evidence_record,
    requirement_show,
    sufficiency_record,
    unit_learner_countersign,
    unit_sign_off,
)
from iqa import services as iqa
from iqa.models import Verdict
from portal.models import User
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence, Registration
from portfolios.questions import Questions, question_set_create, question_set_submit
from qualifications.models import Criterion, KnowledgeItem, RangeItem, Unit


def person(email: str) -> User:
    return User.objects.get(email=email)


def registration_of(email: str, code: str) -> Registration | None:
    return Registration.objects.filter(learner__email=email, qualification__code=code).first()


def targets_of(unit: Unit, numbers: Sequence[str] = ()) -> Targets:
    """Every criterion, range and knowledge item of the unit, or only the numbered criteria."""
    criteria = Criterion.objects.filter(unit=unit)
    if numbers:
        chosen = criteria.filter(number__in=numbers)
        return Targets(criteria=frozenset(chosen.values_list("pk", flat=True)))
    return Targets(
        criteria=frozenset(criteria.values_list("pk", flat=True)),
        range_items=frozenset(RangeItem.objects.filter(unit=unit).values_list("pk", flat=True)),
        knowledge_items=frozenset(
            KnowledgeItem.objects.filter(unit=unit).values_list("pk", flat=True)
        ),
    )


def evidence(
    registration: Registration,
    title: str,
    body: str,
    days_ago: int,
    targets: Targets,
    kind: str = "",
) -> Evidence:
    """A text file the learner uploads and maps, dated `days_ago`, of the kind of evidence
    given (where a unit's rules require a kind, the evidence says it: decision 53)."""
    learner = registration.learner
    on = datetime.date.today() - datetime.timedelta(days=days_ago)
    name = title.lower().replace(" ", "-")[:40] + ".txt"
    item = evidence_add(
        registration=registration,
        details=EvidenceDetails(title, on, "product", body.split("\n")[0], kind=kind),
        files=[SimpleUploadedFile(name, body.encode(), content_type="text/plain")],
        declared=True,
        actor=learner,
    )
    mapping_propose(evidence=item, targets=targets, actor=learner)
    return item


def meet(
    registration: Registration,
    assessor: User,
    targets: Targets,
    items: Sequence[Evidence],
    days_ago: int,
) -> list[Decision]:
    """Meet the criteria and range items on `items`, and the knowledge items on the assessor's
    record of questions and answers, knowledge evidence: CVQ U00306 asks that "Underpinning
    knowledge must be assessed using questioning" (decision 53)."""
    on = datetime.date.today() - datetime.timedelta(days=days_ago)
    made = []
    performed = Targets(criteria=targets.criteria, range_items=targets.range_items)
    if performed.criteria or performed.range_items:
        made += decision_record(
            registration=registration,
            targets=performed,
            judgement=Judgement("met", "product", on, "Clear, well-explained evidence."),
            evidence=list(items),
            actor=assessor,
        )
    if targets.knowledge_items:
        title = "Questions on underpinning knowledge"
        details = EvidenceDetails(title, on, "questioning", KNOWLEDGE_ANSWERS, kind="knowledge")
        asked = evidence_record(
            registration=registration, details=details, files=[], actor=assessor
        )
        made += decision_record(
            registration=registration,
            targets=Targets(knowledge_items=targets.knowledge_items),
            judgement=Judgement("met", "questioning", on, "Sound answers to every question."),
            evidence=[asked],
            actor=assessor,
        )
    return made


# What the assessor writes of each customer and occasion, and of the period (decision 52).
CUSTOMERS = (
    "Mrs Achebe, a billing query by telephone",
    "Mr Oduya, a complaint about a late delivery",
)
OCCASIONS = ("A Monday morning rush at the desk", "A quiet Tuesday afternoon, follow-up calls")
PERIOD = (
    "Evidence from real customers over several weeks of the learner's job: enough for me to be "
    "confident of their competence."
)


def requirements_met(registration: Registration, assessor: User, unit: Unit) -> list[str]:
    """As the assessor does on the unit page: each evidence requirement item recorded as shown
    and each sufficiency rule met, from the learner's real-work evidence for the unit (decision
    52). Returns the numbers of the unit's conditions on the evidence, ticked at sign-off."""
    state = tracked(registration, unit.pk)
    # Performance over different customers and occasions: not the assessor's questioning record.
    pieces = list(
        evidence_on_unit(registration, unit.pk)
        .exclude(kind="knowledge")
        .order_by("occurred_on", "pk")
    )
    for item in state.items:
        if item.shown is None:
            requirement_show(
                registration=registration,
                unit_id=unit.pk,
                reference=item.item.reference,
                evidence=[pieces[0].pk],
                actor=assessor,
            )
    for rule in state.rules:
        if rule.rule.minimum is None:  # a sufficient period: the assessor's judgement
            sufficiency_record(
                registration=registration,
                unit_id=unit.pk,
                measure=rule.rule.measure,
                evidence=None,
                description=PERIOD,
                actor=assessor,
            )
            continue
        said = CUSTOMERS if rule.rule.measure == "customers" else OCCASIONS
        for piece, description in zip(pieces, said[: rule.rule.minimum], strict=False):
            sufficiency_record(
                registration=registration,
                unit_id=unit.pk,
                measure=rule.rule.measure,
                evidence=piece.pk,
                description=description,
                actor=assessor,
            )
    return [r.number for r in state.conditions]


def achieve(registration: Registration, assessor: User, unit: Unit, password: str) -> None:
    """Record the unit's evidence requirements and sufficiency, sign the (met) unit off with the
    assessor's password, ticking its conditions; the learner countersigns."""
    conditions = requirements_met(registration, assessor, unit)
    sign_off = unit_sign_off(
        registration=registration,
        unit_id=unit.pk,
        signature=assessor.full_name,
        password=password,
        declared=True,
        actor=assessor,
        conditions=conditions,
    )
    learner = registration.learner
    unit_learner_countersign(
        sign_off=sign_off, signature=learner.full_name, declared=True, actor=learner
    )


def iqa_judgement(verdict: str, feedback: str) -> iqa.Judgement:
    return iqa.Judgement(True, True, True, True, True, verdict, feedback)


@transaction.atomic
def demo_activity(*, password: str) -> bool:
    """Make the demo's work in progress, once; returns whether anything was made.

    `password` is the demo assessors' password, which signing a unit off asks for.
    """
    leo = registration_of("leo@riverside.test", "CCA010-02")
    noah = registration_of("noah@riverside.test", "601/3576/1")
    mia = registration_of("mia@riverside.test", "CCA010-02")
    if (
        leo is None
        or noah is None
        or mia is None
        or Evidence.objects.filter(registration__in=[leo, noah, mia]).exists()
    ):
        return False
    samir, tom = person("assessor@riverside.test"), person("trainee@riverside.test")
    grace = person("iqa@riverside.test")
    today = datetime.date.today()

    # Leo: everything achieved, a summative sample agreed.
    units = [p.unit for p in leo.planned_units.select_related("unit").order_by("unit__code")]
    half = len(units) // 2
    first = evidence(
        leo, "Call log and customer feedback", CALL_LOG, 40, merge(units[:half]), "performance"
    )
    second = evidence(
        leo, "Reflective account", REFLECTION, 30, merge(units[half:]), "supplementary"
    )
    # Another customer on another day, for every unit: its sufficiency asks for two of each.
    evidence(leo, "Witnessed complaint call", COMPLAINT, 28, merge(units), "performance")
    meet(leo, samir, merge(units[:half]), [first], 35)
    meet(leo, samir, merge(units[half:]), [second], 25)
    for unit in units:
        achieve(leo, samir, unit, password)
    sampled = units[0]
    iqa.sample_record(
        registration=leo,
        unit_id=sampled.pk,
        decisions=list(Decision.objects.filter(registration=leo, criterion__unit=sampled)),
        evidence=[first],
        judgement=iqa_judgement(Verdict.AGREE, "Decisions well supported by the call log."),
        actions=[],
        actor=grace,
    )

    # Noah: one unit achieved, another in progress with IQA actions, new evidence unreviewed.
    done = Unit.objects.get(code="F/506/2131")
    going = Unit.objects.get(code="A/506/2130")
    part = targets_of(going, ("1.1", "1.2"))
    notes = evidence(noah, "Customer service notes", NOTES, 21, merge([done]) | part)
    meet(noah, samir, merge([done]) | part, [notes], 18)
    achieve(noah, samir, done, password)
    sample = iqa.sample_record(
        registration=noah,
        unit_id=going.pk,
        decisions=list(Decision.objects.filter(registration=noah, criterion__unit=going)),
        evidence=[notes],
        judgement=iqa_judgement(Verdict.ACTION_REQUIRED, "Good start; two things to tighten."),
        actions=[
            ("Note which customer each call log entry refers to.", today - timedelta(days=3)),
            ("Ask Noah to date his reflective notes.", today + timedelta(days=10)),
        ],
        actor=grace,
    )
    answered = sample.actions.order_by("-due_on").first()  # the overdue one stays open
    assert answered is not None
    iqa.action_respond(
        action=answered, response="Noah has dated every reflective note.", actor=samir
    )
    evidence(noah, "Telephone calls, week 3", CALLS, 4, targets_of(going, ("2.1", "2.2", "2.3")))
    iqa.plan_generate(
        centre=noah.centre,
        qualification=noah.qualification,
        starts_on=today - datetime.timedelta(days=90),
        ends_on=today + datetime.timedelta(days=90),
        actor=grace,
    )

    # Mia: the trainee assessor's decisions wait for Samir's countersignature.
    cvq_unit = mia.planned_units.select_related("unit").order_by("unit__code").first()
    assert cvq_unit is not None
    title, targets = "Front desk observation notes", targets_of(cvq_unit.unit)
    work = evidence(mia, title, FRONT_DESK, 14, targets, "performance")
    meet(mia, tom, targets_of(cvq_unit.unit), [work], 10)

    # Written questions from Samir (decision 42): Noah's answered, now evidence to review;
    # Zara's waiting on her to-do.
    about = frozenset([going.pk])
    noahs = question_set_create(
        registration=noah, asked=Questions(QUESTIONS_TITLE, QUESTIONS, about), actor=samir
    )
    question_set_submit(question_set=noahs, answers=NOAH_ANSWERS, declared=True, actor=noah.learner)
    if zara := registration_of("zara@riverside.test", "601/3576/1"):
        question_set_create(
            registration=zara, asked=Questions(QUESTIONS_TITLE, QUESTIONS, about), actor=samir
        )
    return True


def merge(units: Sequence[Unit]) -> Targets:
    whole = Targets()
    for unit in units:
        whole = whole | targets_of(unit)
    return whole


CALL_LOG = """Call log, customer service desk
Mon: 34 calls, 2 escalations (billing), both resolved the same day.
Tue: customer complaint about a late delivery; apologised, rebooked, followed up by e-mail.
Feedback card: "Leo was patient and explained everything clearly."
"""
COMPLAINT = """Complaint call, written up with my supervisor
Mr Oduya rang about a late delivery. I apologised, checked the order, rebooked the delivery
for the next morning and e-mailed him the confirmation. My supervisor listened in.
"""
REFLECTION = """Reflective account
What went well: I keep to the call script but listen first. What I would change: I now write
a short note after each difficult call so the next colleague knows what was promised.
"""
NOTES = """Customer service notes
I keep notes of the customers I help each day: what they asked, what I did, and what I
promised. My manager checks them weekly.
"""
CALLS = """Telephone calls, week 3
Seven recorded calls with my notes on each: greeting, finding the need, solving it, closing.
"""
FRONT_DESK = """Front desk observation notes
My supervisor watched me welcome guests, check them in and handle a room change request.
"""
KNOWLEDGE_ANSWERS = """Oral questions on the unit's underpinning knowledge, with the learner's
answers noted: the organisation's procedures, who to tell and when, and why each matters.
"""
QUESTIONS_TITLE = "Handling complaints: what you know"
QUESTIONS = [
    "What are the first three things you do when a customer complains?",
    "When do you pass a complaint to your manager, and why?",
]
NOAH_ANSWERS = [
    "I listen without interrupting, say sorry for how they feel, and repeat the problem back "
    "so they know I have understood it.",
    "When I cannot put it right myself (a refund over my limit, or a complaint about a "
    "colleague): the manager can decide, and the customer hears a date when they will.",
]
