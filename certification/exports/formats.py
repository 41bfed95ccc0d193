"""The files an awarding organisation's results entry takes, one layout per AO family.

None of the AOs' own column layouts is in the portal's sources (the seeds name City & Guilds'
Walled Garden and "results entry", CXC's achievement sheets and portfolio completion records,
and the issue gives Pearson's name limits and City & Guilds' funded flag, but no template). So
each layout here is the portal's own, named plainly and documented column by column with where
each value comes from (docs/ao-exports.md, generated from `FORMATS`), one row per learner or
per unit as the AO's process is described; none pretends to be an AO's official template.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from certification.exports.rows import Registered, UnitClaimed, UnitCompletion
from portal.spreadsheets import Cell
from qualifications.models import Qualification


class Family(models.TextChoices):
    """Which layouts an AO's qualifications are exported in."""

    OFQUAL = "ofqual", "Ofqual-regulated, Pearson-style"
    CITY_AND_GUILDS = "city-and-guilds", "City & Guilds"
    CVQ = "cvq", "Caribbean Vocational Qualification (CXC)"


# By the AO's code in the catalogue; any other AO (ProQual, SFJ Awards) or none: Ofqual's
# family, the layout of the bulk registration and results files Pearson's limits come from.
# The certificate's snapshot tells a CVQ the same way (certification.services.snapshot_of).
FAMILY_OF_AO = {"city-and-guilds": Family.CITY_AND_GUILDS, "tvet-council": Family.CVQ}


def family_of(qualification: Qualification) -> Family:
    ao = qualification.awarding_organisation
    return FAMILY_OF_AO.get(ao.code, Family.OFQUAL) if ao else Family.OFQUAL


class Format(models.TextChoices):
    REGISTRATIONS = "registrations", "Registrations (Pearson-style: one row per learner)"
    RESULTS = "results", "Unit results (Pearson-style: one row per unit claimed)"
    CG_RESULTS = "cg-results", "City & Guilds results entry (one row per unit claimed)"
    CVQ_ACHIEVEMENT = "cvq-achievement", "CVQ candidates' achievement sheet (one row per unit)"
    CVQ_COMPLETION = "cvq-completion", "CVQ portfolio completion record (one row per unit)"


FORMATS_OF = {
    Family.OFQUAL: (Format.REGISTRATIONS, Format.RESULTS),
    Family.CITY_AND_GUILDS: (Format.CG_RESULTS,),
    Family.CVQ: (Format.CVQ_ACHIEVEMENT, Format.CVQ_COMPLETION),
}


def day(value: datetime.date | None) -> str:
    """Dates as day/month/year, as UK and Caribbean spreadsheets read them."""
    return value.strftime("%d/%m/%Y") if value else ""


@dataclass(frozen=True)
class Column:
    header: str
    source: str  # where the value comes from, for docs/ao-exports.md
    value: Callable[[Any], Cell]


def learner_columns(*, sex: bool) -> list[Column]:
    named = [
        Column("Surname", "legal last name (`User.legal_last_name`, at most 30 characters)",
               lambda r: r.registration.learner.legal_last_name),
        Column("First name(s)", "legal first name(s) (`User.legal_first_names`, at most 20)",
               lambda r: r.registration.learner.legal_first_names),
        Column("Date of birth", "`User.date_of_birth`, day/month/year",
               lambda r: day(r.registration.learner.date_of_birth)),
    ]  # fmt: skip
    if sex:
        named.append(Column("Sex", "`User.sex`: M or F", lambda r: r.registration.learner.sex))
    return named


