"""Recognition of prior learning (RPL) and exemptions recorded on a registration (decision 50).

A unit of the learner's plan may be met by what they learned or achieved before coming here:

- **RPL**: the unit's assessor (a qualified one) agrees the prior learning meets the unit; the
  unit is achieved, counts with its credit and is flagged RPL wherever the rules engine speaks;
- **exemption**: a centre admin records that the learner is exempt (a prior award the
  awarding organisation accepts in its place); the unit satisfies its requirement and earns no
  credit, as the engine has it (DOMAIN.md, rules of combination item 7).

Each rests on a description of the prior learning and, for RPL always, a piece of evidence in
the portfolio (chosen, or a file uploaded here through the evidence upload path). Never deleted:
withdrawn with a reason, refused while a certificate in force lists the unit. Every write takes
the centre's chain and the learner's registration, is audited, and marks the kept claim
readiness stale.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_append, lock_chain
from portal.compiled import compiled_once
from portal.models import NotificationKind, Role, RoleKind, User
from portal.notifications import Notice, notify
from portal.refusals import Refused
from portfolios.evidence import (
    EvidenceDetails,
    EvidenceRejected,
    Inspected,
    check_files,
    evidence_store,
)
from portfolios.models import (
    Evidence,
    EvidenceMethod,
    PriorLearning,
    PriorLearningItem,
    PriorLearningKind,
    Registration,
)
from portfolios.readiness import readiness_changed
from qualifications.models import Criterion, KnowledgeItem, RangeItem
from qualifications.rules import Route, Rules, Verdict, evaluate, shortest_route

NOT_THE_UNITS_ASSESSOR = (
    "Only a qualified assessor who assesses this unit for the learner can agree RPL for it."
)
NOT_THE_CENTRE_ADMIN = "Only a centre admin of the learner's centre can record an exemption."
NOT_ALLOWED_TO_WITHDRAW = (
    "Only a centre admin of the learner's centre, or the assessor of the unit for RPL, can "
    "withdraw it."
)
NOT_IN_PLAN = "{unit} is not in this learner's units: add it to their plan first."
ALREADY_RECORDED = "{unit} is already {what} for this learner: withdraw that first."
ALREADY_SIGNED_OFF = (
    "{unit} is signed off already: it is achieved by assessment and needs no prior learning."
)
EVIDENCE_NEEDED = (
    "RPL rests on evidence of the prior learning: choose it from the portfolio or upload a copy "
    "of the certificate."
)
ONE_EVIDENCE = "Choose evidence from the portfolio or upload a file, not both."
EVIDENCE_ELSEWHERE = "The evidence must be from this learner's portfolio."
EVIDENCE_GONE = "The learner removed this evidence a moment ago: choose another or upload a copy."
DESCRIPTION_NEEDED = (
    "Describe the prior learning: the certificate or course, who awarded it and what it covered."
)
EXEMPTION_BASIS_NEEDED = (
    "Say which award exempts the learner: the qualification or unit they hold, who awarded it "
    "and its certificate number."
)
EXEMPTION_NO_EVIDENCE = (
    "An exemption rests on the award named, not on evidence of prior learning: leave the "
    "evidence out (RPL is recorded by the unit's assessor)."
)
DATE_IN_FUTURE = "The date cannot be in the future: give the day the prior learning was achieved."
# No lower bound let 0001-01-01 through (review of issue 20): nothing is achieved before the
# learner was born, and the portal records no learning before 1900.
EARLIEST_DATE = datetime.date(1900, 1, 1)
DATE_TOO_EARLY = "The date cannot be before 1900: give the day the prior learning was achieved."
DATE_BEFORE_BIRTH = (
    "The date cannot be before the learner's date of birth, {born:%-d %B %Y}: give the day the "
    "prior learning was achieved."
)
REASON_NEEDED = "Say why it is withdrawn: the reason is kept with its history."
ALREADY_WITHDRAWN = "This was already withdrawn."
CERTIFIED = (
    "{unit} is on certificate {number}, which is in force: it cannot be withdrawn unless the "
    "certificate is revoked."
)


class PriorLearningRefused(Refused):
    """RPL or an exemption that cannot be recorded or withdrawn as asked."""

    def __init__(self, messages: str | Sequence[str], fields: dict[str, str] | None = None):
        super().__init__(messages)
        self.fields = fields or {}


@dataclass(frozen=True)
class PriorStanding:
    """The unit codes a registration holds through RPL, and those it is exempt from: what
    the rules engine is given beside the units signed off (`evaluate(..., rpl=, exempt=)`)."""

    rpl: frozenset[str] = field(default_factory=frozenset)
    exempt: frozenset[str] = field(default_factory=frozenset)


NONE = PriorStanding()


def prior_learning_of(registration_ids: Iterable[int]) -> dict[int, PriorStanding]:
    """Each registration's RPL and exemptions in force, by registration id: one query."""
    found: dict[int, tuple[set[str], set[str]]] = {}
    rows = (
        PriorLearning.objects.in_force()
        .filter(registration__in=list(registration_ids))
        .values_list("registration_id", "kind", "unit__code")
    )
    for registration_id, kind, code in rows:
        rpl, exempt = found.setdefault(registration_id, (set(), set()))
        (rpl if kind == PriorLearningKind.RPL else exempt).add(code)
    return {pk: PriorStanding(frozenset(r), frozenset(e)) for pk, (r, e) in found.items()}


