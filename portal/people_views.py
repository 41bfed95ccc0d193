"""People at a centre, for its centre admin: one person's roles and work here, and ending a
leaver's access or giving it back (docs/people.md, decision 34). Inviting someone new and
sending an invitation again are the invitations' pages (`invitation_views`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from portal.access import person_for
from portal.forms import DeactivateForm
from portal.http import PortalRequest
from portal.models import Centre, Departure, Role, User
from portal.refusals import attempt, attempt_form, form_sent_back
from portal.services import person_deactivate, person_reactivate


@require_safe
@login_required
def person_detail(request: PortalRequest, pk: int) -> HttpResponse:
    centre, person = person_for(request, pk)
    departure = Departure.objects.current().filter(centre=centre, user=person).first()
    # Registrations are the app above's; reached by their reverse relations, not imported.
    context = {
        "centre": centre,
        "person": person,
        "roles": Role.objects.filter(user=person, centre=centre).order_by("kind"),
        "departure": departure,
        "learning": person.registrations.filter(centre=centre).select_related("qualification"),
        "assessing": assessing(person, centre),
        "assuring": person.quality_assured.filter(centre=centre).open().count(),  # type: ignore[attr-defined]
        "left_behind": left_behind(person, centre) if departure else [],
        "is_self": person.pk == request.user.pk,
        "form": form_sent_back(request, DeactivateForm, f"person-deactivate:{person.pk}"),
    }
    return render(request, "portal/person_detail.html", context)


def assessing(person: User, centre: Centre) -> int:
    """How many open registrations here the person assesses: as the registration's assessor or
    a unit's (decision 39). Reached through the reverse relation's model, not imported."""
    registrations = person.caseload.model.objects  # type: ignore[attr-defined]
    return int(registrations.assessed_by(person).filter(centre=centre).open().count())


@dataclass(frozen=True)
class LeftBehind:
    """An open registration still naming a leaver: as its assessor or IQA (`units` empty), or
    as the own assessor of `units` of its plan (decision 39)."""

    role: str  # "Assessor" or "IQA"
    registration: Any
    units: tuple[str, ...] = ()

    @property
    def what(self) -> str:
        """The words before the registration: "Assessor of", "Assessor of unit 208 for"."""
        if not self.units:
            return f"{self.role} of"
        units = "unit" if len(self.units) == 1 else "units"
        return f"{self.role} of {units} {', '.join(self.units)} for"


def left_behind(person: User, centre: Centre) -> list[LeftBehind]:
    """The open registrations at the centre that still name a leaver as assessor or IQA, or as
    a unit's own assessor, for the admin to give to someone else. Three queries however many."""
    registrations = person.caseload.model.objects  # type: ignore[attr-defined]
    held = registrations.assessed_by(person).filter(centre=centre).open()
    units: dict[int, list[str]] = {}
    own = person.units_assessed.filter(registration__in=held.values("pk"))  # type: ignore[attr-defined]
    for registration_id, code in own.order_by("unit__code").values_list(
        "registration", "unit__code"
    ):
        units.setdefault(registration_id, []).append(code)
    named = []
    for role, mine in (
        ("Assessor", held),
        ("IQA", person.quality_assured.filter(centre=centre).open()),  # type: ignore[attr-defined]
    ):
        found = mine.select_related("learner", "qualification")
        for r in found.order_by("learner__full_name", "pk"):
            theirs = role == "IQA" or r.assessor_id == person.pk
            named.append(LeftBehind(role, r, () if theirs else tuple(units[r.pk])))
    return named


@require_POST
@login_required
def person_deactivate_view(request: PortalRequest, pk: int) -> HttpResponse:
    centre, person = person_for(request, pk)
    return attempt_form(
        request,
        DeactivateForm(request.POST),
        lambda data: person_deactivate(
            centre=centre, person=person, reason=data["reason"], actor=request.user
        ),
        success=f"{person.full_name}'s access to {centre} has ended; their records are kept.",
        to=reverse("person-detail", args=[person.pk]),
        key=f"person-deactivate:{person.pk}",
    )


@require_POST
@login_required
def person_reactivate_view(request: PortalRequest, pk: int) -> HttpResponse:
    centre, person = person_for(request, pk)
    return attempt(
        request,
        lambda: person_reactivate(centre=centre, person=person, actor=request.user),
        success=f"{person.full_name} has their access to {centre} again.",
        to=reverse("person-detail", args=[person.pk]),
    )
