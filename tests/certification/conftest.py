import datetime

import pytest

from assessment.services import Judgement, decision_record, unit_learner_countersign, unit_sign_off
from certification.models import CentreApproval, DirectClaimsStatus, Transfer
from certification.transfers import transfer_start
from portal.models import Centre, Role, RoleKind, User
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import Registration, RegistrationUnit
from qualifications.models import Criterion, KnowledgeItem, RangeItem
from tests.factories import (
    PASSWORD,
    CentreFactory,
    RoleFactory,
    UserFactory,
    grant_direct_claims,
    meet_requirements,
)
from tests.portfolios.conftest import registration, sfj
from tests.portfolios.files import pdf

__all__ = ["registration", "sfj"]


@pytest.fixture
def direct_claims(centre, catalogue_db) -> list[DirectClaimsStatus]:
    """For the tests of what an issued certificate is and does (tests/eqa/ test claims held
    without it)."""
    grant_direct_claims(centre)
    return list(DirectClaimsStatus.objects.filter(centre=centre))


def achieve(registration, assessor, codes=None):
    """Meet, sign off and countersign units of the registration (all planned ones by default)."""
    learner = registration.learner
    details = EvidenceDetails("Portfolio", datetime.date(2026, 10, 5), "product")
    evidence = evidence_add(
        registration=registration,
        details=details,
        files=[pdf(extra=str(codes).encode())],
        declared=True,
        actor=learner,
    )
    planned = registration.planned_units.select_related("unit")
    for p in planned:
        if codes is not None and p.unit.code not in codes:
            continue
        unit = p.unit
        targets = Targets(
            criteria=frozenset(Criterion.objects.filter(unit=unit).values_list("pk", flat=True)),
            range_items=frozenset(RangeItem.objects.filter(unit=unit).values_list("pk", flat=True)),
            knowledge_items=frozenset(
                KnowledgeItem.objects.filter(unit=unit).values_list("pk", flat=True)
            ),
        )
        decision_record(
            registration=registration,
            targets=targets,
            judgement=Judgement("met", "product", datetime.date(2026, 10, 6)),
            evidence=[evidence],
            actor=assessor,
        )
        # Its evidence requirements and sufficiency recorded, its conditions ticked (decision 52).
        conditions = meet_requirements(registration, unit, [evidence])
        sign_off = unit_sign_off(
            registration=registration,
            unit_id=unit.pk,
            signature="Samir Patel",
            password=PASSWORD,
            declared=True,
            actor=assessor,
            conditions=conditions,
        )
        unit_learner_countersign(
            sign_off=sign_off, signature=learner.full_name, declared=True, actor=learner
        )


def more_learners(registration: Registration, n: int, tag: str) -> list[Registration]:
    """n more learners ("Learner <tag> 000"...) on the same qualification, centre, assessor and
    units as `registration`, in bulk: nothing achieved yet."""
    users = User.objects.bulk_create(
        User(email=f"{tag}{i}@example.org", full_name=f"Learner {tag} {i:03d}") for i in range(n)
    )
    Role.objects.bulk_create(
        Role(user=u, centre=registration.centre, kind=RoleKind.LEARNER) for u in users
    )
    made = Registration.objects.bulk_create(
        Registration(
            learner=u,
            centre=registration.centre,
            qualification=registration.qualification,
            pinned_rules_id=registration.pinned_rules_id,
            assessor=registration.assessor,
            iqa=registration.iqa,
            start_date=registration.start_date,
        )
        for u in users
    )
    plan = list(registration.planned_units.all())
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=r, unit=p.unit, mandatory=p.mandatory)
        for r in made
        for p in plan
    )
    return made


@pytest.fixture
def achieved(registration, assessor):
    achieve(registration, assessor)
    return registration


REASON = "Moved to Leeds: carries on with the new employer's centre."


def person(centre: Centre, kind: RoleKind, email: str) -> User:
    user = UserFactory.create(email=email)
    RoleFactory.create(user=user, centre=centre, kind=kind)
    return user


@pytest.fixture
def northgate(catalogue_db, sfj) -> Centre:
    """The receiving centre, approved by the AO for the learner's qualification."""
    centre = CentreFactory.create(name="Northgate College")
    CentreApproval.objects.create(
        centre=centre, qualification=sfj, approved_on=datetime.date.today()
    )
    return centre


@pytest.fixture
def their_admin(northgate) -> User:
    return person(northgate, RoleKind.CENTRE_ADMIN, "admin@northgate.example.org")


@pytest.fixture
def their_assessor(northgate) -> User:
    return person(northgate, RoleKind.ASSESSOR, "assessor@northgate.example.org")


@pytest.fixture
def their_iqa(northgate) -> User:
    return person(northgate, RoleKind.IQA, "iqa@northgate.example.org")


@pytest.fixture
def asked(registration, northgate, centre_admin) -> Transfer:
    return transfer_start(
        registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
    )
