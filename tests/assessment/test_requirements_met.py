"""Evidence requirements and sufficiency, tracked per learner and required before sign-off
(decision 52): the assessor records each item as shown and each occasion, customer or period;
sign-off is refused, listing what is missing in the specification's words, until all are."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import RequirementShown, SufficiencyRecord, UnitSignOff
from assessment.services import (
    ALREADY_WITHDRAWN,
    EVIDENCE_ELSEWHERE,
    NOT_THEIR_ASSESSOR,
    DecisionRefused,
    Judgement,
    decision_record,
    evidence_classify,
    requirement_show,
    requirement_withdraw,
    sufficiency_record,
    unit_missing,
    unit_sign_off,
)
from portal.models import AuditEntry, RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Criterion, Qualification, Unit
from tests.factories import PASSWORD, RoleFactory, UserFactory, meet_requirements
from tests.portfolios.conftest import START
from tests.portfolios.files import pdf
from tests.test_form_errors_shown import forms_shown, misplaced

UNIT = "L/601/0933"  # C&G 3412 unit 208: items 5a to 5d and 6a, 6b; conditions 1, 2 and 4
OTHER = "D/601/0936"  # C&G 3412 unit 209, also in the plan
ON = datetime.date(2026, 10, 5)


@pytest.fixture
def cg(centre, centre_admin, learner, assessor, catalogue_db):
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="3412-03"),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=[UNIT, OTHER],
        actor=centre_admin,
    )


def piece(registration, learner, title="Busy Saturday", unit_code=UNIT, setting="real_work"):
    """Evidence the learner adds and maps to the unit's first criterion."""
    details = EvidenceDetails(title, ON, "product", setting=setting)
    evidence = evidence_add(
        registration=registration,
        details=details,
        files=[pdf(f"{title}.pdf", title.encode())],
        declared=True,
        actor=learner,
    )
    first = Criterion.objects.filter(unit__code=unit_code).order_by("position").first()
    assert first is not None
    mapping_propose(
        evidence=evidence, targets=Targets(criteria=frozenset({first.pk})), actor=learner
    )
    return evidence


def all_met(registration, assessor, evidence, unit_code=UNIT):
    every = frozenset(Criterion.objects.filter(unit__code=unit_code).values_list("pk", flat=True))
    decision_record(
        registration=registration,
        targets=Targets(criteria=every),
        judgement=Judgement("met", "observation", ON),
        evidence=[evidence],
        actor=assessor,
    )


def sign(registration, assessor, unit, conditions=("1", "2", "4")):
    return unit_sign_off(
        registration=registration,
        unit_id=unit.pk,
        signature=assessor.full_name,
        password=PASSWORD,
        declared=True,
        actor=assessor,
        conditions=conditions,
    )


def test_sign_off_is_refused_listing_each_missing_item_in_the_specifications_words(
    cg, learner, assessor
):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    all_met(cg, assessor, evidence)
    missing = unit_missing(cg, unit.pk)
    assert "evidence requirement 5b “during a busy time in your job” is not yet shown" in missing
    assert (
        "evidence requirement 6a “using appropriate spoken or written language” is not yet shown"
        in missing
    )
    quote = unit.sufficiency_rules.get(measure="customers").quote
    assert f"at least 2 different customers (“{quote}”): 0 recorded" in missing
    assert f"at least 2 different occasions (“{quote}”): 0 recorded" in missing
    assert (
        f"A sufficient period of time (“{quote}”): not yet judged sufficient by the assessor"
        in missing
    )
    assert len(missing) == 6 + 3  # 5a-5d, 6a, 6b and three rules
    with pytest.raises(DecisionRefused) as refused:
        sign(cg, assessor, unit)
    assert "evidence requirement 5b “during a busy time in your job” is not yet shown" in str(
        refused.value
    )
    sufficiency_record(
        registration=cg,
        unit_id=unit.pk,
        measure="customers",
        evidence=evidence.pk,
        description="Mrs Achebe, a complaint about billing",
        actor=assessor,
    )
    assert f"at least 2 different customers (“{quote}”): 1 recorded" in unit_missing(cg, unit.pk)
    assert not UnitSignOff.objects.exists()


