"""What needs each person next, for the top of their home page: a few lines, each with a count,
a link to where it is done, and a word (not only a colour) when it is overdue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.urls import reverse

from assessment.caseload import WaitingEvidence, oldest_waiting
from assessment.models import Decision, UnitSignOff
from assessment.pages import WAITING_SHOWN, countersign_counts, first_evidence, returned_to
from certification.models import Certificate, RenderStatus, Transfer, TransferStatus
from certification.readiness import ClaimCounts, claim_counts
from iqa.countersigning import awaiting_iqa_countersignature
from iqa.models import Action, PlanItem
from iqa.pages import IqaActions, assessor_actions, iqa_actions
from portal.models import Role, RoleKind, User
from portfolios.models import (
    ASSESSOR_METHODS,
    Evidence,
    Mapping,
    MappingStatus,
    QuestionSet,
    Registration,
    still_open,
)


@dataclass(frozen=True)
class Todo:
    text: str
    url: str
    overdue: bool = False


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def todo_for(
    user: User, role: Role, today: datetime.date, *, actions: IqaActions | None = None
) -> list[Todo]:
    """The person's to-do list in the role they are acting in. An IQA's `actions`, if the page
    has read them already (`iqa_actions`), are counted, not read again."""
    if role.kind == RoleKind.LEARNER:
        return learner_todo(user, role)
    if role.kind == RoleKind.ASSESSOR:
        return assessor_todo(user, role, today)
    if role.kind == RoleKind.IQA:
        return iqa_todo(
            user, role, today, actions if actions is not None else iqa_actions(user, today)
        )
    return centre_admin_todo(role)


def learner_todo(user: User, role: Role) -> list[Todo]:
    todo = []
    waiting = UnitSignOff.objects.filter(
        registration__in=Registration.objects.open().filter(learner=user, centre=role.centre),
        learner_signed_at__isnull=True,
        unlocked_at__isnull=True,
    ).order_by("signed_at")
    if first := waiting.first():
        count = waiting.count()
        text = plural(count, "unit is", "units are")
        todo.append(
            Todo(
                f"{text} signed off by your assessor and waiting for your countersignature",
                # The unit's sign-off page holds the countersignature form.
                reverse("assessment:unit-sign-off", args=[first.registration_id, first.unit_id]),
            )
        )
    questions = QuestionSet.objects.filter(
        registration__in=Registration.objects.open().filter(learner=user, centre=role.centre),
        submitted_at__isnull=True,
    ).order_by("set_at", "pk")
    if first_set := questions.first():
        count = questions.count()
        todo.append(
            Todo(
                f"{plural(count, 'set', 'sets')} of questions from your assessor to answer "
                f"(the first: “{first_set.title}”)",
                reverse("portfolios:question-set-detail", args=[first_set.pk]),
            )
        )
    for registration in (
        Registration.objects.open()
        .filter(learner=user, centre=role.centre, evidence__isnull=True)
        .select_related("qualification")
    ):
        todo.append(
            Todo(
                f"Add your first evidence for {registration.qualification.title}",
                reverse("portfolios:evidence-new", args=[registration.pk]),
            )
        )
    return todo + evidence_todo(
        Registration.objects.open().filter(learner=user, centre=role.centre)
    )


def first_of(rows: QuerySet, field: str = "pk") -> tuple[int, int | None]:
    """How many rows, and the first (oldest) one's `field`: one query."""
    found = rows.order_by().aggregate(n=Count("pk"), first=Min(field))
    return found["n"], found["first"]


