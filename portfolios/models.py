"""Registrations: a learner on a qualification at a centre, with their assessor, IQA and units."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from portal.models import Centre, Role, RoleKind, User
from qualifications.models import Qualification, Unit


class RegistrationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


def roles_held(user: User, kind: RoleKind) -> models.QuerySet[Role]:
    return Role.objects.filter(user=user, kind=kind).values("centre_id")  # type: ignore[return-value]


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def visible_to(self, user: User) -> RegistrationQuerySet:
        """Learners see their own; assessors their caseload; IQAs the registrations they are
        assigned; centre admins their centre's. Each only while they hold that role there."""
        if not user.is_active:
            return self.none()
        return self.filter(
            Q(learner=user, centre__in=roles_held(user, RoleKind.LEARNER))
            | Q(assessor=user, centre__in=roles_held(user, RoleKind.ASSESSOR))
            | Q(iqa=user, centre__in=roles_held(user, RoleKind.IQA))
            | Q(centre__in=roles_held(user, RoleKind.CENTRE_ADMIN))
        )

    def administered_by(self, user: User) -> RegistrationQuerySet:
        return self.filter(centre__in=roles_held(user, RoleKind.CENTRE_ADMIN))


class Registration(models.Model):
    learner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="registrations")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="registrations")
    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="registrations"
    )
    assessor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="caseload"
    )
    iqa = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quality_assured",
        verbose_name="IQA",
    )
    ao_registration_number = models.CharField("AO registration number", max_length=40, blank=True)
    start_date = models.DateField()
    planned_end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["learner__full_name", "qualification__title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end_date__isnull=True)
                | Q(planned_end_date__gte=F("start_date")),
                name="registration_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~Q(assessor=F("learner")), name="nobody_assesses_themselves"
            ),
            models.CheckConstraint(
                condition=~Q(iqa=F("learner")), name="nobody_quality_assures_themselves"
            ),
            models.CheckConstraint(
                condition=~Q(iqa=F("assessor")), name="the_iqa_is_not_the_assessor"
            ),
            models.UniqueConstraint(
                fields=["qualification", "ao_registration_number"],
                condition=~Q(ao_registration_number=""),
                name="ao_registration_number_unique_per_qualification",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner.full_name}: {self.qualification.title}"


class RegistrationUnit(models.Model):
    """A unit the learner is working towards in this registration."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="planned_units"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    mandatory = models.BooleanField(default=False)

    class Meta:
        ordering = ["-mandatory", "unit__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "unit"], name="unit_once_per_registration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration} / {self.unit.code}"
