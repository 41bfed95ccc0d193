"""The API's endpoints: each limited to the token's centre, reads from querysets, writes through
the services the pages use (decision 57)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, Prefetch, QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as rf
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers as s
from api.events import events_after
from api.models import Scope
from api.rest import HasScope, TokenAuthentication, TokenRateThrottle, token_of
from api.services import api_write
from assessment.models import UnitSignOff
from assessment.progress import progress_of
from certification.models import Certificate
from certification.readiness import (
    Readiness,
    claim_reasons_now,
    claimed_of,
    listed,
    readiness_of_many,
)
from certification.services import certificate_claim
from portal.models import TRAINEE_KINDS, AuditEntry, Role, RoleKind, User
from portfolios.models import ClaimList as OnList
from portfolios.models import (
    PriorLearning,
    PriorLearningKind,
    Registration,
    RegistrationQuerySet,
    RegistrationStatus,
    RegistrationUnit,
)
from portfolios.services import (
    LearnerIdentity,
    RegistrationDetails,
    RegistrationRejected,
    learner_details_change,
    registration_choose_units,
    registration_create,
    registration_staff_change,
    registration_withdraw,
)
from qualifications.models import Qualification, QualificationUnit, Unit
from qualifications.rules import Verdict

UNITS_DIFFER = (
    "The units you sent are not those {name}'s certificate would list now ({units}): nothing "
    "was claimed. Send `units` as they are now (claim.claimable_units in the registration's "
    "progress), or leave it out."
)
CLAIMS_PAGE_LISTS = (OnList.FULL, OnList.UNIT, OnList.WAITING)
BEYOND = (
    "No cursor of this feed is {after}: it is beyond the latest entry. Ask with after=0, or the "
    "next of an answer."
)
ERRORS = {
    400: "The request has errors, or a service refused it (the message says why).",
    401: "No token, or one unknown or revoked.",
    403: "The token lacks the scope this call needs.",
    404: "Not found, or not the token's centre's.",
    405: "The endpoint does not answer this method.",
    413: "The request body is too large.",
    415: "The body is not JSON (Content-Type: application/json).",
    429: "Too many calls: wait as Retry-After says.",
}


class ApiSchema(AutoSchema):
    """Each operation documents the error shape for every error status it may answer."""

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> Any:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        for code, description in ERRORS.items():
            bodies.setdefault(
                str(code),
                {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                    "description": description,
                },
            )
        return bodies

    def _map_serializer(
        self, serializer: Any, direction: Any, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer(serializer, direction, bypass_extensions)
        if isinstance(serializer, s.Strict):
            schema["additionalProperties"] = False  # refused by name (`Strict`)
        return schema


def whole(given: str) -> bool:
    """ASCII digits only: str.isdigit() also takes a superscript (which int() refuses) and a
    fullwidth digit (which int() reads), neither of them a number a client means."""
    return re.fullmatch(r"[0-9]+", given) is not None


class Page(PageNumberPagination):
    """Pages of 50 (page_size: 1 to 200); a page size that is not one is refused, not ignored."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        given = request.query_params.getlist(self.page_size_query_param)
        if not given:
            return self.page_size
        if len(given) > 1 or not whole(given[0]) or not 1 <= int(given[0]) <= 200:
            raise rf.ValidationError({"page_size": ["One whole number from 1 to 200."]})
        return int(given[0])

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == "page_size":
                parameter["schema"].update(minimum=1, maximum=200)
            if parameter["name"] == "page":
                parameter["schema"].update(minimum=1)
        return parameters


