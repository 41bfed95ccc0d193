import pytest
from django.urls import reverse

from qualifications.loader import catalogue_load
from qualifications.models import Qualification, Unit
from qualifications.views import QUERY_TOO_SHORT

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(catalogue, write):
    catalogue_load([write(catalogue)])


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_catalogue_lists_qualifications_without_logging_in(client, loaded):
    html = page(client, reverse("qualifications:catalogue"))
    assert "Test Level 2 Certificate" in html
    assert "Test Awarding Body" in html
    assert "No published rules" in html


def test_a_qualification_page_shows_its_rules_in_words_and_its_groups(client, loaded):
    qualification = Qualification.objects.get(code="T/1")
    html = page(client, reverse("qualifications:qualification-detail", args=[qualification.pk]))
    assert "At least 12 credits in total." in html
    assert "Every unit in this group is mandatory (6 credits)." in html
    assert "At most 8 credits from this group count toward the total" in html
    assert "At most 4 credits at level 3 or above count toward the total" in html
    assert "Unit U/5" in html


def test_a_qualification_without_rules_says_it_cannot_be_claimed_in_full(client, loaded):
    qualification = Qualification.objects.get(code="T/2")
    html = page(client, reverse("qualifications:qualification-detail", args=[qualification.pk]))
    assert "cannot claim a full" in html
    assert "Unit certificates can still be claimed" in html


def test_a_unit_page_shows_its_criteria_its_qualifications_and_its_data_notes(client, loaded):
    unit = Unit.objects.get(code="U/1")
    html = page(client, reverse("qualifications:unit-detail", args=[unit.pk]))
    assert "Explain part 3 of U/1" in html
    assert "Test Level 2 Certificate" in html and "Test Qualification Without Rules" in html
    assert "A typing error." in html


def test_search_finds_units_and_criteria_by_words(client, loaded):
    html = page(client, reverse("qualifications:search") + "?q=part+3")
    assert "Explain part 3 of U/1" in html
    assert "Explain part 2 of U/1" not in html


def test_a_one_letter_search_is_refused_with_a_message(client, loaded):
    assert QUERY_TOO_SHORT in page(client, reverse("qualifications:search") + "?q=x")


def test_an_unknown_qualification_is_not_found(client, loaded):
    assert client.get(reverse("qualifications:qualification-detail", args=[999])).status_code == 404


def test_a_unit_page_says_where_simulation_is_allowed_in_the_specifications_words(
    client, catalogue_db
):
    unit = Unit.objects.get(code="U00306")
    html = page(client, reverse("qualifications:unit-detail", args=[unit.pk]))
    assert "How the unit must be assessed" in html
    assert "for performance evidence in the unit" in html
    assert html.count("Simulation allowed</span>") == 3
    # The seed numbers U00306's elements 5.1 to 5.6 (the catalogue's 1 to 6): said, so the
    # quote's "5.2" does not seem to be another element's.
    assert "for performance evidence in element 2 (numbered 5.2 in the specification)" in html
    assert (
        "Simulation may be used to provide performance evidence for Elements 5.2, 5.3 and 5.4."
        in html
    )
    assert "Performance evidence</span> required for criteria 6.2, 6.3" in html


def test_a_c_and_g_unit_page_lists_its_methods_and_sufficiency(client, catalogue_db):
    unit = Unit.objects.get(code="M/502/4300")
    html = page(client, reverse("qualifications:unit-detail", args=[unit.pk]))
    assert "Expert witness</span> allowed" in html
    unit = Unit.objects.get(code="L/601/0933")
    html = page(client, reverse("qualifications:unit-detail", args=[unit.pk]))
    assert "At least 2 different occasions" in html
    assert "A sufficient period of time, as the assessor judges" in html
    assert "A condition on the evidence" in html
