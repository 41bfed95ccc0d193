"""The demo centre: people in every role, with a known password, for trying the portal locally."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from certification.models import CentreApproval, DirectClaimsStatus
from certification.services import direct_claims_grant
from certification.transfers import centre_approval_record
from eqa.models import EqaAccess
from eqa.services import eqa_access_grant
from home.demo_activity import demo_activity
from home.demo_competence import demo_competence
from home.demo_prior_learning import demo_prior_learning
from portal.audit import lock_chain
from portal.models import Centre, Invitation, NotificationEmail, Role, RoleKind, User
from portfolios.bulk import registration_bulk_create
from portfolios.models import Funding, Registration
from portfolios.services import (
    LearnerIdentity,
    RegistrationDetails,
    registration_create,
    registration_unit_assessor_change,
)
from qualifications.models import Qualification

DEMO_PASSWORD = "demo-portal-2026"


@dataclass(frozen=True)
class DemoRole:
    centre: str
    kind: RoleKind
    is_trainee: bool = False


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    roles: tuple[DemoRole, ...]
    # Who holds no role at a centre: the portal's own staff, or the AO's external quality
    # assurer (given an access window instead). Said when the demo's accounts are printed.
    described: str = ""
    staff: bool = False


RIVERSIDE = ("Riverside Skills Academy", "RSA-04721")
HARBOUR = ("Harbour Training Centre", "HTC-10388")
CENTRES = (RIVERSIDE, HARBOUR)

PEOPLE = (
    DemoPerson(
        "admin@riverside.test", "Ada Okafor", (DemoRole(RIVERSIDE[0], RoleKind.CENTRE_ADMIN),)
    ),
    DemoPerson(
        "assessor@riverside.test", "Samir Patel", (DemoRole(RIVERSIDE[0], RoleKind.ASSESSOR),)
    ),
    DemoPerson(
        "trainee@riverside.test",
        "Tom Reyes",
        (DemoRole(RIVERSIDE[0], RoleKind.ASSESSOR, is_trainee=True),),
    ),
    # The IQA at Riverside also assesses at Harbour: two roles in two centres, one login.
    DemoPerson(
        "iqa@riverside.test",
        "Grace Mensah",
        (DemoRole(RIVERSIDE[0], RoleKind.IQA), DemoRole(HARBOUR[0], RoleKind.ASSESSOR)),
    ),
    DemoPerson("leo@riverside.test", "Leo Brown", (DemoRole(RIVERSIDE[0], RoleKind.LEARNER),)),
    DemoPerson("mia@riverside.test", "Mia Campbell", (DemoRole(RIVERSIDE[0], RoleKind.LEARNER),)),
    DemoPerson("noah@riverside.test", "Noah Williams", (DemoRole(RIVERSIDE[0], RoleKind.LEARNER),)),
    DemoPerson("zara@riverside.test", "Zara Ahmed", (DemoRole(RIVERSIDE[0], RoleKind.LEARNER),)),
    DemoPerson(
        "admin@harbour.test", "Hannah Lewis", (DemoRole(HARBOUR[0], RoleKind.CENTRE_ADMIN),)
    ),
    DemoPerson("kofi@harbour.test", "Kofi Asante", (DemoRole(HARBOUR[0], RoleKind.LEARNER),)),
    DemoPerson(
        "eqa@proqual.test",
        "Ruth Adeyemi",
        (),
        described="ProQual's external quality assurer, with an access window on the ProQual "
        "diploma at Riverside",
    ),
    DemoPerson(
        "operations@portal.test",
        "Olu Bankole",
        (),
        described="the portal's operations staff (the admin site: Direct Claims Status, EQA "
        "access windows)",
        staff=True,
    ),
)


# A complete choice of optional units for the ProQual diploma (groups B, C and D).
PROQUAL_OPTIONAL = (
    "D/506/2119",
    "H/506/2154",
    "K/506/2155",
    "R/506/2134",
    "Y/506/2135",
    "A/506/2158",
    "L/506/1807",
    "H/506/1814",
    "L/506/1869",
)
# Demo registrations, made when the catalogue is loaded: (learner, qualification, assessor,
# optional units). Grace Mensah is the IQA of each. Every one is on an operational
# qualification: the SFJ certificate is a consultation draft, which can be browsed but takes
# no registrations (docs/lifecycle.md).
REGISTRATIONS = (
    ("leo@riverside.test", "CCA010-02", "assessor@riverside.test", ("U13202",)),
    ("mia@riverside.test", "CCA010-02", "trainee@riverside.test", ("U13402",)),
    ("zara@riverside.test", "601/3576/1", "assessor@riverside.test", PROQUAL_OPTIONAL),
    ("noah@riverside.test", "601/3576/1", "assessor@riverside.test", PROQUAL_OPTIONAL),
)


# The demo learners' identity as their centre records it for the awarding organisation (made-up
# people, ULNs that pass the check digit), and whether each registration is funded. Zara has
# just started: her date of birth, sex and ULN are still to be recorded, and her registration's
# page says so.
IDENTITIES = {
    "leo@riverside.test": LearnerIdentity(
        "Leo James", "Brown", datetime.date(2004, 3, 14), "M", "LS1 4AP", "4312758602"
    ),
    "mia@riverside.test": LearnerIdentity(
        "Mia", "Campbell", datetime.date(1998, 11, 2), "F", "LS6 2QT", "5172093469"
    ),
    "noah@riverside.test": LearnerIdentity(
        "Noah", "Williams", datetime.date(2001, 7, 23), "M", "LS9 8DU", "6283901572"
    ),
    "zara@riverside.test": LearnerIdentity(legal_first_names="Zara", legal_last_name="Ahmed"),
}
# ProQual accepts a claim only for learners registered with it (its claim policy, decision 28):
# Noah's number is recorded, so his achieved unit can be claimed; Zara's is not yet, and her
# registration's page says so.
AO_NUMBERS = {"noah@riverside.test": "PQ2610044"}
FUNDING = {
    "leo@riverside.test": Funding.FUNDED,
    "mia@riverside.test": Funding.NON_FUNDED,
    "noah@riverside.test": Funding.FUNDED,
}


def demo_registrations() -> int:
    """Register the demo learners, once; returns how many registrations were made."""
    centre = Centre.objects.get(ao_centre_number=RIVERSIDE[1])
    admin = User.objects.get(email="admin@riverside.test")
    iqa = User.objects.get(email="iqa@riverside.test")
    made = 0
    for learner_email, code, assessor_email, optional in REGISTRATIONS:
        qualification = Qualification.objects.filter(code=code).first()
        learner = User.objects.get(email=learner_email)
        if (
            qualification is None
            or Registration.objects.filter(learner=learner, qualification=qualification).exists()
        ):
            continue
        details = RegistrationDetails(
            learner=learner,
            qualification=qualification,
            start_date=datetime.date(2026, 9, 1),
            assessor=User.objects.get(email=assessor_email),
            iqa=iqa,
            planned_end_date=datetime.date(2027, 7, 31),
            funding=FUNDING.get(learner_email, ""),
            ao_registration_number=AO_NUMBERS.get(learner_email, ""),
            identity=IDENTITIES.get(learner_email),
        )
        registration_create(centre=centre, details=details, optional_units=optional, actor=admin)
        made += 1
    return made


# One unit given an assessor of its own (decision 39): Zara's customer service unit is Tom
# Reyes's (a trainee, so Samir countersigns him) while Samir assesses the rest of her diploma.
# Tom finds Zara in his caseload; her unit's page and the tracker name him.
UNIT_ALLOCATION = ("zara@riverside.test", "601/3576/1", "D/506/2119", "trainee@riverside.test")


def demo_unit_allocation() -> None:
    """Give Zara's unit to Tom, once (not again while any unit of hers has its own assessor)."""
    learner, code, unit_code, assessor = UNIT_ALLOCATION
    registration = Registration.objects.filter(
        learner__email=learner, qualification__code=code
    ).first()
    if registration is None or registration.planned_units.filter(assessor__isnull=False).exists():
        return
    planned = registration.planned_units.filter(unit__code=unit_code).select_related("unit")
    if (found := planned.first()) is None:
        return
    registration_unit_assessor_change(
        registration=registration,
        unit=found.unit,
        assessor=User.objects.get(email=assessor),
        actor=User.objects.get(email="admin@riverside.test"),
    )