def standing_from(records: Iterable[PriorLearning]) -> PriorStanding:
    """The standing of one registration from its records already read (`records_of`)."""
    held = [r for r in records if r.in_force]
    return PriorStanding(
        frozenset(r.unit.code for r in held if r.kind == PriorLearningKind.RPL),
        frozenset(r.unit.code for r in held if r.kind == PriorLearningKind.EXEMPTION),
    )


def standing_of(registration: Registration | int) -> PriorStanding:
    pk = registration if isinstance(registration, int) else registration.pk
    return prior_learning_of([pk]).get(pk, NONE)


@dataclass(frozen=True)
class PriorDetails:
    unit_id: int
    description: str
    achieved_on: datetime.date
    evidence: Evidence | None = None
    files: Sequence[UploadedFile] = ()


def units_assessed_by(actor: User, registration: Registration) -> set[int]:
    """The planned units (their ids) `actor` assesses for the learner as a qualified (not
    trainee) assessor at the centre: the unit's own assessor, else the registration's
    (decision 39). A trainee's judgement is countersigned; RPL is agreed by a qualified one."""
    qualified = Role.objects.filter(
        user=actor, centre_id=registration.centre_id, kind=RoleKind.ASSESSOR, is_trainee=False
    ).exists()
    if not qualified:
        return set()
    return {unit for unit, who in registration.unit_assessors().items() if who == actor.pk}


def is_qualified_assessor_of(actor: User, registration: Registration, unit_id: int) -> bool:
    return unit_id in units_assessed_by(actor, registration)


def may_withdraw(actor: User, record: PriorLearning) -> bool:
    """A centre admin withdraws either kind; the unit's qualified assessor, RPL too."""
    registration = record.registration
    return is_centre_admin(actor, registration) or (
        record.kind == PriorLearningKind.RPL
        and is_qualified_assessor_of(actor, registration, record.unit_id)
    )


def is_centre_admin(actor: User, registration: Registration) -> bool:
    return Role.objects.filter(
        user=actor, centre_id=registration.centre_id, kind=RoleKind.CENTRE_ADMIN
    ).exists()


def rpl_record(*, registration: Registration, details: PriorDetails, actor: User) -> PriorLearning:
    """The unit's assessor agrees the learner's prior learning meets the whole unit: the unit is
    achieved through RPL (with its credit) from now on."""
    if not is_qualified_assessor_of(actor, registration, details.unit_id):
        raise PermissionDenied(NOT_THE_UNITS_ASSESSOR)
    return _record(registration, details, PriorLearningKind.RPL, actor)


def exemption_record(
    *, registration: Registration, details: PriorDetails, actor: User
) -> PriorLearning:
    """A centre admin records that the learner is exempt from a unit of their plan: it satisfies
    its requirement (a mandatory unit, a number of units) and earns no credit."""
    if not is_centre_admin(actor, registration):
        raise PermissionDenied(NOT_THE_CENTRE_ADMIN)
    return _record(registration, details, PriorLearningKind.EXEMPTION, actor)


