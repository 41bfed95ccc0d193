"""Countersigning trainees' decisions at the size of a large centre: the page a page at a
time, grouped by learner and unit, and many decisions countersigned in a fixed number of
queries, each with its own audit entry."""

import html
import re

import pytest
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Decision
from assessment.services import (
    NOTHING_TO_COUNTERSIGN,
    DecisionRefused,
    Judgement,
    changed_meanwhile,
    decision_countersign,
    decision_record,
    summary,
)
from portal.audit import audit_verify
from portal.listing import PER_PAGE
from portal.models import AuditEntry
from portal.services import person_deactivate
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import Registration
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Criterion, KnowledgeItem, Qualification, RangeItem, Unit
from tests.assessment.crowd import ON, decisions_on, many_learners
from tests.audit import AuditWatch
from tests.factories import RoleFactory, UserFactory
from tests.portfolios.files import pdf

COUNTERSIGN = reverse("assessment:countersign")


@pytest.fixture
def trainee_registration(registration, trainee_assessor):
    registration.assessor = trainee_assessor
    registration.save()
    return registration


def criterion_unit(decision):
    return Criterion.objects.get(pk=decision.criterion_id).unit_id


def waiting(*registrations):
    """Provisional decisions still waiting: of these registrations, or of everyone."""
    found = Decision.objects.filter(provisional=True, current=True).order_by("pk")
    return found.filter(registration__in=registrations) if registrations else found


def queries_to_countersign(decisions, actor) -> int:
    with CaptureQueriesContext(connection) as queries:
        decision_countersign(decisions=decisions, actor=actor)
    return len(queries)


def test_countersigning_many_decisions_costs_the_queries_of_countersigning_two(
    trainee_registration, trainee_assessor, assessor
):
    others = many_learners(trainee_registration, 12)
    decisions_on([trainee_registration], trainee_assessor, 2, provisional=True)
    decisions_on(others, trainee_assessor, 5, provisional=True)
    two = queries_to_countersign(list(waiting(trainee_registration)), assessor)
    many = list(waiting(*others))
    assert len(many) == 60
    assert queries_to_countersign(many, assessor) == two
    assert not waiting(trainee_registration, *others).exists()


def test_each_decision_countersigned_at_once_has_its_own_entry_and_the_chain_holds(
    trainee_registration, trainee_assessor, assessor, learner
):
    details = EvidenceDetails("Call log", ON, "product")
    evidence = evidence_add(
        registration=trainee_registration,
        details=details,
        files=[pdf()],
        declared=True,
        actor=learner,
    )
    planned = trainee_registration.planned_units.values("unit_id")
    criteria = frozenset(
        Criterion.objects.filter(unit__in=planned).order_by("pk").values_list("pk", flat=True)[:7]
    )
    made = decision_record(
        registration=trainee_registration,
        targets=Targets(criteria=criteria),
        judgement=Judgement("met", "product", ON, "Seen."),
        evidence=[evidence],
        actor=trainee_assessor,
    )
    before = {d.pk: summary(d) for d in made}
    audit = AuditWatch()
    assert decision_countersign(decisions=made, actor=assessor) == len(made) == 7
    entries = list(audit.entries())
    assert [e.action for e in entries] == ["decision.countersigned"] * 7
    assert {e.subject for e in entries} == {f"decision:{d.pk}" for d in made}
    for entry in entries:
        pk = int(entry.subject.split(":")[1])
        assert entry.before == before[pk] and entry.before["evidence"] == [evidence.pk]
        assert entry.after == {**before[pk], "provisional": False}
        assert entry.actor == assessor and entry.centre_id == trainee_registration.centre_id
    assert audit_verify()[1] is None


