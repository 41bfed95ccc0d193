"""Why a decision or a sign-off is provisional, and who can countersign it, in words for the
assessor before and after they sign or decide, and for the centre admin when nobody can
(decision 53, amended).

The rule itself stays where it is enforced (`sign_off_countersign.sign_off_provisional`,
`services._provisional_units`): a trainee assessor's work is provisional, and so, at a centre
enforcing its competence register, is the work of an assessor whose current awards do not
cover the unit. This module only reads the same facts to say them.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from assessment.models import Decision, UnitSignOff, unit_of_item
from competence.models import (
    CompetenceEntry,
    EntryQuerySet,
    Practice,
    RegisterEnforced,
    awards_for,
)
from competence.standing import Scope, current_entries_sql, enforced, scope_where_enforced
from portal.compiled import compiled_once
from portal.models import Centre, Role, RoleKind, User
from portfolios.models import PriorLearning, Registration, still_open_sql
from qualifications.models import Criterion, KnowledgeItem, RangeItem, Unit

BECAUSE_TRAINEE = "you assess as a trainee assessor"
BECAUSE_OUT_OF_SCOPE = (
    "your current assessor awards in the centre's competence register do not cover unit {unit}"
)
WAITS_FOR = "waits for a countersignature by a qualified assessor competent for this unit"
WHO_CAN = "At the centre, {names} can countersign it."
NOBODY_CAN = (
    "Nobody at the centre can countersign it at present: no other qualified assessor has a "
    "current award covering this unit. Ask your centre admin to record one in the competence "
    "register."
)
SIGN_OFF_WILL_BE = "Your sign-off will be provisional because {why}: it {waits}. {who}"
SIGNED_OFF_PROVISIONALLY = (
    "{unit} is signed off provisionally because {why}: it {waits}, then the learner "
    "countersigns. {who}"
)
DECISIONS_PROVISIONAL = (
    "{count} provisional because {why}: {it} {waits}. Until then {it_is} not counted toward "
    "the unit."
)


def because(registration: Registration, unit: Unit, actor: User, *, trainee: bool) -> str:
    """Why the actor's decisions or sign-off on the unit are provisional ("" if they are not):
    one query where the actor is not a trainee."""
    if trainee:
        return BECAUSE_TRAINEE
    day = timezone.localdate()
    scope = scope_where_enforced(actor.pk, registration.centre_id, Practice.ASSESSING, day)
    if scope is None or scope.covers(registration.qualification_id, unit.pk):
        return ""
    return BECAUSE_OUT_OF_SCOPE.format(unit=unit.code)


def is_trainee(actor: User, centre_id: int, roles: Iterable[Role] | None = None) -> bool:
    """Whether the actor assesses as a trainee at the centre: from their roles when the caller
    has read them (a request has, `request.roles`), else one query."""
    if roles is not None:
        return any(
            r.centre_id == centre_id and r.kind == RoleKind.ASSESSOR and r.is_trainee for r in roles
        )
    return Role.objects.filter(
        user=actor, centre_id=centre_id, kind=RoleKind.ASSESSOR, is_trainee=True
    ).exists()


def countersigners(
    registration: Registration, unit_id: int, *, besides: Collection[int]
) -> list[str]:
    """The names of those who could countersign work on the unit: qualified (not trainee)
    assessors of the centre, not the people `besides` (who did the work, and the learner), and,
    where the centre enforces its register, with a current award covering the unit or its
    qualification. Two queries (three where enforced)."""
    found = (
        User.objects.filter(
            roles__centre_id=registration.centre_id,
            roles__kind=RoleKind.ASSESSOR,
            roles__is_trainee=False,
        )
        .exclude(pk__in=[*besides, registration.learner_id])
        .order_by("full_name", "pk")
    )
    if enforced(registration.centre_id):
        covering = _current_entries(registration.centre_id, timezone.localdate()).filter(
            Q(qualifications=registration.qualification_id) | Q(units=unit_id)
        )
        found = found.filter(pk__in=covering.values("person_id"))
    return list(found.distinct().values_list("full_name", flat=True))


def countersigners_of(
    registration: Registration,
    unit_ids: Sequence[int],
    *,
    besides: Collection[int],
    enforcing: bool | None = None,
) -> dict[int, list[str]]:
    """`countersigners` of each unit given, in one query however many units, with whether the
    centre enforces its register read in it unless the caller knows (`enforcing`): asked unit
    by unit, a page made more queries for evidence mapped to more units.

    Written as SQL (as `_register` is): the ORM's query, an `EXISTS` a unit, cost the trainee's
    review page and a decision some 7,000 Python calls to build. The qualified (not trainee)
    assessors of the centre but those `besides` and the learner, by name, each with whether a
    current award of theirs at the centre covers the qualification, and a line for each of
    the units given that one covers (current as `EntryQuerySet.current_on` says)."""
    centre_id = registration.centre_id
    params: list[Any] = []
    columns = ""
    joined = ""
    if enforcing is not False:
        entry = CompetenceEntry._meta
        through = {
            name: entry.get_field(name).remote_field.through._meta.db_table  # type: ignore[union-attr]
            for name in ("qualifications", "units")
        }
        current, entry_params = current_entries_sql(
            "c.centre_id", centre_id, Practice.ASSESSING, timezone.localdate()
        )
        if enforcing is None:
            columns += (
                f", EXISTS (SELECT 1 FROM {RegisterEnforced._meta.db_table} e"
                " WHERE e.centre_id = %s)"
            )
            params.append(centre_id)
        columns += (
            f", EXISTS (SELECT 1 FROM {entry.db_table} c JOIN {through['qualifications']} q"
            f" ON q.competenceentry_id = c.id WHERE {current} AND c.person_id = u.id"
            " AND q.qualification_id = %s), x.unit_id"
        )
        params += [*entry_params, registration.qualification_id]
        units = ", ".join(["%s"] * len(unit_ids)) or "NULL"
        joined = (
            f" LEFT JOIN (SELECT c.person_id, t.unit_id FROM {entry.db_table} c"
            f" JOIN {through['units']} t ON t.competenceentry_id = c.id"
            f" WHERE {current} AND t.unit_id IN ({units})) x ON x.person_id = u.id"
        )
        params += [*entry_params, *unit_ids]
    excluded = [*besides, registration.learner_id]
    sql = (
        f"SELECT u.id, u.full_name{columns} FROM {User._meta.db_table} u{joined}"
        f" WHERE EXISTS (SELECT 1 FROM {Role._meta.db_table} r WHERE r.user_id = u.id"
        " AND r.centre_id = %s AND r.kind = %s AND NOT r.is_trainee)"
        f" AND u.id NOT IN ({', '.join(['%s'] * len(excluded))})"
        " ORDER BY u.full_name, u.id"
    )
    params += [centre_id, RoleKind.ASSESSOR, *excluded]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if enforcing is False:
        names = [row[1] for row in rows]
        return {unit_id: names for unit_id in unit_ids}
    # Each person once, in the query's order (a line a unit covered), and what covers.
    people: dict[int, tuple[str, bool, set[int]]] = {}
    for row in rows:
        pk, name, *rest = row
        switch = True if enforcing else bool(rest.pop(0))
        covers_qualification, unit_id = rest
        found = people.setdefault(pk, (name, not switch or bool(covers_qualification), set()))
        if unit_id is not None:
            found[2].add(unit_id)
    return {
        unit_id: [
            name for name, any_unit, covered in people.values() if any_unit or unit_id in covered
        ]
        for unit_id in unit_ids
    }


@compiled_once
def units_of_decisions(ids: list[int]) -> QuerySet[Unit, Any]:
    """The units of the decisions' items (id, code), by code: by SQL compiled once per
    process (`portal.compiled`), for `decisions_message` after each decision recorded."""
    return (
        Unit.objects.filter(
            pk__in=Decision.objects.filter(pk__in=ids).annotate(u=unit_of_item()).values("u")
        )
        .order_by("code")
        .values_list("pk", "code")
    )


def _current_entries(centre_id: int, day: datetime.date) -> EntryQuerySet:
    return CompetenceEntry.objects.current_on(day).filter(
        centre_id=centre_id, award__in=awards_for(Practice.ASSESSING)
    )


def who_can(names: Sequence[str]) -> str:
    if not names:
        return NOBODY_CAN
    return WHO_CAN.format(names=_listed(names))


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def sign_off_notice(
    registration: Registration, unit: Unit, actor: User, roles: Iterable[Role] | None = None
) -> str:
    """What the sign-off page says to the unit's assessor before they sign, where their
    sign-off will be provisional ("" where it will count at once). `roles`: the actor's, when
    the caller has read them."""
    trainee = is_trainee(actor, registration.centre_id, roles)
    why = because(registration, unit, actor, trainee=trainee)
    if not why:
        return ""
    who = who_can(countersigners(registration, unit.pk, besides=[actor.pk]))
    return SIGN_OFF_WILL_BE.format(why=why, waits=WAITS_FOR, who=who)


DECISIONS_WILL_BE = (
    "Your decisions on unit {unit} will be provisional because {why}: they {waits}. {who}"
)


def decisions_notice(
    registration: Registration,
    unit_ids: Collection[int],
    actor: User,
    *,
    roles: Iterable[Role] | None = None,
    codes: Mapping[int, str] | None = None,
) -> list[str]:
    """What the review page says before the assessor decides, for each of the units they assess
    (`unit_ids`) on which their decisions will be provisional: why, and who can countersign
    them, or that nobody can (the sign-off page's words). `roles`: the actor's, and `codes`:
    the units' codes by id, when the caller has them (each saves a query). One query for the
    scope (where enforced) or whether the centre enforces its register (for a trainee), and
    one for the countersigners of every such unit."""
    if not unit_ids:
        return []
    trainee = is_trainee(actor, registration.centre_id, roles)
    scope = None
    if not trainee:
        day = timezone.localdate()
        scope = scope_where_enforced(actor.pk, registration.centre_id, Practice.ASSESSING, day)
        if scope is None:
            return []
    if codes is None:
        codes = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "code"))
    waiting = [
        (code, pk)
        for pk, code in sorted(((pk, codes[pk]) for pk in unit_ids), key=lambda u: (u[1], u[0]))
        if scope is None or not scope.covers(registration.qualification_id, pk)
    ]
    if not waiting:
        return []
    who = countersigners_of(
        registration,
        [pk for _, pk in waiting],
        besides=[actor.pk],
        enforcing=None if trainee else True,
    )
    waits = WAITS_FOR.replace("waits", "wait")
    return [
        DECISIONS_WILL_BE.format(
            unit=code,
            why=BECAUSE_TRAINEE if trainee else BECAUSE_OUT_OF_SCOPE.format(unit=code),
            waits=waits,
            who=who_can(who[pk]),
        )
        for code, pk in waiting
    ]


def signed_off_message(sign_off: UnitSignOff, unit: Unit) -> str:
    """What the assessor is told once their sign-off is recorded provisionally."""
    registration = sign_off.registration
    actor = sign_off.signed_by
    why = because(registration, unit, actor, trainee=is_trainee(actor, registration.centre_id))
    who = who_can(countersigners(registration, unit.pk, besides=[actor.pk]))
    return SIGNED_OFF_PROVISIONALLY.format(
        unit=unit.code, why=why or "it needs a countersignature", waits=WAITS_FOR, who=who
    )


def decisions_message(
    registration: Registration, made: Sequence[Decision], actor: User, role: Role
) -> str:
    """What the assessor is told of the decisions they just recorded that are provisional
    ("" if none): why, and what they wait for. A query for their units, one for the actor's
    scope (or whether the register is enforced) and one for who can countersign them."""
    waiting = [d.pk for d in made if d.provisional]
    if not waiting:
        return ""
    units = units_of_decisions(waiting)  # (id, code), by code
    reasons, enforcing = [], None
    if not role.is_trainee:  # out of scope where the register is enforced: read once
        day = timezone.localdate()
        scope = scope_where_enforced(actor.pk, registration.centre_id, Practice.ASSESSING, day)
        enforcing = scope is not None
        reasons = [
            BECAUSE_OUT_OF_SCOPE.format(unit=code)
            for pk, code in units
            if scope is not None and not scope.covers(registration.qualification_id, pk)
        ]
    why = " and ".join(dict.fromkeys(reasons)) or BECAUSE_TRAINEE
    count = len(waiting)
    if count == 1:
        subject, it = ("1 of them is" if len(made) > 1 else "It is"), ("it", "waits", "it is")
    else:
        subject = f"{count} of them are" if count < len(made) else "They are"
        it = ("they", "wait", "they are")
    said = DECISIONS_PROVISIONAL.format(
        count=subject, why=why, it=it[0], waits=WAITS_FOR.replace("waits", it[1]), it_is=it[2]
    )
    # Who can countersign, or that nobody can: as the sign-off page says it, per unit if several.
    names = countersigners_of(
        registration, [pk for pk, _ in units], besides=[actor.pk], enforcing=enforcing
    )
    who = [(code, who_can(names[pk])) for pk, code in units]
    if len(who) == 1:
        return f"{said} {who[0][1]}"
    return " ".join([said, *(f"Unit {code}: {words}" for code, words in who)])


@dataclass(frozen=True)
class Stranded:
    """Provisional work on a unit of a registration that nobody at the centre can
    countersign: its sign-off or some of its decisions, named for the centre admin."""

    registration_id: int
    unit_id: int
    learner: str = ""
    unit: str = ""  # its code
    by: tuple[str, ...] = ()  # who did the provisional work, by name

    @property
    def words(self) -> str:
        """ "F/506/2131 of Noah Smith (by Tom Trainee)"."""
        return f"{self.unit} of {self.learner} (by {_listed(self.by)})"


def stranded(centre: Centre) -> list[Stranded]:
    """The registrations' units at the centre whose provisional sign-off or decisions nobody
    can countersign (no qualified assessor besides who did the work and the learner, or none
    competent for the unit where the register is enforced), for the centre admin's to-do
    list, with the learner, the unit and who did the work. Work that no longer matters is left
    out: a unit since achieved through RPL or exempt, and provisional decisions on a unit a
    qualified assessor has since signed off (nothing waits on them). Two queries however many
    learners (the qualified assessors with the register, the waiting work), and where anything
    is found the RPL and sign-offs that make it moot, the units' codes and the people's names."""
    qualified, scopes = _register(centre.pk)
    waiting = _waiting_work(centre.pk, settled=_settled(qualified, scopes))
    found: dict[tuple[int, int], tuple[int, set[int], bool]] = {}
    for registration, learner, qualification, unit, by, signed in waiting:
        if any(
            person not in (by, learner)
            and (scopes is None or scopes.get(person, Scope()).covers(qualification, unit))
            for person in qualified
        ):
            continue
        _, people, any_sign_off = found.get((registration, unit), (learner, set(), False))
        found[(registration, unit)] = (learner, people | {by}, any_sign_off or bool(signed))
    if not found:
        return []
    moot = _moot(list({r for r, _ in found}))
    codes = dict(Unit.objects.filter(pk__in={u for _, u in found}).values_list("pk", "code"))
    named = {learner for learner, _, _ in found.values()}.union(
        *(by for _, by, _ in found.values())
    )
    names = dict(User.objects.filter(pk__in=named).values_list("pk", "full_name"))
    return [
        Stranded(r, u, names[learner], codes.get(u, ""), tuple(sorted({names[p] for p in by})))
        for (r, u), (learner, by, signed) in sorted(found.items())
        if (r, u) not in moot[0] and (signed or (r, u) not in moot[1])
    ]


def _settled(qualified: set[int], scopes: dict[int, Scope] | None) -> list[int]:
    """Waiting work someone can surely countersign, as the qualifications whose work the query
    leaves out: where the register is enforced, those three or more qualified assessors'
    awards cover whole (one at least is neither who did the work nor the learner). What is
    left is checked person by person (`stranded`); at a centre whose assessors all hold awards
    for every qualification, nothing is left, and PostgreSQL reads none of its waiting work's
    items and names (decision 46, amended)."""
    if scopes is None:
        return []
    covering: dict[int, int] = {}
    for person in qualified:
        for qualification in scopes.get(person, Scope()).qualifications:
            covering[qualification] = covering.get(qualification, 0) + 1
    return sorted(q for q, count in covering.items() if count >= 3)


def _moot(registration_ids: list[int]) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The (registration, unit) pairs held through RPL or exempt, and those signed off by a
    qualified assessor (not provisionally), in force: two queries."""
    prior = PriorLearning.objects.filter(
        registration__in=registration_ids, withdrawn_at__isnull=True
    ).values_list("registration_id", "unit_id")
    signed = UnitSignOff.objects.filter(
        registration__in=registration_ids, provisional=False, unlocked_at__isnull=True
    ).values_list("registration_id", "unit_id")
    return set(prior), set(signed)


def _waiting_work(centre_id: int, *, settled: Sequence[int]) -> list[tuple[int, ...]]:
    """(registration, learner, qualification, unit, who did it, whether it is a sign-off) of
    the provisional sign-offs in force and current provisional decisions on the centre's open
    registrations, but those on the `settled` qualifications: ids only (the few stranded are
    named after), in one query (`UNION`: each line once). Written as SQL (decision 66): the
    ORM's union of two filtered querysets cost some 6,000 Python calls a view."""
    still, still_params = still_open_sql("r")
    where = f"r.centre_id = %s AND {still}"
    params: list[Any] = [centre_id, *still_params]
    if settled:
        where += f" AND r.qualification_id NOT IN ({', '.join(['%s'] * len(settled))})"
        params += settled
    decision, registration = Decision._meta.db_table, Registration._meta.db_table
    items = [f"{model._meta.db_table}" for model in (Criterion, RangeItem, KnowledgeItem)]
    sql = (
        "SELECT s.registration_id, r.learner_id, r.qualification_id, s.unit_id, s.signed_by_id, 1"
        f" FROM {UnitSignOff._meta.db_table} s JOIN {registration} r ON r.id = s.registration_id"
        f" WHERE s.provisional AND s.unlocked_at IS NULL AND {where}"
        " UNION SELECT d.registration_id, r.learner_id, r.qualification_id,"
        " COALESCE(c.unit_id, ri.unit_id, ki.unit_id), d.decided_by_id, 0"
        f" FROM {decision} d JOIN {registration} r ON r.id = d.registration_id"
        f" LEFT JOIN {items[0]} c ON c.id = d.criterion_id"
        f" LEFT JOIN {items[1]} ri ON ri.id = d.range_item_id"
        f" LEFT JOIN {items[2]} ki ON ki.id = d.knowledge_item_id"
        f" WHERE d.provisional AND d.current AND {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + params)
        return cursor.fetchall()


def _register(centre_id: int) -> tuple[set[int], dict[int, Scope] | None]:
    """The centre's qualified (not trainee) assessors, and where the centre enforces its
    register each person's current assessor scope there (None where it does not). One query,
    written as SQL (decision 66): the qualified assessors' roles, whether it is enforced, and
    the qualifications and the units of the current entries (current as
    `EntryQuerySet.current_on` says), side by side (`UNION ALL`), as `scope_of` reads one
    person's."""
    entry = CompetenceEntry._meta
    current, entry_params = current_entries_sql(
        "c.centre_id", centre_id, Practice.ASSESSING, timezone.localdate()
    )
    through = {
        name: entry.get_field(name).remote_field.through._meta.db_table  # type: ignore[union-attr]
        for name in ("qualifications", "units")
    }
    sql = (
        f"SELECT {_QUALIFIED}, r.user_id, 0 FROM {Role._meta.db_table} r"
        " WHERE r.centre_id = %s AND r.kind = %s AND NOT r.is_trainee"
        f" UNION ALL SELECT {_ENFORCED}, 0, 0 FROM {RegisterEnforced._meta.db_table} e"
        " WHERE e.centre_id = %s"
        f" UNION ALL SELECT {_QUALIFICATION}, c.person_id, q.qualification_id"
        f" FROM {entry.db_table} c JOIN {through['qualifications']} q"
        f" ON q.competenceentry_id = c.id WHERE {current}"
        f" UNION ALL SELECT {_UNIT}, c.person_id, u.unit_id"
        f" FROM {entry.db_table} c JOIN {through['units']} u"
        f" ON u.competenceentry_id = c.id WHERE {current}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [centre_id, RoleKind.ASSESSOR, centre_id, *entry_params, *entry_params])
        rows = cursor.fetchall()
    qualified: set[int] = set()
    enforcing = False
    held: dict[int, tuple[set[int], set[int]]] = {}
    for kind, person_id, pk in rows:
        if kind == _QUALIFIED:
            qualified.add(person_id)
        elif kind == _ENFORCED:
            enforcing = True
        else:
            held.setdefault(person_id, (set(), set()))[kind == _UNIT].add(pk)
    if not enforcing:
        return qualified, None
    return qualified, {p: Scope(frozenset(q), frozenset(u)) for p, (q, u) in held.items()}


# What a line of `_register`'s query says.
_ENFORCED, _QUALIFICATION, _UNIT, _QUALIFIED = 0, 1, 2, 3
