"""The ground floor's own pages: switching the role one acts in, asking for a new password,
and the health check."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.forms import PortalPasswordResetForm
from portal.http import PortalRequest, posted_id, token_links
from portal.models import Role
from portal.roles import set_active_role
from portal.services import invitations_resend_to


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


class PasswordResetView(auth_views.PasswordResetView):
    """ "Forgotten your password?": a reset link for an account; for an address that has no
    account yet but an open invitation, that invitation again with a new link, so the
    invitation stays the one way an account is made (each re-send audited). The page reads
    the same whichever happened, or if nothing did."""

    form_class = PortalPasswordResetForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        response = super().form_valid(form)
        invitations_resend_to(
            email=form.cleaned_data["email"],
            link_for=token_links(self.request, "invitation-accept"),
        )
        return response