def test_if_one_decision_was_countersigned_meanwhile_none_is_and_nothing_is_logged(
    trainee_registration, trainee_assessor, assessor
):
    decisions = decisions_on([trainee_registration], trainee_assessor, 3, provisional=True)
    decision_countersign(decisions=decisions[:1], actor=assessor)
    audit = AuditWatch()
    with pytest.raises(DecisionRefused) as refused:
        decision_countersign(decisions=decisions, actor=assessor)
    # Told that one was done meanwhile and nothing of theirs was: the two others still wait.
    assert str(refused.value) == changed_meanwhile(1, 3)
    assert "1 of the 3 decisions chosen was countersigned or returned meanwhile" in str(
        refused.value
    )
    assert waiting(trainee_registration).count() == 2 and audit.actions() == []
    # None left waiting of those chosen: nothing to countersign, as before.
    decision_countersign(decisions=decisions[1:], actor=assessor)
    with pytest.raises(DecisionRefused, match=NOTHING_TO_COUNTERSIGN):
        decision_countersign(decisions=decisions, actor=assessor)


# The page


def shown(response):
    return html.unescape(response.content.decode())


def listed(page):
    return [int(pk) for pk in re.findall(r'name="decisions" value="(\d+)"', page)]


def page_queries(client, **query) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(COUNTERSIGN, query)
    assert response.status_code == 200
    return len(queries), shown(response)


def test_the_page_costs_the_same_queries_for_one_waiting_decision_and_for_hundreds(
    client, trainee_registration, trainee_assessor, assessor
):
    decisions_on([trainee_registration], trainee_assessor, 1, provisional=True)
    client.force_login(assessor)
    one, page = page_queries(client)
    assert len(listed(page)) == 1
    others = many_learners(trainee_registration, 40)
    decisions_on(others, trainee_assessor, 6, provisional=True)
    many, page = page_queries(client)
    assert many == one
    assert len(listed(page)) == PER_PAGE and "Page 1 of 10" in page


def test_the_page_lists_a_page_at_a_time_grouped_by_learner_and_unit(
    client, trainee_registration, trainee_assessor, assessor
):
    others = many_learners(trainee_registration, 9)
    decisions_on([trainee_registration, *others], trainee_assessor, 3, provisional=True)
    client.force_login(assessor)
    _, first = page_queries(client)
    _, second = page_queries(client, page=2)
    assert len(listed(first)) == PER_PAGE and len(listed(second)) == 30 - PER_PAGE
    assert set(listed(first)) | set(listed(second)) == set(waiting().values_list("pk", flat=True))
    # Each learner's unit is one group, with a button for all of it.
    assert first.count('data-testid="group"') == 9  # 25 rows: 8 learners whole, then one begun
    assert "Countersign all 3" in first


def test_all_of_a_learners_unit_is_countersigned_but_not_a_decision_made_after_the_page(
    client, trainee_registration, trainee_assessor, assessor
):
    other = many_learners(trainee_registration, 1)
    decisions_on([trainee_registration, *other], trainee_assessor, 3, provisional=True)
    client.force_login(assessor)
    _, page = page_queries(client)
    group = re.findall(r'name="group" value="([\d-]+)"', page)[0]
    registration_id = int(group.split("-")[0])
    first = waiting().filter(registration_id=registration_id)
    assert first.count() == 3
    # A fourth criterion of the same unit, decided after the page was shown.
    late = decisions_on([first[0].registration], trainee_assessor, 1, after=3, provisional=True)
    assert late[0].criterion_id and first[0].criterion_id
    assert criterion_unit(late[0]) == criterion_unit(first[0])
    response = client.post(COUNTERSIGN, {"group": group}, follow=True)
    assert "3 decisions countersigned." in shown(response)
    assert list(waiting().filter(registration_id=registration_id)) == late
    assert waiting().exclude(registration_id=registration_id).count() == 3


def test_all_of_a_trainees_decisions_are_countersigned_at_once(
    client, trainee_registration, trainee_assessor, assessor, centre
):
    second = UserFactory.create(email="second.trainee@example.org")
    RoleFactory.create(user=second, centre=centre, kind="assessor", is_trainee=True)
    others = many_learners(trainee_registration, 30, assessor=second)
    decisions_on([trainee_registration], trainee_assessor, 2, provisional=True)
    decisions_on(others, second, 2, provisional=True)
    client.force_login(assessor)
    _, page = page_queries(client)
    [value] = re.findall(rf'name="trainee" value="({second.pk}-\d+)"', page)
    _, theirs = page_queries(client, trainee=second.pk)
    assert set(listed(theirs)) <= set(waiting(*others).values_list("pk", flat=True))
    assert "60 of 62 decisions shown" in theirs
    audit = AuditWatch()
    response = client.post(COUNTERSIGN, {"trainee": value}, follow=True)
    assert "60 decisions countersigned." in shown(response)
    assert not waiting(*others).exists() and waiting(trainee_registration).count() == 2
    assert audit.actions() == ["decision.countersigned"] * 60
    assert audit_verify()[1] is None


