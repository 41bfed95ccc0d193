"""A small world for the tests that walk every URL: two centres alike, each with a person in
every role and one learner's work at every stage (evidence, a mapping, decisions, a unit
signed off, a certificate, an IQA plan, a sample with an action, PDFs, a witness link), and
a newcomer invited from a CSV file to join as a learner, whose invitation is still open.

The centre the personas work at is "ours"; the other one, "theirs", is the same again, run by
the outsider (a centre admin there and nowhere else). Everything about each centre's learner
that a stranger must never see is on `Side.secrets`, spelled so that it cannot turn up on a
page by chance.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from api.models import ApiToken, Scope
from api.services import token_create
from assessment.models import Decision, RequirementShown, SufficiencyRecord, UnitSignOff
from assessment.services import Judgement, decision_record, unit_learner_countersign, unit_sign_off
from certification.models import Certificate, Kind, RenderStatus, Transfer
from certification.services import certificate_claim, direct_claims_grant
from competence.models import Award, CompetenceEntry, EntryStatus
from competence.services import EntryDetails, entry_record
from eqa.models import EqaAccess, EqaReport
from eqa.services import eqa_access_grant, eqa_report_record, eqa_sample_record
from iqa.models import Action, DocumentStatus, IqaDocument, Sample, SamplingPlan, Verdict
from iqa.services import Judgement as Finding
from iqa.services import document_request, plan_generate, sample_record
from portal.models import Centre, Invitation, Notification, NotificationKind, RoleKind, User
from portfolios.bulk import registration_bulk_create
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import (
    Evidence,
    EvidenceFile,
    Mapping,
    PriorLearning,
    PriorLearningItem,
    QuestionSet,
    Registration,
)
from portfolios.prior_learning import PriorDetails, exemption_record, rpl_items_record
from portfolios.questions import Questions, question_set_create
from portfolios.services import RegistrationDetails, registration_create
from portfolios.witness import WitnessAsk, witness_request_create
from qualifications.models import Criterion, Qualification, Unit
from tests.factories import PASSWORD, CentreFactory, RoleFactory, UserFactory, ao_desk
from tests.portfolios.conftest import SFJ, SFJ_ENOUGH, START
from tests.portfolios.files import PDF, pdf

SIGNED_UNIT = "F/506/2131"  # met, signed off, countersigned, certified, sampled with an action
BEGUN_UNIT = "A/506/2130"  # one criterion decided; the draft evidence is mapped to it
ON = datetime.date(2026, 10, 6)
PERIOD = (START, datetime.date(2026, 12, 31))

# The personas, as the table in tests/urlmap.py names them. "anonymous" is nobody logged in.
LEARNER, ASSESSOR, TRAINEE, IQA, ADMIN = "learner", "assessor", "trainee", "iqa", "admin"
OUTSIDER, ANONYMOUS = "outsider", "anonymous"
# The awarding organisation's external quality assurer, with an open window on our centre's
# qualification and no role at any centre (decision 29).
EQA = "eqa"
STAFF_OF_OURS = (LEARNER, ASSESSOR, TRAINEE, IQA, ADMIN)
PERSONAS = (*STAFF_OF_OURS, EQA, OUTSIDER, ANONYMOUS)


@dataclass
class Side:
    """One centre's people and one learner's work there."""

    centre: Centre
    people: dict[str, User]
    qualification: Qualification
    registration: Registration
    evidence: Evidence  # judged by the assessor: locked for the learner
    draft: Evidence  # not judged yet: the learner may still change, map or remove it
    file: EvidenceFile  # the draft's file
    mapping: Mapping  # the draft mapped by the learner, waiting for the assessor
    unit: Unit  # SIGNED_UNIT
    criterion: Criterion
    sign_off: UnitSignOff
    certificate: Certificate
    plan: SamplingPlan
    sample: Sample
    action: Action
    sample_pdf: IqaDocument
    plan_pdf: IqaDocument
    witness_token: str
    question_set: QuestionSet  # set by the assessor, not answered yet
    invitation: Invitation  # open: a newcomer invited from a CSV file, not yet accepted
    invitation_token: str  # the secret of its link, as e-mailed to the newcomer
    notification: Notification  # the learner's, unread: their evidence judged
    eqa_window: EqaAccess  # open now, for the side's EQA, on the qualification at the centre
    eqa_report: EqaReport  # the EQA's report on it, with an action for the centre
    transfer: Transfer  # the learner asked to move to another centre, waiting for its answer
    competence_entry: CompetenceEntry  # the assessor's award, in the centre's register
    # The learner exempt from an optional unit (decision 50): no credit, nothing claimable.
    prior_learning: PriorLearning
    # The centre admin's API token with every scope (decision 57), and the token itself.
    api_token: ApiToken
    api_secret: str
    # The assessor's records of the begun unit's evidence requirements and sufficiency (decision
    # 52), in force: made as rows, as the side's qualification (SFJ) states none to record.
    requirement_shown: RequirementShown
    sufficiency_record: SufficiencyRecord
    # A criterion of the begun unit met through RPL by the assessor (decision 54).
    prior_learning_item: PriorLearningItem
    secrets: list[str] = field(default_factory=list)


@dataclass
class World:
    ours: Side
    theirs: Side

    def person(self, persona: str) -> User | None:
        if persona == ANONYMOUS:
            return None
        if persona == OUTSIDER:
            return self.theirs.people[ADMIN]
        return self.ours.people[persona]  # EQA too: ours has a window of its own


def build_world() -> World:
    qualification = Qualification.objects.get(code=SFJ)
    ours = build_side("Riverside", "Ottoline Quarrington", qualification, "Perpetua Lindqvist")
    theirs = build_side("Harbour", "Barnaby Fettiplace", qualification, "Ignatius Pembury")
    return World(ours, theirs)


def build_side(
    place: str, learner_name: str, qualification: Qualification, invitee_name: str
) -> Side:
    slug = place.lower()
    centre = CentreFactory.create(name=f"{place} Skills Centre")
    people = staff(centre, slug, learner_name)
    registration = register(centre, people, qualification, slug)
    evidence = add_evidence(registration, f"{learner_name}'s log of the night shift")
    draft = add_evidence(registration, f"{learner_name}'s account of a late call")
    begun = Criterion.objects.filter(unit__code=BEGUN_UNIT).order_by("pk")[1]
    mapping_propose(
        evidence=draft, targets=Targets(criteria=frozenset([begun.pk])), actor=people[LEARNER]
    )
    unit = Unit.objects.get(code=SIGNED_UNIT)
    sign_off = achieve(registration, unit, evidence)
    # Issued at once (its PDF ready): the AO granted the centre Direct Claims Status.
    direct_claims_grant(centre=centre, qualification=qualification, actor=ao_desk())
    certificate = ready(
        certificate_claim(registration=registration, kind=Kind.UNIT, actor=people[ADMIN]), "c.pdf"
    )
    plan, sample = quality_assure(registration, unit, evidence)
    invitation, invitation_token = invite(centre, people[ADMIN], slug, invitee_name)
    competence_entry = entry_record(
        centre=centre,
        person=people[ASSESSOR],
        details=EntryDetails(
            award=Award.ASSESSING_COMPETENCE,
            status=EntryStatus.HELD,
            achieved_on=datetime.date(2020, 5, 1),
            qualifications=[qualification],
        ),
        actor=people[ADMIN],
    )
    people[EQA] = UserFactory.create(email=f"{slug}.eqa@example.org")
    window, report = visited(registration, people[EQA], unit)
    made = token_create(
        centre=centre, name="MIS", scopes=[s.value for s in Scope], actor=people[ADMIN]
    )
    return Side(
        centre=centre,
        people=people,
        qualification=qualification,
        registration=registration,
        evidence=evidence,
        draft=draft,
        file=draft.files.get(),
        mapping=draft.mappings.get(),
        unit=unit,
        criterion=Criterion.objects.filter(unit=unit).order_by("pk")[0],
        sign_off=sign_off,
        certificate=certificate,
        plan=plan,
        sample=sample,
        action=sample.actions.get(),
        sample_pdf=ready(document_request(sample=sample, actor=people[IQA]), "sample.pdf"),
        plan_pdf=ready(document_request(plan=plan, actor=people[IQA]), "plan.pdf"),
        witness_token=witness_link(registration),
        question_set=question_set_create(
            registration=registration,
            asked=Questions("What you know of complaints", ["Why do they matter?"]),
            actor=people[ASSESSOR],
        ),
        invitation=invitation,
        invitation_token=invitation_token,
        competence_entry=competence_entry,
        # Not the unit signed off: the learner countersigned it, which marked that one read.
        notification=Notification.objects.filter(
            recipient=people[LEARNER], kind=NotificationKind.EVIDENCE_JUDGED
        )[0],
        eqa_window=window,
        eqa_report=report,
        transfer=asked_to_move(registration, people[ADMIN], place),
        prior_learning=exempted(registration, people[ADMIN]),
        api_token=made.token,
        api_secret=made.secret,
        **requirement_records(registration, people[ASSESSOR], evidence),
        prior_learning_item=criterion_rpl(registration, people[ASSESSOR], evidence),
        secrets=[
            learner_name,
            people[LEARNER].email,
            draft.title,
            certificate.number,
            invitee_name,
            invitation.email,
        ],
    )


def requirement_records(
    registration: Registration, assessor: User, evidence: Evidence
) -> dict[str, Any]:
    """An evidence requirement item shown and an occasion recorded on the begun unit, as rows."""
    unit = Unit.objects.get(code=BEGUN_UNIT)
    now = timezone.now()
    shown = RequirementShown.objects.create(
        registration=registration, unit=unit, reference="1a", recorded_by=assessor, recorded_at=now
    )
    shown.evidence.set([evidence])
    record = SufficiencyRecord.objects.create(
        registration=registration,
        unit=unit,
        measure="occasions",
        evidence=evidence,
        description="A Saturday",
        recorded_by=assessor,
        recorded_at=now,
    )
    return {"requirement_shown": shown, "sufficiency_record": record}


EXEMPT_UNIT = "T/506/2126"  # optional, in the plan, neither begun nor signed off


def exempted(registration: Registration, admin: User) -> PriorLearning:
    unit = Unit.objects.get(code=EXEMPT_UNIT)
    details = PriorDetails(
        unit_id=unit.pk,
        description="Level 2 Award in Customer Handling, 2019",
        achieved_on=datetime.date(2019, 6, 1),
    )
    return exemption_record(registration=registration, details=details, actor=admin)


RPL_CRITERION = 4  # of the begun unit's criteria, by id: neither decided nor mapped


def criterion_rpl(
    registration: Registration, assessor: User, evidence: Evidence
) -> PriorLearningItem:
    criterion = Criterion.objects.filter(unit__code=BEGUN_UNIT).order_by("pk")[RPL_CRITERION]
    details = PriorDetails(
        unit_id=criterion.unit_id,
        description="Customer care course, 2020",
        achieved_on=datetime.date(2020, 3, 2),
        evidence=evidence,
    )
    [made] = rpl_items_record(
        registration=registration,
        details=details,
        items=[("criterion", criterion.pk)],
        actor=assessor,
    )
    return made


def asked_to_move(registration: Registration, admin: User, place: str) -> Transfer:
    """A transfer waiting for another centre's answer, made as a row: the service would refuse
    it while the side's IQA action is open (certification.transfers.blockers)."""
    return Transfer.objects.create(
        registration=registration,
        from_centre=registration.centre,
        to_centre=CentreFactory.create(name=f"{place} Annex"),
        reason="The learner moves to the annex.",
        requested_at=timezone.now(),
        requested_by=admin,
    )