def test_accepted_once_all_are_recorded_and_the_conditions_ticked_and_kept(cg, learner, assessor):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    all_met(cg, assessor, evidence)
    conditions = meet_requirements(cg, unit, [evidence])
    assert conditions == ["1", "2", "4"]
    assert unit_missing(cg, unit.pk) == []
    with pytest.raises(DecisionRefused) as refused:  # a condition not ticked
        sign(cg, assessor, unit, conditions=("1", "4"))
    assert "evidence requirement 2 “You may collect the evidence" in str(refused.value)
    assert "is not confirmed (tick it)" in str(refused.value)
    sign_off = sign(cg, assessor, unit)
    assert [c["number"] for c in sign_off.conditions] == ["1", "2", "4"]
    assert sign_off.conditions[1]["text"].startswith("You may collect the evidence")
    entry = AuditEntry.objects.get(action="unit.signed_off", subject=f"sign_off:{sign_off.pk}")
    assert entry.after is not None and entry.after["conditions"] == sign_off.conditions


def test_withdrawal_brings_the_refusal_back_and_keeps_the_record(cg, learner, assessor):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    all_met(cg, assessor, evidence)
    meet_requirements(cg, unit, [evidence])
    shown = RequirementShown.objects.get(registration=cg, reference="5b")
    with pytest.raises(DecisionRefused):
        requirement_withdraw(record=shown, reason="  ", actor=assessor)
    requirement_withdraw(
        record=shown, reason="The busy time was not shown after all.", actor=assessor
    )
    with pytest.raises(DecisionRefused) as refused:
        sign(cg, assessor, unit)
    assert "evidence requirement 5b “during a busy time in your job” is not yet shown" in str(
        refused.value
    )
    kept = RequirementShown.objects.get(pk=shown.pk)
    assert (kept.withdrawn_by, kept.withdraw_reason) == (
        assessor,
        "The busy time was not shown after all.",
    )
    assert AuditEntry.objects.filter(
        action="requirement.withdrawn", subject=f"requirement_shown:{shown.pk}"
    ).exists()
    with pytest.raises(DecisionRefused, match=ALREADY_WITHDRAWN):
        requirement_withdraw(record=kept, reason="Again.", actor=assessor)
    # Shown again, with other evidence: the sign-off goes through.
    requirement_show(
        registration=cg, unit_id=unit.pk, reference="5b", evidence=[evidence.pk], actor=assessor
    )
    sign(cg, assessor, unit)
    assert RequirementShown.objects.filter(registration=cg, reference="5b").count() == 2


def test_only_the_learners_assessor_records_and_withdraws(
    cg, learner, assessor, centre, iqa, centre_admin
):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    other = UserFactory.create()
    RoleFactory.create(user=other, centre=centre, kind=RoleKind.ASSESSOR)
    for actor in (learner, other, iqa, centre_admin):
        with pytest.raises(PermissionDenied):
            requirement_show(
                registration=cg,
                unit_id=unit.pk,
                reference="5a",
                evidence=[evidence.pk],
                actor=actor,
            )
        with pytest.raises(PermissionDenied):
            sufficiency_record(
                registration=cg,
                unit_id=unit.pk,
                measure="period",
                evidence=None,
                description="Long enough.",
                actor=actor,
            )
    shown = requirement_show(
        registration=cg, unit_id=unit.pk, reference="5a", evidence=[evidence.pk], actor=assessor
    )
    with pytest.raises(PermissionDenied, match=NOT_THEIR_ASSESSOR):
        requirement_withdraw(record=shown, reason="Not mine to keep.", actor=other)
    assert RequirementShown.objects.get().in_force
    assert not SufficiencyRecord.objects.exists()


