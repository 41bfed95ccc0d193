"""Claiming certificates: every condition re-checked inside the transaction, one certificate in
force per registration and kind (the database enforces it: a later unit certificate, or the full
certificate, supersedes the unit certificate in force), a snapshot taken at issue."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from certification.models import (
    Certificate,
    DirectClaimsStatus,
    Kind,
    Release,
    RenderStatus,
)
from certification.readiness import readiness_of
from certification.tasks import queue_render
from portal.audit import audit_append, chain_order, lock_chain
from portal.http import is_stored
from portal.models import Centre, RoleKind, User
from portal.refusals import Refused
from portal.templatetags.sentences import joined
from portfolios.models import Registration
from portfolios.prior_learning import standing_of
from portfolios.readiness import readiness_changed
from portfolios.services import holds
from qualifications.models import Qualification

NOT_THE_CENTRE_ADMIN = "Only a centre admin of the learner's centre can claim certificates."
NOT_THE_CLAIMING_ADMIN = (
    "Only a centre admin of {centre}, which claimed this certificate, can revoke or replace it."
)
ALREADY_CLAIMED = "{name} already has a {kind} for this registration ({number})."
NOT_READY = "{name} cannot have a {kind} yet: {reasons}"
UNITS_CHANGED = (
    "{name}'s units changed after you confirmed (now {units}): nothing was claimed for them. "
    "Claim again to see the new list."
)

# Letters and digits nobody misreads (no 0/O, 1/I/L); 10 of them give 31^10, about 8e14 numbers,
# so a number cannot be guessed, only looked up.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class ClaimRefused(Refused):
    """A claim, revocation, replacement or retry that cannot be made as asked."""


def certificate_number() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"QP-{body[:5]}-{body[5:]}"


def learner_identifier(user: User) -> str:
    """The portal's unique learner identifier, the same on every certificate of the learner."""
    return f"QPL{user.pk:08d}"


def require_centre_admin(actor: User, registration: Registration) -> None:
    if not holds(actor, RoleKind.CENTRE_ADMIN, registration.centre):
        raise PermissionDenied(NOT_THE_CENTRE_ADMIN)


def lock_chains_of(certificate: Certificate) -> None:
    """The claiming centre's chain, where the change is recorded, and the chain of the centre
    the learner is at now (a replacement marks its claim readiness, which that centre's claims
    take under its chain), in `chain_order`, before any row."""
    now_at = Registration.objects.filter(pk=certificate.registration_id).values_list(
        "centre_id", flat=True
    )
    for centre_id in sorted({certificate.centre_id, *now_at}, key=chain_order):
        lock_chain(centre_id)


def require_claiming_admin(actor: User, certificate: Certificate) -> None:
    """The certificate is the record of the centre that claimed it (decision 40): only its
    admins revoke, replace or render it again, even after the learner moved to another centre."""
    if not holds(actor, RoleKind.CENTRE_ADMIN, certificate.centre):
        raise PermissionDenied(NOT_THE_CLAIMING_ADMIN.format(centre=certificate.centre))


def snapshot_of(registration: Registration, kind: str, units: Sequence[str]) -> dict[str, Any]:
    """What the certificate states, copied now so that later edits never change it."""
    qualification = registration.qualification
    ao = qualification.awarding_organisation
    rows = list(
        qualification.memberships.filter(unit__code__in=units)
        .select_related("unit")
        .order_by("unit__code")
    )
    prior = standing_of(registration)
    # A unit achieved through RPL says so on its row, as the rules engine's verdict does; no
    # awarding organisation of the seeds asks otherwise (decision 50).
    unit_rows = [
        {
            "reference": m.unit.reference or m.unit.code,
            "title": m.unit.title,
            "level": m.unit.level,
            "credits": m.unit.credits,
            "rpl": m.unit.code in prior.rpl,
        }
        for m in rows
    ]
    # The units a full certificate's learner is exempt from: they satisfied the rules and
    # earned no credit, and the record says which (DOMAIN.md, rules of combination item 7).
    exempt = (
        qualification.memberships.filter(unit__code__in=prior.exempt)
        .select_related("unit")
        .order_by("unit__code")
        if kind == Kind.FULL
        else []
    )
    exempt_rows = [
        {"reference": m.unit.reference or m.unit.code, "title": m.unit.title, "level": m.unit.level}
        for m in exempt
    ]
    return {
        "learner_name": registration.learner.full_name,
        # The Unique Learner Number, printed where the learner has one (certificates issued
        # before it was kept have no such key, and print none).
        "uln": registration.learner.uln,
        "awarding_organisation": ao.name if ao else "",
        "qualification_title": qualification.title,
        "qualification_number": qualification.number or qualification.code,
        "level": qualification.level,
        "grade": "Pass" if kind == Kind.FULL else "",
        "credits": sum(u["credits"] or 0 for u in unit_rows),
        "units": unit_rows,
        "exempt_units": exempt_rows,
        # CVQ certificates and statements of competence have their own wording.
        "cvq": bool(ao and ao.code == "tvet-council"),
        "centre": registration.centre.name,
    }


