"""What the transfer services tell people (portal.notifications), inside their transactions:
the other centre's admins, the learner, and on acceptance the learner's new assessor and IQA."""

from __future__ import annotations

from django.urls import reverse

from certification.models import Transfer
from portal.models import NotificationKind, Role, RoleKind
from portal.notifications import Notice, notify

# What each event says to the admins told, and to the learner.
TO_ADMINS = {
    "requested": "{sender} asks {receiver} to take {learner} ({title}): {reason}",
    "accepted": "{receiver} accepted {learner} ({title}): the learner has moved there.",
    "declined": "{receiver} declined to take {learner} ({title}): {decline}",
    "cancelled": "{sender} cancelled the transfer of {learner} ({title}) to {receiver}.",
}
TO_LEARNER = {
    "requested": "{sender} asked {receiver} to take you on for {title}.",
    "accepted": "You are now registered for {title} at {receiver}: your work came with you.",
    "declined": "{receiver} declined to take you on for {title}: you stay at {sender}.",
    "cancelled": "{sender} cancelled your transfer to {receiver}: you stay at {sender}.",
}
TO_STAFF = "{receiver} made you {learner}'s {what} on {title} (transferred from {sender})."


def transfer_told(transfer: Transfer, event: str) -> None:
    """Tell of `event` (requested, accepted, declined or cancelled) once per person: the admins
    of the centre that did not act, the learner, and the new assessor and IQA."""
    registration = transfer.registration
    words = {
        "sender": transfer.from_centre.name,
        "receiver": transfer.to_centre.name,
        "learner": registration.learner.full_name,
        "title": registration.qualification.title,
        "reason": transfer.reason,
        "decline": transfer.decline_reason,
    }
    # The centre that did not act: the receiver of a request or cancellation, else the sender.
    asked = event in ("requested", "cancelled")
    told_centre = transfer.to_centre if asked else transfer.from_centre
    detail = reverse("certification:transfer-detail", args=[transfer.pk])
    key = f"transfer:{transfer.pk}:{event}"
    admins = Role.objects.filter(centre=told_centre, kind=RoleKind.CENTRE_ADMIN)
    notices = [
        notice(user_id, key, TO_ADMINS[event].format(**words), detail, told_centre.pk, "admin")
        for user_id in admins.values_list("user_id", flat=True)
    ]
    learner_at = transfer.to_centre if event == "accepted" else transfer.from_centre
    page = reverse("portfolios:registration-detail", args=[registration.pk])
    notices.append(
        notice(
            registration.learner_id,
            key,
            TO_LEARNER[event].format(**words),
            page,
            learner_at.pk,
            "learner",
        )
    )
    if event == "accepted":
        for person, what in ((registration.assessor_id, "assessor"), (registration.iqa_id, "IQA")):
            if person is not None:
                text = TO_STAFF.format(what=what, **words)
                kind = "assessor" if what == "assessor" else "iqa"
                notices.append(notice(person, f"{key}:{kind}", text, page, learner_at.pk, kind))
    notify(notices)


ROLE_KINDS = {
    "admin": RoleKind.CENTRE_ADMIN,
    "learner": RoleKind.LEARNER,
    "assessor": RoleKind.ASSESSOR,
    "iqa": RoleKind.IQA,
}


def notice(recipient: int, key: str, text: str, link: str, centre_id: int, who: str) -> Notice:
    return Notice(
        recipient_id=recipient,
        kind=NotificationKind.TRANSFER,
        key=key,
        text=text,
        link=link,
        centre_id=centre_id,
        role_kind=ROLE_KINDS[who],
    )
