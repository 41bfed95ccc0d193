"""The external quality assurer's pages, each for one open window and audited as it is viewed;
and the centre admin's pages of the reports on their centre (decision 29)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods

from certification.models import Certificate
from eqa import pages
from eqa.access import certificate_in, registration_in, report_for, window_for
from eqa.forms import EqaReportForm, EqaSampleForm, HoldForm
from eqa.models import EqaAccess, EqaReport
from eqa.services import (
    EqaRefused,
    claim_hold,
    claim_release,
    eqa_page_viewed,
    eqa_report_record,
    eqa_sample_record,
)
from portal.access import admin_centre
from portal.http import PortalRequest, posted_id
from portal.refusals import (
    attempt,
    form_sent_back,
    refused_on_form,
    refused_redirect,
    send_back,
)
from portfolios.evidence_views import file_response, open_evidence_file
from portfolios.models import EvidenceFile
from qualifications.models import Unit


def seen(request: PortalRequest, window: EqaAccess, subject: str) -> None:
    """Audit the page the EQA is about to be shown (only once it is known to be theirs)."""
    page = request.resolver_match.view_name if request.resolver_match else request.path
    eqa_page_viewed(access=window, page=page, subject=subject, actor=request.user)


@login_required
def eqa_home(request: PortalRequest) -> HttpResponse:
    """The external quality assurer's own access windows: open, to come and ended."""
    windows = EqaAccess.objects.filter(eqa=request.user).select_related("centre", "qualification")
    return render(request, "eqa/home.html", {"windows": windows})


@login_required
def window_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """The registrations the window opens."""
    window = window_for(request, pk)
    context = {"window": window, "registrations": pages.window_registrations(window)}
    seen(request, window, f"eqa-access:{window.pk}")
    return render(request, "eqa/window.html", context)


@login_required
def registration_detail(request: PortalRequest, pk: int, registration_pk: int) -> HttpResponse:
    """One learner's portfolio, read-only: units, evidence, decisions and claims."""
    window = window_for(request, pk)
    registration = registration_in(window, registration_pk)
    context = {"window": window, "registration": registration, **pages.portfolio(registration)}
    seen(request, window, f"registration:{registration.pk}")
    return render(request, "eqa/registration.html", context)


@login_required
def evidence_file(request: PortalRequest, pk: int, file_pk: int) -> HttpResponseBase:
    """A learner's evidence file, read by the EQA of a window that opens the learner's
    registration: served as the centre's staff see it, and the view audited like every page."""
    window = window_for(request, pk)
    stored = get_object_or_404(
        EvidenceFile.objects.filter(registration__in=window.registrations()), pk=file_pk
    )
    content = open_evidence_file(request, stored)
    if isinstance(content, HttpResponse):
        return content  # missing from storage: not recorded as seen
    seen(request, window, f"evidence-file:{stored.pk}")
    return file_response(request, stored, content)


@login_required
def iqa_records(request: PortalRequest, pk: int) -> HttpResponse:
    """The centre's IQA plans and samples for the window's qualification."""
    window = window_for(request, pk)
    context = {"window": window, **pages.iqa_records(window)}
    seen(request, window, f"eqa-access:{window.pk}")
    return render(request, "eqa/iqa.html", context)


