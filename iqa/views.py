"""The IQA's pages: plans and their coverage, sampling a unit, the sample report, actions."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from assessment.access import planned_unit_for
from competence.standing import enforced
from iqa import access, pages, plan_drawn, sample_drawn
from iqa.countersigning import sample_notice, sample_recorded_message
from iqa.forms import (
    LiftForm,
    NotAcceptedForm,
    PlanForm,
    ResponseForm,
    SampleForm,
    StrategyForm,
)
from iqa.models import Action, DocumentStatus, PlanItem
from iqa.reports import document_file_name, plan_file_name, sampling_record_csv
from iqa.selectors import unit_claim_states
from iqa.services import (
    ACTIONS_NEEDED,
    ALREADY_REMOVED,
    FEEDBACK_NEEDED,
    NO_DECISION_TICKED,
    NOT_AN_IQA,
    NOTHING_DECIDED,
    AlreadyMade,
    IqaRefused,
    Judgement,
    action_close,
    action_not_accept,
    action_respond,
    document_request,
    plan_generate,
    plan_item_add,
    plan_item_remove,
    sample_lock_lift,
    sample_record,
    strategy_for,
    strategy_save,
)
from portal.http import PortalRequest, download_name, posted_id, posted_ids, private_pdf
from portal.listing import sorted_rows_page
from portal.models import RoleKind
from portal.refusals import attempt, attempt_form, form_sent_back, refused_redirect
from portfolios.access import closed_redirect, registration_for
from portfolios.models import Registration
from qualifications.models import Qualification

# Where a refused sample's reasons are shown: under the field they are about. The decisions
# ticked are not a form field: their reason is shown beside their list (the template's).
SAMPLE_REFUSAL_FIELDS = {ACTIONS_NEEDED: "action_1", FEEDBACK_NEEDED: "feedback"}
ABOUT_THE_DECISIONS = (NOTHING_DECIDED, NO_DECISION_TICKED)
CHOOSE_UNPLANNED = "Choose work of the period that is not in the plan."


number = posted_id  # an id sent by a form: anything else matches nothing, never an error


@login_required
def plan_new(request: PortalRequest) -> HttpResponse:
    role = request.role
    if role is None or role.kind != RoleKind.IQA:
        raise PermissionDenied(NOT_AN_IQA)
    form = PlanForm(request.POST or None, qualifications=pages.centre_qualifications(role.centre))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = plan_generate(
                centre=role.centre,
                # One of the centre's qualifications (the form's choices): not read again.
                qualification=Qualification(pk=data["qualification"]),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                actor=request.user,
                form_token=data["form_token"],
            )
        except AlreadyMade as repeat:
            # The token's plan, shown only to whoever may open it: to anyone else (the token
            # sent by an IQA of another centre), not found, as that plan is, its id unsaid.
            made = access.plan_for(request, repeat.made.pk)
            return refused_redirect(request, repeat, reverse("iqa:plan-detail", args=[made.pk]))
        count = plan.items_made
        messages.success(request, f"Plan generated with {count} item{'' if count == 1 else 's'}.")
        return redirect("iqa:plan-detail", plan.pk)
    return render(request, "iqa/plan_form.html", {"form": form})


@login_required
def plan_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """A plan: its items a page at a time, the coverage of the period's work, and the work not
    in the plan, a page at a time, to add by hand."""
    plan = access.plan_for(request, pk)
    if request.method == "POST":
        return plan_change(request, plan)
    items, sampled = pages.planned_and_sampled(plan)
    pieces = pages.plan_pieces(plan)
    learners = pages.plan_learners(items, pieces)
    progress = pages.plan_progress(items, sampled, learners)
    covered = pages.coverage(pieces, items)
    sorts = pages.item_sorts(covered, learners)
    page, columns = sorted_rows_page(request, items, sorts, "assessor")
    shown = pages.item_rows(page, covered, learners, sampled)
    unplanned = pages.unplanned_page(request, covered, learners)
    is_iqa = plan.iqa_id == request.user.pk
    context = {
        "plan": plan,
        "page": page,
        "shown": shown,
        "items_drawn": plan_drawn.items_html(shown, is_iqa),
        "columns": columns,
        "progress": progress,
        "by_units": covered.by_units,
        "units_drawn": plan_drawn.matrix_html(covered.by_units, "coverage-units"),
        "methods_drawn": plan_drawn.matrix_html(covered.by_methods, "coverage-methods"),
        "unplanned": unplanned,
        "unplanned_drawn": plan_drawn.unplanned_html(unplanned, is_iqa),
        "is_iqa": is_iqa,
        "documents": pages.plan_documents(plan.pk),
    }
    return render(request, "iqa/plan_detail.html", context)


def plan_change(request: PortalRequest, plan: pages.SamplingPlan) -> HttpResponse:
    """Add a piece of the period's work to the plan by hand, or remove an item."""
    back = reverse("iqa:plan-detail", args=[plan.pk])
    if "remove" in request.POST:
        pk = number(request.POST["remove"])
        item = PlanItem.objects.filter(pk=pk, plan=plan).first()
        if item is None:
            # Removed already (a double click, the back button): said as the service says it
            # in the same race a moment earlier, to the plan's IQA; anyone else, and a malformed
            # id, still find nothing.
            if not pk or plan.iqa_id != request.user.pk:
                raise Http404
            return refused_redirect(request, IqaRefused(ALREADY_REMOVED), back)
        return attempt(
            request,
            lambda: plan_item_remove(item=item, actor=request.user),
            success="Removed from the plan.",
            to=back,
        )
    # Only the plan's IQA, while an IQA there, adds to it (as `plan_item_add` requires): anyone
    # else is refused whatever they sent, not told to choose other work of the period.
    if not access.is_plans_iqa(request, plan):
        raise PermissionDenied(NOT_AN_IQA)
    work = pages.unplanned_piece(plan, request.POST.get("add", ""))
    if work is None:
        return refused_redirect(request, IqaRefused(CHOOSE_UNPLANNED), back)
    return attempt(
        request,
        lambda: plan_item_add(plan=plan, work=work, actor=request.user),
        success="Added to the plan.",
        to=back,
    )


