"""Who may open which registration: one helper per resource, as the house style asks."""

from collections.abc import Callable
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

# The centre admin's role is the ground floor's to check; the pages here use it as their own.
from portal.access import NOT_CENTRE_ADMIN as NOT_CENTRE_ADMIN
from portal.access import admin_centre as admin_centre
from portal.compiled_objects import objects_once
from portal.http import PortalRequest
from portal.models import Role, RoleKind, User
from portal.refusals import Refused, refused_redirect
from portfolios.models import (
    Evidence,
    EvidenceFile,
    QuestionSet,
    Registration,
    RegistrationQuerySet,
    visible_by_its_columns,
    visible_condition,
)


def visible_registrations(request: PortalRequest) -> RegistrationQuerySet:
    """The registrations the person may see, by the roles the request has read already."""
    return Registration.objects.visible_to(request.user, request.roles)


NO_REGISTRATION = "No Registration matches the given query."

# What a registration is read with: the qualification's AO (its claim policy says what the
# registration still needs); whether its learner is anonymised, which closes it
# (`closed_because`), most pages ask; its assessor and IQA.
REGISTRATION_WITH = (
    "learner__anonymisation",
    "qualification__awarding_organisation",
    "assessor",
    "iqa",
)


class RegistrationRead:
    """A registration by its id with what `registration_for` reads with it (`REGISTRATION_WITH`)
    and the page's annotations (`annotations()`, built anew for each query), by SQL compiled
    once per process (`portal.compiled_objects`): built and compiled on every page of a
    registration, the seven tables' query cost some 5,000 Python calls. Made once per page, at
    import."""

    def __init__(self, annotations: Callable[[], dict[str, Any]] = dict) -> None:
        self.annotations = annotations
        self.by_id = objects_once(self.queryset)
        self.visible_by_id = objects_once(self.visible_queryset)

    def queryset(self, pk: int) -> QuerySet[Registration]:
        found = Registration.objects.select_related(*REGISTRATION_WITH)
        return found.annotate(**self.annotations()).filter(pk=pk)

    def visible_queryset(
        self, pk: int, user_id: int, *centres: list[int]
    ) -> QuerySet[Registration]:
        """The registration by its id if a person (`user_id`, active) holding roles at these
        centres may see it (`visible_condition`, its branches those of the kinds held):
        `centres` as `centres_by_kind` gives them. The ORM's own query, as `get` writes it but
        for its `LIMIT`, compiled once per process and shape of the person's roles: built and
        compiled on every IQA's page of a registration, the condition and the joins cost some
        8,000 Python calls (issue 17, seventh round)."""
        user = User(pk=user_id, is_active=True)
        condition = visible_condition(user, stand_in_roles(user_id, *centres))
        found = (
            Registration.objects.none()
            if condition is None
            else Registration.objects.filter(condition)
        )
        return (
            found.select_related(*REGISTRATION_WITH)
            .annotate(**self.annotations())
            .filter(pk=pk)
            .order_by()
        )


PLAIN = RegistrationRead()


def registration_for(
    request: PortalRequest, pk: int, read: RegistrationRead = PLAIN
) -> Registration:
    """A registration the person may see, or 404 (never 403: ids must not reveal anything).
    `read`: with what the page reads with it (whether it has any of something, say)."""
    told = by_its_columns(request)
    if told:
        found = read.by_id(pk)
        if not found:
            raise Http404(NO_REGISTRATION)
        [registration] = found
    else:  # acting as an IQA: read with the visibility condition (decision 64)
        found = (
            read.visible_by_id(pk, request.user.pk, *centres_by_kind(request))
            if request.user.is_active
            else []
        )
        if not found:
            raise Http404(NO_REGISTRATION)
        [registration] = found
    if told and not may_see(request, registration):
        raise Http404(NO_REGISTRATION)
    # Its centre is one of the person's roles' (they see registrations only there), read with
    # them by the middleware: joined here too, the centre made the ninth table of the query,
    # and PostgreSQL took 5-8 ms to plan it instead of 2 (issue 17, fourth round).
    centre = next(
        (
            role.centre
            for role in request.roles
            if role.centre_id == registration.centre_id and Role.centre.is_cached(role)
        ),
        None,
    )
    if centre is not None:
        registration.centre = centre
    return registration


# The kinds of role, as `centres_by_kind` lists their centres and `stand_in_roles` reads them:
# learner, trainee assessor, qualified assessor, IQA (trainee or not: its branches are the
# same), centre admin.
ROLE_SHAPES = (
    (RoleKind.LEARNER, False),
    (RoleKind.ASSESSOR, True),
    (RoleKind.ASSESSOR, False),
    (RoleKind.IQA, None),
    (RoleKind.CENTRE_ADMIN, None),
)


def centres_by_kind(request: PortalRequest) -> list[list[int]]:
    """The centres of the person's roles of each kind in `ROLE_SHAPES`, as the request read
    them (roles of other kinds let nobody see a registration: `visible_condition`)."""
    user_id = request.user.pk
    found: list[list[int]] = [[] for _ in ROLE_SHAPES]
    for role in request.roles:
        if role.user_id != user_id:
            raise ValueError(f"{role} is not a role of {request.user}.")
        for n, (kind, trainee) in enumerate(ROLE_SHAPES):
            if role.kind == kind and (trainee is None or role.is_trainee == trainee):
                found[n].append(role.centre_id)
    return found


