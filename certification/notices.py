"""What certification tells people (portal.notifications): a certificate's PDF is ready."""

from __future__ import annotations

from django.urls import reverse

from certification.models import Certificate
from portal.models import NotificationKind, RoleKind
from portal.notifications import Notice, notify


def certificate_ready(certificate: Certificate) -> None:
    """The learner, and the centre admin who claimed it: its PDF is made and can be downloaded.
    Called once the render is stored, in the same transaction."""
    registration = certificate.registration
    link = reverse("certification:certificate-detail", args=[certificate.pk])
    kind = certificate.get_kind_display().lower()
    title = certificate.snapshot.get("qualification_title", "")
    about = f"{kind}{' for ' + title if title else ''}"
    learner = certificate.snapshot.get("learner_name", "")
    said = {
        RoleKind.LEARNER: f"Your {about} is ready: number {certificate.number}.",
        RoleKind.CENTRE_ADMIN: f"The {about} of {learner} is ready: number {certificate.number}.",
    }
    notify(
        Notice(
            recipient_id=person,
            kind=NotificationKind.CERTIFICATE_READY,
            key=f"certificate:{certificate.pk}:ready",
            text=said[role],
            link=link,
            centre_id=registration.centre_id,
            role_kind=role,
        )
        for person, role in (
            (registration.learner_id, RoleKind.LEARNER),
            (certificate.issued_by_id, RoleKind.CENTRE_ADMIN),
        )
    )
