"""What every stage of one centre's generation shares: the batch being filled, the clock, the
random source, the centre's people and what each learner's story left for the later stages."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from home.load_data.catalogue import Item, QualificationInfo
from home.load_data.layout import CentrePlan
from home.load_data.writer import Batch
from portfolios.uploads import inspect


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    trainee: bool = False


@dataclass
class DecisionMade:
    """One decision as it ends up (the row is written once the learner's story is told, since
    a later decision can supersede it and a countersignature can confirm it)."""

    id: int
    item: Item
    outcome: str
    method: str
    feedback: str
    decided_by: int
    at: datetime
    evidence: int
    provisional: bool
    countersigned_by: int | None = None
    countersigned_at: datetime | None = None
    current: bool = True

    def summary(self, registration: int) -> dict[str, object]:
        """What the audit log keeps of a decision (the keys of `assessment.services.summary`)."""
        ids: list[int | None] = [None, None, None]
        ids[self.item.kind] = self.item.id
        return {
            "registration": registration,
            "criterion": ids[0],
            "range_item": ids[1],
            "knowledge_item": ids[2],
            "outcome": self.outcome,
            "provisional": self.provisional,
            "decided_by": self.decided_by,
            "evidence": [self.evidence],
            "feedback": self.feedback,
        }

    def counts_at(self, when: datetime) -> bool:
        """Met, and not waiting for a countersignature at that moment."""
        if self.outcome != "met":
            return False
        return not self.provisional or (
            self.countersigned_at is not None and self.countersigned_at <= when
        )


@dataclass(frozen=True)
class SignOffMade:
    id: int
    unit: int
    at: datetime
    learner_at: datetime | None


@dataclass
class LearnerStory:
    """A learner's registration and what happened on it, for the IQA and claim stages."""

    k: int
    stage: str
    user: Person
    registration: int
    qualification: QualificationInfo
    units: tuple[str, ...]
    assessor: Person
    iqa: Person
    decisions: list[DecisionMade] = field(default_factory=list)
    sign_offs: dict[int, SignOffMade] = field(default_factory=dict)

    def achieved_units(self) -> list[int]:
        return [s.unit for s in self.sign_offs.values() if s.learner_at is not None]

    def finished_at(self) -> datetime | None:
        signed = [s.learner_at for s in self.sign_offs.values() if s.learner_at is not None]
        return max(signed) if signed else None


@dataclass(frozen=True)
class FileContent:
    content: bytes
    sha256: str
    size: int
    content_type: str


@dataclass
class CentreContext:
    batch: Batch
    rng: random.Random
    now: datetime
    centre_id: int
    plan: CentrePlan
    password_hash: str
    qualifications: list[QualificationInfo]
    admin: Person = Person(0, "")
    assessors: dict[int, Person] = field(default_factory=dict)
    iqas: dict[int, Person] = field(default_factory=dict)
    stories: list[LearnerStory] = field(default_factory=list)
    contents: dict[int, FileContent] = field(default_factory=dict)

    def days_ago(self, low: float, high: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low, high))

    def content(self, n: int) -> FileContent:
        """The n-th evidence file of a portfolio: the same bytes in every portfolio, different
        from its other files (a portfolio holds a file once)."""
        if n not in self.contents:
            text = EVIDENCE_TEXT.format(n=n).encode()
            # Checked as an upload is: its type read from the content, its hash and size.
            facts = inspect(SimpleUploadedFile(f"evidence-{n}.txt", text))
            self.contents[n] = FileContent(text, facts.sha256, facts.size, facts.content_type)
        return self.contents[n]


EVIDENCE_TEXT = """Evidence {n} of this portfolio (load-test data)

What I did: I handled the customer's request from start to finish, kept a note of what they
asked for, what I did about it and what I promised, and checked back with them afterwards.
What I learnt: listening before answering saves time later; writing down what was promised
means the next colleague can keep the promise.
"""