# Token authentication, scopes and the rate limit; everything found within the token's centre.
class CentreView(GenericAPIView):  # type: ignore[type-arg]
    authentication_classes = [TokenAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [TokenRateThrottle]
    write_scope = Scope.REGISTRATIONS
    schema = ApiSchema()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        # DRF put the token's maker on the request; the session middleware must not take the
        # call for theirs: no session is made or renewed for a token.
        request.user = AnonymousUser()
        return response

    def centre_id(self) -> int:
        return token_of(self.request).centre_id

    def actor(self) -> User:
        user = self.request.user
        assert isinstance(user, User)
        return user

    def paged(
        self, rows: Sequence[Any] | QuerySet[Any], serializer: type[rf.Serializer]
    ) -> Response:  # type: ignore[type-arg]
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        assert page is not None
        return self.get_paginated_response(serializer(page, many=True).data)


# Qualifications and units ------------------------------------------------------------------


class QualificationList(CentreView):
    pagination_class = Page
    serializer_class = s.QualificationSerializer

    def get_queryset(self) -> QuerySet[Qualification]:
        return Qualification.objects.select_related("awarding_organisation").order_by("code")

    @extend_schema(
        operation_id="qualifications_list",
        responses=s.QualificationSerializer(many=True),
        summary="Qualifications in the catalogue",
    )
    def get(self, request: Request) -> Response:
        return self.paged(self.get_queryset(), s.QualificationSerializer)


class QualificationDetail(CentreView):
    serializer_class = s.QualificationDetailSerializer

    @extend_schema(operation_id="qualifications_read", summary="A qualification and its units")
    def get(self, request: Request, pk: int) -> Response:
        qualification = get_object_or_404(
            Qualification.objects.select_related("awarding_organisation"), pk=pk
        )
        units = Unit.objects.filter(memberships__qualification=qualification).order_by("code")
        qualification.api_units = list(units.distinct())  # type: ignore[attr-defined]
        # The rules of combination as the catalogue has them now: each group with its units.
        members = QualificationUnit.objects.select_related("unit").order_by("unit__code")
        groups = list(
            qualification.groups.prefetch_related(  # type: ignore[attr-defined]
                Prefetch("memberships", queryset=members)
            )
        )
        for group in groups:
            group.api_units = [m.unit.code for m in group.memberships.all()]  # type: ignore[attr-defined]
        qualification.api_groups = groups  # type: ignore[attr-defined]
        qualification.api_level_rules = list(qualification.level_rules.all())  # type: ignore[attr-defined]
        return Response(s.QualificationDetailSerializer(qualification).data)


# Learners ----------------------------------------------------------------------------------


class LearnerList(CentreView):
    pagination_class = Page
    serializer_class = s.LearnerSerializer

    def get_queryset(self) -> QuerySet[User]:
        return (
            User.objects.filter(roles__centre_id=self.centre_id(), roles__kind=RoleKind.LEARNER)
            .distinct()
            .order_by("full_name", "pk")
        )

    @extend_schema(
        operation_id="learners_list",
        responses=s.LearnerSerializer(many=True),
        summary="The centre's learners",
    )
    def get(self, request: Request) -> Response:
        return self.paged(self.get_queryset(), s.LearnerSerializer)


class StaffList(CentreView):
    pagination_class = Page
    serializer_class = s.StaffSerializer

    def get_queryset(self) -> QuerySet[User]:
        centre_id = self.centre_id()
        practising = Role.objects.filter(centre_id=centre_id, kind__in=TRAINEE_KINDS)
        return (
            User.objects.filter(is_active=True, roles__in=practising)
            .distinct()
            .prefetch_related(
                Prefetch("roles", queryset=practising.order_by("kind"), to_attr="api_roles")
            )
            .order_by("full_name", "pk")
        )

    @extend_schema(
        operation_id="staff_list",
        responses=s.StaffSerializer(many=True),
        summary="The centre's assessors and IQAs, whose ids registrations take",
    )
    def get(self, request: Request) -> Response:
        return self.paged(self.get_queryset(), s.StaffSerializer)


# Registrations -----------------------------------------------------------------------------


def registrations_of(centre_id: int) -> RegistrationQuerySet:
    plan = RegistrationUnit.objects.select_related("unit").order_by("unit__code")
    return (
        Registration.objects.filter(centre_id=centre_id)
        .select_related("learner__anonymisation", "qualification", "assessor", "iqa")
        .prefetch_related(Prefetch("planned_units", queryset=plan))
        .order_by("pk")
    )


def with_units(registrations: Sequence[Registration]) -> Sequence[Registration]:
    for r in registrations:
        r.api_units = [p.unit.code for p in r.planned_units.all()]  # type: ignore[attr-defined]
    return registrations


def person_at(centre_id: int, pk: int | None, kind: str, field: str) -> User | None:
    """A person of the centre in the role, or a 400 naming the field."""
    if pk is None:
        return None
    person = User.objects.filter(pk=pk, roles__centre_id=centre_id, roles__kind=kind).first()
    if person is None:
        raise rf.ValidationError(
            {field: [f"No {kind.replace('_', ' ')} of the centre has this id."]}
        )
    return person


class RegistrationList(CentreView):
    serializer_class = s.RegistrationSerializer
    pagination_class = Page

    @extend_schema(
        operation_id="registrations_list",
        responses=s.RegistrationSerializer(many=True),
        summary="The centre's registrations",
        parameters=[OpenApiParameter("status", str, enum=RegistrationStatus.values)],
    )
    def get(self, request: Request) -> Response:
        rows = registrations_of(self.centre_id())
        if status := request.query_params.get("status"):
            if status not in RegistrationStatus.values:
                raise rf.ValidationError({"status": [f"One of {', '.join(RegistrationStatus)}."]})
            rows = rows.filter(status=status)
        page = self.paginate_queryset(rows)
        assert page is not None
        data = s.RegistrationSerializer(with_units(page), many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="registrations_create",
        summary="Register a learner (scope: registrations)",
        request=s.RegistrationCreateSerializer,
        responses={201: s.RegistrationSerializer},
    )
    def post(self, request: Request) -> Response:
        given = s.RegistrationCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        centre_id = self.centre_id()
        learner = person_at(centre_id, data["learner"], RoleKind.LEARNER, "learner")
        assert learner is not None
        qualification = Qualification.objects.filter(pk=data["qualification"]).first()
        if qualification is None:
            raise rf.ValidationError({"qualification": ["No qualification has this id."]})
        details = RegistrationDetails(
            learner=learner,
            qualification=qualification,
            start_date=data["start_date"],
            assessor=person_at(centre_id, data.get("assessor"), RoleKind.ASSESSOR, "assessor"),
            iqa=person_at(centre_id, data.get("iqa"), RoleKind.IQA, "iqa"),
            ao_registration_number=data.get("ao_registration_number", ""),
            planned_end_date=data.get("planned_end_date"),
            funding=data.get("funding", ""),
        )
        token = token_of(request)
        made = api_write(
            token,
            "registration created",
            lambda: registration_create(
                centre=token.centre,
                details=details,
                optional_units=data.get("optional_units", []),
                actor=self.actor(),
            ),
            lambda r: f"registration:{r.pk}",
        )
        fresh = with_units([registrations_of(centre_id).get(pk=made.pk)])[0]
        return Response(s.RegistrationSerializer(fresh).data, status=201)


class OneRegistration(CentreView):
    serializer_class = s.RegistrationSerializer

    def registration(self, pk: int) -> Registration:
        return get_object_or_404(registrations_of(self.centre_id()), pk=pk)


class RegistrationDetail(OneRegistration):
    @extend_schema(operation_id="registrations_read", summary="A registration")
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.RegistrationSerializer(with_units([self.registration(pk)])[0]).data)

    @extend_schema(
        operation_id="registrations_update",
        summary="Change a registration's funding, AO number, staff or units (scope: registrations)",
        request=s.RegistrationChangeSerializer,
        responses={200: s.RegistrationSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        registration = self.registration(pk)
        given = s.RegistrationChangeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        centre_id, actor, token = self.centre_id(), self.actor(), token_of(request)
        staff = {"assessor", "iqa"} & data.keys()
        assessor = registration.assessor
        iqa = registration.iqa
        if "assessor" in data:
            assessor = person_at(centre_id, data["assessor"], RoleKind.ASSESSOR, "assessor")
        if "iqa" in data:
            iqa = person_at(centre_id, data["iqa"], RoleKind.IQA, "iqa")

        def change() -> bool:
            """Whether anything changed. A closed registration (withdrawn, completed,
            anonymised) takes no change, as on the pages: refused under the registration's
            lock, before anything is written."""
            Registration.objects.lock(registration, refused=RegistrationRejected)
            changed = False
            if "funding" in data or "ao_registration_number" in data:
                changed |= bool(
                    learner_details_change(
                        registration=registration,
                        given=LearnerIdentity.of(registration.learner),
                        funding=data.get("funding", registration.funding),
                        ao_registration_number=data.get("ao_registration_number"),
                        actor=actor,
                    )
                )
            if staff and (assessor, iqa) != (registration.assessor, registration.iqa):
                registration_staff_change(
                    registration=registration, assessor=assessor, iqa=iqa, actor=actor
                )
                changed = True
            if "optional_units" in data:
                before = planned(registration)
                registration_choose_units(
                    registration=registration,
                    optional_units=data["optional_units"],
                    actor=actor,
                )
                changed |= planned(registration) != before
            return changed

        api_write(
            token,
            "registration changed",
            change,
            lambda _: f"registration:{pk}",
            changed=lambda changed: changed,
        )
        return Response(s.RegistrationSerializer(with_units([self.registration(pk)])[0]).data)


def planned(registration: Registration) -> set[str]:
    return set(registration.planned_units.values_list("unit__code", flat=True))


class RegistrationWithdraw(OneRegistration):
    @extend_schema(
        operation_id="registrations_withdraw",
        summary="Withdraw a registration, with a reason (scope: registrations)",
        request=s.WithdrawSerializer,
        responses={200: s.RegistrationSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        registration = self.registration(pk)
        given = s.WithdrawSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        api_write(
            token_of(request),
            "registration withdrawn",
            lambda: registration_withdraw(
                registration=registration,
                reason=given.validated_data["reason"],
                actor=self.actor(),
            ),
            lambda _: f"registration:{pk}",
        )
        return Response(s.RegistrationSerializer(with_units([self.registration(pk)])[0]).data)


# Progress and claims -----------------------------------------------------------------------


def achieved_units(registration: Registration) -> list[dict[str, Any]]:
    signed = UnitSignOff.objects.achieved().filter(registration=registration)
    rows = [
        {"code": u.code, "title": u.title, "credits": u.credits, "how": "signed_off"}
        for u in Unit.objects.filter(pk__in=signed.values("unit_id")).order_by("code")
    ]
    rpl = PriorLearning.objects.in_force().filter(
        registration=registration, kind=PriorLearningKind.RPL
    )
    rows += [
        {"code": u.code, "title": u.title, "credits": u.credits, "how": "rpl"}
        for u in Unit.objects.filter(pk__in=rpl.values("unit_id")).order_by("code")
    ]
    return rows


def exempt_units(registration: Registration) -> list[dict[str, Any]]:
    exempt = (
        PriorLearning.objects.in_force()
        .filter(registration=registration, kind=PriorLearningKind.EXEMPTION)
        .select_related("unit")
        .order_by("unit__code")
    )
    return [{"code": e.unit.code, "title": e.unit.title, "award": e.description} for e in exempt]


def claim_facts(ready: Readiness, claimed: set[tuple[int, str]]) -> dict[str, Any]:
    """Whether each kind can be claimed now, by the claims page's rule (`claim_reasons_now`)."""
    full, unit = claim_reasons_now(ready, claimed)
    return {
        "registration": ready.registration.pk,
        "claimable_units": ready.claimable_units,
        "full_claim_ready": not full,
        "full_claim_reasons": full,
        "unit_claim_ready": not unit,
        "unit_claim_reasons": unit,
    }


def rules_of(verdict: Verdict) -> list[dict[str, Any]]:
    return [{"rule": r.rule, "met": r.met, "message": r.message} for r in verdict.rules]


class RegistrationProgress(OneRegistration):
    serializer_class = s.ProgressSerializer

    @extend_schema(
        operation_id="registrations_progress",
        summary="Units achieved, credits and the rules' verdict as the registration page has "
        "them; apart, what can be claimed now",
    )
    def get(self, request: Request, pk: int) -> Response:
        registration = self.registration(pk)
        # The registration page's verdict: every unit achieved (signed off and countersigned,
        # or through RPL), the exemptions without credit. The claim's own verdict judges only
        # the units IQA has cleared, and is given apart as `claim`.
        [progress] = progress_of([registration], with_route=False)
        verdict = progress.verdict
        [ready] = readiness_of_many([registration])
        facts = claim_facts(ready, claimed_of([registration]))
        body = {
            **facts,
            "units_achieved": achieved_units(registration),
            "units_exempt": exempt_units(registration),
            "achieved_credits": verdict.achieved_credits,
            "counted_credits": verdict.counted_credits,
            "eligible": verdict.eligible,
            "rules": rules_of(verdict),
            "claim": {
                "claimable_units": ready.claimable_units,
                "achieved_credits": ready.verdict.achieved_credits,
                "counted_credits": ready.verdict.counted_credits,
                "eligible": ready.verdict.eligible,
                "rules": rules_of(ready.verdict),
                "full_ready": facts["full_claim_ready"],
                "full_reasons": facts["full_claim_reasons"],
                "unit_ready": facts["unit_claim_ready"],
                "unit_reasons": facts["unit_claim_reasons"],
            },
        }
        return Response(s.ProgressSerializer(body).data)


class ClaimList(CentreView):
    serializer_class = s.ClaimReadinessSerializer
    pagination_class = Page
    write_scope = Scope.CLAIMS

    @extend_schema(
        operation_id="claims_list",
        responses=s.ClaimReadinessSerializer(many=True),
        summary="Each open registration's claim readiness, as the claims page works it out",
    )
    def get(self, request: Request) -> Response:
        # The claims page's lists (ready for a full certificate, for a unit certificate, not
        # ready yet), in the order of the registrations: one with nothing more to claim (its
        # full certificate claimed, say) or closed is on none of them, and not here either.
        rows = list(registrations_of(self.centre_id()).open())
        claimed = claimed_of(rows)
        body = [
            {**claim_facts(ready, claimed), "learner": ready.registration.learner.full_name}
            for ready in readiness_of_many(rows)
            if listed(ready, claimed) in CLAIMS_PAGE_LISTS
        ]
        page = self.paginate_queryset(body)  # type: ignore[arg-type]
        assert page is not None
        return self.get_paginated_response(s.ClaimReadinessSerializer(page, many=True).data)

    @extend_schema(
        operation_id="claims_create",
        summary="Claim a certificate (scope: claims)",
        request=s.ClaimSerializer,
        responses={201: s.CertificateSerializer},
    )
    def post(self, request: Request) -> Response:
        given = s.ClaimSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        registration = registrations_of(self.centre_id()).filter(pk=data["registration"]).first()
        if registration is None:
            raise rf.ValidationError(
                {"registration": ["No registration of the centre has this id."]}
            )
        certificate = api_write(
            token_of(request),
            "certificate claimed",
            lambda: certificate_claim(
                registration=registration,
                kind=data["kind"],
                actor=self.actor(),
                units=data.get("units"),
                units_differ=UNITS_DIFFER,
            ),
            lambda c: f"certificate:{c.pk}",
        )
        fresh = with_certificate_units([certificates_of(self.centre_id()).get(pk=certificate.pk)])
        return Response(s.CertificateSerializer(fresh[0]).data, status=201)


# Certificates ------------------------------------------------------------------------------


def certificates_of(centre_id: int) -> QuerySet[Certificate]:
    return (
        Certificate.objects.filter(centre_id=centre_id)
        .select_related("replaced_by", "superseded_by")
        .order_by("pk")
    )


def with_certificate_units(certificates: Sequence[Certificate]) -> Sequence[Certificate]:
    for c in certificates:
        units = c.snapshot.get("units", []) if isinstance(c.snapshot, dict) else []
        c.api_units = [u.get("reference", "") for u in units]  # type: ignore[attr-defined]
    return certificates


class CertificateList(CentreView):
    serializer_class = s.CertificateSerializer
    pagination_class = Page

    @extend_schema(
        operation_id="certificates_list",
        responses=s.CertificateSerializer(many=True),
        summary="The centre's certificates",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(certificates_of(self.centre_id()))
        assert page is not None
        data = s.CertificateSerializer(with_certificate_units(page), many=True).data
        return self.get_paginated_response(data)


class CertificateDetail(CentreView):
    serializer_class = s.CertificateSerializer

    @extend_schema(operation_id="certificates_read", summary="A certificate")
    def get(self, request: Request, pk: int) -> Response:
        certificate = get_object_or_404(certificates_of(self.centre_id()), pk=pk)
        return Response(s.CertificateSerializer(with_certificate_units([certificate])[0]).data)


# Events ------------------------------------------------------------------------------------


class EventFeed(CentreView):
    serializer_class = s.EventPageSerializer

    @extend_schema(
        operation_id="events_list",
        summary="Units achieved, certificates issued, replaced and revoked, oldest first",
        parameters=[
            OpenApiParameter("after", str, description="The cursor of the last event read."),
            OpenApiParameter("limit", int, description="At most this many (1 to 500; 100)."),
        ],
    )
    def get(self, request: Request) -> Response:
        after = request.query_params.get("after", "0")
        limit = request.query_params.get("limit", "100")
        if not whole(after) or len(after) > 18:
            raise rf.ValidationError({"after": ["A cursor from this feed (digits)."]})
        if not whole(limit) or len(limit) > 4 or not 1 <= int(limit) <= 500:
            raise rf.ValidationError({"limit": ["A whole number from 1 to 500."]})
        latest = AuditEntry.objects.filter(centre_id=self.centre_id()).aggregate(m=Max("pk"))["m"]
        if int(after) > (latest or 0):
            raise rf.ValidationError({"after": [BEYOND.format(after=after)]})
        events, cursor = events_after(self.centre_id(), int(after), int(limit))
        return Response(s.EventPageSerializer({"events": events, "next": cursor}).data)
