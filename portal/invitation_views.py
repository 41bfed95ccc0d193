"""Invitations: a centre admin invites people and sends invitations again; the invitee accepts
through the e-mailed link, as a newcomer choosing a password or logged in to their account."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.access import admin_centre, invitation_for
from portal.forms import InvitationForm, NewcomerPasswordForm
from portal.http import PortalRequest, token_links
from portal.listing import page_of
from portal.models import Invitation, Role, User
from portal.refusals import attempt, refused_on_form
from portal.roles import set_active_role
from portal.services import (
    WRONG_ACCOUNT,
    InvitationLinkProblem,
    InvitationRefused,
    LinkFor,
    invitation_accept,
    invitation_accept_as_newcomer,
    invitation_create,
    invitation_for_link,
    invitation_resend,
    invitation_withdraw,
    with_article,
)

# Accepted invitations stay on the list this long, with what became of their registrations.
RECENTLY = datetime.timedelta(days=30)


def link_for(request: HttpRequest) -> LinkFor:
    return token_links(request, "invitation-accept")


@login_required
def invitation_list(request: PortalRequest) -> HttpResponse:
    centre = admin_centre(request)
    invitations = Invitation.objects.filter(centre=centre).select_related("invited_by")
    accepted = invitations.filter(accepted_at__gte=timezone.now() - RECENTLY)
    context = {
        "centre": centre,
        # Paged, each list by its own parameter: a CSV file can invite hundreds at once.
        "open": page_of(request, invitations.open().order_by("-sent_at", "-pk"), "page"),
        "accepted": page_of(
            request,
            accepted.select_related("accepted_by").order_by("-accepted_at", "-pk"),
            "accepted",
        ),
    }
    return render(request, "portal/invitation_list.html", context)


@login_required
def invitation_create_view(request: PortalRequest) -> HttpResponse:
    centre = admin_centre(request)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(
                centre=centre,
                invitee=form.invitee(),
                actor=request.user,
                link_for=link_for(request),
            )
        except InvitationRefused as refused:
            refused_on_form(form, refused)
        else:
            messages.success(request, f"An invitation is on its way to {invitation.email}.")
            return redirect("invitation-list")
    return render(request, "portal/invitation_form.html", {"form": form, "centre": centre})


@require_POST
@login_required
def invitation_resend_view(request: PortalRequest, pk: int) -> HttpResponse:
    invitation = invitation_for(request, pk)
    return attempt(
        request,
        lambda: invitation_resend(
            invitation=invitation,
            actor=request.user,
            link_for=link_for(request),
        ),
        success=f"A new link is on its way to {invitation.email}; the old one no longer works.",
        to="invitation-list",
    )


@require_POST
@login_required
def invitation_withdraw_view(request: PortalRequest, pk: int) -> HttpResponse:
    invitation = invitation_for(request, pk)
    return attempt(
        request,
        lambda: invitation_withdraw(invitation=invitation, actor=request.user),
        success=f"The invitation to {invitation.email} is withdrawn; its link no longer works.",
        to="invitation-list",
    )


@never_cache
def invitation_accept_view(request: PortalRequest, token: str) -> HttpResponse:
    """The invitee's page: the link itself is the permission, once."""
    try:
        invitation = invitation_for_link(token)
    except InvitationLinkProblem as problem:
        return link_problem(request, problem)
    if User.objects.filter(email=invitation.email).exists():
        # Read the link again: the account may have been made a moment ago by this very link,
        # accepted in another tab between the two reads, and then the link is used (410), not
        # one to log in for.
        try:
            invitation = invitation_for_link(token)
        except InvitationLinkProblem as problem:
            return link_problem(request, problem)
        return accept_with_account(request, token, invitation)
    return accept_as_newcomer(request, token, invitation)


def accept_with_account(request: PortalRequest, token: str, invitation: Invitation) -> HttpResponse:
    context = {"invitation": invitation, "role": with_article(invitation.role_label)}
    if not request.user.is_authenticated:
        return render(request, "portal/invitation_log_in.html", context)
    if request.method != "POST":
        return render(request, "portal/invitation_accept.html", context)
    try:
        invitation_accept(token=token, actor=request.user)
    except InvitationLinkProblem as problem:
        status = 403 if problem.messages == [WRONG_ACCOUNT] else 410
        return link_problem(request, problem, status)
    return welcome(request, invitation)


def accept_as_newcomer(request: PortalRequest, token: str, invitation: Invitation) -> HttpResponse:
    if request.user.is_authenticated:
        return link_problem(request, InvitationLinkProblem(WRONG_ACCOUNT), status=403)
    form = NewcomerPasswordForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            person = invitation_accept_as_newcomer(
                token=token, password=form.cleaned_data["password1"]
            )
        except InvitationLinkProblem as problem:
            return link_problem(request, problem)
        login(request, person, backend="django.contrib.auth.backends.ModelBackend")
        return welcome(request, invitation)
    context = {"invitation": invitation, "role": with_article(invitation.role_label), "form": form}
    return render(request, "portal/invitation_newcomer.html", context)


def welcome(request: PortalRequest, invitation: Invitation) -> HttpResponse:
    """Home, acting in the role just given."""
    role = Role.objects.select_related("centre").get(
        user=request.user, centre=invitation.centre, kind=invitation.kind
    )
    set_active_role(request, role)
    label = with_article(role.label.lower())
    messages.success(request, f"Welcome to {invitation.centre}: you are {label} here.")
    return redirect("home")


def link_problem(
    request: HttpRequest, problem: InvitationLinkProblem, status: int = 410
) -> HttpResponse:
    return render(
        request, "portal/invitation_link_problem.html", {"problem": str(problem)}, status=status
    )
