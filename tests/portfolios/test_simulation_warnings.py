"""The learner is warned, before their assessor refuses it, when simulated evidence meets a
unit (or element) whose rules forbid simulation (decision 51, amended on 7 December 2026): on
the upload form, the mapping page and the evidence's page. Nothing is refused here."""

import datetime
import html

from django.test import Client
from django.urls import reverse

from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import Mapping
from portfolios.simulation_warnings import MAPPED_FORBIDDEN
from qualifications.models import Criterion, Unit
from tests.portfolios.files import pdf

UNIT = "U00306"  # seed 004, line 891: simulation allowed only for its elements 2 to 4


def add(registration, learner, setting, kind="performance"):
    details = EvidenceDetails(
        "Fire drill role play", datetime.date(2026, 9, 2), "product", setting=setting, kind=kind
    )
    return evidence_add(
        registration=registration,
        details=details,
        files=[pdf(extra=f"{setting}{kind}".encode())],
        declared=True,
        actor=learner,
    )


def criterion(number):
    return Criterion.objects.get(unit__code=UNIT, number=number)


def page(client, url):
    return html.unescape(client.get(url).content.decode())


def test_simulated_evidence_is_warned_of_on_the_mapping_page_and_after_mapping(
    cvq_registration, learner
):
    unit = Unit.objects.get(code=UNIT)
    rule = unit.simulation_rules.get(element="")
    evidence = add(cvq_registration, learner, "simulated")
    client = Client()
    client.force_login(learner)
    url = reverse("portfolios:evidence-map", args=[evidence.pk])
    before = page(client, url)
    assert 'data-testid="simulation-warnings"' in before
    assert (
        f"{UNIT} {unit.title} does not allow simulated performance evidence (but in elements "
        "2, 3, 4): your assessor cannot accept “Fire drill role play” for the other elements' "
        f"criteria and range. The specification says: “{rule.quote}”"
    ) in before
    # Mapped anyway (nothing is refused): the items the rules forbid it for are named.
    chosen = {"criteria": [criterion("1.1").pk, criterion("2.1").pk]}
    answer = client.post(url, chosen, follow=True)
    assert Mapping.objects.filter(evidence=evidence).count() == 2
    warning = MAPPED_FORBIDDEN.format(
        title="Fire drill role play",
        what="simulated",
        unit=f"{UNIT} {unit.title}",
        items="criterion 1.1",
        quote=rule.quote,
    )
    shown = html.unescape(answer.content.decode())
    assert shown.count(warning) == 2  # the message flashed, and the evidence's own page
    assert "criterion 2.1" not in warning


def test_real_work_and_simulated_knowledge_evidence_are_not_warned_of(cvq_registration, learner):
    client = Client()
    client.force_login(learner)
    for setting, kind in (("real_work", "performance"), ("simulated", "knowledge")):
        evidence = add(cvq_registration, learner, setting, kind)
        url = reverse("portfolios:evidence-map", args=[evidence.pk])
        assert 'data-testid="simulation-warnings"' not in page(client, url)
        answer = client.post(url, {"criteria": [criterion("1.1").pk]}, follow=True)
        assert 'data-testid="simulation-warnings"' not in answer.content.decode()
        assert "does not allow simulation" not in answer.content.decode()


def test_the_upload_form_names_the_units_that_do_not_allow_simulation(
    cvq_registration, registration, learner
):
    client = Client()
    client.force_login(learner)
    upload = page(client, reverse("portfolios:evidence-new", args=[cvq_registration.pk]))
    assert "Simulated performance evidence is not accepted in U00306, U09602, U12902" in upload
    assert "except U00306 elements 2, 3, 4." in upload
    # The SFJ units state no rule of simulation: nothing is said.
    other = page(client, reverse("portfolios:evidence-new", args=[registration.pk]))
    assert "Simulated performance evidence is not accepted" not in other


def test_a_realistic_working_environment_is_warned_of_only_where_the_unit_does_not_accept_it(
    cvq_registration, learner
):
    """U09602 accepts it (seed 004, line 193: "in a realistic working environment;"); U12902
    does not, so it counts as simulated there (decision 51, amended on 7 December 2026)."""
    evidence = add(cvq_registration, learner, "realistic")
    client = Client()
    client.force_login(learner)
    before = page(client, reverse("portfolios:evidence-map", args=[evidence.pk]))
    assert "U12902 Deliver reliable customer service does not allow simulated" in before
    assert (
        "U09602" not in before.split('data-testid="simulation-warnings"')[1].split("</section>")[0]
    )
    accepts = Criterion.objects.filter(unit__code="U09602").order_by("position")[0]
    refuses = Criterion.objects.filter(unit__code="U12902").order_by("position")[0]
    url = reverse("portfolios:evidence-map", args=[evidence.pk])
    answer = client.post(url, {"criteria": [accepts.pk, refuses.pk]}, follow=True)
    shown = html.unescape(answer.content.decode())
    assert (
        "“Fire drill role play” is from a realistic working environment, which counts as "
        "simulated there, and U12902 Deliver reliable customer service does not allow "
        f"simulation for criterion {refuses.number}"
    ) in shown
    assert (
        "U09602" not in shown.split('data-testid="simulation-warnings"')[1].split("</section>")[0]
    )
