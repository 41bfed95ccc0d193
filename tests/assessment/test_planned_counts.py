"""A caseload's units and criteria per registration (`progress._planned`), read as the units
and a count per unit (`UNION ALL`), are those the grouped join counted."""

from django.db.models import Count

from assessment.progress import _planned
from portfolios.models import RegistrationUnit
from qualifications.models import Unit
from tests.assessment.crowd import many_learners


def test_the_units_and_criteria_of_each_registration_as_the_grouped_join_counts_them(
    registration, cvq_registration
):
    more = many_learners(registration, 3)
    # One learner without units; one with a unit without criteria (CVQ units have range and
    # knowledge items, which are not counted).
    RegistrationUnit.objects.filter(registration=more[0]).delete()
    bare = Unit.objects.create(code="BARE/1", title="No criteria", level=2, credits=1, glh=1)
    RegistrationUnit.objects.create(registration=more[1], unit=bare, mandatory=False)
    registrations = [registration, cvq_registration, *more]
    joined = {
        r: (units, criteria)
        for r, units, criteria in RegistrationUnit.objects.filter(registration__in=registrations)
        .values("registration")
        .annotate(units=Count("pk", distinct=True), criteria=Count("unit__criteria"))
        .values_list("registration", "units", "criteria")
    }
    found = _planned(registrations)
    assert found == joined
    assert more[0].pk not in found
    units, criteria = found[more[1].pk]
    assert (units, criteria) == (found[more[2].pk][0] + 1, found[more[2].pk][1])
    assert found[registration.pk] != found[cvq_registration.pk]


def test_no_registrations_no_units(db):
    assert _planned([]) == {}