def certificate_claim(
    *,
    registration: Registration,
    kind: str,
    actor: User,
    units: Sequence[str] | None = None,
    units_differ: str = UNITS_CHANGED,
) -> Certificate:
    """Issue a certificate (full or unit) if the registration is ready for it, re-checking every
    condition under a lock on the registration. Raises ClaimRefused with the reason. `units`:
    the unit codes the person confirmed (decision 36); if what would be issued differs now,
    nothing is, and the refusal says so (`units_differ`, with {name} and {units}: the API's
    caller confirmed nothing, and is told in its own words)."""
    require_centre_admin(actor, registration)
    name = registration.learner.full_name
    label = Kind(kind).label.lower()
    with transaction.atomic():
        # The centre's chain first, then the learner's record (the house order: decisions and
        # uploads take them in this order too, so neither waits on the other's).
        lock_chain(registration.centre_id)
        locked = Registration.objects.lock(registration, refused=ClaimRefused)
        # Judged by the rules it is pinned to now: a transfer may have moved it (decision 27).
        registration.pinned_rules_id = locked.pinned_rules_id
        readiness_changed(registration)  # the claims page lists what is not claimed yet
        if kind == Kind.FULL:
            existing = Certificate.objects.filter(
                registration=registration, kind=kind, replaces__isnull=True
            ).first()
            if existing is not None:
                raise ClaimRefused(
                    ALREADY_CLAIMED.format(name=name, kind=label, number=existing.number)
                )
        ready = readiness_of(registration)  # a unit certificate: only with units not yet on one
        reasons = ready.full_reasons if kind == Kind.FULL else ready.unit_reasons
        if reasons:
            raise ClaimRefused(NOT_READY.format(name=name, kind=label, reasons=joined(reasons)))
        if units is not None and sorted(units) != sorted(ready.claimable_units):
            raise ClaimRefused(
                units_differ.format(name=name, units=", ".join(sorted(ready.claimable_units)))
            )
        snapshot = snapshot_of(registration, kind, ready.claimable_units)
        if kind == Kind.FULL:
            snapshot["credits"] = ready.verdict.counted_credits  # beyond a group's cap: not counted
        superseded = unit_certificate_in_force(registration)
        # Decision 29: without Direct Claims Status the claim is made (it passed every check)
        # but withheld until the awarding organisation's EQA releases it.
        direct = DirectClaimsStatus.objects.held_by(
            registration.centre_id, registration.qualification_id
        )
        release = Release.DIRECT if direct else Release.AWAITING
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    number=certificate_number(),
                    learner_identifier=learner_identifier(registration.learner),
                    registration=registration,
                    kind=kind,
                    centre_id=registration.centre_id,
                    snapshot=snapshot,
                    issued_at=timezone.now(),
                    issued_by=actor,
                    supersedes=superseded,
                    release=release,
                )
        except IntegrityError as error:
            raise ClaimRefused(
                ALREADY_CLAIMED.format(name=name, kind=label, number="claimed just now")
            ) from error
        if direct:
            transaction.on_commit(lambda: queue_render(certificate.pk))
        audit_append(
            actor=actor,
            action="certificate.claimed",
            centre_id=registration.centre_id,
            subject=f"certificate:{certificate.pk}",
            after={
                "number": certificate.number,
                "kind": kind,
                "registration": registration.pk,
                "supersedes": superseded.number if superseded else None,
                "release": release,
            },
        )
    return certificate


def unit_certificate_in_force(registration: Registration) -> Certificate | None:
    """The learner's latest unit certificate (its last replacement, if replaced), which a new
    unit certificate or the full certificate supersedes (decision 30): revoked or not, it is the
    end of the chain."""
    return Certificate.objects.filter(
        registration=registration,
        kind=Kind.UNIT,
        replaced_by__isnull=True,
        superseded_by__isnull=True,
    ).first()


@dataclass(frozen=True)
class ClaimResult:
    registration: Registration
    certificate: Certificate | None
    refusal: str = ""


