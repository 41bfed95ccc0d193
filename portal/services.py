"""Invitations: how a person joins a centre, and how every new account comes to be.

A centre admin invites an e-mail address to a role at their centre; the address gets a link
that works once and expires (INVITATION_DAYS). The link's holder accepts it: a newcomer by
choosing a password, which creates their account; someone with an account by logging in. Only
then is the role given. Inviting reads the same whether or not the address has an account
anywhere, so a centre learns nothing about other centres' people (decision 13).

Sending again replaces the link (the old one stops working). Every step is in the centre's
audit chain; e-mails go once the transaction has committed, so a refused or rolled-back
invitation sends nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit import audit_append, lock_chain
from portal.identity import clean_name
from portal.mail import emails_send
from portal.models import (
    TRAINEE_KINDS,
    Centre,
    Departure,
    Invitation,
    InvitationStatus,
    Role,
    RoleKind,
    User,
    normalise_email,
)
from portal.refusals import Refused
from portal.signals import invitation_accepted

NOT_CENTRE_ADMIN = "Only a centre admin of this centre may invite people to it."
ALREADY_HOLDS = "{name} is already {role} at {centre}."
NAME_NEEDED = "Give the person's full name, in letters."
ONLY_PRACTITIONERS_TRAIN = "Only assessors and IQAs can be trainees."
NOT_OPEN = "This invitation has already been {status}: there is nothing to send again."
LINK_UNKNOWN = (
    "This link is not an invitation, or a newer link has been sent since: use the link in the "
    "latest invitation e-mail."
)
LINK_USED = "This invitation has already been accepted. Log in with your e-mail address."
LINK_WITHDRAWN = "{centre} has withdrawn this invitation. Ask them if you think it is a mistake."
LINK_EXPIRED = (
    "This invitation expired on {date}. Ask {centre} to send you a new one, or ask for a new "
    "link yourself under “Forgotten your password?” on the log-in page, with this e-mail address."
)
ACCOUNT_EXISTS = (
    "You already have an account with this e-mail address: log in with it to accept the "
    "invitation (under “Forgotten your password?” if you need a new password)."
)
WRONG_ACCOUNT = (
    "This invitation was sent to another e-mail address than the one you are logged in with. "
    "Log out, open the link again and log in with the address it was sent to."
)

JUST_SENT = (
    "An invitation was sent to {email} less than a minute ago, and its link works: wait a "
    "minute before sending it again."
)

LinkFor = Callable[[str], str]
# How long after a link was sent the invitee may ask for it again through the reset form.
# Anyone may ask for any address, and asking replaces the link the centre sent: an hour bounds
# that nuisance, and a first e-mail delayed by the invitee's mail server is not overtaken by a
# second that kills its link (decision 13).
RESEND_PAUSE = datetime.timedelta(hours=1)
# How long after a link was sent the centre may send the same invitation again. Sending again
# replaces the link: without a pause a double click (or a CSV file confirmed twice) sent as many
# e-mails as clicks, every one but the last with a dead link.
SEND_AGAIN_AFTER = datetime.timedelta(minutes=1)


class InvitationRefused(Refused):
    """An invitation that cannot be made, sent again or withdrawn; nothing was changed."""


class InvitationLinkProblem(Refused):
    """A link that cannot be used; the message is what its holder reads."""


@dataclass(frozen=True)
class Invitee:
    """Whom a centre admin invites, and as what."""

    email: str
    full_name: str
    kind: RoleKind
    is_trainee: bool = False


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_centre_admin(actor: User, centre: Centre) -> None:
    if not Role.objects.filter(user=actor, centre=centre, kind=RoleKind.CENTRE_ADMIN).exists():
        raise PermissionDenied(NOT_CENTRE_ADMIN)


def with_article(label: str) -> str:
    return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"


@transaction.atomic
def invitation_create(
    *,
    centre: Centre,
    invitee: Invitee,
    actor: User,
    link_for: LinkFor,
    registrations: Iterable[dict[str, Any]] = (),
    outbox: Outbox | None = None,
) -> Invitation:
    """Invite an address to a role at the centre and e-mail it a link.

    If the address already has an open invitation to that role here, that invitation is
    brought up to date (name, trainee, registrations: one per qualification, the newer asking
    replacing the older) and sent again with a new link. Refused when the person already holds
    the role here, and when nothing would change but the link sent less than SEND_AGAIN_AFTER
    ago (the same form or file sent twice). The e-mail goes through `outbox` (by default one of
    its own) once the transaction commits."""
    lock_chain(centre.pk)
    require_centre_admin(actor, centre)
    email = normalise_email(invitee.email)
    if invitee.is_trainee and invitee.kind not in TRAINEE_KINDS:
        raise InvitationRefused(ONLY_PRACTITIONERS_TRAIN)
    member = User.objects.filter(email=email, roles__centre=centre).first()
    if (
        member is not None
        and Role.objects.filter(user=member, centre=centre, kind=invitee.kind).exists()
    ):
        label = with_article(RoleKind(invitee.kind).label.lower())
        raise InvitationRefused(
            ALREADY_HOLDS.format(name=member.full_name, role=label, centre=centre)
        )
    invitation = (
        Invitation.objects.open()
        .select_for_update()
        .filter(centre=centre, email=email, kind=invitee.kind)
        .first()
    )
    if invitation is None:
        invitation = Invitation(centre=centre, email=email, kind=invitee.kind, invited_by=actor)
    name = clean_name(invitee.full_name)
    if not name:
        raise InvitationRefused(NAME_NEEDED)
    wanted = (name, invitee.is_trainee)
    asked = merged(invitation.registrations, registrations)
    if (invitation.full_name, invitation.is_trainee, invitation.registrations) == (*wanted, asked):
        refuse_if_just_sent(invitation)  # the same again: a second click, the file again
    invitation.full_name, invitation.is_trainee = wanted
    invitation.registrations = asked
    action = "invitation.created" if invitation.pk is None else "invitation.resent"
    token = _new_link(invitation)
    invitation.save()
    _audit(invitation, action, actor)
    (outbox or Outbox()).add(invitation_email(invitation, link_for(token)))
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User, link_for: LinkFor) -> Invitation:
    """Send an open invitation again with a new link; the old link stops working."""
    lock_chain(invitation.centre_id)
    require_centre_admin(actor, invitation.centre)
    invitation = _open_locked(invitation)
    refuse_if_just_sent(invitation)
    token = _new_link(invitation)
    invitation.save()
    _audit(invitation, "invitation.resent", actor)
    Outbox().add(invitation_email(invitation, link_for(token)))
    return invitation


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, actor: User) -> Invitation:
    """Withdraw an open invitation: its link stops working and it cannot be sent again."""
    lock_chain(invitation.centre_id)
    require_centre_admin(actor, invitation.centre)
    invitation = _open_locked(invitation)
    invitation.withdrawn_at = timezone.now()
    invitation.save(update_fields=["withdrawn_at"])
    _audit(invitation, "invitation.withdrawn", actor)
    return invitation


def invitations_resend_to(*, email: str, link_for: LinkFor) -> int:
    """Send every open invitation to an address that has no account yet again, with new links
    (asked for through "Forgotten your password?", which is where an invitee whose link was
    lost or expired goes). Returns how many were sent. Each is audited, with no actor.

    Anyone can ask, for any address: an invitation whose link went out less than
    RESEND_PAUSE ago is left alone, so asking again and again neither floods the invitee's
    mailbox nor the centre's audit log."""
    email = normalise_email(email)
    if User.objects.filter(email=email).exists():
        return 0
    sent = 0
    recently = timezone.now() - RESEND_PAUSE
    for found in Invitation.objects.open().filter(email=email, sent_at__lt=recently):
        with transaction.atomic():
            lock_chain(found.centre_id)
            invitation = (
                Invitation.objects.open()
                .select_for_update()
                .filter(pk=found.pk, sent_at__lt=recently)
                .first()
            )
            if invitation is None:
                continue
            token = _new_link(invitation)
            invitation.save()
            _audit(invitation, "invitation.resent", None, asked_by="the invitee")
            Outbox().add(invitation_email(invitation, link_for(token)))
            sent += 1
    return sent


