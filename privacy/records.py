"""Everything the portal holds about one learner, found the same way for the subject-access
export and for anonymisation, so the two never disagree about what "their data" is."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Q, QuerySet

from assessment.models import Decision, RequirementShown, SufficiencyRecord, UnitSignOff
from certification.models import Certificate
from iqa.models import Action, IqaDocument, PlanItem, Sample
from portal.audit import REDACTED
from portal.models import AuditEntry, Centre, Invitation, Role, RoleKind, User
from portfolios.models import (
    Evidence,
    EvidenceComment,
    EvidenceFile,
    Mapping,
    PriorLearning,
    PriorLearningItem,
    QuestionSet,
    Registration,
    RegistrationUnit,
    WitnessRequest,
)
from privacy.logins import login_records, sessions_of

# Audit subjects that name a record belonging to one registration, by their prefix. Entries
# about plans or strategies concern many learners and are never taken as one learner's.
OWNED_SUBJECTS = (
    "registration",
    "evidence",
    "mapping",
    "witness_request",
    "question_set",
    "decision",
    "sign_off",
    "requirement_shown",
    "sufficiency_record",
    "prior_learning",
    "prior_learning_item",
    "sample",
    "action",
    "certificate",
)
T = TypeVar("T")
# SQLite allows 999 parameters in a query before 3.32: ask for subjects in slices.
SLICE = 500


def slices(values: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(values), SLICE):
        yield values[start : start + SLICE]


@dataclass(frozen=True)
class LearnerRecords:
    """A learner's records, all of them or those at one centre."""

    learner: User
    centre: Centre | None = None

    @property
    def registrations(self) -> QuerySet[Registration]:
        found = Registration.objects.filter(learner=self.learner)
        return found.filter(centre=self.centre) if self.centre else found

    @property
    def roles(self) -> QuerySet[Role]:
        found = Role.objects.filter(user=self.learner).select_related("centre")
        return found.filter(centre=self.centre) if self.centre else found

    @property
    def invitations(self) -> QuerySet[Invitation]:
        """Invitations they accepted, and any other sent to their address (withdrawn, expired,
        or to another role or centre): each holds their e-mail address and the name a centre
        gave them."""
        found = Invitation.objects.filter(
            Q(accepted_by=self.learner) | Q(email__iexact=self.learner.email)
        )
        return found.filter(centre=self.centre) if self.centre else found

    @property
    def units(self) -> QuerySet[RegistrationUnit]:
        return RegistrationUnit.objects.filter(registration__in=self.registrations)

    @property
    def evidence(self) -> QuerySet[Evidence]:
        return Evidence.objects.filter(registration__in=self.registrations)

    @property
    def files(self) -> QuerySet[EvidenceFile]:
        return EvidenceFile.objects.filter(registration__in=self.registrations)

    @property
    def mappings(self) -> QuerySet[Mapping]:
        return Mapping.objects.filter(evidence__registration__in=self.registrations)

    @property
    def comments(self) -> QuerySet[EvidenceComment]:
        """The conversations on their evidence: their words and their assessor's."""
        return EvidenceComment.objects.filter(evidence__registration__in=self.registrations)

    @property
    def witness_requests(self) -> QuerySet[WitnessRequest]:
        return WitnessRequest.objects.filter(registration__in=self.registrations)

    @property
    def question_sets(self) -> QuerySet[QuestionSet]:
        """Questions their assessor set them, with their answers (decision 42)."""
        return QuestionSet.objects.filter(registration__in=self.registrations)

    @property
    def decisions(self) -> QuerySet[Decision]:
        return Decision.objects.filter(registration__in=self.registrations)

    @property
    def sign_offs(self) -> QuerySet[UnitSignOff]:
        return UnitSignOff.objects.filter(registration__in=self.registrations)

    @property
    def requirements_shown(self) -> QuerySet[RequirementShown]:
        """Evidence requirement items their assessor recorded as shown (decision 52)."""
        return RequirementShown.objects.filter(registration__in=self.registrations)

    @property
    def sufficiency_records(self) -> QuerySet[SufficiencyRecord]:
        """Occasions, customers and periods their assessor recorded toward sufficiency: the
        descriptions name third parties (a customer, what happened to them)."""
        return SufficiencyRecord.objects.filter(registration__in=self.registrations)

    @property
    def prior_learning(self) -> QuerySet[PriorLearning]:
        """Units met through RPL or exempt, with what they learned or achieved before."""
        return PriorLearning.objects.filter(registration__in=self.registrations)

    @property
    def prior_learning_items(self) -> QuerySet[PriorLearningItem]:
        """Criteria (or range and knowledge items) met through RPL (decision 54)."""
        return PriorLearningItem.objects.filter(registration__in=self.registrations)

    @property
    def plan_items(self) -> QuerySet[PlanItem]:
        return PlanItem.objects.filter(registration__in=self.registrations)

    @property
    def samples(self) -> QuerySet[Sample]:
        return Sample.objects.filter(registration__in=self.registrations)

    @property
    def actions(self) -> QuerySet[Action]:
        return Action.objects.filter(sample__registration__in=self.registrations)

    @property
    def certificates(self) -> QuerySet[Certificate]:
        return Certificate.objects.filter(registration__in=self.registrations)

    @property
    def iqa_documents(self) -> QuerySet[IqaDocument]:
        """PDFs that name the learner: their samples' reports, and the sampling records of
        plans they are in (which name every learner planned)."""
        plans = self.plan_items.values("plan_id")
        return IqaDocument.objects.filter(Q(sample__in=self.samples) | Q(plan__in=plans))

    @property
    def login_records(self) -> list[QuerySet[Any]]:
        """django-axes' rows for attempts under their address. They are the portal's records,
        not a centre's: none for one centre's part."""
        found = login_records(self.learner.email)
        return [rows.none() for rows in found] if self.centre else found

    def session_keys(self) -> list[str]:
        """Their sessions' keys (each session is read to find them). Sessions, like login
        records, are the portal's: none for one centre's part."""
        if self.centre:
            return []
        return sessions_of([self.learner.pk]).get(self.learner.pk, [])

    @property
    def centre_ids(self) -> list[int]:
        """Every centre their records are at, including centres that only invited them: each
        is an audit chain their entries can be in."""
        ids = set(self.registrations.values_list("centre_id", flat=True))
        ids |= set(self.invitations.values_list("centre_id", flat=True))
        return sorted(ids | {r.centre_id for r in self.roles})

    def subjects(self) -> set[str]:
        """The audit subjects of every record of theirs that still exists, and their own."""
        rows: list[tuple[str, Iterable[int]]] = [
            ("registration", self.registrations.values_list("pk", flat=True)),
            ("evidence", self.evidence.values_list("pk", flat=True)),
            ("mapping", self.mappings.values_list("pk", flat=True)),
            ("witness_request", self.witness_requests.values_list("pk", flat=True)),
            ("question_set", self.question_sets.values_list("pk", flat=True)),
            ("decision", self.decisions.values_list("pk", flat=True)),
            ("sign_off", self.sign_offs.values_list("pk", flat=True)),
            ("requirement_shown", self.requirements_shown.values_list("pk", flat=True)),
            ("sufficiency_record", self.sufficiency_records.values_list("pk", flat=True)),
            ("prior_learning", self.prior_learning.values_list("pk", flat=True)),
            ("prior_learning_item", self.prior_learning_items.values_list("pk", flat=True)),
            ("sample", self.samples.values_list("pk", flat=True)),
            ("action", self.actions.values_list("pk", flat=True)),
            ("certificate", self.certificates.values_list("pk", flat=True)),
            ("invitation", self.invitations.values_list("pk", flat=True)),
        ]
        found = {f"{kind}:{pk}" for kind, ids in rows for pk in ids}
        return found | {f"user:{self.learner.pk}"}

    def chains(self) -> Q:
        """The audit chains their entries can be in: their centres' and the portal's own (which
        holds everything written before chains were per centre)."""
        return Q(centre__isnull=True) | Q(centre_id__in=self.centre_ids)

    def audit_entries(self) -> list[AuditEntry]:
        """Every audit entry about them, oldest first: about their records (including records
        since removed, such as deleted evidence, found through the registration the entry
        names) or made by them. With a centre, those of that centre's records only."""
        registrations = list(self.registrations.values_list("pk", flat=True))
        naming = AuditEntry.objects.filter(self.chains()).filter(
            Q(before__registration__in=registrations) | Q(after__registration__in=registrations)
        )
        subjects = self.subjects() | {
            subject
            for subject in naming.values_list("subject", flat=True)
            if subject.split(":")[0] in OWNED_SUBJECTS
        }
        ids = set(naming.values_list("pk", flat=True))
        for part in slices(sorted(subjects)):
            ids.update(AuditEntry.objects.filter(subject__in=part).values_list("pk", flat=True))
        acted = AuditEntry.objects.filter(actor=self.learner)
        if self.centre is not None:
            acted = acted.filter(centre=self.centre)
        ids.update(acted.values_list("pk", flat=True))
        found = AuditEntry.objects.filter
        entries = [e for part in slices(sorted(ids)) for e in found(pk__in=part)]
        return sorted(entries, key=lambda e: e.pk)

    def entries_to_redact(self) -> list[AuditEntry]:
        """Their entries, without the seals and reports the data-protection commands wrote
        (which hold no personal data and must stay as they are)."""
        return [
            e
            for e in self.audit_entries()
            if e.action != REDACTED and not e.action.startswith("privacy.")
        ]


def holds_staff_role(user: User) -> bool:
    return user.is_staff or user.is_superuser or user.roles.exclude(kind=RoleKind.LEARNER).exists()
