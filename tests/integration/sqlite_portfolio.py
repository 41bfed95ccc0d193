"""Run in a subprocess on the local default (SQLite, tasks in-process): a centre with an
assessor, a learner registered on the SFJ certificate and one piece of evidence. Prints the ids
the concurrent-request test needs as JSON.

    DJANGO_SETTINGS_MODULE=portal.settings PORTAL_VAR_DIR=/tmp/x python -m tests.integration.sqlite_portfolio
"""

from __future__ import annotations

import datetime
import json

import django


def main() -> None:
    django.setup()
    from portal.models import RoleKind
    from portfolios.evidence import EvidenceDetails, evidence_add
    from portfolios.services import RegistrationDetails, registration_create
    from qualifications.models import Criterion, Qualification
    from tests.factories import CentreFactory, RoleFactory, UserFactory
    from tests.portfolios.conftest import SFJ_ENOUGH, START
    from tests.portfolios.files import pdf

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
    criteria = Criterion.objects.filter(unit__in=registration.planned_units.values("unit_id"))
    print(
        json.dumps(
            {
                "registration": registration.pk,
                "evidence": evidence.pk,
                "assessor": people[RoleKind.ASSESSOR].email,
                "criteria": list(criteria.order_by("pk").values_list("pk", flat=True)),
            }
        )
    )


if __name__ == "__main__":
    main()
