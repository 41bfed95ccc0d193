"""The ground floor's own pages: switching the role one acts in, and the health check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.http import PortalRequest, posted_id
from portal.models import Role
from portal.roles import set_active_role


@require_POST
@login_required
def switch_role(request: PortalRequest) -> HttpResponse:
    role = get_object_or_404(
        Role.objects.filter(user=request.user), pk=posted_id(request.POST.get("role"))
    )
    set_active_role(request, role)
    messages.success(request, f"You are now working as {role.label.lower()} at {role.centre}.")
    return redirect("home")


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and container healthchecks: the app is up and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
