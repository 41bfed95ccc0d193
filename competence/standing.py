"""Standing: whether a person may assess (or verify) a unit of a qualification on a day, by the
centre's register. Read in a fixed number of queries, so a decision, a countersignature of
hundreds or the strategy page's list of people costs the same at any size."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet, Value
from django.utils.dates import MONTHS
from django.utils.safestring import SafeString, mark_safe

from competence.models import CompetenceEntry, EntryStatus, Practice, RegisterEnforced, awards_for
from portal.compiled import compiled_once, from_row
from portal.markup import ESCAPES
from portal.models import AuditEntry, User
from qualifications.models import Qualification, Unit

M = TypeVar("M", bound=Model)

NOT_IN_SCOPE = (
    "{person} has no current {award} covering unit {unit} in the centre's competence register."
)


@dataclass(frozen=True)
class Scope:
    """What a person's current awards of one practice cover: whole qualifications, and units
    (a unit in scope is covered in every qualification it sits in)."""

    qualifications: frozenset[int] = field(default_factory=frozenset)
    units: frozenset[int] = field(default_factory=frozenset)

    def covers(self, qualification_id: int, unit_id: int) -> bool:
        return qualification_id in self.qualifications or unit_id in self.units


def enforced(centre_id: int) -> bool:
    """Whether the centre enforces its register (decision 49): until it does, the register is
    a record and standing changes nothing."""
    return RegisterEnforced.objects.filter(centre_id=centre_id).exists()


def in_scope_where_enforced(
    person_id: int,
    practice: str,
    day: datetime.date,
    *,
    centre: str,
    qualification: str,
    unit: Q,
) -> Q:
    """A condition on rows of another table (decisions, samples), read in the same query
    whatever their number: the row's centre (at the path `centre`) does not enforce its
    register, or the person's current awards of `practice` there cover the row's qualification
    (at the path `qualification`) or its unit (`unit`: a condition on the entry, with the
    row's unit as an outer reference)."""
    current = CompetenceEntry.objects.current_on(day).filter(
        person_id=person_id, award__in=awards_for(practice), centre_id=OuterRef(centre)
    )
    return (
        ~Q(**{f"{centre}__in": RegisterEnforced.objects.values("centre_id")})
        | Exists(current.filter(qualifications=OuterRef(qualification)))
        | Exists(current.filter(unit))
    )


def scope_of(person_id: int, centre_id: int, practice: str, day: datetime.date) -> Scope:
    """What the person's awards of `practice` held on `day` at the centre cover: one query, the
    qualifications and the units of their current entries side by side (`UNION ALL`)."""
    current = CompetenceEntry.objects.current_on(day).filter(
        centre_id=centre_id, person_id=person_id, award__in=awards_for(practice)
    )
    through = CompetenceEntry.qualifications.through.objects  # type: ignore[attr-defined]
    units = CompetenceEntry.units.through.objects  # type: ignore[attr-defined]
    covered = (
        through.filter(competenceentry__in=current)
        .values_list(Value(False), "qualification_id")
        .union(
            units.filter(competenceentry__in=current).values_list(Value(True), "unit_id"),
            all=True,
        )
    )
    qualifications: set[int] = set()
    unit_ids: set[int] = set()
    for is_unit, pk in covered:
        (unit_ids if is_unit else qualifications).add(pk)
    return Scope(frozenset(qualifications), frozenset(unit_ids))


def scope_where_enforced(
    person_id: int, centre_id: int, practice: str, day: datetime.date
) -> Scope | None:
    """`scope_of`, or None where the centre does not enforce its register (`enforced`): one
    query for both, where a decision, the review page and the sign-off page asked them apart.
    Written as SQL (`UNION ALL`): built by the ORM, the union of three querysets, two with the
    current entries as a subquery, cost about 2 ms of Python for a query PostgreSQL answers in
    0.1 ms (issue 17, fifth round)."""
    current, params = current_entries_sql("c.person_id", person_id, practice, day)
    sql = (
        f"SELECT {ENFORCED_ROW}, centre_id FROM {RegisterEnforced._meta.db_table}"
        " WHERE centre_id = %s"
        f" UNION ALL SELECT {QUALIFICATION_ROW}, q.qualification_id"
        f" FROM {CompetenceEntry._meta.db_table} c JOIN {QUALIFICATIONS} q"
        f" ON q.competenceentry_id = c.id WHERE c.centre_id = %s AND {current}"
        f" UNION ALL SELECT {UNIT_ROW}, u.unit_id"
        f" FROM {CompetenceEntry._meta.db_table} c JOIN {UNITS} u"
        f" ON u.competenceentry_id = c.id WHERE c.centre_id = %s AND {current}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [centre_id, centre_id, *params, centre_id, *params])
        rows = cursor.fetchall()
    found: dict[int, set[int]] = {ENFORCED_ROW: set(), QUALIFICATION_ROW: set(), UNIT_ROW: set()}
    for kind, pk in rows:
        found[kind].add(pk)
    if not found[ENFORCED_ROW]:
        return None
    return Scope(frozenset(found[QUALIFICATION_ROW]), frozenset(found[UNIT_ROW]))


# The tables of the entries' qualifications and units, for the queries written as SQL.
QUALIFICATIONS = CompetenceEntry.qualifications.through._meta.db_table  # type: ignore[attr-defined]
UNITS = CompetenceEntry.units.through._meta.db_table  # type: ignore[attr-defined]


def current_entries_sql(
    column: str, value: int, practice: str, day: datetime.date
) -> tuple[str, list[int | str | datetime.date]]:
    """The competence entries (table alias `c`) whose `column` is `value` (`c.person_id` and
    the person, or `c.centre_id` and the centre) and which are current awards of `practice` on
    `day`, as `EntryQuerySet.current_on` says, written as SQL with its parameters: for the reads
    written as SQL (`scope_where_enforced`, `countersigner_of`, `provisional._register`), where
    the ORM cost more to build them than PostgreSQL to answer. A change to what makes an award
    current is made here and in `current_on`; the tests of those three hold them together."""
    awards = awards_for(practice)
    sql = (
        f"{column} = %s AND c.award IN ({', '.join(['%s'] * len(awards))}) AND c.status = %s"
        " AND c.achieved_on <= %s AND (c.expires_on IS NULL OR c.expires_on >= %s)"
        " AND (c.ended_on IS NULL OR c.ended_on > %s)"
    )
    return sql, [value, *awards, EntryStatus.HELD, day, day, day]


# What each row of `scope_where_enforced`'s one query is.
ENFORCED_ROW, QUALIFICATION_ROW, UNIT_ROW = 0, 1, 2


def scopes_at(centre_id: int, practice: str, day: datetime.date) -> dict[int, Scope]:
    """Each person's scope of `practice` held on `day` at the centre, by person id (those with
    no current award of it absent): two queries whatever the number of people."""
    qualifications: dict[int, set[int]] = {}
    units: dict[int, set[int]] = {}
    current = CompetenceEntry.objects.current_on(day).filter(
        centre_id=centre_id, award__in=awards_for(practice)
    )
    for entry in current.prefetch_related("qualifications", "units"):
        qualifications.setdefault(entry.person_id, set()).update(
            q.pk for q in entry.qualifications.all()
        )
        units.setdefault(entry.person_id, set()).update(u.pk for u in entry.units.all())
    return {
        p: Scope(frozenset(qualifications[p]), frozenset(units.get(p, set())))
        for p in qualifications
    }


def competent(
    *,
    person_id: int,
    centre_id: int,
    qualification_id: int,
    unit_id: int,
    practice: str = Practice.ASSESSING,
    day: datetime.date,
) -> bool:
    """A current held award of the practice (assessing or IQA) at the centre, not expired on
    `day`, whose scope holds the unit or its qualification."""
    return scope_of(person_id, centre_id, practice, day).covers(qualification_id, unit_id)


@dataclass(frozen=True)
class EntryStanding:
    """One entry of the register as a page shows it, with its flags on the day."""

    entry: CompetenceEntry
    scope: list[str]
    expired: bool
    overdue: bool

    @property
    def current(self) -> bool:
        """Held and not expired on the day (an ended entry is never among a person's entries:
        it counts from the day it was ended no more)."""
        return self.entry.status == EntryStatus.HELD and not self.expired and not self.entry.ended

    @property
    def flag(self) -> str:
        if self.expired:
            # Current until the end of its expiry day (`current_on`): said so.
            return f"Expired at the end of {self.entry.expires_on:%-d %B %Y}"
        if self.overdue:
            return f"Past its deadline of {self.entry.deadline:%-d %B %Y}"
        return ""


@dataclass(frozen=True)
class PersonStanding:
    """A person's entries in force, and those ended (kept as history, newest first)."""

    entries: list[EntryStanding]
    ended: list[EntryStanding] = field(default_factory=list)

    def current(self, practice: str) -> bool:
        return any(s.current and s.entry.practice == practice for s in self.entries)

    def in_qualification(
        self, practice: str, qualification_id: int, unit_ids: Collection[int]
    ) -> QualificationStanding:
        """What the person's current awards of `practice` cover of one qualification (whose
        units are `unit_ids`): all of it, some of its units, or nothing. Read from the entries
        already loaded: no query."""
        current = [s.entry for s in self.entries if s.current and s.entry.practice == practice]
        whole = any(q.pk == qualification_id for e in current for q in e.qualifications.all())
        units = set() if whole else {u for e in current for u in e.units.all() if u.pk in unit_ids}
        codes = sorted(u.code for u in units)
        return QualificationStanding(practice, whole, codes)

    @property
    def flagged(self) -> bool:
        """An entry expired or past its deadline whose scope no current award of the same
        practice covers: an old award lapsed under a current one needs nothing done. A unit is
        covered by a current award naming it (not by one naming a qualification it sits in,
        which would take the catalogue: such a case is still flagged)."""
        return any((s.expired or s.overdue) and not self._covered(s) for s in self.entries)

    def _covered(self, lapsed: EntryStanding) -> bool:
        current = [
            s.entry for s in self.entries if s.current and s.entry.practice == lapsed.entry.practice
        ]
        if not current:
            return False
        quals = {q.pk for e in current for q in e.qualifications.all()}
        units = {u.pk for e in current for u in e.units.all()}
        return all(q.pk in quals for q in lapsed.entry.qualifications.all()) and all(
            u.pk in units for u in lapsed.entry.units.all()
        )


def standing_markup(standing: PersonStanding) -> SafeString:
    """What competence/partials/standing.html draws of one person's entries (without `edit`),
    drawn here: the strategy page included it for each of two dozen people, some 14,000 Python
    calls of template engine for markup made of a few values an entry (issue 17, sixth round).
    Every value escaped as the template's autoescape does (`ESCAPES`); a change to the partial
    is made here too (tests/competence compare the two on every entry's shape)."""
    if not standing.entries:
        return mark_safe(EMPTY_STANDING)
    return mark_safe(
        '\n\n<ul class="list-unstyled mb-0" data-testid="standing">\n  '
        + "".join(map(_entry_markup, standing.entries))
        + "\n</ul>\n\n"
    )


EMPTY_STANDING = (
    '\n\n<p class="mb-0" data-testid="standing-empty">'
    "Nothing recorded in the competence register.</p>\n\n"
)


def _entry_markup(s: EntryStanding) -> str:
    e = s.entry
    t = ESCAPES
    held = e.status == "held"
    if held:
        told = f"achieved {_day(e.achieved_on)}"
        if e.certificate_reference:
            told += f" (certificate {e.certificate_reference.translate(t)})"
        if e.expires_on:
            told += f", expires {_day(e.expires_on)}"
    else:
        told = f"working towards it, deadline {_day(e.deadline)}"
    flag = s.flag
    if flag:
        flag = f"{FLAG_BADGE}{flag.translate(t)}</span>"
    may = "May assess" if e.practice == "assessing" else "May verify"
    if not held:
        may += " once achieved"
    scope = "; ".join(str(words).translate(t) for words in s.scope)
    return (
        '\n  <li class="mb-2">\n'
        f"    <strong>{e.award_title.translate(t)}</strong>\n"
        f"    \u00b7 {told}\n"
        f"    {flag}\n"
        f'    <br><span class="small text-body-secondary">{may}: {scope}</span>\n'
        "    \n  </li>\n  "
    )


FLAG_BADGE = '<span class="badge text-bg-danger" data-testid="standing-flag">'


def _day(day: datetime.date | None) -> str:
    """A day as the template's `date:"j F Y"` shows it ("" for none): the day, the month's
    name in the language in force, and the year in four digits (`dateformat`'s j, F and Y)."""
    return "" if day is None else f"{day.day} {MONTHS[day.month]} {day.year:04d}"


@dataclass(frozen=True)
class QualificationStanding:
    """What a person may assess (or verify) of one qualification by their current awards:
    every unit (`whole`), the units listed by code, or nothing."""

    practice: str
    whole: bool
    units: list[str]

    @property
    def in_scope(self) -> bool:
        return self.whole or bool(self.units)

    @property
    def words(self) -> str:
        """ "May assess every unit of this qualification", "May verify only units A/1 and B/2
        of this qualification", "No current award to assess this qualification"."""
        verb = "assess" if self.practice == Practice.ASSESSING else "verify"
        if self.whole:
            return f"May {verb} every unit of this qualification"
        if not self.units:
            return f"No current award to {verb} this qualification"
        if len(self.units) == 1:
            return f"May {verb} only unit {self.units[0]} of this qualification"
        listed = ", ".join(self.units[:-1]) + f" and {self.units[-1]}"
        return f"May {verb} only units {listed} of this qualification"


def scope_words(entry: CompetenceEntry) -> list[str]:
    """The entry's scope in words: each qualification by number and title, each unit by code."""
    quals = [f"{q.code} {q.title}" for q in entry.qualifications.all()]
    return quals + [f"Unit {u.code} {u.title}".strip() for u in entry.units.all()]


def standings(
    centre_id: int, people: Iterable[int], day: datetime.date
) -> dict[int, PersonStanding]:
    """Each person's entries at the centre with their flags on `day`, and those ended: three
    queries however many people (one when none has an entry), each by SQL compiled once per
    process (`portal.compiled`). Each entry comes with whoever ended it and, as
    `prefetch_related` gives them, its qualifications and units (what the scope's words and
    the standing in a qualification read of them: not the catalogue's long texts). Built as
    querysets with their prefetches, the reads cost the strategy page some 18,000 Python calls
    for two dozen people (issue 17, sixth round)."""
    found: dict[int, list[EntryStanding]] = {pk: [] for pk in people}
    ended: dict[int, list[EntryStanding]] = {pk: [] for pk in found}
    wanted = sorted(found)
    entries = [entry_of(row) for row in _entries(centre_id, wanted)]
    if entries:
        covered: dict[int, tuple[list[Qualification], list[Unit]]] = {
            e.pk: ([], []) for e in entries
        }
        for entry_id, pk, code, title in _entry_qualifications(centre_id, wanted):
            covered[entry_id][0].append(
                from_row(Qualification, ("id", "code", "title"), (pk, code, title))
            )
        for entry_id, pk, code, title in _entry_units(centre_id, wanted):
            covered[entry_id][1].append(from_row(Unit, ("id", "code", "title"), (pk, code, title)))
        for entry in entries:
            qualifications, units = covered[entry.pk]
            entry._prefetched_objects_cache = {  # type: ignore[attr-defined]
                "qualifications": prefetched(Qualification, qualifications),
                "units": prefetched(Unit, units),
            }
    for entry in entries:
        standing = EntryStanding(
            entry, scope_words(entry), entry.expired_on(day), entry.overdue_on(day)
        )
        (ended if entry.ended else found)[entry.person_id].append(standing)
    for rows in ended.values():
        rows.sort(key=lambda s: (s.entry.ended_on, s.entry.pk), reverse=True)
    return {pk: PersonStanding(rows, ended[pk]) for pk, rows in found.items()}


ENTRY_READ = tuple(f.attname for f in CompetenceEntry._meta.concrete_fields)
PERSON_READ = tuple(f.attname for f in User._meta.concrete_fields)


@compiled_once
def _entries(centre_id: int, people: list[int]) -> QuerySet[CompetenceEntry, Any]:
    """The people's entries at the centre, with whoever ended each (`select_related`)."""
    return (
        CompetenceEntry.objects.filter(centre_id=centre_id, person_id__in=people)
        .order_by("person_id", "status", "award", "pk")
        .values_list(*ENTRY_READ, *(f"ended_by__{name}" for name in PERSON_READ))
    )


def entry_of(row: tuple[Any, ...]) -> CompetenceEntry:
    entry = from_row(CompetenceEntry, ENTRY_READ, row[: len(ENTRY_READ)])
    ender = row[len(ENTRY_READ) :]
    entry.ended_by = None if entry.ended_by_id is None else from_row(User, PERSON_READ, ender)
    return entry


@compiled_once
def _entry_qualifications(centre_id: int, people: list[int]) -> QuerySet[Any, Any]:
    """(entry, qualification id, code, title) of the people's entries at the centre, in the
    qualifications' order (as the prefetch of `CompetenceEntry.qualifications` reads them)."""
    through = CompetenceEntry.qualifications.through  # type: ignore[attr-defined]
    return (
        through.objects.filter(
            competenceentry__centre_id=centre_id, competenceentry__person_id__in=people
        )
        .order_by("qualification__title")  # `Qualification`'s order
        .values_list(
            "competenceentry_id", "qualification_id", "qualification__code", "qualification__title"
        )
    )


@compiled_once
def _entry_units(centre_id: int, people: list[int]) -> QuerySet[Any, Any]:
    """(entry, unit id, code, title), in the units' order, as `_entry_qualifications`."""
    through = CompetenceEntry.units.through  # type: ignore[attr-defined]
    return (
        through.objects.filter(
            competenceentry__centre_id=centre_id, competenceentry__person_id__in=people
        )
        .order_by("unit__code")  # `Unit`'s order
        .values_list("competenceentry_id", "unit_id", "unit__code", "unit__title")
    )


def prefetched(model: type[M], objects: list[M]) -> QuerySet[M]:
    """A queryset holding `objects` already read, as `prefetch_related` leaves one in an
    object's cache for its related manager's `all()` to return."""
    queryset: QuerySet[M] = QuerySet(model)
    queryset._result_cache = objects
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    return queryset


@dataclass(frozen=True)
class EnforcementChange:
    """Enforcement switched on or off at the centre: when, and by whom."""

    at: datetime.datetime
    by: str
    on: bool


ENFORCEMENT_ACTIONS = ("competence.enforced", "competence.not_enforced")


def enforcement_history(centre_id: int) -> list[EnforcementChange]:
    """Each time the centre switched its register's enforcement on or off, newest first, as its
    audit chain recorded it: one query (by the entries' subject, which is indexed)."""
    found = (
        AuditEntry.objects.filter(
            subject=f"centre:{centre_id}", centre_id=centre_id, action__in=ENFORCEMENT_ACTIONS
        )
        .order_by("-pk")
        .values_list("at", "actor__full_name", "action")
    )
    return [
        EnforcementChange(at, by or "someone no longer named", action == "competence.enforced")
        for at, by, action in found
    ]