def _problems(registration: Registration, details: PriorDetails, kind: str) -> dict[str, list[str]]:
    """What is wrong with the form's facts, by the field each is about."""
    found: dict[str, list[str]] = {}
    rpl = kind == PriorLearningKind.RPL
    if not details.description.strip():
        found.setdefault("description", []).append(
            DESCRIPTION_NEEDED if rpl else EXEMPTION_BASIS_NEEDED
        )
    if details.achieved_on > timezone.localdate():
        found.setdefault("achieved_on", []).append(DATE_IN_FUTURE)
    elif details.achieved_on < EARLIEST_DATE:
        found.setdefault("achieved_on", []).append(DATE_TOO_EARLY)
    else:
        born = registration.learner.date_of_birth
        if born is not None and details.achieved_on < born:
            found.setdefault("achieved_on", []).append(DATE_BEFORE_BIRTH.format(born=born))
    if not rpl and (details.evidence is not None or details.files):
        found.setdefault("evidence", []).append(EXEMPTION_NO_EVIDENCE)
    elif details.evidence is not None and details.files:
        found.setdefault("evidence", []).append(ONE_EVIDENCE)
    if kind == PriorLearningKind.RPL and details.evidence is None and not details.files:
        found.setdefault("evidence", []).append(EVIDENCE_NEEDED)
    return found


def _refused(found: dict[str, list[str]]) -> PriorLearningRefused:
    messages = [m for ms in found.values() for m in ms]
    return PriorLearningRefused(messages, {m: f for f, ms in found.items() for m in ms})


def _checked_evidence(
    registration: Registration, details: PriorDetails, found: dict[str, list[str]]
) -> list[Inspected]:
    """The evidence of the prior learning checked, before any lock: a piece of the learner's
    own portfolio, and files of a kind the portfolio takes (read once, here). Refuses with
    everything `found` wrong so far and these; returns the files as inspected."""
    if details.evidence is not None and details.evidence.registration_id != registration.pk:
        found.setdefault("evidence", []).append(EVIDENCE_ELSEWHERE)
    inspected: list[Inspected] = []
    if details.files and not found:
        try:
            inspected = check_files(registration, details.files)
        except EvidenceRejected as rejected:
            found.setdefault("evidence_files", []).extend(rejected.messages)
    if found:
        raise _refused(found)
    return inspected


def _record(
    registration: Registration, details: PriorDetails, kind: str, actor: User
) -> PriorLearning:
    found = _problems(registration, details, kind)
    inspected = _checked_evidence(registration, details, found)
    with transaction.atomic():
        lock_chain(registration.centre_id)
        locked = Registration.objects.lock(registration, refused=PriorLearningRefused)
        unit = _planned_unit(locked, details.unit_id)
        _refuse_taken(locked, details.unit_id, unit)
        rpl = kind == PriorLearningKind.RPL
        if rpl:
            # With the evidence chosen: assessment refuses simulated performance evidence where
            # the unit's rules forbid simulation (decision 52, amended on 7 December 2026).
            rpl_agreeing.send(
                sender=PriorLearning,
                registration=locked,
                unit_id=details.unit_id,
                actor=actor,
                evidence_id=details.evidence.pk if details.evidence is not None else None,
            )
        evidence = _evidence_of(locked, details, unit, inspected, actor)
        record = PriorLearning.objects.create(
            registration=locked,
            unit_id=details.unit_id,
            kind=kind,
            description=details.description.strip(),
            achieved_on=details.achieved_on,
            evidence=evidence,
            agreed_by=actor,
            agreed_at=timezone.now(),
        )
        audit_append(
            actor=actor,
            action="prior_learning.rpl_recorded" if rpl else "prior_learning.exemption_recorded",
            centre_id=registration.centre_id,
            subject=f"prior_learning:{record.pk}",
            after=_facts(record),
        )
        readiness_changed(locked)
        _tell_the_learner(record, unit, locked)
    return record


