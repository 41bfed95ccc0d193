"""The unit page says how the unit must be assessed, in the specification's words
(decision 48): its evidence requirements with their items, how much evidence, simulation, and
the kinds of evidence and methods it requires or allows."""

from html import unescape

from django.urls import reverse

from qualifications.models import Unit
from qualifications.requirements import EvidenceRequirement, SufficiencyRule


def page(client, user, registration, unit):
    client.force_login(user)
    url = reverse("assessment:unit-progress", args=[registration.pk, unit.pk])
    return client.get(url).content.decode()


def test_the_unit_page_quotes_how_much_evidence_and_where_simulation_is_allowed(
    client, cvq_registration, learner
):
    unit = Unit.objects.get(code="U09602")
    html = page(client, learner, cvq_registration, unit)
    customers = SufficiencyRule.objects.get(unit=unit, measure="customers")
    assert f"At least 2: different customers: “{customers.quote}”" in html
    simulation = unit.simulation_rules.get()
    assert f"Simulation not allowed in the unit: “{simulation.quote}”" in html


def test_an_evidence_requirement_to_meet_is_listed_item_by_item(client, cvq_registration, assessor):
    unit = Unit.objects.get(code="U09602")
    EvidenceRequirement.objects.create(
        unit=unit,
        number="5",
        text="You must provide evidence of:\na during routine delivery\nb during a busy time",
        kind="meet",
        position=1,
    )
    html = page(client, assessor, cvq_registration, unit)
    assert "<li>5a during routine delivery</li>" in html
    assert "<li>5b during a busy time</li>" in html


def test_a_unit_with_no_rules_of_assessment_shows_no_such_section(
    client, cvq_registration, learner
):
    unit = Unit.objects.get(code="U09602")
    unit.simulation_rules.all().delete()
    unit.sufficiency_rules.all().delete()
    unit.evidence_kind_rules.all().delete()
    unit.method_rules.all().delete()
    assert 'data-testid="how-assessed"' not in page(client, learner, cvq_registration, unit)


def test_a_rule_changed_in_the_catalogue_shows_at_once(client, cvq_registration, learner):
    unit = Unit.objects.get(code="U09602")
    page(client, learner, cvq_registration, unit)  # the rules read and kept
    rule = SufficiencyRule.objects.get(unit=unit, measure="customers")
    rule.quote = "Different customers, as the corrected file says."
    rule.save()
    cvq_registration.qualification.refresh_from_db()
    assert "Different customers, as the corrected file says." in page(
        client, learner, cvq_registration, unit
    )


def test_the_unit_page_quotes_the_kinds_of_evidence_and_the_methods_the_unit_asks_for(
    client, cvq_registration, assessor
):
    unit = Unit.objects.get(code="U09602")
    kinds, methods = list(unit.evidence_kind_rules.all()), list(unit.method_rules.all())
    assert kinds and methods
    html = unescape(page(client, assessor, cvq_registration, unit))
    for rule in kinds:
        where = f" for criteria {rule.criteria_words}" if rule.criteria else ""
        assert f"{rule}{where}: “{rule.quote}”" in html
    for method in methods:
        kind = f" as {method.get_evidence_kind_display().lower()}" if method.evidence_kind else ""
        assert f"{method}{kind}: “{method.quote}”" in html


def test_a_unit_with_only_a_method_rule_still_shows_how_it_is_assessed(
    client, cvq_registration, learner
):
    unit = Unit.objects.get(code="U09602")
    unit.simulation_rules.all().delete()
    unit.sufficiency_rules.all().delete()
    unit.evidence_kind_rules.all().delete()
    kept = unit.method_rules.all()[0]
    unit.method_rules.exclude(pk=kept.pk).delete()
    html = page(client, learner, cvq_registration, unit)
    assert 'data-testid="how-assessed"' in html and 'data-testid="method-rule"' in html
