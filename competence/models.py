"""The competence register (issue 20): what each assessor and IQA of a centre holds or works
towards, and what they may assess or verify. Seed 001 names the awards ("Assessors and internal
quality assurance verifiers ... will normally need to hold appropriate assessor or verifier
qualifications, such as: ...") and asks that they be "suitably qualified for the specific
occupational area": the scope, as whole qualifications or single units."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from portal.models import Centre, User
from qualifications.models import Qualification, Unit


class Practice(models.TextChoices):
    """What an award qualifies its holder to do."""

    ASSESSING = "assessing", "Assessing"
    VERIFYING = "verifying", "Internal quality assurance"


class Award(models.TextChoices):
    """The awards seed 001 names (its section "Assessors/Internal Quality Assurance"), and
    "another" of each kind, named by its title."""

    ASSESSING_COMPETENCE = (
        "assessing_competence",
        "Award in Assessing Competence in the Work Environment",
    )
    ASSESSING_VRA = "assessing_vra", "Award in Assessing Vocationally Related Achievement"
    CAVA = "cava", "Certificate in Assessing Vocational Achievement"
    IQA = "iqa", "Award in the Internal Quality Assurance of Assessment Processes and Practices"
    LEADING_IQA = (
        "leading_iqa",
        "Certificate in Leading the Internal Quality Assurance of Assessment Processes and "
        "Practices",
    )
    OTHER_ASSESSING = "other_assessing", "Another assessor qualification (give its title)"
    OTHER_VERIFYING = "other_verifying", "Another IQA qualification (give its title)"


PRACTICE_OF: dict[str, str] = {
    Award.ASSESSING_COMPETENCE: Practice.ASSESSING,
    Award.ASSESSING_VRA: Practice.ASSESSING,
    Award.CAVA: Practice.ASSESSING,
    Award.OTHER_ASSESSING: Practice.ASSESSING,
    Award.IQA: Practice.VERIFYING,
    Award.LEADING_IQA: Practice.VERIFYING,
    Award.OTHER_VERIFYING: Practice.VERIFYING,
}
OTHER_AWARDS = (Award.OTHER_ASSESSING, Award.OTHER_VERIFYING)


def awards_for(practice: str) -> list[str]:
    return [award for award, of in PRACTICE_OF.items() if of == practice]


class EntryStatus(models.TextChoices):
    HELD = "held", "Held"
    WORKING_TOWARDS = "working_towards", "Working towards"


class EntryQuerySet(models.QuerySet["CompetenceEntry"]):
    def current_on(self, day: datetime.date) -> EntryQuerySet:
        """Awards held on `day`: achieved by then, not expired (an entry expiring on a day
        is still current that day) and not ended (an entry ended on a day counts no more from
        that day)."""
        return (
            self.filter(status=EntryStatus.HELD, achieved_on__lte=day)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))
        )

    def not_ended(self) -> EntryQuerySet:
        return self.filter(ended_on__isnull=True)


class CompetenceEntry(models.Model):
    """One award a person holds (with the date achieved) or works towards (with a deadline) at
    a centre, and the qualifications or units it lets them assess or verify there."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="competence_entries")
    award = models.CharField(max_length=20, choices=Award.choices)
    title = models.CharField(
        max_length=200, blank=True, help_text="The award's title, when it is not one listed."
    )
    status = models.CharField(max_length=16, choices=EntryStatus.choices)
    achieved_on = models.DateField(null=True, blank=True)
    certificate_reference = models.CharField(max_length=100, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)
    qualifications = models.ManyToManyField(Qualification, blank=True, related_name="+")
    units = models.ManyToManyField(Unit, blank=True, related_name="+")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # An entry is never deleted: one recorded in error or no longer true is ended, with the
    # day, who ended it and why, and stays on the person's register as history.
    ended_on = models.DateField(null=True, blank=True)
    ended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=500, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "competence entries"
        ordering = ["status", "award", "pk"]
        indexes = [models.Index(fields=["centre", "person"], name="competence_of_person")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=EntryStatus.HELD) | Q(achieved_on__isnull=False),
                name="a_held_award_has_its_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=EntryStatus.WORKING_TOWARDS) | Q(deadline__isnull=False),
                name="working_towards_has_a_deadline",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True, ended_by__isnull=True, end_reason="")
                | (Q(ended_on__isnull=False, ended_by__isnull=False) & ~Q(end_reason="")),
                name="an_ended_entry_says_when_who_and_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.award_title} ({self.get_status_display().lower()})"

    @property
    def award_title(self) -> str:
        return self.title if self.award in OTHER_AWARDS and self.title else self.get_award_display()

    @property
    def practice(self) -> str:
        return PRACTICE_OF[self.award]

    @property
    def ended(self) -> bool:
        return self.ended_on is not None

    def expired_on(self, day: datetime.date) -> bool:
        return self.expires_on is not None and self.expires_on < day

    def overdue_on(self, day: datetime.date) -> bool:
        """Working towards an award past its deadline."""
        return (
            self.status == EntryStatus.WORKING_TOWARDS
            and self.deadline is not None
            and (self.deadline < day)
        )


class RegisterEnforced(models.Model):
    """A centre that enforces its register (decision 49): from then on, a decision by an
    assessor without a current entry for the unit is provisional, and a countersigner or an
    IQA must have one. Until the centre turns it on, the register is a record only."""

    centre = models.OneToOneField(Centre, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField()
    turned_on_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "register enforced"
        verbose_name_plural = "registers enforced"

    def __str__(self) -> str:
        return f"Register enforced at {self.centre} since {self.since:%d %b %Y}"