def _evidence_of(
    registration: Registration,
    details: PriorDetails,
    unit: str,
    inspected: list[Inspected],
    actor: User,
) -> Evidence | None:
    """Under the registration's lock: the evidence chosen, marked judged (agreed on, so the
    learner can no longer change or remove it; their removing it a moment ago, under the same
    chain, is seen here), or the files uploaded, stored as evidence of method RPL."""
    evidence = details.evidence
    if evidence is not None:
        judged = Evidence.objects.filter(pk=evidence.pk, judged_at__isnull=True)
        judged.update(judged_at=timezone.now())
        if not Evidence.objects.filter(pk=evidence.pk).exists():
            raise PriorLearningRefused(EVIDENCE_GONE, {EVIDENCE_GONE: "evidence"})
    if details.files:
        evidence = evidence_store(
            registration,
            EvidenceDetails(
                title=f"Prior learning: {unit}"[:200],
                occurred_on=details.achieved_on,
                method=EvidenceMethod.RPL,
                description=details.description.strip(),
            ),
            details.files,
            inspected,
            actor,
            action="evidence.prior_learning",
        )
    return evidence


# Sent under the chain and the registration's lock before RPL (a unit's or an item's) is
# agreed, with `registration`, `unit_id`, `actor` and `evidence_id` (the evidence chosen, or
# None), and for items also `items` (their keys; a unit's RPL, sent by `PriorLearning`, is for
# every item of the unit): a floor above that knows more of who may
# judge competence (the competence register, decision 49) or what the unit's rules allow
# (simulation, decision 51), both read by assessment, refuses by raising
# `PriorLearningRefused`. Decision 54, and 52 amended.
rpl_agreeing = Signal()


def _planned_unit(registration: Registration, unit_id: int) -> str:
    planned = registration.planned_units.filter(unit_id=unit_id).select_related("unit").first()
    if planned is None:
        raise PriorLearningRefused(NOT_IN_PLAN.format(unit=f"Unit {unit_id}"), {})
    return f"{planned.unit.code} {planned.unit.title}"


def _refuse_taken(registration: Registration, unit_id: int, unit: str) -> None:
    """Under the registration's lock: no record in force for the unit, and no sign-off in force
    (the assessment app's, read through its reverse relation)."""
    there = PriorLearning.objects.in_force().filter(registration=registration, unit_id=unit_id)
    kind = there.values_list("kind", flat=True).first()
    if kind is not None:
        what = "achieved through RPL" if kind == PriorLearningKind.RPL else "exempt"
        raise PriorLearningRefused(ALREADY_RECORDED.format(unit=unit, what=what), {})
    signed = registration.sign_offs.filter(unit_id=unit_id, unlocked_at__isnull=True)  # type: ignore[attr-defined]
    if signed.exists():
        raise PriorLearningRefused(ALREADY_SIGNED_OFF.format(unit=unit), {})


def _facts(record: PriorLearning) -> dict[str, object]:
    return {
        "registration": record.registration_id,
        "unit": record.unit_id,
        "kind": record.kind,
        "description": record.description,
        "achieved_on": record.achieved_on.isoformat(),
        "evidence": record.evidence_id,
    }


def _tell_the_learner(record: PriorLearning, unit: str, registration: Registration) -> None:
    """The learner hears that a unit is achieved through RPL as they hear of a sign-off;
    an exemption is the centre's administration and tells nobody."""
    if record.kind != PriorLearningKind.RPL:
        return
    notify(
        [
            Notice(
                recipient_id=registration.learner_id,
                kind=NotificationKind.UNIT_SIGNED_OFF,
                key=f"prior_learning:{record.pk}",
                text=f"Your assessor agreed your prior learning for {unit}: the unit is "
                "achieved through recognition of prior learning (RPL).",
                link=reverse("portfolios:registration-detail", args=[registration.pk]),
                centre_id=registration.centre_id,
                role_kind=RoleKind.LEARNER,
            )
        ]
    )


