"""Full-text search on PostgreSQL: stemming and ranking that the SQLite fallback does not do."""

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from qualifications.loader import catalogue_load
from qualifications.search import search_criteria, search_units


@pytest.fixture
def catalogue(real_services, db):
    catalogue_load()


def test_words_match_their_other_forms_and_every_word_must_match(catalogue):
    found = list(search_criteria("angry customer"))
    assert found
    # Stemming: "angry customer" finds "customers who appear angry".
    assert all("angry" in c.text.lower() for c in found)
    assert all("customer" in c.text.lower() for c in found)


def test_a_unit_whose_title_matches_ranks_above_one_whose_aim_does(catalogue):
    codes = [u.code for u in search_units("complaints")]
    assert codes[0] == "R/506/2151"  # "Resolve customers' complaints"


def test_a_search_that_matches_nothing_finds_nothing(catalogue):
    assert list(search_units("xylophone")) == []
    assert list(search_criteria("xylophone")) == []


def test_a_unit_is_found_by_its_reference(catalogue):
    assert [u.code for u in search_units("U09602")] == ["U09602"]


def test_a_phrase_and_an_excluded_word_still_work(catalogue):
    both = {c.pk for c in search_criteria("angry customer")}
    assert {c.pk for c in search_criteria('"customers who appear angry"')} <= both
    assert {c.pk for c in search_criteria("angry customer -xylophone")} == both
    assert {c.pk for c in search_criteria("angry customer -angry")} == set()


NESTING = [
    "-" * 100,
    "- " * 300 + "x",
    "-" * 500 + " customer",
    "(-" * 100 + "customer",
    "-&" * 100 + "customer",
    "-|" * 100 + "customer",
    "-a " * 300,
    '"' * 500,
    " OR " * 300,
    "customer -" * 300,
    '"angry ' * 1000,
    "a-" * 3000,
]


@pytest.mark.parametrize("query", NESTING, ids=lambda q: f"{q[:12]!r}x{len(q)}")
def test_operators_nested_past_postgresql_s_stack_get_an_answer(catalogue, client, query):
    response = client.get(reverse("qualifications:search"), {"q": query})
    assert response.status_code == 200


def test_no_query_of_operators_and_words_breaks_the_search(catalogue):
    @settings(max_examples=300, deadline=None, database=None)
    @given(query=st.text(alphabet='-"()!&|:<>*\\ ORaxbc', max_size=400))
    def searched(query: str) -> None:
        list(search_units(query)), list(search_criteria(query))

    searched()