def certificates_claim(
    *,
    registrations: Sequence[Registration],
    kind: str,
    actor: User,
    units: dict[int, list[str]] | None = None,
) -> list[ClaimResult]:
    """Claim for many learners at once, each in its own `transaction.atomic` (a savepoint of
    the caller's transaction when there is one, as the confirmation's is): one learner who is
    no longer eligible is refused with the reason, and only their savepoint rolled back, and
    the others go through. `units`: registration -> the unit codes confirmed for it
    (`certificate_claim`)."""
    results = []
    for registration in registrations:
        try:
            certificate = certificate_claim(
                registration=registration,
                kind=kind,
                actor=actor,
                units=None if units is None else units.get(registration.pk, []),
            )
        except (ClaimRefused, PermissionDenied) as refused:
            results.append(ClaimResult(registration, None, str(refused)))
        else:
            results.append(ClaimResult(registration, certificate))
    return results


REASON_NEEDED = "Give the reason: it is kept with the certificate."
ALREADY_REVOKED = "This certificate is already revoked."
# A withheld claim is not revoked: it was never issued, and a revoked one would stand in the
# way of the learner's claim for good (no second claim of the kind, and the EQA cannot release
# it). The AO's external quality assurer holds it instead, saying why (decision 29).
NOT_ISSUED_NOT_REVOKED = (
    "This claim has not been issued: it waits for the awarding organisation's external quality "
    "assurer, so there is nothing to revoke. Tell them what is wrong: they hold it, saying why, "
    "and nothing is printed or verifiable."
)
ALREADY_REPLACED = "This certificate was already replaced by {number}."
ALREADY_SUPERSEDED = (
    "This certificate was superseded by {number}, which lists more units: replace that one."
)
NOT_ISSUED_YET = (
    "This certificate is not issued yet: the awarding organisation's external quality assurer "
    "has not released it, so there is nothing to replace."
)


def why_not_replaced(certificate: Certificate) -> str:
    """Why this certificate cannot be replaced now, in words; empty when it can. The service
    asks under its lock; the confirmation page asks first, so it never offers what would fail."""
    if certificate.is_revoked:
        return ALREADY_REVOKED
    later = Certificate.objects.filter(replaces=certificate).first()
    if later is not None:
        return ALREADY_REPLACED.format(number=later.number)
    if certificate.is_withheld:
        return NOT_ISSUED_YET
    successor = Certificate.objects.filter(supersedes=certificate).first()
    if successor is not None:
        return ALREADY_SUPERSEDED.format(number=successor.number)
    return ""


def certificate_revoke(*, certificate: Certificate, reason: str, actor: User) -> Certificate:
    """Revoke with a reason: the certificate stays, verification reports it revoked, and its
    PDF is rendered again with a REVOKED mark. Only the claiming centre's admins revoke it."""
    require_claiming_admin(actor, certificate)
    if not reason.strip():
        raise ClaimRefused(REASON_NEEDED)
    with transaction.atomic():
        lock_chains_of(certificate)
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.is_revoked:
            raise ClaimRefused(ALREADY_REVOKED)
        if locked.is_withheld:
            raise ClaimRefused(NOT_ISSUED_NOT_REVOKED)
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.revocation_reason = reason.strip()
        # Its PDF is made again, marked REVOKED (decision 36); until then none is served. The
        # render holds this row's lock, so one already running finishes first and this one,
        # queued after the commit, sees the revocation. (A withheld claim was refused above.)
        locked.status = RenderStatus.PENDING
        transaction.on_commit(lambda: queue_render(locked.pk))
        locked.save(update_fields=["revoked_at", "revoked_by", "revocation_reason", "status"])
        audit_append(
            actor=actor,
            action="certificate.revoked",
            centre_id=certificate.centre_id,
            subject=f"certificate:{locked.pk}",
            after={"number": locked.number, "reason": locked.revocation_reason},
        )
    return locked


def certificate_replace(*, certificate: Certificate, reason: str, actor: User) -> Certificate:
    """A replacement: a new number, the same snapshot, marked as a replacement of the original,
    issued by a centre admin of the centre that claimed the original."""
    require_claiming_admin(actor, certificate)
    if not reason.strip():
        raise ClaimRefused(REASON_NEEDED)
    with transaction.atomic():
        lock_chains_of(certificate)
        original = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if why_not := why_not_replaced(original):
            raise ClaimRefused(why_not)
        # The claims page's reasons name the certificate in force, which this changes.
        readiness_changed(original.registration)
        replacement = Certificate.objects.create(
            number=certificate_number(),
            learner_identifier=original.learner_identifier,
            registration=original.registration,
            kind=original.kind,
            centre_id=original.centre_id,
            snapshot=original.snapshot,
            issued_at=timezone.now(),
            issued_by=actor,
            replaces=original,
            replacement_reason=reason.strip(),
            release=original.release,  # let out already: directly or by the EQA
            release_decided_at=original.release_decided_at,
            release_decided_by=original.release_decided_by,
        )
        transaction.on_commit(lambda: queue_render(replacement.pk))
        audit_append(
            actor=actor,
            action="certificate.replaced",
            centre_id=original.centre_id,
            subject=f"certificate:{original.pk}",
            after={"replacement": replacement.number, "reason": replacement.replacement_reason},
        )
    return replacement


