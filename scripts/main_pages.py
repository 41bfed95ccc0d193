"""The main pages each role uses daily, and how to find a concrete one for a person.

One list for three users: the page benchmark (scripts/bench_pages.py), the load benchmark's
mixes (scripts/bench_load.py, scripts/locustfile.py) and the query-count test
(tests/integration/test_query_counts_at_scale.py). They were found from each app's urls.py,
the home page's to-do list (home/todo.py) and the links in the templates.

Each page belongs to one role and knows how to find its concrete path for a person in that role
(`MainPage.find`), picking a representative object the way that person would meet it: the
learner's registration with the most evidence, the oldest evidence waiting for review, the
IQA's biggest plan... `find` answers None when the person has nothing of the kind (a trainee
has no trainees' decisions to countersign), and the harness says so.

A few entries are writes a person of the role makes every day (`MainPage.form`: an assessor's
decision, an IQA generating or editing a plan, a learner's upload): the page benchmark and the
test send them inside a transaction they roll back, so every round finds the same data.

People are chosen by `people_at`: the busiest of the role at the centre first (most evidence,
largest caseload, most plans), the same way on the demo centre, a factory-built world or the
load population of `manage.py generate_load_data`.
"""

from __future__ import annotations

import datetime
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, ProgrammingError, connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.caseload import waiting_for_review
from assessment.models import Decision, UnitSignOff
from assessment.pages import awaiting_countersignature
from certification.models import Certificate
from iqa.models import PlanItem, Sample, SamplingPlan
from iqa.pages import unplanned_work, work_id
from portal.models import Centre, Role, RoleKind, User
from portfolios.models import Evidence, Mapping, MappingStatus, Registration
from qualifications.models import Criterion
from qualifications.requirements import EvidenceRequirement, SufficiencyRule

LEARNER = "learner"
ASSESSOR = "assessor"
TRAINEE = "trainee assessor"
IQA = "IQA"
ADMIN = "centre admin"
ROLES = (LEARNER, ASSESSOR, TRAINEE, IQA, ADMIN)

# The floor: the lightest page a logged-in person can open (a form, no data of theirs), so a
# main page's time is read as a multiple of what any request costs on the same machine.
FLOOR = "/accounts/password_change/"


@dataclass(frozen=True)
class Person:
    """Someone acting in one role at one centre (the role they switch to on the site)."""

    user: User
    role: Role
    label: str  # one of ROLES

    @property
    def centre(self) -> Centre:
        return self.role.centre

    def __str__(self) -> str:
        return f"{self.user.email} ({self.label} at {self.centre})"


Find = Callable[[Person], str | None]
Form = Callable[[Person], dict[str, Any]]


@dataclass(frozen=True)
class MainPage:
    """One main page of one role. With `form`, a write: POSTed with that form (and, with
    `upload`, a small new file as `evidence_files`); a success answers with a redirect."""

    name: str
    role: str
    find: Find
    form: Form | None = None
    upload: bool = False
    # Who opens it at a centre, where the busiest of the role may have nothing of the kind.
    who: Callable[[Centre, str], Person | None] | None = None

    def person_at(self, centre: Centre) -> Person | None:
        return (self.who or person_at)(centre, self.role)

    @property
    def writes(self) -> bool:
        return self.form is not None

    @property
    def method(self) -> str:
        return "POST" if self.writes else "GET"


# Choosing people ----------------------------------------------------------------------------

ROLE_KINDS = {
    LEARNER: (RoleKind.LEARNER, None),
    ASSESSOR: (RoleKind.ASSESSOR, False),
    TRAINEE: (RoleKind.ASSESSOR, True),
    IQA: (RoleKind.IQA, None),
    ADMIN: (RoleKind.CENTRE_ADMIN, None),
}


