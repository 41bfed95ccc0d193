"""What the IQA pages show: plans with their coverage, the unit under sample, the IQA home."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from assessment.models import Decision
from iqa.models import Action, ActionStatus, PlanItem, Risk, Sample, SamplingPlan
from iqa.planning import Work
from iqa.services import risk_of, work_in_period
from portal.http import PortalRequest
from portal.models import Centre, Role, RoleKind, User
from portfolios.models import Evidence, EvidenceMethod, Registration
from qualifications.models import Unit


@dataclass(frozen=True)
class Matrix:
    """Rows (assessors) by columns (units or methods): planned work in each cell, and whether
    there was work to plan at all."""

    columns: list[tuple[object, str]]
    rows: list[tuple[str, list[tuple[int, int]]]]  # (assessor, [(planned, available)])


def unplanned_work(plan: SamplingPlan) -> list[Work]:
    """The work of the plan's period not yet in the plan."""
    work = work_in_period(plan.centre, plan.qualification, plan.starts_on, plan.ends_on)
    planned = set(plan.items.values_list("registration_id", "unit_id", "stage"))
    return [w for w in work if w.key not in planned]


def coverage(plan: SamplingPlan) -> tuple[Matrix, Matrix, list[Work]]:
    """Assessors by units and by methods, and the work of the period not yet in the plan."""
    work = work_in_period(plan.centre, plan.qualification, plan.starts_on, plan.ends_on)
    items = list(plan.items.all())
    planned = {(i.registration_id, i.unit_id, i.stage) for i in items}
    people = dict(
        User.objects.filter(pk__in={w.assessor for w in work} | {i.assessor_id for i in items})
        .order_by("full_name")
        .values_list("pk", "full_name")
    )
    units = dict(
        Unit.objects.filter(pk__in={w.unit for w in work} | {i.unit_id for i in items})
        .order_by("code")
        .values_list("pk", "code")
    )
    methods = sorted({m for w in work for m in w.methods} | {m for i in items for m in i.methods})
    labels = dict(EvidenceMethod.choices)

    def matrix(columns: list[tuple[object, str]], key: str) -> Matrix:
        rows = []
        for person, name in people.items():
            cells = []
            for value, _ in columns:
                mine = [w for w in work if w.assessor == person and _has(w, key, value)]
                done = [i for i in items if i.assessor_id == person and _item_has(i, key, value)]
                cells.append((len(done), len(mine)))
            rows.append((name, cells))
        return Matrix(columns, rows)

    by_units = matrix([(pk, code) for pk, code in units.items()], "unit")
    by_methods = matrix([(m, labels.get(m, m)) for m in methods], "method")
    unplanned = [w for w in work if w.key not in planned]
    return by_units, by_methods, unplanned


def _has(work: Work, key: str, value: object) -> bool:
    return work.unit == value if key == "unit" else value in work.methods


def _item_has(item: PlanItem, key: str, value: object) -> bool:
    return item.unit_id == value if key == "unit" else value in item.methods


def unit_under_sample(registration: Registration, unit: Unit) -> dict[str, object]:
    """Everything the IQA looks at: the unit's decisions, with their evidence and feedback."""
    decisions = list(
        Decision.objects.filter(registration=registration, current=True)
        .filter(Q(criterion__unit=unit) | Q(range_item__unit=unit) | Q(knowledge_item__unit=unit))
        .select_related("decided_by", "countersigned_by", "criterion", "range_item")
        .select_related("knowledge_item")
        .prefetch_related("evidence")
        .order_by("criterion__position", "range_item__position", "knowledge_item__position")
    )
    evidence = (
        Evidence.objects.filter(decisions__in=decisions)
        .distinct()
        .prefetch_related("files", "mappings__criterion")
    )
    return {"decisions": decisions, "evidence": list(evidence)}


