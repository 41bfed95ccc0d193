import datetime
import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from portal.compiled import compiled_once
from portal.compiled_objects import objects_once
from portal.http import PortalRequest, search_text, token_links
from portal.links import links_to
from portal.listing import sorted_page
from portal.models import RoleKind
from portal.refusals import refused_on_form
from portal.services import InvitationRefused
from portfolios.access import (
    RegistrationRead,
    admin_centre,
    can_administer,
    closed_redirect,
    registration_for,
)
from portfolios.bulk import COLUMNS, read_csv, registration_bulk_create
from portfolios.forms import (
    BulkUploadForm,
    LearnerDetailsForm,
    QualificationChoiceForm,
    RegistrationForm,
    RulesTransferForm,
    UnitChoiceForm,
)
from portfolios.models import (
    Evidence,
    PriorLearning,
    PriorLearningItem,
    QuestionSet,
    Registration,
    RegistrationStatus,
    RegistrationUnit,
    WitnessRequest,
    still_holds,
    unit_assessor_left,
)
from portfolios.prior_learning import (
    item_records_of,
    plan_verdict_with,
    records_of,
    route_with,
    standing_from,
    verdict_with,
)
from portfolios.services import (
    RegistrationDetails,
    RegistrationRejected,
    learner_details_change,
    registration_choose_units,
    registration_create,
    registration_transfer_rules,
    transfer_plan,
    withdrawals_of,
)
from portfolios.unit_states import UnitState, unit_standings
from portfolios.witness import witness_requests_of
from qualifications.describe import describe_in_full, describe_rules
from qualifications.models import Qualification
from qualifications.rules.adapter import rules_for
from qualifications.rules.versions import recorded_current

MAX_CSV_BYTES = 2 * 1024 * 1024
ACHIEVED = UnitState.ACHIEVED


@login_required
def registration_list(request: PortalRequest) -> HttpResponse:
    """The centre's registrations: searched, filtered, sorted and paged in the database, so the
    page stays as fast with thousands of learners as with ten."""
    centre = admin_centre(request)
    everyone = Registration.objects.filter(centre=centre)
    # Only what the rows show: each related row whole (the catalogue's qualification has some
    # forty columns) made the page's rows the slowest of its queries to read and build.
    registrations = everyone.select_related("learner", "qualification", "assessor", "iqa").only(
        *REGISTRATION_SHOWN
    )
    search = search_text(request.GET.get("q"))
    if search:
        registrations = registrations.filter(
            Q(learner__full_name__icontains=search) | Q(learner__email__icontains=search)
        )
    # The qualifications the centre registers on: a semi-join, not DISTINCT over a join with
    # every registration (which grouped a thousand rows by every column of the catalogue's).
    qualifications = list(
        Qualification.objects.filter(
            Exists(Registration.objects.filter(centre=centre, qualification=OuterRef("pk")))
        )
        .order_by("title")
        .only("title")  # the filter's options: their ids and titles
    )
    chosen = next(
        (q for q in qualifications if str(q.pk) == request.GET.get("qualification")), None
    )
    if chosen is not None:
        registrations = registrations.filter(qualification=chosen)
    status = request.GET.get("status", "")
    status = status if status in RegistrationStatus.values else ""  # anything else is ignored
    if status:
        registrations = registrations.filter(status=status)
    # "Has left": open registrations whose assessor or IQA, or a unit's own assessor, a leaver
    # still is (the admin home counts them); each row says who has left, whatever the filter.
    staff = "left" if request.GET.get("staff") == "left" else ""
    if staff:
        registrations = registrations.with_staff_left(centre)
    registrations = registrations.annotate(
        assessor_here=still_holds("assessor", RoleKind.ASSESSOR, centre.pk),
        iqa_here=still_holds("iqa", RoleKind.IQA, centre.pk),
        unit_assessor_left=unit_assessor_left(centre.pk),
    )
    page, columns = sorted_page(request, registrations, REGISTRATION_SORTS, "learner")
    context = {
        "centre": centre,
        "page": page,
        # Any at all: surely, where the page counted some (no query more).
        "any_at_all": page.paginator.count > 0 or everyone.exists(),
        "search": search,
        "qualifications": qualifications,
        "chosen": chosen,
        "statuses": RegistrationStatus.choices,
        "status": status,
        "staff": staff,
        "columns": columns,
    }
    return render(request, "portfolios/registration_list.html", context)