def prior_learning_withdraw(*, record: PriorLearning, reason: str, actor: User) -> PriorLearning:
    """Withdraw RPL or an exemption with a reason; the record is kept, marked withdrawn. Refused
    while a certificate in force (not revoked, replaced or superseded) lists the unit: that
    certificate rests on it."""
    registration = record.registration
    if not may_withdraw(actor, record):
        raise PermissionDenied(NOT_ALLOWED_TO_WITHDRAW)
    if not reason.strip():
        raise PriorLearningRefused(REASON_NEEDED, {REASON_NEEDED: "reason"})
    with transaction.atomic():
        lock_chain(registration.centre_id)
        Registration.objects.lock(registration, refused=PriorLearningRefused)
        locked = PriorLearning.objects.select_for_update().select_related("unit").get(pk=record.pk)
        if locked.withdrawn_at is not None:
            raise PriorLearningRefused(ALREADY_WITHDRAWN, {})
        if number := certified_by(locked):
            unit = f"{locked.unit.code} {locked.unit.title}"
            raise PriorLearningRefused(CERTIFIED.format(unit=unit, number=number), {})
        rpl = locked.kind == PriorLearningKind.RPL
        locked.withdrawn_by, locked.withdrawn_at = actor, timezone.now()
        locked.withdrawal_reason = reason.strip()
        locked.save(update_fields=["withdrawn_by", "withdrawn_at", "withdrawal_reason"])
        audit_append(
            actor=actor,
            action="prior_learning.rpl_withdrawn" if rpl else "prior_learning.exemption_withdrawn",
            centre_id=registration.centre_id,
            subject=f"prior_learning:{locked.pk}",
            before=_facts(locked),
            after={"withdrawn": True, "reason": locked.withdrawal_reason},
        )
        readiness_changed(registration)
    return locked


def certified_by(record: PriorLearning) -> str:
    """The number of a certificate in force that rests on this record, or "": one listing the
    unit (RPL), or a full certificate whose snapshot names the unit as exempt. Certificates are
    certification's, read through the registration's reverse relation (decision 11)."""
    reference = record.unit.reference or record.unit.code
    standing = record.registration.certificates.filter(  # type: ignore[attr-defined]
        revoked_at__isnull=True, replaced_by__isnull=True, superseded_by__isnull=True
    ).values_list("number", "snapshot")
    key = "units" if record.kind == PriorLearningKind.RPL else "exempt_units"
    for number, snapshot in standing:
        if any(u.get("reference") == reference for u in (snapshot or {}).get(key, [])):
            return str(number)
    return ""


def records_of(registration: Registration) -> list[PriorLearning]:
    """Every record of the registration, in force and withdrawn, for its page: one query."""
    return list(
        registration.prior_learning.select_related(  # type: ignore[attr-defined]
            "unit", "evidence", "agreed_by", "withdrawn_by"
        ).order_by("withdrawn_at", "unit__code", "pk")
    )


def verdict_with(rules: Rules, achieved: Iterable[str], prior: PriorStanding) -> Verdict:
    """The rules engine's verdict on the units signed off and those held through RPL (flagged
    as such), with the exemptions (no credit): what every page and the claim judge by."""
    return evaluate(rules, set(achieved) | prior.rpl, rpl=prior.rpl, exempt=prior.exempt)


def route_with(
    rules: Rules, achieved: Iterable[str], chosen: Iterable[str], prior: PriorStanding
) -> Route:
    """The shortest route from what the learner holds (signed off, RPL) and has chosen, never
    asking for a unit they are exempt from nor counting its credit."""
    return shortest_route(
        rules,
        set(achieved) | prior.rpl,
        chosen=set(chosen) - prior.exempt,
        rpl=prior.rpl,
        exempt=prior.exempt,
    )


def plan_verdict_with(rules: Rules, chosen: Iterable[str], prior: PriorStanding) -> Verdict:
    """A plan judged as if every chosen unit were achieved ("chosen"), the exempt units
    satisfying their requirement without credit."""
    return evaluate(rules, set(chosen) - prior.exempt, exempt=prior.exempt, planned=True)


# RPL for a criterion (or a CVQ range or knowledge item): decision 54.

ItemRef = tuple[str, int]  # ("criterion" | "range_item" | "knowledge_item", its id)
Key = tuple[int | None, int | None, int | None]  # (criterion, range item, knowledge item) ids

NO_ITEMS = "Tick the criteria (or range and knowledge items) the prior learning covers."
NOT_OF_THE_UNIT = "Only items of {unit} can be chosen."
ITEM_ALREADY_RPL = "{item} is already met through RPL: withdraw that first."
ITEM_MET = "{item} is met by assessment already: it needs no prior learning."
SIGNED_ON_IT = (
    "{unit} is signed off with {item} met through RPL: unlock the sign-off before withdrawing it."
)


def key_of(ref: ItemRef) -> Key:
    kind, pk = ref
    return (
        pk if kind == "criterion" else None,
        pk if kind == "range_item" else None,
        pk if kind == "knowledge_item" else None,
    )


