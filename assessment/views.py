"""The assessor's pages: reviewing evidence, deciding, records, countersigning, sign-off and
each item's history. Views authorise, bind a form, call a service and respond."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assessment import pages, provisional, requirement_pages
from assessment.access import (
    item_for,
    mapping_for,
    planned_unit_assessed,
    planned_unit_for,
    require_countersigner,
    sign_off_for,
)
from assessment.by_evidence import by_evidence_context
from assessment.caseload import CaseloadPages
from assessment.countersign_rows import countersign_rows
from assessment.countersigner import countersigner_of
from assessment.forms import (
    ClassifyForm,
    DecisionForm,
    LearnerCountersignForm,
    RecordForm,
    RequirementShownForm,
    RequirementWithdrawForm,
    ReturnForm,
    SignOffForm,
    SufficiencyForm,
    UnlockForm,
)
from assessment.models import Decision, RequirementShown, SufficiencyRecord, UnitSignOff
from assessment.progress import unit_progress
from assessment.services import (
    NOT_THEIR_ASSESSOR,
    NOTHING_TO_COUNTERSIGN,
    NOTHING_TO_RETURN,
    DecisionRefused,
    ForbiddenByRules,
    GoneMeanwhile,
    Judgement,
    assessor_role,
    decision_countersign,
    decision_record,
    decision_return,
    evidence_classify,
    evidence_record,
    mapping_review,
    requirement_show,
    requirement_withdraw,
    sufficiency_record,
    unit_learner_countersign,
    unit_sign_off,
    unit_unlock,
)
from assessment.sign_off_countersign import (
    SignOffRefused,
    awaiting_sign_offs,
    sign_off_countersign,
)
from assessment.tracker import (
    caseload_grids,
    grid_head,
    grid_rows,
    legend_html,
    registration_tracker,
    tracker_rows,
)
from assessment.unit_rows import criteria_rows, other_rows
from portal.http import PortalRequest, posted_ids, posted_text
from portal.listing import PER_PAGE
from portal.models import RoleKind
from portal.refusals import (
    Refused,
    attempt_form,
    flash_refusal,
    form_sent_back,
    refused_on_form,
    refused_redirect,
)
from portfolios.access import closed_redirect, evidence_for, registration_for
from portfolios.evidence import EvidenceDetails, EvidenceRejected, refused_on_evidence_form
from portfolios.mapping import Targets
from portfolios.models import Registration
from qualifications.kept_units import how_assessed, units_rows

NOTHING_TICKED = "Tick at least one criterion to decide."
NONE_CHOSEN = "Choose at least one decision to countersign."
# Said after a button's countersignature that left decisions an IQA sampled while they waited.
LEFT_SAMPLED = (
    "{n} decision{s} left waiting: the IQA sampled {n_them} while {n_it} waited, and a sampled "
    "decision is locked until a centre admin lifts the sample's lock."
)


def ticked(request: PortalRequest) -> Targets:
    return Targets(
        **{
            name: frozenset(posted_ids(request.POST.getlist(name)))
            for name in ("criteria", "range_items", "knowledge_items")
        }
    )


NOTHING_RECORDED = "Nothing was recorded: see the message by the decision form below."


@login_required
def evidence_review(request: PortalRequest, pk: int) -> HttpResponse:
    """The assessor opens an evidence item, reviews its mapping and decides many items at once."""
    evidence = evidence_for(request, pk)
    registration = evidence.registration
    if not registration.is_assessed_by(request.user):
        raise PermissionDenied(NOT_THEIR_ASSESSOR)
    initial = {"method": evidence.method, "assessed_on": evidence.occurred_on}
    form = DecisionForm(request.POST or None, initial=initial)
    targets = ticked(request) if request.method == "POST" else None
    if request.method == "POST" and form.is_valid():
        assert targets is not None
        if not (targets.criteria or targets.range_items or targets.knowledge_items):
            form.add_error(None, NOTHING_TICKED)
        else:
            data = form.cleaned_data
            judgement = Judgement(
                data["outcome"], data["method"], data["assessed_on"], data["feedback"]
            )
            try:
                made = decision_record(
                    registration=registration,
                    targets=targets,
                    judgement=judgement,
                    evidence=[evidence],
                    actor=request.user,
                    roles=request.roles,
                )
            except GoneMeanwhile as gone:
                return gone_redirect(request, gone, registration.pk)
            except ForbiddenByRules as refused:
                refused_on_form(form, refused, "outcome")
                flash_refusal(request, refused)
            except DecisionRefused as refused:
                refused_on_form(form, refused)
                flash_refusal(request, refused)
            else:
                plural = "" if len(made) == 1 else "s"
                # Provisional ones: why, and what they wait for (decision 53, amended), in the
                # same message.
                role = assessor_role(request.user, registration, request.roles)
                why = role and provisional.decisions_message(registration, made, request.user, role)
                said = f"{len(made)} decision{plural} recorded. {why or ''}"
                messages.success(request, said.strip())
                return redirect("assessment:evidence-review", evidence.pk)
    if request.method == "POST" and form.errors:
        # The page returns to its top (the message area): say there why nothing was recorded;
        # a refusal says so in its own words above (each also under its field by the form).
        messages.error(request, NOTHING_RECORDED)
    context = pages.review_context(evidence, targets, request.user, request.roles)
    context["form"] = form
    context["classify_form"] = form_sent_back(
        request,
        ClassifyForm,
        pages.classify_key(evidence.pk),
        initial={"setting": evidence.setting, "kind": evidence.kind},
    )
    return render(request, "assessment/evidence_review.html", context)


@require_POST
@login_required
def evidence_classify_view(request: PortalRequest, pk: int) -> HttpResponse:
    """Real work or simulated, and the kind of evidence, corrected on the review page."""
    evidence = evidence_for(request, pk)
    if not evidence.registration.is_assessed_by(request.user):
        raise PermissionDenied(NOT_THEIR_ASSESSOR)
    return attempt_form(
        request,
        ClassifyForm(request.POST),
        lambda data: evidence_classify(
            evidence=evidence, setting=data["setting"], kind=data["kind"], actor=request.user
        ),
        success="Saved: real work or simulated, and the kind of evidence.",
        to=reverse("assessment:evidence-review", args=[pk]),
        key=pages.classify_key(pk),
    )


@require_POST
@login_required
def mapping_review_view(request: PortalRequest, pk: int) -> HttpResponse:
    mapping = mapping_for(request, pk)
    confirm = request.POST.get("action") == "confirm"
    feedback = "" if confirm else posted_text(request.POST.get("feedback"))
    back = reverse("assessment:evidence-review", args=[mapping.evidence_id])
    try:
        mapping_review(mapping=mapping, confirm=confirm, feedback=feedback, actor=request.user)
    except GoneMeanwhile as gone:  # the review page is gone with the evidence
        return gone_redirect(request, gone, mapping.evidence.registration_id)
    except Refused as refused:
        return refused_redirect(request, refused, back)
    messages.success(request, "Mapping confirmed." if confirm else "Mapping rejected.")
    return redirect(back)


def gone_redirect(
    request: PortalRequest, gone: GoneMeanwhile, registration_id: int
) -> HttpResponse:
    """What was asked about was removed just before: say so on the learner's page."""
    to = reverse("portfolios:registration-detail", args=[registration_id])
    return refused_redirect(request, gone, to)


