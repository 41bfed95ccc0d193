"""External quality assurance (decision 29): who may look at what, and for how long (an access
window); what the external quality assurer sampled; and their report with its actions."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from portal.models import Centre, Role, User
from portfolios.models import Registration
from qualifications.models import Qualification, Unit


class WindowState(models.TextChoices):
    NOT_YET = "not_yet", "Not open yet"
    OPEN = "open", "Open"
    ENDED = "ended", "Ended"


class EqaAccessQuerySet(models.QuerySet["EqaAccess"]):
    def open_at(self, moment: datetime.datetime) -> EqaAccessQuerySet:
        """Windows open at `moment`: begun and not yet ended. Asked at every request, so a
        window ends by itself, with no sweep to close it. A window whose EQA has since taken a
        role at the centre (an invitation accepted) is not open either: the assurer must be
        independent of the centre, and that is asked at every request too, not only when the
        window was granted."""
        of_the_centre = Role.objects.filter(user=OuterRef("eqa"), centre=OuterRef("centre"))
        return self.filter(starts_at__lte=moment, ends_at__gt=moment).exclude(Exists(of_the_centre))

    def open_now(self) -> EqaAccessQuerySet:
        return self.open_at(timezone.now())


class EqaAccess(models.Model):
    """One external quality assurer (a person from the awarding organisation, not of the
    centre) given read-only access to one qualification at one centre, from `starts_at` until
    `ends_at`. Granted by the portal's staff acting for the AO; never deleted (its audit
    entries name it), ended early by moving its end."""

    eqa = models.ForeignKey(User, on_delete=models.PROTECT, related_name="eqa_windows")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    note = models.TextField(blank=True, help_text="e.g. the AO's visit reference.")

    objects = EqaAccessQuerySet.as_manager()

    class Meta:
        verbose_name = "EQA access window"
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="an_eqa_window_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.eqa.full_name}: {self.qualification} at {self.centre}"

    @property
    def state(self) -> WindowState:
        now = timezone.now()
        if now < self.starts_at:
            return WindowState.NOT_YET
        if now >= self.ends_at:
            return WindowState.ENDED
        return WindowState.OPEN

    def registrations(self) -> models.QuerySet[Registration]:
        """The registrations the window opens: its qualification's at its centre."""
        return Registration.objects.filter(
            centre_id=self.centre_id, qualification_id=self.qualification_id
        )


class EqaSample(models.Model):
    """What the external quality assurer chose to look at (a learner, and a unit or the whole
    portfolio) and what they found there."""

    access = models.ForeignKey(EqaAccess, on_delete=models.PROTECT, related_name="samples")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    looked_at = models.TextField(help_text="The evidence, decisions and IQA records looked at.")
    finding = models.TextField()
    recorded_at = models.DateTimeField()
    # The one-time token of the form that made it: the same form sent twice makes one.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"EQA sample of {self.registration} ({self.unit or 'whole portfolio'})"


class EqaReport(models.Model):
    """The external quality assurer's report on one window: read by the centre's admins, and
    part of the evidence an AO's final certification audit asks for (CXC's external verifier's
    report). One per window, kept as written."""

    access = models.OneToOneField(EqaAccess, on_delete=models.PROTECT, related_name="report")
    summary = models.TextField()
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["-written_at", "-pk"]

    def __str__(self) -> str:
        return f"EQA report on {self.access}"


class EqaAction(models.Model):
    """Something the centre must do, set by the external quality assurer in their report."""

    report = models.ForeignKey(EqaReport, on_delete=models.PROTECT, related_name="actions")
    text = models.TextField()
    due_on = models.DateField()

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.text[:60]
