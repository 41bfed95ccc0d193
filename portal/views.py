"""The ground floor's own pages: switching the role one acts in, asking for a new password,
the health check, and the PDF viewer the portal's pages frame to preview PDFs."""

from csp.decorators import csp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from portal.broker import send_or_run
from portal.database_state import migrations, unapplied
from portal.forms import PortalPasswordResetForm
from portal.http import PortalRequest, posted_id
from portal.models import Role
from portal.roles import set_active_role
from portal.tasks import password_reset_send


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
    """For load balancers and container healthchecks: the app is up and reaches its database,
    whose migrations are all applied (a server on a database not migrated answered every page
    with a 500 while this said "ok"). The migrations are asked until they are found applied,
    then once a process: an app's migrations do not go back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if not MIGRATED:
        if waiting := unapplied():
            said = f"not ready: {migrations(waiting)} not applied (python manage.py migrate)"
            return HttpResponse(said, status=503, content_type="text/plain")
        MIGRATED.append(True)
    return HttpResponse("ok", content_type="text/plain")


# Whether this process found every migration applied (`healthz`).
MIGRATED: list[bool] = []


# The PDF viewer's own policy. `sandbox allow-scripts` gives the page an opaque origin of its
# own, so pdf.js, and anything a crafted PDF might make of it, runs with no cookies, no storage
# and no reach into the portal's pages; it may load the portal's scripts and styles and nothing
# else, send nothing anywhere, and be framed only by the portal's own pages.
PDF_VIEWER_POLICY = {
    "sandbox": ["allow-scripts"],
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'self'"],
}


@csp(PDF_VIEWER_POLICY)
@xframe_options_sameorigin
def pdf_viewer(request: HttpRequest) -> HttpResponse:
    """An empty page that draws the PDF its parent page sends it (static/js/pdf-viewer.mjs).
    It holds no data of its own, so it needs no login: the parent page fetched the file
    (through the view that checks who may see it) before handing its bytes over."""
    return render(request, "portal/pdf_viewer.html")


class PasswordResetView(auth_views.PasswordResetView):
    """ "Forgotten your password?": a reset link for an account; for an address that has no
    account yet but an open invitation, that invitation again with a new link, so the
    invitation stays the one way an account is made (each re-send audited). The page reads
    the same whichever happened, or if nothing did, and takes the same time: the request only
    queues the work (`password_reset_send`), once the address is a valid one."""

    form_class = PortalPasswordResetForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email, request = form.cleaned_data["email"], self.request
        transaction.on_commit(
            lambda: send_or_run(password_reset_send, email, request.get_host(), request.is_secure())
        )
        return HttpResponseRedirect(self.get_success_url())
