"""Internal quality assurance: how much to sample (strategy), what to sample (plan), what the
IQA found (samples) and what the assessor must do about it (actions)."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q

from assessment.models import Decision
from portal.models import Centre, User
from portfolios.models import EvidenceMethod, Registration
from qualifications.models import Qualification, Unit


class Risk(models.TextChoices):
    TRAINEE = "trainee", "Trainee"
    NEW = "new", "New"
    STANDARD = "standard", "Standard"
    EXPERIENCED = "experienced", "Experienced"


class Stage(models.TextChoices):
    INTERIM = "interim", "Interim (during the programme)"
    SUMMATIVE = "summative", "Summative (a signed-off unit)"


class SamplingStrategy(models.Model):
    """How much of each assessor's work the centre samples for one qualification, by risk."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="+")
    trainee_percent = models.PositiveSmallIntegerField(default=100)
    new_percent = models.PositiveSmallIntegerField(default=50)
    standard_percent = models.PositiveSmallIntegerField(default=25)
    experienced_percent = models.PositiveSmallIntegerField(default=10)
    interim_required = models.BooleanField(default=True)
    summative_required = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "sampling strategies"
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "qualification"], name="one_strategy_per_centre_qualification"
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{risk}_percent__lte": 100}), name=f"{risk}_percent_at_most_100"
                )
                for risk in Risk.values
            ],
        ]

    def __str__(self) -> str:
        return f"Strategy for {self.qualification} at {self.centre}"

    def percent_for(self, risk: str) -> int:
        return int(getattr(self, f"{risk}_percent"))


