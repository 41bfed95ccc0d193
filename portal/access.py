"""Who may open which of the ground floor's pages: one helper per resource."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404

from portal.http import PortalRequest
from portal.models import Centre, Invitation, RoleKind, User

NOT_CENTRE_ADMIN = "This page is for centre admins: switch to your centre admin role to use it."


def admin_centre(request: PortalRequest) -> Centre:
    """The centre the person administers in their current role, or 403."""
    role = request.role
    if role is None or role.kind != RoleKind.CENTRE_ADMIN:
        raise PermissionDenied(NOT_CENTRE_ADMIN)
    return role.centre


def invitation_for(request: PortalRequest, pk: int) -> Invitation:
    """An invitation of the centre the person administers now, or 404 (another centre's
    invitations are not found: their ids must not reveal anything)."""
    centre = admin_centre(request)
    return get_object_or_404(Invitation.objects.select_related("centre"), pk=pk, centre=centre)


def person_for(request: PortalRequest, pk: int) -> tuple[Centre, User]:
    """A person who holds a role at the centre the person administers now, or whose access to
    it was ended; 404 for anyone else (their ids must not reveal anything)."""
    centre = admin_centre(request)
    here = Q(roles__centre=centre) | Q(departures__centre=centre)
    return centre, get_object_or_404(User.objects.filter(here).distinct(), pk=pk)