def staff(centre: Centre, slug: str, learner_name: str) -> dict[str, User]:
    return {
        LEARNER: person(centre, RoleKind.LEARNER, f"{slug}.learner@example.org", learner_name),
        ASSESSOR: person(centre, RoleKind.ASSESSOR, f"{slug}.assessor@example.org"),
        TRAINEE: person(centre, RoleKind.ASSESSOR, f"{slug}.trainee@example.org", trainee=True),
        IQA: person(centre, RoleKind.IQA, f"{slug}.iqa@example.org"),
        ADMIN: person(centre, RoleKind.CENTRE_ADMIN, f"{slug}.admin@example.org"),
    }


def register(
    centre: Centre, people: dict[str, User], qualification: Qualification, slug: str
) -> Registration:
    details = RegistrationDetails(
        learner=people[LEARNER],
        qualification=qualification,
        start_date=START,
        assessor=people[ASSESSOR],
        iqa=people[IQA],
        ao_registration_number=f"AO-{slug}-4471",
    )
    return registration_create(
        centre=centre, details=details, optional_units=SFJ_ENOUGH, actor=people[ADMIN]
    )


def achieve(registration: Registration, unit: Unit, evidence: Evidence) -> UnitSignOff:
    """The unit met, signed off and countersigned; one criterion of another decided."""
    assessor = registration.assessor
    assert assessor is not None
    judge(registration, assessor, unit, evidence)
    judge(registration, assessor, Unit.objects.get(code=BEGUN_UNIT), evidence, first_only=True)
    sign_off = unit_sign_off(
        registration=registration,
        unit_id=unit.pk,
        signature="Signed by the assessor",
        password=PASSWORD,
        declared=True,
        actor=assessor,
    )
    learner = registration.learner
    return unit_learner_countersign(
        sign_off=sign_off, signature=learner.full_name, declared=True, actor=learner
    )