def decisions_looked_at(sample: Sample) -> QuerySet[Decision]:
    """The decisions a sample looked at, with what each judged, in one query however many."""
    return sample.decisions.select_related("criterion", "range_item", "knowledge_item")


def iqa_home(user: User, role: Role, today: datetime.date) -> dict[str, object]:
    plans = SamplingPlan.objects.filter(iqa=user, centre=role.centre).select_related(
        "qualification"
    )
    return {
        "plans": plans,
        "to_close": actions_to_close(user).select_related("sample__unit"),
        "overdue": actions_overdue(user, today).select_related("sample__unit"),
        "qualifications": centre_qualifications(role.centre),
        "today": today,
    }


def open_actions(user: User) -> QuerySet[Action]:
    """Actions the IQA raised that are not closed yet, on registrations still open (a closed
    one's actions stay as they were)."""
    return Action.objects.filter(
        sample__sampled_by=user, sample__registration__in=Registration.objects.open()
    ).exclude(status=ActionStatus.CLOSED)


def actions_to_close(user: User) -> QuerySet[Action]:
    """The IQA's actions the assessor has answered: the IQA reviews and closes them."""
    return open_actions(user).filter(status=ActionStatus.RESPONDED)


def actions_overdue(user: User, today: datetime.date) -> QuerySet[Action]:
    return open_actions(user).filter(due_on__lt=today)


def assessor_actions(user: User) -> QuerySet[Action]:
    """Actions raised on the assessor's decisions that they have not answered, on registrations
    still open."""
    return (
        Action.objects.filter(
            sample__assessor=user,
            status=ActionStatus.OPEN,
            sample__registration__in=Registration.objects.open(),
        )
        .select_related("sample__unit", "sample__registration__learner")
        .order_by("due_on")
    )


def today() -> datetime.date:
    return datetime.date.today()


def work_id(work: Work) -> str:
    """How a form names a piece of work: registration, unit and stage."""
    return f"{work.registration}-{work.unit}-{work.stage}"


def describe_work(work: list[Work]) -> list[tuple[str, str]]:
    """(id, words) for each piece of work, for a select box."""
    names = dict(
        User.objects.filter(pk__in={w.assessor for w in work}).values_list("pk", "full_name")
    )
    learners = dict(
        Registration.objects.filter(pk__in={w.registration for w in work}).values_list(
            "pk", "learner__full_name"
        )
    )
    codes = dict(Unit.objects.filter(pk__in={w.unit for w in work}).values_list("pk", "code"))
    return [
        (
            work_id(w),
            f"{learners[w.registration]}, {codes[w.unit]} ({w.stage}), "
            f"assessed by {names[w.assessor]}",
        )
        for w in sorted(work, key=lambda w: (learners[w.registration], codes[w.unit]))
    ]


def centre_assessors(centre: Centre) -> list[User]:
    return list(
        User.objects.filter(roles__centre=centre, roles__kind=RoleKind.ASSESSOR)
        .distinct()
        .order_by("full_name")
    )


def assessor_risks(centre: Centre, assessors: list[User]) -> list[tuple[User, str, bool]]:
    """Each assessor with their risk, and whether they are a trainee (always trainee risk)."""
    risks = risk_of(centre, [a.pk for a in assessors])
    return [(a, risks[a.pk], risks[a.pk] == "trainee") for a in assessors]


def posted_risks(request: PortalRequest, assessors: list[User]) -> dict[int, str]:
    allowed = {Risk.NEW, Risk.STANDARD, Risk.EXPERIENCED}
    found = {a.pk: request.POST.get(f"risk-{a.pk}", "") for a in assessors}
    return {pk: risk for pk, risk in found.items() if risk in allowed}


def centre_qualifications(centre: Centre) -> list[tuple[int, str]]:
    """(id, title) of each qualification the centre has learners on."""
    return list(
        Registration.objects.filter(centre=centre)
        .values_list("qualification_id", "qualification__title")
        .distinct()
        .order_by("qualification__title")
    )