@login_required
def sample_new(request: PortalRequest, pk: int, unit_pk: int) -> HttpResponse:
    registration = registration_for(request, pk)
    # The form is an IQA's at the learner's centre: anyone else who may see the registration
    # (its learner, its assessor) would be shown the form a sample is recorded with.
    if (RoleKind.IQA, registration.centre_id) not in access.held_roles(request):
        raise Http404
    unit = planned_unit_for(registration, unit_pk)
    if closed := closed_redirect(request, registration):
        return closed
    item = pages.plan_item_of(number(request.GET.get("item")), request.user, registration)
    # The decisions as objects only for a sample recorded (`sample_record` takes them).
    shown = pages.unit_under_sample(registration, unit, with_decisions=request.method == "POST")
    trainee = trainee_here(request, registration)
    form = SampleForm(request.POST or None)
    decisions_errors: list[str] = []
    # What was ticked, on a form sent back (None: shown afresh, every box ticked).
    sent: tuple[set[int], set[int]] | None = None
    if request.method == "POST":
        sent = (
            posted_ids(request.POST.getlist("decisions")),
            posted_ids(request.POST.getlist("evidence")),
        )
    if sent is not None and form.is_valid():
        data = form.cleaned_data
        chosen, looked = sent
        judgement = Judgement(**{k: data[k] for k in Judgement.__dataclass_fields__})
        try:
            sample = sample_record(
                registration=registration,
                unit_id=unit.pk,
                decisions=[d for d in shown["decisions"] if d.pk in chosen],  # type: ignore[attr-defined]
                evidence=[e for e in shown["evidence"] if e.pk in looked],  # type: ignore[attr-defined]
                judgement=judgement,
                actions=form.actions(),  # type: ignore[arg-type]
                actor=request.user,
                plan_item=item,
                form_token=data["form_token"],
            )
        except AlreadyMade as repeat:
            # The token's sample, shown only to whoever may open it: to anyone else (the token
            # sent by an IQA of another centre), not found, as that sample is, its id unsaid.
            made = access.sample_for(request, repeat.made.pk)
            to = reverse("iqa:sample-detail", args=[made.pk])
            return refused_redirect(request, repeat, to)
        except IqaRefused as refused:
            decisions_errors = sample_refused(form, refused)
        else:
            if sample.provisional:
                messages.warning(request, sample_recorded_message(sample, unit.code))
            else:
                messages.success(request, "The sample is recorded.")
            return redirect("iqa:sample-detail", sample.pk)
    context = {
        "registration": registration,
        "unit": unit,
        "form": form,
        "item": item,
        "decisions_errors": decisions_errors,
        # Said before recording, where the sample will wait for a qualified IQA (decision 49).
        "sample_notice": sample_notice(
            request.user, registration, unit.pk, unit.code, trainee=trainee
        ),
        **shown,
        # The two lists drawn in Python (`iqa.sample_drawn`), as the template drew them, but
        # sent back as the IQA ticked them (every box was ticked again after a refusal).
        "rows_drawn": sample_drawn.decision_rows_html(
            shown["rows"],  # type: ignore[arg-type]
            bool(decisions_errors),
            sent[0] if sent else None,
        ),
        "evidence_drawn": sample_drawn.evidence_html(
            shown["evidence"],  # type: ignore[arg-type]
            sent[1] if sent else None,
        ),
    }
    return render(request, "iqa/sample_form.html", context)