# What the registrations list shows of each (with the related rows' keys, to join them).
REGISTRATION_SHOWN = [
    "learner", "qualification", "assessor", "iqa", "start_date", "planned_end_date", "status",
    "learner__full_name", "qualification__title", "assessor__full_name", "iqa__full_name",
]  # fmt: skip
REGISTRATION_SORTS = {
    "learner": ("Learner", ("learner__full_name", "qualification__title")),
    "qualification": ("Qualification", ("qualification__title", "learner__full_name")),
    "start": ("Start", ("start_date", "learner__full_name")),
    "end": ("Planned end", ("planned_end_date", "learner__full_name")),
    "status": ("Status", ("status", "learner__full_name")),
}


@login_required
def registration_create_view(request: PortalRequest) -> HttpResponse:
    centre = admin_centre(request)
    chooser = QualificationChoiceForm(request.GET or None)
    if not chooser.is_valid():
        return render(
            request, "portfolios/registration_choose_qualification.html", {"form": chooser}
        )
    qualification: Qualification = chooser.cleaned_data["qualification"]
    rules = rules_for(qualification)
    form = RegistrationForm(request.POST or None, centre=centre, rules=rules)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = RegistrationDetails(
            learner=data["learner"],
            qualification=qualification,
            start_date=data["start_date"],
            assessor=data["assessor"],
            iqa=data["iqa"],
            ao_registration_number=data["ao_registration_number"],
            planned_end_date=data["planned_end_date"],
            funding=data["funding"],
            identity=form.identity(),
        )
        try:
            registration = registration_create(
                centre=centre,
                details=details,
                optional_units=data["optional_units"],
                actor=request.user,
            )
        except RegistrationRejected as rejected:
            refused_on_form(form, rejected)
        else:
            messages.success(
                request, f"{registration.learner.full_name} is registered on {qualification.title}."
            )
            return redirect("portfolios:registration-detail", registration.pk)
    context = {
        "form": form,
        "qualification": qualification,
        "rules": describe_in_full(qualification),
    }
    return render(request, "portfolios/registration_form.html", context)


