"""The catalogue: awarding organisations, qualifications, units and their rules of combination.

A unit belongs to the unit bank, not to one qualification: `QualificationUnit` places it in a
qualification and, where the qualification publishes rules of combination, in one of its groups.
Criteria keep the reference their specification prints (1.1, 2.3 ...), unique within the unit,
because that is what learners, assessors and certificates use. CVQ units say the same things in
other words (elements, performance criteria) and add range statements, underpinning knowledge
and an evidence guide; C&G units add evidence requirements.
"""

from __future__ import annotations

import datetime
import re
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from qualifications.ordering import Ordered

LEVEL_RANGE = Q(level__gte=0) & Q(level__lte=8)
# The lifecycle's dates come in this order: each pair (earlier, later) may not be reversed.
LIFECYCLE_ORDER = (
    ("operational_start", "last_registration"),
    ("last_registration", "certification_end"),
    ("operational_start", "certification_end"),
)


def day(value: datetime.date) -> str:
    """A date as certificates and the register print it: 1 September 2014."""
    return f"{value.day} {value:%B %Y}"


def date_problems(
    operational_start: datetime.date | None,
    last_registration: datetime.date | None,
    certification_end: datetime.date | None,
) -> list[str]:
    """What is wrong with the order of a qualification's dates, one sentence each."""
    problems = []
    if operational_start and last_registration and last_registration < operational_start:
        problems.append(
            f"The last registration date ({day(last_registration)}) is before the operational "
            f"start date ({day(operational_start)})."
        )
    if last_registration and certification_end and certification_end < last_registration:
        problems.append(
            f"The certification end date ({day(certification_end)}) is before the last "
            f"registration date ({day(last_registration)}): learners registered on the last "
            "day could never be certificated."
        )
    if operational_start and certification_end and certification_end < operational_start:
        problems.append(
            f"The certification end date ({day(certification_end)}) is before the operational "
            f"start date ({day(operational_start)})."
        )
    return problems


def pattern_problem(pattern: str) -> str:
    """Why a registration number pattern cannot be used ("" if it can): a regular expression
    the whole number must match."""
    try:
        re.compile(pattern)
    except re.error as error:
        return f"The registration number pattern {pattern!r} is not a regular expression: {error}."
    return ""


