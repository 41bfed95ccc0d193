"""Recording and countersigning assessment decisions. Every change is written to the audit log."""

from __future__ import annotations

import datetime
import unicodedata
from collections import namedtuple
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from assessment import notices
from assessment.countersigner import Countersigner, countersigner_of
from assessment.kept import keep_decided_work
from assessment.models import (
    Decision,
    Outcome,
    RequirementShown,
    SufficiencyRecord,
    UnitSignOff,
    unit_of_item,
)
from assessment.requirements_met import (
    check_conditions,
    evidence_on_unit,
    measure_words,
    requirement_items,
    requirements_missing,
)
from assessment.sign_off_countersign import refuse_while_provisional, sign_off_provisional
from assessment.unit_rules import forbidden
from competence.models import Practice
from competence.standing import scope_where_enforced
from portal.audit import Entry, audit_append, audit_append_many, lock_chain
from portal.compiled import compiled_once
from portal.compiled_objects import objects_once
from portal.lookups import one_of
from portal.models import Role, RoleKind, User
from portal.refusals import Refused
from portfolios.evidence import (
    ACCOUNT_MAX_LENGTH,
    RECORD_TOO_LONG,
    EvidenceDetails,
    EvidenceRejected,
    check_files,
    date_problems,
    evidence_store,
    written_refusal,
)
from portfolios.mapping import Targets
from portfolios.models import (
    Evidence,
    EvidenceMethod,
    Mapping,
    MappingStatus,
    PriorLearning,
    PriorLearningItem,
    Registration,
    RegistrationUnit,
    closed_reason,
)
from portfolios.prior_learning import met_by_rpl
from portfolios.readiness import readiness_changed
from portfolios.services import holds
from qualifications.kept_units import how_assessed, units_rows
from qualifications.models import Unit
from qualifications.requirements import (
    SufficiencyMeasure,
    SufficiencyRule,
    simulated_for,
    simulation_rule,
    why_not_real,
)

NOT_THEIR_ASSESSOR = "Only the learner's assessor can decide their criteria."
# A unit given to another assessor (decision 39): refused with nothing changed, in words.
NOT_THEIR_UNIT = (
    "{unit} is assessed by another assessor: only they decide its items, review evidence "
    "mapped to it and sign it off."
)
OWN_REGISTRATION = "Nobody can assess their own registration."
NOT_IN_PLAN = "Some of the items are not in the units of this registration."
EVIDENCE_ELSEWHERE = "Decisions rest on evidence from this learner's portfolio only."
NOT_A_COUNTERSIGNER = (
    "Only a qualified assessor of the centre, other than the one who decided, can countersign."
)
NOTHING_TO_COUNTERSIGN = (
    "Nothing was countersigned: the decisions chosen no longer wait for a countersignature; "
    "they were countersigned or returned already, in another tab or by another assessor."
)


def changed_meanwhile(gone: int, asked: int) -> str:
    """Why a countersignature of `asked` decisions, `gone` of which no longer wait, did nothing."""
    were = "was" if gone == 1 else "were"
    return (
        f"{gone} of the {asked} decisions chosen {were} countersigned or returned meanwhile "
        "(in another tab, or by another assessor), so none was countersigned: the list shows "
        "what still waits; choose again."
    )


# The centre enforces its competence register (decision 49): a countersigner judges only units
# a current assessor award of theirs covers.
NOT_COMPETENT_TO_COUNTERSIGN = (
    "Unit {unit} is outside the scope of your current assessor awards in the centre's "
    "competence register: an assessor competent for it countersigns it."
)
NOTHING_TO_RETURN = (
    "This decision is not waiting for a countersignature any more: it was countersigned, "
    "returned, or decided again."
)
RETURN_REASON_NEEDED = "Say why you return it: the assessor who decided sees your reason."
ALREADY_DECIDED = "These decisions are already recorded just as you made them: nothing changed."
EVIDENCE_GONE = "The learner removed this evidence a moment ago: there is nothing to decide on."
# An item met through RPL in force needs no decision and takes none (decision 54, amended).
MET_BY_RPL = (
    "{items} {are} met through RPL (recognition of prior learning): no decision is recorded on "
    "an item while its RPL is in force. To assess it here instead, withdraw its RPL first "
    "(the unit page)."
)
MAPPING_GONE = (
    "This mapping is no longer there: the learner removed the evidence or took the mapping back "
    "a moment ago."
)


class DecisionRefused(Refused):
    """A decision, review, sign-off or unlock that cannot be made as asked."""


class ForbiddenByRules(DecisionRefused):
    """A `met` decision the unit's rules of assessment forbid (`assessment.unit_rules`): said
    under the decision's outcome, the field it is about."""


class GoneMeanwhile(DecisionRefused):
    """The evidence or mapping asked about was removed by a request just before this one."""


@dataclass(frozen=True)
class Judgement:
    outcome: str
    method: str
    assessed_on: datetime.date
    feedback: str = ""


def assessor_role(
    user: User, registration: Registration, roles: Iterable[Role] | None = None
) -> Role | None:
    """The user's assessor role at the registration's centre: among `roles` when the caller
    has read them already (a request has, `request.roles`), from the database otherwise."""
    if roles is None:
        return Role.objects.filter(
            user=user, centre_id=registration.centre_id, kind=RoleKind.ASSESSOR
        ).first()
    for role in roles:
        if role.user_id != user.pk:
            raise ValueError(f"{role} is not a role of {user}.")
        if role.centre_id == registration.centre_id and role.kind == RoleKind.ASSESSOR:
            return role
    return None


class DecisionFacts(Protocol):
    """What the audit log keeps of a decision is read from: a decision, or a row of its
    values (countersigning hundreds reads rows, not objects)."""

    @property
    def pk(self) -> int: ...
    @property
    def registration_id(self) -> int: ...
    @property
    def criterion_id(self) -> int | None: ...
    @property
    def range_item_id(self) -> int | None: ...
    @property
    def knowledge_item_id(self) -> int | None: ...
    @property
    def outcome(self) -> str: ...
    @property
    def provisional(self) -> bool: ...
    @property
    def decided_by_id(self) -> int: ...
    @property
    def feedback(self) -> str: ...


def summary(decision: DecisionFacts, evidence: Iterable[int] | None = None) -> dict[str, object]:
    """What the audit log keeps of a decision. `evidence`: the ids of its evidence, when the
    caller has them already (saving a query; a row of values must be given them)."""
    if evidence is None:
        assert isinstance(decision, Decision)
        evidence = [e.pk for e in decision.evidence.all()]
    return {
        "registration": decision.registration_id,
        "criterion": decision.criterion_id,
        "range_item": decision.range_item_id,
        "knowledge_item": decision.knowledge_item_id,
        "outcome": decision.outcome,
        "provisional": decision.provisional,
        "decided_by": decision.decided_by_id,
        "evidence": sorted(evidence),
        "feedback": decision.feedback,
    }


def decision_record(
    *,
    registration: Registration,
    targets: Targets,
    judgement: Judgement,
    evidence: Sequence[Evidence],
    actor: User,
    roles: Iterable[Role] | None = None,
) -> list[Decision]:
    """Decide many criteria at once from the same evidence: one action, one decision each.
    `roles`: the actor's roles, when the caller has read them (a request has).

    A trainee's decisions are provisional until countersigned; so are, at a centre enforcing
    its competence register (decision 49), decisions on a unit no current assessor award of
    the actor's covers. A new decision supersedes the current one on the same item; the old
    one is kept, and both are in the audit log.
    """
    if actor.pk == registration.learner_id:
        raise PermissionDenied(OWN_REGISTRATION)
    role = assessor_role(actor, registration, roles)
    if role is None or not registration.is_assessed_by(actor):
        raise PermissionDenied(NOT_THEIR_ASSESSOR)
    if any(e.registration_id != registration.pk for e in evidence):
        raise DecisionRefused(EVIDENCE_ELSEWHERE)
    # Assessed during the registration, up to today (as a record of the assessor's is).
    if problems := date_problems(registration, judgement.assessed_on):
        raise DecisionRefused(problems[0])
    evidence = list({e.pk: e for e in evidence}.values())  # a piece named twice is one piece
    now = timezone.now()
    try:
        with transaction.atomic():
            lock_chain(registration.centre_id)
            locked = Registration.objects.lock(registration, refused=DecisionRefused)
            if Registration.qualification.is_cached(registration):
                # The qualification the page read (a catalogue row the lock does not guard):
                # not read again for the plan's items and the unit's rules.
                locked.qualification = registration.qualification
            # Marked judged (where it was not yet) and counted in one statement, which reads
            # each piece as it now is: evidence removed just before is not counted. A refusal
            # below rolls the mark back with the rest.
            judged = _mark_judged({e.pk for e in evidence}, now)
            if len(judged) != len(evidence):
                raise GoneMeanwhile(EVIDENCE_GONE)
            plan, rpl = _plan_and_rpl(locked)
            unit_of = _refuse_outside_plan_or_signed_off(locked, targets, actor, plan)
            _refuse_met_by_rpl(targets, rpl)
            # The rules are checked against the evidence as it is now, read again under the lock
            # (an assessor's classification or a learner's edit just before is seen).
            if judgement.outcome == Outcome.MET and (
                problems := forbidden(locked.qualification, unit_of, judged)
            ):
                raise ForbiddenByRules(problems)
            provisional = _provisional_units(registration, set(unit_of.values()), actor, role)
            changes = [
                change
                for name, _, wanted in targets.by_kind()
                for change in _changes_of_kind(
                    registration,
                    name,
                    wanted,
                    judgement,
                    evidence,
                    actor,
                    {pk: unit_of[name, pk] in provisional for pk in wanted},
                )
            ]
            if not changes:
                # The same request again (a second tab, a double click): nothing to change.
                raise DecisionRefused(ALREADY_DECIDED)
            made = _write(registration, changes, judgement, evidence, actor, now)
            notices.evidence_judged(registration, evidence, made, actor)
    except ForbiddenByRules:
        # Refused by the unit's rules: what the evidence was said to be stays as the assessor
        # saw it, so the learner cannot relabel it to get past the refusal (decision 51).
        _classification_kept(registration, [e.pk for e in evidence], actor)
        raise
    return made


