"""NUL characters in what people type are refused by PostgreSQL itself: the searches and the
public verification must still answer, not fail with 500."""

import pytest
from django.db import connection
from django.urls import reverse

from portal.models import RoleKind
from tests.factories import CentreFactory, RoleFactory, UserFactory


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