@login_required
def registration_detail(request: PortalRequest, pk: int) -> HttpResponse:
    registration = registration_for(request, pk, WHAT_IT_HAS)
    rules = registration.rules
    planned = planned_units_of(registration)
    codes = [p.unit.code for p in planned]
    # One of the learner's assessors: the registration's, or a unit's (decision 39).
    user = request.user
    is_assessor = registration.assessor_id == user.pk or any(
        p.assessor_id == user.pk for p in planned
    )
    evidence = _evidence_rows(registration.pk)
    # Each row's link made once here: {% url %} for each of a busy portfolio's pieces of
    # evidence and units cost a few ms of the page.
    unit_link = links_to("assessment:unit-progress", registration.pk)
    # RPL and exemptions, of units and of items (decision 54): read only where the registration
    # has some (few do), once, for the page's lists and the units' standings alike.
    records = records_of(registration) if registration.has_prior_learning else []  # type: ignore[attr-defined]
    items = item_records_of(registration) if registration.has_prior_learning_items else []  # type: ignore[attr-defined]
    prior = standing_from(records)
    standings = unit_standings(
        registration, [p.unit_id for p in planned], prior_records=records, item_records=items
    )
    for p in planned:
        p.link = unit_link(p.unit_id)  # type: ignore[attr-defined]
        p.standing = standings.get(p.unit_id)  # type: ignore[attr-defined]
    achieved = [p.unit.code for p in planned if p.standing and p.standing.state == ACHIEVED]  # type: ignore[attr-defined]
    link = links_to("assessment:evidence-review" if is_assessor else "portfolios:evidence-detail")
    transfers = []
    if registration.has_transfers:  # type: ignore[attr-defined]
        moves = registration.transfers.select_related("from_centre", "to_centre")  # type: ignore[attr-defined]
        transfers = list(moves.order_by("-requested_at", "-pk"))
    context = {
        "registration": registration,
        "planned": planned,
        # The plan is judged as if every chosen unit were achieved, and says "chosen"; what the
        # learner has achieved is judged apart, with its real counts.
        "plan_verdict": plan_verdict_with(rules, codes, prior),
        # Achieved by assessment or through RPL (flagged), exemptions without credit.
        "achieved_verdict": verdict_with(rules, achieved, prior),
        "achieved_units": len(set(achieved) | (prior.rpl & set(codes))),
        "route": route_with(rules, [], codes, prior),
        "prior_learning": records,
        # Criteria (and range and knowledge items) met through RPL (decision 54): only those in
        # force are listed as met; the withdrawn ones apart, as history.
        "prior_learning_items": [r for r in items if r.withdrawn_at is None],
        "prior_learning_items_withdrawn": [r for r in items if r.withdrawn_at is not None],
        # A qualified assessor of the learner (the page of a trainee's would refuse).
        "may_record_rpl": is_assessor
        and request.role is not None
        and request.role.kind == RoleKind.ASSESSOR
        and not request.role.is_trainee,
        "may_record_exemption": can_administer(request, registration),
        "can_administer": can_administer(request, registration),
        "is_learner": registration.learner_id == request.user.pk,
        "is_assessor": is_assessor,
        "closed": registration.closed_because,
        "withdrawal": withdrawals_of([registration]).get(registration.pk),
        "missing": registration.details_missing,
        "evidence": evidence,
        "evidence_lines": evidence_lines(evidence, link, is_assessor),
        # The learner and the assessor asked for them, and follow them here.
        "witness_requests": (
            witness_requests_of(registration)
            if registration.has_witness_requests  # type: ignore[attr-defined]
            and (is_assessor or request.user.pk == registration.learner_id)
            else []
        ),
        # Moves between centres (certification's, by their reverse relation): the pending one
        # and the history, with the pack the learner and the receiving centre may download.
        "transfers": transfers,
        "pending_transfer": next((t for t in transfers if t.status == "pending"), None),
        "question_sets": (
            list(registration.question_sets.all())
            if registration.has_question_sets  # type: ignore[attr-defined]
            else []
        ),
        **rules_standing(registration),
    }
    return render(request, "portfolios/registration_detail.html", context)


@functools.cache
def _what_it_has() -> dict[str, Exists]:
    """Whether the registration has transfers, question sets, witness requests, RPL or
    exemptions of units and RPL of items, read with it: most have none, and a query for each list
    cost more than these in the registration's own (the items' eight-table join alone took
    PostgreSQL 8-10 ms to plan). Built once; each query copies them. Transfers are
    certification's, reached by the reverse relation (decision 11)."""
    here = OuterRef("pk")
    transfer = Registration._meta.get_field("transfers").related_model
    assert isinstance(transfer, type)
    return {
        "has_transfers": Exists(transfer._default_manager.filter(registration=here)),
        "has_question_sets": Exists(QuestionSet.objects.filter(registration=here)),
        "has_witness_requests": Exists(WitnessRequest.objects.filter(registration=here)),
        "has_prior_learning": Exists(PriorLearning.objects.filter(registration=here)),
        "has_prior_learning_items": Exists(PriorLearningItem.objects.filter(registration=here)),
    }


# The registration page's read: compiled once (`portfolios.access.RegistrationRead`).
WHAT_IT_HAS = RegistrationRead(_what_it_has)


def planned_units_of(registration: Registration) -> list[RegistrationUnit]:
    """`registration.planned_units` with each unit and assessor, in their order, by SQL
    compiled once per process (`portal.compiled_objects`); each knows its registration, as
    the related manager's do."""
    found = _planned_units(registration.pk)
    for planned in found:
        planned.registration = registration
    return found