# A learner invited from a CSV file, who has not answered yet: the centre admin's Invitations
# page shows her, and her e-mail (printed when the demo is made) carries the link.
INVITED_CSV = (
    "learner_email,learner_name,qualification,assessor_email,iqa_email,start_date,optional_units,"
    "funding,legal_first_names,legal_last_name,date_of_birth,sex,postcode,uln\n"
    "priya@riverside.test,Priya Shah,601/3576/1,assessor@riverside.test,iqa@riverside.test,"
    f"2026-09-01,{';'.join(PROQUAL_OPTIONAL)},funded,Priya,Shah,19/05/2003,F,ls2 7hy,"
    "7394012688\n"
)


def demo_invitation() -> None:
    """Invite Priya from a CSV file, once (not again while she has an invitation or account)."""
    email = "priya@riverside.test"
    centre = Centre.objects.get(ao_centre_number=RIVERSIDE[1])
    if (
        not Qualification.objects.filter(code="601/3576/1").exists()
        or Invitation.objects.filter(email=email).exists()
        or User.objects.filter(email=email).exists()
    ):
        return
    registration_bulk_create(
        centre=centre,
        raw=INVITED_CSV.encode(),
        actor=User.objects.get(email="admin@riverside.test"),
        link_for=lambda token: settings.PUBLIC_URL + reverse("invitation-accept", args=[token]),
    )