def certificate_rerender(*, certificate: Certificate, actor: User) -> bool:
    """Make the PDF again (the claiming centre's admins): one that failed, or one made whose
    file is missing from storage. Any other is left as it is, nothing is written and no render
    is sent (a stale tab, a second click). Says whether it is being made again."""
    require_claiming_admin(actor, certificate)
    with transaction.atomic():
        lock_chains_of(certificate)
        before = to_make_again(certificate)
        retried = before is not None and (
            Certificate.objects.filter(pk=certificate.pk, status=before["status"]).update(
                status=RenderStatus.PENDING, render_error=""
            )
        )
        if retried:
            audit_append(
                actor=actor,
                action="certificate.render_retried",
                centre_id=certificate.centre_id,
                subject=f"certificate:{certificate.pk}",
                before=before,
                after={"status": RenderStatus.PENDING},
            )
            transaction.on_commit(lambda: queue_render(certificate.pk))
    return bool(retried)


def to_make_again(certificate: Certificate) -> dict[str, str] | None:
    """Why the certificate's PDF is to be made again, as the audit log says it (None if it is
    not): it failed, or it was made and its file is gone from storage. Read under the caller's
    chains, which a revocation and another retry take too."""
    now = Certificate.objects.only("status", "file").get(pk=certificate.pk)
    if now.status == RenderStatus.FAILED:
        return {"status": RenderStatus.FAILED}
    if now.status == RenderStatus.READY and not is_stored(
        now.file, f"Certificate {certificate.number}'s PDF"
    ):
        return {"status": RenderStatus.READY, "file": "missing"}
    return None


# Direct Claims Status (decision 29): the awarding organisation's to give, so the portal's
# staff record it acting for the AO (in the administration site), never a centre's own admin.
NOT_PORTAL_STAFF = (
    "Only the portal's staff, acting for the awarding organisation, record Direct Claims Status."
)
ALREADY_DIRECT = "{centre} already holds Direct Claims Status for {qualification}."
ALREADY_WITHDRAWN = "This Direct Claims Status was withdrawn already."
WITHDRAWAL_REASON_NEEDED = "Give the reason the awarding organisation withdrew it."


def require_portal_staff(actor: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise PermissionDenied(NOT_PORTAL_STAFF)


def direct_claims_grant(
    *, centre: Centre, qualification: Qualification, note: str = "", actor: User
) -> DirectClaimsStatus:
    """Record that the AO granted the centre Direct Claims Status for the qualification: its
    claims from now on are issued at once. Claims already withheld stay for the EQA."""
    require_portal_staff(actor)
    with transaction.atomic():
        lock_chain(centre.pk)
        if DirectClaimsStatus.objects.held_by(centre.pk, qualification.pk):
            raise ClaimRefused(ALREADY_DIRECT.format(centre=centre, qualification=qualification))
        status = DirectClaimsStatus.objects.create(
            centre=centre,
            qualification=qualification,
            granted_at=timezone.now(),
            granted_by=actor,
            note=note.strip(),
        )
        audit_append(
            actor=actor,
            action="direct_claims.granted",
            centre_id=centre.pk,
            subject=f"direct-claims:{status.pk}",
            after={"qualification": qualification.code, "note": status.note},
        )
    return status


def direct_claims_withdraw(
    *, status: DirectClaimsStatus, reason: str, actor: User
) -> DirectClaimsStatus:
    """Record that the AO withdrew it: the centre's next claims wait for the EQA again."""
    require_portal_staff(actor)
    if not reason.strip():
        raise ClaimRefused(WITHDRAWAL_REASON_NEEDED)
    with transaction.atomic():
        lock_chain(status.centre_id)
        locked = DirectClaimsStatus.objects.select_for_update().get(pk=status.pk)
        if not locked.in_force:
            raise ClaimRefused(ALREADY_WITHDRAWN)
        locked.withdrawn_at, locked.withdrawn_by = timezone.now(), actor
        locked.withdrawal_reason = reason.strip()
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        audit_append(
            actor=actor,
            action="direct_claims.withdrawn",
            centre_id=locked.centre_id,
            subject=f"direct-claims:{locked.pk}",
            after={"reason": locked.withdrawal_reason},
        )
    return locked
