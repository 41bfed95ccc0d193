"""A qualified assessor returns a trainee's provisional decision with a reason (decision 36): it
stops waiting and counting, the trainee is told why, sees it on their to-do and the item's page,
and decides again."""

import datetime
import html
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.timezone import localtime

from assessment.models import Decision, Outcome
from assessment.pages import decided_again, returned_on, returned_rows
from assessment.progress import progress_of
from assessment.services import (
    NOTHING_TO_RETURN,
    RETURN_REASON_NEEDED,
    DecisionRefused,
    Judgement,
    decision_countersign,
    decision_record,
    decision_return,
)
from portal.models import AuditEntry, Notification, NotificationKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from qualifications.kept_units import units_rows
from qualifications.models import Criterion
from tests.factories import RoleFactory, UserFactory
from tests.portfolios.files import pdf

MET = Judgement(Outcome.MET, "observation", datetime.date(2026, 10, 6), "Well done.")
REASON = "The recording does not show the complaint being resolved."
COUNTERSIGN = reverse("assessment:countersign")


@pytest.fixture
def provisional(registration, trainee_assessor, learner):
    registration.assessor = trainee_assessor
    registration.save()
    details = EvidenceDetails("Call recording", datetime.date(2026, 10, 6), "product")
    evidence = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    criterion = Criterion.objects.get(unit__code="A/506/2130", number="4.1")
    [decision] = decision_record(
        registration=registration,
        targets=Targets(criteria=frozenset({criterion.pk})),
        judgement=MET,
        evidence=[evidence],
        actor=trainee_assessor,
    )
    return decision


def return_url(decision):
    return reverse("assessment:decision-return", args=[decision.pk])


def test_a_returned_decision_stops_waiting_and_counting_and_is_audited_and_told(
    provisional, assessor, trainee_assessor
):
    decision_return(decision=provisional, reason=REASON, actor=assessor)
    provisional.refresh_from_db()
    assert provisional.returned_by == assessor and provisional.return_reason == REASON
    assert not provisional.current and not provisional.counts
    assert not Decision.objects.filter(provisional=True, current=True).exists()
    assert progress_of([provisional.registration])[0].met == 0
    entry = AuditEntry.objects.get(action="decision.returned")
    assert entry.actor == assessor and (entry.after or {}).get("returned") == REASON
    notice = Notification.objects.get(kind=NotificationKind.DECISION_RETURNED)
    assert notice.recipient == trainee_assessor and REASON in notice.text
    # Returned twice (two tabs): refused, nothing more written or told.
    with pytest.raises(DecisionRefused, match=NOTHING_TO_RETURN):
        decision_return(decision=provisional, reason="Again.", actor=assessor)
    assert AuditEntry.objects.filter(action="decision.returned").count() == 1
    assert Notification.objects.filter(kind=NotificationKind.DECISION_RETURNED).count() == 1
    # Nor can it be countersigned now.
    with pytest.raises(DecisionRefused):
        decision_countersign(decisions=[provisional], actor=assessor)


def test_only_a_qualified_assessor_of_the_centre_other_than_the_trainee_returns_one(
    provisional, trainee_assessor, learner, iqa, outsider, other_centre
):
    elsewhere = UserFactory.create(email="qualified.elsewhere@example.org")
    RoleFactory.create(user=elsewhere, centre=other_centre, kind="assessor")
    for person in (trainee_assessor, learner, iqa, outsider, elsewhere):
        with pytest.raises(PermissionDenied):
            decision_return(decision=provisional, reason=REASON, actor=person)
    with pytest.raises(DecisionRefused, match="Say why"):
        decision_return(decision=provisional, reason="  ", actor=trainee_assessor)
    assert RETURN_REASON_NEEDED.startswith("Say why")
    provisional.refresh_from_db()
    assert provisional.current and provisional.returned_at is None


def test_the_countersigning_page_offers_return_with_a_reason_and_the_form_returns_it(
    client, provisional, assessor
):
    client.force_login(assessor)
    page = client.get(COUNTERSIGN).content.decode()
    assert f'href="{return_url(provisional)}"' in page
    form = client.get(return_url(provisional)).content.decode()
    assert "Call recording" in form and "Return it to" in form
    empty = client.post(return_url(provisional), {"reason": ""}).content.decode()
    assert RETURN_REASON_NEEDED in empty
    response = client.post(return_url(provisional), {"reason": REASON}, follow=True)
    assert "with your reason" in response.content.decode()
    assert "No decisions are waiting for your countersignature." in response.content.decode()
    again = client.post(return_url(provisional), {"reason": REASON}, follow=True)
    assert NOTHING_TO_RETURN in again.content.decode()
    assert AuditEntry.objects.filter(action="decision.returned").count() == 1