def demo_seed() -> list[DemoPerson]:
    """Create the demo centres and people, or bring them back to their demo state.

    Running it again changes nothing but the demo passwords, which it resets.
    """
    with transaction.atomic():
        centres = {
            name: Centre.objects.update_or_create(ao_centre_number=number, defaults={"name": name})[
                0
            ]
            for name, number in CENTRES
        }
    with transaction.atomic():
        # The centres' chains before anything else, as every write of the portal takes them.
        for pk in sorted(centre.pk for centre in centres.values()):
            lock_chain(pk)
        demo_people(centres)
        # The demo's work in progress happened before the demo begins: it fills the inboxes but
        # e-mails no one now (the console would print twenty messages); what people do next
        # is e-mailed as each person's setting says (each event, by default).
        people = User.objects.filter(email__in=[p.email for p in PEOPLE])
        people.update(notification_email=NotificationEmail.NONE)
        demo_competence()
        demo_registrations()
        demo_unit_allocation()
        demo_activity(password=DEMO_PASSWORD)
        demo_prior_learning()
        people.update(notification_email=NotificationEmail.EACH)
        demo_invitation()
        demo_quality_assurance()
        demo_approvals()
    return list(PEOPLE)


def demo_approvals() -> None:
    """Both demo centres approved for every qualification the demo's learners take, so a
    centre admin can transfer a learner from one to the other (decision 40)."""
    operations = User.objects.get(email="operations@portal.test")
    taken = Qualification.objects.filter(registrations__isnull=False).distinct()
    for number in (RIVERSIDE[1], HARBOUR[1]):
        centre = Centre.objects.get(ao_centre_number=number)
        approved = CentreApproval.objects.filter(centre=centre).values("qualification")
        for qualification in taken.exclude(pk__in=approved):
            centre_approval_record(
                centre=centre,
                qualification=qualification,
                approved_on=datetime.date(2025, 9, 1),
                note="Approved by the awarding organisation (demo).",
                actor=operations,
            )


# External quality assurance (docs/eqa.md, decision 29). The CVQ's awarding body has granted
# Riverside Direct Claims Status, so Leo's full certificate is issued as soon as it is claimed;
# ProQual has not, so a claim for Noah's unit is held until Ruth Adeyemi, ProQual's external
# quality assurer, samples and releases it: her access window on the diploma at Riverside opened
# yesterday and closes by itself four weeks later (made again when the demo is run after that).
DIRECT_CLAIMS = "CCA010-02"
EQA_WINDOW = ("eqa@proqual.test", "601/3576/1")


def demo_quality_assurance() -> None:
    centre = Centre.objects.get(ao_centre_number=RIVERSIDE[1])
    operations = User.objects.get(email="operations@portal.test")
    direct = Qualification.objects.filter(code=DIRECT_CLAIMS).first()
    if direct is not None and not DirectClaimsStatus.objects.held_by(centre.pk, direct.pk):
        direct_claims_grant(
            centre=centre,
            qualification=direct,
            note="Granted by the awarding body after the centre's approval visit (demo).",
            actor=operations,
        )
    email, code = EQA_WINDOW
    sampled = Qualification.objects.filter(code=code).first()
    eqa = User.objects.get(email=email)
    if sampled is None or EqaAccess.objects.open_now().filter(eqa=eqa, centre=centre).exists():
        return
    now = timezone.now()
    eqa_access_grant(
        eqa=eqa,
        centre=centre,
        qualification=sampled,
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=28),
        note="Demo: the diploma's sampling visit.",
        actor=operations,
    )


def demo_people(centres: dict[str, Centre]) -> None:
    for person in PEOPLE:
        user, _ = User.objects.update_or_create(
            email=person.email,
            defaults={
                "full_name": person.full_name,
                "is_active": True,
                "is_staff": person.staff,
                "is_superuser": person.staff,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        for role in person.roles:
            Role.objects.update_or_create(
                user=user,
                centre=centres[role.centre],
                kind=role.kind,
                defaults={"is_trainee": role.is_trainee},
            )
