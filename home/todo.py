"""What needs each person next, for the top of their home page: a few lines, each with a count,
a link to where it is done, and a word (not only a colour) when it is overdue."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from assessment.caseload import Caseload, WaitingEvidence, oldest_waiting
from assessment.countersigner import countersigner_of
from assessment.models import Decision
from assessment.pages import WAITING_SHOWN, countersign_counts, first_evidence, returned_to
from assessment.provisional import stranded
from assessment.sign_off_countersign import sign_offs_waiting
from certification.models import Certificate, RenderStatus, Transfer, TransferStatus
from certification.readiness import ClaimCounts, claim_counts
from home.learner import Portfolio, portfolios_of, questions_of
from iqa.countersigning import stranded_samples, waiting_at
from iqa.models import Action, PlanItem, Sample
from iqa.pages import (
    IqaActions,
    assessor_action_list,
    assessor_actions,
    by_day,
    iqa_actions,
)
from portal.compiled import compiled_once
from portal.models import Role, RoleKind, User
from portfolios.models import (
    Registration,
    staff_left_sql,
    still_open,
    still_open_sql,
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


def learner_todo(
    user: User, role: Role, portfolios: Sequence[Portfolio] | None = None
) -> list[Todo]:
    """What waits for the learner on their open registrations at the role's centre, counted
    from their portfolios (`portfolios_of`, read here if the caller has not): a query more only
    for the question sets of a registration that has some to answer."""
    found = portfolios_of(user, role) if portfolios is None else portfolios
    open_here = [p for p in found if p.is_open]
    todo = []
    if waiting := sorted(w for p in open_here for w in p.waiting):
        first = next(p for p in open_here if waiting[0] in p.waiting)
        text = plural(len(waiting), "unit is", "units are")
        todo.append(
            Todo(
                f"{text} signed off by your assessor and waiting for your countersignature",
                # The unit's sign-off page holds the countersignature form.
                reverse("assessment:unit-sign-off", args=[first.registration.pk, waiting[0][2]]),
            )
        )
    if questions := questions_of(open_here):
        todo.append(
            Todo(
                f"{plural(len(questions), 'set', 'sets')} of questions from your assessor to "
                f"answer (the first: “{questions[0].title}”)",
                reverse("portfolios:question-set-detail", args=[questions[0].pk]),
            )
        )
    for p in open_here:
        if not p.evidence:
            todo.append(
                Todo(
                    f"Add your first evidence for {p.registration.qualification.title}",
                    reverse("portfolios:evidence-new", args=[p.registration.pk]),
                )
            )
    return todo + evidence_todo(open_here)


def evidence_todo(open_here: Sequence[Portfolio]) -> list[Todo]:
    """A learner's evidence that waits for them: evidence not linked to anything yet, links the
    assessor did not accept (until another piece of evidence is linked to that item), and
    assessors' records waiting for their agreement; each with the first (oldest) one's page."""
    todo = []
    if unmapped := sorted(pk for p in open_here for pk in p.unmapped):
        todo.append(
            Todo(
                f"{plural(len(unmapped), 'piece', 'pieces')} of evidence not yet linked to the "
                "criteria it shows: choose them",
                reverse("portfolios:evidence-map", args=[unmapped[0]]),
            )
        )
    if rejected := sorted(pk for p in open_here for pk in p.rejected):
        todo.append(
            Todo(
                f"{plural(len(rejected), 'link', 'links')} of your evidence to a criterion not "
                "accepted by your assessor: read why, and add or link other evidence",
                reverse("portfolios:evidence-detail", args=[rejected[0]]),
            )
        )
    if records := sorted(pk for p in open_here for pk in p.records):
        todo.append(
            Todo(
                f"{plural(len(records), 'record', 'records')} by your assessor about you waiting "
                "for your agreement that it is a true record",
                reverse("portfolios:evidence-detail", args=[records[0]]) + "#acknowledgement",
            )
        )
    return todo


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
    # Units signed off provisionally that they may countersign (decision 53).
    sign_offs: int = 0


def assessor_work(
    user: User,
    role: Role,
    known: Caseload | None = None,
    centres: Collection[int] | None = None,
) -> AssessorWork:
    """Three queries, whatever there is. `known`: the registrations of the caseload, when the
    caller has read them already; `centres`: where the user is an assessor, from the roles the
    request read (`held_centres`)."""
    waiting, count = oldest_waiting(user, role.centre, WAITING_SHOWN, known)
    if role.is_trainee:  # the decisions returned to them, instead of any to countersign
        returned = returned_rows(user.pk, role.centre_id)
        link = ""
        if returned:  # the first one's evidence's review page, where it is decided again
            evidence, registration, *items = returned[0]
            kind, item = next((k, i) for k, i in zip(Decision.KINDS, items, strict=True) if i)
            link = (
                reverse("assessment:evidence-review", args=[evidence])
                if evidence
                else reverse("assessment:item-history", args=[registration, kind, item])
            )
        actions = actions_of(user, centres)
        return AssessorWork(waiting, count, 0, 0, actions, len(returned), link)
    countersigner = countersigner_of(user)  # their centres and scopes, read once for both
    decisions, learners = countersign_counts(user, countersigner)
    actions = actions_of(user, centres)
    sign_offs = sign_offs_waiting(user, countersigner)
    return AssessorWork(waiting, count, decisions, learners, actions, sign_offs=sign_offs)


@compiled_once
def returned_rows(user_id: int, centre_id: int) -> QuerySet[Decision, Any]:
    """A trainee's decisions returned to them at the centre (`returned_to`), each with its first
    evidence, its registration and its item: by SQL compiled once per process."""
    return (
        returned_to(User(pk=user_id))
        .filter(registration__centre_id=centre_id)
        .annotate(first_evidence_id=first_evidence())
        .values_list("first_evidence_id", "registration_id", *(f"{k}_id" for k in Decision.KINDS))
    )


def actions_of(user: User, centres: Collection[int] | None) -> list[Action]:
    """The IQA's actions for the assessor to answer (`assessor_actions`): read by SQL compiled
    once where the request's roles say the centres."""
    if centres is None:
        return list(assessor_actions(user))
    return assessor_action_list(user, sorted(centres))


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
                f"{plural(count, 'decision', 'decisions')} by other assessors to countersign, "
                f"for {plural(learners, 'learner', 'learners')}",
                reverse("assessment:countersign"),
            )
        )
    if work.sign_offs:
        todo.append(
            Todo(
                f"{plural(work.sign_offs, 'unit sign-off', 'unit sign-offs')} awaiting your "
                "countersignature before the learner can countersign",
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
    for plan, ends_on, count in plans_to_sample(user.pk, role.centre_id):
        todo.append(
            Todo(
                f"{plural(count, 'planned item', 'planned items')} still to sample",
                reverse("iqa:plan-detail", args=[plan]),
                ends_on < today,
            )
        )
    # Samples by trainee (or, where the register is enforced, out-of-scope) IQAs, which count
    # once a qualified IQA countersigns them (decision 49): one read on a partial index, the
    # centre a value (decision 58), by SQL compiled once a day; none for a trainee.
    if not role.is_trainee and (
        count := len(samples_waiting(timezone.localdate(), user.pk, role.centre_id))
    ):
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


@compiled_once
def plans_to_sample(user_id: int, centre_id: int) -> QuerySet[PlanItem, Any]:
    """(plan, its last day, how many items) for the IQA's plans at the centre with planned
    items not sampled yet on registrations still open: by SQL compiled once per process, as
    building the query (`not_sampled`'s rule and `still_open`) cost more than its answer."""
    return (
        PlanItem.objects.filter(plan__iqa_id=user_id, plan__centre_id=centre_id)
        .filter(still_open("registration__"))
        .not_sampled()
        .values("plan", "plan__ends_on")
        .annotate(count=Count("pk"))
        .order_by("plan")
        .values_list("plan", "plan__ends_on", "count")
    )


@by_day
def samples_waiting(day: datetime.date, user_id: int, centre_id: int) -> QuerySet[Sample, Any]:
    """The ids of `waiting_at`'s samples, the awards current on `day`: compiled once a day."""
    return waiting_at(User(pk=user_id), centre_id, day).values_list("pk")


STRANDED_NAMED = 3  # units named in the admin's alert of provisional work nobody can countersign


def centre_admin_todo(role: Role, counted: AdminCounts | None = None) -> list[Todo]:
    """`counted`: the centre's figures (`admin_counts`), when the caller has read them."""
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
    counted = counted or admin_counts(role.centre_id)
    if left := counted.staff_left:
        todo.append(
            Todo(
                f"{plural(left, 'registration has', 'registrations have')} an assessor or IQA "
                "who has left",
                reverse("portfolios:registration-list") + "?staff=left",
                True,
            )
        )
    if first := counted.first_failed:
        todo.append(
            Todo(
                f"{plural(counted.failed, 'certificate', 'certificates')} whose PDF failed: retry",
                reverse("certification:certificate-detail", args=[first]),
                True,
            )
        )
    # Provisional work nobody at the centre can countersign (decision 53, amended): the
    # register page is where the admin records a competent assessor's award.
    # Each unit named, with its learner and who did the work (the first few).
    if stuck := stranded(role.centre):
        named = "; ".join(s.words for s in stuck[:STRANDED_NAMED])
        if len(stuck) > STRANDED_NAMED:
            named += f"; and {plural(len(stuck) - STRANDED_NAMED, 'other', 'others')}"
        todo.append(
            Todo(
                f"{plural(len(stuck), 'unit has', 'units have')} provisional decisions or a "
                f"provisional sign-off that nobody at the centre can countersign ({named}): "
                "record a qualified assessor's award covering "
                f"{'it' if len(stuck) == 1 else 'them'} in the competence register",
                reverse("competence:centre"),
                True,
            )
        )
    # Provisional IQA samples nobody at the centre can countersign (decision 49): they count
    # for no plan item and no claim until a qualified IQA competent for the unit does.
    if samples := stranded_samples(role.centre):
        named = "; ".join(s.words for s in samples[:STRANDED_NAMED])
        if len(samples) > STRANDED_NAMED:
            named += f"; and {plural(len(samples) - STRANDED_NAMED, 'other', 'others')}"
        todo.append(
            Todo(
                f"{plural(len(samples), 'IQA sample is', 'IQA samples are')} provisional and "
                f"nobody at the centre can countersign {'it' if len(samples) == 1 else 'them'} "
                f"({named}): record a qualified IQA's award covering "
                f"{'its unit' if len(samples) == 1 else 'their units'} in the competence "
                "register",
                reverse("competence:centre"),
                True,
            )
        )
    transfers = reverse("certification:transfers")
    if waiting := counted.transfers:
        words = "from another centre waiting for your answer"
        todo.append(Todo(f"{plural(waiting, 'learner', 'learners')} {words}", transfers))
    return todo


@dataclass(frozen=True)
class AdminCounts:
    """The centre admin's to-do figures read together (`admin_counts`)."""

    staff_left: int  # open registrations naming an assessor or IQA who has left
    failed: int  # certificates whose PDF failed
    first_failed: int | None  # the first of them (by id)
    transfers: int  # learners from another centre waiting for an answer
    people: int = 0  # everyone holding a role at the centre (the home page's people)


def admin_counts(centre_id: int) -> AdminCounts:
    """How many of the centre's open registrations name staff who left
    (`Registration.objects.with_staff_left`), its certificates whose PDF failed and the first
    of them, the transfers waiting for its answer, and the people holding a role there (the
    home page's people, counted here rather than by a query of their own): one query of five
    counts, written as SQL (decision 66). As querysets (the first with three subqueries)
    Django took some 14,000 Python calls a view to build them, for counts PostgreSQL gives in
    about a millisecond; tests/home/test_admin_todo_read.py holds each to its queryset."""
    registration = Registration._meta.db_table
    still, still_params = still_open_sql("r")
    left, left_params = staff_left_sql("r", centre_id)
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {registration} r WHERE r.centre_id = %s AND {still}"
        f" AND {left}),"
        f" (SELECT COUNT(*) FROM {Certificate._meta.db_table} c JOIN {registration} cr"
        " ON cr.id = c.registration_id WHERE cr.centre_id = %s AND c.status = %s),"
        f" (SELECT MIN(c.id) FROM {Certificate._meta.db_table} c JOIN {registration} cr"
        " ON cr.id = c.registration_id WHERE cr.centre_id = %s AND c.status = %s),"
        f" (SELECT COUNT(*) FROM {Transfer._meta.db_table} t"
        " WHERE t.to_centre_id = %s AND t.status = %s),"
        f" (SELECT COUNT(DISTINCT ro.user_id) FROM {Role._meta.db_table} ro"
        " WHERE ro.centre_id = %s)"
    )
    params = [centre_id, *still_params, *left_params]
    params += [centre_id, RenderStatus.FAILED, centre_id, RenderStatus.FAILED]
    params += [centre_id, TransferStatus.PENDING, centre_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return AdminCounts(*cursor.fetchone())