def test_countersign_all_shown_takes_the_rows_of_the_page_and_nothing_else(
    client, trainee_registration, trainee_assessor, assessor
):
    others = many_learners(trainee_registration, 9)
    decisions_on([trainee_registration, *others], trainee_assessor, 3, provisional=True)
    client.force_login(assessor)
    _, first = page_queries(client)
    [value] = re.findall(r'name="shown" value="([\d,]+)"', first)
    assert f"Countersign all {PER_PAGE} shown" in first
    assert sorted(int(pk) for pk in value.split(",")) == sorted(listed(first))
    later = decisions_on([trainee_registration], trainee_assessor, 1, after=3, provisional=True)
    audit = AuditWatch()
    response = client.post(COUNTERSIGN, {"shown": value}, follow=True)
    assert f"{PER_PAGE} decisions countersigned." in shown(response)
    assert audit.actions() == ["decision.countersigned"] * PER_PAGE
    left = set(waiting().values_list("pk", flat=True))
    assert left == (set(Decision.objects.values_list("pk", flat=True)) - set(listed(first)))
    assert later[0].pk in left  # made after the page: not shown, not countersigned
    # The same page sent again (a second tab): nothing more.
    again = client.post(COUNTERSIGN, {"shown": value})
    assert NOTHING_TO_COUNTERSIGN in shown(again)
    assert len(audit.actions()) == PER_PAGE


def test_a_group_or_trainee_of_someone_else_countersigns_nothing(
    client, trainee_registration, trainee_assessor, assessor, other_centre
):
    [decision] = decisions_on([trainee_registration], trainee_assessor, 1, provisional=True)
    unit = criterion_unit(decision)
    elsewhere = UserFactory.create()  # a qualified assessor, of another centre
    RoleFactory.create(user=elsewhere, centre=other_centre, kind="assessor")
    client.force_login(elsewhere)
    for form in (
        {"group": f"{trainee_registration.pk}-{unit}-{decision.pk}"},
        {"trainee": f"{trainee_assessor.pk}-{decision.pk}"},
        {"decisions": [decision.pk]},
        {"shown": str(decision.pk)},
    ):
        response = client.post(COUNTERSIGN, form)
        assert response.status_code == 200 and NOTHING_TO_COUNTERSIGN in shown(response)
    assert waiting(trainee_registration).count() == 1
    assert not AuditEntry.objects.filter(action="decision.countersigned").exists()


def test_each_decision_shows_its_item_decision_and_evidence_as_the_item_label_does(
    client, centre, centre_admin, learner, trainee_assessor, assessor, catalogue_db
):
    """The page draws each decision from one row of plain values: a criterion, a CVQ range
    item and a knowledge item read as the shared item label reads them, with the outcome,
    method, dates, feedback and evidence."""
    cvq = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="CCA010-02"),
            start_date=ON,
            assessor=trainee_assessor,
        ),
        optional_units=["U13402"],
        actor=centre_admin,
    )
    unit = Unit.objects.get(code="U09602")
    details = EvidenceDetails("Angry customer", ON, "product")
    evidence = evidence_add(
        registration=cvq, details=details, files=[pdf()], declared=True, actor=learner
    )
    targets = Targets(
        criteria=frozenset(Criterion.objects.filter(unit=unit).values_list("pk", flat=True)[:1]),
        range_items=frozenset(RangeItem.objects.filter(unit=unit).values_list("pk", flat=True)[:1]),
        knowledge_items=frozenset(
            KnowledgeItem.objects.filter(unit=unit).values_list("pk", flat=True)[:1]
        ),
    )
    made = decision_record(
        registration=cvq,
        targets=targets,
        judgement=Judgement("met", "observation", ON, "Calm & clear."),
        evidence=[evidence],
        actor=trainee_assessor,
    )
    assert len(made) == 3 and all(d.provisional for d in made)
    client.force_login(assessor)
    page = client.get(COUNTERSIGN).content.decode()
    for decision in Decision.objects.filter(pk__in=[d.pk for d in made]):
        label = render_to_string("assessment/partials/item_label.html", {"m": decision}).strip()
        assert f"<td>{label}</td>" in page
    detail = reverse("portfolios:evidence-detail", args=[evidence.pk])
    assert page.count(f'<a href="{detail}">Angry customer</a>') == 3
    done = f"Met by {html.escape(trainee_assessor.full_name)}"
    how = "Observation by the assessor, 6 Oct 2026 · “Calm &amp; clear.”"
    assert page.count(done) == 3 and page.count(how) == 3
    decided = date_filter(made[0].decided_at, "j M Y")
    assert page.count(f'<td data-label="Decided">{decided}</td>') == 3


