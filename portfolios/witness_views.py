from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from portal.http import PortalRequest
from portal.refusals import refused_on_form
from portfolios.access import closed_redirect, registration_for
from portfolios.forms import WitnessAskForm, WitnessConfirmForm
from portfolios.witness import (
    NOT_ALLOWED,
    WitnessAnswer,
    WitnessAnswerIncomplete,
    WitnessAsk,
    WitnessEmailRefused,
    WitnessLinkProblem,
    WitnessRefused,
    witness_confirm,
    witness_request_create,
    witness_request_for,
)


@login_required
def witness_ask(request: PortalRequest, pk: int) -> HttpResponse:
    registration = registration_for(request, pk)
    user = request.user
    if user.pk != registration.learner_id and not registration.is_assessed_by(user):
        raise PermissionDenied(NOT_ALLOWED)
    if closed := closed_redirect(request, registration):
        return closed
    form = WitnessAskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            witness_request_create(
                registration=registration,
                ask=WitnessAsk(data["name"], data["email"], data["role"], data["statement"]),
                actor=request.user,
                link_for=lambda token: request.build_absolute_uri(
                    reverse("portfolios:witness-confirm", args=[token])
                ),
            )
        except WitnessEmailRefused as refused:
            refused_on_form(form, refused, "email")
        except WitnessRefused as refused:
            refused_on_form(form, refused)
        else:
            name = data["name"]
            messages.success(request, f"{name} has been sent a link to confirm the testimony.")
            return redirect("portfolios:registration-detail", registration.pk)
    return render(
        request, "portfolios/witness_ask.html", {"form": form, "registration": registration}
    )


@never_cache
def witness_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """The witness's page: no login; the link itself is the permission, once."""
    try:
        witness = witness_request_for(token)
    except WitnessLinkProblem as problem:
        return render(
            request, "portfolios/witness_link_problem.html", {"problem": str(problem)}, status=410
        )
    form = WitnessConfirmForm(request.POST or None, initial={"signed_name": witness.witness_name})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        answer = WitnessAnswer(
            data["signed_name"], data["job_title"], data["relationship"], data["signature"]
        )
        try:
            witness_confirm(token=token, answer=answer)
        except WitnessLinkProblem as problem:
            return render(
                request,
                "portfolios/witness_link_problem.html",
                {"problem": str(problem)},
                status=410,
            )
        except WitnessAnswerIncomplete as refused:
            refused_on_form(form, refused, field="signature")
        else:
            return render(request, "portfolios/witness_thanks.html", {"witness": witness})
    return render(request, "portfolios/witness_confirm.html", {"form": form, "witness": witness})
