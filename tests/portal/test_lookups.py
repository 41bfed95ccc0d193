"""one_of: a filter on many ids at once, as `__in` filters them."""

from portal.lookups import one_of
from portal.models import Centre, Role
from tests.factories import CentreFactory, RoleFactory, UserFactory


def test_one_of_finds_the_rows_with_those_ids_and_no_others(db):
    centres = [CentreFactory.create(name=f"Centre {n}") for n in range(5)]
    chosen = [centres[0].pk, centres[3].pk, centres[4].pk]
    found = Centre.objects.filter(one_of("pk", chosen))
    assert sorted(found.values_list("pk", flat=True)) == sorted(chosen)
    assert list(found) == list(Centre.objects.filter(pk__in=chosen))


def test_one_of_nothing_finds_nothing_and_combines_with_other_filters(db):
    centre = CentreFactory.create(name="Only centre")
    assert not Centre.objects.filter(one_of("pk", [])).exists()
    assert not Centre.objects.filter(one_of("pk", [centre.pk]), name="Another").exists()
    assert Centre.objects.exclude(one_of("pk", [centre.pk])).count() == 0


def test_one_of_filters_a_foreign_key_by_the_ids_it_points_to(db):
    centre, other = CentreFactory.create(name="Here"), CentreFactory.create(name="There")
    here = RoleFactory.create(user=UserFactory.create(), centre=centre)
    RoleFactory.create(user=UserFactory.create(), centre=other)
    assert list(Role.objects.filter(one_of("centre_id", [centre.pk]))) == [here]
