"""People at a centre, for its centre admin: one person's roles and work here, and ending a
leaver's access or giving it back (docs/people.md, decision 34). Inviting someone new and
sending an invitation again are the invitations' pages (`invitation_views`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from portal.access import person_for
from portal.forms import DeactivateForm
from portal.http import PortalRequest
from portal.models import Departure, Role
from portal.refusals import attempt, attempt_form, form_sent_back
from portal.services import person_deactivate, person_reactivate


@require_safe
@login_required
def person_detail(request: PortalRequest, pk: int) -> HttpResponse:
    centre, person = person_for(request, pk)
    # Registrations are the app above's; reached by their reverse relations, not imported.
    context = {
        "centre": centre,
        "person": person,
        "roles": Role.objects.filter(user=person, centre=centre).order_by("kind"),
        "departure": Departure.objects.current().filter(centre=centre, user=person).first(),
        "learning": person.registrations.filter(centre=centre).select_related("qualification"),
        "assessing": person.caseload.filter(centre=centre).open().count(),  # type: ignore[attr-defined]
        "assuring": person.quality_assured.filter(centre=centre).open().count(),  # type: ignore[attr-defined]
        "is_self": person.pk == request.user.pk,
        "form": form_sent_back(request, DeactivateForm, f"person-deactivate:{person.pk}"),
    }
    return render(request, "portal/person_detail.html", context)


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
