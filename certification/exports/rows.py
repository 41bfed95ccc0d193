"""What the AO's files are made from, as plain rows: a learner as the AO registers them, a
registration, a unit claimed, a unit's completion. Read from the records in a fixed number of
queries per batch (`certification.exports.batch`); the formats (`formats.py`) only pick
columns from them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from portal.models import User
from portfolios.models import Registration


@dataclass(frozen=True)
class Learner:
    """A learner as every AO registers them (decision 22): legal names, date of birth, sex,
    postcode and ULN, with the name the portal shows and its own identifier for them."""

    identifier: str
    full_name: str
    legal_first_names: str
    legal_last_name: str
    date_of_birth: datetime.date | None
    sex: str
    postcode: str
    uln: str
    missing: tuple[str, ...]  # what every AO needs and the portal does not hold

    @classmethod
    def of(cls, user: User) -> Learner:
        return cls(
            identifier=f"QPL{user.pk:08d}",  # as certification.services.learner_identifier
            full_name=user.full_name,
            legal_first_names=user.legal_first_names,
            legal_last_name=user.legal_last_name,
            date_of_birth=user.date_of_birth,
            sex=user.sex,
            postcode=user.postcode,
            uln=user.uln,
            missing=tuple(user.identity_missing),
        )


@dataclass(frozen=True)
class Registered:
    """A registration as the AO's files need it."""

    pk: int
    learner: Learner
    centre_number: str
    qualification_number: str  # Ofqual's (or the CVQ code); the portal's code where none
    ao_number: str  # the AO's own number (City & Guilds 3412-01), blank where none
    qualification_title: str
    level: int
    ao_registration_number: str  # the AO's registration or candidate number
    funding: str  # "Funded", "Non-funded", or blank: not recorded
    start_date: datetime.date
    planned_end_date: datetime.date | None
    iqa: str

    @property
    def registration(self) -> Registered:
        """Itself: every row the formats take has its registration here, so a column reads a
        learner's details the same way from a registration as from a unit claimed."""
        return self

    @classmethod
    def of(cls, registration: Registration) -> Registered:
        qualification = registration.qualification
        return cls(
            pk=registration.pk,
            learner=Learner.of(registration.learner),
            centre_number=registration.centre.ao_centre_number,
            qualification_number=qualification.number or qualification.code,
            ao_number=qualification.ao_number,
            qualification_title=qualification.title,
            level=qualification.level,
            ao_registration_number=registration.ao_registration_number,
            funding=registration.get_funding_display() if registration.funding else "",
            start_date=registration.start_date,
            planned_end_date=registration.planned_end_date,
            iqa=registration.iqa.full_name if registration.iqa else "",
        )


@dataclass(frozen=True)
class UnitClaimed:
    """One unit of a certificate claimed, as its snapshot states it, with when it was achieved
    (the learner's countersignature of the sign-off) and who signed it off."""

    registration: Registered
    reference: str  # as the certificate prints it: the unit's reference, else its code
    ao_unit_number: str  # City & Guilds' unit number (208), blank where none
    title: str
    level: int | None
    credits: int | None
    achieved_on: datetime.date | None
    assessor: str
    certificate_number: str
    certificate_kind: str  # "Certificate" or "Unit certificate"
    claimed_on: datetime.date
    full: bool


@dataclass(frozen=True)
class UnitCompletion:
    """How complete one unit of a learner's portfolio is: each kind of item met (by a decision
    that counts) out of those the unit has, the evidence, the sign-off and IQA."""

    registration: Registered
    reference: str
    title: str
    criteria_met: int
    criteria: int
    range_met: int
    range_items: int
    knowledge_met: int
    knowledge_items: int
    evidence_items: int
    signed_off_on: datetime.date | None
    countersigned_on: datetime.date | None
    last_sampled_on: datetime.date | None
    last_verdict: str
    open_actions: int

    @property
    def complete(self) -> bool:
        """Every item met and the unit achieved (signed off and countersigned)."""
        return (
            self.criteria_met == self.criteria
            and self.range_met == self.range_items
            and self.knowledge_met == self.knowledge_items
            and self.countersigned_on is not None
        )
