"""The assessed work of a plan's period, read as plain rows, and kept in the cache until the
next write at the centre."""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Field, IntegerField, Model, Subquery, When

from assessment.models import Decision, UnitSignOff, unit_of_item
from iqa.models import Stage
from iqa.planning import Work
from portal.audit import chain_of
from portal.models import Centre
from portfolios.models import Registration, RegistrationQuerySet
from qualifications.models import Criterion, KnowledgeItem, Qualification, RangeItem

log = logging.getLogger(__name__)


def work_in_period(
    centre: Centre,
    qualification: Qualification,
    starts_on: datetime.date,
    ends_on: datetime.date,
    *,
    only: tuple[int, int] | None = None,
) -> list[Work]:
    """The assessed work of the period: current decisions grouped by learner, unit and assessor.
    `only`: just the work of one registration's unit.

    Read as plain rows in three queries, never a decision as an object: the open registrations
    with their learners, the distinct (registration, unit, assessor, countersigner, method,
    whether in the period) of their current decisions, and which units are signed off
    (summative). Who decided or countersigned counts whatever the date, because an IQA may not
    sample a unit where any decision is theirs. Only registrations still open: a closed one
    takes no samples (`Registration.closed_because`).
    """
    registrations = Registration.objects.open().filter(centre=centre, qualification=qualification)
    if only is None:
        learners = dict(registrations.order_by().values_list("pk", "learner_id"))
        rows = decided(sorted(learners), starts_on, ends_on)
    else:
        rows, learners = one_unit_decided(registrations, starts_on, ends_on, only)
    grouped: dict[tuple[int, int, int], set[str]] = {}
    people: dict[tuple[int, int], set[int]] = {}
    for registration_id, unit_id, decided_by, countersigned_by, method, in_period in rows:
        found = people.setdefault((registration_id, unit_id), set())
        found.update(p for p in (decided_by, countersigned_by) if p)
        if in_period:
            grouped.setdefault((registration_id, unit_id, decided_by), set()).add(method)
    # By the registrations' ids (an index), not by the centre's registrations again (which
    # PostgreSQL matched against every sign-off of the portal).
    signed = set(
        UnitSignOff.objects.in_force()
        .filter(registration_id__in=sorted({r for r, _, _ in grouped}))
        .values_list("registration_id", "unit_id")
    )
    return [
        Work(
            registration=registration_id,
            learner=learners[registration_id],
            unit=unit_id,
            assessor=assessor_id,
            methods=frozenset(methods),
            stage=Stage.SUMMATIVE if (registration_id, unit_id) in signed else Stage.INTERIM,
            deciders=frozenset(people[(registration_id, unit_id)]),
        )
        for (registration_id, unit_id, assessor_id), methods in sorted(grouped.items())
    ]


