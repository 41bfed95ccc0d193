"""NUL characters in what people type are refused by PostgreSQL itself: the searches and the
public verification must still answer, not fail with 500."""

import pytest
from django.db import connection
from django.urls import reverse

from portal.models import RoleKind
from portfolios.bulk import NOT_CSV
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.world import ADMIN, ASSESSOR, build_world


@pytest.mark.django_db
def test_nul_in_searches_and_certificate_numbers_gets_an_answer(real_services, client):
    assert connection.vendor == "postgresql"
    admin = UserFactory.create(email="admin@example.org")
    RoleFactory.create(user=admin, centre=CentreFactory.create(), kind=RoleKind.CENTRE_ADMIN)
    assert client.get(reverse("certification:verify"), {"number": "QP-\x00"}).status_code == 200
    assert client.get("/verify/QP-%00ABC/").status_code == 200
    client.force_login(admin)
    for url in (reverse("certification:certificate-list"), reverse("portfolios:registration-list")):
        assert client.get(url, {"q": "Leo\x00"}).status_code == 200, url
    assert client.post(reverse("switch-role"), {"role": "\x00"}).status_code == 404


@pytest.mark.django_db
def test_nul_in_feedback_posted_without_a_form_and_in_a_csv_file_gets_an_answer(
    real_services, client, catalogue_db
):
    assert connection.vendor == "postgresql"
    world = build_world()
    client.force_login(world.ours.people[ASSESSOR])
    url = reverse("assessment:mapping-review", args=[world.ours.mapping.pk])
    assert client.post(url, {"action": "reject", "feedback": "No\x00"}).status_code == 302
    world.ours.mapping.refresh_from_db()
    assert world.ours.mapping.feedback == "No"
    client.force_login(world.ours.people[ADMIN])
    csv = "learner_email,qualification,start_date\nleo\x00@example.org,SFJ-L2-CS,2026-09-01\n"
    page = client.post(reverse("portfolios:registration-bulk"), {"confirm": "1", "content": csv})
    assert page.status_code == 200 and NOT_CSV in page.content.decode()
