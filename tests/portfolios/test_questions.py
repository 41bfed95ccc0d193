"""Questions the assessor writes and the learner answers on the page (decision 42): set and
told; a draft saved and changed; sent once, becoming evidence (Questioning) whose text keeps
the questions and answers exactly; mapped like any evidence; nobody else answers."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portal.audit import audit_verify
from portal.models import Notification, NotificationKind, RoleKind
from portal.services import person_deactivate
from portfolios.evidence import (
    ANSWERS_KEPT,
    DECLARATION_NEEDED,
    EvidenceDetails,
    EvidenceRejected,
    change_refusal,
    evidence_update,
)
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence, EvidenceMethod, Mapping, QuestionSet, RegistrationUnit
from portfolios.questions import (
    ANSWER_NEEDED,
    ANSWERS_MISSING,
    NOT_IN_PLAN,
    QUESTIONS_NEEDED,
    Questions,
    QuestionsRefused,
    question_set_create,
    question_set_save,
    question_set_submit,
)
from portfolios.services import (
    registration_staff_change,
    registration_unit_assessor_change,
    registration_withdraw,
)
from qualifications.models import Criterion, KnowledgeItem, Unit
from tests.audit import AuditWatch
from tests.factories import RoleFactory

QUESTIONS = ["What do you do when a customer is <b>angry</b>?", "Why does it matter?"]
ANSWERS = ["I listen first,\nthen  I <i>apologise</i>.  ", "Because they come back."]


@pytest.fixture
def asked(registration, assessor) -> QuestionSet:
    unit = registration.planned_units.order_by("unit__code").first().unit
    return question_set_create(
        registration=registration,
        asked=Questions("Complaints", QUESTIONS, unit_ids=frozenset([unit.pk])),
        actor=assessor,
    )


def detail(question_set):
    return reverse("portfolios:question-set-detail", args=[question_set.pk])


def answers_form(answers, action="save", declared=False):
    data = {f"answer_{n}": text for n, text in enumerate(answers)}
    data["action"] = action
    if declared:
        data["declared"] = "on"
    return data


# Setting questions


def test_the_assessor_sets_questions_audited_and_the_learner_is_told_once(
    registration, assessor, learner
):
    audit = AuditWatch()
    made = question_set_create(
        registration=registration,
        asked=Questions("Complaints", ["  First?  ", "", "Second?"]),
        actor=assessor,
    )
    assert made.questions == ["First?", "Second?"] and made.set_by == assessor
    assert audit.actions() == ["questions.set"]
    [notice] = Notification.objects.filter(kind=NotificationKind.QUESTIONS_SET)
    assert notice.recipient_id == learner.pk and notice.role_kind == RoleKind.LEARNER
    assert notice.link == detail(made)
    assert audit_verify()[1] is None


@pytest.mark.parametrize("persona", ["learner", "iqa", "centre_admin", "trainee_assessor"])
def test_nobody_but_the_learners_assessor_sets_questions(request, registration, persona):
    with pytest.raises(PermissionDenied):
        question_set_create(
            registration=registration,
            asked=Questions("Mine", ["Why?"]),
            actor=request.getfixturevalue(persona),
        )
    assert not QuestionSet.objects.exists()


def test_no_questions_and_units_outside_the_plan_are_refused_in_words(
    registration, assessor, catalogue_db
):
    outside = Unit.objects.exclude(pk__in=registration.planned_units.values("unit_id"))[0]
    with pytest.raises(QuestionsRefused) as refused:
        question_set_create(
            registration=registration,
            asked=Questions("Empty", ["  "], unit_ids=frozenset([outside.pk])),
            actor=assessor,
        )
    assert refused.value.messages == [QUESTIONS_NEEDED, NOT_IN_PLAN]
    foreign = KnowledgeItem.objects.exclude(unit__in=registration.planned_units.values("unit_id"))[
        0
    ]
    with pytest.raises(QuestionsRefused, match=NOT_IN_PLAN):
        question_set_create(
            registration=registration,
            asked=Questions("K", ["Why?"], knowledge_ids=frozenset([foreign.pk])),
            actor=assessor,
        )
    assert not QuestionSet.objects.exists()


def test_a_closed_registration_takes_no_questions(registration, assessor, centre_admin):
    registration_withdraw(registration=registration, reason="Left.", actor=centre_admin)
    with pytest.raises(QuestionsRefused):
        question_set_create(
            registration=registration, asked=Questions("Late", ["Why?"]), actor=assessor
        )
    assert not QuestionSet.objects.exists()


# Answering


def test_a_draft_is_saved_changed_and_not_yet_evidence(asked, learner):
    audit = AuditWatch()
    question_set_save(question_set=asked, answers=["Half an answer", ""], actor=learner)
    question_set_save(question_set=asked, answers=["Half an answer", ""], actor=learner)  # same
    question_set_save(question_set=asked, answers=["A whole answer", "More"], actor=learner)
    asked.refresh_from_db()
    assert asked.answers == ["A whole answer", "More"] and asked.saved_at is not None
    assert audit.actions() == ["questions.draft_saved"] * 2
    assert not Evidence.objects.exists()


def test_sending_makes_evidence_that_keeps_questions_and_answers_exactly(asked, learner, assessor):
    audit = AuditWatch()
    evidence = question_set_submit(
        question_set=asked, answers=ANSWERS, declared=True, actor=learner
    )
    assert evidence.method == EvidenceMethod.QUESTIONING and evidence.created_by == learner
    assert evidence.title == "Complaints"
    for question, answer in zip(QUESTIONS, ANSWERS, strict=True):
        assert f"{question}\nAnswer: {answer}" in evidence.description  # spaces and all
    asked.refresh_from_db()
    assert asked.evidence == evidence and asked.answers == ANSWERS and asked.is_submitted
    assert audit.actions() == ["evidence.questions_answered", "questions.answered"]
    [notice] = Notification.objects.filter(kind=NotificationKind.QUESTIONS_ANSWERED)
    assert notice.recipient_id == assessor.pk
    assert notice.link == reverse("assessment:evidence-review", args=[evidence.pk])
    assert audit_verify()[1] is None


def test_sent_answers_cannot_be_sent_again_saved_edited_or_removed(asked, learner):
    evidence = question_set_submit(
        question_set=asked, answers=ANSWERS, declared=True, actor=learner
    )
    for write in (
        lambda: question_set_submit(
            question_set=asked, answers=["Other", "Other"], declared=True, actor=learner
        ),
        lambda: question_set_save(question_set=asked, answers=["Other", "Other"], actor=learner),
    ):
        with pytest.raises(QuestionsRefused, match="cannot change"):
            write()
    evidence = Evidence.objects.select_related("registration").get(pk=evidence.pk)
    assert change_refusal(evidence) == [ANSWERS_KEPT]
    with pytest.raises(EvidenceRejected, match="kept exactly"):
        evidence_update(
            evidence=evidence,
            details=EvidenceDetails("Changed", evidence.occurred_on, "reflective_account", "x"),
            actor=learner,
        )
    asked.refresh_from_db()
    assert asked.answers == ANSWERS and Evidence.objects.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.QUESTIONS_ANSWERED).count() == 1


def test_sending_needs_every_answer_and_the_declaration(asked, learner):
    with pytest.raises(QuestionsRefused) as refused:
        question_set_submit(
            question_set=asked, answers=["Yes", "   "], declared=False, actor=learner
        )
    assert refused.value.messages == [ANSWERS_MISSING.format(numbers="2"), DECLARATION_NEEDED]
    asked.refresh_from_db()
    assert not asked.is_submitted and not Evidence.objects.exists()


@pytest.mark.parametrize("persona", ["assessor", "iqa", "centre_admin"])
def test_nobody_but_the_learner_answers(request, asked, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        question_set_save(question_set=asked, answers=ANSWERS, actor=actor)
    with pytest.raises(PermissionDenied):
        question_set_submit(question_set=asked, answers=ANSWERS, declared=True, actor=actor)
    asked.refresh_from_db()
    assert asked.answers == [] and not Evidence.objects.exists()


def test_the_answers_are_proposed_for_the_knowledge_items_and_mapped_like_any_evidence(
    cvq_registration, assessor, learner
):
    unit = Unit.objects.get(code="U09602")
    items = frozenset(KnowledgeItem.objects.filter(unit=unit).values_list("pk", flat=True)[:2])
    made = question_set_create(
        registration=cvq_registration,
        asked=Questions("What you know", ["Why?"], knowledge_ids=items),
        actor=assessor,
    )
    evidence = question_set_submit(question_set=made, answers=["So."], declared=True, actor=learner)
    proposed = set(
        Mapping.objects.filter(evidence=evidence).values_list("knowledge_item_id", flat=True)
    )
    assert proposed == set(items)
    criterion = Criterion.objects.filter(unit=unit)[0]  # the learner maps it further
    mapping_propose(
        evidence=evidence,
        targets=Targets(criteria=frozenset([criterion.pk]), knowledge_items=items),
        actor=learner,
    )
    assert Mapping.objects.filter(evidence=evidence, criterion=criterion).exists()


# The pages


def test_the_assessor_sets_questions_on_the_page_and_a_blank_one_is_refused_under_the_field(
    client, registration, assessor
):
    client.force_login(assessor)
    url = reverse("portfolios:question-set-new", args=[registration.pk])
    page = client.post(url, {"title": "Complaints", "questions": "  \n "}).content.decode()
    assert "invalid-feedback" in page and not QuestionSet.objects.exists()
    response = client.post(url, {"title": "Complaints", "questions": "First?\r\nSecond?"})
    made = QuestionSet.objects.get()
    assert response.status_code == 302 and response.url == detail(made)
    assert made.questions == ["First?", "Second?"]
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert "Waiting for the learner" in page.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("learner", 403),
        ("iqa", 403),
        ("centre_admin", 403),
        ("trainee_assessor", 404),
        ("outsider", 404),
    ],
)
def test_only_the_assessor_opens_the_form_to_set_questions(
    client, request, registration, persona, status
):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("portfolios:question-set-new", args=[registration.pk])
    assert client.get(url).status_code == status
    assert client.post(url, {"title": "x", "questions": "Why?"}).status_code == status
    assert not QuestionSet.objects.exists()


def test_the_learner_sees_it_on_the_to_do_saves_a_draft_then_sends_on_the_page(
    client, asked, learner
):
    client.force_login(learner)
    home = client.get(reverse("home")).content.decode()
    assert "1 set of questions from your assessor to answer" in home and detail(asked) in home
    page = client.get(detail(asked)).content.decode()
    assert "What do you do when a customer is &lt;b&gt;angry&lt;/b&gt;?" in page
    client.post(detail(asked), answers_form(["Draft <script>", ""]))
    page = client.get(detail(asked)).content.decode()
    assert "Draft &lt;script&gt;" in page and "Last saved" in page
    refused = client.post(detail(asked), answers_form(["Draft", ""], action="send")).content
    # Said under the box left empty and under the declaration; nothing sent or saved.
    assert re.search(
        rf'id="id_answer_1_error"[^>]*>.*?{ANSWER_NEEDED}', refused.decode(), re.S
    ) and re.search(rf'id="id_declared_error"[^>]*>.*?{DECLARATION_NEEDED}', refused.decode(), re.S)
    assert not Evidence.objects.exists()
    sent = client.post(detail(asked), answers_form(ANSWERS, action="send", declared=True))
    evidence = Evidence.objects.get()
    assert sent.status_code == 302 and sent.url == reverse(
        "portfolios:evidence-detail", args=[evidence.pk]
    )
    shown = client.get(sent.url).content.decode()
    assert "&lt;i&gt;apologise&lt;/i&gt;" in shown and "<i>apologise" not in shown
    assert "set of questions" not in client.get(reverse("home")).content.decode()
    again = client.post(detail(asked), answers_form(["x", "y"], action="send", declared=True))
    assert "cannot change" in again.content.decode() and Evidence.objects.count() == 1


@pytest.mark.parametrize(
    ("persona", "status"),
    [("assessor", 403), ("iqa", 403), ("centre_admin", 403), ("outsider", 404)],
)
def test_others_read_the_questions_but_cannot_answer(client, request, asked, persona, status):
    client.force_login(request.getfixturevalue(persona))
    if status == 403:
        page = client.get(detail(asked)).content.decode()
        assert "Complaints" in page and 'name="answer_0"' not in page
    else:
        assert client.get(detail(asked)).status_code == 404
    response = client.post(detail(asked), answers_form(ANSWERS, action="send", declared=True))
    assert response.status_code == status
    asked.refresh_from_db()
    assert asked.answers == [] and not Evidence.objects.exists()


def test_answers_reach_whoever_assesses_the_learner_now_once_each(
    asked, registration, centre, centre_admin, learner, assessor, iqa
):
    """The setter, the registration's assessor now, and the own assessor of the set's unit:
    after a change of assessor (or a transfer) the answers still reach someone."""
    now, of_unit = (
        RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR, user__full_name=name).user
        for name in ("Omar Now", "Una Unit")
    )
    registration_staff_change(registration=registration, assessor=now, iqa=iqa, actor=centre_admin)
    unit = asked.units.get()
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=of_unit, actor=centre_admin
    )
    question_set_submit(question_set=asked, answers=ANSWERS, declared=True, actor=learner)
    told = Notification.objects.filter(kind=NotificationKind.QUESTIONS_ANSWERED)
    assert sorted(told.values_list("recipient", flat=True)) == sorted(
        [assessor.pk, now.pk, of_unit.pk]
    )
    assert told.get(recipient=assessor).text.endswith("answered your questions “Complaints”.")
    assert told.get(recipient=now).text.endswith("answered the questions “Complaints”.")


def test_a_units_own_assessor_sets_questions_and_one_who_left_cannot(
    client, registration, trainee_assessor, centre_admin, centre
):
    """Found by the second new-user review of issue 19: a unit's own assessor (decision 39) was
    offered "Set questions" and then refused; only the registration's assessor could set them."""
    planned = RegistrationUnit.objects.filter(registration=registration).first()
    assert planned is not None
    RegistrationUnit.objects.filter(pk=planned.pk).update(assessor=trainee_assessor)
    client.force_login(trainee_assessor)
    new = reverse("portfolios:question-set-new", args=[registration.pk])
    assert client.get(new).status_code == 200
    made = question_set_create(
        registration=registration, asked=Questions("Unit", ["Why?"]), actor=trainee_assessor
    )
    assert made.set_by == trainee_assessor

    person_deactivate(centre=centre, person=trainee_assessor, reason="Left", actor=centre_admin)
    with pytest.raises(PermissionDenied):
        question_set_create(
            registration=registration, asked=Questions("Again", ["Why?"]), actor=trainee_assessor
        )
    assert QuestionSet.objects.filter(registration=registration).count() == 1