def decided(
    registrations: list[int], starts_on: datetime.date, ends_on: datetime.date
) -> list[tuple[int, int, int, int | None, str, int]]:
    """The distinct (registration, unit, decided by, countersigned by, method, 1 if assessed in
    the period) of the registrations' current decisions.

    Written as SQL, with the names the models give their tables and columns: the same query
    built by the ORM (an annotation of the item's unit through three joins and a CASE) cost
    about 2 ms of Python to compile on every cold read of a plan page, as much as the rest of
    the function; this is the page's hottest read and its shape never changes."""
    # With no registration, a query all the same (of none), so a page costs the same queries.
    ids: list[int | None] = [*registrations] or [None]
    sql = decided_sql().format(registrations=", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [starts_on, ends_on, *ids])
        return cursor.fetchall()


def one_unit_decided(
    registrations: RegistrationQuerySet,
    starts_on: datetime.date,
    ends_on: datetime.date,
    only: tuple[int, int],
) -> tuple[list[tuple[int, int, int, int | None, str, int]], dict[int, int]]:
    """`decided` for one registration's unit, if the registration is among `registrations`,
    with its learner joined by its id: one query, as adding work by hand has always cost."""
    in_period = Case(
        When(assessed_on__gte=starts_on, assessed_on__lte=ends_on, then=1),
        default=0,
        output_field=IntegerField(),
    )
    current = Decision.objects.filter(
        registration__in=registrations.values("pk"), registration_id=only[0], current=True
    )
    current = current.annotate(unit=unit_of_item(), in_period=in_period).filter(unit=only[1])
    fields = ["registration", "unit", "decided_by", "countersigned_by", "method", "in_period"]
    found = list(current.order_by().values_list(*fields, "registration__learner").distinct())
    return [row[:-1] for row in found], {row[0]: row[-1] for row in found}


@functools.cache
def decided_sql() -> str:
    """`DECIDED` with the names the models give their tables and columns, quoted."""
    quote = connection.ops.quote_name

    def column(model: type[Model], field: str | None = None) -> str:
        found = model._meta.get_field(field) if field else model._meta.pk
        assert isinstance(found, Field) and found.column
        return quote(found.column)

    def table(model: type[Model]) -> str:
        return quote(model._meta.db_table)

    decision = [
        "registration",
        "criterion",
        "range_item",
        "knowledge_item",
        "decided_by",
        "countersigned_by",
        "method",
        "assessed_on",
        "current",
    ]
    items = {"criterion": Criterion, "range_item": RangeItem, "knowledge_item": KnowledgeItem}
    return DECIDED.format(
        decision=table(Decision),
        **{name: column(Decision, name) for name in decision},
        **{f"{name}_table": table(model) for name, model in items.items()},
        **{f"{name}_id": column(model) for name, model in items.items()},
        **{f"{name}_unit": column(model, "unit") for name, model in items.items()},
    )


# `unit_of_item` (assessment.models) as SQL: an item is exactly one of the three.
DECIDED = (
    "SELECT DISTINCT d.{registration}, "
    "COALESCE(c.{criterion_unit}, r.{range_item_unit}, k.{knowledge_item_unit}), "
    "d.{decided_by}, d.{countersigned_by}, d.{method}, "
    "CASE WHEN d.{assessed_on} >= %s AND d.{assessed_on} <= %s THEN 1 ELSE 0 END "
    "FROM {decision} d "
    "LEFT JOIN {criterion_table} c ON c.{criterion_id} = d.{criterion} "
    "LEFT JOIN {range_item_table} r ON r.{range_item_id} = d.{range_item} "
    "LEFT JOIN {knowledge_item_table} k ON k.{knowledge_item_id} = d.{knowledge_item} "
    "WHERE d.{current} AND d.{registration} IN ({{registrations}})"
)


# Long enough to serve an IQA's visits between two writes at the centre; every write makes a
# new key, so what is left behind only waits here for this long.
KEPT_FOR = 3600


def kept_work(
    centre: Centre,
    qualification: Qualification,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> list[Work]:
    """`work_in_period`, kept in the cache under the ends of the centre's audit chain and of the
    portal's. Every change to what it is read from is a write that appends to one of them in its
    own transaction (decisions, their countersignatures, sign-offs and unlocks, registrations
    closed: the centre's chain; anonymisations: the portal's), so a write makes a new key and
    nothing kept is ever read again after one. The catalogue, which says which unit an item is
    of, changes outside the chains: the qualification's revision is in the key too.

    The chains' ends are read before the work, so what is kept under them is never older than
    they are. A cache that cannot be reached is done without."""
    key = work_key(centre, qualification, starts_on, ends_on)
    try:
        found: list[Work] | None = cache.get(key)
    except cache_down() as error:
        log.warning("The cache cannot be reached (%s): the period's work is read again.", error)
        return work_in_period(centre, qualification, starts_on, ends_on)
    if found is not None:
        return found
    work = work_in_period(centre, qualification, starts_on, ends_on)
    try:
        cache.set(key, work, KEPT_FOR)
    except cache_down():
        pass  # said above, when it was read
    return work


def work_key(
    centre: Centre, qualification: Qualification, starts_on: datetime.date, ends_on: datetime.date
) -> str:
    """The cache key of a period's work: what it is of, and the ends of both chains (the hash
    of each last entry, unique, so a database restored from a backup never meets keys from
    before)."""
    ends = (
        Centre.objects.filter(pk=centre.pk)
        .values_list(
            Subquery(chain_of(centre.pk).order_by("-pk").values("hash")[:1]),
            Subquery(chain_of(None).order_by("-pk").values("hash")[:1]),
        )
        .first()
    )
    made_of = (
        f"{centre.pk}:{qualification.pk}:{qualification.revision}:{starts_on}:{ends_on}:{ends}"
    )
    return f"iqa-work:{hashlib.sha256(made_of.encode()).hexdigest()}"


def cache_down() -> tuple[type[BaseException], ...]:
    """What the cache raises when it cannot be reached (as `certification.verification`
    says): imported when an error is caught, not by every process."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)