def roles_at(centre: Centre, label: str) -> QuerySet[Role]:
    """The roles of that kind at the centre, the busiest first."""
    kind, trainee = ROLE_KINDS[label]
    roles = Role.objects.filter(centre=centre, kind=kind).select_related("user", "centre")
    if trainee is not None:
        roles = roles.filter(is_trainee=trainee)
    if label == LEARNER:
        # Learners still at work first (an open registration, no certificate yet: the ones who
        # come every day), then the most evidence.
        here = Q(user__registrations__centre=centre)
        working = Registration.objects.open().filter(
            learner=OuterRef("user"), centre=centre, certificates__isnull=True
        )
        roles = roles.annotate(
            working=Exists(working),
            busy=Count("user__registrations__evidence", filter=here),
        )
        return roles.order_by("-working", "-busy", "pk")
    elif label in (ASSESSOR, TRAINEE):
        # The largest caseload; among equals, the one with the most evidence waiting.
        here = Q(user__caseload__centre=centre)
        waiting = here & Q(user__caseload__evidence__judged_at__isnull=True)
        roles = roles.annotate(
            busy=Count("user__caseload", filter=here, distinct=True),
            waiting=Count("user__caseload__evidence", filter=waiting, distinct=True),
        )
        return roles.order_by("-busy", "-waiting", "pk")
    elif label == IQA:
        here = Q(user__quality_assured__centre=centre)
        roles = roles.annotate(busy=Count("user__quality_assured", filter=here))
    else:
        roles = roles.annotate(busy=Count("pk"))
    return roles.order_by("-busy", "pk")


def busiest_with(condition: Callable[[Centre], Exists]) -> Callable[[Centre, str], Person | None]:
    """The busiest of the role at the centre among those for whom `condition` holds."""

    def who(centre: Centre, label: str) -> Person | None:
        role = roles_at(centre, label).filter(condition(centre)).first()
        return Person(role.user, role, label) if role else None

    return who


def not_judged(centre: Centre) -> Exists:
    """The learner has evidence no assessor has judged yet (it can still be mapped)."""
    return Exists(
        Evidence.objects.filter(
            registration__in=Registration.objects.open().filter(centre=centre),
            registration__learner=OuterRef("user"),
            judged_at__isnull=True,
        )
    )


def a_certificate(centre: Centre) -> Exists:
    mine = Certificate.objects.filter(registration__centre=centre)
    return Exists(mine.filter(registration__learner=OuterRef("user")))


def people_at(centre: Centre, label: str) -> Iterator[Person]:
    for role in roles_at(centre, label):
        yield Person(role.user, role, label)


def person_at(centre: Centre, label: str) -> Person | None:
    """The representative person of the role at the centre: the busiest."""
    return next(people_at(centre, label), None)


def centres_by_learners() -> list[tuple[Centre, int]]:
    """Every centre with learners, with how many, the fewest first."""
    centres = Centre.objects.annotate(
        learners=Count("roles", filter=Q(roles__kind=RoleKind.LEARNER))
    ).filter(learners__gt=0)
    return [(c, c.learners) for c in centres.order_by("learners", "pk")]  # type: ignore[attr-defined]


MAKE_IT = (
    "Make it with scripts/bench_pages.py --generate (which makes the database), or point "
    "BENCH_DATABASE_URL at one made so."
)