def quality_assure(
    registration: Registration, unit: Unit, evidence: Evidence
) -> tuple[SamplingPlan, Sample]:
    """A plan for the period, and the unit sampled with an action for the assessor."""
    iqa = registration.iqa
    assert iqa is not None
    plan = plan_generate(
        centre=registration.centre,
        qualification=registration.qualification,
        starts_on=PERIOD[0],
        ends_on=PERIOD[1],
        actor=iqa,
    )
    sample = sample_record(
        registration=registration,
        unit_id=unit.pk,
        decisions=list(Decision.objects.filter(registration=registration, criterion__unit=unit)),
        evidence=[evidence],
        judgement=Finding(True, True, True, True, True, Verdict.ACTION_REQUIRED, "Looked at."),
        actions=[(f"Ask {registration.learner.full_name} about the second call", ON)],
        actor=iqa,
    )
    return plan, sample


def visited(registration: Registration, eqa: User, unit: Unit) -> tuple[EqaAccess, EqaReport]:
    """The AO's external quality assurer's window, open now, with a sample and a report."""
    now = timezone.now()
    window = eqa_access_grant(
        eqa=eqa,
        centre=registration.centre,
        qualification=registration.qualification,
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1),
        actor=ao_desk(),
    )
    eqa_sample_record(
        access=window,
        registration=registration,
        unit=unit,
        looked_at="The signed-off unit's evidence and decisions",
        finding="Sound.",
        actor=eqa,
    )
    report = eqa_report_record(
        access=window,
        summary="Assessment and IQA are sound.",
        actions=[("Date every witness statement", ON)],
        actor=eqa,
    )
    return window, report


