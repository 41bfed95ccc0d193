"""Who may open which registration: one helper per resource, as the house style asks."""

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

# The centre admin's role is the ground floor's to check; the pages here use it as their own.
from portal.access import NOT_CENTRE_ADMIN as NOT_CENTRE_ADMIN
from portal.access import admin_centre as admin_centre
from portal.http import PortalRequest
from portal.models import RoleKind
from portal.refusals import Refused, refused_redirect
from portfolios.models import (
    Evidence,
    EvidenceFile,
    QuestionSet,
    Registration,
    RegistrationQuerySet,
    visible_condition,
)


def visible_registrations(request: PortalRequest) -> RegistrationQuerySet:
    """The registrations the person may see, by the roles the request has read already."""
    return Registration.objects.visible_to(request.user, request.roles)


def registration_for(request: PortalRequest, pk: int, **annotations: Any) -> Registration:
    """A registration the person may see, or 404 (never 403: ids must not reveal anything).
    `annotations`: what the page reads with it (whether it has any of something, say)."""
    # The qualification's AO with it: its claim policy says what the registration still needs;
    # whether its learner is anonymised, which closes it (`closed_because`), most pages ask.
    visible = visible_registrations(request).select_related(
        "learner__anonymisation",
        "qualification__awarding_organisation",
        "centre",
        "assessor",
        "iqa",
    )
    return get_object_or_404(visible.annotate(**annotations), pk=pk)


def closed_redirect(request: PortalRequest, registration: Registration) -> HttpResponse | None:
    """For a page that only adds to a registration: if it is closed, back to the registration's
    page with the reason, rather than a form whose every answer would be refused."""
    if not registration.closed_because:
        return None
    detail = reverse("portfolios:registration-detail", args=[registration.pk])
    return refused_redirect(request, Refused(registration.closed_because), detail)


def can_administer(request: PortalRequest, registration: Registration) -> bool:
    role = request.role
    return (
        role is not None
        and role.kind == RoleKind.CENTRE_ADMIN
        and role.centre_id == registration.centre_id
    )


def evidence_for(request: PortalRequest, pk: int) -> Evidence:
    """Evidence in a portfolio the person may see, or 404."""
    # Asked of the evidence's registration as joined, not `registration__in=` the visible
    # registrations: PostgreSQL planned that (a second copy of the registrations) three times
    # as long, about 6 ms on every page that opens a piece of evidence (decision 59).
    visible = visible_condition(request.user, request.roles, to="registration__")
    if visible is None:
        raise Http404("No such evidence.")
    # Who made it too: an assessor's record names them (the page's queries stay the same
    # whatever the evidence: tests/integration/test_query_counts_at_scale.py); whether its
    # learner is anonymised (`closed_because`) and the witness request it answers, if any
    # (`is_signed_testimony`), which the pages ask and would read a query each.
    found = Evidence.objects.select_related(
        "registration__learner__anonymisation",
        "registration__qualification",
        "created_by",
        "witness_request",
    )
    return get_object_or_404(found.filter(visible), pk=pk)


def evidence_file_for(request: PortalRequest, pk: int) -> EvidenceFile:
    """A stored file the person may open, or 404: the same rule as its portfolio."""
    visible = visible_registrations(request)
    return get_object_or_404(EvidenceFile.objects.all(), pk=pk, registration__in=visible)


def question_set_for(request: PortalRequest, pk: int) -> QuestionSet:
    """A set of questions on a registration the person may see, or 404."""
    visible = visible_registrations(request)
    found = QuestionSet.objects.select_related(
        "registration__learner", "registration__qualification", "set_by", "evidence"
    )
    return get_object_or_404(found, pk=pk, registration__in=visible)