@login_required
def record_new(request: PortalRequest, pk: int) -> HttpResponse:
    """The assessor writes an observation, professional discussion or Q&A record."""
    registration = registration_for(request, pk)
    if not registration.is_assessed_by(request.user):
        raise PermissionDenied(NOT_THEIR_ASSESSOR)
    if closed := closed_redirect(request, registration):
        return closed
    form = RecordForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = EvidenceDetails(
            data["title"],
            data["occurred_on"],
            data["method"],
            data["description"],
            setting=data["setting"],
            kind=data["kind"],
        )
        try:
            evidence = evidence_record(
                registration=registration,
                details=details,
                files=data["evidence_files"],
                actor=request.user,
            )
        except EvidenceRejected as rejected:
            refused_on_evidence_form(form, rejected)
        else:
            messages.success(request, f"“{evidence.title}” is in the learner's portfolio.")
            return redirect("assessment:evidence-review", evidence.pk)
    context = {"form": form, "registration": registration}
    return render(request, "assessment/record_form.html", context)


@login_required
def countersign(request: PortalRequest) -> HttpResponse:
    """A qualified assessor's list of trainees' provisional decisions, a page at a time, to
    countersign: the ones ticked, all of a learner's unit, all on a piece of evidence (grouped
    by evidence), or all of a trainee's."""
    require_countersigner(request)
    none_chosen = False  # said beside the ticks, which the page draws by hand
    if request.method == "POST":
        ids = pages.to_countersign(request.POST, request.user)
        if ids is None:
            none_chosen = True
        elif not ids:  # countersigned meanwhile, or not theirs to countersign
            flash_refusal(request, DecisionRefused(NOTHING_TO_COUNTERSIGN))
        else:
            # A button ("all of ...") countersigns those it can, leaving any an IQA sampled
            # while they waited; ticks name each decision, and are all or none.
            button = pages.asked_by_button(request.POST)
            try:
                done = decision_countersign(decisions=ids, actor=request.user, leave_sampled=button)
            except DecisionRefused as refused:
                flash_refusal(request, refused)  # the list is shown again, as it now stands
            else:
                plural = "" if done == 1 else "s"
                messages.success(request, f"{done} decision{plural} countersigned.")
                if left := len(ids) - done:
                    one = left == 1
                    messages.warning(
                        request,
                        LEFT_SAMPLED.format(
                            n=left, s="" if one else "s", n_them="it" if one else "them",
                            n_it="it" if one else "they",
                        ),
                    )  # fmt: skip
                return redirect(request.get_full_path())
    # The user's centres and scopes, read once for the decisions and the sign-offs.
    countersigner = countersigner_of(request.user)
    if request.GET.get("by") == "evidence":
        context = by_evidence_context(request, countersigner)
    else:
        context = pages.countersign_context(request, countersigner)
        context["rows"] = countersign_rows(context["decisions"], invalid=none_chosen)  # type: ignore[arg-type]
    context["ticks_errors"] = [NONE_CHOSEN] if none_chosen else []
    # Sign-offs by trainees or out-of-scope assessors, waiting for this user (decision 53).
    context["sign_offs"] = awaiting_sign_offs(request.user, countersigner)
    return render(request, "assessment/countersign.html", context)