def test_wrong_roles_and_other_centres_cannot_open_the_return_page(
    client, provisional, trainee_assessor, learner, iqa, centre_admin, other_centre
):
    for person in (trainee_assessor, learner, iqa, centre_admin):
        client.force_login(person)
        assert client.get(return_url(provisional)).status_code == 403
        assert client.post(return_url(provisional), {"reason": REASON}).status_code == 403
    elsewhere = UserFactory.create(email="qualified.elsewhere@example.org")
    RoleFactory.create(user=elsewhere, centre=other_centre, kind="assessor")
    client.force_login(elsewhere)
    assert client.get(return_url(provisional)).status_code == 404
    assert client.post(return_url(provisional), {"reason": REASON}).status_code == 404
    provisional.refresh_from_db()
    assert provisional.returned_at is None


def by_the_orm(evidence, trainee):
    """`returned_rows` as the ORM asked it before it was written as SQL (issue 17, fifth round)."""
    return [
        tuple(row)
        for row in Decision.objects.filter(
            registration=evidence.registration_id,
            evidence=evidence,
            returned_at__isnull=False,
            decided_by=trainee,
        )
        .exclude(decided_again())
        .order_by("returned_at", "pk")
        .values_list(
            "pk", *(f"{k}_id" for k in Decision.KINDS), "returned_by__full_name", "return_reason"
        )
    ]


def test_the_trainee_sees_why_on_their_to_do_and_the_item_and_decides_again(
    client, provisional, assessor, trainee_assessor
):
    decision_return(decision=provisional, reason=REASON, actor=assessor)
    client.force_login(trainee_assessor)
    home = client.get("/").content.decode()
    assert "1 decision returned to you by a qualified assessor" in home
    # The to-do and the notice open the evidence's review page, where it is decided again.
    [evidence] = provisional.evidence.all()
    review = reverse("assessment:evidence-review", args=[evidence.pk])
    assert f'href="{review}"' in home
    notice = Notification.objects.get(kind=NotificationKind.DECISION_RETURNED)
    assert notice.link == review
    page = client.get(review).content.decode()
    returned_by = f"Returned by {assessor.full_name}: {REASON}"
    [listed] = re.findall(r'data-testid="returned-list">.*?</div>', page, re.S)
    assert "4.1" in listed and returned_by in listed
    ticked = rf'value="{provisional.criterion_id}" id="[^"]+" checked'
    assert re.search(ticked, page)  # ticked, to be decided again
    item = reverse(
        "assessment:item-history",
        args=[provisional.registration_id, "criterion", provisional.criterion_id],
    )
    history = client.get(item).content.decode()
    [line] = re.findall(r'<span data-testid="returned">(.*?)</span>', history, re.S)

    # Only the trainee is asked to decide it again: another of the learner's assessors (the
    # second new-user review of issue 19 found "Returned to you" on such a page) is not.
    assert returned_on(evidence, trainee_assessor).listed
    assert not returned_on(evidence, assessor).listed and not returned_on(evidence, assessor).said
    for person in (trainee_assessor, assessor):
        assert returned_rows(evidence, person) == by_the_orm(evidence, person)
    assert by_the_orm(evidence, trainee_assessor)  # not trivially
    assert " ".join(line.split()) == (
        f"Decided <strong>Met</strong> by {trainee_assessor.full_name} on "
        f"{localtime(provisional.decided_at):%-d %B %Y, %H:%M} — returned by "
        f"{assessor.full_name} on {localtime(provisional.returned_at):%-d %B %Y, %H:%M}: {REASON}"
    )
    # One state: returned, not also "awaiting countersignature".
    assert "awaiting countersignature</span>" not in history
    assert history.count(">returned</span>") == 1
    assert f'href="{review}"' in history
    assert "returned to the trainee" in history  # the audit entries, in words
    # They decide again: a new provisional decision, waiting; the to-do line goes.
    [again] = decision_record(
        registration=provisional.registration,
        targets=Targets(criteria=frozenset({provisional.criterion_id})),
        judgement=MET,
        evidence=list(provisional.evidence.all()),
        actor=trainee_assessor,
    )
    assert again.provisional and again.current
    assert "returned to you" not in client.get("/").content.decode()
    assert not returned_on(evidence, trainee_assessor).listed
    assert returned_rows(evidence, trainee_assessor) == by_the_orm(evidence, trainee_assessor)
    decision_countersign(decisions=[again], actor=assessor)
    again.refresh_from_db()
    assert again.counts