def witness_link(registration: Registration) -> str:
    """The secret of a witness's link, asked for by the learner (it is only ever e-mailed)."""
    tokens: list[str] = []

    def link_for(token: str) -> str:
        tokens.append(token)
        return token

    name = registration.learner.full_name
    witness_request_create(
        registration=registration,
        ask=WitnessAsk(
            f"Witness of {name}", f"witness.{registration.pk}@example.org", "Manager", "x"
        ),
        actor=registration.learner,
        link_for=link_for,
    )
    return tokens[0]


def invite(centre: Centre, admin: User, slug: str, name: str) -> tuple[Invitation, str]:
    """A newcomer invited from a CSV file to join as a learner, carrying the registration they
    will have once they accept; and the secret of their link (it is only ever e-mailed)."""
    tokens: list[str] = []

    def link_for(token: str) -> str:
        tokens.append(token)
        return token

    optional = ";".join(SFJ_ENOUGH)
    csv = (
        "learner_email,learner_name,qualification,start_date,optional_units\n"
        f"{slug}.invitee@example.org,{name},{SFJ},{START.isoformat()},{optional}\n"
    )
    result = registration_bulk_create(
        centre=centre, raw=csv.encode(), actor=admin, link_for=link_for
    )
    [invitation] = result.invited
    return invitation, tokens[0]


def person(
    centre: Centre, kind: RoleKind, email: str, name: str = "", trainee: bool = False
) -> User:
    user = UserFactory.create(email=email, **({"full_name": name} if name else {}))
    RoleFactory.create(user=user, centre=centre, kind=kind, is_trainee=trainee)
    return user


def add_evidence(registration: Registration, title: str) -> Evidence:
    details = EvidenceDetails(title, ON, "reflective_account", f"What {title} shows.")
    upload = pdf(extra=title.encode())
    return evidence_add(
        registration=registration,
        details=details,
        files=[upload],
        declared=True,
        actor=registration.learner,
    )


def judge(
    registration: Registration,
    assessor: User,
    unit: Unit,
    evidence: Evidence,
    first_only: bool = False,
) -> None:
    criteria = Criterion.objects.filter(unit=unit).order_by("pk").values_list("pk", flat=True)
    chosen = list(criteria)[:1] if first_only else list(criteria)
    decision_record(
        registration=registration,
        targets=Targets(criteria=frozenset(chosen)),
        judgement=Judgement("met", "observation", ON, "Seen at work."),
        evidence=[evidence],
        actor=assessor,
    )


def ready(document: Any, name: str) -> Any:
    """A PDF as the worker would leave it (the tests do not render PDFs)."""
    document.file.save(name, ContentFile(PDF), save=False)
    status = RenderStatus.READY if isinstance(document, Certificate) else DocumentStatus.READY
    type(document).objects.filter(pk=document.pk).update(file=document.file.name, status=status)
    document.status = status
    return document