def _classification_kept(registration: Registration, given: list[int], actor: User) -> None:
    """The cited evidence's setting and kind fixed as they were when a `met` decision on it was
    refused by the unit's rules: marked classified by the assessor, so the learner can no
    longer change them (the assessor still can, until it is judged). In a transaction of its
    own, after the refused one rolled back."""
    with transaction.atomic():
        lock_chain(registration.centre_id)
        now = timezone.now()
        for piece in Evidence.objects.select_for_update().filter(
            pk__in=given, registration=registration, classified_by__isnull=True
        ):
            piece.classified_by, piece.classified_at = actor, now
            piece.save(update_fields=["classified_by", "classified_at"])
            audit_append(
                actor=actor,
                action="evidence.classification_kept",
                centre_id=registration.centre_id,
                subject=f"evidence:{piece.pk}",
                after={"setting": piece.setting, "kind": piece.kind},
            )


# The position of each kind of item in `met_by_rpl`'s (criterion, range, knowledge) keys.
RPL_KEY_AT = {"criterion": 0, "range_item": 1, "knowledge_item": 2}


def _mark_judged(given: set[int], now: datetime.datetime) -> list[Evidence]:
    """Mark the evidence judged (where it was not yet) and read what each piece is said to be
    (method, setting, kind) as it now stands, in one statement (`UPDATE ... RETURNING`): the
    pieces found, newest first, as the evidence's own order has them."""
    if not given:
        return []
    table = Evidence._meta.db_table
    marks = ", ".join(["%s"] * len(given))
    sql = (
        f"UPDATE {table} SET judged_at = COALESCE(judged_at, %s) WHERE id IN ({marks})"
        " RETURNING id, method, setting, kind, occurred_on, created_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), *sorted(given)])
        rows = cursor.fetchall()
    rows.sort(key=lambda row: (str(row[4]), str(row[5])), reverse=True)
    return [Evidence(pk=pk, method=m, setting=s, kind=k) for pk, m, s, k, _, _ in rows]


# Which rows `_plan_and_rpl`'s one query returns.
PLANNED, RPL_ITEM = 0, 1


def _plan_and_rpl(
    registration: Registration,
) -> tuple[list[tuple[int, bool, int | None]], set[tuple[int | None, int | None, int | None]]]:
    """The plan's units, each with whether a sign-off in force locks it and its own assessor,
    and the items met through RPL in force (as `met_by_rpl` gives them): one statement of SQL
    (`UNION ALL`), where the ORM built two queries."""
    units = RegistrationUnit._meta.db_table
    sign_offs = UnitSignOff._meta.db_table
    items = PriorLearningItem._meta.db_table
    sql = (
        f"SELECT {PLANNED}, p.unit_id, CASE WHEN EXISTS (SELECT 1 FROM {sign_offs} s"
        " WHERE s.registration_id = p.registration_id AND s.unit_id = p.unit_id"
        " AND s.unlocked_at IS NULL) THEN 1 ELSE 0 END, p.assessor_id"
        f" FROM {units} p WHERE p.registration_id = %s"
        f" UNION ALL SELECT {RPL_ITEM}, i.criterion_id, i.range_item_id, i.knowledge_item_id"
        f" FROM {items} i WHERE i.registration_id = %s AND i.withdrawn_at IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [registration.pk, registration.pk])
        rows = cursor.fetchall()
    plan = [(unit, bool(locked), own) for kind, unit, locked, own in rows if kind == PLANNED]
    rpl = {(a, b, c) for kind, a, b, c in rows if kind == RPL_ITEM}
    return plan, rpl


def _refuse_met_by_rpl(
    targets: Targets, rpl: set[tuple[int | None, int | None, int | None]]
) -> None:
    """Refuse a decision on any item met through RPL in force (`rpl`, as `met_by_rpl` gives
    them), naming them: one query per kind of item, only when refusing."""
    held: list[str] = []
    for name, model, ids in targets.by_kind():
        keys = {pk for pk in ids if _rpl_key(name, pk) in rpl}
        if keys:
            held += [_item_name(name, item) for item in model._default_manager.filter(pk__in=keys)]
    if held:
        named = ", ".join(held)
        are = "is" if len(held) == 1 else "are"
        raise DecisionRefused(MET_BY_RPL.format(items=named[0].upper() + named[1:], are=are))


def _rpl_key(name: str, pk: int) -> tuple[int | None, int | None, int | None]:
    key: list[int | None] = [None, None, None]
    key[RPL_KEY_AT[name]] = pk
    return (key[0], key[1], key[2])


def _item_name(name: str, item: Any) -> str:
    if name == "criterion":
        return f"criterion {item.number}"
    if name == "range_item":
        return f"range {item.reference}"
    return f"knowledge K{item.number}"


def _provisional_units(
    registration: Registration, units: set[int], actor: User, role: Role
) -> set[int]:
    """The units on which the actor's decisions are provisional: all for a trainee; at a centre
    enforcing its register, those outside the scope of their current assessor awards."""
    if role.is_trainee:
        return units
    day = timezone.localdate()
    scope = scope_where_enforced(actor.pk, registration.centre_id, Practice.ASSESSING, day)
    if scope is None:
        return set()
    return {u for u in units if not scope.covers(registration.qualification_id, u)}


def _refuse_outside_plan_or_signed_off(
    registration: Registration,
    targets: Targets,
    actor: User,
    planned: list[tuple[int, bool, int | None]],
) -> dict[tuple[str, int], int]:
    """Every item ticked must be in a unit of the plan that `actor` assesses (the unit's own
    assessor, else the registration's: read under the registration's lock, which a change of
    either takes too), and none in a unit signed off. Which unit each item is in comes from the
    plan's units' rows, kept per catalogue revision (`qualifications.kept_units`): no query for
    the items themselves. Returns the unit of each item ticked, by (kind, id)."""
    # The plan's units, each with whether a sign-off in force locks it and its own assessor
    # (`planned`, read by `_plan_and_rpl`).
    plan: dict[int, bool] = {}
    assessed_by: dict[int, int | None] = {}
    for unit_id, locked, own in planned:
        plan[unit_id] = locked
        assessed_by[unit_id] = own or registration.assessor_id
    rows = units_rows(registration.qualification, plan)
    unit_of = {
        (name, item.pk): unit
        for unit in rows
        for name, items in (
            ("criterion", unit.criteria),
            ("range_item", unit.range_items),
            ("knowledge_item", unit.knowledge_items),
        )
        for item in items
    }
    ticked = [(name, pk) for name, _, ids in targets.by_kind() for pk in sorted(ids)]
    if any(item not in unit_of for item in ticked):
        raise DecisionRefused(NOT_IN_PLAN)
    for item in ticked:
        unit = unit_of[item]
        if assessed_by[unit.pk] != actor.pk:
            raise DecisionRefused(NOT_THEIR_UNIT.format(unit=f"{unit.code} {unit.title}"))
        if plan[unit.pk]:
            raise DecisionRefused(UNIT_SIGNED_OFF.format(unit=f"{unit.code} {unit.title}"))
    return {item: unit_of[item].pk for item in ticked}


def _refuse_unit_of_another(registration: Registration, unit_id: int, actor: User) -> None:
    """Refuse unless `actor` assesses the unit: its own assessor, else the registration's.
    Read under the registration's lock (`registration` is the locked row)."""
    planned = (
        registration.planned_units.filter(unit_id=unit_id)
        .select_related("unit")
        .only("assessor_id", "unit__code", "unit__title")
        .first()
    )
    if planned is None:  # not in the plan: its sign-off finds nothing to sign
        return
    if (planned.assessor_id or registration.assessor_id) != actor.pk:
        unit = f"{planned.unit.code} {planned.unit.title}"
        raise DecisionRefused(NOT_THEIR_UNIT.format(unit=unit))


SAMPLED = (
    "{item} was sampled by the IQA: its decision is locked until a centre admin lifts the lock."
)
# Of several chosen by a page's "all of ..." button, every one held by a sample.
ALL_SAMPLED = (
    "None was countersigned: each of the {asked} decisions was sampled by the IQA while it "
    "waited, and is locked until a centre admin lifts the sample's lock."
)
# Of several chosen to countersign together (all or none): which one, whose, and what to do.
SAMPLED_AMONG_THOSE_CHOSEN = (
    "None of the {asked} decisions chosen was countersigned: {item} ({learner}) was sampled by "
    "the IQA while it waited, and is locked until a centre admin lifts the sample's lock. Tick "
    "the others to countersign them without it, or ask a centre admin to lift the lock first."
)


def _signed_off_units(registration: Registration) -> list[int]:
    return list(
        UnitSignOff.objects.in_force()
        .filter(registration=registration)
        .values_list("unit_id", flat=True)
    )


@dataclass(frozen=True)
class Change:
    """One item to decide: its kind ("criterion", "range_item" or "knowledge_item"), its id,
    the current decision it supersedes (and that decision's evidence) and the evidence's
    mappings to it, by evidence id."""

    name: str
    pk: int
    previous: Decision | None
    mappings: dict[int, int]  # the mapping's id, by its evidence's id
    provisional: bool = False
    previous_evidence: tuple[int, ...] = ()  # the previous decision's evidence's ids


def _changes_of_kind(
    registration: Registration,
    name: str,
    wanted: Iterable[int],
    judgement: Judgement,
    evidence: Sequence[Evidence],
    actor: User,
    provisional: dict[int, bool],
) -> list[Change]:
    """The items of one kind (criteria, range or knowledge items) that this judgement changes:
    the current decisions (locked) and the evidence's mappings on them are read once, not item
    by item. An item whose current decision is already exactly this one, by this assessor, is
    left out: a repeated request changes nothing. `provisional`: whether each item's decision
    by the actor is provisional."""
    ids = sorted(wanted)
    if not ids:
        return []
    # Decisions an IQA has sampled stay as sampled: asked in the same statement that locks the
    # current decisions. Each read by SQL compiled once per process (`portal.compiled`): built
    # at each decision, the three querysets cost some 5,000 Python calls (issue 17, seventh
    # round).
    if connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    current = {getattr(d, f"{name}_id"): d for d in _CURRENT_LOCKED[name](registration.pk, ids)}
    for decision in current.values():
        if decision.sampled:  # type: ignore[attr-defined]
            raise DecisionRefused(SAMPLED.format(item=decision.target))
    cited: dict[int, list[int]] = {}
    if current:
        for decision_id, evidence_id in _evidence_of(sorted(d.pk for d in current.values())):
            cited.setdefault(decision_id, []).append(evidence_id)
    mappings: dict[int, dict[int, int]] = {}
    if evidence:
        for pk, evidence_id, item in _MAPPINGS_OF[name]([e.pk for e in evidence], ids):
            mappings.setdefault(item, {})[evidence_id] = pk
    changes = []
    for pk in ids:
        previous = current.get(pk)
        was = tuple(cited.get(previous.pk, ())) if previous else ()
        if previous and _same(previous, was, judgement, evidence, actor, provisional[pk]):
            continue
        changes.append(Change(name, pk, previous, mappings.get(pk, {}), provisional[pk], was))
    return changes


def _current_locked(name: str) -> Callable[..., list[Decision]]:
    """The registration's current decisions on these items of one kind (`name`), locked, each
    with whether a sample holds it (`sampled`), by SQL compiled once per process."""

    def build(registration_id: int, ids: list[int]) -> QuerySet[Decision]:
        return (
            Decision.objects.select_for_update()
            .filter(registration_id=registration_id, current=True, **{f"{name}_id__in": ids})
            .annotate(sampled=held_by_a_sample())
            .order_by("pk")
        )

    build.__qualname__ = f"_current_locked.{name}"
    return objects_once(build)


def _mappings_of(name: str) -> Callable[..., list[tuple[Any, ...]]]:
    """(id, evidence, item) of the evidence's mappings to these items of one kind (`name`),
    by SQL compiled once per process."""

    def build(evidence: list[int], ids: list[int]) -> QuerySet[Mapping, Any]:
        found = Mapping.objects.filter(evidence_id__in=evidence, **{f"{name}_id__in": ids})
        return found.values_list("pk", "evidence_id", f"{name}_id")

    build.__qualname__ = f"_mappings_of.{name}"
    return compiled_once(build)


ITEM_KINDS = ("criterion", "range_item", "knowledge_item")
_CURRENT_LOCKED = {name: _current_locked(name) for name in ITEM_KINDS}
_MAPPINGS_OF = {name: _mappings_of(name) for name in ITEM_KINDS}


def held_by_a_sample() -> Exists:
    """Whether an IQA's sample whose lock is not lifted holds the decision (the outer row): of
    the link table (the `samples` relation is the IQA app's), not of the decisions joined to it
    again, a relation less for PostgreSQL to plan."""
    return Exists(
        Decision.samples.through.objects.filter(  # type: ignore[attr-defined]
            decision_id=OuterRef("pk"), sample__lock_lifted_at__isnull=True
        )
    )


def _write(
    registration: Registration,
    changes: list[Change],
    judgement: Judgement,
    evidence: Sequence[Evidence],
    actor: User,
    now: datetime.datetime,
) -> list[Decision]:
    """Record the changes' decisions, superseding the current ones (kept, no longer current),
    settle the evidence's mappings and log each decision: a fixed number of statements however
    many items are ticked."""
    superseded = [c.previous.pk for c in changes if c.previous]
    if superseded:
        Decision.objects.filter(pk__in=superseded).update(current=False)
    made = Decision.objects.bulk_create(
        Decision(
            registration=registration,
            outcome=judgement.outcome,
            method=judgement.method,
            assessed_on=judgement.assessed_on,
            feedback=judgement.feedback,
            decided_by=actor,
            decided_at=now,
            provisional=c.provisional,
            **{f"{c.name}_id": c.pk},
        )
        for c in changes
    )
    # The assessor's decision settles the mapping: confirmed where met, rejected otherwise.
    status = MappingStatus.CONFIRMED if judgement.outcome == Outcome.MET else MappingStatus.REJECTED
    found = [c.mappings[e.pk] for c in changes for e in evidence if e.pk in c.mappings]
    if found:
        Mapping.objects.filter(pk__in=found).update(status=status)
    Mapping.objects.bulk_create(
        Mapping(evidence=e, proposed_by=actor, status=status, **{f"{c.name}_id": c.pk})
        for c in changes
        for e in evidence
        if e.pk not in c.mappings
    )
    given = [e.pk for e in evidence]
    audit_append_many(
        [
            Entry(
                actor=actor,
                action="decision.recorded",
                centre_id=registration.centre_id,
                subject=f"decision:{decision.pk}",
                before=summary(c.previous, c.previous_evidence) if c.previous else None,
                after=summary(decision, given),
            )
            for c, decision in zip(changes, made, strict=True)
        ]
    )
    links = Decision.evidence.through
    links.objects.bulk_create(  # type: ignore[attr-defined]
        [links(decision_id=d.pk, evidence_id=e) for d in made for e in set(given)]
    )
    keep_decided_work([registration.pk])
    return made


def _same(
    decision: Decision,
    cited: Iterable[int],
    judgement: Judgement,
    evidence: Sequence[Evidence],
    actor: User,
    provisional: bool,
) -> bool:
    """Whether the decision (citing the evidence `cited`) is already this one, by `actor`."""
    return (
        decision.decided_by_id == actor.pk
        and decision.provisional == provisional
        and (decision.outcome, decision.method, decision.assessed_on, decision.feedback)
        == (judgement.outcome, judgement.method, judgement.assessed_on, judgement.feedback)
        and set(cited) == {e.pk for e in evidence}
    )


# What countersigning reads of each decision, as a row of values, not an object: what the audit
# entry keeps (`summary`) and what the checks need (no registration joined: the locked ones are).
COUNTERSIGN_FIELDS = (
    "pk",
    "registration_id",
    "criterion_id",
    "range_item_id",
    "knowledge_item_id",
    "outcome",
    "provisional",
    "current",
    "decided_by_id",
    "feedback",
)


def locked_for_countersigning(found: QuerySet[Decision]) -> QuerySet[Decision, Any]:
    """The decisions locked (their rows only) and read again as rows of `COUNTERSIGN_FIELDS`,
    each with its item's unit (`unit`) and whether an IQA's sample in force holds it
    (`sampled`): what the checks need, in the statement that locks them."""
    return (
        found.select_for_update(of=("self",))
        .annotate(unit=unit_of_item(), sampled=held_by_a_sample())
        .order_by("pk")
        .values_list(*COUNTERSIGN_FIELDS, "unit", "sampled", named=True)
    )


# A locked decision as `locked_for_countersigning` reads it (a row compiled once gives a tuple).
Locked = namedtuple("Locked", [*COUNTERSIGN_FIELDS, "unit", "sampled"])  # type: ignore[misc]


@compiled_once
def _locked(ids: list[int]) -> QuerySet[Decision, Any]:
    """`locked_for_countersigning` of these decisions, by SQL compiled once per process
    (`portal.compiled`): built at each request, the locking read with its item's unit and
    sample cost more Python than PostgreSQL spends answering it (issue 17, sixth round)."""
    return locked_for_countersigning(Decision.objects.filter(one_of("pk", ids)))


@compiled_once
def _registrations_of(ids: list[int]) -> QuerySet[Decision, Any]:
    return Decision.objects.filter(one_of("pk", ids)).order_by().values_list("registration_id")


@compiled_once
def _centres_of(registrations: list[int]) -> QuerySet[Registration, Any]:
    found = Registration.objects.filter(pk__in=registrations).order_by()
    return found.values_list("pk", "centre_id")


@compiled_once
def _evidence_of(ids: list[int]) -> QuerySet[Any, Any]:
    links = Decision.evidence.through.objects  # type: ignore[attr-defined]
    return links.filter(one_of("decision_id", ids)).values_list("decision_id", "evidence_id")


# A registration as countersigning reads it once locked: what its checks and entries use.
LockedRegistration = namedtuple(
    "LockedRegistration", ["pk", "centre_id", "learner_id", "qualification_id", "closed_because"]
)


@compiled_once
def _registrations_locked(ids: list[int]) -> QuerySet[Registration, Any]:
    """`Registration.objects.lock_all` as rows: the registrations locked in id order, each with
    its status and whether its learner is anonymised (the privacy app's, by its reverse
    relation), read once the lock is held."""
    return (
        Registration.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list(
            "pk", "centre_id", "learner_id", "qualification_id", "status", "learner__anonymisation"
        )
    )


def _lock_registrations(ids: list[int]) -> dict[int, LockedRegistration]:
    """`lock_all` for countersigning, refused with `DecisionRefused` as it refuses (the first
    closed registration in id order, `closed_reason`), as rows rather than objects: loaded with
    their learners and anonymisations, 150 decisions' two dozen registrations cost some 6,000
    Python calls."""
    found = {}
    for pk, centre, learner, qualification, status, anonymisation in (
        _registrations_locked(ids) if ids else []
    ):
        if reason := closed_reason(status, anonymisation is not None):
            raise DecisionRefused(reason)
        found[pk] = LockedRegistration(pk, centre, learner, qualification, reason)
    return found


def decision_countersign(
    *, decisions: Iterable[Decision | int], actor: User, leave_sampled: bool = False
) -> int:
    """A qualified assessor confirms a trainee's provisional decisions (or their ids): all or
    none, each with its audit entry. Returns how many were countersigned.

    With `leave_sampled` (the page's "all of ..." buttons, which name no decision one by one),
    those an IQA sampled while they waited are left waiting, locked by the sample, and the rest
    countersigned: the caller tells how many were left (those asked, less those returned).
    Refused as ever if every one is sampled, or for any other reason.

    A fixed number of queries whatever the number of decisions, so a page's selection or all
    of a trainee's work is one short transaction: the decisions' registrations and centres,
    then the chains, the registrations and the decisions locked in one statement each, checked
    together, one update and one insert of the audit entries."""
    ids = sorted({d if isinstance(d, int) else d.pk for d in decisions})
    found = Decision.objects.filter(one_of("pk", ids))
    # Two narrow reads, not one join: PostgreSQL reads every registration of the portal to
    # join a few hundred decisions to theirs. Each of this service's reads is by SQL compiled
    # once per process (`portal.compiled`; padded lists repeat their last id, which changes
    # no row): built at each request, they cost more Python than PostgreSQL spends on them.
    registration_ids = sorted({pk for (pk,) in _registrations_of(ids)})
    centres = dict(_centres_of(registration_ids)) if registration_ids else {}
    now = timezone.now()
    with transaction.atomic():
        for centre_id in sorted(set(centres.values())):
            lock_chain(centre_id)
        registrations = _lock_registrations(sorted(centres))
        # Locked and read again: a decision countersigned meanwhile (another tab, a double
        # click) is refused here rather than countersigned twice.
        locked: list[Any] = [Locked(*row) for row in _locked(ids)]
        _check_countersign(locked, registrations, len(ids), actor, leave_sampled=leave_sampled)
        if leave_sampled and any(d.sampled for d in locked):
            locked = [d for d in locked if not d.sampled]
            found = Decision.objects.filter(one_of("pk", [d.pk for d in locked]))
        evidence: dict[int, list[int]] = {d.pk: [] for d in locked}
        for decision_id, evidence_id in _evidence_of(ids):
            if decision_id in evidence:  # not one of those left waiting (`leave_sampled`)
                evidence[decision_id].append(evidence_id)
        found.update(provisional=False, countersigned_by=actor, countersigned_at=now)
        # Only the trainees' lines of these decisions' units change: the other lines of these
        # registrations (other assessors', other units') are left as they are.
        keep_decided_work(
            registrations, {d.decided_by_id for d in locked}, {d.unit for d in locked}
        )
        entries = []
        for decision in locked:
            before = summary(decision, evidence[decision.pk])
            entries.append(
                Entry(
                    actor=actor,
                    action="decision.countersigned",
                    centre_id=registrations[decision.registration_id].centre_id,
                    subject=f"decision:{decision.pk}",
                    before=before,
                    # What `summary` says of it once countersigned: no longer provisional.
                    after={**before, "provisional": False},
                )
            )
        audit_append_many(entries)
    return len(locked)


def decision_return(*, decision: Decision, reason: str, actor: User) -> Decision:
    """A qualified assessor disagrees with a trainee's provisional decision and returns it with
    a reason (decision 36): it stops waiting and stops being current (the item has no decision
    in force, so nothing counts), and the trainee is told why and may decide again. Sent
    twice, the second finds it returned and changes nothing."""
    reason = reason.strip()
    if not reason:
        raise DecisionRefused(RETURN_REASON_NEEDED)
    registration = decision.registration
    with transaction.atomic():
        lock_chain(registration.centre_id)
        locked_registration = Registration.objects.lock(registration, refused=DecisionRefused)
        found = Decision.objects.filter(pk=decision.pk)
        [row] = locked_for_countersigning(found)
        try:
            _check_countersign([row], {registration.pk: locked_registration}, 1, actor)
        except DecisionRefused as refused:
            if str(refused) == NOTHING_TO_COUNTERSIGN:
                raise DecisionRefused(NOTHING_TO_RETURN) from refused
            raise
        now = timezone.now()
        found.update(current=False, returned_by=actor, returned_at=now, return_reason=reason)
        keep_decided_work([registration.pk], [row.decided_by_id], [row.unit])
        before = summary(row, list(decision.evidence.values_list("pk", flat=True)))
        audit_append(
            actor=actor,
            action="decision.returned",
            centre_id=registration.centre_id,
            subject=f"decision:{decision.pk}",
            before=before,
            after={**before, "current": False, "returned": reason},
        )
        readiness_changed(registration)
        decision.refresh_from_db()
        notices.decision_returned(decision, actor)
    return decision


def _check_countersign(
    decisions: list[Any],
    registrations: dict[int, Any],
    asked: int,
    actor: User,
    *,
    leave_sampled: bool = False,
) -> None:
    """Refuse the lot unless the actor may countersign every one and each still needs it (and
    none is held by an IQA's sample, unless `leave_sampled` and some are not)."""
    # Their qualified centres, the switches and their scopes there: one query.
    countersigner = countersigner_of(actor)
    actor_id = actor.pk  # read once: the request's user is a lazy object, costly per attribute
    for decision in decisions:
        registration = registrations[decision.registration_id]
        if registration.centre_id not in countersigner.centres or actor_id in (
            decision.decided_by_id,
            registration.learner_id,
        ):
            raise PermissionDenied(NOT_A_COUNTERSIGNER)
    still = sum(1 for d in decisions if d.provisional and d.current)
    if still != asked:
        # All or none: a list of which some were countersigned or returned meanwhile (another
        # tab, another assessor) is refused whole, and the person told so, since the rest of
        # what they chose still waits (not told, they took it for done).
        if not still:
            raise DecisionRefused(NOTHING_TO_COUNTERSIGN)
        raise DecisionRefused(changed_meanwhile(asked - still, asked))
    _refuse_out_of_scope(decisions, registrations, countersigner)
    # Read with the locked rows (`locked_for_countersigning`): the decision is loaded only in
    # the rare case, to name its item.
    sampled = next((d.pk for d in decisions if d.sampled), None)
    if sampled is None:
        return
    if leave_sampled and asked > 1:
        if not all(d.sampled for d in decisions):
            return  # the caller leaves the sampled ones waiting
        raise DecisionRefused(ALL_SAMPLED.format(asked=asked))
    # An IQA may sample a trainee's decision while it waits (an interim sample). Of several
    # chosen together, which of whose, and what to do; one alone, as any locked decision.
    item = Decision.objects.select_related(
        "criterion", "range_item", "knowledge_item", "registration__learner"
    ).get(pk=sampled)
    if asked == 1:
        raise DecisionRefused(SAMPLED.format(item=item.target))
    learner = item.registration.learner.full_name
    raise DecisionRefused(
        SAMPLED_AMONG_THOSE_CHOSEN.format(asked=asked, item=item.target, learner=learner)
    )


def _refuse_out_of_scope(
    decisions: list[Any], registrations: dict[int, Any], countersigner: Countersigner
) -> None:
    """At a centre enforcing its competence register (decision 49), the countersigner must
    hold a current assessor award covering each decision's unit: with their scopes read
    (`countersigner_of`) and each decision's unit read with it (`locked_for_countersigning`)."""
    enforcing = {
        registrations[d.registration_id].centre_id for d in decisions
    } & countersigner.scopes.keys()
    if not enforcing:
        return
    for decision in decisions:
        registration = registrations[decision.registration_id]
        unit_id = decision.unit
        if not countersigner.covers(registration.centre_id, registration.qualification_id, unit_id):
            code = Unit.objects.filter(pk=unit_id).values_list("code", flat=True).first()
            raise DecisionRefused(NOT_COMPETENT_TO_COUNTERSIGN.format(unit=code))


NOT_COMPLETE = "The unit cannot be signed off yet: {items}."
WRONG_PASSWORD = "That password is not yours: sign-off needs your own password, typed again."
DECLARATION_NEEDED = "Confirm the declaration before signing."
ALREADY_SIGNED = "This unit is already signed off."
ONLY_THE_LEARNER = "Only the learner countersigns their own unit."
UNIT_SIGNED_OFF = "{unit} is signed off: its decisions are locked."
NOTHING_TO_COUNTERSIGN_HERE = "This sign-off is already countersigned, or was unlocked."


def unit_missing(registration: Registration, unit_id: int) -> list[str]:
    """What stands between a unit and its sign-off: its evidence requirements and sufficiency
    first (a few lines an assessor would otherwise find after dozens of items), then item by
    item (`unit_gaps`)."""
    return unit_gaps(registration, unit_id).lines


@dataclass(frozen=True)
class UnitGaps:
    """What stands between a unit and its sign-off: what its evidence requirements and
    sufficiency rules still miss, in the specification's words, and each item's state that
    keeps it from counting, in the unit's order."""

    requirements: list[str]
    items: list[tuple[str, str]]  # (the item's name, a GAP_* state)

    @property
    def lines(self) -> list[str]:
        return self.requirements + [GAP_WORDS[state].format(name=n) for n, state in self.items]

    def named(self, state: str) -> list[str]:
        return [name for name, s in self.items if s == state]

    @property
    def summary(self) -> list[str]:
        """As the sign-off page groups them: the requirements first, then a count per state
        (each item named only where a state has a few), not a sentence of forty items."""
        said = list(self.requirements)
        for state in (GAP_NO_DECISION, GAP_NOT_MET, GAP_AWAITING):
            names = self.named(state)
            if len(names) > GAP_NAMED:
                said.append(GAP_COUNTED[state].format(n=len(names)))
            else:
                said += [GAP_WORDS[state].format(name=n) for n in names]
        return said


GAP_NO_DECISION, GAP_NOT_MET, GAP_AWAITING = "no_decision", "not_met", "awaiting"
GAP_NAMED = 3  # a state with more items than this is said as a count in a refusal
GAP_COUNTED = {
    GAP_NO_DECISION: "{n} items have no decision",
    GAP_NOT_MET: "{n} items are not yet met",
    GAP_AWAITING: "{n} items await countersignature",
}
GAP_WORDS = {
    GAP_NO_DECISION: "{name} has no decision",
    GAP_NOT_MET: "{name} is not yet met",
    GAP_AWAITING: "{name} awaits countersignature",
}


def unit_gaps(registration: Registration, unit_id: int) -> UnitGaps:
    """`unit_missing`, grouped for the sign-off page. Read as plain rows: the unit's items
    first, then the registration's current decisions."""
    # The unit's items from the catalogue's rows kept per revision (`units_rows`), in the
    # specification's order: no query once the qualification's rows are kept.
    rows = units_rows(registration.qualification, [unit_id])
    criteria = [(c.pk, c.number) for unit in rows for c in unit.criteria]
    ranges = [(r.pk, r.reference) for unit in rows for r in unit.range_items]
    knowledge = [(k.pk, k.number) for unit in rows for k in unit.knowledge_items]
    # Items met through RPL need no decision (decision 54).
    rpl = met_by_rpl(registration, unit_id)
    criteria = [(pk, n) for pk, n in criteria if (pk, None, None) not in rpl]
    ranges = [(pk, ref) for pk, ref in ranges if (None, pk, None) not in rpl]
    knowledge = [(pk, n) for pk, n in knowledge if (None, None, pk) not in rpl]
    # All the registration's current decisions, looked up here by item: the unit's items as
    # three lists of ids in the query cost more to build than the rows of its other units.
    counted: dict[tuple[int | None, int | None, int | None], tuple[str, bool]] = {
        (c, r, k): (outcome, provisional)
        for c, r, k, outcome, provisional in current_rows(registration.pk)
    }
    missing = []
    for pk, number in criteria:
        missing += _state(counted.get((pk, None, None)), f"criterion {number}")
    for pk, reference in ranges:
        missing += _state(counted.get((None, pk, None)), f"range {reference}")
    for pk, number in knowledge:
        missing += _state(counted.get((None, None, pk)), f"knowledge K{number}")
    # Its evidence requirements and sufficiency rules, in the specification's words (decision 52).
    return UnitGaps(requirements_missing(registration, unit_id), missing)


@compiled_once
def current_rows(registration_id: int) -> QuerySet[Decision, Any]:
    """The registration's current decisions as rows (the item, its outcome, whether it is
    provisional), by SQL compiled once per process (`portal.compiled`): for the review page
    (`pages.current_decisions`) and a unit's gaps (`unit_gaps`)."""
    current = Decision.objects.filter(registration_id=registration_id, current=True)
    return current.values_list(
        "criterion", "range_item", "knowledge_item", "outcome", "provisional"
    )


def _state(decision: tuple[str, bool] | None, name: str) -> list[tuple[str, str]]:
    """What keeps an item from counting, given its current decision's outcome and whether it
    is provisional (None: no decision)."""
    if decision is None:
        return [(name, GAP_NO_DECISION)]
    outcome, provisional = decision
    if outcome != Outcome.MET:
        return [(name, GAP_NOT_MET)]
    if provisional:
        return [(name, GAP_AWAITING)]
    return []


MET_BY_PRIOR_LEARNING = (
    "This unit is met through the learner's prior learning (RPL or an exemption): there is "
    "nothing to sign off unless that is withdrawn."
)


def unit_sign_off(
    *,
    registration: Registration,
    unit_id: int,
    signature: str,
    password: str,
    declared: bool,
    actor: User,
    conditions: Collection[str] = (),
) -> UnitSignOff:
    """The assessor signs a unit off once every criterion (and CVQ range and knowledge item)
    is met by a decision that counts, and every evidence requirement item and sufficiency rule
    is recorded as met; they confirm with their own password, and tick each of the unit's
    conditions on the evidence (`conditions`: their numbers), kept on the sign-off."""
    role = assessor_role(actor, registration)
    if role is None or not registration.is_assessed_by(actor):
        raise PermissionDenied(NOT_THEIR_ASSESSOR)
    if not declared or not signature.strip():
        raise DecisionRefused(DECLARATION_NEEDED)
    if not actor.check_password(password):
        raise DecisionRefused(WRONG_PASSWORD)
    with transaction.atomic():
        lock_chain(registration.centre_id)
        locked = Registration.objects.lock(registration, refused=DecisionRefused)
        _refuse_unit_of_another(locked, unit_id, actor)
        signed = UnitSignOff.objects.in_force().filter(registration=registration, unit_id=unit_id)
        if signed.exists():
            raise DecisionRefused(ALREADY_SIGNED)
        prior = PriorLearning.objects.in_force().filter(registration=registration, unit_id=unit_id)
        if prior.exists():
            raise DecisionRefused(MET_BY_PRIOR_LEARNING)
        checked = check_conditions(registration, unit_id, conditions)
        # Grouped as the page groups them: the page lists every item by its state.
        missing = unit_gaps(registration, unit_id).summary + checked.problems
        if missing:
            raise DecisionRefused(NOT_COMPLETE.format(items="; ".join(missing)))
        sign_off = UnitSignOff.objects.create(
            registration=registration,
            unit_id=unit_id,
            signed_by=actor,
            signed_at=timezone.now(),
            signature=signature.strip(),
            conditions=checked.confirmed,
            provisional=sign_off_provisional(locked, unit_id, actor),  # decision 53
        )
        audit_append(
            actor=actor,
            action="unit.signed_off",
            centre_id=registration.centre_id,
            subject=f"sign_off:{sign_off.pk}",
            after={
                "registration": registration.pk,
                "unit": unit_id,
                "signature": sign_off.signature,
                "conditions": checked.confirmed,
                "provisional": sign_off.provisional,
            },
        )
        notices.unit_signed_off(sign_off)
    return sign_off


def unit_learner_countersign(
    *, sign_off: UnitSignOff, signature: str, declared: bool, actor: User
) -> UnitSignOff:
    """The learner declares the evidence their own; the unit is then achieved."""
    if actor.pk != sign_off.registration.learner_id:
        raise PermissionDenied(ONLY_THE_LEARNER)
    if not declared or not signature.strip():
        raise DecisionRefused(DECLARATION_NEEDED)
    with transaction.atomic():
        lock_chain(sign_off.registration.centre_id)
        Registration.objects.lock(sign_off.registration_id, refused=DecisionRefused)
        readiness_changed(sign_off.registration_id)
        sign_off = UnitSignOff.objects.select_for_update().get(pk=sign_off.pk)
        if sign_off.learner_signed_at is not None or sign_off.unlocked_at is not None:
            raise DecisionRefused(NOTHING_TO_COUNTERSIGN_HERE)
        refuse_while_provisional(sign_off)  # decision 53
        sign_off.learner_signature = signature.strip()
        sign_off.learner_signed_at = timezone.now()
        sign_off.save(update_fields=["learner_signature", "learner_signed_at"])
        audit_append(
            actor=actor,
            action="unit.learner_countersigned",
            centre_id=sign_off.registration.centre_id,
            subject=f"sign_off:{sign_off.pk}",
            after={"signature": sign_off.learner_signature},
        )
        notices.unit_countersigned(sign_off)
    return sign_off


NOT_THE_ASSESSOR_OF_MAPPING = "Only the learner's assessor can confirm or reject their mappings."
MAPPING_ALREADY = "This mapping is already {status}."
FEEDBACK_NEEDED = "Say why the mapping is rejected: the learner sees your feedback."


def mapping_review(*, mapping: Mapping, confirm: bool, feedback: str, actor: User) -> Mapping:
    """The assessor confirms that an evidence item covers an item, or rejects the claim with
    feedback, without deciding the item itself. Judged evidence is locked for the learner."""
    registration = mapping.evidence.registration
    if assessor_role(actor, registration) is None or not registration.is_assessed_by(actor):
        raise PermissionDenied(NOT_THE_ASSESSOR_OF_MAPPING)
    if actor.pk == registration.learner_id:
        raise PermissionDenied(OWN_REGISTRATION)
    if not confirm and not feedback.strip():
        raise DecisionRefused(FEEDBACK_NEEDED)
    unit = getattr(mapping.target, "unit", None)
    if unit is not None and unit.pk in _signed_off_units(registration):
        raise DecisionRefused(UNIT_SIGNED_OFF.format(unit=unit))
    now = timezone.now()
    wanted = MappingStatus.CONFIRMED if confirm else MappingStatus.REJECTED
    with transaction.atomic():
        lock_chain(registration.centre_id)
        # Taking turns with a sign-off of the unit, and with a change of its assessor.
        locked = Registration.objects.lock(registration, refused=DecisionRefused)
        if unit is not None:
            _refuse_unit_of_another(locked, unit.pk, actor)
        if unit is not None and unit.pk in _signed_off_units(registration):
            raise DecisionRefused(UNIT_SIGNED_OFF.format(unit=unit))
        found = Mapping.objects.select_for_update().filter(pk=mapping.pk).first()
        if found is None:  # its evidence removed, or the mapping taken back, just before
            raise GoneMeanwhile(MAPPING_GONE)
        mapping = found
        if (mapping.status, mapping.feedback) == (wanted, feedback.strip()):
            # Already so (another tab, a double click): nothing to change or to log.
            raise DecisionRefused(MAPPING_ALREADY.format(status=wanted.label.lower()))
        before = {"status": mapping.status, "feedback": mapping.feedback}
        mapping.status = wanted
        mapping.feedback = feedback.strip()
        mapping.reviewed_by, mapping.reviewed_at = actor, now
        mapping.save(update_fields=["status", "feedback", "reviewed_by", "reviewed_at"])
        Evidence.objects.filter(pk=mapping.evidence_id, judged_at__isnull=True).update(
            judged_at=now
        )
        audit_append(
            actor=actor,
            action="mapping.confirmed" if confirm else "mapping.rejected",
            centre_id=registration.centre_id,
            subject=f"mapping:{mapping.pk}",
            before=before,
            after={"status": mapping.status, "feedback": mapping.feedback},
        )
        if not confirm:
            notices.mapping_rejected(mapping, actor)
    return mapping


# The records an assessor writes of what they saw or heard, mapped like any evidence.
ASSESSOR_METHODS = (
    EvidenceMethod.OBSERVATION,
    EvidenceMethod.PROFESSIONAL_DISCUSSION,
    EvidenceMethod.QUESTIONING,
)
NOT_AN_ASSESSOR_METHOD = (
    "An assessor records observations, professional discussions and questioning."
)
RECORD_NEEDED = "Write the record: what you saw, heard or asked, and the learner's answers."


def evidence_record(
    *,
    registration: Registration,
    details: EvidenceDetails,
    files: Sequence[UploadedFile],
    actor: User,
) -> Evidence:
    """The assessor's own record (an observation, professional discussion or questions and
    answers, optionally with a recording) added to the learner's portfolio, by any of their
    assessors (the registration's or a unit's): it is mapped to their own units afterwards."""
    if assessor_role(actor, registration) is None or not registration.is_assessed_by(actor):
        raise PermissionDenied(NOT_THEIR_ASSESSOR)
    problems = [] if details.method in ASSESSOR_METHODS else [NOT_AN_ASSESSOR_METHOD]
    dates = date_problems(registration, details.occurred_on)
    text = details.description.strip()
    written = [] if text else [RECORD_NEEDED]
    if len(text) > ACCOUNT_MAX_LENGTH:  # the limit a learner's account has (decision 38)
        written.append(RECORD_TOO_LONG.format(length=len(text), limit=ACCOUNT_MAX_LENGTH))
    problems += dates + written
    try:
        inspected = check_files(registration, files)
    except EvidenceRejected as rejected:
        problems += rejected.messages
    if problems:
        raise written_refusal(problems, {"occurred_on": dates, "description": written})
    with transaction.atomic():
        # The chain first, as evidence_store takes it, so the learner's notice is made in the
        # same transaction as the record it tells of.
        lock_chain(registration.centre_id)
        evidence = evidence_store(
            registration, details, files, inspected, actor, action="evidence.recorded"
        )
        notices.record_made(evidence, actor)
    return evidence


CLASSIFIED_WHEN_JUDGED = (
    "This evidence has been judged: whether it is real work or simulated, and its kind, stay as "
    "they were when it was judged."
)


def evidence_classify(*, evidence: Evidence, setting: str, kind: str, actor: User) -> Evidence:
    """The assessor says whether the evidence is real work or simulated and what kind of
    evidence it is (decision 51), while nobody has judged it yet: the decisions resting on it
    were checked against the unit's rules as it then was."""
    registration = evidence.registration
    if assessor_role(actor, registration) is None or not registration.is_assessed_by(actor):
        raise PermissionDenied(NOT_THEIR_ASSESSOR)
    with transaction.atomic():
        lock_chain(registration.centre_id)
        Registration.objects.lock(registration, refused=DecisionRefused)
        locked = Evidence.objects.select_for_update().filter(pk=evidence.pk).first()
        if locked is None:
            raise GoneMeanwhile(EVIDENCE_GONE)
        if locked.is_locked:
            raise DecisionRefused(CLASSIFIED_WHEN_JUDGED)
        before = {"setting": locked.setting, "kind": locked.kind}
        after = {"setting": setting, "kind": kind}
        if before == after:  # saved unchanged: nothing to record
            return locked
        locked.setting, locked.kind = setting, kind
        # The learner can no longer change what the assessor set (decision 53).
        locked.classified_by, locked.classified_at = actor, timezone.now()
        locked.save(update_fields=["setting", "kind", "classified_by", "classified_at"])
        audit_append(
            actor=actor,
            action="evidence.classified",
            centre_id=registration.centre_id,
            subject=f"evidence:{locked.pk}",
            before=before,
            after=after,
        )
    return locked


ONLY_THE_CENTRE_ADMIN = "Only a centre admin of the learner's centre can unlock a unit."
REASON_NEEDED = "Write why the unit is unlocked: the reason is kept with its history."
NOT_LOCKED = "This sign-off was already unlocked."


def unit_unlock(*, sign_off: UnitSignOff, reason: str, actor: User) -> UnitSignOff:
    """A centre admin lifts a sign-off so the unit's decisions can change again. The sign-off
    is kept, marked unlocked with the reason; the unit must be signed off again."""
    registration = sign_off.registration
    if not holds(actor, RoleKind.CENTRE_ADMIN, registration.centre):
        raise PermissionDenied(ONLY_THE_CENTRE_ADMIN)
    if not reason.strip():
        raise DecisionRefused(REASON_NEEDED)
    with transaction.atomic():
        lock_chain(registration.centre_id)
        Registration.objects.lock(registration, refused=DecisionRefused)
        readiness_changed(registration)
        locked = UnitSignOff.objects.select_for_update().get(pk=sign_off.pk)
        if locked.unlocked_at is not None:
            raise DecisionRefused(NOT_LOCKED)
        locked.unlocked_by, locked.unlocked_at = actor, timezone.now()
        locked.unlock_reason = reason.strip()
        locked.save(update_fields=["unlocked_by", "unlocked_at", "unlock_reason"])
        audit_append(
            actor=actor,
            action="unit.unlocked",
            centre_id=registration.centre_id,
            subject=f"sign_off:{locked.pk}",
            before={"registration": registration.pk, "unit": locked.unit_id, "locked": True},
            after={"locked": False, "reason": locked.unlock_reason},
        )
    return locked


# Evidence requirements and sufficiency, recorded by the unit's assessor (decision 52).
UNIT_NOT_PLANNED = "This unit is not in this registration's plan."
NO_SUCH_ITEM = "{unit} has no evidence requirement item {reference} to meet."
ITEM_ALREADY_SHOWN = (
    "Evidence requirement {reference} is already recorded as shown: withdraw that record first "
    "to record it again."
)
CITE_EVIDENCE = "Choose the evidence that shows it: at least one piece of the learner's."
NOT_ON_UNIT = (
    "“{title}” is not evidence for {unit}: cite evidence mapped to one of its items or "
    "decided on one."
)
NO_SUCH_RULE = "{unit} has no sufficiency rule for {measure}."
SIMULATED_NOT_COUNTED = (
    "“{title}” {what}: only real work counts toward {measure}. The specification says: “{quote}”"
)
REQUIREMENT_SIMULATED = (
    "“{title}” {what}: in {unit}, simulation is not allowed, so it does not show evidence "
    "requirement {reference}. The specification says: “{quote}”"
)
# A judgement of the period resting on simulated evidence, where the unit forbids simulation
# (decision 52, amended on 7 December 2026).
PERIOD_SIMULATED = (
    "“{title}” {what}: in {unit}, simulation is not allowed, so it does not show "
    "{measure}. The specification says: “{quote}”"
)
EVIDENCE_FOR_COUNT = "Choose the piece of real-work evidence that shows this {what}."
DESCRIPTION_NEEDED = "Say which {what} it was, in a few words."
JUDGEMENT_NEEDED = "Write why you judge the evidence covers a sufficient period of time."
DESCRIPTION_TOO_LONG = "Keep it to {limit} characters."
EVIDENCE_COUNTED = (
    "“{title}” is already recorded toward {measure}: each piece of evidence counts once."
)
DESCRIPTION_COUNTED = (
    "“{description}” is already recorded toward {measure}: each {what} counts once."
)
ALREADY_JUDGED = (
    "Your judgement that the period is sufficient is already recorded: withdraw it first to "
    "record another."
)
WITHDRAW_REASON_NEEDED = "Say why you withdraw it: the reason is kept with the record."
ALREADY_WITHDRAWN = "This record was withdrawn already."
DESCRIPTION_MAX = 200
JUDGEMENT_MAX = 2000
# What one record toward a sufficiency rule is, by the rule's measure.
COUNTED = {"occasions": "occasion", "customers": "customer", "period": "period"}


def _refuse_on_unit(registration: Registration, unit_id: int, actor: User) -> Registration:
    """The checks every record of the unit's requirements makes, under the chain: the actor is
    the learner's assessor for this unit, the registration is open and the unit not signed off.
    Returns the locked registration."""
    if actor.pk == registration.learner_id:
        raise PermissionDenied(OWN_REGISTRATION)
    if assessor_role(actor, registration) is None or not registration.is_assessed_by(actor):
        raise PermissionDenied(NOT_THEIR_ASSESSOR)
    locked = Registration.objects.lock(registration, refused=DecisionRefused)
    if not locked.planned_units.filter(unit_id=unit_id).exists():
        raise DecisionRefused(UNIT_NOT_PLANNED)
    _refuse_unit_of_another(locked, unit_id, actor)
    if UnitSignOff.objects.in_force().filter(registration=registration, unit_id=unit_id).exists():
        unit = Unit.objects.get(pk=unit_id)
        raise DecisionRefused(UNIT_SIGNED_OFF.format(unit=f"{unit.code} {unit.title}"))
    return locked


def _cited(registration: Registration, unit: Unit, evidence_ids: Collection[int]) -> list[Evidence]:
    """The evidence cited, read under the lock: the learner's own, for this unit, or refused."""
    found = {e.pk: e for e in Evidence.objects.filter(pk__in=evidence_ids)}
    if len(found) != len(set(evidence_ids)):
        raise GoneMeanwhile(EVIDENCE_GONE)
    if any(e.registration_id != registration.pk for e in found.values()):
        raise DecisionRefused(EVIDENCE_ELSEWHERE)
    on_unit = set(
        evidence_on_unit(registration, unit.pk).filter(pk__in=found).values_list("pk", flat=True)
    )
    problems = [
        NOT_ON_UNIT.format(title=e.title, unit=f"{unit.code} {unit.title}")
        for pk, e in sorted(found.items())
        if pk not in on_unit
    ]
    if problems:
        raise DecisionRefused(problems)
    return [found[pk] for pk in sorted(found)]


def _refuse_simulated_where_forbidden(
    registration: Registration, unit: Unit, reference: str, cited: list[Evidence]
) -> None:
    """Simulated evidence does not show an evidence requirement item whose rule does not allow
    simulation: the rule of the element the item's requirement names, else the unit's
    (decision 52, amended): refused piece by piece, quoting the rule, as a sufficiency record
    refuses it."""
    how = how_assessed(registration.qualification, unit.pk)
    element = next(
        (i.element for i in requirement_items(how.requirements) if i.reference == reference), ""
    )
    rule = simulation_rule(how.simulation, element)
    if rule is None or rule.allowed:
        return
    problems = [
        REQUIREMENT_SIMULATED.format(
            title=e.title,
            what=why_not_real(e.setting),
            unit=f"{unit.code} {unit.title}",
            reference=reference,
            quote=rule.quote,
        )
        for e in cited
        if simulated_for(e.setting, bool(how.environment))
    ]
    if problems:
        raise DecisionRefused(problems)


def _refuse_simulated_period(
    registration: Registration, unit: Unit, rule: SufficiencyRule, cited: list[Evidence]
) -> None:
    """A judgement that the evidence covers a sufficient period does not rest on simulated
    evidence where the unit does not allow simulation: the seeds ask for performance "over a
    sufficient period of time with different customers on different occasions" at real work,
    as occasions and customers are (decision 52, amended on 7 December 2026)."""
    how = how_assessed(registration.qualification, unit.pk)
    forbids = simulation_rule(how.simulation, "")
    if forbids is None or forbids.allowed:
        return
    problems = [
        PERIOD_SIMULATED.format(
            title=e.title,
            what=why_not_real(e.setting),
            unit=f"{unit.code} {unit.title}",
            measure=measure_words(rule),
            quote=forbids.quote,
        )
        for e in cited
        if simulated_for(e.setting, bool(how.environment))
    ]
    if problems:
        raise DecisionRefused(problems)


def requirement_show(
    *,
    registration: Registration,
    unit_id: int,
    reference: str,
    evidence: Collection[int],
    actor: User,
) -> RequirementShown:
    """The assessor records an evidence requirement item ("5b") as shown by the evidence cited
    (the learner's, for this unit), which is then judged: the learner can no longer change it."""
    if not evidence:
        raise DecisionRefused(CITE_EVIDENCE)
    with transaction.atomic():
        lock_chain(registration.centre_id)
        _refuse_on_unit(registration, unit_id, actor)
        unit = Unit.objects.get(pk=unit_id)
        references = {
            item.reference
            for item in requirement_items(
                how_assessed(registration.qualification, unit_id).requirements
            )
        }
        if reference not in references:
            raise DecisionRefused(
                NO_SUCH_ITEM.format(unit=f"{unit.code} {unit.title}", reference=reference)
            )
        shown = RequirementShown.objects.filter(
            registration=registration,
            unit_id=unit_id,
            reference=reference,
            withdrawn_at__isnull=True,
        )
        if shown.exists():
            raise DecisionRefused(ITEM_ALREADY_SHOWN.format(reference=reference))
        cited = _cited(registration, unit, evidence)
        _refuse_simulated_where_forbidden(registration, unit, reference, cited)
        now = timezone.now()
        Evidence.objects.filter(pk__in=[e.pk for e in cited], judged_at__isnull=True).update(
            judged_at=now
        )
        record = RequirementShown.objects.create(
            registration=registration,
            unit_id=unit_id,
            reference=reference,
            recorded_by=actor,
            recorded_at=now,
        )
        record.evidence.set(cited)
        audit_append(
            actor=actor,
            action="requirement.shown",
            centre_id=registration.centre_id,
            subject=f"requirement_shown:{record.pk}",
            after={
                "registration": registration.pk,
                "unit": unit_id,
                "reference": reference,
                "evidence": [e.pk for e in cited],
            },
        )
    return record


def sufficiency_record(
    *,
    registration: Registration,
    unit_id: int,
    measure: str,
    evidence: int | None,
    description: str,
    actor: User,
) -> SufficiencyRecord:
    """Toward the unit's sufficiency rule for `measure`: an occasion or a customer (a piece of
    real-work evidence for this unit and a few words saying which), each piece and each
    description counted once; or, for a rule with no minimum (a sufficient period), the
    assessor's judgement, a statement."""
    text = description.strip()
    what = COUNTED.get(measure, "record")
    with transaction.atomic():
        lock_chain(registration.centre_id)
        _refuse_on_unit(registration, unit_id, actor)
        unit = Unit.objects.get(pk=unit_id)
        rules = {
            r.measure: r for r in how_assessed(registration.qualification, unit_id).sufficiency
        }
        rule = rules.get(measure)
        if rule is None:
            raise DecisionRefused(
                NO_SUCH_RULE.format(unit=f"{unit.code} {unit.title}", measure=measure)
            )
        words = measure_words(rule)
        in_force = SufficiencyRecord.objects.filter(
            registration=registration, unit_id=unit_id, measure=measure, withdrawn_at__isnull=True
        )
        cited: list[Evidence] = []
        if rule.minimum is None:
            if not text:
                raise DecisionRefused(JUDGEMENT_NEEDED)
            if len(text) > JUDGEMENT_MAX:
                raise DecisionRefused(DESCRIPTION_TOO_LONG.format(limit=JUDGEMENT_MAX))
            if in_force.exists():
                raise DecisionRefused(ALREADY_JUDGED)
            if evidence is not None:
                cited = _cited(registration, unit, [evidence])
                _refuse_simulated_period(registration, unit, rule, cited)
        else:
            problems = [] if evidence is not None else [EVIDENCE_FOR_COUNT.format(what=what)]
            if not text:
                problems.append(DESCRIPTION_NEEDED.format(what=what))
            elif len(text) > DESCRIPTION_MAX:
                problems.append(DESCRIPTION_TOO_LONG.format(limit=DESCRIPTION_MAX))
            if problems:
                raise DecisionRefused(problems)
            assert evidence is not None
            cited = _cited(registration, unit, [evidence])
            [piece] = cited
            accepted = bool(how_assessed(registration.qualification, unit_id).environment)
            if simulated_for(piece.setting, accepted):
                raise DecisionRefused(
                    SIMULATED_NOT_COUNTED.format(
                        title=piece.title,
                        what=why_not_real(piece.setting),
                        measure=words,
                        quote=rule.quote,
                    )
                )
            counted = list(in_force.values_list("evidence_id", "description"))
            # One piece may show several customers (an observation of a busy shift), each
            # named once; an occasion is one piece's (decision 52, amended on 7 December 2026).
            if measure != SufficiencyMeasure.CUSTOMERS and any(pk == piece.pk for pk, _ in counted):
                raise DecisionRefused(EVIDENCE_COUNTED.format(title=piece.title, measure=words))
            if any(_same_words(said, text) for _, said in counted):
                raise DecisionRefused(
                    DESCRIPTION_COUNTED.format(description=text, measure=words, what=what)
                )
        now = timezone.now()
        Evidence.objects.filter(pk__in=[e.pk for e in cited], judged_at__isnull=True).update(
            judged_at=now
        )
        record = SufficiencyRecord.objects.create(
            registration=registration,
            unit_id=unit_id,
            measure=measure,
            evidence=cited[0] if cited else None,
            description=text,
            recorded_by=actor,
            recorded_at=now,
        )
        audit_append(
            actor=actor,
            action="sufficiency.recorded",
            centre_id=registration.centre_id,
            subject=f"sufficiency_record:{record.pk}",
            after={
                "registration": registration.pk,
                "unit": unit_id,
                "measure": measure,
                "evidence": record.evidence_id,
                "description": text,
            },
        )
    return record


def _same_words(a: str, b: str) -> bool:
    """Two descriptions of the same customer or occasion: equal but for case, spacing and
    punctuation ("Mr Grey, counter query" is "Mr. Grey - counter query"; "Monday" is
    "Monday.")."""
    return _words(a) == _words(b)


def _words(text: str) -> list[str]:
    """The words of a description, in lower case, punctuation read as a space."""
    return "".join(
        " " if unicodedata.category(ch).startswith("P") else ch for ch in text.casefold()
    ).split()


def requirement_withdraw(
    *, record: RequirementShown | SufficiencyRecord, reason: str, actor: User
) -> RequirementShown | SufficiencyRecord:
    """The assessor withdraws their record of an evidence requirement item or toward a
    sufficiency rule, saying why: kept, with who withdrew it and when; it counts no more."""
    if not reason.strip():
        raise DecisionRefused(WITHDRAW_REASON_NEEDED)
    registration = record.registration
    model = type(record)
    subject = "requirement_shown" if model is RequirementShown else "sufficiency_record"
    with transaction.atomic():
        lock_chain(registration.centre_id)
        _refuse_on_unit(registration, record.unit_id, actor)
        locked = model.objects.select_for_update().get(pk=record.pk)
        if locked.withdrawn_at is not None:
            raise DecisionRefused(ALREADY_WITHDRAWN)
        locked.withdrawn_by, locked.withdrawn_at = actor, timezone.now()
        locked.withdraw_reason = reason.strip()
        locked.save(update_fields=["withdrawn_by", "withdrawn_at", "withdraw_reason"])
        audit_append(
            actor=actor,
            action=(
                "requirement.withdrawn" if model is RequirementShown else "sufficiency.withdrawn"
            ),
            centre_id=registration.centre_id,
            subject=f"{subject}:{locked.pk}",
            before={"registration": registration.pk, "unit": locked.unit_id, "in_force": True},
            after={"in_force": False, "reason": locked.withdraw_reason},
        )
    return locked
