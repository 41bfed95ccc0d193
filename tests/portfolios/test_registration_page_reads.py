"""A registration's page reads its transfers, question sets, witness requests and withdrawal
only where it has some (issue 17): whether it has each is read with the registration itself, and
each list, once there is one, costs one query more and is shown. A registration's and a piece of
evidence's page read whether the learner is anonymised (and the evidence's witness) with it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certification.transfers import transfer_start
from portal.models import RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add, evidence_write
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import EvidenceMethod
from portfolios.prior_learning import (
    PriorDetails,
    exemption_record,
    item_records_of,
    records_of,
    rpl_item_withdraw,
    rpl_items_record,
    rpl_record,
)
from portfolios.questions import Questions, question_set_create
from portfolios.services import registration_withdraw
from portfolios.unit_states import UnitState, unit_standings
from portfolios.witness import WitnessAsk, witness_request_create
from privacy.models import Anonymisation
from qualifications.models import Criterion, KnowledgeItem, RangeItem, Unit
from tests.certification.conftest import REASON, northgate
from tests.factories import RoleFactory
from tests.portfolios.conftest import START
from tests.portfolios.files import pdf
from tests.portfolios.test_signed_testimony import SIGNED_LINE, signed

__all__ = ["northgate"]


def fetched(client, user, registration) -> tuple[int, str]:
    """How many queries the page makes (after a first fetch has read the role and the rules)
    and its text."""
    queries, page = fetched_with(client, user, registration)
    return len(queries), page


def fetched_with(client, user, registration) -> tuple[list[str], str]:
    client.force_login(user)
    url = reverse("portfolios:registration-detail", args=[registration.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    return [q["sql"] for q in queries.captured_queries], page


def test_each_list_is_read_only_once_the_registration_has_one(
    client, registration, learner, assessor, centre_admin, northgate
):
    none, page = fetched(client, learner, registration)
    assert 'data-testid="question-sets"' not in page
    assert 'data-testid="witness-requests"' not in page

    unit = registration.planned_units.order_by("unit__code").first().unit
    question_set_create(
        registration=registration,
        asked=Questions("Complaints", ["Why?"], unit_ids=frozenset([unit.pk])),
        actor=assessor,
    )
    queries, page = fetched(client, learner, registration)
    assert queries == none + 1 and 'data-testid="question-sets"' in page

    ask = WitnessAsk("Wendy Witness", "wendy@example.org", "Line manager", "Leo served well.")
    witness_request_create(
        registration=registration, ask=ask, actor=learner, link_for=lambda token: f"/w/{token}"
    )
    queries, page = fetched(client, learner, registration)
    assert queries == none + 2 and "Wendy Witness" in page

    transfer_start(
        registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
    )
    queries, page = fetched(client, learner, registration)
    assert queries == none + 3 and 'data-testid="transfer-pending"' in page


def test_a_withdrawal_is_read_only_for_a_withdrawn_registration(
    client, registration, learner, centre_admin
):
    none, page = fetched(client, centre_admin, registration)
    assert 'data-testid="withdrawal"' not in page
    registration_withdraw(registration=registration, reason="Moved away.", actor=centre_admin)
    queries, page = fetched(client, centre_admin, registration)
    assert queries == none + 1 and "Moved away." in page


def test_an_anonymised_learner_is_read_with_the_registration(
    client, registration, learner, centre_admin
):
    before, page = fetched(client, centre_admin, registration)
    assert 'data-testid="closed"' not in page
    Anonymisation.objects.create(
        user=learner, anonymised_at=timezone.now(), last_activity=timezone.now(), retention_years=3
    )
    after, page = fetched_with(client, centre_admin, registration)
    assert len(after) == before and "records are anonymised" in page
    assert not [sql for sql in after if 'FROM "privacy_anonymisation"' in sql]


def evidence_page(client, user, evidence) -> tuple[list[str], str]:
    client.force_login(user)
    url = reverse("portfolios:evidence-detail", args=[evidence.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    return [q["sql"] for q in queries.captured_queries], page


def test_an_evidence_page_reads_its_witness_and_its_learners_anonymisation_with_it(
    client, registration, learner
):
    account = evidence_write(
        registration=registration, title="My account", occurred_on=START, text="At the till.",
        declared=True, actor=learner,
    )  # fmt: skip
    testimony = signed(registration, learner)
    plain, _ = evidence_page(client, learner, account)
    witnessed, page = evidence_page(client, learner, testimony)
    assert len(witnessed) == len(plain) and SIGNED_LINE in page
    Anonymisation.objects.create(
        user=learner, anonymised_at=timezone.now(), last_activity=timezone.now(), retention_years=3
    )
    closed, page = evidence_page(client, learner, account)
    assert len(closed) == len(plain) and "records are anonymised" in page
    for sql in plain + witnessed + closed:
        assert 'FROM "privacy_anonymisation"' not in sql
        assert 'FROM "portfolios_witnessrequest"' not in sql


def test_rpl_and_exemptions_are_read_only_once_the_registration_has_some_and_then_once(
    client, registration, learner, assessor, centre_admin
):
    """Most registrations have none: whether there are any is read with the registration. Once
    there are, each kind is read in one query, for its list and the units' standings alike."""
    none, page = fetched_with(client, learner, registration)
    assert not reading(none, "portfolios_priorlearning")
    assert not reading(none, "portfolios_priorlearningitem")
    assert 'data-testid="prior-record"' not in page and "None recorded." in page

    exempt(registration, centre_admin)
    queries, page = fetched_with(client, learner, registration)
    assert len(queries) == len(none) + 1
    assert len(reading(queries, "portfolios_priorlearning")) == 1
    assert 'data-testid="prior-record"' in page and UnitState.EXEMPT in page

    copy = certificate(registration, learner)
    first, second = Criterion.objects.filter(unit__code=ITEMS_UNIT).order_by("position")[:2]
    made, _ = agree_items(registration, assessor, copy, [first, second])
    rpl_item_withdraw(record=made, reason="The course did not cover it", actor=assessor)
    queries, page = fetched_with(client, learner, registration)
    assert len(queries) == len(none) + 2
    assert len(reading(queries, "portfolios_priorlearning")) == 1
    assert len(reading(queries, "portfolios_priorlearningitem")) == 1
    assert 'data-testid="prior-item"' in page and 'data-testid="prior-item-withdrawn"' in page
    # The item in force is met, the withdrawn one is not.
    assert "In progress: 1 of" in page


