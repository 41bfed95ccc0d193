"""Who may open a certificate: one helper, 404 otherwise."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from certification.models import Certificate
from portal.http import PortalRequest
from portfolios.access import visible_registrations


def certificate_for(request: PortalRequest, pk: int) -> Certificate:
    """A certificate of a registration the person may see, or 404."""
    visible = visible_registrations(request)
    return get_object_or_404(
        Certificate.objects.select_related(
            "registration__learner",
            "replaces",
            "replaced_by",
            "supersedes",
            "superseded_by",
            "registration",
        ),
        pk=pk,
        registration__in=visible,
    )
