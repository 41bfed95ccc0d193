"""The integrator's guide is a page of the portal, which the document links to; it and
docs/api.md name every path the OpenAPI document has, so neither falls behind the API."""

from __future__ import annotations

import html
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from api.models import Scope


def document_paths() -> list[str]:
    document = Client().get(reverse("api-schema"), {"format": "json"}).json()
    return sorted(document["paths"])


def test_the_guide_is_served_to_anyone_and_names_every_path_of_the_document():
    page = Client().get(reverse("api-guide"))
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    missing = [path for path in document_paths() if path not in text]
    assert not missing, f"The guide (templates/api/guide.html) does not name {missing}"
    assert reverse("api-docs") in text and reverse("api-schema") in text


def test_docs_api_md_names_every_path_of_the_document():
    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    missing = [p for p in document_paths() if p.removeprefix("/api/v1") not in text]
    assert not missing, f"docs/api.md does not name {missing}"


def test_the_document_and_the_tokens_page_point_to_the_guide(centre_admin):
    document = Client().get(reverse("api-schema"), {"format": "json"}).json()
    assert f"({reverse('api-guide')})" in document["info"]["description"]
    assert "docs/api.md" not in document["info"]["description"]
    client = Client()
    client.force_login(centre_admin)
    page = client.get(reverse("api-tokens")).content.decode()
    assert reverse("api-guide") in page
    assert "certificates" in Scope.READ.label and Scope.READ.label in html.unescape(page)