def evidence_of(registration: Registration) -> list[Evidence]:
    """`registration.evidence.all()`, by SQL compiled once per process; each knows its
    registration, as the related manager's do."""
    found = _evidence(registration.pk)
    for evidence in found:
        evidence.registration = registration
    return found


@compiled_once
def _evidence_rows(registration_id: int) -> QuerySet[Evidence]:
    """The registration page's evidence list: the columns it shows, in the evidence's order."""
    return Evidence.objects.filter(registration_id=registration_id).values_list(  # type: ignore[return-value]
        "pk", "title", "method", "occurred_on", "judged_at"
    )


def evidence_lines(
    rows: list[tuple[Any, ...]], link: Callable[[int], str], is_assessor: bool
) -> SafeString:
    """The registration page's evidence list, as its template drew it in a loop (six values a
    row resolved, filtered and escaped by the template engine cost a busy portfolio's page
    more than the rest of it): each value escaped as the template did (`escape`), the method
    said as `get_method_display` says it and the date as `|date:"j M Y"` (`short_date`)."""
    methods = dict(Evidence._meta.get_field("method").flatchoices)
    said = short_dates()
    to_review = ' <span class="badge text-bg-info">to review</span>'
    return mark_safe(  # every value escaped
        "".join(
            f'<li class="list-group-item"><a href="{escape(link(pk))}">{escape(title)}</a>'
            f"{to_review if is_assessor and judged_at is None else ''}\n"
            f'      <span class="small text-body-secondary">{escape(methods.get(method, method))}'
            f" · {escape(said(occurred_on))}</span></li>"
            for pk, title, method, occurred_on, judged_at in rows
        )
    )


def short_dates() -> Callable[[datetime.date], str]:
    """A date as the template filter `date:"j M Y"` writes it in the language active now: the
    day, the month's abbreviation (asked of the filter once a month) and the year of four
    digits, as Django's `dateformat` writes `j`, `M` and `Y`."""
    months: dict[int, str] = {}

    def said(day: datetime.date) -> str:
        month = months.get(day.month)
        if month is None:
            month = months[day.month] = date_filter(day, "M")
        return f"{day.day} {month} {day.year:04d}"

    return said


@objects_once
def _planned_units(registration_id: int) -> QuerySet[RegistrationUnit]:
    return RegistrationUnit.objects.filter(registration_id=registration_id).select_related(
        "unit", "assessor"
    )


@objects_once
def _evidence(registration_id: int) -> QuerySet[Evidence]:
    return Evidence.objects.filter(registration_id=registration_id)


def rules_standing(registration: Registration) -> dict[str, object]:
    """The rules version the registration is pinned to, whether it is the current one, and
    if not, the current one (if it is numbered yet), for `partials/rules_version.html`."""
    current = registration.rules_are_current
    return {
        "pinned": registration.rules_version,
        "rules_current": current,
        "newest": None if current else recorded_current(registration.qualification),
    }


@login_required
def registration_units(request: PortalRequest, pk: int) -> HttpResponse:
    registration = registration_for(request, pk)
    if not can_administer(request, registration):
        raise PermissionDenied("Only the centre admin can change a registration's units.")
    if closed := closed_redirect(request, registration):
        return closed
    rules = registration.rules
    current = list(
        registration.planned_units.filter(mandatory=False).values_list("unit__code", flat=True)
    )
    form = UnitChoiceForm(request.POST or None, rules=rules, initial={"optional_units": current})
    if request.method == "POST" and form.is_valid():
        try:
            registration_choose_units(
                registration=registration,
                optional_units=form.cleaned_data["optional_units"],
                actor=request.user,
            )
        except RegistrationRejected as rejected:
            refused_on_form(form, rejected)
        else:
            messages.success(request, "The units are saved.")
            return redirect("portfolios:registration-detail", registration.pk)
    context = {
        "form": form,
        "registration": registration,
        "rules": rules_described(registration),
    }
    return render(request, "portfolios/registration_units.html", context)


