import os
import socket

from celery import shared_task
from django.db import connection
from django.urls import reverse

from portal.forms import PortalPasswordResetForm
from portal.models import Centre
from portal.notifications import digests_send
from portal.services import invitations_resend_to


@shared_task(time_limit=30, soft_time_limit=20)
def report_worker_health() -> dict[str, object]:
    """Say what the worker sees, so operators and tests can confirm it reaches the database.

    It answers with the database engine in use, the number of centres there and which process
    answered; the process lets a caller prove the task ran in a worker rather than in-process.
    """
    return {
        "database": connection.vendor,
        "centres": Centre.objects.count(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def password_reset_send(email: str, domain: str, use_https: bool) -> None:
    """What "Forgotten your password?" does for an address, out of the request (which only
    queues this, whoever the address belongs to, so its time says nothing): a reset link for
    its account, or its open invitations sent again with new links. `domain` and `use_https`
    are the request's, for the links."""
    form = PortalPasswordResetForm({"email": email})
    if not form.is_valid():
        return
    form.save(domain_override=domain, use_https=use_https)
    scheme = "https" if use_https else "http"
    invitations_resend_to(
        email=form.cleaned_data["email"],
        link_for=lambda token: f"{scheme}://{domain}{reverse('invitation-accept', args=[token])}",
    )


@shared_task(time_limit=300, soft_time_limit=240)
def send_notification_digests() -> int:
    """The daily digests of notifications (beat sends this once a day, at DIGEST_HOUR): one
    e-mail for each person who chose one, with what is new for them. Safe to run twice: what a
    digest held is marked e-mailed. Returns how many digests were sent."""
    return digests_send()
