"""Each role's home page starts with what needs them next, with a link to where it is done."""

import datetime

from django.urls import reverse
from django.utils import timezone

from assessment.models import UnitSignOff
from certification.models import Certificate, Kind, RenderStatus
from certification.services import certificate_claim
from home.todo import todo_for
from iqa.models import Action, ActionStatus, PlanItem, Sample, SamplingPlan, Stage, Verdict
from portfolios.evidence import EvidenceDetails, evidence_add
from qualifications.models import Unit
from tests.certification.conftest import achieve
from tests.portfolios.conftest import registration, sfj
from tests.portfolios.files import pdf

__all__ = ["registration", "sfj"]

TODAY = datetime.date.today()


def todo_of(user, kind):
    role = user.roles.get(kind=kind)
    return todo_for(user, role, TODAY)


def sample_of(registration, unit, assessor, iqa):
    return Sample.objects.create(
        registration=registration, unit=unit, assessor=assessor, stage=Stage.INTERIM,
        valid=True, authentic=True, current=True, sufficient=True, reliable=True,
        verdict=Verdict.ACTION_REQUIRED, feedback="Needs more", sampled_by=iqa, sampled_at=timezone.now(),
    )  # fmt: skip


def home_todo(client, user) -> str:
    client.force_login(user)
    page = client.get("/").content.decode()
    start = page.index('id="todo-heading"')
    return page[start : page.index("</section>", start)]


def test_with_nothing_to_do_the_home_page_says_so(client, centre_admin):
    assert "Nothing needs you right now." in home_todo(client, centre_admin)


def test_a_learner_is_asked_for_first_evidence_then_to_countersign_a_signed_off_unit(
    client, registration, learner, assessor
):
    todo = home_todo(client, learner)
    assert "Add your first evidence for SFJ Awards Level 2 Certificate" in todo
    assert reverse("portfolios:evidence-new", args=[registration.pk]) in todo

    achieve(registration, assessor, codes={"F/506/2131"})  # signs off and countersigns
    UnitSignOff.objects.update(learner_signed_at=None, learner_signature="")
    todo = home_todo(client, learner)
    assert "1 unit is signed off by your assessor and waiting for your countersignature" in todo
    sign_off = UnitSignOff.objects.get()
    url = reverse("assessment:unit-sign-off", args=[registration.pk, sign_off.unit_id])
    assert url in todo
    assert "Signature (type your full name)" in client.get(url).content.decode()  # the form
    assert "Add your first evidence" not in todo


def test_an_assessor_sees_evidence_to_review_and_an_overdue_iqa_action(
    client, registration, learner, assessor, iqa
):
    details = EvidenceDetails("Call log", datetime.date(2026, 10, 1), "product")
    evidence = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    todo = home_todo(client, assessor)
    assert "1 piece of evidence waiting for your review" in todo
    assert reverse("assessment:evidence-review", args=[evidence.pk]) in todo

    sample = sample_of(registration, Unit.objects.get(code="F/506/2131"), assessor, iqa)
    action = Action.objects.create(
        sample=sample, text="Add the call recording", due_on=TODAY - datetime.timedelta(days=2)
    )
    [_, item] = todo_of(assessor, "assessor")
    assert item.overdue and "F/506/2131" in item.text
    assert item.url == reverse("iqa:sample-detail", args=[action.sample_id])
    client.force_login(assessor)
    page = client.get(item.url).content.decode()
    assert "Add the call recording" in page
    assert reverse("iqa:action-respond", args=[action.pk]) in page  # the form to answer it
    assert "Overdue" in home_todo(client, assessor)  # a word, not only a colour


def test_an_iqa_sees_planned_samples_not_done_and_answers_to_close(registration, assessor, iqa):
    unit = Unit.objects.get(code="F/506/2131")
    plan = SamplingPlan.objects.create(
        centre=registration.centre, qualification=registration.qualification, iqa=iqa,
        starts_on=TODAY - datetime.timedelta(days=90), ends_on=TODAY - datetime.timedelta(days=1),
    )  # fmt: skip
    PlanItem.objects.create(
        plan=plan, registration=registration, unit=unit, assessor=assessor, stage=Stage.INTERIM
    )
    [due] = todo_of(iqa, "iqa")
    assert due.text == "1 planned item still to sample" and due.overdue  # the plan has ended
    assert due.url == reverse("iqa:plan-detail", args=[plan.pk])

    sample = sample_of(registration, unit, assessor, iqa)
    Action.objects.create(
        sample=sample, text="Add the recording", due_on=TODAY, status=ActionStatus.RESPONDED
    )
    assert [t.text for t in todo_of(iqa, "iqa")] == [
        "1 action answered by the assessor, waiting for you to close or send back"
    ]


def test_a_centre_admin_sees_learners_ready_to_claim_and_a_failed_pdf(
    registration, assessor, centre_admin
):
    achieve(registration, assessor, codes={"F/506/2131"})
    [unit] = todo_of(centre_admin, "centre_admin")
    assert unit.text == "1 learner can have a unit certificate"
    assert unit.url == reverse("certification:claims")

    rest = set(registration.planned_units.values_list("unit__code", flat=True)) - {"F/506/2131"}
    achieve(registration, assessor, codes=rest)  # every planned unit: the full certificate is met
    [full] = todo_of(centre_admin, "centre_admin")
    assert full.text == "1 learner is ready for a full certificate"

    # Claimed (through the claim, which the claims page's lists follow), and its PDF failed.
    certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=centre_admin)
    Certificate.objects.filter(pk=certificate.pk).update(status=RenderStatus.FAILED)
    [failed] = todo_of(centre_admin, "centre_admin")  # claimed: no longer "ready"
    assert failed.overdue and "whose PDF failed" in failed.text
    assert failed.url == reverse("certification:certificate-detail", args=[certificate.pk])