def met_by_rpl(registration: Registration | int, unit_id: int | None = None) -> set[Key]:
    """The items of the registration (of one unit, if given) met through RPL in force, as
    (criterion, range item, knowledge item) ids: one query. They count as met without a
    decision (assessment's `unit_missing`, the unit page, the tracker)."""
    pk = registration if isinstance(registration, int) else registration.pk
    # By SQL compiled once per process (`portal.compiled`): the review page, the unit page and
    # the tracker ask on every view, and Django built the query each time.
    if unit_id is None:
        return set(_met_by_rpl(pk))
    return set(_met_by_rpl_in_unit(pk, unit_id))  # nothing for a unit id no column holds


def _items_met_by_rpl(registration_id: int) -> QuerySet[PriorLearningItem, Any]:
    rows = PriorLearningItem.objects.in_force().filter(registration_id=registration_id)
    return rows.values_list("criterion_id", "range_item_id", "knowledge_item_id")


@compiled_once
def _met_by_rpl(registration_id: int) -> QuerySet[PriorLearningItem, Any]:
    return _items_met_by_rpl(registration_id)


@compiled_once
def _met_by_rpl_in_unit(registration_id: int, unit_id: int) -> QuerySet[PriorLearningItem, Any]:
    return _items_met_by_rpl(registration_id).filter(unit_id=unit_id)


def items_of_unit(unit_id: int) -> dict[ItemRef, str]:
    """Every item of a unit, by reference, with its name as the unit page gives it: criteria,
    then range and knowledge items, in order (three queries)."""
    found: dict[ItemRef, str] = {}
    for pk, number in (
        Criterion.objects.filter(unit_id=unit_id).order_by("position").values_list("pk", "number")
    ):
        found[("criterion", pk)] = f"criterion {number}"
    for r in RangeItem.objects.filter(unit_id=unit_id).order_by("position"):
        found[("range_item", r.pk)] = f"range {r.reference}"
    for pk, number in (
        KnowledgeItem.objects.filter(unit_id=unit_id)
        .order_by("position")
        .values_list("pk", "number")
    ):
        found[("knowledge_item", pk)] = f"K{number}"
    return found


def _of_keys(keys: Iterable[Key]) -> Q:
    """Rows about any of these items."""
    query = Q(pk__in=[])
    for c, r, k in keys:
        query |= Q(criterion_id=c) if c else Q(range_item_id=r) if r else Q(knowledge_item_id=k)
    return query


def rpl_items_record(
    *, registration: Registration, details: PriorDetails, items: Sequence[ItemRef], actor: User
) -> list[PriorLearningItem]:
    """The unit's qualified assessor agrees the learner's prior learning covers some of its
    items: each counts as met without a decision, and the unit is signed off by assessment
    once the others are met. Refused on a unit signed off or met as a whole already, on an
    item met by assessment or RPL already; rests on evidence as a unit's RPL does."""
    if not is_qualified_assessor_of(actor, registration, details.unit_id):
        raise PermissionDenied(NOT_THE_UNITS_ASSESSOR)
    found = _problems(registration, details, PriorLearningKind.RPL)
    if not items:
        found.setdefault("items", []).append(NO_ITEMS)
    inspected = _checked_evidence(registration, details, found)
    with transaction.atomic():
        lock_chain(registration.centre_id)
        locked = Registration.objects.lock(registration, refused=PriorLearningRefused)
        unit = _planned_unit(locked, details.unit_id)
        _refuse_taken(locked, details.unit_id, unit)
        names = items_of_unit(details.unit_id)
        if any(ref not in names for ref in items):
            message = NOT_OF_THE_UNIT.format(unit=unit)
            raise PriorLearningRefused(message, {message: "items"})
        chosen = {key_of(ref): names[ref] for ref in dict.fromkeys(items)}
        # With the items and the evidence chosen: assessment refuses simulated performance
        # evidence where the items' rules forbid simulation (decision 52, amended).
        rpl_agreeing.send(
            sender=PriorLearningItem,
            registration=locked,
            unit_id=details.unit_id,
            actor=actor,
            items=list(chosen),
            evidence_id=details.evidence.pk if details.evidence is not None else None,
        )
        problems = [
            ITEM_ALREADY_RPL.format(item=chosen[key])
            for key in met_by_rpl(locked, details.unit_id)
            if key in chosen
        ]
        met = locked.decisions.filter(  # type: ignore[attr-defined]
            _of_keys(chosen), current=True, outcome="met", provisional=False
        ).values_list("criterion_id", "range_item_id", "knowledge_item_id")
        problems += [ITEM_MET.format(item=chosen[key]) for key in met]
        if problems:
            raise PriorLearningRefused(problems, dict.fromkeys(problems, "items"))
        evidence = _evidence_of(locked, details, unit, inspected, actor)
        now = timezone.now()
        made = PriorLearningItem.objects.bulk_create(
            PriorLearningItem(
                registration=locked,
                unit_id=details.unit_id,
                criterion_id=c,
                range_item_id=r,
                knowledge_item_id=k,
                description=details.description.strip(),
                achieved_on=details.achieved_on,
                evidence=evidence,
                agreed_by=actor,
                agreed_at=now,
            )
            for c, r, k in chosen
        )
        audit_append(
            actor=actor,
            action="prior_learning.items_rpl_recorded",
            centre_id=registration.centre_id,
            subject=f"registration:{locked.pk}",
            after={
                "unit": details.unit_id,
                "items": list(chosen.values()),
                "records": [m.pk for m in made],
                "description": details.description.strip(),
                "achieved_on": details.achieved_on.isoformat(),
                "evidence": evidence.pk if evidence else None,
            },
        )
    return made