def test_bad_input_changes_nothing_and_says_why(
    cg, cvq_registration, learner, assessor, centre, centre_admin
):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    # Evidence of another registration of the learner's.
    elsewhere = piece(cvq_registration, learner, "At the bank", unit_code="U09602")
    with pytest.raises(DecisionRefused, match=EVIDENCE_ELSEWHERE):
        requirement_show(
            registration=cg,
            unit_id=unit.pk,
            reference="5a",
            evidence=[elsewhere.pk],
            actor=assessor,
        )
    # Evidence of this registration, but for another unit.
    other_unit = Unit.objects.get(code=OTHER)
    with pytest.raises(DecisionRefused) as refused:
        sufficiency_record(
            registration=cg,
            unit_id=other_unit.pk,
            measure="customers",
            evidence=evidence.pk,
            description="Mr Oduya",
            actor=assessor,
        )
    assert str(refused.value) == (
        f"“Busy Saturday” is not evidence for {OTHER} {other_unit.title}: cite evidence mapped "
        "to one of its items or decided on one."
    )
    # A unit not in the plan.
    outside = Unit.objects.get(code="H/601/1215")
    with pytest.raises(DecisionRefused, match="not in this registration's plan"):
        requirement_show(
            registration=cg,
            unit_id=outside.pk,
            reference="5a",
            evidence=[evidence.pk],
            actor=assessor,
        )
    # An item the unit does not have.
    with pytest.raises(DecisionRefused, match="has no evidence requirement item 7z"):
        requirement_show(
            registration=cg, unit_id=unit.pk, reference="7z", evidence=[evidence.pk], actor=assessor
        )
    # Simulated evidence toward real-work sufficiency: refused with the rule quoted.
    simulated = piece(cg, learner, "Role play", setting="simulated")
    quote = unit.sufficiency_rules.get(measure="occasions").quote
    with pytest.raises(DecisionRefused) as refused:
        sufficiency_record(
            registration=cg,
            unit_id=unit.pk,
            measure="occasions",
            evidence=simulated.pk,
            description="A role play",
            actor=assessor,
        )
    assert "“Role play” is simulated: only real work counts toward different occasions" in str(
        refused.value
    )
    assert quote in str(refused.value)
    # The same piece, or the same customer, counts once.
    sufficiency_record(
        registration=cg,
        unit_id=unit.pk,
        measure="customers",
        evidence=evidence.pk,
        description="Mrs Achebe",
        actor=assessor,
    )
    with pytest.raises(DecisionRefused, match="already recorded toward different customers"):
        sufficiency_record(
            registration=cg,
            unit_id=unit.pk,
            measure="customers",
            evidence=evidence.pk,
            description="Mr Oduya",
            actor=assessor,
        )
    second = piece(cg, learner, "Quiet Monday")
    with pytest.raises(DecisionRefused, match="each customer counts once"):
        sufficiency_record(
            registration=cg,
            unit_id=unit.pk,
            measure="customers",
            evidence=second.pk,
            description="  mrs  ACHEBE ",
            actor=assessor,
        )
    with pytest.raises(DecisionRefused, match="Choose the evidence that shows it"):
        requirement_show(
            registration=cg, unit_id=unit.pk, reference="5a", evidence=[], actor=assessor
        )
    assert not RequirementShown.objects.exists()
    assert SufficiencyRecord.objects.count() == 1
    assert Evidence.objects.get(pk=simulated.pk).judged_at is None


def test_evidence_cited_is_judged_and_a_signed_off_unit_takes_no_more(cg, learner, assessor):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    second = piece(cg, learner, "Quiet Monday")
    requirement_show(
        registration=cg, unit_id=unit.pk, reference="5c", evidence=[second.pk], actor=assessor
    )
    second.refresh_from_db()
    assert second.is_locked  # the learner can no longer change what it shows
    with pytest.raises(DecisionRefused):  # judged: stays as it was
        evidence_classify(evidence=second, setting="simulated", kind="", actor=assessor)
    all_met(cg, assessor, evidence)
    meet_requirements(cg, unit, [evidence, second])
    sign(cg, assessor, unit)
    with pytest.raises(DecisionRefused, match="is signed off"):
        sufficiency_record(
            registration=cg,
            unit_id=unit.pk,
            measure="customers",
            evidence=second.pk,
            description="Mr Oduya",
            actor=assessor,
        )


def test_a_cvq_unit_needs_its_sufficiency_recorded(cvq_registration, learner, assessor):
    unit = Unit.objects.get(code="U09602")
    missing = unit_missing(cvq_registration, unit.pk)
    quote = unit.sufficiency_rules.get(measure="occasions").quote
    assert f"at least 2 different occasions (“{quote}”): 0 recorded" in missing
    assert not [m for m in missing if m.startswith("evidence requirement")]


def test_the_unit_page_shows_each_state_and_the_assessors_forms(client, cg, learner, assessor):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    requirement_show(
        registration=cg, unit_id=unit.pk, reference="5b", evidence=[evidence.pk], actor=assessor
    )
    url = reverse("assessment:unit-progress", args=[cg.pk, unit.pk])
    client.force_login(assessor)
    response = client.get(url)
    html = response.content.decode()
    states = {s.item.reference: s.shown for s in response.context["tracked"].items}
    assert states["5b"] is not None and states["5a"] is None
    assert "during a busy time in your job" in html
    assert "Busy Saturday" in html
    assert 'data-testid="requirement-show-form"' in html
    assert 'data-testid="sufficiency-form"' in html
    # The form offers the items still needed only.
    choices = dict(response.context["show_form"].fields["reference"].choices)
    assert "5b" not in choices and "5a" in choices
    # The learner sees the states, not the forms.
    client.force_login(learner)
    html = client.get(url).content.decode()
    assert "during a busy time in your job" in html and "Still needed" in html
    assert "requirement-show-form" not in html


