"""Friendly error pages: what happened, that nothing changed, and the way home."""

from django.test import Client, RequestFactory
from django.views.defaults import server_error


def test_an_unknown_address_gets_the_portal_s_404_page(client, learner):
    client.force_login(learner)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that page" in page and 'href="/"' in page
    assert "Log out" in page  # the portal's own layout, with the person's navigation


def test_a_page_outside_the_role_gets_the_403_page_naming_the_role(client, learner):
    client.force_login(learner)
    response = client.get("/claims/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "This page is not open to you" in page and "Nothing was changed." in page
    assert "Learner at" in page


def test_the_500_page_renders_without_a_request_context_or_the_database():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "What you had saved" in page


def test_a_form_refused_for_its_csrf_token_gets_the_portal_s_page_without_inline_style(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    response = client.post("/role/", {"role": "1"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "The form could not be accepted" in page and "Nothing was changed." in page
    assert "<style" not in page and "style=" not in page
