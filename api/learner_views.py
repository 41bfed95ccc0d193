"""Learners through the API: invited (as on the pages, decision 13), their invitations read,
sent again or withdrawn, and their identity changed through the service the learner's details
page uses (decision 57)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as rf
from rest_framework.request import Request
from rest_framework.response import Response

from api import learner_serializers as ls
from api import views
from api.rest import token_of
from api.services import api_write
from portal.http import token_links
from portal.models import Invitation, InvitationStatus, RoleKind, User, normalise_email
from portal.refusals import Refused
from portal.services import (
    NAME_NEEDED,
    InvitationRefused,
    Invitee,
    invitation_create,
    invitation_resend,
    invitation_withdraw,
)
from portfolios.bulk import asked_of, registration_problems
from portfolios.models import Registration
from portfolios.services import (
    LearnerIdentity,
    RegistrationDetails,
    identity_problems,
    learner_details_change,
)
from qualifications.models import Qualification

ALREADY_INVITED = (
    "{email} has an open invitation to this centre already (invitation {pk}): read it at "
    "/api/v1/invitations/{pk}/, or send it again with POST /api/v1/invitations/{pk}/resend/."
)
NO_REGISTRATION = (
    "A learner's identity is kept with a registration at the centre, as on the learner's "
    "details page: this learner has none here. Register them first (POST /api/v1/registrations/)."
)
STATES = {
    InvitationStatus.PENDING: "invited",
    InvitationStatus.EXPIRED: "expired",
    InvitationStatus.ACCEPTED: "accepted",
    InvitationStatus.WITHDRAWN: "withdrawn",
}


def identity_field_problems(
    given: dict[str, Any], *, learner: User | None, email: str = ""
) -> dict[str, list[str]]:
    """The portfolios service's own checks (portal/identity.py), one field at a time, so a 400
    names the field; the service checks them all again when it records them."""
    problems = {}
    for name in ls.IDENTITY_FIELDS:
        if given.get(name):
            one = LearnerIdentity(**{name: given[name]}).cleaned()
            if said := identity_problems(one, learner=learner, email=email):
                problems[name] = said
    return problems


def identity_given(data: dict[str, Any]) -> LearnerIdentity | None:
    given = {name: data[name] for name in ls.IDENTITY_FIELDS if data.get(name)}
    return LearnerIdentity(**given).cleaned() if given else None


class Learners(views.LearnerList):
    """GET as before (with each learner's identity), and POST: invite a learner."""

    serializer_class = ls.LearnerWithIdentitySerializer

    @extend_schema(
        operation_id="learners_list",
        responses=ls.LearnerWithIdentitySerializer(many=True),
        summary="The centre's learners (those who accepted their invitation)",
    )
    def get(self, request: Request) -> Response:
        return self.paged(self.get_queryset(), ls.LearnerWithIdentitySerializer)

    @extend_schema(
        operation_id="learners_invite",
        summary="Invite a learner to the centre, perhaps with a registration (scope: "
        "registrations)",
        request=ls.LearnerInviteSerializer,
        responses={201: ls.InvitationSerializer},
    )
    def post(self, request: Request) -> Response:
        given = ls.LearnerInviteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        email = normalise_email(data["email"])
        identity = identity_given(data)
        if identity is not None and "registration" not in data:
            raise rf.ValidationError(
                {name: [NO_REGISTRATION] for name in ls.IDENTITY_FIELDS if data.get(name)}
            )
        if problems := identity_field_problems(data, learner=None, email=email):
            raise rf.ValidationError(problems)
        asked = []
        if "registration" in data:
            asked = [self.asked(data["registration"], email, data["full_name"], identity)]
        token = token_of(request)

        def invite() -> Invitation:
            already = Invitation.objects.open().filter(
                centre_id=token.centre_id, email=email, kind=RoleKind.LEARNER
            )
            if found := already.first():
                raise rf.ValidationError(
                    {"email": [ALREADY_INVITED.format(email=email, pk=found.pk)]}
                )
            return invitation_create(
                centre=token.centre,
                invitee=Invitee(email, data["full_name"], RoleKind.LEARNER),
                actor=self.actor(),
                link_for=token_links(request._request, "invitation-accept"),
                registrations=asked,
            )

        try:
            invitation = api_write(token, "learner invited", invite, lambda i: f"invitation:{i.pk}")
        except InvitationRefused as refused:
            field = "full_name" if NAME_NEEDED in refused.messages else "email"
            raise rf.ValidationError({field: refused.messages}) from None
        location = reverse("api:invitation", kwargs={"pk": invitation.pk})
        body = ls.InvitationSerializer(with_outcomes(invitation)).data
        return Response(body, status=201, headers={"Location": location})

    def asked(
        self, data: dict[str, Any], email: str, name: str, identity: LearnerIdentity | None
    ) -> dict[str, Any]:
        centre_id = self.centre_id()
        qualification = Qualification.objects.filter(pk=data["qualification"]).first()
        if qualification is None:
            raise rf.ValidationError(
                {"registration": ["qualification: No qualification has this id."]}
            )
        try:
            assessor = views.person_at(
                centre_id, data.get("assessor"), RoleKind.ASSESSOR, "assessor"
            )
            iqa = views.person_at(centre_id, data.get("iqa"), RoleKind.IQA, "iqa")
        except rf.ValidationError as wrong:
            raise rf.ValidationError({"registration": wrong.detail}) from None
        details = RegistrationDetails(
            learner=User(email=email, full_name=name),
            qualification=qualification,
            start_date=data["start_date"],
            assessor=assessor,
            iqa=iqa,
            ao_registration_number=data.get("ao_registration_number", ""),
            planned_end_date=data.get("planned_end_date"),
            funding=data.get("funding", ""),
            identity=identity,
        )
        units = data.get("optional_units", [])
        if problems := registration_problems(token_of(self.request).centre, details, units):
            raise rf.ValidationError({"registration": problems})
        return asked_of(details, units)


class Learner(views.LearnerList):
    serializer_class = ls.LearnerWithIdentitySerializer

    @extend_schema(
        operation_id="learners_read",
        responses=ls.LearnerWithIdentitySerializer,
        summary="One of the centre's learners",
    )
    def get(self, request: Request, pk: int) -> Response:  # type: ignore[override]
        learner = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(ls.LearnerWithIdentitySerializer(learner).data)

    @extend_schema(
        operation_id="learners_update",
        summary="Change the learner's identity as AOs register it (scope: registrations)",
        request=ls.LearnerChangeSerializer,
        responses={200: ls.LearnerWithIdentitySerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        learner = get_object_or_404(self.get_queryset(), pk=pk)
        given = ls.LearnerChangeSerializer(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        if problems := identity_field_problems(data, learner=learner):
            raise rf.ValidationError(problems)
        # The pages change a learner's identity on a registration's details page; the same
        # service here, on their registration at the centre (an active one first, "active"
        # sorting before "completed" and "withdrawn", then the latest).
        registration = (
            Registration.objects.filter(centre_id=self.centre_id(), learner=learner)
            .order_by("status", "-pk")
            .first()
        )
        if registration is None:
            raise Refused(NO_REGISTRATION)
        api_write(
            token_of(request),
            "learner changed",
            lambda: learner_details_change(
                registration=registration,
                given=replace(LearnerIdentity.of(learner), **data),
                funding=registration.funding,
                actor=self.actor(),
            ),
            lambda _: f"user:{pk}",
        )
        learner.refresh_from_db()
        return Response(ls.LearnerWithIdentitySerializer(learner).data)


# Invitations -------------------------------------------------------------------------------


def with_outcomes(invitation: Invitation) -> Invitation:
    """The registrations an invitation asked for, and what became of each on acceptance."""
    rows = []
    for asked in invitation.registrations:
        state = "registered" if asked.get("registration") else "waiting"
        state = "refused" if asked.get("problems") else state
        rows.append(
            {
                "qualification": asked["qualification"],
                "qualification_title": asked.get("qualification_title", ""),
                "state": state,
                "registration": asked.get("registration"),
                "problems": asked.get("problems", []),
                "details_not_recorded": asked.get("details_not_recorded", []),
            }
        )
    invitation.api_registrations = rows  # type: ignore[attr-defined]
    invitation.state = STATES[invitation.status]  # type: ignore[attr-defined]
    return invitation


class Invitations(views.CentreView):
    """The centre's invitations of learners (staff invitations are not the MIS's business)."""

    serializer_class = ls.InvitationSerializer

    def get_queryset(self) -> QuerySet[Invitation]:
        return Invitation.objects.filter(
            centre_id=self.centre_id(), kind=RoleKind.LEARNER
        ).order_by("pk")

    def invitation(self, pk: int) -> Invitation:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def answer(self, pk: int) -> Response:
        return Response(ls.InvitationSerializer(with_outcomes(self.invitation(pk))).data)


class InvitationList(Invitations):
    pagination_class = views.Page

    @extend_schema(
        operation_id="invitations_list",
        responses=ls.InvitationSerializer(many=True),
        summary="The centre's invitations of learners, and what became of each",
        parameters=[OpenApiParameter("open", bool, description="Only those not yet answered.")],
    )
    def get(self, request: Request) -> Response:
        rows = self.get_queryset()
        wanted = request.query_params.get("open")
        if wanted not in (None, "true", "false"):
            raise rf.ValidationError({"open": ["true or false."]})
        if wanted == "true":
            rows = rows.filter(pk__in=Invitation.objects.open().values("pk"))
        page = self.paginate_queryset(rows)
        assert page is not None
        data = ls.InvitationSerializer([with_outcomes(i) for i in page], many=True).data
        return self.get_paginated_response(data)


class InvitationDetail(Invitations):
    @extend_schema(operation_id="invitations_read", summary="An invitation of a learner")
    def get(self, request: Request, pk: int) -> Response:
        return self.answer(pk)


class InvitationResend(Invitations):
    @extend_schema(
        operation_id="invitations_resend",
        summary="Send an open invitation again with a new link (scope: registrations)",
        request=None,
        responses={200: ls.InvitationSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        invitation = self.invitation(pk)
        api_write(
            token_of(request),
            "invitation sent again",
            lambda: invitation_resend(
                invitation=invitation,
                actor=self.actor(),
                link_for=token_links(request._request, "invitation-accept"),
            ),
            lambda _: f"invitation:{pk}",
        )
        return self.answer(pk)


class InvitationWithdraw(Invitations):
    @extend_schema(
        operation_id="invitations_withdraw",
        summary="Withdraw an open invitation: its link stops working (scope: registrations)",
        request=None,
        responses={200: ls.InvitationSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        invitation = self.invitation(pk)
        api_write(
            token_of(request),
            "invitation withdrawn",
            lambda: invitation_withdraw(invitation=invitation, actor=self.actor()),
            lambda _: f"invitation:{pk}",
        )
        return self.answer(pk)
