"""What the assessment pages show, read in a fixed number of queries."""

from __future__ import annotations

import datetime
import re

from django.db.models import Count, Max, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import QueryDict

from assessment.caseload import RAG_RULE, caseload, waiting_for_review
from assessment.forms import CaseloadFilterForm, LearnerCountersignForm, UnlockForm
from assessment.models import Decision, UnitSignOff, unit_of_item
from assessment.progress import decision_state
from assessment.services import unit_missing
from portal.http import PortalRequest, posted_id, posted_ids
from portal.listing import sorted_page
from portal.models import AuditEntry, Role, RoleKind, User
from portfolios.access import can_administer
from portfolios.mapping import Targets, picker_context
from portfolios.models import Evidence, Mapping, MappingStatus, Registration
from portfolios.uploads import INLINE_TYPES
from qualifications.models import Unit


def current_decisions(registration: Registration) -> dict[str, dict[int, str]]:
    """For each kind of item, the state of its current decision, by item id."""
    states: dict[str, dict[int, str]] = {"criteria": {}, "range_items": {}, "knowledge_items": {}}
    for d in Decision.objects.filter(registration=registration, current=True):
        state = decision_state(d) or ""
        if d.criterion_id:
            states["criteria"][d.criterion_id] = state
        elif d.range_item_id:
            states["range_items"][d.range_item_id] = state
        elif d.knowledge_item_id:
            states["knowledge_items"][d.knowledge_item_id] = state
    return states


def kind_of(mapping: Mapping) -> tuple[str, int]:
    """The picker's name for the mapping's kind of item, and the item's id."""
    if mapping.criterion_id:
        return "criteria", mapping.criterion_id
    if mapping.range_item_id:
        return "range_items", mapping.range_item_id
    return "knowledge_items", mapping.knowledge_item_id or 0


def review_context(evidence: Evidence, posted: Targets | None) -> dict[str, object]:
    """The review page: the evidence, its files, its mapping and the full item picker."""
    context = picker_context(evidence)
    mappings = list(
        evidence.mappings.select_related(
            "criterion__unit", "range_item__unit", "knowledge_item__unit", "reviewed_by"
        )
    )
    states = current_decisions(evidence.registration)
    for m in mappings:
        kind, pk = kind_of(m)
        m.decision_state = states[kind].get(pk, "")  # type: ignore[attr-defined]
    closed = evidence.registration.closed_because
    if posted is not None:
        chosen = {
            "criteria": set(posted.criteria),
            "range_items": set(posted.range_items),
            "knowledge_items": set(posted.knowledge_items),
        }
    else:
        # Ticked to start with: what the learner mapped (unless the assessor rejected it) and
        # nobody has decided yet. Confirming a mapping is not a decision, so it stays ticked.
        chosen = {"criteria": set(), "range_items": set(), "knowledge_items": set()}
        for m in mappings:
            kind, pk = kind_of(m)
            if m.status != MappingStatus.REJECTED and pk not in states[kind] and not closed:
                chosen[kind].add(pk)
    units = list(context["units"])  # type: ignore[call-overload]
    mark_states(units, states)
    files = list(evidence.files.all())
    mapped_units = {getattr(m.target, "unit_id", None) for m in mappings}
    context.update(
        closed=closed,
        open_units=(mapped_units or {units[0].pk}) if units else set(),
        units=units,
        mappings=mappings,
        chosen=chosen,
        states=states,
        files=[(f, inline_kind(f.content_type)) for f in files],
    )
    return context


def mark_states(units: list[Unit], states: dict[str, dict[int, str]]) -> None:
    """Put each item's decision state on the prefetched item, for the template."""
    for unit in units:
        for outcome in unit.outcomes.all():
            for c in outcome.criteria.all():
                c.state = states["criteria"].get(c.pk, "")  # type: ignore[attr-defined]
        for r in unit.range_items.all():
            r.state = states["range_items"].get(r.pk, "")  # type: ignore[attr-defined]
        for k in unit.knowledge_items.all():
            k.state = states["knowledge_items"].get(k.pk, "")  # type: ignore[attr-defined]


def inline_kind(content_type: str) -> str:
    """How the page shows a file in place: image, audio, video, pdf, or not at all."""
    if not content_type.startswith(INLINE_TYPES):
        return ""
    return "pdf" if content_type == "application/pdf" else content_type.split("/")[0]


def awaiting_countersignature(user: User) -> QuerySet[Decision]:
    """Trainees' provisional decisions at the centres where `user` is a qualified assessor,
    never their own decisions or on their own registration, nor on a closed one."""
    centres = Role.objects.filter(user=user, kind=RoleKind.ASSESSOR, is_trainee=False).values(
        "centre_id"
    )
    return (
        Decision.objects.filter(
            provisional=True,
            current=True,
            registration__in=Registration.objects.open().filter(centre__in=centres),
        )
        .exclude(Q(decided_by=user) | Q(registration__learner=user))
        .order_by("registration__learner__full_name", "decided_at", "pk")
    )


# The countersigning list is sorted by learner (grouped by their units), by trainee or by date.
COUNTERSIGN_SORTS = {
    "learner": (
        "Learner",
        ("registration__learner__full_name", "registration_id", "unit_code", "decided_at"),
    ),
    "trainee": (
        "Decided by",
        ("decided_by__full_name", "registration__learner__full_name", "registration_id"),
    ),
    "decided": ("Decided", ("decided_at",)),
}
# "All of a learner's unit" (registration-unit-newest id) and "all of a trainee's" (trainee-
# newest id): only what was waiting when the page was shown, never a decision that came after.
GROUP = re.compile(r"(\d{1,18})-(\d{1,18})-(\d{1,18})")
TRAINEE = re.compile(r"(\d{1,18})-(\d{1,18})")