def evidence_todo(open_registrations: QuerySet[Registration]) -> list[Todo]:
    """A learner's evidence that waits for them, in three queries whatever there is: evidence
    not mapped to anything yet, mappings the assessor did not accept (until another piece of
    evidence is mapped to that item), and assessors' records waiting for their agreement."""
    todo = []
    evidence = Evidence.objects.filter(registration__in=open_registrations)
    unmapped, first = first_of(
        evidence.exclude(method__in=ASSESSOR_METHODS).filter(
            judged_at__isnull=True, mappings__isnull=True
        )
    )
    if first is not None:
        todo.append(
            Todo(
                f"{plural(unmapped, 'piece', 'pieces')} of evidence not yet linked to the "
                "criteria it shows: choose them",
                reverse("portfolios:evidence-map", args=[first]),
            )
        )
    rejected, first = first_of(rejected_not_replaced(open_registrations), "evidence_id")
    if first is not None:
        todo.append(
            Todo(
                f"{plural(rejected, 'link', 'links')} of your evidence to a criterion not "
                "accepted by your assessor: read why, and add or link other evidence",
                reverse("portfolios:evidence-detail", args=[first]),
            )
        )
    records, first = first_of(
        evidence.filter(method__in=ASSESSOR_METHODS, acknowledged_at__isnull=True).exclude(
            created_by=F("registration__learner")
        )
    )
    if first is not None:
        todo.append(
            Todo(
                f"{plural(records, 'record', 'records')} by your assessor about you waiting "
                "for your agreement that it is a true record",
                reverse("portfolios:evidence-detail", args=[first]) + "#acknowledgement",
            )
        )
    return todo


def rejected_not_replaced(open_registrations: QuerySet[Registration]) -> QuerySet[Mapping]:
    """Rejected mappings whose item no other mapping (proposed or confirmed) of the
    registration's evidence covers yet."""
    others = Mapping.objects.filter(
        evidence__registration=OuterRef("evidence__registration")
    ).exclude(status=MappingStatus.REJECTED)
    rejected = Mapping.objects.filter(
        evidence__registration__in=open_registrations, status=MappingStatus.REJECTED
    )
    covered = [Exists(others.filter(**{kind: OuterRef(kind)})) for kind in Mapping.KINDS]
    return rejected.exclude(Q(covered[0]) | Q(covered[1]) | Q(covered[2]))


@dataclass(frozen=True)
class AssessorWork:
    """What waits for an assessor, read once for both their to-do list and their home page."""

    waiting: list[WaitingEvidence]  # the oldest evidence waiting for review, up to WAITING_SHOWN
    waiting_count: int  # all of it
    to_countersign: int  # trainees' decisions (none for a trainee)
    learners_to_countersign: int
    actions: list[Action]  # the IQA's actions for them to answer
    # A trainee's decisions a qualified assessor returned with a reason, not decided again
    # (decision 36): how many, and the first one's item page. None for a qualified assessor.
    returned: int = 0
    returned_link: str = ""


def assessor_work(user: User, role: Role, caseload_ids: list[int] | None = None) -> AssessorWork:
    """Three queries, whatever there is. `caseload_ids`: the registrations of the caseload, when
    the caller has read them already."""
    waiting, count = oldest_waiting(user, role.centre, WAITING_SHOWN, caseload_ids)
    if role.is_trainee:  # the decisions returned to them, instead of any to countersign
        returned = list(
            returned_to(user)
            .filter(registration__centre=role.centre)
            .annotate(first_evidence_id=first_evidence())
            .values_list(
                "first_evidence_id", "registration_id", *(f"{k}_id" for k in Decision.KINDS)
            )
        )
        link = ""
        if returned:  # the first one's evidence's review page, where it is decided again
            evidence, registration, *items = returned[0]
            kind, item = next((k, i) for k, i in zip(Decision.KINDS, items, strict=True) if i)
            link = (
                reverse("assessment:evidence-review", args=[evidence])
                if evidence
                else reverse("assessment:item-history", args=[registration, kind, item])
            )
        actions = list(assessor_actions(user))
        return AssessorWork(waiting, count, 0, 0, actions, len(returned), link)
    decisions, learners = countersign_counts(user)
    return AssessorWork(waiting, count, decisions, learners, list(assessor_actions(user)))


