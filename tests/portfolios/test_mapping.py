import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_verify
from portfolios.evidence import LOCKED, EvidenceDetails, EvidenceRejected, evidence_add
from portfolios.mapping import NOT_IN_PLAN, Targets, mapped_to, mapping_propose, suggest_criteria
from portfolios.models import Evidence, Mapping, MappingStatus
from qualifications.models import Criterion, KnowledgeItem, RangeItem
from tests.audit import AuditWatch
from tests.portfolios.files import pdf


@pytest.fixture
def evidence(registration, learner):
    details = EvidenceDetails(
        "Resolving a customer's complaint by telephone",
        datetime.date(2026, 10, 5),
        "product",
        "I listened, apologised and agreed a way forward that balanced the customer's needs.",
    )
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def criterion(unit, number):
    return Criterion.objects.get(unit__code=unit, number=number)


def test_one_evidence_item_maps_to_criteria_in_two_units(evidence, learner):
    chosen = [criterion("A/506/2130", "4.3").pk, criterion("K/503/0421", "1.1").pk]
    mapping_propose(evidence=evidence, targets=Targets(criteria=frozenset(chosen)), actor=learner)
    assert sorted(m.criterion_id for m in evidence.mappings.all()) == sorted(chosen)
    assert {m.status for m in evidence.mappings.all()} == {MappingStatus.PROPOSED}


def test_proposing_again_replaces_proposals_but_never_the_assessors_decisions(evidence, learner):
    first, second, third = (criterion("A/506/2130", n).pk for n in ("4.1", "4.2", "4.3"))
    mapping_propose(
        evidence=evidence, targets=Targets(criteria=frozenset({first, second})), actor=learner
    )
    Mapping.objects.filter(criterion_id=first).update(status=MappingStatus.CONFIRMED)
    mapping_propose(evidence=evidence, targets=Targets(criteria=frozenset({third})), actor=learner)
    assert {(m.criterion_id, m.status) for m in evidence.mappings.all()} == {
        (first, MappingStatus.CONFIRMED),
        (third, MappingStatus.PROPOSED),
    }


def test_a_criterion_outside_the_registrations_units_is_refused(evidence, learner):
    elsewhere = criterion("J/506/2132", "1.1").pk  # ProQual's unit, not in this SFJ plan
    with pytest.raises(EvidenceRejected) as rejected:
        mapping_propose(
            evidence=evidence, targets=Targets(criteria=frozenset({elsewhere})), actor=learner
        )
    assert rejected.value.messages == [NOT_IN_PLAN]
    assert not evidence.mappings.exists()


def test_only_the_learner_proposes_and_not_once_the_evidence_is_judged(evidence, learner, assessor):
    target = Targets(criteria=frozenset({criterion("A/506/2130", "4.1").pk}))
    with pytest.raises(PermissionDenied):
        mapping_propose(evidence=evidence, targets=target, actor=assessor)
    Evidence.objects.filter(pk=evidence.pk).update(judged_at=timezone.now())
    with pytest.raises(EvidenceRejected, match=LOCKED):
        mapping_propose(evidence=evidence, targets=target, actor=learner)


def test_suggestions_come_from_the_evidences_words_and_are_never_applied(evidence):
    suggested = suggest_criteria(evidence)
    assert suggested, "a complaint by telephone should suggest something"
    units = set(evidence.registration.planned_units.values_list("unit__code", flat=True))
    assert {c.unit.code for c in suggested} <= units
    # "balanced ... needs" shares two words with 1.4, more than any other criterion of the plan.
    assert (suggested[0].unit.code, suggested[0].number) == ("A/506/2130", "1.4")
    assert not evidence.mappings.exists()


def test_a_cvq_range_item_and_knowledge_item_can_be_mapped(
    centre, centre_admin, learner, catalogue_db
):
    from portfolios.services import RegistrationDetails, registration_create
    from qualifications.models import KnowledgeItem, Qualification, RangeItem
    from tests.portfolios.conftest import START

    cvq = Qualification.objects.get(code="CCA010-02")
    registration = registration_create(
        centre=centre,
        details=RegistrationDetails(learner=learner, qualification=cvq, start_date=START),
        optional_units=["U13402"],
        actor=centre_admin,
    )
    details = EvidenceDetails("Angry customer", datetime.date(2026, 10, 5), "product")
    item = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    angry = RangeItem.objects.get(unit__code="U09602", element="1", category="A", number="ii")
    rights = KnowledgeItem.objects.get(unit__code="U09602", number="1")
    audit = AuditWatch()
    mapping_propose(
        evidence=item,
        targets=Targets(range_items=frozenset({angry.pk}), knowledge_items=frozenset({rights.pk})),
        actor=learner,
    )
    assert {(m.range_item_id, m.knowledge_item_id) for m in item.mappings.all()} == {
        (angry.pk, None),
        (None, rights.pk),
    }
    assert audit.entries().get().after == {
        "criterion": [],
        "range_item": [angry.pk],
        "knowledge_item": [rights.pk],
    }


