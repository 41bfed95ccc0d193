"""Full-text search on PostgreSQL: stemming and ranking that the SQLite fallback does not do."""

import pytest

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