def countersign_context(request: PortalRequest) -> dict[str, object]:
    """A page of the decisions waiting for the user's countersignature, grouped by learner and
    unit, with how many each trainee has waiting: a fixed number of queries however many wait."""
    waiting = awaiting_countersignature(request.user)
    trainees = [
        (row["decided_by"], row["decided_by__full_name"], row["n"], row["upto"])
        for row in waiting.order_by("decided_by__full_name", "decided_by")
        .values("decided_by", "decided_by__full_name")
        .annotate(n=Count("pk"), upto=Max("pk"))
    ]
    trainee = posted_id(request.GET.get("trainee"))
    shown = waiting.filter(decided_by=trainee) if trainee else waiting
    listed = shown.annotate(
        unit=unit_of_item(),
        unit_code=Coalesce(
            "criterion__unit__code", "range_item__unit__code", "knowledge_item__unit__code"
        ),
    ).select_related(
        "registration__learner",
        "registration__qualification",
        "decided_by",
        "criterion__unit",
        "range_item__unit",
        "knowledge_item__unit",
    )
    page, columns = sorted_page(request, listed, COUNTERSIGN_SORTS, "learner")
    decisions = list(page.object_list)
    prefetch_related_objects(decisions, "evidence")
    groups = {
        (row["registration"], row["unit"]): (row["n"], row["upto"])
        for row in shown.filter(registration__in={d.registration_id for d in decisions})
        .annotate(unit=unit_of_item())
        .order_by()
        .values("registration", "unit")
        .annotate(n=Count("pk"), upto=Max("pk"))
    }
    for d in decisions:
        d.group = groups.get((d.registration_id, d.unit), (0, 0))  # type: ignore[attr-defined]
    return {
        "page": page,
        "decisions": decisions,
        "columns": columns,
        "trainees": trainees,
        "trainee": trainee,
        "total": sum(n for _, _, n, _ in trainees),
    }


def to_countersign(data: QueryDict, user: User) -> list[int] | None:
    """The ids of the decisions a countersigning form asks for, among those the user may
    countersign: all of a learner's unit, all of a trainee's, or the ones ticked. None when
    nothing was asked for."""
    waiting = awaiting_countersignature(user).order_by()
    found: QuerySet[Decision]
    if group := GROUP.fullmatch(data.get("group", "")):
        registration, unit, upto = (int(n) for n in group.groups())
        found = (
            waiting.filter(registration_id=registration, pk__lte=upto)
            .annotate(unit=unit_of_item())
            .filter(unit=unit)
        )
    elif trainee := TRAINEE.fullmatch(data.get("trainee", "")):
        decided_by, upto = (int(n) for n in trainee.groups())
        found = waiting.filter(decided_by_id=decided_by, pk__lte=upto)
    else:
        ticked = posted_ids(data.getlist("decisions"))
        if not ticked:
            return None
        found = waiting.filter(pk__in=ticked)
    return list(found.values_list("pk", flat=True))


def sign_off_context(
    request: PortalRequest, registration: Registration, unit: Unit
) -> dict[str, object]:
    sign_offs = list(
        UnitSignOff.objects.filter(registration=registration, unit=unit).select_related(
            "signed_by", "unlocked_by"
        )
    )
    in_force = next((s for s in sign_offs if s.unlocked_at is None), None)
    user = request.user
    return {
        "registration": registration,
        "unit": unit,
        "sign_off": in_force,
        "unlocked": [s for s in sign_offs if s.unlocked_at is not None],
        "missing": unit_missing(registration, unit.pk) if in_force is None else [],
        "is_assessor": registration.assessor_id == user.pk,
        "is_learner": registration.learner_id == user.pk,
        "closed": registration.closed_because,
        "can_unlock": can_administer(request, registration),
        "countersign_form": LearnerCountersignForm(),
        "unlock_form": UnlockForm(),
    }


def history_entries(decisions: list[Decision]) -> QuerySet[AuditEntry]:
    subjects = [f"decision:{d.pk}" for d in decisions]
    return AuditEntry.objects.filter(subject__in=subjects).select_related("actor").order_by("-pk")


def caseload_context(request: PortalRequest, role: Role) -> dict[str, object]:
    """The assessor's home: the caseload with its filters, evidence to review, quiet learners
    and, for a qualified assessor, trainees' decisions to countersign."""
    today = datetime.date.today()
    registrations = Registration.objects.filter(assessor=request.user, centre=role.centre)
    qualifications = sorted(
        set(registrations.values_list("qualification_id", "qualification__title")),
        key=lambda q: q[1],
    )
    form = CaseloadFilterForm(request.GET or None, qualifications=qualifications)
    # A stale or edited value in one filter must not drop the others: keep the valid ones.
    form.is_valid()
    wanted = getattr(form, "cleaned_data", {})
    rows = caseload(
        request.user,
        role.centre,
        today,
        qualification_id=wanted.get("qualification"),
        rag=wanted.get("status") or None,
    )
    return {
        "today": today,
        "rows": rows,
        "filter_form": form,
        "rag_rule": RAG_RULE,
        "waiting": list(waiting_for_review(request.user, role.centre)[:50]),
        "quiet": [row for row in rows if row.quiet],
        "to_countersign": 0 if role.is_trainee else awaiting_countersignature(request.user).count(),
    }
