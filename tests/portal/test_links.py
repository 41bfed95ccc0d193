"""Links reversed once for many rows are the links `reverse` makes for each."""

import pytest
from django.urls import reverse

from portal.links import links_to


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("portfolios:evidence-detail", ()),
        ("assessment:item-history", (12, "criterion")),
        ("assessment:item-history", (3, "knowledge_item")),
        ("assessment:mapping-review", ()),
    ],
)
def test_each_rows_link_is_the_one_reverse_makes(name, args):
    link = links_to(name, *args)
    for pk in (1, 42, 987654):
        assert link(pk) == reverse(name, args=[*args, pk])
