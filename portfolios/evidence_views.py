import functools
from collections.abc import Sequence

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from portal.http import PortalRequest, download_name, open_stored, posted_ids
from portal.refusals import flash_refusal, refused_on_form, refused_redirect
from portfolios import comments, evidence_reads, simulation_warnings
from portfolios.access import closed_redirect, evidence_file_for, evidence_for, registration_for
from portfolios.evidence import (
    ONLY_THE_LEARNER,
    EvidenceDetails,
    EvidenceGone,
    EvidenceRejected,
    change_refusal,
    evidence_add,
    evidence_delete,
    evidence_update,
    evidence_write,
    record_acknowledge,
    refused_on_evidence_form,
)
from portfolios.forms import AccountForm, CommentForm, EvidenceEditForm, EvidenceForm
from portfolios.mapping import Targets, mapped_to, mapping_propose, picker_context, plan_unit_ids
from portfolios.models import Evidence, EvidenceFile, ItemTarget
from qualifications.kept_units import units_rows
from qualifications.models import Qualification


def details_from(data: dict) -> EvidenceDetails:  # type: ignore[type-arg]
    return EvidenceDetails(
        title=data["title"],
        occurred_on=data["occurred_on"],
        method=data["method"],
        description=data["description"],
        setting=data["setting"],
        kind=data["kind"],
    )


def gone_redirect(request: PortalRequest, gone: EvidenceGone, evidence: Evidence) -> HttpResponse:
    """Evidence removed by a request just before: say so on the portfolio's page (its own page
    is gone)."""
    to = reverse("portfolios:registration-detail", args=[evidence.registration_id])
    return refused_redirect(request, gone, to)


# Said beside the file field when the upload form comes back with an error after files were
# chosen: a browser cannot put them back into the form.
FILES_CHOOSE_AGAIN = (
    "Choose your files again: a browser cannot keep them in a form that comes back."
)


@login_required
def evidence_new(request: PortalRequest, pk: int) -> HttpResponse:
    registration = registration_for(request, pk)
    if registration.learner_id != request.user.pk:
        raise PermissionDenied(ONLY_THE_LEARNER)
    if closed := closed_redirect(request, registration):
        return closed
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if note := simulation_warnings.upload_note(registration):  # decision 51, amended
        setting = form.fields["setting"]
        setting.help_text = f"{setting.help_text} {note}"
    if request.FILES.getlist("evidence_files"):  # only said if the form comes back
        files = form.fields["evidence_files"]
        files.help_text = f"{FILES_CHOOSE_AGAIN} {files.help_text}"
    if request.method == "POST" and form.is_valid():
        try:
            evidence = evidence_add(
                registration=registration,
                details=details_from(form.cleaned_data),
                files=form.cleaned_data["evidence_files"],
                declared=form.cleaned_data["declaration"],
                actor=request.user,
                altered_names=getattr(request, "altered_upload_names", []),
            )
        except EvidenceRejected as rejected:
            refused_on_form(form, rejected)
        else:
            messages.success(request, f"“{evidence.title}” is in your portfolio.")
            return redirect("portfolios:evidence-detail", evidence.pk)
    return render(
        request, "portfolios/evidence_form.html", {"form": form, "registration": registration}
    )


@login_required
def evidence_write_view(request: PortalRequest, pk: int) -> HttpResponse:
    """The learner writes a reflective account on the page: evidence without a file."""
    registration = registration_for(request, pk)
    if registration.learner_id != request.user.pk:
        raise PermissionDenied(ONLY_THE_LEARNER)
    if closed := closed_redirect(request, registration):
        return closed
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evidence = evidence_write(
                registration=registration,
                title=data["title"],
                occurred_on=data["occurred_on"],
                text=data["text"],
                declared=data["declaration"],
                actor=request.user,
                setting=data["setting"],
                kind=data["kind"],
            )
        except EvidenceRejected as rejected:
            refused_on_evidence_form(form, rejected)
        else:
            messages.success(
                request, f"“{evidence.title}” is in your portfolio. Now map it to the criteria."
            )
            return redirect("portfolios:evidence-detail", evidence.pk)
    return render(
        request, "portfolios/evidence_write.html", {"form": form, "registration": registration}
    )


FIELDS = ("title", "occurred_on", "method", "description", "setting", "kind")


