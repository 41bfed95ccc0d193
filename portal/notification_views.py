"""A person's notifications: the inbox (newest first, paged), opening one where its next step
is, marking all read, and how they want to hear of them by e-mail. Nobody sees anyone else's:
every notification is looked up among the person's own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal.forms import NotificationEmailForm
from portal.http import PortalRequest
from portal.listing import page_of
from portal.models import Notification, NotificationEmail
from portal.notifications import (
    inbox,
    notification_email_set,
    notifications_mark_read,
    unread_count,
)
from portal.refusals import Refused, refused_on_form
from portal.roles import set_active_role


@login_required
def notification_list(request: PortalRequest) -> HttpResponse:
    notifications = inbox(request.user).order_by("-created_at", "-pk")
    context = {"page": page_of(request, notifications), "unread": unread_count(request.user)}
    return render(request, "portal/notification_list.html", context)


@login_required
def notification_open(request: PortalRequest, pk: int) -> HttpResponse:
    """Go to the notification's page, acting in the role it is for. Opened from the inbox (a
    POST) it is marked read; a GET (the e-mail's link) only goes there, since a GET changes
    nothing here (mail scanners follow links too)."""
    notification = get_object_or_404(inbox(request.user), pk=pk)
    if request.method == "POST":
        notifications_mark_read(person=request.user, pk=notification.pk)
    act_as(request, notification)
    if not url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
        return redirect("notification-list")
    return redirect(notification.link)


def act_as(request: PortalRequest, notification: Notification) -> None:
    """Switch to the role the notification's page is for, if the person still holds it."""
    for role in request.roles:
        if (role.centre_id, role.kind) == (notification.centre_id, notification.role_kind):
            if role != request.role:
                set_active_role(request, role)
            return


@require_POST
@login_required
def notification_read_all(request: PortalRequest) -> HttpResponse:
    marked = notifications_mark_read(person=request.user)
    messages.success(request, "Everything is marked read." if marked else "Nothing was unread.")
    return redirect("notification-list")


@login_required
def notification_settings(request: PortalRequest) -> HttpResponse:
    initial = {"choice": request.user.notification_email}
    form = NotificationEmailForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            notification_email_set(person=request.user, choice=form.cleaned_data["choice"])
        except Refused as refused:
            refused_on_form(form, refused)
        else:
            said = NotificationEmail(form.cleaned_data["choice"]).label.lower()
            messages.success(request, f"Saved: {said}.")
            return redirect("notification-list")
    return render(request, "portal/notification_settings.html", {"form": form})
