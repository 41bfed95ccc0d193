"""Assessment decisions, countersignatures and unit sign-offs."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from portal.models import User
from portfolios.models import Evidence, EvidenceMethod, ItemTarget, Registration


class Outcome(models.TextChoices):
    MET = "met", "Met"
    NOT_YET = "not_yet", "Not yet met"


class Decision(ItemTarget):
    """An assessor's judgement of one criterion (or CVQ range or knowledge item) for one
    registration. A trainee's decision is provisional until a qualified assessor countersigns
    it; a new decision on the same item supersedes the old one, which is kept."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="decisions"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    evidence = models.ManyToManyField(Evidence, related_name="decisions")
    method = models.CharField(max_length=30, choices=EvidenceMethod.choices)
    assessed_on = models.DateField()
    feedback = models.TextField(blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    provisional = models.BooleanField(
        default=False, help_text="A trainee's decision, not yet countersigned."
    )
    # No index of their own (decision 81): nothing reads decisions by who countersigned or
    # returned them, and each countersignature (an update of every index of the row, not a HOT
    # one) wrote an entry in each. What they served was only the check of a person's delete
    # (protected): people are anonymised, not deleted, and the admin's delete reads the table.
    countersigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    current = models.BooleanField(
        default=True, help_text="False once superseded, or returned to the trainee."
    )
    # A qualified assessor who disagreed with a trainee's provisional decision returned it,
    # saying why (decision 36): it no longer counts nor waits, and the trainee decides again.
    returned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            # Trainees' decisions awaiting a countersignature: a handful among a centre's
            # millions, found by registration (the countersigning page, the assessor's to-do).
            # With every column the countersigning page reads of each (its narrow rows), so
            # PostgreSQL answers from the index alone, not a page of the table per decision
            # (decision 46). Key columns rather than INCLUDE, which SQLite does not have.
            models.Index(
                fields=[
                    "registration",
                    "decided_by",
                    "decided_at",
                    "id",
                    "criterion",
                    "range_item",
                    "knowledge_item",
                ],
                condition=Q(current=True, provisional=True),
                name="decision_awaiting_countersign",
            ),
        ]
        constraints = [
            ItemTarget.one_target("a_decision_has_exactly_one_target"),
            *ItemTarget.once_per("registration", "one_current_decision", Q(current=True)),
            models.CheckConstraint(
                condition=Q(provisional=False) | Q(countersigned_by__isnull=True),
                name="countersigned_decisions_are_not_provisional",
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(provisional=True, current=False),
                name="returned_decisions_are_provisional_and_not_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.target}"

    @property
    def is_returned(self) -> bool:
        return self.returned_at is not None

    @property
    def counts(self) -> bool:
        """Whether the decision counts toward sign-off: met, current, and not provisional."""
        return self.current and self.outcome == Outcome.MET and not self.provisional


class SignOffQuerySet(models.QuerySet["UnitSignOff"]):
    def in_force(self) -> SignOffQuerySet:
        """Sign-offs a centre admin has not unlocked: these lock the unit's decisions."""
        return self.filter(unlocked_at__isnull=True)

    def achieved(self) -> SignOffQuerySet:
        return self.in_force().filter(learner_signed_at__isnull=False)


class UnitSignOff(models.Model):
    """The assessor's sign-off of a unit, and the learner's countersignature that the evidence
    is their own. The unit is achieved once both are there. An unlocked sign-off is kept, with
    who unlocked it and why, and no longer counts."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="sign_offs"
    )
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    signature = models.CharField(max_length=200)
    learner_signature = models.CharField(max_length=200, blank=True)
    learner_signed_at = models.DateTimeField(null=True, blank=True)
    # Signed off by a trainee, or (at a centre enforcing its competence register) by an
    # assessor no current award of whose covers the unit (decision 53): it locks the unit's
    # decisions, but the learner cannot countersign it until a qualified assessor competent
    # for the unit countersigns it.
    provisional = models.BooleanField(
        default=False, help_text="Awaiting a qualified, competent assessor's countersignature."
    )
    countersigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlock_reason = models.TextField(blank=True)
    # The conditions on the evidence (evidence requirements of kind "condition") the assessor
    # confirmed by ticking them at sign-off, as worded then: [{"number", "text"}] (decision 52).
    conditions = models.JSONField(default=list, blank=True)

    objects = SignOffQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at"]
        indexes = [
            # The few sign-offs awaiting an assessor's countersignature (the countersigning page).
            models.Index(
                fields=["registration"],
                condition=Q(provisional=True, unlocked_at__isnull=True),
                name="sign_off_awaiting_countersign",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(provisional=False) | Q(countersigned_by__isnull=True),
                name="countersigned_sign_offs_are_not_provisional",
            ),
            models.CheckConstraint(
                condition=Q(provisional=False) | Q(learner_signed_at__isnull=True),
                name="learners_countersign_only_sign_offs_that_count",
            ),
            models.UniqueConstraint(
                fields=["registration", "unit"],
                condition=Q(unlocked_at__isnull=True),
                name="unit_signed_off_once",
            ),
            models.CheckConstraint(
                condition=Q(unlocked_at__isnull=True) | ~Q(unlock_reason=""),
                name="an_unlock_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} signed off for {self.registration}"

    @property
    def achieved(self) -> bool:
        return self.learner_signed_at is not None and self.unlocked_at is None

    @property
    def awaits_countersignature(self) -> bool:
        """Provisional and in force: waiting for a qualified assessor's countersignature."""
        return self.provisional and self.unlocked_at is None


def unit_of_item(prefix: str = "") -> Coalesce:
    """The unit of the item a decision (or, with `prefix`, a related decision) is about, as an
    expression a query can group and filter by."""
    return Coalesce(
        f"{prefix}criterion__unit_id",
        f"{prefix}range_item__unit_id",
        f"{prefix}knowledge_item__unit_id",
    )


class DecidedWork(models.Model):
    """One distinct line of a registration's current decisions: the unit, who decided, who
    countersigned, the method and the day assessed. What the IQA's plans are made from (their
    period's work, `iqa.work`), kept here so that a plan is read from a few narrow rows rather
    than every current decision joined to its item. A copy, never a record: the services that
    change which decisions are current or who countersigned them (recording, countersigning,
    returning) write it again for the registrations they touched, in their transaction
    (`assessment.kept.keep_decided_work`); the migration and `generate_load_data` fill it from
    the decisions. A transfer moves it with the registration; closing a registration, signing a
    unit off or unlocking it changes none of it (the IQA reads those where they are)."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="decided_work", db_index=False
    )
    # Read by registration only (the index below): no index of their own for the rest.
    unit = models.ForeignKey(
        "qualifications.Unit", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    decided_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    countersigned_by = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )
    method = models.CharField(max_length=30)
    assessed_on = models.DateField()

    class Meta:
        indexes = [
            # Every column, so a plan's work is read from the index alone (PostgreSQL's
            # index-only scan: 1.7 ms against 12 ms for 200 learners' lines scattered in the
            # table).
            models.Index(
                fields=[
                    "registration",
                    "unit",
                    "decided_by",
                    "countersigned_by",
                    "method",
                    "assessed_on",
                ],
                name="decided_work_by_registration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}: unit {self.unit_id} by {self.decided_by_id}"


class Withdrawable(models.Model):
    """A record the assessor makes and may withdraw with a reason: kept, never deleted, with who
    withdrew it and when; only the records not withdrawn count (decision 52)."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["recorded_at", "pk"]

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class RequirementShown(Withdrawable):
    """An evidence requirement item (`EvidenceRequirement.items`, "5b") the assessor records as
    shown by the cited evidence of the learner's, on this unit (decision 52). The item is named
    by its reference, as the catalogue words it, so a reload of the catalogue keeps it."""

    reference = models.CharField(max_length=20)
    evidence = models.ManyToManyField(Evidence, related_name="+")

    class Meta(Withdrawable.Meta):
        indexes = [models.Index(fields=["registration", "unit"], name="requirement_shown_by_unit")]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "unit", "reference"],
                condition=Q(withdrawn_at__isnull=True),
                name="requirement_shown_once",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                name="requirement_withdrawal_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Evidence requirement {self.reference} shown"


class SufficiencyRecord(Withdrawable):
    """Toward a unit's sufficiency rule (`SufficiencyRule`, by its measure): an occasion or a
    customer, a piece of real-work evidence and a short description of it; or, for a rule with
    no minimum (a sufficient period), the assessor's judgement, a statement without evidence."""

    measure = models.CharField(max_length=10)
    evidence = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.TextField()

    class Meta(Withdrawable.Meta):
        indexes = [models.Index(fields=["registration", "unit"], name="sufficiency_record_by_unit")]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "unit", "measure", "evidence"],
                # A piece counts once toward occasions; it may show several customers, each
                # named once (decision 52, amended on 7 December 2026).
                condition=Q(withdrawn_at__isnull=True) & ~Q(measure="customers"),
                name="sufficiency_evidence_counted_once",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                name="sufficiency_withdrawal_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure}: {self.description}"