@require_POST
@login_required
def sign_off_countersign_view(request: PortalRequest, pk: int) -> HttpResponse:
    """A qualified assessor countersigns a provisional sign-off (decision 53), from the
    countersigning page or the sign-off's own page: sign-offs at the centres where they are a
    qualified assessor, 404 for any other."""
    require_countersigner(request)
    sign_off = get_object_or_404(
        UnitSignOff.objects.select_related("registration__learner", "unit").filter(
            registration__centre__in=pages.qualified_centres(request.user)
        ),
        pk=pk,
    )
    try:
        sign_off_countersign(sign_off=sign_off, actor=request.user)
    except (SignOffRefused, PermissionDenied) as refused:
        text = refused.messages if isinstance(refused, SignOffRefused) else [str(refused)]
        for message in text:
            messages.error(request, message)
    else:
        learner = sign_off.registration.learner.full_name
        messages.success(
            request,
            f"You countersigned the sign-off of {sign_off.unit.code} for {learner}: "
            "the learner countersigns next.",
        )
    back = request.POST.get("next") == "sign-off"
    return redirect(sign_off_page(sign_off) if back else reverse("assessment:countersign"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def decision_return_view(request: PortalRequest, pk: int) -> HttpResponse:
    """A qualified assessor returns a trainee's provisional decision with a reason (decision
    36): the decision, its evidence, and the reason form."""
    require_countersigner(request)
    decision = get_object_or_404(
        pages.countersigners_decisions(request.user).select_related(
            "registration__learner", "decided_by", "criterion", "range_item", "knowledge_item"
        ),
        pk=pk,
    )
    back = reverse("assessment:countersign")
    if not (decision.provisional and decision.current):  # returned or countersigned already
        messages.error(request, NOTHING_TO_RETURN)
        return redirect(back)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decision_return(
                decision=decision, reason=form.cleaned_data["reason"], actor=request.user
            )
        except DecisionRefused as refused:
            refused_on_form(form, refused)
        else:
            messages.success(
                request, f"Returned to {decision.decided_by.full_name}, with your reason."
            )
            return redirect(back)
    context = {"decision": decision, "form": form, "evidence": decision.evidence.all()}
    return render(request, "assessment/decision_return.html", context)


@login_required
def unit_sign_off_view(request: PortalRequest, pk: int, unit_pk: int) -> HttpResponse:
    """A unit's sign-off: what is missing, the assessor's signature, the learner's
    countersignature and, for a centre admin, unlocking."""
    registration = registration_for(request, pk)
    unit, assessed_by = planned_unit_assessed(registration, unit_pk)
    conditions = requirement_pages.condition_choices(registration, unit.pk)
    form = SignOffForm(request.POST or None, conditions=conditions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sign_off = unit_sign_off(
                registration=registration,
                unit_id=unit.pk,
                signature=data["signature"],
                password=data["password"],
                declared=data["declared"],
                actor=request.user,
                conditions=data.get("conditions", []),
            )
        except DecisionRefused as refused:
            refused_on_form(form, refused)
        else:
            if sign_off.provisional:  # decision 53: why, and who can countersign it
                messages.warning(request, provisional.signed_off_message(sign_off, unit))
            else:
                messages.success(
                    request, f"{unit.code} is signed off. The learner countersigns next."
                )
            return redirect("assessment:unit-sign-off", registration.pk, unit.pk)
    context = pages.sign_off_context(request, registration, unit, assessed_by)
    context["form"] = form
    return render(request, "assessment/unit_sign_off.html", context)


@require_POST
@login_required
def unit_countersign_view(request: PortalRequest, pk: int) -> HttpResponse:
    sign_off = sign_off_for(request, pk)
    return attempt_form(
        request,
        LearnerCountersignForm(request.POST),
        lambda data: unit_learner_countersign(
            sign_off=sign_off,
            signature=data["signature"],
            declared=data["declared"],
            actor=request.user,
        ),
        success=f"You countersigned {sign_off.unit.code}: the unit is achieved.",
        to=sign_off_page(sign_off),
        key=pages.COUNTERSIGN_KEY,
    )


@require_POST
@login_required
def unit_unlock_view(request: PortalRequest, pk: int) -> HttpResponse:
    sign_off = sign_off_for(request, pk)
    return attempt_form(
        request,
        UnlockForm(request.POST),
        lambda data: unit_unlock(sign_off=sign_off, reason=data["reason"], actor=request.user),
        success=f"{sign_off.unit.code} is unlocked; it needs signing off again.",
        to=sign_off_page(sign_off),
        key=pages.UNLOCK_KEY,
    )


def sign_off_page(sign_off: UnitSignOff) -> str:
    return reverse("assessment:unit-sign-off", args=[sign_off.registration_id, sign_off.unit_id])


@login_required
def item_history(request: PortalRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    """Every decision ever made on one item of one registration, and the audit entries."""
    registration, item = item_for(request, pk, kind, item_pk)
    decisions = (
        Decision.objects.filter(registration=registration, **{kind: item})
        .select_related("decided_by", "countersigned_by", "returned_by")
        .prefetch_related("evidence")
        .order_by("-decided_at", "-pk")
    )
    context = {
        "registration": registration,
        "item": item,
        "kind": kind,
        "decisions": decisions,
        "entries": pages.history_entries(list(decisions)),
        "now": timezone.now(),
    }
    return render(request, "assessment/item_history.html", context)


@login_required
def unit_progress_view(request: PortalRequest, pk: int, unit_pk: int) -> HttpResponse:
    """One unit of a registration: each criterion's state and the evidence behind it."""
    registration = registration_for(request, pk)
    # unit__pk, not unit_id: Django's check that a number fits the column runs for a lookup
    # on the related model's key, and SQLite raises OverflowError (a 500) for one that does not.
    # Its own assessor's name read with it (decision 39): the same one query.
    planned = registration.planned_units.filter(unit__pk=unit_pk)
    found = list(planned.values_list("assessor__full_name", "assessor_id")[:1])
    if not found:
        raise Http404("No such unit in this registration's plan.")
    [(name, own)] = found
    default = registration.assessor.full_name if registration.assessor else ""
    # Its qualified assessor (the unit's own, else the registration's: decision 39) may record
    # RPL for some of its items (decision 54); the role is the request's, read already.
    role = request.role
    may_record_rpl = (
        role is not None
        and role.kind == RoleKind.ASSESSOR
        and not role.is_trainee
        and role.centre_id == registration.centre_id
        and (own or registration.assessor_id) == request.user.pk
        and not registration.closed_because
    )
    [unit] = units_rows(registration.qualification, [unit_pk])
    progress = unit_progress(registration, unit)
    # Met through RPL or an exemption: said at the top; nothing to record toward it here.
    prior = pages.prior_learning_of(registration, unit.pk)
    context = {
        "registration": registration,
        "unit": unit,
        "outcomes": criteria_rows(registration, progress.outcomes),
        "other_items": progress.other_items,
        "other_rows": other_rows(registration, progress.other_items),
        "unit_assessor": name or default,
        # How the unit must be assessed, in the specification's words (decision 48).
        "how": how_assessed(registration.qualification, unit.pk),
        # Its evidence requirements and sufficiency as recorded, with the assessor's forms.
        **requirement_pages.unit_requirements_context(request, registration, unit.pk),
        "may_record_rpl": may_record_rpl and prior is None,
        "prior": prior,
    }
    if prior is not None:
        context.update(can_record=False, show_form=None, sufficiency_form=None)
    # The requirement forms' messages are drawn in that section, where the forms return to.
    context["messages_here"] = requirement_pages.MESSAGES_TAG if context["tracked"] else ""
    return render(request, "assessment/unit_progress.html", context)


@require_POST
@login_required
def requirement_show_view(request: PortalRequest, pk: int, unit_pk: int) -> HttpResponse:
    """The unit's assessor records an evidence requirement item as shown (decision 52)."""
    registration = registration_for(request, pk)
    unit_id = planned_unit_for(registration, unit_pk).pk

    def form() -> RequirementShownForm:
        items, evidence = requirement_pages.choices(registration, unit_id)
        return RequirementShownForm(request.POST, items=items, evidence=evidence)

    return _on_requirements(
        request,
        registration,
        unit_id,
        form,
        lambda data: requirement_show(
            registration=registration,
            unit_id=unit_id,
            reference=data["reference"],
            evidence=data["evidence"],
            actor=request.user,
        ),
        success="Recorded as shown.",
        key=requirement_pages.SHOW_KEY,
    )


@require_POST
@login_required
def sufficiency_record_view(request: PortalRequest, pk: int, unit_pk: int) -> HttpResponse:
    """The unit's assessor records an occasion, a customer, or their judgement of the period
    toward the unit's sufficiency rules (decision 52)."""
    registration = registration_for(request, pk)
    unit_id = planned_unit_for(registration, unit_pk).pk

    def form() -> SufficiencyForm:
        measures, evidence = requirement_pages.sufficiency_choices(registration, unit_id)
        return SufficiencyForm(request.POST, measures=measures, evidence=evidence)

    return _on_requirements(
        request,
        registration,
        unit_id,
        form,
        lambda data: sufficiency_record(
            registration=registration,
            unit_id=unit_id,
            measure=data["measure"],
            # None where there is no evidence to cite and the form offers none.
            evidence=data.get("evidence"),
            description=data["description"],
            actor=request.user,
        ),
        success="Recorded toward how much evidence is sufficient.",
        key=requirement_pages.SUFFICIENCY_KEY,
    )


@require_POST
@login_required
def requirement_withdraw_view(request: PortalRequest, pk: int) -> HttpResponse:
    """The assessor withdraws their record that an evidence requirement item is shown."""
    return _withdraw(request, requirement_pages.record_for(request, RequirementShown, pk))


@require_POST
@login_required
def sufficiency_withdraw_view(request: PortalRequest, pk: int) -> HttpResponse:
    """The assessor withdraws their record toward a sufficiency rule."""
    return _withdraw(request, requirement_pages.record_for(request, SufficiencyRecord, pk))


def _withdraw(request: PortalRequest, record: RequirementShown | SufficiencyRecord) -> HttpResponse:
    return _on_requirements(
        request,
        record.registration,
        record.unit_id,
        lambda: RequirementWithdrawForm(request.POST),
        lambda data: requirement_withdraw(record=record, reason=data["reason"], actor=request.user),
        success="Withdrawn: the record is kept, with your reason, and counts no more.",
        key=requirement_pages.withdraw_key(record),
        adds=False,
    )


def _on_requirements(
    request: PortalRequest,
    registration: Registration,
    unit_id: int,
    form: Callable[[], Form],
    act: Callable[[dict[str, Any]], object],
    *,
    success: str,
    key: str,
    adds: bool = True,
) -> HttpResponse:
    """What the four requirement and sufficiency forms share (decision 52): only one of the
    learner's assessors may send them; one that adds to a closed registration goes back to its
    page with the reason before its choices are read (a withdrawal is refused by its service,
    under the lock); then the form is attempted and the person returned to the unit page's
    requirements section, whose messages are drawn there."""
    if not registration.is_assessed_by(request.user):
        raise PermissionDenied(NOT_THEIR_ASSESSOR)
    if adds and (closed := closed_redirect(request, registration)):
        return closed
    return attempt_form(
        request,
        form(),
        act,
        success=success,
        to=requirement_pages.requirements_anchor(registration.pk, unit_id),
        key=key,
        tags=requirement_pages.MESSAGES_TAG,
    )


@login_required
def tracker_view(request: PortalRequest, pk: int) -> HttpResponse:
    """One learner's units by their criteria, each with its state: whoever may see the
    registration (the learner, their assessor and IQA, the centre admin)."""
    registration = registration_for(request, pk)
    tracked = registration_tracker(registration)
    context = {
        "registration": registration,
        "tracked": tracked,
        "rows": tracker_rows(registration, tracked),
        "legend": legend_html(),
    }
    return render(request, "assessment/tracker.html", context)


NOT_AN_ASSESSOR = "The caseload tracker is an assessor's: switch to your assessor role to open it."


@login_required
def caseload_tracker_view(request: PortalRequest) -> HttpResponse:
    """The assessor's open caseload at their centre: learners by units, 25 learners a page."""
    role = request.role
    if role is None or role.kind != RoleKind.ASSESSOR:
        raise PermissionDenied(NOT_AN_ASSESSOR)
    registrations = CaseloadPages(request.user, role.centre)
    # A page's rows, read by the paginator as a list of registrations (`CaseloadPages`).
    pages: Paginator[Registration] = Paginator(registrations, PER_PAGE)  # type: ignore[arg-type]
    page = pages.get_page(request.GET.get("page"))
    grids = caseload_grids(list(page), request.user)
    context = {
        "page": page,
        "grids": [(grid, grid_head(grid), grid_rows(grid)) for grid in grids],
    }
    return render(request, "assessment/caseload_tracker.html", context)