def with_unit_codes(qualification: Qualification, *rows: Sequence[ItemTarget]) -> None:
    """Give each mapping and decision the code of its item's unit, which labels it, from the kept
    catalogue rows: joined to each item's unit, the decisions' query was eight tables, which
    PostgreSQL took 4-12 ms to plan, longer than the page's other queries together."""
    found = [(item, item.target) for row in rows for item in row]
    ids = {target.unit_id for _, target in found}  # type: ignore[attr-defined]
    codes = {unit.pk: unit.code for unit in units_rows(qualification, ids)}
    for item, target in found:
        item.unit_code = codes[target.unit_id]  # type: ignore[attr-defined]


def comment_field(form: CommentForm) -> SafeString | None:
    """The comment form's field as the page draws it (`as_crispy_field`), for a form not
    posted: the same markup for every piece of evidence and person (no value, no error), drawn
    once per process; by crispy on every view it cost the page some 2,400 Python calls. None
    for a posted form (its errors and text as posted: the template draws it)."""
    if form.is_bound or form.initial:
        return None
    return _comment_field()


@functools.cache
def _comment_field() -> SafeString:
    return as_crispy_field(CommentForm()["text"])  # type: ignore[no-any-return]


@login_required
def evidence_detail(request: PortalRequest, pk: int) -> HttpResponse:
    return detail_page(request, evidence_for(request, pk), CommentForm())


def detail_page(
    request: PortalRequest, evidence: Evidence, comment_form: CommentForm
) -> HttpResponse:
    registration = evidence.registration
    reads_thread = comments.may_read(registration, request.user)
    # Read by SQL compiled once (`evidence_reads`): the mappings, the current decisions this
    # evidence supports (with their feedback to the learner), its files and conversation.
    mappings = evidence_reads.mappings_of(evidence)
    decisions = evidence_reads.decisions_on(evidence)
    with_unit_codes(registration.qualification, mappings, decisions)
    context = {
        "evidence": evidence,
        "files": evidence_reads.files_of(evidence),
        "mappings": mappings,
        "decisions": decisions,
        "is_learner": registration.learner_id == request.user.pk,
        "can_change": registration.learner_id == request.user.pk and not change_refusal(evidence),
        "closed": registration.closed_because,
        "is_assessor": registration.is_assessed_by(request.user),
        "reads_thread": reads_thread,
        "thread": evidence_reads.thread_of(evidence) if reads_thread else [],
        "writes_thread": comments.writer_kind(registration, request.user) is not None,
        "comment_form": comment_form,
        "comment_field": comment_field(comment_form),
        # Simulated evidence mapped where the rules forbid simulation (decision 51, amended).
        "simulation_warnings": simulation_warnings.mapped_forbidden(evidence),
    }
    return render(request, "portfolios/evidence_detail.html", context)


@require_POST
@login_required
def evidence_comment(request: PortalRequest, pk: int) -> HttpResponse:
    """Add a comment to the evidence's conversation (the learner or their assessor)."""
    evidence = evidence_for(request, pk)
    if comments.writer_kind(evidence.registration, request.user) is None:
        raise PermissionDenied(comments.ONLY_THE_PARTIES)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comments.comment_add(
                evidence=evidence, text=form.cleaned_data["text"], actor=request.user
            )
        except comments.CommentRefused as refused:
            refused_on_form(form, refused)
        else:
            messages.success(request, "Your comment was sent.")
            to = reverse("portfolios:evidence-detail", args=[evidence.pk])
            return redirect(to + "#comments")
    return detail_page(request, evidence, form)


@login_required
def evidence_edit(request: PortalRequest, pk: int) -> HttpResponse:
    evidence = evidence_for(request, pk)
    if evidence.registration.learner_id != request.user.pk:
        raise PermissionDenied(ONLY_THE_LEARNER)
    refusal = change_refusal(evidence)
    if refusal:  # nothing on the form could be saved: say why on the evidence's own page
        detail = reverse("portfolios:evidence-detail", args=[evidence.pk])
        return refused_redirect(request, EvidenceRejected(refusal), detail)
    initial = {f: getattr(evidence, f) for f in FIELDS}
    form = EvidenceEditForm(request.POST or None, initial=initial, evidence=evidence)
    if request.method == "POST" and form.is_valid():
        try:
            evidence_update(
                evidence=evidence, details=details_from(form.cleaned_data), actor=request.user
            )
        except EvidenceGone as gone:
            return gone_redirect(request, gone, evidence)
        except EvidenceRejected as rejected:
            refused_on_form(form, rejected)
        else:
            messages.success(request, "Saved.")
            return redirect("portfolios:evidence-detail", evidence.pk)
    return render(request, "portfolios/evidence_edit.html", {"form": form, "evidence": evidence})


