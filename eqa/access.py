"""Who may open which external quality assurance page: one helper per resource, 404 otherwise.

A window is found only while it is open, and only by its own external quality assurer: before
it opens and after it ends it is not found at all, so the access ends by itself (decision 29).
"""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404

from certification.models import Certificate
from eqa.models import EqaAccess, EqaReport
from portal.http import PortalRequest
from portal.models import RoleKind
from portfolios.models import Registration, roles_held


def window_for(request: PortalRequest, pk: int) -> EqaAccess:
    """The person's own EQA window, if it is open now, or 404."""
    return get_object_or_404(
        EqaAccess.objects.open_now().select_related("centre", "qualification", "eqa"),
        pk=pk,
        eqa=request.user,
    )


def registration_in(window: EqaAccess, pk: int) -> Registration:
    """A registration the window opens (its qualification at its centre), or 404."""
    return get_object_or_404(
        window.registrations().select_related("learner", "assessor", "iqa", "qualification"),
        pk=pk,
    )


def certificate_in(window: EqaAccess, pk: int) -> Certificate:
    """A claim of a registration the window opens, or 404."""
    return get_object_or_404(
        Certificate.objects.select_related("registration__learner", "replaced_by"),
        pk=pk,
        registration__in=window.registrations(),
    )


def report_for(request: PortalRequest, pk: int) -> EqaReport:
    """An EQA report, for the centre admins of its centre, or for its own external quality
    assurer while their window is open; 404 for anyone else."""
    user = request.user
    open_windows = EqaAccess.objects.open_now().filter(eqa=user)
    visible = EqaReport.objects.filter(
        Q(access__centre__in=roles_held(user, RoleKind.CENTRE_ADMIN))  # type: ignore[arg-type]
        | Q(access__in=open_windows)
    ).select_related("access__centre", "access__qualification", "access__eqa")
    return get_object_or_404(visible, pk=pk)