def test_the_learner_hears_a_trainees_decisions_await_countersignature(provisional, learner):
    (notice,) = Notification.objects.filter(recipient=learner)
    assert notice.kind == NotificationKind.EVIDENCE_JUDGED
    assert "1 item met, awaiting countersignature by a qualified assessor" in notice.text


def test_the_learner_and_the_qualified_assessor_see_no_trainees_instruction_on_the_history(
    client, provisional, assessor, trainee_assessor, learner
):
    decision_return(decision=provisional, reason=REASON, actor=assessor)
    item = reverse(
        "assessment:item-history",
        args=[provisional.registration_id, "criterion", provisional.criterion_id],
    )
    for person in (learner, assessor):
        client.force_login(person)
        page = client.get(item).content.decode()
        assert REASON in page and "It no longer counts." in page
        assert "decide it again" not in page
    client.force_login(trainee_assessor)
    assert "It no longer counts: decide it again on" in client.get(item).content.decode()


def test_the_review_page_marks_a_mapped_item_returned_and_only_until_decided_again(
    client, registration, assessor, trainee_assessor, learner
):
    registration.assessor = trainee_assessor
    registration.save()
    details = EvidenceDetails("Complaint log", datetime.date(2026, 10, 6), "product")
    evidence = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    criterion = Criterion.objects.get(unit__code="A/506/2130", number="4.1")
    targets = Targets(criteria=frozenset({criterion.pk}))
    mapping_propose(evidence=evidence, targets=targets, actor=learner)
    decide = {"registration": registration, "targets": targets, "judgement": MET}
    [decision] = decision_record(**decide, evidence=[evidence], actor=trainee_assessor)
    decision_return(decision=decision, reason=REASON, actor=assessor)
    client.force_login(trainee_assessor)
    review = reverse("assessment:evidence-review", args=[evidence.pk])
    page = client.get(review).content.decode()
    cards = page[page.index('data-testid="mapping"') : page.index('id="picker"')]
    [said] = re.findall(r'data-testid="returned">(.*?)</span>', cards, re.S)
    assert said == f"Returned by {assessor.full_name}: {REASON}"
    decision_record(**decide, evidence=[evidence], actor=trainee_assessor)  # decided again
    page = client.get(review).content.decode()
    assert "Returned by" not in page and 'data-testid="returned-list"' not in page


def test_a_returned_decision_is_labelled_alike_from_the_plans_rows_and_from_the_database(
    provisional, assessor, trainee_assessor, registration, django_assert_num_queries
):
    """The review page labels the items returned from the plan's units' rows it has read; an
    item outside them (its unit taken off the plan since) is labelled from the database."""
    decision_return(decision=provisional, reason=REASON, actor=assessor)
    [evidence] = provisional.evidence.all()
    rows = units_rows(
        registration.qualification, registration.planned_units.values_list("unit_id", flat=True)
    )
    with django_assert_num_queries(1):
        from_rows = returned_on(evidence, trainee_assessor, rows)
    from_database = returned_on(evidence, trainee_assessor)
    assert from_rows == from_database
    [(label, words)] = from_rows.listed
    assert "A/506/2130 4.1" in label and words == f"Returned by {assessor.full_name}: {REASON}"
    assert from_rows.said == {("criteria", provisional.criterion_id): words}


def test_the_pages_name_the_assessor_who_decided_not_a_trainee(
    client, provisional, assessor, trainee_assessor
):
    """An assessor out of scope where the register is enforced waits as a trainee does: the
    pages word it for both, and name the person."""
    client.force_login(assessor)
    form = html.unescape(client.get(return_url(provisional)).content.decode())
    title = re.search(r"<title>(.*?)</title>", form, re.S)
    assert title and f"Return {trainee_assessor.full_name}'s decision" in title[1]
    page = html.unescape(client.get(COUNTERSIGN).content.decode())
    for said in (form, page):
        assert "trainee's decision" not in said and "trainees' decisions" not in said
