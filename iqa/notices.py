"""What the IQA services tell people (portal.notifications): each function is called by one
service inside its transaction, after its audit entry."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format

from iqa.models import Action, Sample
from portal.models import NotificationKind, RoleKind
from portal.notifications import Notice, notify


def actions_raised(sample: Sample) -> None:
    """The assessor whose decisions were sampled: the IQA raised actions for them to answer."""
    actions = list(sample.actions.all())
    if not actions:
        return
    registration = sample.registration
    first_due = date_format(min(a.due_on for a in actions), "j F Y")
    what = "an action" if len(actions) == 1 else f"{len(actions)} actions"
    text = (
        f"{sample.sampled_by.full_name} (IQA) raised {what} on your decisions for "
        f"{registration.learner.full_name}, {str(sample.unit).strip()}: answer by {first_due}."
    )
    notice = Notice(
        recipient_id=sample.assessor_id,
        kind=NotificationKind.ACTION_RAISED,
        key=f"sample:{sample.pk}:actions",
        text=text,
        link=reverse("iqa:sample-detail", args=[sample.pk]),
        centre_id=registration.centre_id,
        role_kind=RoleKind.ASSESSOR,
    )
    notify([notice])


def action_answered(action: Action) -> None:
    """The IQA who raised the action: the assessor answered it, and it waits for them."""
    sample = action.sample
    text = (
        f"{sample.assessor.full_name} answered your action “{action.text}” "
        f"({sample.registration.learner.full_name}, {str(sample.unit).strip()}): "
        f"{action.response}"
    )
    when = f"{action.responded_at:%Y%m%d%H%M%S%f}" if action.responded_at else ""
    notice = Notice(
        recipient_id=sample.sampled_by_id,
        kind=NotificationKind.ACTION_ANSWERED,
        key=f"action:{action.pk}:answered:{when}",
        text=text,
        link=reverse("iqa:sample-detail", args=[sample.pk]),
        centre_id=sample.registration.centre_id,
        role_kind=RoleKind.IQA,
    )
    notify([notice])


def action_not_accepted(action: Action) -> None:
    """The assessor who answered the action: the IQA did not accept the answer, said why, and
    the action is open again for them to answer (by its date, which may be new)."""
    sample = action.sample
    due = date_format(action.due_on, "j F Y")
    text = (
        f"{sample.sampled_by.full_name} (IQA) did not accept your answer to “{action.text}” "
        f"({sample.registration.learner.full_name}, {str(sample.unit).strip()}): "
        f"{action.iqa_comment} Answer again by {due}."
    )
    when = f"{action.not_accepted_at:%Y%m%d%H%M%S%f}" if action.not_accepted_at else ""
    notice = Notice(
        recipient_id=sample.assessor_id,
        kind=NotificationKind.ACTION_NOT_ACCEPTED,
        key=f"action:{action.pk}:not_accepted:{when}",
        text=text,
        link=reverse("iqa:sample-detail", args=[sample.pk]),
        centre_id=sample.registration.centre_id,
        role_kind=RoleKind.ASSESSOR,
    )
    notify([notice])
