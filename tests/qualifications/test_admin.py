import pytest
from django.urls import reverse

from portal.models import User
from qualifications.loader import catalogue_load
from qualifications.models import Criterion, Qualification, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, catalogue, write):
    catalogue_load([write(catalogue)])
    user = User.objects.create_superuser("ops@example.org", "Platform Operator", "pw-ops-123456")
    client.force_login(user)
    return user


def test_the_admin_shows_a_qualification_with_its_groups_and_units_inline(client, operator):
    qualification = Qualification.objects.get(code="T/1")
    page = client.get(reverse("admin:qualifications_qualification_change", args=[qualification.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="groups-0-code"' in html and 'name="memberships-0-unit"' in html


# The unit page's inlines other than its criteria, sent empty.
INLINES = (
    "outcomes",
    "range_items",
    "knowledge_items",
    "evidence_requirements",
    "simulation_rules",
    "evidence_kind_rules",
    "method_rules",
    "sufficiency_rules",
    "environment_rule",
    "corrections",
)


def test_the_admin_corrects_a_criterion_through_the_unit_page(client, operator):
    unit = Unit.objects.get(code="U/2")
    url = reverse("admin:qualifications_unit_change", args=[unit.pk])
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update({f"{prefix}-TOTAL_FORMS": "0" for prefix in INLINES})
    data.update({f"{prefix}-INITIAL_FORMS": "0" for prefix in INLINES})
    criteria = list(unit.criteria.order_by("position"))
    data.update(
        {"criteria-TOTAL_FORMS": str(len(criteria)), "criteria-INITIAL_FORMS": str(len(criteria))}
    )
    for i, criterion in enumerate(criteria):
        data.update(
            {
                f"criteria-{i}-id": criterion.pk,
                f"criteria-{i}-unit": unit.pk,
                f"criteria-{i}-position": criterion.position,
                f"criteria-{i}-outcome": criterion.outcome_id,
                f"criteria-{i}-number": criterion.number,
                f"criteria-{i}-text": "Explain it, corrected" if i == 0 else criterion.text,
            }
        )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Criterion.objects.get(pk=criteria[0].pk).text == "Explain it, corrected"