def test_the_assessors_forms_record_and_withdraw_through_the_page(client, cg, learner, assessor):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    client.force_login(assessor)
    url = reverse("assessment:requirement-show", args=[cg.pk, unit.pk])
    client.post(url, {"reference": "5d", "evidence": [evidence.pk]})
    shown = RequirementShown.objects.get(reference="5d")
    assert list(shown.evidence.all()) == [evidence]
    url = reverse("assessment:sufficiency-record", args=[cg.pk, unit.pk])
    client.post(url, {"measure": "period", "evidence": "", "description": "Three months."})
    assert SufficiencyRecord.objects.get().description == "Three months."
    url = reverse("assessment:requirement-withdraw", args=[shown.pk])
    response = client.post(url, {"reason": ""})
    assert RequirementShown.objects.get().in_force  # sent back, nothing changed
    client.post(url, {"reason": "Wrong evidence."})
    assert not RequirementShown.objects.get().in_force
    # The learner cannot post the assessor's forms.
    client.force_login(learner)
    url = reverse("assessment:requirement-show", args=[cg.pk, unit.pk])
    response = client.post(url, {"reference": "5d", "evidence": [evidence.pk]})
    assert response.status_code == 403
    assert RequirementShown.objects.count() == 1


def test_the_unit_page_reads_the_same_queries_however_many_records(client, cg, learner, assessor):
    unit = Unit.objects.get(code=UNIT)
    first = piece(cg, learner)
    url = reverse("assessment:unit-progress", args=[cg.pk, unit.pk])
    client.force_login(assessor)
    requirement_show(
        registration=cg, unit_id=unit.pk, reference="5a", evidence=[first.pk], actor=assessor
    )
    client.get(url)  # the kept catalogue rows read once
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    pieces = [piece(cg, learner, f"Occasion {n}") for n in range(4)]
    for reference in ("5b", "5c", "5d", "6a", "6b"):
        requirement_show(
            registration=cg,
            unit_id=unit.pk,
            reference=reference,
            evidence=[p.pk for p in pieces],
            actor=assessor,
        )
    for n, p in enumerate(pieces):
        sufficiency_record(
            registration=cg,
            unit_id=unit.pk,
            measure="occasions",
            evidence=p.pk,
            description=f"Day {n}",
            actor=assessor,
        )
    with CaptureQueriesContext(connection) as big:
        client.get(url)
    assert len(big.captured_queries) == len(small.captured_queries)


def test_each_form_sent_empty_comes_back_with_its_messages_under_its_fields(
    client, cg, learner, assessor
):
    """As tests/test_form_errors_shown.py checks every other form (whose world states no
    evidence requirements, so draws none of these)."""
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    shown = requirement_show(
        registration=cg, unit_id=unit.pk, reference="5a", evidence=[evidence.pk], actor=assessor
    )
    counted = sufficiency_record(
        registration=cg,
        unit_id=unit.pk,
        measure="customers",
        evidence=evidence.pk,
        description="Mrs Achebe",
        actor=assessor,
    )
    client.force_login(assessor)
    sent = {
        reverse("assessment:requirement-show", args=[cg.pk, unit.pk]): {"reference": ""},
        reverse("assessment:sufficiency-record", args=[cg.pk, unit.pk]): {"measure": ""},
        reverse("assessment:requirement-withdraw", args=[shown.pk]): {"reason": ""},
        reverse("assessment:sufficiency-withdraw", args=[counted.pk]): {"reason": ""},
    }
    for url, data in sent.items():
        entries = AuditEntry.objects.count()
        response = client.post(url, data, follow=True)
        assert AuditEntry.objects.count() == entries, url
        refused = forms_shown(response)
        assert refused, url
        assert [p for form in refused for p in misplaced(form, response.content.decode())] == []
    assert RequirementShown.objects.get().in_force and SufficiencyRecord.objects.get().in_force


def test_the_sign_off_form_ticks_the_conditions_in_the_specifications_words(
    client, cg, learner, assessor
):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    all_met(cg, assessor, evidence)
    meet_requirements(cg, unit, [evidence])
    url = reverse("assessment:unit-sign-off", args=[cg.pk, unit.pk])
    client.force_login(assessor)
    page = client.get(url)
    choices = dict(page.context["form"].fields["conditions"].choices)
    assert list(choices) == ["1", "2", "4"]
    assert choices["2"].startswith("2. You may collect the evidence for the Unit through work")
    data = {"declared": "on", "signature": "Signed", "password": PASSWORD}
    refused = client.post(url, {**data, "conditions": ["1", "2"]})
    assert "evidence requirement 4 “Your communication with customers" in refused.content.decode()
    assert not UnitSignOff.objects.exists()
    client.post(url, {**data, "conditions": ["1", "2", "4"]})
    assert [c["number"] for c in UnitSignOff.objects.get().conditions] == ["1", "2", "4"]
