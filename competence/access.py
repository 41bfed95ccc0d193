"""Who reaches the register: the centre's admin, for its people; each person, for their own."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from competence.models import CompetenceEntry
from portal.access import admin_centre
from portal.http import PortalRequest
from portal.models import Centre


def entry_for(request: PortalRequest, pk: int) -> tuple[Centre, CompetenceEntry]:
    """An entry of the centre the person administers now, or 404 (another centre's entries are
    not found: their ids must not reveal anything)."""
    centre = admin_centre(request)
    entry = get_object_or_404(
        CompetenceEntry.objects.select_related("person"), pk=pk, centre=centre
    )
    return centre, entry
