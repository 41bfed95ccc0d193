"""What the assessment services tell people (portal.notifications): each function is called
by one service inside its transaction, after its audit entry, and makes that event's notices."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from assessment.models import Decision, Outcome, UnitSignOff
from portal.models import NotificationKind, RoleKind, User
from portal.notifications import Notice, notifications_done, notify
from portfolios.models import Evidence, Mapping, Registration


def quoted(titles: Sequence[str]) -> str:
    first = f"“{titles[0]}”"
    return first if len(titles) == 1 else f"{first} and {len(titles) - 1} more"


def items(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"


def evidence_judged(
    registration: Registration,
    evidence: Sequence[Evidence],
    made: Sequence[Decision],
    actor: User,
) -> None:
    """The learner: their assessor judged items on their evidence (one notice per action)."""
    if not made:
        return
    met = sum(d.outcome == Outcome.MET for d in made)
    outcome = f"{items(met)} met" if met else ""
    if met < len(made):
        outcome += (", " if met else "") + f"{items(len(made) - met)} not yet met"
    about = quoted([e.title for e in evidence]) if evidence else "your work"
    link = (
        reverse("portfolios:evidence-detail", args=[evidence[0].pk])
        if evidence
        else reverse("portfolios:registration-detail", args=[registration.pk])
    )
    if any(d.provisional for d in made):
        # A trainee's decisions (or, where the register is enforced, an out-of-scope assessor's)
        # count only once a qualified assessor competent for the unit countersigns them.
        text = (
            f"{actor.full_name} judged {about}: {outcome}, awaiting countersignature by a "
            "qualified assessor (nothing counts until then)."
        )
    else:
        text = f"{actor.full_name} judged {about}: {outcome}."
    if made[0].feedback:
        text += f" Feedback: {made[0].feedback}"
    key = f"decisions:{made[0].pk}"
    notify([learners(registration, NotificationKind.EVIDENCE_JUDGED, key, text, link)])


def mapping_rejected(mapping: Mapping, actor: User) -> None:
    """The learner: the assessor does not accept that their evidence covers an item, and why."""
    evidence = mapping.evidence
    target = mapping.target
    text = (
        f"{actor.full_name} does not accept that “{evidence.title}” covers "
        f"“{target}”: {mapping.feedback}"
    )
    when = f"{mapping.reviewed_at:%Y%m%d%H%M%S%f}" if mapping.reviewed_at else ""
    link = reverse("portfolios:evidence-detail", args=[evidence.pk])
    key = f"mapping:{mapping.pk}:rejected:{when}"
    notify([learners(evidence.registration, NotificationKind.MAPPING_REJECTED, key, text, link)])


def record_made(evidence: Evidence, actor: User) -> None:
    """The learner: their assessor wrote a record about them (an observation, a professional
    discussion, questioning), which they may agree is a true record on its page."""
    text = (
        f"{actor.full_name} wrote a record about you: “{evidence.title}” "
        f"({evidence.get_method_display().lower()}). Read it, and agree it if it is a true record."
    )
    link = reverse("portfolios:evidence-detail", args=[evidence.pk]) + "#acknowledgement"
    key = f"record:{evidence.pk}"
    notify([learners(evidence.registration, NotificationKind.ASSESSOR_RECORD, key, text, link)])


def unit_signed_off(sign_off: UnitSignOff) -> None:
    """The learner: countersign the unit their assessor signed off. Not while the sign-off is
    provisional (decision 53): they are told once a qualified assessor has countersigned it."""
    if sign_off.provisional:
        return
    unit = str(sign_off.unit).strip()
    text = f"Your assessor signed off {unit}. Countersign it to achieve the unit."
    key, link = f"sign_off:{sign_off.pk}", sign_off_page(sign_off)
    notify([learners(sign_off.registration, NotificationKind.UNIT_SIGNED_OFF, key, text, link)])


def unit_countersigned(sign_off: UnitSignOff) -> None:
    """The assessor who signed the unit off: the learner countersigned, the unit is achieved.
    The learner's own notice asking them to countersign it is done with: marked read."""
    registration = sign_off.registration
    notifications_done(person_id=registration.learner_id, keys=[f"sign_off:{sign_off.pk}"])
    text = (
        f"{registration.learner.full_name} countersigned {str(sign_off.unit).strip()}: "
        "the unit is achieved."
    )
    notice = Notice(
        recipient_id=sign_off.signed_by_id,
        kind=NotificationKind.UNIT_COUNTERSIGNED,
        key=f"sign_off:{sign_off.pk}:countersigned",
        text=text,
        link=sign_off_page(sign_off),
        centre_id=registration.centre_id,
        role_kind=RoleKind.ASSESSOR,
    )
    notify([notice])


def decision_returned(decision: Decision, actor: User) -> None:
    """The trainee: a qualified assessor returned their provisional decision, and why; the
    link opens the review page of the evidence it was made with, where they see it and decide
    again (the item's history page if it was made with none)."""
    registration = decision.registration
    text = (
        f"{actor.full_name} returned your decision on {decision.target} for "
        f"{registration.learner.full_name}: {decision.return_reason}"
    )
    notice = Notice(
        recipient_id=decision.decided_by_id,
        kind=NotificationKind.DECISION_RETURNED,
        key=f"decision:{decision.pk}:returned",
        text=text,
        link=decide_again_page(decision),
        centre_id=registration.centre_id,
        role_kind=RoleKind.ASSESSOR,
    )
    notify([notice])


def decide_again_page(decision: Decision) -> str:
    """Where a returned decision is decided again: the review page of its first evidence."""
    first = decision.evidence.order_by("pk").values_list("pk", flat=True).first()
    if first is None:
        return item_page(decision)
    return reverse("assessment:evidence-review", args=[first])


def item_page(decision: Decision) -> str:
    """The page of the decision's item for its registration: its decisions and their history."""
    kind = next(k for k in Decision.KINDS if getattr(decision, f"{k}_id"))
    item = getattr(decision, f"{kind}_id")
    return reverse("assessment:item-history", args=[decision.registration_id, kind, item])


def sign_off_page(sign_off: UnitSignOff) -> str:
    return reverse("assessment:unit-sign-off", args=[sign_off.registration_id, sign_off.unit_id])


def learners(
    registration: Registration, kind: NotificationKind, key: str, text: str, link: str
) -> Notice:
    """A notice for the registration's learner, who acts as a learner at its centre."""
    return Notice(
        recipient_id=registration.learner_id,
        kind=kind,
        key=key,
        text=text,
        link=link,
        centre_id=registration.centre_id,
        role_kind=RoleKind.LEARNER,
    )
