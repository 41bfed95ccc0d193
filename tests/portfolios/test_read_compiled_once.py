"""A registration and a piece of evidence opened by their id are read by SQL compiled once per
process (`portal.compiled_objects.objects_once`: `portfolios.access.RegistrationRead`,
`evidence_by_id`): the objects, everything they are read with (`select_related`) and their
annotations are exactly what the ORM's queryset gives, with no query more to reach them."""

from typing import Any

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portfolios.access import (
    EVIDENCE_WITH,
    PLAIN,
    REGISTRATION_WITH,
    RegistrationRead,
    evidence_by_id,
)
from portfolios.models import Evidence, Registration
from portfolios.views import WHAT_IT_HAS
from privacy.models import Anonymisation
from tests.matrix import world_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def columns(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def walked(obj: Model, paths: tuple[str, ...]) -> dict[str, Any]:
    """Each object along the paths (by path), as its columns, or None where there is none."""
    found: dict[str, Any] = {"": columns(obj)}
    for path in paths:
        at: Model | None = obj
        steps = path.split("__")
        for n, step in enumerate(steps):
            try:
                at = getattr(at, step) if at is not None else None
            except ObjectDoesNotExist:  # a reverse one-to-one with no row
                at = None
            found["__".join(steps[: n + 1])] = columns(at) if at is not None else None
    return found


def same_as_the_orm(read: Model, orm: Model, paths: tuple[str, ...], annotated=()) -> None:
    expected = walked(orm, paths)
    with CaptureQueriesContext(connection) as queries:
        got = walked(read, paths)
    assert not queries.captured_queries, "read with it, not afterwards"
    assert got == expected
    assert type(read) is type(orm)
    for name in annotated:
        assert getattr(read, name) == getattr(orm, name), name
    assert not read._state.adding and read._state.db == orm._state.db


def anonymise(learner: Any, counts: dict[str, int], files: list[str]) -> None:
    Anonymisation.objects.create(
        user=learner,
        anonymised_at=timezone.now(),
        last_activity=timezone.now(),
        retention_years=6,
        counts=counts,
        files_to_delete=files,
    )


def test_every_registration_is_read_as_the_orm_reads_it(world):
    # One learner anonymised (a reverse one-to-one with a row; JSON columns converted).
    anonymise(world.theirs.registration.learner, counts={"evidence": 2}, files=["a/b.pdf"])
    registrations = list(Registration.objects.values_list("pk", flat=True))
    assert len(registrations) >= 2
    for pk in registrations:
        [read] = PLAIN.by_id(pk)
        orm = Registration.objects.select_related(*REGISTRATION_WITH).get(pk=pk)
        same_as_the_orm(read, orm, REGISTRATION_WITH)
        # With the registration page's annotations.
        [read] = WHAT_IT_HAS.by_id(pk)
        orm = (
            Registration.objects.select_related(*REGISTRATION_WITH)
            .annotate(**WHAT_IT_HAS.annotations())
            .get(pk=pk)
        )
        names = list(WHAT_IT_HAS.annotations())
        same_as_the_orm(read, orm, REGISTRATION_WITH, names)
    [anonymised] = PLAIN.by_id(world.theirs.registration.pk)
    assert anonymised.learner.anonymisation.counts == {"evidence": 2}
    assert anonymised.closed_because
    # Read, not left unset: the world's registrations have some of each.
    said = {getattr(WHAT_IT_HAS.by_id(pk)[0], name) for pk in registrations for name in names}
    assert True in said


def test_every_piece_of_evidence_is_read_as_the_orm_reads_it(world):
    pieces = list(Evidence.objects.values_list("pk", flat=True))
    assert len(pieces) >= 4
    for pk in pieces:
        [read] = evidence_by_id(pk)
        orm = Evidence.objects.select_related(*EVIDENCE_WITH).get(pk=pk)
        same_as_the_orm(read, orm, EVIDENCE_WITH)


def test_nothing_for_an_id_that_is_not_there(world):
    missing = (Registration.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    assert PLAIN.by_id(missing) == []
    assert WHAT_IT_HAS.by_id(missing) == []
    missing = (Evidence.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    assert evidence_by_id(missing) == []
    # A number no column holds (from an address): nothing, as the ORM finds, not an error.
    for huge in (2**63, 10**30, -(2**63) - 1):
        assert PLAIN.by_id(huge) == WHAT_IT_HAS.by_id(huge) == evidence_by_id(huge) == []
        assert not Registration.objects.filter(pk=huge).exists()


def test_built_once_and_each_read_is_one_query(world, monkeypatch):
    read = RegistrationRead()
    pk = world.ours.registration.pk
    built: list[int] = []

    def annotations() -> dict[str, Any]:
        built.append(1)
        return {}

    monkeypatch.setattr(read, "annotations", annotations)
    read.by_id(pk)
    with CaptureQueriesContext(connection) as queries:
        [found] = read.by_id(pk)
        assert found.learner.full_name and found.qualification.awarding_organisation.pk
    assert len(queries.captured_queries) == 1
    assert built == [1]  # the queryset built for the first read only


def test_the_registration_pages_plan_and_evidence_are_the_orms(world):
    from portfolios.views import evidence_of, planned_units_of

    seen = 0
    for registration in Registration.objects.order_by("pk"):
        planned = planned_units_of(registration)
        orm = list(registration.planned_units.select_related("unit", "assessor"))
        assert [p.pk for p in planned] == [p.pk for p in orm]
        for read, expected in zip(planned, orm, strict=True):
            same_as_the_orm(read, expected, ("unit", "assessor", "registration"))
        evidence = evidence_of(registration)
        orm_evidence = list(registration.evidence.all())
        assert [e.pk for e in evidence] == [e.pk for e in orm_evidence]
        for read_evidence, expected_evidence in zip(evidence, orm_evidence, strict=True):
            same_as_the_orm(read_evidence, expected_evidence, ("registration",))
        seen += len(planned) + len(evidence)
    assert seen


def test_a_registration_is_locked_and_read_as_the_orm_locks_it(world, monkeypatch):
    """`Registration.objects.lock` by SQL compiled once per process (issue 17, seventh round):
    the row read as `locking().get()` reads it, refused when closed, `DoesNotExist` for an id
    nobody has, and (as `select_for_update`) refused outside a transaction; a queryset
    filtered first is asked as it is."""
    from django.db.transaction import TransactionManagementError

    from portal.refusals import Refused

    anonymise(world.theirs.registration.learner, counts={}, files=[])
    closed = 0
    for pk in Registration.objects.order_by("pk").values_list("pk", flat=True):
        orm = Registration.objects.locking().get(pk=pk)
        if orm.closed_because:
            with pytest.raises(Refused, match=orm.closed_because):
                Registration.objects.lock(pk)
            closed += 1
            continue
        with CaptureQueriesContext(connection) as queries:
            locked = Registration.objects.lock(pk)  # its learner's anonymisation read with it
        assert len(queries.captured_queries) == 1
        same_as_the_orm(locked, orm, ("learner__anonymisation",))
    assert closed
    missing = (Registration.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    with pytest.raises(Registration.DoesNotExist):
        Registration.objects.lock(missing)
    with pytest.raises(Registration.DoesNotExist):  # filtered first: that filter holds
        Registration.objects.filter(pk=missing + 1).lock(world.ours.registration.pk)
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)
    with pytest.raises(TransactionManagementError):
        Registration.objects.lock(world.ours.registration.pk)