def test_the_units_standings_are_the_same_from_the_records_read_by_the_page(
    registration, learner, assessor, centre_admin
):
    copy = certificate(registration, learner)
    exempt(registration, centre_admin)
    rpl_record(
        registration=registration,
        details=PriorDetails(Unit.objects.get(code="K/503/0421").pk, "A course", START, copy),
        actor=assessor,
    )
    first, second, third = Criterion.objects.filter(unit__code=ITEMS_UNIT).order_by("position")[:3]
    made, *_ = agree_items(registration, assessor, copy, [first, second, third])
    rpl_item_withdraw(record=made, reason="The course did not cover it", actor=assessor)
    ids = list(registration.planned_units.values_list("unit_id", flat=True))
    read_here = unit_standings(registration, ids)
    given = unit_standings(
        registration,
        ids,
        prior_records=records_of(registration),
        item_records=item_records_of(registration),
    )
    assert given == read_here
    states = {s.state for s in given.values()}
    assert {UnitState.EXEMPT, UnitState.RPL, UnitState.IN_PROGRESS} <= states
    assert read_here[Unit.objects.get(code=ITEMS_UNIT).pk].met == 2


ITEMS_UNIT = "F/506/2131"  # mandatory in the registration's plan


def reading(queries: list[str], table: str) -> list[str]:
    """The queries reading from the table (not those asking whether it has rows, in a subquery)."""
    return [sql for sql in queries if sql.split(" FROM ", 1)[1].startswith(f'"{table}" ')]


