"""API tokens: one centre's, with scopes, stored hashed (decision 57)."""

from __future__ import annotations

from django.db import models

from portal.models import Centre, User


class Scope(models.TextChoices):
    READ = (
        "read",
        (
            "Read: qualifications, learners, staff, invitations, registrations, progress, claims, "
            "certificates, events"
        ),
    )
    REGISTRATIONS = (
        "registrations",
        (
            "Registrations: invite learners and change their details; make, change and withdraw "
            "registrations"
        ),
    )
    CLAIMS = "claims", "Claims: claim certificates where the centre may"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A centre's key to the API. Only the SHA-256 of the whole token is kept; its prefix, shown
    with it once, names it on the tokens page and finds its row. Calls act as the centre admin
    who made it, while they still administer the centre."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80, help_text="What it is for, e.g. the MIS's nightly sync.")
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class ApiReads(models.Model):
    """How many reads a token made on a day: reads are counted here, not each written to the
    audit chain (writes are, decision 57)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="reads")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "day"], name="api_reads_one_row_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.day}: {self.count}"