class AwardingOrganisation(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    # The AO's claim policy (docs/claim-policy.md): each qualification may say otherwise.
    min_weeks_before_claim = models.PositiveSmallIntegerField(
        "minimum weeks from registration to claim",
        null=True,
        blank=True,
        help_text="Blank: no minimum period (Pearson and SQA: 10).",
    )
    registration_number_required = models.BooleanField(
        "AO registration number required before a claim", default=False
    )
    registration_number_pattern = models.CharField(
        max_length=200,
        blank=True,
        help_text="A regular expression the whole number must match; blank where the AO states "
        "no format.",
    )
    registration_number_format = models.CharField(
        max_length=200, blank=True, help_text="The format in words, as the refusal says it."
    )
    min_age = models.PositiveSmallIntegerField(
        "minimum age at registration", null=True, blank=True, help_text="Blank: no age limit."
    )
    claim_policy_note = models.TextField(
        blank=True, help_text="Where each value of the claim policy comes from: a quotation."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.registration_number_pattern and (
            problem := pattern_problem(self.registration_number_pattern)
        ):
            raise ValidationError({"registration_number_pattern": problem})


class QualificationStatus(models.TextChoices):
    """Where a qualification stands in its awarding organisation's lifecycle (docs/lifecycle.md).

    Ofqual's register speaks of a qualification's operational start and end and its
    certification end; SFJ calls a specification out for comment a "consultation draft"; AOs
    withdraw qualifications. Only an operational qualification takes registrations and claims,
    and then only between its dates.
    """

    CONSULTATION_DRAFT = "consultation_draft", "Consultation draft"
    OPERATIONAL = "operational", "Operational"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Grading(models.TextChoices):
    PASS_FAIL = "pass_fail", "Pass/fail"


class Qualification(models.Model):
    code = models.CharField(
        max_length=40, unique=True, help_text="What people type: the number, or an assigned code."
    )
    number = models.CharField(
        "qualification number", max_length=40, blank=True, help_text="As on the register."
    )
    ao_number = models.CharField("AO's number", max_length=40, blank=True)
    title = models.CharField(max_length=300, help_text="Exactly as on the register.")
    awarding_organisation = models.ForeignKey(
        AwardingOrganisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="qualifications",
    )
    level = models.PositiveSmallIntegerField(help_text="0 for entry level, else 1 to 8.")
    min_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    glh = models.PositiveIntegerField("GLH", null=True, blank=True)
    tqt = models.PositiveIntegerField("TQT", null=True, blank=True)
    grading = models.CharField(max_length=20, choices=Grading.choices, default=Grading.PASS_FAIL)
    status = models.CharField(
        max_length=20, choices=QualificationStatus.choices, default=QualificationStatus.OPERATIONAL
    )
    status_note = models.CharField(max_length=200, blank=True)
    # The lifecycle's dates, each inclusive and blank where the source gives none (no limit).
    operational_start = models.DateField(
        "operational start date", null=True, blank=True, help_text="First day of registrations."
    )
    last_registration = models.DateField(
        "last registration date", null=True, blank=True, help_text="Last day of registrations."
    )
    certification_end = models.DateField(
        "certification end date",
        null=True,
        blank=True,
        help_text="Last day a certificate may be claimed (Ofqual's certificationEndDate).",
    )
    lifecycle_note = models.TextField(
        blank=True, help_text="Where the status and dates come from: a quotation of the source."
    )
    # The claim policy where it differs from the AO's (docs/claim-policy.md): blank is "as the
    # awarding organisation says", 0 is "none" (a qualification without an AO has only these).
    min_weeks_before_claim = models.PositiveSmallIntegerField(
        "minimum weeks from registration to claim",
        null=True,
        blank=True,
        help_text="Blank: as its awarding organisation says; 0: no minimum period.",
    )
    registration_number_required = models.BooleanField(
        "AO registration number required before a claim",
        null=True,
        blank=True,
        help_text="Unknown: as its awarding organisation says.",
    )
    min_age = models.PositiveSmallIntegerField(
        "minimum age at registration",
        null=True,
        blank=True,
        help_text="Blank: as its awarding organisation says; 0: no age limit.",
    )
    claim_policy_note = models.TextField(
        blank=True, help_text="Where the claim policy comes from: a quotation of the source."
    )
    aim = models.TextField(blank=True)
    # Rules of combination. None published means no full certificate can be claimed.
    rules_published = models.BooleanField(default=True)
    rules_version = models.PositiveSmallIntegerField(default=1)
    # A new value whenever anything the rules engine reads of this qualification changes (its
    # rows, its groups, units, level rules, barred sets and equivalences): each process keeps the
    # rules it built under (pk, revision), so a row read afterwards finds them out of date
    # (`qualifications.revisions`, `rules.adapter.rules_for`). Random rather than a counter, so
    # that a change rolled back can never leave a value that a later change takes again.
    revision = models.UUIDField(default=uuid.uuid4, editable=False)
    min_units = models.PositiveSmallIntegerField(null=True, blank=True)
    min_glh = models.PositiveIntegerField("minimum GLH", null=True, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="The data file it came from.")

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=LEVEL_RANGE, name="qualification_level_0_to_8"),
            models.CheckConstraint(
                condition=Q(min_credits__isnull=True) | Q(min_credits__gt=0),
                name="qualification_min_credits_positive",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{earlier}__isnull": True})
                    | Q(**{f"{later}__isnull": True})
                    | Q(**{f"{later}__gte": models.F(earlier)}),
                    name=f"qualification_{later}_not_before_{earlier}",
                )
                for earlier, later in LIFECYCLE_ORDER
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    def clean(self) -> None:
        problems = date_problems(
            self.operational_start, self.last_registration, self.certification_end
        )
        if problems:
            raise ValidationError(problems)

    @property
    def is_draft(self) -> bool:
        return self.status == QualificationStatus.CONSULTATION_DRAFT

    @property
    def credit_from_tqt(self) -> int | None:
        """Credit is normally TQT divided by ten, rounded to the nearest whole number (Ofqual
        Condition E8.2); a half rounds up (TQT 45 is 5 credits), as decision 48 records."""
        return None if self.tqt is None else (self.tqt + 5) // 10


class ReferenceType(models.TextChoices):
    URN = "urn", "Unit reference number"
    UAN = "uan", "Unit accreditation number"
    TVETC = "tvetc", "TVETC number"
    NONE = "none", "None"


class Terminology(models.TextChoices):
    """What a unit's parts are called: learning outcomes and assessment criteria (RQF/QCF), or
    elements and performance criteria (CVQ)."""

    OUTCOMES = "outcomes", "Learning outcomes and assessment criteria"
    ELEMENTS = "elements", "Elements and performance criteria"


class Unit(models.Model):
    code = models.CharField(
        max_length=40,
        unique=True,
        help_text="The reference where the source gives one, else an assigned code.",
    )
    reference = models.CharField(max_length=40, blank=True, help_text="As printed.")
    reference_type = models.CharField(
        max_length=10, choices=ReferenceType.choices, default=ReferenceType.NONE
    )
    ao_unit_number = models.CharField("AO's unit number", max_length=20, blank=True)
    title = models.CharField(max_length=300)
    level = models.PositiveSmallIntegerField()
    credits = models.PositiveSmallIntegerField(null=True, blank=True)
    glh = models.PositiveIntegerField("GLH", null=True, blank=True)
    aim = models.TextField(blank=True)
    terminology = models.CharField(
        max_length=10, choices=Terminology.choices, default=Terminology.OUTCOMES
    )
    critical_aspects = models.TextField("evidence guide: critical aspects", blank=True)
    assessment_methods = models.TextField("evidence guide: methods", blank=True)
    assessment_context = models.TextField("evidence guide: context", blank=True)
    assessment_statement = models.TextField(
        blank=True, help_text="How the unit is assessed, as its specification says it (C&G)."
    )
    source = models.CharField(max_length=200, blank=True, help_text="The data file it came from.")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=LEVEL_RANGE, name="unit_level_0_to_8"),
            models.CheckConstraint(
                condition=Q(credits__isnull=True) | Q(credits__gt=0),
                name="unit_credits_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def uses_elements(self) -> bool:
        return self.terminology == Terminology.ELEMENTS

    @property
    def has_evidence_guide(self) -> bool:
        return bool(self.critical_aspects or self.assessment_methods or self.assessment_context)

    @property
    def simulation_allowed(self) -> bool | None:
        """Whether simulated performance evidence is allowed in the unit as a whole (None: the
        specification does not say); an element may say otherwise (`simulation_allowed_for`)."""
        return self.simulation_allowed_for("")

    def simulation_allowed_for(self, element: str) -> bool | None:
        """Whether simulated performance evidence is allowed for one element (or learning
        outcome): its own rule where the specification gives one, else the unit's ("": the
        unit's own)."""
        rules = {rule.element: rule.allowed for rule in self.simulation_rules.all()}
        return rules.get(element, rules.get(""))


class LearningOutcome(Ordered):
    """A learning outcome, or a CVQ element."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="outcomes")
    number = models.CharField(max_length=10)
    text = models.TextField()

    class Meta(Ordered.Meta):
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="outcome_number_unique_in_unit")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text}"


class Criterion(Ordered):
    """An assessment criterion, or a CVQ performance criterion."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="criteria")
    outcome = models.ForeignKey(LearningOutcome, on_delete=models.CASCADE, related_name="criteria")
    number = models.CharField(max_length=10)
    text = models.TextField()

    class Meta(Ordered.Meta):
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "number"], name="criterion_number_unique_in_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text}"