def the_population(database: str) -> list[tuple[Centre, int]]:
    """`centres_by_learners`, or the scripts' exit with a message saying what is wrong with the
    database (not there, not migrated, empty) and how to make it, not Django's traceback."""
    try:
        found = centres_by_learners()
    except (OperationalError, ProgrammingError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        sys.exit(f"Cannot read a load population in {database}: {first}. {MAKE_IT}")
    if not found:
        sys.exit(f"No centre with learners in {database}. {MAKE_IT}")
    return found


# Choosing things ----------------------------------------------------------------------------


def most_evidence(registrations: QuerySet[Registration]) -> Registration | None:
    return (
        registrations.annotate(pieces=Count("evidence"))
        .select_related("centre", "qualification")
        .order_by("-pieces", "pk")
        .first()
    )


def learner_registration(person: Person) -> Registration | None:
    """The learner's open registration at the centre with the most evidence."""
    mine = Registration.objects.open().filter(learner=person.user, centre=person.centre)
    return most_evidence(mine)


def caseload_registration(person: Person) -> Registration | None:
    """The open registration in the assessor's (or IQA's) care with the most evidence."""
    open_here = Registration.objects.open().filter(centre=person.centre)
    if person.label == IQA:
        return most_evidence(open_here.filter(iqa=person.user))
    return most_evidence(open_here.filter(assessor=person.user))


def centre_registration(person: Person) -> Registration | None:
    """The centre's open registration with the most evidence (what an admin looks into)."""
    return most_evidence(Registration.objects.open().filter(centre=person.centre))


def busiest_unit(
    registration: Registration, *, unsigned: bool = False, among: set[int] | None = None
) -> int | None:
    """The planned unit with the most current decisions (the one being worked on); with
    `unsigned`, among those not signed off yet; with `among`, among those units."""
    planned = list(registration.planned_units.order_by("pk").values_list("unit_id", flat=True))
    if among is not None:
        planned = [unit for unit in planned if unit in among]
    if unsigned:
        signed = set(
            UnitSignOff.objects.in_force()
            .filter(registration=registration)
            .values_list("unit_id", flat=True)
        )
        planned = [unit for unit in planned if unit not in signed]
    decided: Counter[int] = Counter()
    for ids in Decision.objects.filter(registration=registration, current=True).values_list(
        "criterion__unit", "range_item__unit", "knowledge_item__unit"
    ):
        decided[next(pk for pk in ids if pk is not None)] += 1
    return max(planned, key=lambda unit: (decided[unit], -planned.index(unit)), default=None)


def busiest_criterion(registration: Registration) -> int | None:
    """The criterion with the longest history of decisions in the registration."""
    found = (
        Decision.objects.filter(registration=registration, criterion__isnull=False)
        .values("criterion")
        .annotate(n=Count("pk"))
        .order_by("-n", "criterion")
        .values_list("criterion", flat=True)
        .first()
    )
    return int(found) if found is not None else None


def caseload_evidence(person: Person) -> QuerySet[Evidence]:
    open_here = Registration.objects.open().filter(centre=person.centre)
    return Evidence.objects.filter(registration__in=open_here.filter(assessor=person.user))


def evidence_to_review(person: Person) -> Evidence | None:
    """The oldest evidence waiting for the assessor's review (the to-do list's link), else the
    newest evidence in their caseload."""
    waiting = waiting_for_review(person.user, person.centre).first()
    if waiting is not None:
        return waiting
    return caseload_evidence(person).order_by("-created_at", "-pk").first()


# A decision ticks this many criteria (where the evidence maps to as many), so that a write's
# queries are compared like for like at every centre.
TICKED = 3


def evidence_to_decide(person: Person) -> Evidence | None:
    """Like `evidence_to_review`, but one on which a decision can still be recorded: the first
    with `TICKED` criteria nobody has decided yet, else with `TICKED` that can be decided again,
    else the one with the most; among equals, one of a learner with a unit signed off."""
    waiting = waiting_for_review(person.user, person.centre)[:20]
    newest = caseload_evidence(person).order_by("-created_at", "-pk")[:50]
    ranked = []
    for position, evidence in enumerate([*waiting, *newest]):
        criteria = decidable_criteria(evidence)
        if not criteria:
            continue
        short = len(criteria) < TICKED
        fresh = not short and not decided_any(evidence, criteria[:TICKED])
        # Midway through (some unit signed off already), as most learners are, so the checks a
        # decision makes are the same everywhere.
        midway = UnitSignOff.objects.in_force().filter(registration=evidence.registration_id)
        rank = (not fresh, short, not midway.exists(), -len(criteria) if short else 0, position)
        ranked.append((rank, evidence))
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


def decided_any(evidence: Evidence, criteria: list[int]) -> bool:
    current = Decision.objects.filter(registration_id=evidence.registration_id, current=True)
    return current.filter(criterion__in=criteria).exists()


def decidable_criteria(evidence: Evidence) -> list[int]:
    """Criteria the evidence is mapped to that a decision may still change: not in a unit
    signed off, not sampled by the IQA, those not decided yet first; else the registration's
    first such planned criterion."""
    registration = evidence.registration
    locked_units = UnitSignOff.objects.in_force().filter(registration=registration)
    sampled = Decision.objects.filter(
        registration=registration,
        current=True,
        samples__isnull=False,
        samples__lock_lifted_at__isnull=True,
        criterion__isnull=False,
    ).values("criterion_id")
    planned = registration.planned_units.values("unit_id")
    open_criteria = (
        Mapping.objects.filter(evidence=evidence, criterion__unit__in=planned)
        .exclude(status=MappingStatus.REJECTED)
        .exclude(criterion__unit__in=locked_units.values("unit_id"))
        .exclude(criterion__in=sampled)
        .values_list("criterion_id", flat=True)
    )
    found = [int(pk) for pk in open_criteria if pk is not None]
    if found:
        # Those nobody has decided yet first: a new decision, not one superseding another.
        decided = set(
            Decision.objects.filter(
                registration=registration, current=True, criterion__in=found
            ).values_list("criterion_id", flat=True)
        )
        return sorted(found, key=lambda pk: (pk in decided, pk))
    fallback = (
        Criterion.objects.filter(unit__in=planned)
        .exclude(unit__in=locked_units.values("unit_id"))
        .exclude(pk__in=sampled)
        .order_by("unit__code", "position", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return [int(fallback)] if fallback is not None else []


def biggest_plan(person: Person) -> SamplingPlan | None:
    """The IQA's plan at the centre with the most items (for an admin: the centre's); among
    equals, one with items sampled already, as a big centre's biggest plan has."""
    plans = SamplingPlan.objects.filter(centre=person.centre)
    if person.label == IQA:
        plans = plans.filter(iqa=person.user)
    sampled = Exists(Sample.objects.filter(plan_item__plan=OuterRef("pk")))
    plans = plans.annotate(n=Count("items"), sampled=sampled)
    return plans.order_by("-n", "-sampled", "-pk").first()


def oldest_unsampled(person: Person) -> PlanItem | None:
    """The first item of the IQA's biggest plan not sampled yet, on an open registration."""
    plan = biggest_plan(person)
    if plan is None:
        return None
    return (
        plan.items.filter(samples__isnull=True, registration__in=Registration.objects.open())
        .order_by("pk")
        .first()
    )


def fullest_sample(person: Person) -> Sample | None:
    """The sample with the most decisions: by the IQA, or of the assessor's work."""
    samples = Sample.objects.filter(registration__centre=person.centre)
    if person.label == IQA:
        samples = samples.filter(sampled_by=person.user)
    elif person.label in (ASSESSOR, TRAINEE):
        samples = samples.filter(assessor=person.user)
    return samples.annotate(n=Count("decisions")).order_by("-n", "-pk").first()


# Paths --------------------------------------------------------------------------------------


def path(name: str, *args: object, query: str = "") -> str:
    return reverse(name, args=args) + (f"?{query}" if query else "")


def home(person: Person) -> str:
    return path("home")


def registration_page(choose: Callable[[Person], Registration | None]) -> Find:
    def find(person: Person) -> str | None:
        registration = choose(person)
        return path("portfolios:registration-detail", registration.pk) if registration else None

    return find


def of_unit(choose: Callable[[Person], Registration | None]) -> Find:
    def find(person: Person) -> str | None:
        registration = choose(person)
        unit = busiest_unit(registration) if registration else None
        return path("assessment:unit-progress", registration.pk, unit) if unit else None  # type: ignore[union-attr]

    return find


def tracker_of(choose: Callable[[Person], Registration | None]) -> Find:
    def find(person: Person) -> str | None:
        registration = choose(person)
        return path("assessment:tracker", registration.pk) if registration else None

    return find


def unit_to_sign_off(person: Person) -> str | None:
    """A unit not signed off yet, the busiest, in the caseload's registration with the most
    evidence that has one: the sign-off page an assessor opens before signing."""
    open_here = Registration.objects.open().filter(centre=person.centre, assessor=person.user)
    ranked = list(open_here.annotate(pieces=Count("evidence")).order_by("-pieces", "pk")[:20])
    # The page reads a unit's evidence requirement and sufficiency records only where the unit
    # states some (decision 52): the fuller page, a unit that does, where the caseload has one,
    # so that every centre's page does the same work.
    stated = set(SufficiencyRule.objects.values_list("unit_id", flat=True)) | set(
        EvidenceRequirement.objects.values_list("unit_id", flat=True)
    )
    for among in (stated, None):
        for registration in ranked:
            if unit := busiest_unit(registration, unsigned=True, among=among):
                return path("assessment:unit-sign-off", registration.pk, unit)
    return None


def item_history(person: Person) -> str | None:
    registration = caseload_registration(person)
    criterion = busiest_criterion(registration) if registration else None
    if criterion is None:
        return None
    return path("assessment:item-history", registration.pk, "criterion", criterion)  # type: ignore[union-attr]


def latest_evidence(person: Person) -> str | None:
    registration = learner_registration(person)
    found = registration.evidence.order_by("-created_at", "-pk").first() if registration else None
    return path("portfolios:evidence-detail", found.pk) if found else None


def evidence_map(person: Person) -> str | None:
    """The learner's newest evidence an assessor has not judged yet: its mapping page."""
    registration = learner_registration(person)
    if registration is None:
        return None
    found = registration.evidence.filter(judged_at__isnull=True).order_by("-created_at").first()
    return path("portfolios:evidence-map", found.pk) if found else None


def upload_page(person: Person) -> str | None:
    registration = learner_registration(person)
    return path("portfolios:evidence-new", registration.pk) if registration else None


def upload_form(person: Person) -> dict[str, Any]:
    return {
        "title": "Photo of today's till reconciliation",
        "occurred_on": datetime.date.today().isoformat(),
        "method": "product",
        "description": "Taken at the end of my shift.",
        "declaration": "on",
    }


def certificate(person: Person) -> str | None:
    """The learner's newest certificate (for an admin: the centre's)."""
    found = Certificate.objects.filter(registration__centre=person.centre)
    if person.label == LEARNER:
        found = found.filter(registration__learner=person.user)
    latest = found.order_by("-issued_at", "-pk").first()
    return path("certification:certificate-detail", latest.pk) if latest else None


def evidence_review(person: Person) -> str | None:
    evidence = evidence_to_review(person)
    return path("assessment:evidence-review", evidence.pk) if evidence else None


def decision_path(person: Person) -> str | None:
    evidence = evidence_to_decide(person)
    return path("assessment:evidence-review", evidence.pk) if evidence else None


def decision_form(person: Person) -> dict[str, Any]:
    """Met, on the criteria the evidence is mapped to, with feedback: what an assessor sends
    from the review page. (The same decision again is refused as a repeat, so the load
    benchmark varies the feedback.)"""
    evidence = evidence_to_decide(person)
    assert evidence is not None
    return {
        "outcome": "met",
        "method": evidence.method,
        "assessed_on": evidence.occurred_on.isoformat(),
        "feedback": "Clear and sufficient: well done.",
        "criteria": decidable_criteria(evidence)[:TICKED],
    }


def countersign(person: Person) -> str | None:
    """The countersigning page, when trainees' decisions wait for this (qualified) assessor:
    the to-do list's link."""
    if person.role.is_trainee or not awaiting_countersignature(person.user).exists():
        return None
    return path("assessment:countersign")


def countersign_all_form(person: Person) -> dict[str, Any]:
    """The biggest thing the countersigning page can send: its "Countersign all N" button for
    the trainee with the most decisions waiting for this assessor (up to the newest, as the
    page draws it). The page offers no "every trainee's at once": at a 1,000-learner centre a
    qualified assessor may have 500 waiting from several trainees, and one trainee's 100-150."""
    busiest = (
        awaiting_countersignature(person.user)
        .order_by()
        .values("decided_by")
        .annotate(waiting=Count("pk"), newest=Max("pk"))
        .order_by("-waiting", "decided_by")
        .first()
    )
    assert busiest is not None, f"nothing waits for {person}"
    return {"trainee": f"{busiest['decided_by']}-{busiest['newest']}"}


def sample_detail(person: Person) -> str | None:
    sample = fullest_sample(person)
    return path("iqa:sample-detail", sample.pk) if sample else None


def plan_detail(person: Person) -> str | None:
    plan = biggest_plan(person)
    return path("iqa:plan-detail", plan.pk) if plan else None


def plan_csv(person: Person) -> str | None:
    plan = biggest_plan(person)
    return path("iqa:plan-csv", plan.pk) if plan else None


def plan_new(person: Person) -> str:
    return path("iqa:plan-new")


def plan_period(plan: SamplingPlan | None) -> tuple[datetime.date, datetime.date]:
    """The IQA's biggest plan's period, else the last three months."""
    if plan is not None:
        return plan.starts_on, plan.ends_on
    today = datetime.date.today()
    return today - datetime.timedelta(days=91), today


def plan_qualification(person: Person) -> int | None:
    """The qualification of the IQA's biggest plan, else the centre's most registered one."""
    plan = biggest_plan(person)
    if plan is not None:
        return plan.qualification_id
    found = (
        Registration.objects.filter(centre=person.centre, iqa=person.user)
        .values("qualification")
        .annotate(n=Count("pk"))
        .order_by("-n", "qualification")
        .values_list("qualification", flat=True)
        .first()
    )
    return int(found) if found is not None else None


def plan_generate_path(person: Person) -> str | None:
    return path("iqa:plan-new") if plan_qualification(person) else None


def plan_generate_form(person: Person) -> dict[str, Any]:
    """Generate a plan again for the biggest plan's qualification and period (a fresh one-time
    token each time, as a fresh form would carry)."""
    starts, ends = plan_period(biggest_plan(person))
    return {
        "qualification": plan_qualification(person),
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
        "form_token": str(uuid.uuid4()),
    }


def plan_edit(person: Person) -> dict[str, Any] | None:
    """Add the period's first unplanned work by hand (the edit that reads the whole period's
    work again); if everything is planned, remove the first unsampled item; None if neither."""
    plan = biggest_plan(person)
    if plan is None:
        return None
    for work in unplanned_work(plan):
        if person.user.pk not in work.deciders:
            return {"add": work_id(work)}
    item = plan.items.filter(samples__isnull=True).order_by("pk").first()
    return {"remove": item.pk} if item else None


def plan_edit_path(person: Person) -> str | None:
    return plan_detail(person) if plan_edit(person) else None


def plan_edit_form(person: Person) -> dict[str, Any]:
    form = plan_edit(person)
    assert form is not None
    return form


def sample_new(person: Person) -> str | None:
    """The plan's oldest unsampled item; with none left, the busiest unit of the registration
    in the IQA's care with the most evidence (sampled outside the plan)."""
    item = oldest_unsampled(person)
    if item is not None:
        query = f"item={item.pk}"
        return path("iqa:sample-new", item.registration_id, item.unit_id, query=query)
    registration = caseload_registration(person)
    unit = busiest_unit(registration) if registration else None
    return path("iqa:sample-new", registration.pk, unit) if unit else None  # type: ignore[union-attr]


def registration_status(person: Person) -> str | None:
    registration = caseload_registration(person)
    return path("iqa:registration-status", registration.pk) if registration else None


def strategy(person: Person) -> str | None:
    qualification = plan_qualification(person)
    return path("iqa:strategy", qualification) if qualification else None


def registrations_search(person: Person) -> str | None:
    """The registrations list searched for a learner's name, as an admin finds someone."""
    registration = centre_registration(person)
    if registration is None:
        return None
    surname = registration.learner.full_name.split()[-1]
    return path("portfolios:registration-list", query=f"q={surname}")


def fixed(name: str) -> Find:
    return lambda person: path(name)


MAIN_PAGES: list[MainPage] = [
    # The learner: their home (progress on every registration), the registration (evidence
    # list and progress), a unit's progress, a piece of evidence, its mapping, the upload page.
    MainPage("learner home", LEARNER, home),
    MainPage("learner registration", LEARNER, registration_page(learner_registration)),
    MainPage("learner unit progress", LEARNER, of_unit(learner_registration)),
    MainPage("learner tracker", LEARNER, tracker_of(learner_registration)),
    MainPage("learner evidence", LEARNER, latest_evidence),
    MainPage("learner evidence mapping", LEARNER, evidence_map, who=busiest_with(not_judged)),
    MainPage("learner upload page", LEARNER, upload_page),
    MainPage("learner upload", LEARNER, upload_page, form=upload_form, upload=True),
    MainPage("learner certificate", LEARNER, certificate, who=busiest_with(a_certificate)),
    # The assessor: the caseload (their home), evidence review, a learner's registration, unit
    # progress and sign-off, an item's history, countersigning, the IQA's sample of their work.
    MainPage("assessor home (caseload)", ASSESSOR, home),
    MainPage("assessor evidence review", ASSESSOR, evidence_review),
    MainPage("assessor decision", ASSESSOR, decision_path, form=decision_form),
    MainPage("assessor registration", ASSESSOR, registration_page(caseload_registration)),
    MainPage("assessor unit progress", ASSESSOR, of_unit(caseload_registration)),
    MainPage("assessor unit sign-off", ASSESSOR, unit_to_sign_off),
    MainPage("assessor tracker", ASSESSOR, tracker_of(caseload_registration)),
    MainPage("assessor caseload tracker", ASSESSOR, fixed("assessment:caseload-tracker")),
    MainPage("assessor item history", ASSESSOR, item_history),
    MainPage("assessor countersigning", ASSESSOR, countersign),
    MainPage("assessor countersign all", ASSESSOR, countersign, form=countersign_all_form),
    MainPage("assessor IQA sample", ASSESSOR, sample_detail),
    # The trainee assessor: the same daily pages; their decisions wait for a countersignature.
    MainPage("trainee home (caseload)", TRAINEE, home),
    MainPage("trainee evidence review", TRAINEE, evidence_review),
    MainPage("trainee decision", TRAINEE, decision_path, form=decision_form),
    MainPage("trainee registration", TRAINEE, registration_page(caseload_registration)),
    MainPage("trainee item history", TRAINEE, item_history),
    # The IQA: their home, the plan (its coverage), generating and editing a plan, sampling a
    # unit, the sample report, a learner's IQA status, the strategy, the sampling record.
    MainPage("IQA home", IQA, home),
    MainPage("IQA plan", IQA, plan_detail),
    MainPage("IQA plan form", IQA, plan_new),
    MainPage("IQA plan generate", IQA, plan_generate_path, form=plan_generate_form),
    MainPage("IQA plan edit", IQA, plan_edit_path, form=plan_edit_form),
    MainPage("IQA sample form", IQA, sample_new),
    MainPage("IQA sample report", IQA, sample_detail),
    MainPage("IQA registration status", IQA, registration_status),
    MainPage("IQA strategy", IQA, strategy),
    MainPage("IQA sampling record CSV", IQA, plan_csv),
    # The centre admin: their home (to-do, people), registrations (listed, searched, one),
    # claims, certificates (listed, one), invitations.
    MainPage("admin home (people)", ADMIN, home),
    MainPage("admin registrations", ADMIN, fixed("portfolios:registration-list")),
    MainPage("admin registrations search", ADMIN, registrations_search),
    MainPage("admin registration", ADMIN, registration_page(centre_registration)),
    MainPage("admin claims", ADMIN, fixed("certification:claims")),
    MainPage("admin certificates", ADMIN, fixed("certification:certificate-list")),
    MainPage("admin certificate", ADMIN, certificate),
    MainPage("admin invitations", ADMIN, fixed("invitation-list")),
]

PAGES_BY_NAME = {page.name: page for page in MAIN_PAGES}
assert len(PAGES_BY_NAME) == len(MAIN_PAGES), "main page names must be unique"


# Fetching -----------------------------------------------------------------------------------


def client_for(person: Person) -> Client:
    """A test client logged in as the person, acting in their role: chosen as the site does,
    by the role switch (which also leaves a message for the next page to show)."""
    client = Client()
    client.force_login(person.user)
    response = client.post(reverse("switch-role"), {"role": person.role.pk})
    assert response.status_code == 302, f"switching {person} to their role: {response.status_code}"
    return client


def small_file() -> SimpleUploadedFile:
    """A small PDF unlike any uploaded before (a portfolio holds the same file once)."""
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%" + uuid.uuid4().hex.encode() + b"\n%%EOF\n"
    return SimpleUploadedFile("till-reconciliation.pdf", body, content_type="application/pdf")


def prepare(page: MainPage, person: Person) -> dict[str, Any] | None:
    """The form a write sends (worked out before the request, so it is neither timed nor
    counted), or None for a page that is only read."""
    if page.form is None:
        return None
    data = page.form(person)
    if page.upload:
        data["evidence_files"] = small_file()
    return data


@dataclass(frozen=True)
class Fetched:
    response: HttpResponse
    seconds: float  # the request alone: not the form's preparing, nor the rollback
    queries: int | None  # counted when asked for (counting slows the request a little)


def send(client: Client, where: str, data: dict[str, Any] | None, count: bool = False) -> Fetched:
    """GET the page as it is served (autocommit, no transaction around it), or POST the write
    inside a transaction rolled back afterwards, so the next round finds the same data (files
    it stored stay behind in MEDIA_ROOT)."""
    if data is None:
        return _timed(lambda: client.get(where), count)
    request = post(client, where, data)
    with transaction.atomic():
        fetched = _timed(request, count)
        transaction.set_rollback(True)
    return fetched


def post(client: Client, where: str, data: dict[str, Any]) -> Callable[[], Any]:
    """The POST of the form as a browser sends it: url-encoded (encoded here, before it is
    timed), unless it carries a file (only the upload form is multipart). The test client
    would send every form as multipart, whose parsing cost about 30 ms of the 500 ticks of
    "countersign all"."""
    if any(isinstance(value, File) for value in data.values()):
        return lambda: client.post(where, data)
    body = urlencode(data, doseq=True)
    return lambda: client.post(where, body, content_type="application/x-www-form-urlencoded")


def _timed(request: Callable[[], Any], count: bool) -> Fetched:
    with CaptureQueriesContext(connection) if count else nullcontext() as captured:
        began = time.perf_counter()
        response = request()
        seconds = time.perf_counter() - began
    return Fetched(response, seconds, len(captured) if captured is not None else None)


def answered(page: MainPage, response: HttpResponse) -> bool:
    """A page answers 200; a write that went through redirects (its form shown again with a
    refusal would be a 200)."""
    return response.status_code == (302 if page.writes else 200)
