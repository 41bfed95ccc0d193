"""The assessed work of a plan's period, read as plain rows, and kept in the cache until the
next write at the centre."""

from __future__ import annotations

import datetime
import hashlib
import logging

from django.core.cache import cache
from django.db.models import BooleanField, Case, Subquery, When

from assessment.models import Decision, UnitSignOff, unit_of_item
from iqa.models import Stage
from iqa.planning import Work
from portal.audit import chain_of
from portal.models import Centre
from portfolios.models import Registration
from qualifications.models import Qualification

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
    (with their learners), the distinct (registration, unit, assessor, countersigner, method,
    whether in the period) of their current decisions, and which units are signed off
    (summative). Who decided or countersigned counts whatever the date, because an IQA may not
    sample a unit where any decision is theirs. Only registrations still open: a closed one
    takes no samples (`Registration.closed_because`).
    """
    registrations = Registration.objects.open().filter(centre=centre, qualification=qualification)
    current = Decision.objects.filter(registration__in=registrations.values("pk"), current=True)
    current = current.annotate(
        unit=unit_of_item(),
        in_period=Case(
            When(assessed_on__gte=starts_on, assessed_on__lte=ends_on, then=True),
            default=False,
            output_field=BooleanField(),
        ),
    )
    fields = ["registration", "unit", "decided_by", "countersigned_by", "method", "in_period"]
    if only is None:
        # The learners are read with the registrations: joined to the decisions, PostgreSQL
        # read every registration of the portal to find them.
        learners = dict(registrations.order_by().values_list("pk", "learner_id"))
        rows = current.order_by().values_list(*fields).distinct()
    else:  # one registration's: its learner joined, by its id
        current = current.filter(registration_id=only[0], unit=only[1])
        rows = current.order_by().values_list(*fields, "registration__learner").distinct()
        learners = {row[0]: row[-1] for row in rows}
    grouped: dict[tuple[int, int, int], set[str]] = {}
    people: dict[tuple[int, int], set[int]] = {}
    for registration_id, unit_id, decided_by, countersigned_by, method, in_period, *_ in rows:
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
        if registration_id in learners  # not one registered between the two reads
    ]


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
