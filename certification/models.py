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

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # One claim, one certificate: the database refuses a second for the same registration
            # and kind, however many requests race. Replacements carry `replaces` instead.
            models.UniqueConstraint(
                fields=["registration", "kind"],
                condition=Q(replaces__isnull=True),
                name="one_certificate_per_registration_and_kind",
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
