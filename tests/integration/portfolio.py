"""One learner's portfolio for the tests that send requests to a real server: a centre with a
centre admin, an assessor and a learner registered on the SFJ certificate, and one piece of
evidence. Made through the real services, by the tests' fixtures and by
tests/integration/sqlite_portfolio.py in a server's own process."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from portal.models import Centre, RoleKind, User
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import Evidence, Registration
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START
from tests.portfolios.files import pdf


@dataclass
class Portfolio:
    centre: Centre
    assessor: User
    learner: User
    registration: Registration
    evidence: Evidence


def portfolio_made() -> Portfolio:
    """The portfolio, in a database whose catalogue is loaded."""
    centre = CentreFactory.create()
    people = {}
    for kind, email in [
        (RoleKind.CENTRE_ADMIN, "admin@example.org"),
        (RoleKind.ASSESSOR, "assessor@example.org"),
        (RoleKind.LEARNER, "learner@example.org"),
    ]:
        people[kind] = UserFactory.create(email=email)
        RoleFactory.create(user=people[kind], centre=centre, kind=kind)
    registration = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=people[RoleKind.LEARNER],
            qualification=Qualification.objects.get(code="SFJ-L2-CS"),
            start_date=START,
            assessor=people[RoleKind.ASSESSOR],
        ),
        optional_units=SFJ_ENOUGH,
        actor=people[RoleKind.CENTRE_ADMIN],
    )
    evidence = evidence_add(
        registration=registration,
        details=EvidenceDetails("Portfolio", datetime.date(2026, 10, 5), "product"),
        files=[pdf()],
        declared=True,
        actor=people[RoleKind.LEARNER],
    )
    return Portfolio(
        centre, people[RoleKind.ASSESSOR], people[RoleKind.LEARNER], registration, evidence
    )