def rules_described(registration: Registration) -> list[str]:
    """The rules the registration is judged by, in words: the catalogue's while they are the
    current ones, else those of the version it is pinned to."""
    if registration.rules_are_current:
        return describe_in_full(registration.qualification)
    return describe_rules(registration.rules)


@login_required
def registration_rules(request: PortalRequest, pk: int) -> HttpResponse:
    """The rules version a registration is pinned to, against the current one; the centre
    admin moves it to the current one with a reason (decision 27)."""
    registration = registration_for(request, pk)
    if not can_administer(request, registration):
        raise PermissionDenied("Only the centre admin can move a registration to new rules.")
    if closed := closed_redirect(request, registration):
        return closed
    form = RulesTransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration_transfer_rules(
                registration=registration, reason=form.cleaned_data["reason"], actor=request.user
            )
        except RegistrationRejected as rejected:
            refused_on_form(form, rejected)
        else:
            messages.success(request, "The registration is now judged by the current rules.")
            return redirect("portfolios:registration-detail", registration.pk)
    standing = rules_standing(registration)
    # What a transfer would say of the learner's units, before the admin asks for it.
    problems = (
        []
        if standing["rules_current"]
        else transfer_plan(registration, rules_for(registration.qualification))[1]
    )
    context = {
        "form": form,
        "registration": registration,
        **standing,
        "pinned_rules": rules_described(registration),
        "current_rules": describe_in_full(registration.qualification),
        "problems": problems,
    }
    return render(request, "portfolios/registration_rules.html", context)


@login_required
def registration_learner(request: PortalRequest, pk: int) -> HttpResponse:
    """The learner's identity as awarding organisations register it, and the registration's
    funding: the centre admin of the registration's centre records or corrects them."""
    registration = registration_for(request, pk)
    if not can_administer(request, registration):
        raise PermissionDenied("Only the centre admin can change a learner's details.")
    initial = LearnerDetailsForm.initial_for(registration)
    form = LearnerDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = learner_details_change(
                registration=registration,
                given=form.identity(),
                funding=form.cleaned_data["funding"],
                ao_registration_number=form.cleaned_data["ao_registration_number"],
                actor=request.user,
            )
        except RegistrationRejected as rejected:
            refused_on_form(form, rejected)
        else:
            messages.success(
                request, "The details are saved." if changed else "Nothing was changed."
            )
            return redirect("portfolios:registration-detail", registration.pk)
    context = {"form": form, "registration": registration}
    return render(request, "portfolios/registration_learner.html", context)


def bulk_outcome(registered: int, invited: int) -> str:
    said = f"{registered} learner{'s' if registered != 1 else ''} registered."
    if invited:
        said += (
            f" {invited} invitation{'s' if invited != 1 else ''} sent: each learner is "
            "registered when they accept (see Invitations)."
        )
    return said


@login_required
def registration_bulk(request: PortalRequest) -> HttpResponse:
    centre = admin_centre(request)
    context: dict[str, object] = {"columns": COLUMNS, "centre": centre}
    if request.method == "POST" and "confirm" in request.POST:
        raw = request.POST.get("content", "").encode()
        try:
            result = registration_bulk_create(
                centre=centre,
                raw=raw,
                actor=request.user,
                link_for=token_links(request, "invitation-accept"),
            )
        except (RegistrationRejected, InvitationRefused) as rejected:  # the file sent again, say
            context.update(
                preview=read_csv(raw, centre), content=raw.decode(), problems=rejected.messages
            )
            context["form"] = BulkUploadForm()
            return render(request, "portfolios/registration_bulk.html", context)
        messages.success(request, bulk_outcome(len(result.registered), len(result.invited)))
        return redirect(reverse("portfolios:registration-list"))
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            form.add_error("file", "The file is over 2 MB: split it into smaller files.")
        else:
            raw = upload.read()
            context.update(
                preview=read_csv(raw, centre), content=raw.decode("utf-8-sig", "replace")
            )
    return render(request, "portfolios/registration_bulk.html", context)