def trainee_here(request: PortalRequest, registration: Registration) -> bool:
    """Whether the person is a trainee IQA at the registration's centre, by the roles the
    request read (`request.roles`), as `iqa.countersigning.trainee_iqa` reads it."""
    centre = registration.centre_id
    return any(
        r.kind == RoleKind.IQA and r.is_trainee and r.centre_id == centre for r in request.roles
    )


def action_row(request: PortalRequest, action: Action, today: datetime.date) -> dict[str, object]:
    """An action on its report, with its forms: each sent back to the page, if it was, with
    ids of its own (a report has several actions)."""
    ids = f"id_%s_{action.pk}"
    return {
        "action": action,
        "overdue": action.overdue_on(today),
        "response_form": form_sent_back(
            request,
            ResponseForm,
            f"iqa:action-respond:{action.pk}",
            auto_id=ids,
            initial={"response": action.response},
        ),
        "not_accepted_form": form_sent_back(
            request, NotAcceptedForm, f"iqa:action-not-accept:{action.pk}", auto_id=ids
        ),
    }


def sample_refused(form: SampleForm, refused: IqaRefused) -> list[str]:
    """Put each reason under its field or at the top; return the one about the decisions
    ticked, which their list shows beside it (as a list, as a field's errors are)."""
    for message in refused.messages:
        if message not in ABOUT_THE_DECISIONS:
            form.add_error(SAMPLE_REFUSAL_FIELDS.get(message), message)
    return [m for m in refused.messages if m in ABOUT_THE_DECISIONS]


@login_required
def sample_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """The IQA report of one sample, with its actions."""
    sample = access.sample_for(request, pk)
    today = pages.today()
    context = {
        "sample": sample,
        "looked_at": pages.looked_at(sample.pk),
        "evidence_looked_at": pages.evidence_looked_at(sample.pk),
        "actions": [action_row(request, a, today) for a in pages.sample_actions(sample.pk)],
        "is_sampler": sample.sampled_by_id == request.user.pk,
        "is_assessor": sample.assessor_id == request.user.pk,
        "lift_form": form_sent_back(request, LiftForm, f"iqa:sample-lift:{sample.pk}"),
        "can_lift": access.administers(request, sample),
        "closed": sample.registration.closed_because,
        "documents": pages.sample_documents(sample.pk),
    }
    return render(request, "iqa/sample_detail.html", context)


@require_POST
@login_required
def action_respond_view(request: PortalRequest, pk: int) -> HttpResponse:
    action = access.action_for(request, pk)
    return attempt_form(
        request,
        ResponseForm(request.POST),
        lambda data: action_respond(action=action, response=data["response"], actor=request.user),
        success="Your response is sent to the IQA.",
        to=reverse("iqa:sample-detail", args=[action.sample_id]),
        key=f"iqa:action-respond:{action.pk}",
    )


