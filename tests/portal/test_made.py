"""`portal.made.makes` makes the objects `Model.from_db` (`portal.compiled.from_row`) makes from
the same values: the same fields loaded and deferred, the same state; and leaves the making to
`from_db` when a receiver of the model's signals would be missed. The caseload's registrations
(`assessment.caseload.registrations_of`) are made so, each with its qualification read with it."""

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from assessment.caseload import READ, caseload_rows, registrations_of
from portal.compiled import from_row
from portal.made import makes
from portfolios.models import Registration
from tests.matrix import world_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def state(obj) -> tuple:
    return (
        type(obj),
        {k: v for k, v in obj.__dict__.items() if k != "_state"},
        list(obj.__dict__),  # the order of its fields, the state first
        obj.get_deferred_fields(),
        obj._state.adding,
        obj._state.db,
    )


def test_made_as_from_db_makes_them(world):
    rows = list(Registration.objects.values_list(*READ))
    assert len(rows) >= 2
    made = makes(Registration, READ)
    for row in rows:
        ours, theirs = made(row), from_row(Registration, READ, row)
        assert state(ours) == state(theirs)
        assert ours == theirs and ours.start_date == theirs.start_date
    with pytest.raises(ValueError):
        makes(Registration, ("learner_id", "id"))  # not in the model's order: refused


def test_a_receiver_of_the_models_signals_is_not_missed(world):
    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append(instance)

    post_init.connect(receiver, sender=Registration)
    try:
        row = Registration.objects.values_list(*READ)[0]
        made = makes(Registration, READ)(row)
    finally:
        post_init.disconnect(receiver, sender=Registration)
    assert heard == [made]


def test_the_caseloads_registrations_come_with_their_qualification(world):
    registration = world.ours.registration
    found = registrations_of(
        caseload_rows(registration.assessor_id, registration.centre_id),
        READ,
        ("learner_name", "units_given_to_others", "n_met", "n_achieved", "last_evidence_at"),
    )
    assert registration.pk in {r.pk for r in found}
    with CaptureQueriesContext(connection) as queries:
        titles = {r.pk: r.qualification.title for r in found}
    assert not queries.captured_queries
    assert titles == {
        r.pk: r.qualification.title
        for r in Registration.objects.filter(pk__in=titles).select_related("qualification")
    }
    assert all(not r._state.adding and r._state.db == "default" for r in found)
