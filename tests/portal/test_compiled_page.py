"""One page of a list read by SQL compiled once (`portal.compiled.compiled_page_once`): its
LIMIT and OFFSET are parameters, so every page runs the one SQL, and each page is the ORM's
slice of the same queryset, a page past the end none; what cannot be paged is refused."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Window

from portal.compiled import compiled_page_once
from portal.models import Role, RoleKind
from tests.factories import CentreFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def roles_at(centre_id: int):
    return (
        Role.objects.filter(centre_id=centre_id)
        .order_by("user__full_name", "pk")
        .annotate(listed=Window(Count("pk")))
        .values_list("pk", "user__full_name", "created_at", "listed")
    )


def test_each_page_is_the_orms_slice_from_one_compiled_sql():
    centre, other = CentreFactory.create_batch(2)
    for person in UserFactory.create_batch(7):
        RoleFactory.create(user=person, centre=centre, kind=RoleKind.ASSESSOR)
    RoleFactory.create(centre=other, kind=RoleKind.ASSESSOR)
    rows = compiled_page_once(roles_at)
    everyone = list(roles_at(centre.pk))
    assert len(everyone) == 7 and {row[3] for row in everyone} == {7}
    for first in range(0, 10):
        for size in (1, 3, 7, 8):
            assert rows(centre.pk, first, size) == everyone[first : first + size], (first, size)
    assert rows(centre.pk, 2**63 - 1, 3) == []  # past any list
    assert rows(centre.pk, 0, 0) == []
    assert rows(centre.pk, 0, 25) == everyone
    assert [row[0] for row in rows(other.pk, 0, 25)] == list(
        Role.objects.filter(centre=other).values_list("pk", flat=True)
    )  # the centre's own
    assert rows(CentreFactory.create().pk, 0, 25) == []
    assert rows(10**20, 0, 25) == []  # an id no column holds, as `compiled_once`
    compiled = rows.compile_for(connection.vendor, (None,))  # type: ignore[attr-defined]
    assert compiled.sql.endswith(" LIMIT %s OFFSET %s")
    assert rows.compile_for.cache_info().currsize == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("first,size", [(-1, 25), (0, -1), (0, 2**63), ("0", 25), (0, 2.5)])
def test_an_offset_or_size_no_page_has_is_refused(first, size):
    with pytest.raises(ValueError, match="no page at"):
        compiled_page_once(roles_at)(1, first, size)


def not_ordered(centre_id: int):
    return Role.objects.filter(centre_id=centre_id).order_by().values_list("pk")


def sliced(centre_id: int):
    return roles_at(centre_id)[:5]


def locked(centre_id: int):
    return roles_at(centre_id).select_for_update()


@pytest.mark.parametrize("build", [not_ordered, sliced, locked])
def test_a_list_not_ordered_sliced_already_or_locked_is_refused(build):
    with pytest.raises(ValueError, match="a page of an ordered list"):
        compiled_page_once(build)(1, 0, 25)