CENTRE = Column(
    "Centre number", "the AO's number for the centre (`Centre.ao_centre_number`)",
    lambda r: r.registration.centre_number,
)  # fmt: skip
AO_REGISTRATION = Column(
    "AO registration number", "the AO's number for the registration "
    "(`Registration.ao_registration_number`), blank if not registered yet",
    lambda r: r.registration.ao_registration_number,
)  # fmt: skip
ULN = Column("ULN", "`User.uln`, blank where none is held", lambda r: r.registration.learner.uln)
QUALIFICATION = Column(
    "Qualification number",
    "Ofqual's number (`Qualification.number`); the portal's code where there is none",
    lambda r: r.registration.qualification_number,
)  # fmt: skip
CERTIFICATE = Column(
    "Certificate number", "the portal's certificate that claimed it (`Certificate.number`)",
    lambda r: r.certificate_number,
)  # fmt: skip
ACHIEVED = Column(
    "Date achieved", "when the learner countersigned the unit's sign-off "
    "(`UnitSignOff.learner_signed_at`), day/month/year", lambda r: day(r.achieved_on),
)  # fmt: skip
UNIT_TITLE = Column("Unit title", "as the certificate states it", lambda r: r.title)
CANDIDATE = Column(
    "Candidate number", "CXC's candidate number (`Registration.ao_registration_number`)",
    lambda r: r.registration.ao_registration_number,
)  # fmt: skip
CVQ_CODE = Column(
    "CVQ code", "`Qualification.number` (CCA010-02)", lambda r: r.registration.qualification_number
)
CVQ_UNIT = Column("Unit code", "the unit's code as printed (U09602)", lambda r: r.reference)

REGISTRATION_COLUMNS = [
    CENTRE,
    QUALIFICATION,
    *learner_columns(sex=True),
    Column("Postcode", "`User.postcode`", lambda r: r.registration.learner.postcode),
    ULN,
    Column("Start date", "`Registration.start_date`", lambda r: day(r.registration.start_date)),
    Column("Planned end date", "`Registration.planned_end_date`",
           lambda r: day(r.registration.planned_end_date)),
    AO_REGISTRATION,
    Column("Centre learner reference", "the portal's learner identifier, as on certificates",
           lambda r: r.registration.learner.identifier),
]  # fmt: skip

RESULTS_COLUMNS = [
    CENTRE,
    AO_REGISTRATION,
    ULN,
    *learner_columns(sex=False),
    QUALIFICATION,
    Column("Unit reference", "the unit's reference as the certificate prints it (URN)",
           lambda r: r.reference),
    UNIT_TITLE,
    Column("Unit level", "as the certificate states it", lambda r: r.level),
    Column("Unit credits", "as the certificate states it", lambda r: r.credits),
    Column("Result", "Pass: every unit claimed is achieved (the qualifications are pass/fail)",
           lambda r: "Pass"),
    ACHIEVED,
    Column("Claim", "Full (the qualification) or Unit (a unit certificate)",
           lambda r: "Full" if r.full else "Unit"),
    CERTIFICATE,
    Column("Claimed on", "`Certificate.issued_at`, day/month/year", lambda r: day(r.claimed_on)),
]  # fmt: skip

CG_RESULTS_COLUMNS = [
    CENTRE,
    AO_REGISTRATION,
    ULN,
    *learner_columns(sex=False),
    Column("Qualification", "City & Guilds' number (`Qualification.ao_number`, 3412-03)",
           lambda r: r.registration.ao_number),
    Column("Accreditation number", "Ofqual's number (`Qualification.number`)",
           lambda r: r.registration.qualification_number),
    Column("Unit number", "City & Guilds' unit number (`Unit.ao_unit_number`, 208)",
           lambda r: r.ao_unit_number),
    Column("Unit reference", "the unit's reference as printed (UAN)", lambda r: r.reference),
    UNIT_TITLE,
    Column("Result", "Pass", lambda r: "Pass"),
    ACHIEVED,
    Column("Funding", "Funded or Non-funded (`Registration.funding`): every row has one",
           lambda r: r.registration.funding),
    CERTIFICATE,
]  # fmt: skip