def test_a_trainees_waiting_decisions_stay_open_to_the_countersigner_after_the_trainee_leaves(
    client, trainee_registration, trainee_assessor, assessor, centre_admin, centre
):
    """Found by the attacker's review of issue 19: the countersigner reached a trainee's
    learner only through the trainee's role, so once the trainee had left the decisions still
    waited on the countersigning page while their evidence answered 404."""
    decisions_on([trainee_registration], trainee_assessor, 2, provisional=True)
    person_deactivate(centre=centre, person=trainee_assessor, reason="Left", actor=centre_admin)
    seen = Registration.objects.visible_to(assessor)
    assert seen.filter(pk=trainee_registration.pk).exists()
    client.force_login(assessor)
    page = reverse("portfolios:registration-detail", args=[trainee_registration.pk])
    assert client.get(page).status_code == 200

    # Once nothing waits, the learner is again only their (departed) assessor's and the admin's.
    decision_countersign(decisions=list(waiting(trainee_registration)), actor=assessor)
    assert not seen.filter(pk=trainee_registration.pk).exists()
    assert client.get(page).status_code == 404


def test_the_locked_rows_compiled_once_are_the_rows_the_orm_builds(
    trainee_registration, trainee_assessor, assessor
):
    """`decision_countersign` locks and reads its decisions by SQL compiled once per process
    (`services._locked`): the rows of `locked_for_countersigning` as the ORM builds it, for
    lists of every length (padded to the next power of two), a decision sampled or not."""
    from django.db import transaction

    from assessment.services import _locked, locked_for_countersigning

    others = many_learners(trainee_registration, 2)
    decisions_on([trainee_registration, *others], trainee_assessor, 3, provisional=True)
    ids = list(waiting().values_list("pk", flat=True))
    assert len(ids) == 9
    with transaction.atomic():
        for n in (1, 2, 3, 5, 9):
            asked = ids[:n]
            built = list(locked_for_countersigning(Decision.objects.filter(pk__in=asked)))
            assert [tuple(row) for row in built] == _locked(asked)
            assert len(built) == n


def test_an_anonymised_learners_decisions_are_not_countersigned(
    trainee_registration, trainee_assessor, assessor
):
    """Countersigning reads its locked registrations as rows (`services._lock_registrations`):
    a learner anonymised with their registration left active closes it, as `lock_all` says."""
    from django.utils import timezone

    from assessment.services import DecisionRefused
    from portfolios.models import LEARNER_ANONYMISED
    from privacy.models import Anonymisation

    decisions_on([trainee_registration], trainee_assessor, 2, provisional=True)
    made = list(waiting(trainee_registration))
    Anonymisation.objects.create(
        user=trainee_registration.learner,
        anonymised_at=timezone.now(),
        last_activity=timezone.now(),
        retention_years=6,
    )
    with pytest.raises(DecisionRefused) as refused:
        decision_countersign(decisions=made, actor=assessor)
    assert refused.value.messages == [LEARNER_ANONYMISED]
    assert list(waiting(trainee_registration)) == made
