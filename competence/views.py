"""The register's pages: a person's entries and their form, for the centre admin; the centre's
register with its enforcement switch; each person's own entries, read only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from competence.access import entry_for
from competence.forms import EndForm, EntryForm
from competence.models import CompetenceEntry
from competence.services import (
    OWN_ENTRY,
    CompetenceRefused,
    entry_end,
    entry_record,
    register_enforce,
)
from competence.standing import enforced, enforcement_history, standings
from portal.access import admin_centre, person_for
from portal.http import PortalRequest
from portal.models import Centre, Role, RoleKind, User
from portal.refusals import attempt, refused_on_form

PRACTITIONERS = (RoleKind.ASSESSOR, RoleKind.IQA)
NOT_A_PRACTITIONER = (
    "The competence register holds assessors' and IQAs' awards: you are neither, so it has "
    "nothing of yours."
)


@require_safe
@login_required
def person_register(request: PortalRequest, pk: int) -> HttpResponse:
    centre, person = person_for(request, pk)
    context = {
        "centre": centre,
        "person": person,
        "standing": standings(centre.pk, [person.pk], timezone.localdate())[person.pk],
        "practitioner": Role.objects.filter(
            user=person, centre=centre, kind__in=PRACTITIONERS
        ).exists(),
        "enforced": enforced(centre.pk),
        "own": person.pk == request.user.pk,
        "editable": person.pk != request.user.pk,
        "own_entry": OWN_ENTRY.format(centre=centre),
    }
    return render(request, "competence/person_register.html", context)


# A form page: GET shows it, POST sends it; any other method is answered 405 before anything.
@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def entry_add(request: PortalRequest, pk: int) -> HttpResponse:
    centre, person = person_for(request, pk)
    _refuse_own(request, centre, person)
    return _entry_form(request, centre, person, None)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def entry_edit(request: PortalRequest, pk: int) -> HttpResponse:
    centre, entry = entry_for(request, pk)
    _refuse_own(request, centre, entry.person)
    return _entry_form(request, centre, entry.person, entry)


def _refuse_own(request: PortalRequest, centre: Centre, person: User) -> None:
    """An admin never writes their own entries (decision 49): their forms are not opened for
    them, whose every answer the service would refuse, but refused at once, saying who may."""
    if person.pk == request.user.pk:
        raise PermissionDenied(OWN_ENTRY.format(centre=centre))


def _entry_form(
    request: PortalRequest, centre: Centre, person: User, entry: CompetenceEntry | None
) -> HttpResponse:
    initial = EntryForm.initial_of(entry) if entry else None
    form = EntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry_record(
                centre=centre,
                person=person,
                details=form.details(),
                actor=request.user,
                entry=entry,
            )
        except CompetenceRefused as refused:
            refused_on_form(form, refused, refused.field)
        else:
            messages.success(request, f"{person.full_name}'s register is saved.")
            return redirect("competence:person", person.pk)
    context = {"form": form, "centre": centre, "person": person, "entry": entry}
    return render(request, "competence/entry_form.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def entry_end_view(request: PortalRequest, pk: int) -> HttpResponse:
    """End an entry with the reason: it stays on the person's register as history."""
    centre, entry = entry_for(request, pk)
    person = entry.person
    _refuse_own(request, centre, person)
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry_end(entry=entry, reason=form.cleaned_data["reason"], actor=request.user)
        except CompetenceRefused as refused:
            refused_on_form(form, refused, refused.field)
        else:
            messages.success(
                request, f"{entry.award_title} is ended on {person.full_name}'s register."
            )
            return redirect("competence:person", person.pk)
    context = {"form": form, "centre": centre, "person": person, "entry": entry}
    return render(request, "competence/entry_end.html", context)


@require_safe
@login_required
def centre_register(request: PortalRequest) -> HttpResponse:
    centre = admin_centre(request)
    people = (
        User.objects.filter(roles__centre=centre, roles__kind__in=PRACTITIONERS)
        .distinct()
        .order_by("full_name", "pk")
    )
    found = standings(centre.pk, [p.pk for p in people], timezone.localdate())
    context = {
        "centre": centre,
        "rows": [(p, found[p.pk]) for p in people],
        "enforced": enforced(centre.pk),
        "history": enforcement_history(centre.pk),
    }
    return render(request, "competence/centre_register.html", context)


@require_POST
@login_required
def enforce_view(request: PortalRequest) -> HttpResponse:
    centre = admin_centre(request)
    on = bool(request.POST.get("on"))  # the button's hidden value: "1" turns it on
    return attempt(
        request,
        lambda: register_enforce(centre=centre, on=on, actor=request.user),
        success=f"The competence register is {'now' if on else 'no longer'} enforced at {centre}.",
        to=reverse("competence:centre"),
    )


@require_safe
@login_required
def my_register(request: PortalRequest) -> HttpResponse:
    """The person's own entries at each centre where they are an assessor or IQA: read only.
    Anyone else (a learner, an admin only, an EQA) has no register to read: refused, as the
    pages of a role they do not hold are."""
    user = request.user
    centres = list(
        Centre.objects.filter(roles__user=user, roles__kind__in=PRACTITIONERS)
        .distinct()
        .order_by("name")
    )
    if not centres:
        raise PermissionDenied(NOT_A_PRACTITIONER)
    rows = [(c, standings(c.pk, [user.pk], timezone.localdate())[user.pk]) for c in centres]
    return render(request, "competence/my_register.html", {"rows": rows})
