"""Who may open a certificate, and who may change it: one helper each, 404 otherwise."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404

from certification.models import Certificate
from portal.http import PortalRequest
from portal.models import RoleKind
from portfolios.access import visible_registrations


def certificate_for(request: PortalRequest, pk: int) -> Certificate:
    """A certificate of a registration the person may see, or one the centre they administer
    now claimed (the learner may have moved since: decision 40), or 404."""
    here = Q(registration__in=visible_registrations(request))
    role = request.role
    if role is not None and role.kind == RoleKind.CENTRE_ADMIN:
        here |= Q(centre_id=role.centre_id)
    return get_object_or_404(
        Certificate.objects.select_related(
            "registration__learner",
            "replaces",
            "replaced_by",
            "supersedes",
            "superseded_by",
            "registration",
            "centre",
        ).filter(here),
        pk=pk,
    )


def may_change(request: PortalRequest, certificate: Certificate) -> bool:
    """Whether the person, in their current role, revokes, replaces or renders it again: a
    centre admin of the centre that claimed it, wherever the learner is now."""
    role = request.role
    return (
        role is not None
        and role.kind == RoleKind.CENTRE_ADMIN
        and role.centre_id == certificate.centre_id
    )
