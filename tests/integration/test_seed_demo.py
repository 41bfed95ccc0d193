"""The demo centre (`manage.py seed_demo`). Each test builds the whole living demo through the real
services, which takes a second or more, so they run with the integration suite (on PostgreSQL).
"""

import datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from assessment.models import Decision
from certification.models import Certificate
from certification.readiness import readiness_of_many
from home.demo import DEMO_PASSWORD, PEOPLE
from home.todo import todo_for
from iqa.models import Action, ActionStatus
from portal.celery import app as celery_app
from portal.models import Centre, Invitation, Role, RoleKind, User
from portfolios.models import Evidence, QuestionSet, Registration, RegistrationUnit

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_centre_admin_two_assessors_one_a_trainee_an_iqa_and_learners(capsys):
    call_command("seed_demo")
    riverside = Centre.objects.get(name="Riverside Skills Academy")
    roles = Role.objects.filter(centre=riverside)
    assert roles.filter(kind=RoleKind.CENTRE_ADMIN).count() == 1
    assessors = roles.filter(kind=RoleKind.ASSESSOR)
    assert assessors.count() == 2
    assert assessors.filter(is_trainee=True).count() == 1
    assert roles.filter(kind=RoleKind.IQA).count() == 1
    assert roles.filter(kind=RoleKind.LEARNER).count() >= 3


def test_the_demo_prints_every_account_and_the_password_and_each_one_logs_in(capsys):
    call_command("seed_demo")
    printed = capsys.readouterr().out
    assert DEMO_PASSWORD in printed
    for person in PEOPLE:
        assert person.email in printed
        assert User.objects.get(email=person.email).check_password(DEMO_PASSWORD)


def test_running_the_demo_twice_changes_nothing():
    call_command("seed_demo")
    before = (User.objects.count(), Centre.objects.count(), Role.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Centre.objects.count(), Role.objects.count()) == before


def test_the_demo_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="not in production"):
        call_command("seed_demo")
    assert User.objects.count() == 0


def test_with_the_catalogue_loaded_the_demo_learners_are_registered(catalogue_db):
    from portfolios.models import Registration

    call_command("seed_demo")
    call_command("seed_demo")
    registrations = Registration.objects.filter(centre__name="Riverside Skills Academy")
    assert sorted(r.qualification.code for r in registrations) == [
        "601/3576/1",
        "601/3576/1",
        "CCA010-02",
        "CCA010-02",
    ]
    assert {r.iqa.email for r in registrations if r.iqa} == {"iqa@riverside.test"}
    # Zara's customer service unit has an assessor of its own, the trainee (decision 39).
    given = RegistrationUnit.objects.filter(assessor__isnull=False).values_list(
        "registration__learner__email", "unit__code", "assessor__email"
    )
    assert list(given) == [("zara@riverside.test", "D/506/2119", "trainee@riverside.test")]


def test_the_demo_opens_on_work_in_progress_for_every_role(catalogue_db, client):
    call_command("seed_demo")
    made = (Evidence.objects.count(), Decision.objects.count(), Certificate.objects.count())
    call_command("seed_demo")  # made once: a second run adds nothing
    assert (Evidence.objects.count(), Decision.objects.count(), Certificate.objects.count()) == made

    def todo(email, kind):
        user = User.objects.get(email=email)
        return [t.text for t in todo_for(user, user.roles.get(kind=kind), datetime.date.today())]

    # Leo's full certificate; Noah's unit met through RPL (his signed-off one waits for IQA).
    assert todo("admin@riverside.test", RoleKind.CENTRE_ADMIN) == [
        "1 learner is ready for a full certificate",
        "1 learner can have a unit certificate",
    ]
    samir = todo("assessor@riverside.test", RoleKind.ASSESSOR)
    # Noah's call notes, and his answers to Samir's written questions.
    assert samir[0].startswith("2 pieces of evidence waiting for your review")
    assert samir[1].endswith("by other assessors to countersign, for 1 learner")
    assert samir[2].startswith("Answer the IQA's action on A/506/2130 for Noah Williams")
    assert todo("iqa@riverside.test", RoleKind.IQA) == [
        "1 planned item still to sample",
        "1 action answered by the assessor, waiting for you to close or send back",
        "1 action not answered by the assessor by the date they were given",
    ]
    assert todo("zara@riverside.test", RoleKind.LEARNER) == [
        "1 set of questions from your assessor to answer "
        "(the first: “Handling complaints: what you know”)",
        "Add your first evidence for ProQual Level 2 Diploma in Customer Service",
    ]
    noahs = QuestionSet.objects.get(registration__learner__email="noah@riverside.test")
    assert noahs.is_submitted and Evidence.objects.get(question_set=noahs).method == "questioning"
    # Noah's achieved unit waits for the IQA's planned summative sample: the claims page says so.
    noah = Registration.objects.get(learner__email="noah@riverside.test")
    [readiness] = readiness_of_many([noah])
    assert readiness.held == [
        "F/506/2131 is planned for summative IQA sampling and has not been sampled yet."
    ]
    assert readiness.claimable_units == ["H/506/2154"]  # met through RPL (decision 50)

    # Every to-do line leads to a page that opens for its person.
    for email in ("admin@riverside.test", "assessor@riverside.test", "zara@riverside.test"):
        user = User.objects.get(email=email)
        client.force_login(user)
        for t in todo_for(user, user.roles.get(), datetime.date.today()):
            assert client.get(t.url.split("#")[0]).status_code == 200, t


