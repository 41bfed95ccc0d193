"""Certificates: numbered, immutable snapshots of what a learner achieved, never deleted."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models import Q

from portal.models import Centre, User
from portfolios.models import Registration
from qualifications.models import Qualification


class Kind(models.TextChoices):
    FULL = "full", "Certificate"
    UNIT = "unit", "Unit certificate"


class RenderStatus(models.TextChoices):
    PENDING = "pending", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Release(models.TextChoices):
    """Whether the awarding organisation lets the certificate out (decision 29). A centre with
    Direct Claims Status for the qualification issues at once; any other centre's claims wait
    for the AO's external quality assurer (EQA), who releases them or holds them with a reason."""

    DIRECT = "direct", "Issued under Direct Claims Status"
    AWAITING = "awaiting", "Waiting for the external quality assurer"
    HELD = "held", "Held by the external quality assurer"
    RELEASED = "released", "Released by the external quality assurer"


# Not yet let out: no PDF is made, verification does not know the number, nobody downloads it.
WITHHELD = (Release.AWAITING, Release.HELD)


class CertificateState(models.TextChoices):
    """Where a certificate stands, as every page (and the public verification) says it:
    revoked first, then replaced by a copy under a new number, then superseded by a later
    certificate listing more units (once that one is let out), then held for external quality
    assurance, then what became of its PDF."""

    READY = "ready", "Ready"
    PENDING = "pending", "Being made"
    FAILED = "failed", "Failed to render"
    REPLACED = "replaced", "Replaced"
    SUPERSEDED = "superseded", "Superseded"
    REVOKED = "revoked", "Revoked"
    HELD = "held", "Held for external quality assurance"


# A later certificate supersedes this one only once the AO lets it out (decision 29): until
# the EQA releases it, this one still stands.
SUCCESSOR_LET_OUT = Q(superseded_by__isnull=False) & Q(
    superseded_by__release__in=[Release.DIRECT, Release.RELEASED]
)
STANDING = Q(revoked_at__isnull=True, replaced_by__isnull=True) & (
    Q(superseded_by__isnull=True) | Q(superseded_by__release__in=WITHHELD)
)
LET_OUT = STANDING & ~Q(release__in=WITHHELD)
# The one rule, as a filter; `Certificate.state` says the same of one row.
STATE_FILTERS = {
    CertificateState.READY: LET_OUT & Q(status=RenderStatus.READY),
    CertificateState.PENDING: LET_OUT & Q(status=RenderStatus.PENDING),
    CertificateState.FAILED: LET_OUT & Q(status=RenderStatus.FAILED),
    CertificateState.HELD: STANDING & Q(release__in=WITHHELD),
    CertificateState.REPLACED: Q(revoked_at__isnull=True, replaced_by__isnull=False),
    CertificateState.SUPERSEDED: Q(revoked_at__isnull=True, replaced_by__isnull=True)
    & SUCCESSOR_LET_OUT,
    CertificateState.REVOKED: Q(revoked_at__isnull=False),
}
STATE_COLOURS = {
    CertificateState.READY: "success",
    CertificateState.PENDING: "secondary",
    CertificateState.FAILED: "danger",
    CertificateState.REPLACED: "info",
    CertificateState.SUPERSEDED: "info",
    CertificateState.REVOKED: "danger",
    CertificateState.HELD: "warning",
}


# What the awarding organisation issues for what the centre claimed, by kind and CVQ or not.
AO_DOCUMENTS: dict[tuple[str, bool], str] = {
    (Kind.FULL, False): "certificate",
    (Kind.UNIT, False): "certificate of unit credit",
    (Kind.FULL, True): "Caribbean Vocational Qualification certificate",
    (Kind.UNIT, True): "Statement of Competence",
}


class CertificateQuerySet(models.QuerySet["Certificate"]):
    def of_centre(self, centre_id: int) -> CertificateQuerySet:
        return self.filter(registration__centre_id=centre_id)

    def in_state(self, state: CertificateState) -> CertificateQuerySet:
        return self.filter(STATE_FILTERS[state])

    def matching(self, search: str) -> CertificateQuerySet:
        """Certificates whose number or holder's name contains `search`."""
        return self.filter(
            Q(number__icontains=search) | Q(registration__learner__full_name__icontains=search)
        )


AWAITING_EQA = (
    "The centre does not hold Direct Claims Status for this qualification, so the awarding "
    "organisation's external quality assurer must release the claim before the certificate "
    "is issued."
)
HELD_BY_EQA = "The awarding organisation's external quality assurer has held this claim:"


