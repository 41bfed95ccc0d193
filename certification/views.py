"""The centre admin's claims page and certificate pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.db import transaction
from django.db.models import Count, QuerySet, Window
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from certification.access import certificate_for, may_change
from certification.claim_rows import full_rows, held_rows, issued_rows, unit_rows, waiting_rows
from certification.confirmation import NOT_VALID, Unconfirmed, take, token_for
from certification.credentials import no_credential_because
from certification.exports.forms import ExportForm, export_key
from certification.forms import ReasonForm
from certification.models import (
    STATE_COLOURS,
    WITHHELD,
    Certificate,
    CertificateQuerySet,
    CertificateState,
    DirectClaimsStatus,
    Kind,
    RenderStatus,
)
from certification.readiness import (
    ClaimCounts,
    QualificationCounts,
    certificates_in_force,
    claim_counts,
    claim_pages,
    claim_reasons_now,
    claimable_registrations,
    claimed_of,
    printed_references,
    readiness_of_many,
    units_since,
)
from certification.services import (
    ALREADY_REVOKED,
    NOT_THE_CLAIMING_ADMIN,
    ClaimRefused,
    ClaimResult,
    certificate_replace,
    certificate_rerender,
    certificate_revoke,
    certificates_claim,
    lock_chains_of,
    why_not_replaced,
)
from certification.verification import allowed, normalise, verify
from portal.audit import lock_chain
from portal.compiled import compiled_once, compiled_page_once, from_row
from portal.compiled_objects import objects_once
from portal.http import PortalRequest, is_stored, posted_ids, private_pdf, search_text
from portal.links import links_to
from portal.listing import PER_PAGE, page_read_counted, pages_of, sorted_page
from portal.models import Centre, User
from portal.refusals import (
    Refused,
    form_sent_back,
    refused_on_form,
    refused_redirect,
)
from portfolios.access import admin_centre, can_administer
from portfolios.models import ClaimList, Registration
from qualifications.models import Qualification


@login_required
def claims(request: PortalRequest) -> HttpResponse:
    """Who is ready for a full certificate, who can have a unit certificate, and why not;
    optionally for one qualification, so that "all ready" can mean all ready for it. Each list
    is counted and paged in the database, from the readiness kept on the registrations."""
    centre = admin_centre(request)
    qualifications = claim_counts(centre)  # first: it brings what is kept up to date
    chosen = next(
        (q for q in qualifications if str(q.pk) == request.GET.get("qualification")), None
    )
    issued = Certificate.objects.of_centre(centre.pk)
    if chosen is not None:
        issued = issued.filter(registration__qualification=chosen.pk)
        counts = chosen.counts
    else:
        counts = sum((q.counts for q in qualifications), ClaimCounts())
    within = chosen.pk if chosen else None
    # The three lists' pages, each from ?full=, ?unit=, ?waiting= (their `ClaimList` values),
    # read in one query.
    lists = pages_of(
        request,
        {
            ClaimList.FULL.value: counts.full,
            ClaimList.UNIT.value: counts.unit,
            ClaimList.WAITING.value: counts.waiting,
        },
        lambda offsets: claim_pages(centre, offsets, within),
    )
    full, unit, waiting = lists["full"], lists["unit"], lists["waiting"]
    units_since(list(unit))  # "2 more units achieved since certificate N"
    latest = issued_lately(centre.pk, chosen.pk if chosen else None)
    context = {
        "full": full,
        "full_rows": full_rows(full),
        "unit": unit,
        "unit_rows": unit_rows(unit),
        "waiting": waiting,
        "waiting_rows": waiting_rows(waiting),
        # Let out by the AO: a claim awaiting its EQA, or held, is listed as held above.
        "issued": latest,
        "issued_rows": issued_rows(latest, get_token(request)),
        "qualifications": qualifications,
        "chosen": chosen,
        "export_form": export_form(request, qualifications, chosen),
    }
    # Claimed, but withheld until the AO's external quality assurer releases them.
    held = held_page(request, issued, centre.pk, within)
    context.update(held=held, held_rows=held_rows(held))
    return render(request, "certification/claims.html", context)


def held_page(
    request: HttpRequest, issued: CertificateQuerySet, centre: int, qualification: int | None
) -> Page:
    """The page of the held claims ?held= asks for, oldest claim first, each a `HeldClaim`:
    counted in the query that reads it (`page_read_counted`), by SQL compiled once whatever
    the page (its offset a parameter: `compiled_page_once`); `issued`, the centre's
    certificates (of the qualification shown), counted only for a page past the end."""
    link = links_to("certification:certificate-detail")

    def read(first: int, size: int) -> tuple[list[HeldClaim], int]:
        if qualification is None:
            rows = held_claim_rows(centre, first, size)
        else:
            rows = held_claim_rows_of(centre, qualification, first, size)
        return [HeldClaim(link, row) for row in rows], rows[0][-1] if rows else 0

    def count() -> int:  # only for a page past the end
        return issued.in_state(CertificateState.HELD).count()

    return page_read_counted(request, read, count, "held")


def _held(centre: int) -> CertificateQuerySet:
    return Certificate.objects.of_centre(centre).in_state(CertificateState.HELD)


def _held_listed(held: CertificateQuerySet) -> QuerySet[Any]:
    return (
        held.order_by("issued_at", "pk")
        .annotate(_listed=Window(Count("pk")))
        .values_list(*HELD_READS, *HELD_NAMES, "_listed")
    )


@compiled_page_once
def held_claim_rows(centre: int) -> QuerySet[Any]:
    """The centre's held claims, oldest first, as `HeldClaim` takes them, each with how many
    there are (`COUNT(*) OVER ()`): one page of them (`compiled_page_once`)."""
    return _held_listed(_held(centre))


@compiled_page_once
def held_claim_rows_of(centre: int, qualification: int) -> QuerySet[Any]:
    """`held_claim_rows` of one qualification."""
    return _held_listed(_held(centre).filter(registration__qualification=qualification))


# What a held claim shows (`Certificate.held_because` and its kind's label decided on a
# certificate made of these fields, in the model's order), then its holder's and qualification's
# names.
HELD_READS = ("id", "kind", "issued_at", "release", "hold_reason")
HELD_NAMES = ("registration__learner__full_name", "registration__qualification__title")


class HeldClaim:
    """A row of the held claims, from `held_claim_rows`: what `claim_rows.held_rows` draws."""

    __slots__ = ("because", "issued_at", "kind_display", "learner_name", "title", "url")

    def __init__(self, link: Callable[[object], str], row: tuple[Any, ...]) -> None:
        certificate = from_row(Certificate, HELD_READS, row[: len(HELD_READS)])
        self.url = link(certificate.pk)
        self.kind_display = certificate.get_kind_display()  # type: ignore[attr-defined]
        self.issued_at = certificate.issued_at
        self.because = certificate.held_because
        self.learner_name, self.title = row[len(HELD_READS) : len(HELD_READS) + 2]


def issued_lately(centre: int, qualification: int | None) -> list[tuple[Certificate, str, str]]:
    """The certificates issued last (let out by the AO), each with its page's and its
    portfolio pack's addresses (reversed once for all: `portal.links`): read by SQL compiled
    once, each made with what its row and its state need (`certificate_from`)."""
    rows = latest_rows(centre) if qualification is None else latest_rows_of(centre, qualification)
    detail = links_to("certification:certificate-detail")
    pack = links_to("certification:portfolio-pack")
    latest = [certificate_from(row) for row in rows]
    return [(c, detail(c.pk), pack(c.registration_id)) for c in latest]


def _latest(centre: int) -> CertificateQuerySet:
    return Certificate.objects.of_centre(centre).exclude(release__in=WITHHELD)


@compiled_once
def latest_rows(centre: int) -> QuerySet[Any]:
    """The centre's `LATEST` certificates let out, newest first, as `certificate_from` takes
    them."""
    return _latest(centre).values_list(*ISSUED_READ)[:LATEST]


@compiled_once
def latest_rows_of(centre: int, qualification: int) -> QuerySet[Any]:
    """`latest_rows` of one qualification."""
    return (
        _latest(centre)
        .filter(registration__qualification=qualification)
        .values_list(*ISSUED_READ)[:LATEST]
    )


def export_form(
    request: PortalRequest, listed: list[QualificationCounts], chosen: QualificationCounts | None
) -> ExportForm | None:
    """The AO's files for the qualification the page is showing (chosen, or the only one), in
    its AO's layouts. The listed qualifications are read in one query whether or not one is
    shown, so the page costs the same queries either way."""
    found = {q.pk: q for q in qualifications_with_ao([q.pk for q in listed])}
    shown = chosen or (listed[0] if len(listed) == 1 else None)
    if not shown:
        return None
    return form_sent_back(request, ExportForm, export_key(shown.pk), qualification=found[shown.pk])


@objects_once
def qualifications_with_ao(keys: list[int]) -> QuerySet[Qualification]:
    """The qualifications with their awarding organisations, as `in_bulk` read them: by SQL
    compiled once."""
    return Qualification.objects.select_related("awarding_organisation").filter(pk__in=keys)


LATEST = 10  # issued certificates on the claims page; the list has them all
CERTIFICATE_SORTS = {
    "number": ("Number", ("number",)),
    "learner": ("Learner", ("registration__learner__full_name", "-issued_at")),
    "qualification": ("Qualification", ("registration__qualification__title", "-issued_at")),
    "issued": ("Issued", ("issued_at",)),
}


@login_required
def certificate_list(request: PortalRequest) -> HttpResponse:
    """Every certificate the centre has claimed: searched, filtered, sorted and paged in the
    database, so it stays quick however many the centre has issued."""
    centre = admin_centre(request)
    everything = Certificate.objects.of_centre(centre.pk)
    found = everything
    search = search_text(request.GET.get("q"))
    if search:
        found = found.matching(search)
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""  # anything else is ignored, not an error
    if kind:
        found = found.filter(kind=kind)
    state = request.GET.get("state", "")
    state = state if state in CertificateState.values else ""
    if state:
        found = found.in_state(CertificateState(state))
    link = links_to("certification:certificate-detail")
    page, columns = sorted_page(
        request,
        found,
        CERTIFICATE_SORTS,
        "-issued",
        rows_of=lambda keys: {
            row[0]: ListedCertificate(link, row) for row in certificate_rows(centre.pk, keys)
        },
    )
    context = {
        "centre": centre,
        "page": page,
        "columns": columns,
        "any_at_all": everything.exists(),
        "search": search,
        "kinds": Kind.choices,
        "kind": kind,
        "states": CertificateState.choices,
        "state": state,
        "filtered": bool(search or kind or state),
    }
    return render(request, "certification/certificate_list.html", context)


@compiled_once
def certificate_rows(centre: int, keys: list[int]) -> QuerySet[Any]:
    """What the certificates list shows of each of a page's certificates (`ListedCertificate`),
    the centre's only, with what their state is decided from: SQL compiled once, where
    building and compiling the joins (the certificate, its registration, learner,
    qualification, replacement and successor, each whole) cost thousands of Python calls."""
    return (
        Certificate.objects.of_centre(centre)
        .filter(pk__in=keys)
        .order_by()
        .values_list(*CERTIFICATE_LISTED)
    )


# What a listed certificate is made from (`certificate_from`): the fields `Certificate.state`,
# the list and the claims page read (in the model's order), then its holder's name and its
# replacement's and successor's (the state's reverse one-to-ones).
CERTIFICATE_READS = tuple(
    f.attname
    for f in Certificate._meta.concrete_fields
    if f.attname
    in {"id", "number", "registration_id", "kind", "issued_at", "revoked_at", "status", "release"}
)
ISSUED_READ = [
    *CERTIFICATE_READS, "registration__learner_id", "registration__learner__full_name",
    "replaced_by__id", "superseded_by__id", "superseded_by__release",
]  # fmt: skip
CERTIFICATE_LISTED = [*ISSUED_READ, "registration__qualification__title"]
SUCCESSOR_READS = ("id", "release")
LEARNER_READS = ("id", "full_name")
REGISTRATION_READS = ("id", "learner_id")
KIND_LABELS = dict(Kind.choices)


def certificate_from(row: tuple[Any, ...], holder: bool = True) -> Certificate:
    """A certificate from a row of `ISSUED_READ` (and anything after it), as the ORM's
    `select_related("registration__learner", "replaced_by", "superseded_by").only(...)` makes
    it: what `Certificate.state` and the rows read are there, with no query more (`holder`:
    its registration and learner too)."""
    n = len(CERTIFICATE_READS)
    certificate = from_row(Certificate, CERTIFICATE_READS, row[:n])
    learner, learner_name, replacement, successor, successor_release = row[n : n + 5]
    cache = certificate._state.fields_cache
    # The reverse one-to-ones `state` looks at, as `select_related` leaves them (None: none).
    cache["replaced_by"] = (
        None if replacement is None else from_row(Certificate, ("id",), (replacement,))
    )
    cache["superseded_by"] = (
        None
        if successor is None
        else from_row(Certificate, SUCCESSOR_READS, (successor, successor_release))
    )
    if not holder:
        return certificate
    registration = from_row(
        Registration, REGISTRATION_READS, (certificate.registration_id, learner)
    )
    cache["registration"] = registration
    registration._state.fields_cache["learner"] = from_row(
        User, LEARNER_READS, (learner, learner_name)
    )
    return certificate


class ListedCertificate:
    """A row of the certificates list, from `certificate_rows`: what the template shows, its
    state decided by `Certificate.state` itself (on the fields it reads)."""

    __slots__ = (
        "issued_at",
        "kind_display",
        "learner_name",
        "number",
        "qualification_title",
        "state_colour",
        "state_label",
        "url",
    )

    def __init__(self, link: Callable[[object], str], row: tuple[Any, ...]) -> None:
        certificate = certificate_from(row, holder=False)
        self.number = certificate.number
        self.issued_at = certificate.issued_at
        self.learner_name = row[len(CERTIFICATE_READS) + 1]
        self.qualification_title = row[len(ISSUED_READ)]
        state = certificate.state
        self.state_colour = STATE_COLOURS[state]
        self.state_label = state.label
        self.kind_display = KIND_LABELS.get(certificate.kind, certificate.kind)
        self.url = link(certificate.pk)


HELD_ON_CLAIM = (
    "{n} claim{s} held: your centre does not hold Direct Claims Status for {which}, so the "
    "awarding organisation's external quality assurer must release them first."
)


def held_message(held: Sequence[ClaimResult]) -> str:
    """What the admin is told of the claims held for the EQA, naming the qualification when
    they are all of one (a claim of several learners may span several)."""
    titles = sorted({r.registration.qualification.title for r in held})
    which = f"the qualification {titles[0]}" if len(titles) == 1 else "these qualifications"
    return HELD_ON_CLAIM.format(n=len(held), s=pluralize(len(held)), which=which)


# A claim holds the centre's audit chain for each of its learners in one transaction (about
# 28 ms each, and PostgreSQL's savepoint cache overflows past 31): no more than the claims
# page offers at once, a page of one of its lists.
TOO_MANY = (
    f"Claim for at most {PER_PAGE} learners at a time, a page of the claims list: nothing was done."
)

OTHER_CENTRE = "This confirmation was made for {centre}: switch to it, or start again."


@require_POST
@login_required
def claim(request: PortalRequest) -> HttpResponse:
    """The pause before a claim (decision 36): what would be issued, for whom, and what follows
    (held for the EQA, superseding a unit certificate). Nothing is issued here."""
    kind = request.POST.get("kind", "")
    if kind not in Kind.values:
        messages.error(request, "Choose which kind of certificate to claim.")
        return redirect("certification:claims")
    centre = admin_centre(request)  # who may claim at all, before anything they sent
    wanted = posted_ids(request.POST.getlist("registrations"))
    if len(wanted) > PER_PAGE:  # only by hand: the page never offers more
        messages.error(request, TOO_MANY)
        return redirect("certification:claims")
    chosen = claimable_chosen(centre, wanted)
    if not chosen:
        messages.error(request, "Tick at least one learner to claim for.")
        return redirect("certification:claims")
    rows = claim_rows(chosen, Kind(kind))
    payload = {
        "kind": kind,
        "centre": centre.pk,
        "units": {str(r.registration.pk): r.units for r in rows if not r.refusal},
    }
    context = {
        "kind": Kind(kind),
        "what": "full certificate" if kind == Kind.FULL else "unit certificate",
        "rows": rows,
        "claimable": [r for r in rows if not r.refusal],
        "token": token_for("claim", request.user.pk, payload) if payload["units"] else "",
    }
    return render(request, "certification/claim_confirm.html", context)


@dataclass(frozen=True)
class ClaimRow:
    """One learner on the confirmation page: what they would have, or why not."""

    registration: Registration
    units: list[str]  # codes, as the service checks them
    references: list[str]  # as the certificate prints them
    refusal: str = ""
    held: bool = False  # no Direct Claims Status: withheld for the EQA (decision 29)
    supersedes: str = ""  # the unit certificate in force it supersedes (decision 30)


def claim_rows(chosen: list[Registration], kind: Kind) -> list[ClaimRow]:
    """Each learner as the confirmation page shows them. The reasons are the claims page's
    (`claim_reasons_now`): a learner sent by hand whose full certificate was claimed (revoked
    or not) is not offered a claim the service would refuse on confirming."""
    readiness = readiness_of_many(chosen)
    claimed = claimed_of(chosen)
    in_force = certificates_in_force([r.pk for r in chosen])
    printed = printed_references({c for r in readiness for c in r.claimable_units})
    direct = set(
        DirectClaimsStatus.objects.current()
        .filter(centre__in={r.centre_id for r in chosen})
        .values_list("centre_id", "qualification_id")
    )
    rows = []
    for ready in readiness:
        registration = ready.registration
        full_reasons, unit_reasons = claim_reasons_now(ready, claimed)
        reasons = full_reasons if kind == Kind.FULL else unit_reasons
        unit = in_force.get((registration.pk, Kind.UNIT))
        rows.append(
            ClaimRow(
                registration=registration,
                units=sorted(ready.claimable_units),
                references=sorted(printed.get(c, c) for c in ready.claimable_units),
                refusal="; ".join(reasons),
                held=(registration.centre_id, registration.qualification_id) not in direct,
                supersedes=unit.number if unit else "",
            )
        )
    return rows


@require_POST
@login_required
def claim_confirm(request: PortalRequest) -> HttpResponse:
    """Issue what the confirmation page said, once: the token names the centre, the learners,
    the kind and the units; sent again, even at the same moment, it is refused and nothing
    more is issued. The token is taken in the claims' transaction (decision 82): if no learner
    was claimed for, it is rolled back with them, and nothing is written."""
    centre = admin_centre(request)  # who may claim at all, before the token is taken
    try:
        with transaction.atomic():
            # The house order: the centre's chain (which each claim takes) before any row,
            # the token's too. A second request with this token waits here for the first.
            lock_chain(centre.pk)
            payload = take(request, "claim", request.POST.get("token", ""))
            kind, units, chosen, results = claims_confirmed(request, centre, payload)
            if not any(r.certificate for r in results):
                transaction.set_rollback(True)  # nothing claimed: the token is still good
    except Unconfirmed as unconfirmed:
        messages.error(request, str(unconfirmed))
        return redirect("certification:claims")
    issued = [r for r in results if r.certificate]
    if issued:
        plural = "" if len(issued) == 1 else "s"
        messages.success(request, f"{len(issued)} {Kind(kind).label.lower()}{plural} claimed.")
    if held := [r for r in issued if r.certificate and r.certificate.is_withheld]:
        messages.warning(request, held_message(held))
    for refused in (r for r in results if r.refusal):
        messages.error(request, refused.refusal)
    if gone := len(units) - len(chosen):
        messages.error(request, f"{gone} learner{pluralize(gone)} can no longer be claimed for.")
    return redirect("certification:claims")


def claims_confirmed(
    request: PortalRequest, centre: Centre, payload: dict[str, Any]
) -> tuple[str, dict[int, list[str]], list[Registration], list[ClaimResult]]:
    """Claim what a taken token says, for those of its learners the centre may still claim for:
    the kind, the units confirmed for each, the learners claimed for, and what became of each
    (each claim in a savepoint of the caller's transaction: one refused, the others go on)."""
    kind = payload["kind"]
    units = {int(pk): codes for pk, codes in payload["units"].items()}
    if len(units) > PER_PAGE:  # a token made before `claim` refused as many
        raise Unconfirmed(TOO_MANY)
    # The admin may have switched centre since the confirmation page. Every token the page
    # makes names its centre: one naming none was not made for this one, refused the same way.
    made_for_pk = payload.get("centre")
    if made_for_pk != centre.pk:
        made_for = Centre.objects.filter(pk=made_for_pk).first() if made_for_pk else None
        raise Unconfirmed(OTHER_CENTRE.format(centre=made_for or "another centre"))
    chosen = claimable_chosen(centre, units)
    results = certificates_claim(registrations=chosen, kind=kind, actor=request.user, units=units)
    return kind, units, chosen, results


def claimable_chosen(centre: Centre, wanted: Iterable[int]) -> list[Registration]:
    """Those of the learners asked for whom the centre may claim for now, as the confirmation
    page lists them and the claim is made for them."""
    return list(
        claimable_registrations(centre)
        .filter(pk__in=wanted)
        .select_related("learner", "qualification", "centre")
        .order_by("learner__full_name", "pk")
    )


def pluralize(n: int) -> str:
    return "" if n == 1 else "s"


@login_required
def certificate_detail(request: PortalRequest, pk: int) -> HttpResponse:
    certificate = certificate_for(request, pk)
    if request.method == "POST":
        return certificate_change(request, certificate)
    return certificate_page(request, certificate, ReasonForm())


def certificate_page(
    request: PortalRequest, certificate: Certificate, form: ReasonForm
) -> HttpResponse:
    administer = can_administer(request, certificate.registration)
    change = may_change(request, certificate)
    replacement = Certificate.objects.filter(replaces=certificate).first()
    # A withheld claim is neither replaced nor revoked: the EQA holds or releases it.
    open_to_change = (
        not certificate.is_revoked and replacement is None and not certificate.is_withheld
    )
    context = {
        "certificate": certificate,
        "can_administer": administer,
        "can_change": change,
        "replacement": replacement,
        "no_credential": no_credential_because(certificate),
        "form": form,
        # A refused change shows the form again (with what was typed) even if it can no
        # longer go through, so nothing typed is lost.
        "show_change_form": change
        and not certificate.is_withheld
        and (open_to_change or form.is_bound),
        "held_no_change": HELD_NO_CHANGE if change and certificate.is_withheld else "",
        # No link to a PDF gone from storage (it would only say so): its one file looked for.
        "pdf_missing": PDF_MISSING if pdf_gone(certificate) else "",
    }
    return render(request, "certification/certificate_detail.html", context)


PDF_MISSING = "The PDF is missing from the portal's storage, so it cannot be downloaded."


def pdf_gone(certificate: Certificate) -> bool:
    """Whether the certificate's PDF was made and its file is missing from storage."""
    if certificate.status != RenderStatus.READY or certificate.is_withheld:
        return False
    return not is_stored(certificate.file, f"Certificate {certificate.number}'s PDF")


HELD_NO_CHANGE = (
    "This claim is held for the awarding organisation's external quality assurer (EQA): it is "
    "not issued, so it can be neither revoked nor replaced. Tell the EQA what is wrong: they "
    "hold it, saying why, or release it."
)


def certificate_change(request: PortalRequest, certificate: Certificate) -> HttpResponse:
    """Revoke, replace or render again (a centre admin of the centre). A refusal shows the
    form again with the reason as typed."""
    action = request.POST.get("action", "")
    if action == "retry":
        return render_again(request, certificate)
    if action == "revoke-confirmed":
        return revoke_confirmed(request, certificate)
    if action == "replace-confirmed":
        return replace_confirmed(request, certificate)
    if action in ("revoke", "replace") and certificate.is_withheld:
        # Never the confirmation page of what the service refuses (it still does).
        messages.error(request, HELD_NO_CHANGE)
        return redirect("certification:certificate-detail", certificate.pk)
    form = ReasonForm(request.POST)
    if action not in ("revoke", "replace") or not form.is_valid():
        return certificate_page(request, certificate, form)
    reason = form.cleaned_data["reason"]
    if action == "revoke":  # the pause first (decision 36): nothing is revoked here
        return revoke_confirmation(request, certificate, reason)
    return replace_confirmation(request, certificate, form)


MADE_AGAIN = "The PDF is being made again."
NOTHING_TO_MAKE_AGAIN = "The PDF is there, or being made already: nothing was made again."


def render_again(request: PortalRequest, certificate: Certificate) -> HttpResponse:
    """Make a failed or missing PDF again: the claiming centre's admins, in that role (as for
    revoking and replacing); a stale tab or a second click is told nothing needed doing."""
    refuse_unless_claiming(request, certificate)
    to = reverse("certification:certificate-detail", args=[certificate.pk])
    try:
        again = certificate_rerender(certificate=certificate, actor=request.user)
    except Refused as refused:
        return refused_redirect(request, refused, to)
    if again:
        messages.success(request, MADE_AGAIN)
    else:
        messages.info(request, NOTHING_TO_MAKE_AGAIN)
    return redirect(to)


def refuse_unless_claiming(request: PortalRequest, certificate: Certificate) -> None:
    """Revoking and replacing are for the claiming centre's admins (decision 40): the
    confirmation pages are not shown to anyone else."""
    if not may_change(request, certificate):
        raise PermissionDenied(NOT_THE_CLAIMING_ADMIN.format(centre=certificate.centre))


def taken_for(request: PortalRequest, purpose: str, certificate: Certificate) -> dict[str, Any]:
    """The confirmation's payload, taken once, if it is for this certificate (not taken if
    not: the caller's transaction is rolled back)."""
    payload = take(request, purpose, request.POST.get("token", ""))
    if payload.get("certificate") != certificate.pk:
        raise Unconfirmed(NOT_VALID)
    return payload


def revoke_confirmation(
    request: PortalRequest, certificate: Certificate, reason: str
) -> HttpResponse:
    """What revoking would do, to which certificate and why, with a one-time token."""
    refuse_unless_claiming(request, certificate)
    if certificate.is_revoked:
        messages.error(request, ALREADY_REVOKED)
        return redirect("certification:certificate-detail", certificate.pk)
    payload = {"certificate": certificate.pk, "reason": reason}
    context = {
        "certificate": certificate,
        "reason": reason,
        "token": token_for("revoke", request.user.pk, payload),
    }
    return render(request, "certification/revoke_confirm.html", context)


def revoke_confirmed(request: PortalRequest, certificate: Certificate) -> HttpResponse:
    """Revoke as the confirmation page said, once: the token is taken in the revocation's
    transaction (decision 82), and rolled back with it if it is refused."""
    refuse_unless_claiming(request, certificate)
    back = redirect("certification:certificate-detail", certificate.pk)
    try:
        with transaction.atomic():
            lock_chains_of(certificate)  # the chains the revocation takes, before any row
            payload = taken_for(request, "revoke", certificate)
            certificate_revoke(
                certificate=certificate, reason=payload["reason"], actor=request.user
            )
    except Unconfirmed as unconfirmed:
        messages.error(request, str(unconfirmed))
        return back
    except Refused as refused:
        return refused_redirect(request, refused, back.url)
    messages.success(request, f"{certificate.number} is revoked.")
    return back


def replace_confirmation(
    request: PortalRequest, certificate: Certificate, form: ReasonForm
) -> HttpResponse:
    """What replacing would issue, for which certificate and why, with a one-time token (the
    pause decision 36 gives claims and revocations). Nothing is replaced here."""
    refuse_unless_claiming(request, certificate)
    if why_not := why_not_replaced(certificate):
        refused_on_form(form, ClaimRefused(why_not))  # the reason as typed stays
        return certificate_page(request, certificate, form)
    reason = form.cleaned_data["reason"]
    payload = {"certificate": certificate.pk, "reason": reason}
    context = {
        "certificate": certificate,
        "reason": reason,
        "token": token_for("replace", request.user.pk, payload),
    }
    return render(request, "certification/replace_confirm.html", context)


def replace_confirmed(request: PortalRequest, certificate: Certificate) -> HttpResponse:
    """Replace as the confirmation page said, once; then show the replacement."""
    refuse_unless_claiming(request, certificate)
    back = redirect("certification:certificate-detail", certificate.pk)
    try:
        with transaction.atomic():  # as a revocation's (decision 82)
            lock_chains_of(certificate)
            payload = taken_for(request, "replace", certificate)
            new = certificate_replace(
                certificate=certificate, reason=payload["reason"], actor=request.user
            )
    except (Unconfirmed, ClaimRefused) as refused:
        messages.error(request, str(refused))
        return back
    messages.success(request, f"Replacement {new.number} issued.")
    return redirect("certification:certificate-detail", new.pk)


@login_required
def certificate_download(request: PortalRequest, pk: int) -> HttpResponseBase:
    certificate = certificate_for(request, pk)
    if certificate.status != RenderStatus.READY or certificate.is_withheld:
        raise Http404("The PDF is not ready yet.")
    revoked, rendered = certificate.revoked_at, certificate.rendered_at
    if revoked is not None and (rendered is None or rendered < revoked):
        # Made before it was revoked: never served without its REVOKED mark (decision 36).
        raise Http404("The PDF is being made again, marked revoked.")
    return private_pdf(request, certificate.file, f"{certificate.number}.pdf")


def verify_page(request: HttpRequest, number: str = "") -> HttpResponse:
    """Public: is this certificate genuine? No login; limited per address."""
    number = number or request.GET.get("number", "")
    if not number:
        return render(request, "certification/verify.html", {})
    if not allowed(request):
        return render(request, "certification/verify.html", {"limited": True}, status=429)
    finding = verify(number)
    context = {"finding": finding, "number": normalise(number)}
    return render(request, "certification/verify.html", context)
