"""The claims page's held claims are read a page at a time by SQL compiled once
(`certification.views.held_page`, `held_claim_rows`: the page's offset a parameter) and drawn
in Python (`claim_rows.held_rows`): on real rows (held by the EQA, awaiting it, and let out or
ended ones that are not held), every page, whatever ?held= says, is the page the ORM's query
gave and is drawn as the template drew it; another centre's admin reads none of them."""

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.claim_rows import held_rows
from certification.models import Certificate, CertificateState, Release
from certification.views import (
    held_claim_rows,
    held_claim_rows_of,
    held_page,
    qualifications_with_ao,
)
from portal import listing
from portal.listing import page_counted_with
from portal.models import Role, RoleKind
from qualifications.models import Qualification
from tests.certification.test_certificate_list_compiled import every_state
from tests.factories import CentreFactory
from tests.portal.test_page_counted_with import ASKED
from tests.portfolios.conftest import registration, sfj

__all__ = ["every_state", "registration", "sfj"]
pytestmark = pytest.mark.django_db

# The held claims' loop as the claims page's template drew it.
TEMPLATE_LOOP = Template(
    '{% for c in held %}<li class="list-group-item"><a href="{% url \'certification:'
    "certificate-detail' c.pk %}\">{{ c.registration.learner.full_name }}, "
    "{{ c.registration.qualification.title }}</a> · {{ c.get_kind_display }} claimed "
    '{{ c.issued_at|date:"j M Y" }}\n    <div class="small" data-testid="held-why">'
    "{{ c.held_because }}</div></li>{% endfor %}"
)


def shown(page) -> tuple:
    return (
        page.number,
        page.paginator.count,
        page.paginator.num_pages,
        page.links.previous,
        page.links.next,
    )


@pytest.fixture
def held(every_state, registration):
    """Four held claims (two held by the EQA, two awaiting it; one superseding a certificate),
    with names and reasons that need escaping."""
    Certificate.objects.filter(number__in=["TEST-0006", "TEST-0007"]).update(
        release=Release.AWAITING
    )
    Certificate.objects.filter(number="TEST-0004").update(hold_reason="<b>Tom & Jerry's</b> \"")
    Certificate.objects.filter(number="TEST-0005").update(
        release=Release.HELD, hold_reason="Second."
    )
    registration.learner.full_name = 'Zoë <O\'Brien> & "co"'
    registration.learner.save()
    return registration


def test_every_page_is_the_orms_and_drawn_as_the_template_drew_it(held, monkeypatch):
    monkeypatch.setattr(listing, "PER_PAGE", 2)
    centre = held.centre_id
    issued = Certificate.objects.of_centre(centre)
    orm_held = issued.in_state(CertificateState.HELD).select_related(
        "registration__learner", "registration__qualification"
    )
    assert orm_held.count() == 5  # and 5 of the 10 certificates not held
    assert {c.release for c in orm_held} == {Release.HELD, Release.AWAITING}
    for qualification in (None, held.qualification_id, held.qualification_id + 1000):
        within = orm_held if qualification is None else orm_held.filter(
            registration__qualification=qualification
        )  # fmt: skip
        base = issued if qualification is None else issued.filter(
            registration__qualification=qualification
        )  # fmt: skip
        for asked in ASKED:
            request = RequestFactory().get("/", {} if asked is None else {"held": asked, "q": "x"})
            with CaptureQueriesContext(connection) as ours:
                page = held_page(request, base, centre, qualification)
            with CaptureQueriesContext(connection) as theirs:
                orm = page_counted_with(request, within.order_by("issued_at", "pk"), "held")
            assert shown(page) == shown(orm), (qualification, asked)
            assert held_rows(page) == TEMPLATE_LOOP.render(Context({"held": orm}))
            assert len(ours) == len(theirs), (qualification, asked)
    request = RequestFactory().get("/", {"held": "3"})
    assert len(held_rows(held_page(request, issued, centre, None))) > 100  # drawn, not empty


def test_another_centres_admin_reads_none_of_them(held):
    other = CentreFactory.create().pk
    assert held_claim_rows(held.centre_id, 0, 25)
    assert held_claim_rows(other, 0, 25) == []
    assert held_claim_rows_of(other, held.qualification_id, 0, 25) == []
    page = held_page(RequestFactory().get("/"), Certificate.objects.of_centre(other), other, None)
    assert page.paginator.count == 0 and list(page) == []


def test_the_export_forms_qualifications_are_in_bulks(sfj):
    """The claims page's qualifications for its export form (`qualifications_with_ao`, a list
    of ids given to `objects_once`): the objects `in_bulk` made, with their awarding
    organisations, and none for ids no qualification has."""
    keys = list(Qualification.objects.values_list("pk", flat=True))
    assert len(keys) > 2
    for wanted in (keys, keys[:1], keys[1:3], [*keys[:2], max(keys) + 1000], [max(keys) + 1]):
        orm = Qualification.objects.select_related("awarding_organisation").in_bulk(wanted)
        with CaptureQueriesContext(connection) as queries:
            ours = {q.pk: q for q in qualifications_with_ao(wanted)}
            made = [(q.__dict__, q.awarding_organisation) for q in ours.values()]
        assert len(queries) == 1
        assert sorted(ours) == sorted(orm)
        for q, ao in made:
            theirs = orm[q["id"]]
            assert {k: v for k, v in q.items() if k != "_state"} == {
                k: v for k, v in theirs.__dict__.items() if k != "_state"
            }
            assert ao == theirs.awarding_organisation
            assert ao is None or ao.name == theirs.awarding_organisation.name  # type: ignore[union-attr]
    assert qualifications_with_ao([]) == []


def test_the_claims_page_lists_the_held_claims_of_the_admins_centre_only(held, client, outsider):
    """Through the page: this centre's admin sees its held claims, another centre's none."""
    url = reverse("certification:claims")
    client.force_login(Role.objects.get(centre=held.centre, kind=RoleKind.CENTRE_ADMIN).user)
    ours = client.get(url).content.decode()
    assert 'data-testid="held-count">5 claims<' in ours and "Zoë &lt;O&#x27;Brien&gt;" in ours
    client.force_login(outsider)
    theirs = client.get(url).content.decode()
    assert "No claim is held." in theirs and 'data-testid="held"' not in theirs
    assert "O&#x27;Brien" not in theirs