def invitation_for_link(token: str) -> Invitation:
    """The invitation a link stands for, if it can still be accepted."""
    invitation = (
        Invitation.objects.select_related("centre", "invited_by")
        .filter(token_hash=hashed(token))
        .first()
    )
    if invitation is None:
        raise InvitationLinkProblem(LINK_UNKNOWN)
    status = invitation.status
    if status == InvitationStatus.ACCEPTED:
        raise InvitationLinkProblem(LINK_USED)
    if status == InvitationStatus.WITHDRAWN:
        raise InvitationLinkProblem(LINK_WITHDRAWN.format(centre=invitation.centre))
    if status == InvitationStatus.EXPIRED:
        date = f"{timezone.localtime(invitation.expires_at):%d %B %Y}"
        raise InvitationLinkProblem(LINK_EXPIRED.format(date=date, centre=invitation.centre))
    return invitation


def invitation_accept_as_newcomer(*, token: str, password: str) -> User:
    """Accept through the link with no account yet: the account is created with the name the
    centre gave and this password (already checked against the password validators), and the
    role is given. Refused if the address has an account by now: they log in instead."""
    try:
        with transaction.atomic():
            invitation = _accepting(token)
            if User.objects.filter(email=invitation.email).exists():
                raise InvitationLinkProblem(ACCOUNT_EXISTS)
            person = User.objects.create_user(invitation.email, invitation.full_name, password)
            _accept(invitation, person, new_account=True)
    except IntegrityError as clash:  # another invitation's account was made at the same moment
        raise InvitationLinkProblem(ACCOUNT_EXISTS) from clash
    return person