def assessor_todo(
    user: User, role: Role, today: datetime.date, work: AssessorWork | None = None
) -> list[Todo]:
    todo = []
    work = work or assessor_work(user, role)
    if work.waiting:
        first = work.waiting[0]
        todo.append(
            Todo(
                f"{plural(work.waiting_count, 'piece', 'pieces')} of evidence waiting for your "
                f"review (the oldest from {first['created_at']:%-d %B})",
                first["link"],
            )
        )
    if work.returned:
        todo.append(
            Todo(
                f"{plural(work.returned, 'decision', 'decisions')} returned to you by a "
                "qualified assessor, with the reason: decide again",
                work.returned_link,
            )
        )
    if count := work.to_countersign:
        learners = work.learners_to_countersign
        todo.append(
            Todo(
                f"{plural(count, 'decision', 'decisions')} by trainee assessors to countersign, "
                f"for {plural(learners, 'learner', 'learners')}",
                reverse("assessment:countersign"),
            )
        )
    for action in work.actions:
        # An answer the IQA did not accept is asked for again, and says so.
        ask = "Answer again the IQA's action" if action.iqa_comment else "Answer the IQA's action"
        todo.append(
            Todo(
                f"{ask} on {action.sample.unit.code} for "
                f"{action.sample.registration.learner.full_name} (due {action.due_on:%-d %B})",
                # The sample's page holds the response form.
                reverse("iqa:sample-detail", args=[action.sample_id]),
                action.overdue_on(today),
            )
        )
    return todo


def iqa_todo(user: User, role: Role, today: datetime.date, actions: IqaActions) -> list[Todo]:
    todo = []
    # Planned items not sampled yet, on registrations still open, as the plan page counts them
    # ("still to sample"): counted per plan in the database, however many plans and items the
    # IQA has made over the years.
    due = (
        PlanItem.objects.filter(plan__iqa=user, plan__centre=role.centre)
        .filter(still_open("registration__"))
        .not_sampled()
        .values("plan", "plan__ends_on")
        .annotate(count=Count("pk"))
        .order_by("plan")
    )
    for row in due:
        todo.append(
            Todo(
                f"{plural(row['count'], 'planned item', 'planned items')} still to sample",
                reverse("iqa:plan-detail", args=[row["plan"]]),
                row["plan__ends_on"] < today,
            )
        )
    # Samples by trainee (or, where the register is enforced, out-of-scope) IQAs, which count
    # once a qualified IQA countersigns them (decision 49): one count on a partial index.
    waiting = awaiting_iqa_countersignature(user).filter(registration__centre=role.centre)
    if not role.is_trainee and (count := waiting.count()):
        todo.append(
            Todo(
                f"{plural(count, 'sample', 'samples')} by another IQA waiting for your "
                "countersignature",
                reverse("iqa:countersign"),
            )
        )
    if count := len(actions.to_close):
        todo.append(
            Todo(
                f"{plural(count, 'action', 'actions')} answered by the assessor, waiting for you "
                "to close or send back",
                reverse("home") + "#close-heading",
            )
        )
    if count := len(actions.overdue):
        todo.append(
            Todo(
                f"{plural(count, 'action', 'actions')} not answered by the assessor by the date "
                "they were given",
                reverse("home") + "#overdue-heading",
                True,
            )
        )
    return todo


def centre_admin_todo(role: Role) -> list[Todo]:
    todo = []
    counts = sum((q.counts for q in claim_counts(role.centre)), ClaimCounts())
    full, unit = counts.full, counts.unit
    claims = reverse("certification:claims")
    if full:
        todo.append(Todo(f"{plural(full, 'learner is', 'learners are')} ready for a "
                         "full certificate", claims))  # fmt: skip
    if unit:
        todo.append(Todo(f"{plural(unit, 'learner', 'learners')} can have a unit "
                         "certificate", claims))  # fmt: skip
    left = Registration.objects.filter(centre=role.centre).with_staff_left().count()
    if left:
        todo.append(
            Todo(
                f"{plural(left, 'registration has', 'registrations have')} an assessor or IQA "
                "who has left",
                reverse("portfolios:registration-list") + "?staff=left",
                True,
            )
        )
    failed = Certificate.objects.filter(
        registration__centre=role.centre, status=RenderStatus.FAILED
    ).order_by("pk")
    if first := failed.first():
        todo.append(
            Todo(
                f"{plural(failed.count(), 'certificate', 'certificates')} whose PDF failed: retry",
                reverse("certification:certificate-detail", args=[first.pk]),
                True,
            )
        )
    incoming = Transfer.objects.filter(to_centre=role.centre, status=TransferStatus.PENDING)
    transfers = reverse("certification:transfers")
    if waiting := incoming.count():
        words = "from another centre waiting for your answer"
        todo.append(Todo(f"{plural(waiting, 'learner', 'learners')} {words}", transfers))
    return todo
