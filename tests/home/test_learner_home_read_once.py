"""The learner's home reads their registrations and portfolios once and counts both its to-do
and each registration's progress from those rows (home.learner, issue 17): the figures are those
the counting queries give (`progress_of`), the oldest of each kind is linked across the learner's
registrations, closed ones ask for nothing, and the page's queries do not grow with the
portfolio; question sets and certificates are read only where there are some."""

import datetime
from dataclasses import fields

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import UnitSignOff
from assessment.progress import Counts, progress_of
from assessment.services import mapping_review
from certification.models import Kind
from certification.services import certificate_claim
from home.learner import portfolios_of, progress
from home.todo import todo_for
from portfolios.evidence import evidence_write
from portfolios.models import Mapping
from portfolios.questions import Questions, question_set_create, question_set_submit
from portfolios.services import RegistrationDetails, registration_create, registration_withdraw
from qualifications.models import Criterion, Qualification
from tests.assessment.test_progress import add_evidence
from tests.certification.conftest import achieve
from tests.home.test_learner_evidence_todo import observation
from tests.portfolios.conftest import PROQUAL_OPTIONAL, START, registration, sfj

__all__ = ["registration", "sfj"]

ON = datetime.date(2026, 10, 5)


def texts(learner) -> dict[str, str]:
    """The to-do's lines by their text, with the link of each."""
    role = learner.roles.get(kind="learner")
    return {t.text: t.url for t in todo_for(learner, role, ON)}


def account(registration, learner, n):
    return evidence_write(
        registration=registration, title=f"Account {n}", occurred_on=ON,
        text="What I did at the till.", declared=True, actor=learner,
    )  # fmt: skip


def proqual(centre, centre_admin, learner, assessor, iqa):
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="601/3576/1"),
            start_date=START,
            assessor=assessor,
            iqa=iqa,
        ),
        optional_units=PROQUAL_OPTIONAL,
        actor=centre_admin,
    )


def home_queries(client, learner) -> int:
    client.force_login(learner)
    client.get("/")  # the role, rules and catalogue read once
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_home_counts_progress_as_the_counting_queries_do(registration, learner, assessor):
    criteria = list(Criterion.objects.filter(unit__code="A/506/2130").order_by("pk"))
    add_evidence(registration, learner, 1, [c.pk for c in criteria[:3]])
    add_evidence(registration, learner, 2, [criteria[0].pk, criteria[4].pk])
    mapping_review(
        mapping=Mapping.objects.filter(criterion=criteria[4]).get(), confirm=False,
        feedback="Not shown.", actor=assessor,
    )  # fmt: skip
    account(registration, learner, 3)
    observation(registration, assessor)
    achieve(registration, assessor, codes={"F/506/2131"})
    achieve(registration, assessor, codes={"SFJ-CS2-07"})
    UnitSignOff.objects.filter(unit__code="SFJ-CS2-07").update(learner_signed_at=None)
    (read,) = progress(portfolios_of(learner, learner.roles.get(kind="learner")))
    (counted,) = progress_of([registration])
    for name in [f.name for f in fields(Counts) if f.name != "registration"]:
        assert getattr(read, name) == getattr(counted, name), name
    assert (read.verdict, read.route) == (counted.verdict, counted.route)
    assert (read.units_achieved, read.evidence_items) == (1, 6)


def test_the_oldest_of_each_kind_is_linked_across_the_learners_registrations(
    registration, learner, assessor, centre, centre_admin, iqa
):
    other = proqual(centre, centre_admin, learner, assessor, iqa)
    later = account(other, learner, 1)
    first = account(registration, learner, 2)
    assert first.pk > later.pk
    todo = texts(learner)
    assert todo["2 pieces of evidence not yet linked to the criteria it shows: choose them"] == (
        reverse("portfolios:evidence-map", args=[later.pk])
    )
    achieve(other, assessor, codes={"A/506/2130"})
    achieve(registration, assessor, codes={"F/506/2131"})
    UnitSignOff.objects.update(learner_signed_at=None)
    oldest = UnitSignOff.objects.order_by("signed_at", "pk")[0]
    todo = texts(learner)
    words = "2 units are signed off by your assessor and waiting for your countersignature"
    assert todo[words] == reverse(
        "assessment:unit-sign-off", args=[oldest.registration_id, oldest.unit_id]
    )


def test_a_withdrawn_registration_asks_for_nothing_and_still_shows_its_counts(
    client, registration, learner, assessor, centre_admin
):
    account(registration, learner, 1)
    observation(registration, assessor)
    assert len(texts(learner)) == 2
    registration_withdraw(registration=registration, reason="Left.", actor=centre_admin)
    assert texts(learner) == {}
    client.force_login(learner)
    page = client.get("/").content.decode()
    assert 'data-testid="todo-empty"' in page and "2 evidence items" in page


def test_a_rejected_link_waits_until_another_piece_covers_its_item_in_the_same_registration(
    registration, learner, assessor, centre, centre_admin, iqa
):
    criterion = Criterion.objects.filter(unit__code="A/506/2130").earliest("pk")
    evidence = add_evidence(registration, learner, 1, [criterion.pk])
    mapping_review(
        mapping=Mapping.objects.get(evidence=evidence), confirm=False,
        feedback="A different call.", actor=assessor,
    )  # fmt: skip
    words = (
        "1 link of your evidence to a criterion not accepted by your assessor: read why, and "
        "add or link other evidence"
    )
    assert texts(learner)[words] == reverse("portfolios:evidence-detail", args=[evidence.pk])
    # The same criterion linked in another registration (ProQual's shares the unit) does not
    # cover it here.
    other = proqual(centre, centre_admin, learner, assessor, iqa)
    add_evidence(other, learner, 2, [criterion.pk])
    assert words in texts(learner)
    add_evidence(registration, learner, 3, [criterion.pk])
    assert words not in texts(learner)


def test_the_home_makes_the_same_queries_however_full_the_portfolio(
    client, registration, learner, assessor
):
    few = home_queries(client, learner)  # no evidence yet: "Add your first evidence"
    criteria = list(Criterion.objects.filter(unit__code="A/506/2130").values_list("pk", flat=True))
    for n in range(1, 6):
        add_evidence(registration, learner, n, criteria[n - 1 : n + 1])
        account(registration, learner, 10 + n)
        observation(registration, assessor, f"Observed {n}")
    achieve(registration, assessor, codes={"F/506/2131"})
    achieve(registration, assessor, codes={"SFJ-CS2-07"})
    UnitSignOff.objects.filter(unit__code="SFJ-CS2-07").update(learner_signed_at=None)
    assert home_queries(client, learner) == few
    assert len(texts(learner)) == 3  # to countersign, to link, to agree


def test_question_sets_and_certificates_are_read_only_where_there_are_some(
    client, registration, learner, assessor, centre_admin
):
    none = home_queries(client, learner)
    unit = registration.planned_units.order_by("unit__code").first().unit
    asked = question_set_create(
        registration=registration,
        asked=Questions("Complaints", ["Why?"], unit_ids=frozenset([unit.pk])),
        actor=assessor,
    )
    assert home_queries(client, learner) == none + 1
    assert texts(learner)[
        "1 set of questions from your assessor to answer (the first: “Complaints”)"
    ]
    question_set_submit(question_set=asked, answers=["Because."], declared=True, actor=learner)
    assert home_queries(client, learner) == none
    achieve(registration, assessor)
    certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=centre_admin)
    client.force_login(learner)
    page = client.get("/").content.decode()
    assert 'data-testid="certificates"' in page and certificate.number in page