@require_POST
@login_required
def action_close_view(request: PortalRequest, pk: int) -> HttpResponse:
    action = access.action_for(request, pk)
    return attempt(
        request,
        lambda: action_close(action=action, actor=request.user),
        success="The action is closed.",
        to=reverse("iqa:sample-detail", args=[action.sample_id]),
    )


@require_POST
@login_required
def action_not_accept_view(request: PortalRequest, pk: int) -> HttpResponse:
    """The IQA sends an answered action back to the assessor, with a comment."""
    action = access.action_for(request, pk)
    return attempt_form(
        request,
        NotAcceptedForm(request.POST),
        lambda data: action_not_accept(
            action=action, comment=data["comment"], due_on=data["due_on"], actor=request.user
        ),
        success="Not accepted: the action is back with the assessor, with your comment.",
        to=reverse("iqa:sample-detail", args=[action.sample_id]),
        key=f"iqa:action-not-accept:{action.pk}",
    )


@require_POST
@login_required
def sample_lift_view(request: PortalRequest, pk: int) -> HttpResponse:
    sample = access.sample_for(request, pk)
    return attempt_form(
        request,
        LiftForm(request.POST),
        lambda data: sample_lock_lift(sample=sample, reason=data["reason"], actor=request.user),
        success="The lock is lifted: the assessor can change these decisions.",
        to=reverse("iqa:sample-detail", args=[sample.pk]),
        key=f"iqa:sample-lift:{sample.pk}",
    )


@require_POST
@login_required
def document_request_view(request: PortalRequest) -> HttpResponse:
    """Ask for the PDF of a sample's report or of a plan's sampling record."""
    if "sample" in request.POST:
        sample = access.sample_for(request, number(request.POST["sample"]))
        document_request(sample=sample, actor=request.user)
        target = redirect("iqa:sample-detail", sample.pk)
    else:
        plan = access.plan_for(request, number(request.POST.get("plan")))
        document_request(plan=plan, actor=request.user)
        target = redirect("iqa:plan-detail", plan.pk)
    messages.success(request, "The PDF is being made: it appears below when it is ready.")
    return target


@login_required
def document_download(request: PortalRequest, pk: int) -> HttpResponseBase:
    document = access.document_for(request, pk)
    if document.status != DocumentStatus.READY:
        raise Http404("This PDF is not ready.")
    return private_pdf(request, document.file, document_file_name(document))


@login_required
def plan_csv(request: PortalRequest, pk: int) -> HttpResponse:
    plan = access.plan_for(request, pk)
    response = HttpResponse(sampling_record_csv(plan), content_type="text/csv; charset=utf-8")
    name = download_name(plan_file_name(plan, "csv"), "text/csv")
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"  # as every download of people's records
    return response


@login_required
def registration_status(request: PortalRequest, pk: int) -> HttpResponse:
    """Where a learner's achieved units stand with IQA: claimable, or what holds them back."""
    registration = registration_for(request, pk)
    context = {"registration": registration, "states": unit_claim_states(registration)}
    return render(request, "iqa/registration_status.html", context)


@login_required
def strategy_edit(request: PortalRequest, qualification_pk: int) -> HttpResponse:
    """The centre's sampling shares for one qualification, and each assessor's risk."""
    role = request.role
    if role is None or role.kind not in (RoleKind.IQA, RoleKind.CENTRE_ADMIN):
        raise PermissionDenied(NOT_AN_IQA)
    qualification = get_object_or_404(Qualification, pk=qualification_pk)
    strategy = strategy_for(role.centre, qualification)
    form = StrategyForm(request.POST or None, instance=strategy)
    practitioners = pages.centre_practitioners(role.centre)
    assessors = pages.centre_assessors(practitioners)
    if request.method == "POST" and form.is_valid():
        strategy_save(form=form, risks=pages.posted_risks(request, assessors), actor=request.user)
        messages.success(request, "The sampling strategy is saved.")
        return redirect("iqa:strategy", qualification.pk)
    context = {
        "form": form,
        "fields": pages.strategy_fields(form),
        "qualification": qualification,
        "assessors": pages.assessor_risks(role.centre, assessors),
        "standings": pages.practitioner_standings(role.centre, qualification, practitioners),
        "register_enforced": enforced(role.centre.pk),
    }
    return render(request, "iqa/strategy_form.html", context)