class CertificateDeletion(Exception):
    pass


class Certificate(models.Model):
    """What a claim issues. The snapshot holds the name, qualification, units and credits as they
    stood at issue; later edits of the catalogue or the learner never change it."""

    number = models.CharField(max_length=20, unique=True)
    learner_identifier = models.CharField(max_length=20)
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="certificates"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The centre that claimed it (a replacement: the original's). The certificate is that
    # centre's record of achievement: its admins revoke and replace it, and keep its page, even
    # after the learner transferred elsewhere (decision 40).
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    snapshot = models.JSONField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    replacement_reason = models.TextField(blank=True)
    # A later certificate of the registration listing more units (a unit certificate, or the
    # full certificate) supersedes the one in force: a chain, so that each is superseded once.
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    file = models.FileField(upload_to="certificates/", blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    render_error = models.TextField(blank=True)
    # Decision 29: issued at once under Direct Claims Status, or withheld until the AO's EQA
    # releases it. The EQA's latest decision is kept here; every one is in the audit log.
    release = models.CharField(max_length=10, choices=Release.choices, default=Release.DIRECT)
    release_decided_at = models.DateTimeField(null=True, blank=True)
    release_decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hold_reason = models.TextField(blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        # A centre's certificates are found through their registrations; without these every
        # list and count of the claims page, the admin's to-do and the certificates list read
        # every certificate of the portal (decision 46). The latest first, walked until the
        # page is full; the few withheld for the EQA and the few whose PDF failed, by state.
        indexes = [
            models.Index(fields=["issued_at", "id"], name="certificate_by_issue"),
            models.Index(
                fields=["issued_at", "id"],
                condition=Q(release__in=WITHHELD),
                name="certificate_withheld",
            ),
            models.Index(
                fields=["id"], condition=Q(status=RenderStatus.FAILED), name="certificate_failed"
            ),
        ]
        constraints = [
            # One certificate in force per registration and kind, however many requests race:
            # the database refuses a second first certificate of a kind, and `supersedes` (one
            # to one) a second successor of the same one, so the certificates of a kind form one
            # chain with one end. Replacements carry `replaces` instead (decision 30).
            models.UniqueConstraint(
                fields=["registration", "kind"],
                condition=Q(replaces__isnull=True, supersedes__isnull=True),
                name="one_first_certificate_per_registration_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | Q(supersedes__isnull=True),
                name="a_replacement_supersedes_nothing",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revocation_reason=""),
                name="a_revocation_has_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(replacement_reason=""),
                name="a_replacement_has_a_reason",
            ),
            models.CheckConstraint(
                condition=~Q(release=Release.HELD) | ~Q(hold_reason=""),
                name="a_hold_has_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(release__in=Release.values), name="certificate_release_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise CertificateDeletion("Certificates are never deleted: revoke or replace them.")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_replaced(self) -> bool:
        # A reverse one-to-one: pages that list certificates select_related("replaced_by").
        return hasattr(self, "replaced_by")

    @property
    def is_superseded(self) -> bool:
        # As is_replaced: pages that list certificates select_related("superseded_by"). A
        # successor the EQA has not let out yet supersedes nothing (decision 29).
        return hasattr(self, "superseded_by") and not self.superseded_by.is_withheld

    @property
    def is_withheld(self) -> bool:
        """Claimed, but not let out by the awarding organisation's EQA yet (decision 29)."""
        return self.release in WITHHELD

    @property
    def released_at(self) -> datetime.datetime | None:
        """When the awarding organisation's EQA let the claim out (None: direct, or not yet)."""
        return self.release_decided_at if self.release == Release.RELEASED else None

    @property
    def let_out_at(self) -> datetime.datetime | None:
        """When the certificate was issued to the learner: at its claim under Direct Claims
        Status (`issued_at`, the claim's time), at the EQA's release otherwise; None while
        withheld (decision 29)."""
        if self.is_withheld:
            return None
        return self.released_at or self.issued_at

    @property
    def held_because(self) -> str:
        """Why a withheld certificate is not issued yet, in words for the centre and learner."""
        if self.release == Release.HELD:
            return f"{HELD_BY_EQA} {self.hold_reason}"
        if self.release == Release.AWAITING:
            return AWAITING_EQA
        return ""

    @property
    def state(self) -> CertificateState:
        if self.is_revoked:
            return CertificateState.REVOKED
        if self.is_replaced:
            return CertificateState.REPLACED
        if self.is_superseded:
            return CertificateState.SUPERSEDED
        if self.is_withheld:
            return CertificateState.HELD
        return CertificateState(self.status)

    @property
    def issuer_line(self) -> str:
        """Who issues what (decision 30): the document the portal prints is the centre's record
        of achievement; the certificate is the awarding organisation's to issue."""
        s = self.snapshot
        ao = s.get("awarding_organisation") or "the awarding organisation"
        return (
            f"This record of achievement is issued by {s.get('centre') or 'the centre'}; "
            f"the {AO_DOCUMENTS[(self.kind, bool(s.get('cvq')))]} is issued by {ao}."
        )

    @property
    def state_colour(self) -> str:
        """The Bootstrap colour of the state's badge (the badge also says it in words)."""
        return STATE_COLOURS[self.state]


class DirectClaimsQuerySet(models.QuerySet["DirectClaimsStatus"]):
    def current(self) -> DirectClaimsQuerySet:
        return self.filter(withdrawn_at__isnull=True)

    def held_by(self, centre_id: int, qualification_id: int) -> bool:
        """Whether the centre may claim the qualification's certificates directly now."""
        return (
            self.current().filter(centre_id=centre_id, qualification_id=qualification_id).exists()
        )


class DirectClaimsStatus(models.Model):
    """The awarding organisation's word that a centre's claims for one qualification are issued
    at once, without waiting for its external quality assurer (NCFE, Highfield and others grant
    it per qualification). Recorded by the portal's staff acting for the AO, never by the centre
    (decision 29); withdrawn, never deleted, so the history stays."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True, help_text="e.g. the AO's letter or reference.")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    objects = DirectClaimsQuerySet.as_manager()

    class Meta:
        verbose_name = "Direct Claims Status"
        verbose_name_plural = "Direct Claims Status"
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "qualification"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_direct_claims_status_in_force",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="a_withdrawal_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Direct Claims Status: {self.qualification} at {self.centre}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class CentreApproval(models.Model):
    """The awarding organisation's approval of a centre to offer one qualification, recorded by
    the portal's staff acting for the AO (as Direct Claims Status is). A learner may be
    transferred only to a centre approved for their qualification (decision 40)."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField()
    note = models.TextField(blank=True, help_text="e.g. the AO's letter or reference.")

    class Meta:
        verbose_name = "centre approval"
        ordering = ["centre__name", "qualification__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "qualification"], name="one_approval_per_centre_and_qualification"
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre} approved for {self.qualification}"


class TransferStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the receiving centre"
    ACCEPTED = "accepted", "Accepted: the learner moved"
    DECLINED = "declined", "Declined by the receiving centre"
    CANCELLED = "cancelled", "Cancelled by the sending centre"


class Transfer(models.Model):
    """A learner's registration moving from one approved centre to another (decision 40): asked
    for by the sending centre's admin, accepted or declined by the receiving centre's admin,
    and cancelled by the sender while it waits. Nothing moves until it is accepted; then the
    registration itself moves, with everything recorded on it, and the portfolio pack as it
    stood is kept here (`pack`), made by a task."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="transfers"
    )
    from_centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    to_centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(blank=True)
    # The portfolio pack made at acceptance: empty until the task has stored it.
    pack = models.FileField(upload_to="transfers/", blank=True)
    pack_name = models.CharField(max_length=200, blank=True)
    pack_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(status="pending"),
                name="one_pending_transfer_per_registration",
            ),
            models.CheckConstraint(
                condition=~Q(from_centre=models.F("to_centre")),
                name="a_transfer_goes_to_another_centre",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="a_declined_transfer_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Transfer of {self.registration} to {self.to_centre}"

    @property
    def is_pending(self) -> bool:
        return self.status == TransferStatus.PENDING

    @property
    def status_colour(self) -> str:
        return {
            TransferStatus.PENDING: "warning",
            TransferStatus.ACCEPTED: "success",
        }.get(TransferStatus(self.status), "secondary")


class ConfirmationTaken(models.Model):
    """A one-time confirmation (`certification.confirmation`) that was acted on: its nonce,
    under a unique index, written in the same transaction as the claim, revocation or
    replacement it confirmed (decision 82). A second request with the same token, even one
    sent at the same moment from another session (a double click, two tabs, two logins),
    finds it taken once the first commits; a confirmation that did nothing leaves no row.
    Rows older than a token is good for are deleted as new ones are written."""

    nonce = models.CharField(max_length=64, unique=True)
    taken_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"confirmation {self.nonce} taken {self.taken_at:%Y-%m-%d %H:%M}"