@require_POST
@login_required
def evidence_remove(request: PortalRequest, pk: int) -> HttpResponse:
    evidence = evidence_for(request, pk)
    registration = evidence.registration
    try:
        evidence_delete(evidence=evidence, actor=request.user)
    except EvidenceGone as gone:  # removed twice (a double click, a second tab)
        return gone_redirect(request, gone, evidence)
    except EvidenceRejected as rejected:
        return refused_redirect(
            request, rejected, reverse("portfolios:evidence-detail", args=[evidence.pk])
        )
    messages.success(request, f"“{evidence.title}” was removed.")
    return redirect("portfolios:registration-detail", registration.pk)


# Shown in the browser when asked for: pictures, sound and video, which the portal's pages show
# with <img>, <audio> and <video>. PDFs are drawn on the pages by the sandboxed PDF viewer
# (static/js/pdf-preview.js), so on their own they download, like everything else.
SHOWN_INLINE = ("image/", "audio/", "video/")
# Nothing in a file may run, however a browser comes to open it: no scripts, no plugins, no
# requests, a sandbox (an origin of its own), and no framing by anyone.
FILE_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"


@login_required
def evidence_file(request: PortalRequest, pk: int) -> HttpResponseBase:
    """Serve a stored file to someone allowed to see it, named with the extension of the type
    its content was found to be (docs/evidence.md)."""
    return file_response(request, evidence_file_for(request, pk))


def open_evidence_file(request: PortalRequest, stored: EvidenceFile) -> File | HttpResponse:
    """The stored file opened, or the missing-file page, logged (`portal.http.open_stored`)."""
    return open_stored(
        request, stored.file, f"Evidence file {stored.pk} (evidence {stored.evidence_id})"
    )


def file_response(
    request: PortalRequest, stored: EvidenceFile, content: File | None = None
) -> HttpResponseBase:
    """A stored evidence file as served to anyone allowed to see it (the caller checked): shown
    inline if a browser can show it safely, else downloaded, and never able to run anything.
    One missing from storage is a fault of the portal's, not the person's: said, not found,
    and logged, rather than an error page. `content` is the file already opened by a caller
    that records the view once the file is found (`open_evidence_file`)."""
    inline = stored.content_type.startswith(SHOWN_INLINE) and "download" not in request.GET
    if content is None:
        opened = open_evidence_file(request, stored)
        if isinstance(opened, HttpResponse):
            return opened
        content = opened
    response = FileResponse(
        content,
        as_attachment=not inline,
        filename=download_name(stored.original_name, stored.content_type, fallback="evidence"),
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def evidence_map(request: PortalRequest, pk: int) -> HttpResponse:
    """The criteria picker: every unit of the registration, grouped by unit and outcome."""
    evidence = evidence_for(request, pk)
    if evidence.registration.learner_id != request.user.pk:
        raise PermissionDenied(ONLY_THE_LEARNER)
    if closed := closed_redirect(request, evidence.registration):
        return closed
    if request.method == "POST":
        chosen = {
            name: frozenset(posted_ids(request.POST.getlist(name)))
            for name in ("criteria", "range_items", "knowledge_items")
        }
        try:
            mapping_propose(evidence=evidence, targets=Targets(**chosen), actor=request.user)
        except EvidenceGone as gone:
            return gone_redirect(request, gone, evidence)
        except EvidenceRejected as rejected:
            flash_refusal(request, rejected)  # and the picker is shown again
        else:
            messages.success(request, f"“{evidence.title}” is mapped to {mapped_to(evidence)}.")
            for warning in simulation_warnings.mapped_forbidden(evidence):
                messages.warning(request, warning)
            return redirect("portfolios:evidence-detail", evidence.pk)
    context = picker_context(evidence)
    # Before mapping simulated evidence: the units whose rules forbid it (decision 51, amended).
    if simulation_warnings.concerned(evidence):
        context["simulation_warnings"] = simulation_warnings.units_forbidding(
            evidence, plan_unit_ids(evidence)
        )
    return render(request, "portfolios/evidence_map.html", context)


@require_POST
@login_required
def evidence_acknowledge(request: PortalRequest, pk: int) -> HttpResponse:
    """The learner agrees that their assessor's record about them is a true record."""
    evidence = evidence_for(request, pk)
    if evidence.registration.learner_id != request.user.pk:
        raise PermissionDenied(ONLY_THE_LEARNER)
    to = reverse("portfolios:evidence-detail", args=[evidence.pk])
    try:
        record_acknowledge(evidence=evidence, actor=request.user)
    except EvidenceGone as gone:
        return gone_redirect(request, gone, evidence)
    except EvidenceRejected as rejected:
        return refused_redirect(request, rejected, to)
    messages.success(request, "Thank you: your assessor can see you agreed this is a true record.")
    return redirect(to)