def certificate(registration, learner):
    details = EvidenceDetails("My 2021 certificate", START, EvidenceMethod.RPL)
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def exempt(registration, centre_admin):
    unit = Unit.objects.get(code="SFJ-CS2-07")
    details = PriorDetails(unit.pk, "Exempt by the AO's letter", START)
    return exemption_record(registration=registration, details=details, actor=centre_admin)


def agree_items(registration, assessor, evidence, criteria):
    unit = Unit.objects.get(code=ITEMS_UNIT)
    details = PriorDetails(unit.pk, "A course", START, evidence)
    return rpl_items_record(
        registration=registration,
        details=details,
        items=[("criterion", c.pk) for c in criteria],
        actor=assessor,
    )


def test_the_registrations_centre_is_the_one_read_with_the_persons_roles(
    client, registration, learner, assessor, centre_admin
):
    """Joined to the registration too, the centre made its query take PostgreSQL longer to plan
    than to run: it comes from the roles the request has read, and the page still names it."""
    for person in (learner, assessor, centre_admin):
        queries, page = fetched_with(client, person, registration)
        assert not [sql for sql in queries if '"portal_centre"' in sql.split(" FROM ", 1)[1]
                    and not sql.startswith('SELECT "portal_role"')]  # fmt: skip
        assert f"at {registration.centre.name}</p>" in page


def test_an_evidence_page_labels_each_item_with_its_units_code_from_the_kept_catalogue(
    client, cvq_registration, learner
):
    """Criteria, range and knowledge items mapped: each labelled with its unit's code, taken from
    the kept catalogue rows (no unit joined to the items, nor read in a query of its own)."""
    registration = cvq_registration
    units = [p.unit for p in registration.planned_units.select_related("unit").order_by("pk")]
    criterion = Criterion.objects.filter(unit=units[0]).first()
    ranged = next(u for u in units if RangeItem.objects.filter(unit=u).exists())
    known = next(u for u in units if KnowledgeItem.objects.filter(unit=u).exists())
    range_item = RangeItem.objects.filter(unit=ranged).order_by("pk")[0]
    knowledge = KnowledgeItem.objects.filter(unit=known).order_by("pk")[0]
    account = evidence_write(
        registration=registration, title="My account", occurred_on=START, text="At the till.",
        declared=True, actor=learner,
    )  # fmt: skip
    targets = Targets(
        criteria=frozenset([criterion.pk]) if criterion else frozenset(),
        range_items=frozenset([range_item.pk]),
        knowledge_items=frozenset([knowledge.pk]),
    )
    mapping_propose(evidence=account, targets=targets, actor=learner)
    queries, page = evidence_page(client, learner, account)
    assert f"{ranged.code} range {range_item.reference} " in page
    assert f"{known.code} K{knowledge.number} " in page
    if criterion:
        assert f"{units[0].code} {criterion.number} " in page
    assert not [sql for sql in queries if '"qualifications_unit"' in sql]


def test_whether_the_person_may_see_a_piece_of_evidence_is_told_from_its_row_not_joined(
    client, registration, learner, centre
):
    """As a condition, the registrations the person may see were joined to the evidence's eight
    tables, which PostgreSQL took longer to plan than to run; asked in its row, the condition
    still took longer to build and plan than the read. The learner's own is told from the
    registration's columns (decision 64); anyone else is asked the condition: the same 404."""
    account = evidence_write(
        registration=registration, title="My account", occurred_on=START, text="At the till.",
        declared=True, actor=learner,
    )  # fmt: skip
    queries, _ = evidence_page(client, learner, account)
    [read] = [sql for sql in queries if sql.startswith('SELECT "portfolios_evidence"."id"')]
    assert " IN (SELECT " not in read and "EXISTS(" not in read
    assert not [
        sql for sql in queries if sql.startswith('SELECT 1 AS "a" FROM "portfolios_registration" ')
    ]
    peer = RoleFactory.create(centre=centre, kind=RoleKind.LEARNER).user
    client.force_login(peer)
    url = reverse("portfolios:evidence-detail", args=[account.pk])
    assert client.get(url).status_code == 404
