"""The samples waiting for a qualified IQA's countersignature, and countersigning one with a
note (decision 49)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from iqa.countersigning import (
    NOT_AN_IQA_COUNTERSIGNER,
    awaiting_iqa_countersignature,
    sample_countersign,
)
from iqa.forms import SampleCountersignForm
from iqa.models import Sample
from portal.http import PortalRequest
from portal.models import RoleKind
from portal.refusals import attempt_form, form_sent_back
from portfolios.models import roles_held


def require_qualified_iqa(request: PortalRequest) -> None:
    role = request.role
    if role is None or role.kind != RoleKind.IQA or role.is_trainee:
        raise PermissionDenied(NOT_AN_IQA_COUNTERSIGNER)


@require_safe
@login_required
def countersign_list(request: PortalRequest) -> HttpResponse:
    require_qualified_iqa(request)
    samples = list(awaiting_iqa_countersignature(request.user))
    rows = [
        (s, form_sent_back(request, SampleCountersignForm, f"sample-countersign:{s.pk}"))
        for s in samples
    ]
    return render(request, "iqa/countersign_list.html", {"rows": rows})


@require_POST
@login_required
def sample_countersign_view(request: PortalRequest, pk: int) -> HttpResponse:
    """A sample at a centre where the person is an IQA, or 404; the service says whether they
    may countersign it."""
    found = Sample.objects.filter(registration__centre__in=roles_held(request.user, RoleKind.IQA))
    sample = get_object_or_404(found.select_related("registration", "unit"), pk=pk)
    return attempt_form(
        request,
        SampleCountersignForm(request.POST),
        lambda data: sample_countersign(sample=sample, note=data["note"], actor=request.user),
        success=f"The sample of {sample.unit.code} is countersigned: it counts from now on.",
        to=reverse("iqa:countersign"),
        key=f"sample-countersign:{sample.pk}",
    )
