"""Queries compiled once (`portal.compiled.compiled_once`) give the rows the ORM gives for each
set of values, converted as the ORM converts them, and refuse a value the query does not
compare with as it is."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count, Q

from portal.compiled import SHAPES_KEPT, compiled_once, padded
from portal.models import Centre, Role, RoleKind, User
from tests.factories import CentreFactory, RoleFactory, UserFactory


def people_at(centre_id: int, kind_owner_id: int):
    return (
        Role.objects.filter(Q(centre_id=centre_id) | Q(user_id=kind_owner_id))
        .values_list("user_id", "user__full_name", "centre_id", "created_at", "user__date_joined")
        .order_by("user_id", "centre_id")
    )


@pytest.mark.django_db
def test_the_rows_are_the_orms_for_each_set_of_values():
    centres = CentreFactory.create_batch(3)
    people = UserFactory.create_batch(4)
    for i, person in enumerate(people):
        RoleFactory.create(user=person, centre=centres[i % 3], kind=RoleKind.ASSESSOR)
    rows = compiled_once(people_at)
    for centre in centres:
        for person in people:
            expected = list(people_at(centre.pk, person.pk))
            assert rows(centre.pk, person.pk) == expected
            assert expected
    found = rows(centres[0].pk, people[1].pk)
    assert isinstance(found[0][3], datetime.datetime)  # converted as the ORM converts it
    assert rows(-5, -6) == []


@pytest.mark.django_db
def test_an_id_no_column_holds_finds_nothing_and_an_id_as_text_is_refused():
    centre = CentreFactory.create()
    rows = compiled_once(counted)
    assert rows(10**20) == [] and rows(-(10**20)) == []  # from an address: not a 500
    assert compiled_once(people_at)(centre.pk, 2**63) == []
    with pytest.raises(TypeError, match="an id or a list of ids"):
        rows(str(centre.pk))


def counted(centre_id: int):
    return Centre.objects.filter(pk=centre_id).annotate(n=Count("roles")).values_list("pk", "n")


@pytest.mark.django_db
def test_compiled_once_per_process():
    centre = CentreFactory.create()
    rows = compiled_once(counted)
    assert rows(centre.pk) == [(centre.pk, 0)]
    first = rows.compile_for("sqlite", (None,))  # type: ignore[attr-defined]
    RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR)
    assert rows(centre.pk) == [(centre.pk, 1)]
    assert rows.compile_for("sqlite", (None,)) is first  # type: ignore[attr-defined]


def not_as_it_is(user_id: int):
    return User.objects.filter(pk=user_id + 1).values_list("pk")


@pytest.mark.django_db
def test_a_value_not_compared_as_it_is_is_refused():
    with pytest.raises(ValueError, match="not compared with as it is"):
        compiled_once(not_as_it_is)(1)


def in_centres(user_id: int, centres: list[int]):
    return (
        Role.objects.filter(user_id=user_id, centre_id__in=centres)
        .values_list("centre_id", flat=False)
        .order_by("centre_id")
    )


@pytest.mark.django_db
def test_lists_of_ids_one_sql_per_length():
    centres = CentreFactory.create_batch(3)
    person = UserFactory.create()
    for centre in centres:
        RoleFactory.create(user=person, centre=centre, kind=RoleKind.ASSESSOR)
    rows = compiled_once(in_centres)
    ids = [c.pk for c in centres]
    assert rows(person.pk, ids) == [(pk,) for pk in sorted(ids)]
    assert rows(person.pk, ids[::-1][:2]) == [(pk,) for pk in sorted(ids[1:])]
    assert rows(person.pk, [ids[0], ids[0]]) == [(ids[0],)]
    assert rows(person.pk, []) == []
    assert rows(-1, ids) == []


def either(centres: list[int], user_id: int, theirs: list[int]):
    condition = Q(centre_id__in=centres) | Q(user_id=user_id, centre_id__in=theirs)
    return Role.objects.filter(condition).values_list("pk").order_by("pk")


@pytest.mark.django_db
def test_a_value_a_lists_length_leaves_out_is_not_needed():
    """An empty list empties its condition, and with it a value beside it: the SQL is the same
    for any values of that length (a countersigner enforcing at a centre where they have no
    award, beside another centre)."""
    centres = CentreFactory.create_batch(2)
    person = UserFactory.create()
    roles = [RoleFactory.create(user=person, centre=c, kind=RoleKind.ASSESSOR) for c in centres]
    rows = compiled_once(either)
    assert rows([centres[0].pk], person.pk, []) == [(roles[0].pk,)]
    assert rows([centres[0].pk], -1, []) == [(roles[0].pk,)]
    assert rows([centres[0].pk], person.pk, [centres[1].pk]) == [(r.pk,) for r in roles]
    assert rows([], person.pk, []) == []


def test_objects_from_rows_take_their_fields_in_the_models_order():
    from portal.compiled import from_row

    made = from_row(Centre, ("id", "name"), (7, "Riverside"))
    assert (made.pk, made.name) == (7, "Riverside")
    assert made.get_deferred_fields() >= {"ao_centre_number"}
    with pytest.raises(ValueError, match="not in the order"):
        from_row(Centre, ("name", "id"), ("Riverside", 7))


def test_the_check_of_the_fields_order_is_public_for_portal_made_to_share():
    # portal.made checks names as from_row does; it imports the check, so the check is public.
    from portal.compiled import in_model_order
    from portal.made import makes

    in_model_order(Centre, ("id", "name"))
    with pytest.raises(ValueError, match="not in the order"):
        in_model_order(Centre, ("name", "id"))
    with pytest.raises(ValueError, match="not in the order"):
        makes(Centre, ("name", "id"))


def of_people(user_ids: list[int]):
    return User.objects.filter(pk__in=user_ids).values_list("pk").order_by("pk")


@pytest.mark.django_db
def test_lists_of_any_length_share_a_few_compiled_queries_and_the_rows_are_the_orms():
    """A list is made up to a power of two by repeating its last id (the same `IN`), so lists
    of 1 to 100 ids make 8 shapes, not 100 (and the empty list one), and no more than `SHAPES_KEPT` are ever kept: a
    worker's memory does not grow with the shapes its caseloads take."""
    people = UserFactory.create_batch(100)
    ids = [p.pk for p in people]
    rows = compiled_once(of_people)
    for n in range(1, 101):
        assert rows(ids[:n]) == list(of_people(ids[:n])), n
    assert rows([]) == []
    # 1, 2, 4 ... 128 ids, and none
    assert rows.compile_for.cache_info().currsize == 9  # type: ignore[attr-defined]
    assert padded([4, 5, 6]) == [4, 5, 6, 6]
    assert padded([7]) == [7] and padded([]) == []
    for n in range(SHAPES_KEPT + 10):
        rows.compile_for("sqlite", (200 + n,))  # type: ignore[attr-defined]
    assert rows.compile_for.cache_info().currsize == SHAPES_KEPT  # type: ignore[attr-defined]
