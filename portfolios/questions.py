"""Questions an assessor writes for a learner, answered on the page (decision 42): the assessor
sets them; the learner saves answers as a draft, then sends them once; the set becomes evidence
of method Questioning whose text is the questions and answers exactly as they were, mapped and
judged like any other. Every step is under the centre's chain and the registration's lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from portal.audit import audit_append, lock_chain
from portal.models import RoleKind, User
from portal.refusals import Refused
from portfolios import notices
from portfolios.evidence import DECLARATION_NEEDED, EvidenceDetails, evidence_store
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import (
    Evidence,
    EvidenceMethod,
    QuestionSet,
    Registration,
    RegistrationUnit,
)
from portfolios.services import holds

MAX_QUESTIONS = 20
QUESTION_MAX_LENGTH = 1_000
ANSWER_MAX_LENGTH = 3_000

ONLY_THE_ASSESSOR = "Only the learner's assessor can set them questions."
ONLY_THE_LEARNER = "Only the learner can answer the questions set for them."
QUESTIONS_NEEDED = "Write at least one question."
TOO_MANY_QUESTIONS = "{count} questions is more than the {limit} a set may hold: split them."
QUESTION_TOO_LONG = "Question {n} is {length} characters long; the most is {limit}."
NOT_IN_PLAN = "Choose units and knowledge items from the learner's plan only."
ANSWER_TOO_LONG = "Your answer to question {n} is {length} characters long; the most is {limit}."
ANSWER_NEEDED = "Answer this question before you send your answers."
ANSWERS_MISSING = "Answer every question before you send them: {numbers} not answered yet."
WRONG_COUNT = "The questions changed while you were answering: reload the page."
SENT_ALREADY = "You sent your answers on {when}: they are kept as they were and cannot change."


class QuestionsRefused(Refused):
    """Questions that cannot be set, or answers that cannot be saved or sent, as asked."""


@dataclass(frozen=True)
class Questions:
    title: str
    questions: Sequence[str]
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    knowledge_ids: frozenset[int] = field(default_factory=frozenset)


def question_problems(questions: Sequence[str]) -> list[str]:
    if not questions:
        return [QUESTIONS_NEEDED]
    problems = []
    if len(questions) > MAX_QUESTIONS:
        problems.append(TOO_MANY_QUESTIONS.format(count=len(questions), limit=MAX_QUESTIONS))
    for n, text in enumerate(questions, start=1):
        if len(text) > QUESTION_MAX_LENGTH:
            problems.append(
                QUESTION_TOO_LONG.format(n=n, length=len(text), limit=QUESTION_MAX_LENGTH)
            )
    return problems


def in_plan(registration: Registration, asked: Questions) -> bool:
    """Whether every unit and knowledge item chosen is in the learner's plan."""
    planned = set(
        RegistrationUnit.objects.filter(registration=registration).values_list("unit_id", flat=True)
    )
    return asked.unit_ids <= planned and Targets(knowledge_items=asked.knowledge_ids).within(
        planned
    )


def question_set_create(
    *, registration: Registration, asked: Questions, actor: User
) -> QuestionSet:
    """One of the learner's assessors (the registration's, or a unit's: decision 39) sets
    written questions; the learner is told."""
    if not assesses(actor, registration):
        raise PermissionDenied(ONLY_THE_ASSESSOR)
    questions = [q.strip() for q in asked.questions if q.strip()]
    problems = question_problems(questions)
    if not in_plan(registration, asked):
        problems.append(NOT_IN_PLAN)
    if problems:
        raise QuestionsRefused(problems)
    with transaction.atomic():
        lock_chain(registration.centre_id)
        locked = Registration.objects.lock(registration, refused=QuestionsRefused)
        made = QuestionSet.objects.create(
            registration=locked,
            title=asked.title.strip(),
            questions=questions,
            set_by=actor,
            set_at=timezone.now(),
        )
        made.units.set(sorted(asked.unit_ids))
        made.knowledge_items.set(sorted(asked.knowledge_ids))
        audit_append(
            actor=actor,
            action="questions.set",
            centre_id=registration.centre_id,
            subject=f"question_set:{made.pk}",
            after={
                "registration": registration.pk,
                "title": made.title,
                "questions": questions,
                "units": sorted(asked.unit_ids),
                "knowledge_items": sorted(asked.knowledge_ids),
            },
        )
        notices.questions_set(made, actor)
    return made


def answer_problems(question_set: QuestionSet, answers: Sequence[str]) -> list[str]:
    if len(answers) != len(question_set.questions):
        return [WRONG_COUNT]
    return [
        ANSWER_TOO_LONG.format(n=n, length=len(text), limit=ANSWER_MAX_LENGTH)
        for n, text in enumerate(answers, start=1)
        if len(text) > ANSWER_MAX_LENGTH
    ]