class RangeItem(Ordered):
    """One situation a CVQ unit's evidence must cover, e.g. customers who "appear angry"."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="range_items")
    element = models.CharField(max_length=10, help_text="The element it is printed under.")
    applies_to = models.CharField(max_length=60, help_text="Element numbers, comma-separated.")
    category = models.CharField(max_length=5)
    heading = models.CharField(max_length=300)
    number = models.CharField(max_length=10, help_text="The roman numeral printed.")
    text = models.TextField()

    class Meta(Ordered.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "element", "category", "number"], name="range_item_unique_in_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.text}"

    @property
    def reference(self) -> str:
        return f"{self.element}{self.category}({self.number})"


class KnowledgeItem(Ordered):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="knowledge_items")
    number = models.CharField(max_length=10)
    topic = models.CharField(max_length=300, blank=True)
    text = models.TextField()

    class Meta(Ordered.Meta):
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="knowledge_unique_in_unit")
        ]

    def __str__(self) -> str:
        return f"K{self.number} {self.text}"


class RuleGroup(Ordered):
    """A group of units in a qualification's rules of combination, with its constraints."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="groups"
    )
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    mandatory = models.BooleanField(default=False, help_text="Every unit of the group is needed.")
    stated_credits = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The credit total the specification states for the group."
    )
    min_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    max_credits = models.PositiveSmallIntegerField(null=True, blank=True)
    min_units = models.PositiveSmallIntegerField(null=True, blank=True)
    max_units = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta(Ordered.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "code"], name="group_code_unique_in_qualification"
            ),
            models.CheckConstraint(
                condition=Q(min_credits__isnull=True)
                | Q(max_credits__isnull=True)
                | Q(min_credits__lte=models.F("max_credits")),
                name="group_min_credits_not_above_max",
            ),
            models.CheckConstraint(
                condition=Q(min_units__isnull=True)
                | Q(max_units__isnull=True)
                | Q(min_units__lte=models.F("max_units")),
                name="group_min_units_not_above_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification.code} {self.code}: {self.title}"


class QualificationUnit(Ordered):
    """A unit's place in a qualification: which group it counts in (none where no rules exist)."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    group = models.ForeignKey(
        RuleGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )

    class Meta(Ordered.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "unit"], name="unit_once_per_qualification"
            )
        ]

    def __str__(self) -> str:
        return f"{self.qualification.code} / {self.unit.code}"


class CatalogueFile(models.Model):
    """A data file as last loaded, so that loading again skips files that have not changed."""

    name = models.CharField(max_length=200, unique=True)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class LevelRule(models.Model):
    """Credits by level: a cap ("at most 20 credits at level 3") or a minimum at or above one."""

    class Kind(models.TextChoices):
        CAP = "cap", "At most"
        MINIMUM = "minimum", "At least"

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="level_rules"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    level = models.PositiveSmallIntegerField()
    credits = models.PositiveSmallIntegerField()
    or_above = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "level"]
        constraints = [
            models.CheckConstraint(condition=LEVEL_RANGE, name="level_rule_level_0_to_8"),
        ]

    def __str__(self) -> str:
        scope = "at or above" if self.or_above else "at"
        return f"{self.get_kind_display()} {self.credits} credits {scope} level {self.level}"


class BarredCombination(models.Model):
    """Units of which at most one counts toward the qualification."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="barred_combinations"
    )
    units = models.ManyToManyField(Unit, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"Barred combination in {self.qualification.code}"


class Equivalence(models.Model):
    """A unit whose requirement other units satisfy, without earning its credit."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="equivalences"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    satisfied_by = models.ManyToManyField(Unit, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"Equivalence for {self.unit.code} in {self.qualification.code}"


class Correction(Ordered):
    """Where the portal's data departs from its source, and why: shown beside the data."""

    source = models.CharField(max_length=200)
    where = models.CharField(max_length=300)
    source_said = models.TextField(blank=True)
    chosen = models.TextField(blank=True)
    why = models.TextField(blank=True)
    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, null=True, blank=True, related_name="corrections"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="corrections"
    )

    def __str__(self) -> str:
        return self.where