class AssessorRisk(models.Model):
    """The centre's view of an assessor's risk. Trainees are always trainee risk; an assessor
    with no rating here is standard."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    assessor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    risk = models.CharField(max_length=12, choices=Risk.choices, default=Risk.STANDARD)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "assessor"], name="one_risk_per_assessor")
        ]

    def __str__(self) -> str:
        return f"{self.assessor}: {self.get_risk_display()}"


class SamplingPlan(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="+")
    iqa = models.ForeignKey(User, on_delete=models.PROTECT, related_name="sampling_plans")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    # The one-time token of the form it was generated from: the same form sent again finds
    # this plan instead of making another.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Not stored: the number of items `plan_generate` has just written, on the plan it returns.
    items_made: int | None = None

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="a_plan_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.qualification}: {self.starts_on:%d %b %Y} to {self.ends_on:%d %b %Y}"


def counts_for_item(sample: str = "") -> Q:
    """Whether a sample (reached through `sample`, "sample__" from an action) counts for the
    plan item of the query outside (`OuterRef`): recorded from the item, or of the item's
    learner, unit and stage since the plan's period began (sampled from the learner's page, or
    before the plan was made). The one rule behind "sampled" on the plan page, its record and
    the IQA's to-do list (decision 32). A trainee IQA's sample, or one by an IQA the centre's
    competence register does not cover for the unit, counts once a qualified IQA countersigns
    it (decision 49)."""
    return (
        Q(**{f"{sample}plan_item": OuterRef("pk")})
        | Q(
            **{
                f"{sample}registration": OuterRef("registration"),
                f"{sample}unit": OuterRef("unit"),
                f"{sample}stage": OuterRef("stage"),
                f"{sample}sampled_at__date__gte": OuterRef("plan__starts_on"),
            }
        )
    ) & Q(**{f"{sample}provisional": False})


class PlanItemQuerySet(models.QuerySet["PlanItem"]):
    def sampled(self) -> PlanItemQuerySet:
        return self.filter(Exists(Sample.objects.filter(counts_for_item())))

    def not_sampled(self) -> PlanItemQuerySet:
        return self.exclude(Exists(Sample.objects.filter(counts_for_item())))

    def with_sampled(self) -> PlanItemQuerySet:
        """Each item with `is_sampled`, by the same rule."""
        return self.annotate(is_sampled=Exists(Sample.objects.filter(counts_for_item())))


class PlanItem(models.Model):
    """One unit of one learner's work by one assessor, planned for sampling at a stage."""

    # No index of its own: `planned_once_per_stage` starts with the plan and serves every read
    # by plan; one index fewer to write for each of a generated plan's hundreds of items.
    plan = models.ForeignKey(
        SamplingPlan, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="plan_items"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    assessor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    methods = models.JSONField(default=list, help_text="The evidence methods its decisions use.")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    by_hand = models.BooleanField(default=False, help_text="Added by the IQA, not proposed.")

    objects = PlanItemQuerySet.as_manager()

    class Meta:
        ordering = ["assessor__full_name", "registration__learner__full_name", "unit__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "registration", "unit", "stage"], name="planned_once_per_stage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration.learner} {self.unit.code} ({self.stage})"

    @property
    def method_labels(self) -> str:
        labels = dict(EvidenceMethod.choices)
        return ", ".join(labels.get(m, m) for m in self.methods)


class Verdict(models.TextChoices):
    AGREE = "agree", "Agree"
    ACTION_REQUIRED = "action_required", "Action required"


class Sample(models.Model):
    """What the IQA looked at and found. Sampled decisions are locked."""

    RULES_OF_EVIDENCE = ("valid", "authentic", "current", "sufficient", "reliable")

    plan_item = models.ForeignKey(
        PlanItem, on_delete=models.PROTECT, null=True, blank=True, related_name="samples"
    )
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    assessor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    decisions = models.ManyToManyField(Decision, related_name="samples")
    evidence = models.ManyToManyField("portfolios.Evidence", related_name="samples")
    valid = models.BooleanField()
    authentic = models.BooleanField()
    current = models.BooleanField()
    sufficient = models.BooleanField()
    reliable = models.BooleanField()
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    feedback = models.TextField()
    sampled_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sampled_at = models.DateTimeField()
    # Sampled decisions are locked until a centre admin lifts the lock, with a reason.
    lock_lifted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lock_lifted_at = models.DateTimeField(null=True, blank=True)
    lock_lift_reason = models.TextField(blank=True)
    # A trainee IQA's sample, or one by an IQA whose register entries do not cover the unit at
    # a centre enforcing its register (decision 49): it counts for plans and claims once a
    # qualified IQA countersigns it, with a note.
    provisional = models.BooleanField(default=False)
    countersigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersign_note = models.TextField(blank=True)
    # The one-time token of the form it was recorded from: the same form sent again finds this
    # sample instead of recording another.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-sampled_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lock_lifted_at__isnull=True) | ~Q(lock_lift_reason=""),
                name="a_lifted_lock_has_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(provisional=False) | Q(countersigned_by__isnull=True),
                name="countersigned_samples_are_not_provisional",
            ),
        ]
        indexes = [
            # Samples waiting for a qualified IQA's countersignature: a handful at a centre.
            models.Index(
                fields=["registration"],
                condition=Q(provisional=True),
                name="sample_awaiting_countersign",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} sample of {self.unit.code} for {self.registration}"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open: waiting for the assessor"
    RESPONDED = "responded", "Answered: waiting for the IQA"
    CLOSED = "closed", "Closed"


class Action(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="actions")
    text = models.TextField()
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default="open")
    response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # The IQA's comment the last time they did not accept the answer: the action is open
    # again, and the assessor reads it before answering again (every round is on the audit log).
    iqa_comment = models.TextField(blank=True)
    not_accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.text

    def overdue_on(self, today: datetime.date) -> bool:
        """Past its target date while the assessor still owes an answer: an answered action
        waits for the IQA, not the assessor, so it is never overdue."""
        return self.status == ActionStatus.OPEN and self.due_on < today


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class IqaDocument(models.Model):
    """A PDF of an IQA report (one sample) or a sampling record (one plan), made by a task."""

    sample = models.ForeignKey(
        Sample, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    plan = models.ForeignKey(
        SamplingPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    status = models.CharField(
        max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    file = models.FileField(upload_to="iqa/", blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sample__isnull=True, plan__isnull=False)
                | Q(sample__isnull=False, plan__isnull=True),
                name="a_document_is_of_a_sample_or_a_plan",
            )
        ]

    def __str__(self) -> str:
        return f"IQA document {self.pk} ({self.status})"