def may_withdraw_item(actor: User, record: PriorLearningItem) -> bool:
    """A centre admin, or the unit's qualified assessor, as for a unit's RPL."""
    registration = record.registration
    return is_centre_admin(actor, registration) or is_qualified_assessor_of(
        actor, registration, record.unit_id
    )


def rpl_item_withdraw(*, record: PriorLearningItem, reason: str, actor: User) -> PriorLearningItem:
    """Withdraw an item's RPL with a reason; the record is kept, marked withdrawn. Refused
    while the unit is signed off (the sign-off rests on it: unlock it first) and on a closed
    registration."""
    registration = record.registration
    if not may_withdraw_item(actor, record):
        raise PermissionDenied(NOT_ALLOWED_TO_WITHDRAW)
    if not reason.strip():
        raise PriorLearningRefused(REASON_NEEDED, {REASON_NEEDED: "reason"})
    with transaction.atomic():
        lock_chain(registration.centre_id)
        locked_registration = Registration.objects.lock(registration, refused=PriorLearningRefused)
        locked = (
            PriorLearningItem.objects.select_for_update(of=("self",))
            .select_related("unit", "criterion", "range_item", "knowledge_item")
            .get(pk=record.pk)
        )
        if locked.withdrawn_at is not None:
            raise PriorLearningRefused(ALREADY_WITHDRAWN, {})
        signed = locked_registration.sign_offs.filter(  # type: ignore[attr-defined]
            unit_id=locked.unit_id, unlocked_at__isnull=True
        )
        if signed.exists():
            unit = f"{locked.unit.code} {locked.unit.title}"
            raise PriorLearningRefused(SIGNED_ON_IT.format(unit=unit, item=locked.label), {})
        locked.withdrawn_by, locked.withdrawn_at = actor, timezone.now()
        locked.withdrawal_reason = reason.strip()
        locked.save(update_fields=["withdrawn_by", "withdrawn_at", "withdrawal_reason"])
        audit_append(
            actor=actor,
            action="prior_learning.item_rpl_withdrawn",
            centre_id=registration.centre_id,
            subject=f"prior_learning_item:{locked.pk}",
            before={"unit": locked.unit_id, "item": locked.label, "evidence": locked.evidence_id},
            after={"withdrawn": True, "reason": locked.withdrawal_reason},
        )
    return locked


def item_records_of(registration: Registration) -> list[PriorLearningItem]:
    """Every item's RPL of the registration, in force and withdrawn, for its page: one query."""
    return list(
        registration.prior_learning_items.select_related(  # type: ignore[attr-defined]
            "unit",
            "criterion",
            "range_item",
            "knowledge_item",
            "evidence",
            "agreed_by",
            "withdrawn_by",
        ).order_by("withdrawn_at", "unit__code", "pk")
    )