CVQ_ACHIEVEMENT_COLUMNS = [
    CENTRE,
    CANDIDATE,
    *learner_columns(sex=True),
    CVQ_CODE,
    Column("CVQ title", "`Qualification.title`", lambda r: r.registration.qualification_title),
    Column("CVQ level", "`Qualification.level`", lambda r: r.registration.level),
    CVQ_UNIT,
    UNIT_TITLE,
    ACHIEVED,
    Column("Assessor", "who signed the unit off (`UnitSignOff.signed_by`)", lambda r: r.assessor),
    Column("Internal verifier", "the registration's IQA (`Registration.iqa`)",
           lambda r: r.registration.iqa),
    Column("Award claimed", "CVQ (the full award) or Statement of competence (units)",
           lambda r: "CVQ" if r.full else "Statement of competence"),
    CERTIFICATE,
]  # fmt: skip


def of_items(met: str, total: str) -> Callable[[UnitCompletion], str]:
    return lambda r: f"{getattr(r, met)} of {getattr(r, total)}"


CVQ_COMPLETION_COLUMNS = [
    CANDIDATE,
    *learner_columns(sex=False)[:2],
    CVQ_CODE,
    CVQ_UNIT,
    UNIT_TITLE,
    Column("Performance criteria met", "criteria met by a decision that counts, of the unit's",
           of_items("criteria_met", "criteria")),
    Column("Range covered", "range items met, of the unit's", of_items("range_met", "range_items")),
    Column("Underpinning knowledge", "knowledge items met, of the unit's",
           of_items("knowledge_met", "knowledge_items")),
    Column("Evidence items", "evidence items mapped to the unit (mappings not rejected)",
           lambda r: r.evidence_items),
    Column("Signed off on", "the assessor's sign-off (`UnitSignOff.signed_at`)",
           lambda r: day(r.signed_off_on)),
    Column("Candidate countersigned on", "`UnitSignOff.learner_signed_at`",
           lambda r: day(r.countersigned_on)),
    Column("Last IQA sample", "the latest IQA sample of the unit (`Sample.sampled_at`)",
           lambda r: day(r.last_sampled_on)),
    Column("IQA verdict", "that sample's verdict", lambda r: r.last_verdict),
    Column("Open IQA actions", "actions of the unit's samples not closed",
           lambda r: r.open_actions),
    Column("Complete", "Yes when every item is met and the unit is achieved",
           lambda r: "Yes" if r.complete else "No"),
]  # fmt: skip


@dataclass(frozen=True)
class Layout:
    format: Format
    slug: str  # in the file's name
    per: str  # what one row is
    selects: str  # which learners or units the batch takes
    columns: list[Column]

    def row(self, item: Registered | UnitClaimed | UnitCompletion) -> list[Cell]:
        return [column.value(item) for column in self.columns]

    @property
    def header(self) -> list[str]:
        return [column.header for column in self.columns]


CLAIMED = (
    "certificates of the qualification claimed at the centre between the two dates, neither "
    "revoked nor replacements; a unit on two of them (a unit certificate, then the full one) "
    "once, from the later"
)
FORMATS = {
    Format.REGISTRATIONS: Layout(
        Format.REGISTRATIONS, "registrations", "learner",
        "the centre's registrations on the qualification made between the two dates, "
        "not withdrawn", REGISTRATION_COLUMNS,
    ),
    Format.RESULTS: Layout(Format.RESULTS, "results", "unit claimed", CLAIMED, RESULTS_COLUMNS),
    Format.CG_RESULTS: Layout(
        Format.CG_RESULTS, "results-entry", "unit claimed", CLAIMED, CG_RESULTS_COLUMNS
    ),
    Format.CVQ_ACHIEVEMENT: Layout(
        Format.CVQ_ACHIEVEMENT, "achievement-sheet", "unit claimed", CLAIMED,
        CVQ_ACHIEVEMENT_COLUMNS,
    ),
    Format.CVQ_COMPLETION: Layout(
        Format.CVQ_COMPLETION, "portfolio-completion", "unit chosen",
        "every unit chosen by the learners who have a certificate in the batch above",
        CVQ_COMPLETION_COLUMNS,
    ),
}  # fmt: skip