def stand_in_roles(user_id: int, *centres: list[int]) -> list[Role]:
    """Roles of `user_id` at `centres`, listed as `centres_by_kind` lists them: what
    `visible_condition` builds its condition from (their kind, centre and whether a trainee)."""
    return [
        Role(user_id=user_id, centre_id=centre, kind=kind, is_trainee=bool(trainee))
        for (kind, trainee), at in zip(ROLE_SHAPES, centres, strict=True)
        for centre in at
    ]


def closed_redirect(request: PortalRequest, registration: Registration) -> HttpResponse | None:
    """For a page that only adds to a registration: if it is closed, back to the registration's
    page with the reason, rather than a form whose every answer would be refused."""
    if not registration.closed_because:
        return None
    detail = reverse("portfolios:registration-detail", args=[registration.pk])
    return refused_redirect(request, Refused(registration.closed_because), detail)


def can_administer(request: PortalRequest, registration: Registration) -> bool:
    role = request.role
    return (
        role is not None
        and role.kind == RoleKind.CENTRE_ADMIN
        and role.centre_id == registration.centre_id
    )


NO_EVIDENCE = "No evidence matches the given query."


# What a piece of evidence is read with. Who made it too: an assessor's record names them (the
# page's queries stay the same whatever the evidence: tests/integration/
# test_query_counts_at_scale.py); whether its learner is anonymised (`closed_because`) and the
# witness request it answers, if any (`is_signed_testimony`), which the pages ask and would
# read a query each.
EVIDENCE_WITH = (
    "registration__learner__anonymisation",
    "registration__qualification",
    "created_by",
    "witness_request",
)


@objects_once
def evidence_by_id(pk: int) -> QuerySet[Evidence]:
    """The evidence with what `evidence_for` reads with it, by SQL compiled once per process
    (`portal.compiled_objects`): built and compiled on every review page and decision, the
    seven tables' query cost some 5,000 Python calls."""
    return Evidence.objects.select_related(*EVIDENCE_WITH).filter(pk=pk)


def evidence_for(request: PortalRequest, pk: int) -> Evidence:
    """Evidence in a portfolio the person may see, or 404."""
    # Read by its id, whether the person may see it asked afterwards (`may_see`): from the
    # registration's columns for its learner, assessor, IQA or a centre admin, and only for
    # anyone else by the visibility condition. Either way a 404.
    if by_its_columns(request):
        found = evidence_by_id(pk)
        if not found or not may_see(request, found[0].registration):
            raise Http404(NO_EVIDENCE)
        return found[0]
    # Acting as an IQA: asked in the row's select list, of the evidence's own registration (as
    # a condition, `registration__in=visible`, PostgreSQL planned the subquery's registration
    # too: 12 ms instead of 2, issue 17's fourth round).
    visible = visible_registrations(request)
    if visible.query.is_empty():
        raise Http404(NO_EVIDENCE)
    seen = visible.filter(pk=OuterRef("registration_id"))
    found_seen = Evidence.objects.select_related(*EVIDENCE_WITH).annotate(may_see=Exists(seen))
    evidence = get_object_or_404(found_seen, pk=pk)
    if not evidence.may_see:  # type: ignore[attr-defined]
        raise Http404(NO_EVIDENCE)
    return evidence


def by_its_columns(request: PortalRequest) -> bool:
    """Whether a registration or its evidence is read by its id and who sees it told from its
    columns (`may_see`), rather than with the visibility condition in the same query: for
    everyone but a person acting as an IQA, who sees most of what they sample through their
    plan (a subquery the columns cannot tell), so that the IQA's pages make the same queries
    whether or not they are the registration's named IQA (decision 64)."""
    role = request.role
    return role is None or role.kind != RoleKind.IQA


def may_see(request: PortalRequest, registration: Registration) -> bool:
    """Whether the person may see the registration (`Registration.objects.visible_to`), told
    from its row and the request's roles where they say so (`visible_by_its_columns`: its
    learner, assessor or IQA, or a centre admin), else asked of the database with the whole
    condition: one query, only for a unit's own assessor, a countersigner or an IQA sampling it.
    Building that condition and planning it cost more than the read of the row it was asked
    with, on every page that opens a registration or its evidence (decision 64)."""
    if visible_by_its_columns(registration, request.user, request.roles):
        return True
    return visible_registrations(request).filter(pk=registration.pk).exists()


def evidence_file_for(request: PortalRequest, pk: int) -> EvidenceFile:
    """A stored file the person may open, or 404: the same rule as its portfolio."""
    visible = visible_registrations(request)
    return get_object_or_404(EvidenceFile.objects.all(), pk=pk, registration__in=visible)


def question_set_for(request: PortalRequest, pk: int) -> QuestionSet:
    """A set of questions on a registration the person may see, or 404."""
    visible = visible_registrations(request)
    found = QuestionSet.objects.select_related(
        "registration__learner", "registration__qualification", "set_by", "evidence"
    )
    return get_object_or_404(found, pk=pk, registration__in=visible)