def locked_to_answer(question_set: QuestionSet, actor: User) -> QuestionSet:
    """The set, held for the transaction, if its learner may still answer it."""
    registration = question_set.registration
    if registration.learner_id != actor.pk:
        raise PermissionDenied(ONLY_THE_LEARNER)
    lock_chain(registration.centre_id)
    Registration.objects.lock(registration, refused=QuestionsRefused)
    locked = QuestionSet.objects.select_for_update().select_related("registration", "set_by")
    found = locked.get(pk=question_set.pk)
    if found.submitted_at is not None:
        when = date_format(timezone.localtime(found.submitted_at), "j F Y")
        raise QuestionsRefused(SENT_ALREADY.format(when=when))
    return found


@transaction.atomic
def question_set_save(
    *, question_set: QuestionSet, answers: Sequence[str], actor: User
) -> QuestionSet:
    """The learner's answers kept as a draft, to change until they send them."""
    if question_set.registration.learner_id != actor.pk:
        raise PermissionDenied(ONLY_THE_LEARNER)
    if problems := answer_problems(question_set, answers):
        raise QuestionsRefused(problems)
    locked = locked_to_answer(question_set, actor)
    if [answer for _, answer in locked.pairs()] == list(answers):
        return locked  # saved again unchanged (or empty, as it began): nothing to record
    locked.answers, locked.saved_at = list(answers), timezone.now()
    locked.save(update_fields=["answers", "saved_at"])
    audit_append(
        actor=actor,
        action="questions.draft_saved",
        centre_id=locked.registration.centre_id,
        subject=f"question_set:{locked.pk}",
        after={"answered": sum(1 for a in answers if a.strip())},
    )
    return locked


def transcript(question_set: QuestionSet, answers: Sequence[str], learner: User) -> str:
    """The evidence's text: each question and its answer, exactly as they were."""
    set_on = date_format(timezone.localtime(question_set.set_at), "j F Y")
    head = (
        f"Questions set by {question_set.set_by.full_name} on {set_on}, "
        f"answered in writing by {learner.full_name}."
    )
    parts = [head]
    for n, (question, answer) in enumerate(zip(question_set.questions, answers, strict=True), 1):
        parts.append(f"Question {n}: {question}\nAnswer: {answer}")
    return "\n\n".join(parts)


def question_set_submit(
    *, question_set: QuestionSet, answers: Sequence[str], declared: bool, actor: User
) -> Evidence:
    """The learner sends their answers, once: the set becomes evidence (Questioning) in their
    portfolio, proposed for the knowledge items it was set for, and their assessor is told."""
    if question_set.registration.learner_id != actor.pk:
        raise PermissionDenied(ONLY_THE_LEARNER)
    problems = answer_problems(question_set, answers)
    if not problems:
        missing = [str(n) for n, a in enumerate(answers, start=1) if not a.strip()]
        if missing:
            problems.append(ANSWERS_MISSING.format(numbers=", ".join(missing)))
    problems += [] if declared else [DECLARATION_NEEDED]
    if problems:
        raise QuestionsRefused(problems)
    with transaction.atomic():
        locked = locked_to_answer(question_set, actor)
        registration = locked.registration
        details = EvidenceDetails(
            title=locked.title,
            occurred_on=timezone.localdate(),
            method=EvidenceMethod.QUESTIONING,
            description=transcript(locked, answers, actor),
        )
        evidence = evidence_store(
            registration, details, [], [], actor, action="evidence.questions_answered"
        )
        locked.answers, locked.submitted_at, locked.evidence = (
            list(answers),
            timezone.now(),
            evidence,
        )
        locked.save(update_fields=["answers", "submitted_at", "evidence"])
        audit_append(
            actor=actor,
            action="questions.answered",
            centre_id=registration.centre_id,
            subject=f"question_set:{locked.pk}",
            after={"evidence": evidence.pk, "answers": list(answers)},
        )
        # Proposed for the knowledge items still in the plan (the plan may have changed since).
        knowledge = frozenset(
            locked.knowledge_items.filter(
                unit__in=registration.planned_units.values("unit_id")
            ).values_list("pk", flat=True)
        )
        if knowledge:
            mapping_propose(
                evidence=evidence, targets=Targets(knowledge_items=knowledge), actor=actor
            )
        notices.questions_answered(locked, evidence, actor)
    return evidence


def assesses(person: User, registration: Registration) -> bool:
    """Whether the person is one of the learner's assessors, while an assessor at the centre."""
    return registration.is_assessed_by(person) and holds(
        person, RoleKind.ASSESSOR, registration.centre_id
    )