@transaction.atomic
def invitation_accept(*, token: str, actor: User) -> Invitation:
    """Accept through the link while logged in to the account the invitation was sent to."""
    invitation = _accepting(token)
    if normalise_email(actor.email) != invitation.email:
        raise InvitationLinkProblem(WRONG_ACCOUNT)
    _accept(invitation, actor, new_account=False)
    return invitation


@transaction.atomic
def account_password_reset(*, account: User, password: str) -> None:
    """Set the password chosen through a reset link (the link proved the person holds the
    account's address). Audited in the portal's chain, like every other way into an account."""
    lock_chain(None)  # the portal's chain before the account's row: the house order
    had_password = account.has_usable_password()
    account.set_password(password)
    account.save(update_fields=["password"])
    audit_append(
        actor=account,
        action="account.password_reset",
        centre_id=None,
        subject=f"user:{account.pk}",
        after={"had_password": had_password},
    )


def _accepting(token: str) -> Invitation:
    """The link's invitation, locked for this transaction, and checked again under the lock
    (a second tab may have accepted it meanwhile)."""
    found = invitation_for_link(token)
    lock_chain(found.centre_id)
    Invitation.objects.select_for_update().get(pk=found.pk)
    return invitation_for_link(token)


def _accept(invitation: Invitation, person: User, *, new_account: bool) -> None:
    role, _ = Role.objects.get_or_create(
        user=person,
        centre=invitation.centre,
        kind=invitation.kind,
        defaults={"is_trainee": invitation.is_trainee},
    )
    # Invited back after leaving: the departure is over (the roles given now stand).
    Departure.objects.current().filter(centre=invitation.centre, user=person).update(
        reactivated_at=timezone.now()
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = person
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _audit(invitation, "invitation.accepted", person, role=role.pk, new_account=new_account)
    # Apps above this floor act on it (the portfolios app makes the registrations asked for),
    # inside this transaction: if they fail, nothing is accepted.
    invitation_accepted.send(sender=Invitation, invitation=invitation, person=person)


def merged(carried: list[dict[str, Any]], asked: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The registrations an invitation carries once `asked` are added: one per qualification,
    the newer asking replacing the older where it differs (other than in the file's row)."""
    result = list(carried)
    for new in asked:
        same = [i for i, old in enumerate(result) if old["qualification"] == new["qualification"]]
        if not same:
            result.append(new)
        elif without_row(result[same[0]]) != without_row(new):
            result[same[0]] = new
    return result


def without_row(asked: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in asked.items() if key != "row"}


def refuse_if_just_sent(invitation: Invitation) -> None:
    if invitation.sent_at is not None and invitation.sent_at > timezone.now() - SEND_AGAIN_AFTER:
        raise InvitationRefused(JUST_SENT.format(email=invitation.email))


def _open_locked(invitation: Invitation) -> Invitation:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    status = locked.status
    if status in (InvitationStatus.ACCEPTED, InvitationStatus.WITHDRAWN):
        raise InvitationRefused(NOT_OPEN.format(status=status.label.lower()))
    return locked


def _new_link(invitation: Invitation) -> str:
    """A new secret for the invitation (the old one stops working); returns it for the e-mail."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = hashed(token)
    invitation.sent_at = now
    invitation.expires_at = now + datetime.timedelta(days=settings.INVITATION_DAYS)
    return token


def _audit(invitation: Invitation, action: str, actor: User | None, **more: object) -> None:
    audit_append(
        actor=actor,
        action=action,
        centre_id=invitation.centre_id,
        subject=f"invitation:{invitation.pk}",
        after={
            "email": invitation.email,
            "full_name": invitation.full_name,
            "kind": invitation.kind,
            "is_trainee": invitation.is_trainee,
            "registrations": len(invitation.registrations),
            "expires_at": invitation.expires_at,
            **more,
        },
    )


class Outbox:
    """E-mails to send when the current transaction commits, over one connection (a CSV file's
    invitations are sent together). Nothing is sent if the transaction rolls back. They go to
    the mail server from a worker (portal.mail), so a mail server that fails cannot turn saved
    invitations into an error page; the centre admin can send them again from the list."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def add(self, message: EmailMessage) -> None:
        if not self.messages:
            transaction.on_commit(self.send, robust=True)
        self.messages.append(message)

    def send(self) -> None:
        emails_send(self.messages)


def invitation_email(invitation: Invitation, link: str) -> EmailMessage:
    days = settings.INVITATION_DAYS
    until = f"{timezone.localtime(invitation.expires_at):%d %B %Y}"
    body = (
        f"Dear {invitation.full_name},\n\n"
        f"{invitation.invited_by.full_name} has invited you to join {invitation.centre} as "
        f"{with_article(invitation.role_label)} on the Qualifications Portal.\n\n"
        f"To accept, open this link (it works once, until {until}, {days} days from now):\n\n"
        f"{link}\n\n"
        "If you already have an account on the portal, you will be asked to log in; otherwise "
        "you will choose a password. If you did not expect this invitation, ignore this e-mail.\n"
    )
    return EmailMessage(
        subject=f"Your invitation to {invitation.centre}", body=body, to=[invitation.email]
    )


# Leavers: a centre admin ends a person's access to the centre, and may give it back
# (docs/people.md, decision 34).

OWN_ACCESS = "You cannot end your own access: ask another centre admin of the centre."
NO_ROLE_HERE = "{name} holds no role at {centre}: there is no access to end."
NOT_ENDED = "{name}'s access to {centre} has not been ended: there is nothing to give back."
REASON_NEEDED = "Give the reason: it is kept with the person's history."


class PeopleRefused(Refused):
    """A leaver's access that cannot be ended or given back; nothing was changed."""


def _roles_of(roles: Iterable[Role]) -> list[dict[str, Any]]:
    return [{"kind": role.kind, "is_trainee": role.is_trainee} for role in roles]


@transaction.atomic
def person_deactivate(*, centre: Centre, person: User, reason: str, actor: User) -> Departure:
    """End the person's access to the centre: every role they hold here is removed (kept in a
    `Departure`, to be given back), so their next request here is refused and a person with no
    role left anywhere is logged out. Their records and their roles at other centres stay."""
    lock_chain(centre.pk)
    require_centre_admin(actor, centre)
    reason = " ".join(reason.split())
    if person.pk == actor.pk:
        raise PeopleRefused(OWN_ACCESS)
    if not reason:
        raise PeopleRefused(REASON_NEEDED)
    held = list(Role.objects.select_for_update().filter(user=person, centre=centre).order_by("pk"))
    if not held:
        raise PeopleRefused(NO_ROLE_HERE.format(name=person.full_name, centre=centre))
    # A person invited back since an earlier departure: that one is over.
    Departure.objects.current().filter(centre=centre, user=person).update(
        reactivated_at=timezone.now()
    )
    departure = Departure.objects.create(
        centre=centre, user=person, roles=_roles_of(held), reason=reason, ended_by=actor
    )
    Role.objects.filter(pk__in=[role.pk for role in held]).delete()
    audit_append(
        actor=actor,
        action="person.deactivated",
        centre_id=centre.pk,
        subject=f"user:{person.pk}",
        before={"roles": departure.roles},
        after={"roles": [], "reason": reason},
    )
    return departure


@transaction.atomic
def person_reactivate(*, centre: Centre, person: User, actor: User) -> list[Role]:
    """Give back the roles the person held at the centre when their access was ended."""
    lock_chain(centre.pk)
    require_centre_admin(actor, centre)
    departure = (
        Departure.objects.current().select_for_update().filter(centre=centre, user=person).first()
    )
    if departure is None:
        raise PeopleRefused(NOT_ENDED.format(name=person.full_name, centre=centre))
    roles = [
        Role.objects.get_or_create(
            user=person, centre=centre, kind=held["kind"],
            defaults={"is_trainee": held["is_trainee"]},
        )[0]
        for held in departure.roles
    ]  # fmt: skip
    departure.reactivated_at = timezone.now()
    departure.reactivated_by = actor
    departure.save(update_fields=["reactivated_at", "reactivated_by"])
    audit_append(
        actor=actor,
        action="person.reactivated",
        centre_id=centre.pk,
        subject=f"user:{person.pk}",
        before={"roles": []},
        after={"roles": _roles_of(roles)},
    )
    return roles


def access_ended(person: User) -> list[Departure]:
    """The centres that ended the person's access, when they hold no role anywhere now (a
    person with a role left somewhere goes on there). Empty for everyone else."""
    if Role.objects.filter(user=person).exists():
        return []
    return list(Departure.objects.current().filter(user=person).select_related("centre"))


def access_ended_message(departures: list[Departure]) -> str:
    centres = ", ".join(sorted({str(d.centre) for d in departures}))
    when = max(d.ended_at for d in departures)
    return ACCESS_ENDED.format(centres=centres, date=f"{timezone.localtime(when):%d %B %Y}")


ACCESS_ENDED = (
    "Your access to {centres} was ended on {date}. Your records are kept. If you think this is "
    "a mistake, ask the centre."
)