def test_the_demo_has_an_invitation_from_a_csv_file_waiting_for_its_learner(
    django_capture_on_commit_callbacks, monkeypatch
):
    # The invitation goes out by a task; here it runs in-process so the outbox shows it (the
    # integration settings otherwise queue it on the real broker, with no worker in this test).
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
        call_command("seed_demo")
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.status) == ("priya@riverside.test", "pending")
    assert [r["qualification"] for r in invitation.registrations] == ["601/3576/1"]
    assert not User.objects.filter(email="priya@riverside.test").exists()
    # The invitation only: the demo's history fills inboxes but e-mails no one.
    [sent] = mail.outbox
    assert sent.to == ["priya@riverside.test"] and "/accounts/invitation/" in sent.body


def test_the_demo_issues_cvq_claims_at_once_and_holds_proquals_for_its_eqa(
    catalogue_db, client, monkeypatch
):
    """Riverside has Direct Claims Status for the CVQ, not for the ProQual diploma, whose
    external quality assurer has an access window open now (decision 29): Leo's full certificate
    is issued at once, and the EQA opens on the window (Noah's unit, once the IQA has sampled it
    as planned, is claimed and held for her: tests/browser/test_eqa.py walks that)."""
    from certification.models import Kind, Release
    from certification.services import certificate_claim

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    call_command("seed_demo")
    call_command("seed_demo")  # again: one status, one window
    admin = User.objects.get(email="admin@riverside.test")
    leo = Registration.objects.get(learner__email="leo@riverside.test")
    full = certificate_claim(registration=leo, kind=Kind.FULL, actor=admin)
    assert full.release == Release.DIRECT
    eqa = User.objects.get(email="eqa@proqual.test")
    assert not eqa.roles.exists() and eqa.eqa_windows.count() == 1
    client.force_login(eqa)
    page = client.get("/", follow=True).content.decode()
    assert "Riverside Skills Academy" in page and "Diploma" in page
    window = eqa.eqa_windows.get()
    assert window.qualification.code == "601/3576/1" and window.centre.name.startswith("Riverside")
    operations = User.objects.get(email="operations@portal.test")
    assert operations.is_staff and not operations.roles.exists()


def test_the_demos_answered_action_carries_its_own_answer(catalogue_db):
    """The answer is to "Ask Noah to date…", not the other action's (found by the issue-19
    reviews: it read "Added customer references to every entry")."""
    call_command("seed_demo")
    dating = Action.objects.get(text__startswith="Ask Noah to date")
    assert dating.status == ActionStatus.RESPONDED and "dated" in dating.response
    assert "customer references" not in dating.response
    other = Action.objects.get(text__startswith="Note which customer")
    assert other.status == ActionStatus.OPEN and other.response == ""


def test_the_demo_has_a_unit_met_through_rpl_one_exempt_and_a_criterion_met_through_rpl(
    catalogue_db, client
):
    """Decisions 50 and 54, made through the services: Noah's page shows them, and the rules
    engine counts the RPL unit with its credit and the exempt one without."""
    from assessment.progress import progress_of
    from portfolios.models import PriorLearning, PriorLearningItem

    call_command("seed_demo")
    call_command("seed_demo")  # once
    noah = Registration.objects.get(learner__email="noah@riverside.test")
    held = sorted(PriorLearning.objects.filter(registration=noah).values_list("unit__code", "kind"))
    assert held == [("H/506/2154", "rpl"), ("K/506/2155", "exemption")]
    [item] = PriorLearningItem.objects.filter(registration=noah)
    assert item.criterion is not None
    assert (item.unit.code, item.criterion.number) == ("A/506/2130", "3.1")
    verdict = progress_of([noah])[0].verdict
    assert verdict.rpl_units == ("H/506/2154",) and verdict.exempt_units == ("K/506/2155",)
    client.force_login(User.objects.get(email="noah@riverside.test"))
    page = client.get(f"/registrations/{noah.pk}/").content.decode()
    assert "achieved through recognition of prior learning" in page
    assert "A/506/2130, criterion 3.1" in page
