"""The centre admin's page of API tokens: make one (shown once), revoke one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api.forms import TokenForm
from api.models import ApiToken
from api.services import TokenRefused, token_create, token_revoke
from portal.access import admin_centre
from portal.http import PortalRequest
from portal.refusals import attempt, refused_on_form


@never_cache
@login_required
def token_list(request: PortalRequest) -> HttpResponse:
    centre = admin_centre(request)
    form = TokenForm(request.POST or None)
    made = None
    if request.method == "POST" and form.is_valid():
        try:
            made = token_create(
                centre=centre,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                actor=request.user,
            )
        except TokenRefused as refused:
            refused_on_form(form, refused)
        else:
            form = TokenForm()
    tokens = ApiToken.objects.filter(centre=centre).select_related("created_by", "revoked_by")
    context = {"centre": centre, "form": form, "made": made, "tokens": tokens}
    return render(request, "api/token_list.html", context)


@require_POST
@login_required
def token_revoke_view(request: PortalRequest, pk: int) -> HttpResponse:
    centre = admin_centre(request)
    token = get_object_or_404(ApiToken, pk=pk, centre=centre)
    return attempt(
        request,
        lambda: token_revoke(token=token, actor=request.user),
        success=f"The token “{token.name}” is revoked: calls with it are refused.",
        to="/api-tokens/",
    )