# -- the audit log --------------------------------------------------------------------


def test_proposing_mappings_writes_the_proposals_before_and_after(evidence, learner):
    first, second, third = (criterion("A/506/2130", n).pk for n in ("4.1", "4.2", "4.3"))
    audit = AuditWatch()
    mapping_propose(
        evidence=evidence, targets=Targets(criteria=frozenset({second, first})), actor=learner
    )
    mapping_propose(
        evidence=evidence, targets=Targets(criteria=frozenset({second, third})), actor=learner
    )
    assert audit.actions() == ["mapping.proposed", "mapping.proposed"]
    made, changed = audit.entries()
    nothing: dict[str, list[int]] = {"criterion": [], "range_item": [], "knowledge_item": []}
    assert made.subject == changed.subject == f"evidence:{evidence.pk}"
    assert made.actor == changed.actor == learner
    assert made.before == nothing
    assert made.after == {**nothing, "criterion": sorted([first, second])}
    assert changed.before == made.after
    assert changed.after == {**nothing, "criterion": sorted([second, third])}
    assert audit_verify()[1] is None


def test_proposing_the_same_mappings_again_writes_nothing_to_the_audit_log(evidence, learner):
    target = Targets(criteria=frozenset({criterion("A/506/2130", "4.1").pk}))
    mapping_propose(evidence=evidence, targets=target, actor=learner)
    audit = AuditWatch()
    mapping_propose(evidence=evidence, targets=target, actor=learner)
    assert not audit.entries().exists()
    mapping_propose(evidence=evidence, targets=Targets(), actor=learner)
    assert audit.actions() == ["mapping.proposed"]


def test_a_refused_proposal_writes_nothing_to_the_audit_log(
    evidence, learner, assessor, centre_admin
):
    target = Targets(criteria=frozenset({criterion("A/506/2130", "4.1").pk}))
    elsewhere = Targets(criteria=frozenset({criterion("J/506/2132", "1.1").pk}))
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected, match=NOT_IN_PLAN):
        mapping_propose(evidence=evidence, targets=elsewhere, actor=learner)
    for actor in (assessor, centre_admin):
        with pytest.raises(PermissionDenied):
            mapping_propose(evidence=evidence, targets=target, actor=actor)
    Evidence.objects.filter(pk=evidence.pk).update(judged_at=timezone.now())
    with pytest.raises(EvidenceRejected, match=LOCKED):
        mapping_propose(evidence=evidence, targets=target, actor=learner)
    assert not audit.entries().exists()
    Evidence.objects.filter(pk=evidence.pk).update(judged_at=None)
    mapping_propose(evidence=evidence, targets=target, actor=learner)
    assert audit.actions() == ["mapping.proposed"]


# -- the picker page -------------------------------------------------------------------


def test_the_picker_lists_every_unit_of_the_registration_and_saves_the_choice(
    client, evidence, learner
):
    client.force_login(learner)
    url = reverse("portfolios:evidence-map", args=[evidence.pk])
    page = client.get(url).content.decode()
    assert "Suggested from your title and description" in page
    for code in ("A/506/2130", "K/503/0421", "SFJ-CS2-07"):
        assert code in page
    chosen = [criterion("A/506/2130", "4.3").pk, criterion("K/503/0421", "1.1").pk]
    response = client.post(url, {"criteria": chosen}, follow=True)
    assert "is mapped to 2 criteria." in response.content.decode()


def test_the_picker_runs_a_fixed_number_of_queries(
    client, evidence, learner, django_assert_max_num_queries
):
    client.force_login(learner)
    with django_assert_max_num_queries(25):
        client.get(reverse("portfolios:evidence-map", args=[evidence.pk]))


@pytest.mark.parametrize("persona", ["assessor", "centre_admin", "outsider"])
def test_nobody_but_the_learner_uses_the_picker(client, request, evidence, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("portfolios:evidence-map", args=[evidence.pk]), {"criteria": []})
    assert response.status_code == (404 if persona == "outsider" else 403)


def test_the_mapping_is_told_by_kind_of_item(evidence, learner, catalogue_db):
    assert mapped_to(evidence) == "nothing"
    one = criterion("A/506/2130", "4.3")
    Mapping.objects.create(evidence=evidence, criterion=one, proposed_by=learner)
    assert mapped_to(evidence) == "1 criterion"
    Mapping.objects.create(
        evidence=evidence, criterion=criterion("K/503/0421", "1.1"), proposed_by=learner
    )
    assert mapped_to(evidence) == "2 criteria"
    for model in (RangeItem, KnowledgeItem):  # any of the catalogue's: the words are counted
        field = "range_item" if model is RangeItem else "knowledge_item"
        Mapping.objects.create(
            evidence=evidence, proposed_by=learner, **{field: model.objects.first()}
        )
    assert mapped_to(evidence) == "2 criteria, 1 range item and 1 knowledge item"