class RulesVersion(models.Model):
    """A qualification's rules of combination as they stood at one time, numbered 1, 2, ... per
    qualification: a registration is pinned to the version it was made under, and keeps it
    when the catalogue changes, until a centre admin transfers it (decision 27).

    Made by `qualifications.rules.versions.current_version` whenever the rules a registration
    would be made under differ from the newest version (the loader and the catalogue's admin
    make it as soon as they change the rules). Never changed afterwards: what registrations are
    judged by must not move under them. `rules` is `qualifications.rules.snapshot.rules_data`.
    """

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="rules_versions"
    )
    number = models.PositiveIntegerField()
    # The version the catalogue file declared then (`Qualification.rules_version`).
    declared_version = models.PositiveSmallIntegerField()
    rules = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["qualification", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "number"], name="rules_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.qualification_id}: rules version {self.number}"


# How each unit must be assessed lives in its own module; imported here so that Django finds
# its models with the rest of the catalogue's.
from qualifications.requirements import (  # noqa: E402
    AssessmentMethod,
    EnvironmentRule,
    EvidenceKind,
    EvidenceKindRule,
    EvidenceRequirement,
    MethodRule,
    Need,
    RequirementItem,
    RequirementKind,
    SimulationRule,
    SufficiencyMeasure,
    SufficiencyRule,
)

__all__ = [
    "AssessmentMethod",
    "EnvironmentRule",
    "EvidenceKind",
    "EvidenceKindRule",
    "EvidenceRequirement",
    "MethodRule",
    "Need",
    "RequirementItem",
    "RequirementKind",
    "SimulationRule",
    "SufficiencyMeasure",
    "SufficiencyRule",
]
