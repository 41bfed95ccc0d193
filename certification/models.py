"""Certificates: numbered, immutable snapshots of what a learner achieved, never deleted."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from portal.models import User
from portfolios.models import Registration


class Kind(models.TextChoices):
    FULL = "full", "Certificate"
    UNIT = "unit", "Unit certificate"


class RenderStatus(models.TextChoices):
    PENDING = "pending", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class CertificateState(models.TextChoices):
    """Where a certificate stands, as every page (and the public verification) says it:
    revoked first, then replaced by a copy under a new number, then superseded by a later
    certificate listing more units, then what became of its PDF."""

    READY = "ready", "Ready"
    PENDING = "pending", "Being made"
    FAILED = "failed", "Failed to render"
    REPLACED = "replaced", "Replaced"
    SUPERSEDED = "superseded", "Superseded"
    REVOKED = "revoked", "Revoked"


STANDING = Q(revoked_at__isnull=True, replaced_by__isnull=True, superseded_by__isnull=True)
# The one rule, as a filter; `Certificate.state` says the same of one row.
STATE_FILTERS = {
    CertificateState.READY: STANDING & Q(status=RenderStatus.READY),
    CertificateState.PENDING: STANDING & Q(status=RenderStatus.PENDING),
    CertificateState.FAILED: STANDING & Q(status=RenderStatus.FAILED),
    CertificateState.REPLACED: Q(revoked_at__isnull=True, replaced_by__isnull=False),
    CertificateState.SUPERSEDED: Q(
        revoked_at__isnull=True, replaced_by__isnull=True, superseded_by__isnull=False
    ),
    CertificateState.REVOKED: Q(revoked_at__isnull=False),
}
STATE_COLOURS = {
    CertificateState.READY: "success",
    CertificateState.PENDING: "secondary",
    CertificateState.FAILED: "danger",
    CertificateState.REPLACED: "info",
    CertificateState.SUPERSEDED: "info",
    CertificateState.REVOKED: "danger",
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

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-pk"]
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
        # As is_replaced: pages that list certificates select_related("superseded_by").
        return hasattr(self, "superseded_by")

    @property
    def state(self) -> CertificateState:
        if self.is_revoked:
            return CertificateState.REVOKED
        if self.is_replaced:
            return CertificateState.REPLACED
        if self.is_superseded:
            return CertificateState.SUPERSEDED
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