def sample_form(window: EqaAccess, data: object = None, initial: object = None) -> EqaSampleForm:
    registrations = [
        (r.pk, r.learner.full_name) for r in window.registrations().select_related("learner")
    ]
    units = [
        (u.pk, f"{u.reference or u.code} {u.title}")
        for u in Unit.objects.filter(memberships__qualification=window.qualification).order_by(
            "code"
        )
    ]
    return EqaSampleForm(data, initial=initial, registrations=registrations, units=units)  # type: ignore[arg-type]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def sample_new(request: PortalRequest, pk: int) -> HttpResponse:
    """Choose a learner (and a unit) to look at, and record what was looked at and found."""
    window = window_for(request, pk)
    form = sample_form(
        window, request.POST or None, {"registration": request.GET.get("registration")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = Unit.objects.filter(pk=data["unit"]).first() if data["unit"] else None
        try:
            eqa_sample_record(
                access=window,
                registration=registration_in(window, data["registration"]),
                unit=unit,
                looked_at=data["looked_at"],
                finding=data["finding"],
                actor=request.user,
                form_token=data["form_token"],
            )
        except EqaRefused as refused:
            refused_on_form(form, refused)
        else:
            messages.success(request, "The sample is recorded.")
            return redirect("eqa:sample", window.pk)
    if request.method != "POST":
        seen(request, window, f"eqa-access:{window.pk}")
    context = {
        "window": window,
        "form": form,
        "samples": window.samples.select_related("registration__learner", "unit"),
    }
    return render(request, "eqa/sample.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_new(request: PortalRequest, pk: int) -> HttpResponse:
    """Write the report on the visit, with actions for the centre (once; then it is shown)."""
    window = window_for(request, pk)
    report = EqaReport.objects.filter(access=window).first()
    if report is not None:
        return redirect("eqa:report-detail", report.pk)
    form = EqaReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = eqa_report_record(
                access=window,
                summary=form.cleaned_data["summary"],
                actions=form.actions_due(),
                actor=request.user,
            )
        except EqaRefused as refused:
            refused_on_form(form, refused)
        else:
            messages.success(request, "The report is recorded: the centre can read it now.")
            return redirect("eqa:report-detail", report.pk)
    if request.method != "POST":
        seen(request, window, f"eqa-access:{window.pk}")
    return render(request, "eqa/report_form.html", {"window": window, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claims(request: PortalRequest, pk: int) -> HttpResponse:
    """The window's claims held for the EQA: release each, or hold it with a reason."""
    window = window_for(request, pk)
    if request.method == "POST":
        return claim_decide(request, window)
    claims = [
        (c, form_sent_back(request, HoldForm, hold_key(c), auto_id=f"id_%s_{c.pk}"))
        for c in pages.window_claims(window)
    ]
    context = {"window": window, "claims": claims}
    seen(request, window, f"eqa-access:{window.pk}")
    return render(request, "eqa/claims.html", context)


def hold_key(certificate: Certificate) -> str:
    """The key a claim's hold form is sent back under (portal.refusals.send_back)."""
    return f"eqa:hold:{certificate.pk}"


CHOOSE_DECISION = "Choose whether to release the claim or hold it: nothing was changed."


def claim_decide(request: PortalRequest, window: EqaAccess) -> HttpResponse:
    to = reverse("eqa:claims", args=[window.pk])
    certificate = certificate_in(window, posted_id(request.POST.get("certificate")))
    decision = request.POST.get("decision")
    if decision not in ("release", "hold"):
        return refused_redirect(request, EqaRefused(CHOOSE_DECISION), to)
    if decision == "release":
        return attempt(
            request,
            lambda: claim_release(access=window, certificate=certificate, actor=request.user),
            success=f"{certificate.registration.learner.full_name}'s claim is released.",
            to=to,
        )
    form = HoldForm(request.POST)
    if not form.is_valid():
        return send_back(request, form, hold_key(certificate), to)
    return attempt(
        request,
        lambda: claim_hold(
            access=window,
            certificate=certificate,
            reason=form.cleaned_data["reason"],
            actor=request.user,
        ),
        success=f"{certificate.registration.learner.full_name}'s claim is held.",
        to=to,
    )


@login_required
def report_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """An EQA report with its actions and what was sampled: for the centre's admins, and its
    own EQA while the window is open. `?download` gives it as a file to keep (a final
    certification audit asks for the external verifier's report)."""
    report = report_for(request, pk)
    window = report.access
    context = {
        "report": report,
        "window": window,
        "samples": window.samples.select_related("registration__learner", "unit"),
    }
    if window.eqa_id == request.user.pk:
        seen(request, window, f"eqa-report:{report.pk}")
    if "download" not in request.GET:
        return render(request, "eqa/report.html", context)
    response = render(request, "eqa/report_download.html", context)
    name = slugify(f"eqa-report-{window.qualification.code}-{report.written_at:%Y-%m-%d}") + ".html"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def centre_reports(request: PortalRequest) -> HttpResponse:
    """The centre admin's view of external quality assurance at their centre: who has access
    when, and every report with its actions."""
    centre = admin_centre(request)
    windows = (
        EqaAccess.objects.filter(centre=centre)
        .select_related("eqa", "qualification", "report")
        .prefetch_related("report__actions")
    )
    return render(request, "eqa/centre_reports.html", {"centre": centre, "windows": windows})
