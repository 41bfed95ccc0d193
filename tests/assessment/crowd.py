"""Many learners and many decisions made in bulk, for the tests that compare a page's queries
with a few and with many: what the services would make, without their cost per row."""

from __future__ import annotations

import datetime

from django.utils import timezone

from assessment.kept import keep_decided_work
from assessment.models import Decision, Outcome
from portal.models import Role, RoleKind, User
from portfolios.models import Registration, RegistrationUnit
from qualifications.models import Criterion

ON = datetime.date(2026, 10, 6)


def many_learners(
    registration: Registration, n: int, *, assessor: User | None = None, prefix: str = "bulk"
) -> list[Registration]:
    """n more learners on the same qualification and plan as `registration` (and its assessor,
    unless another is given), in bulk."""
    users = User.objects.bulk_create(
        User(email=f"{prefix}{i}@example.org", full_name=f"Learner {i:03d}") for i in range(n)
    )
    Role.objects.bulk_create(
        Role(user=u, centre=registration.centre, kind=RoleKind.LEARNER) for u in users
    )
    regs = Registration.objects.bulk_create(
        Registration(
            learner=u,
            centre=registration.centre,
            qualification=registration.qualification,
            pinned_rules_id=registration.pinned_rules_id,
            assessor=assessor or registration.assessor,
            iqa=registration.iqa,
            start_date=registration.start_date,
            planned_end_date=datetime.date(2027, 7, 31),
        )
        for u in users
    )
    plan = list(registration.planned_units.all())
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=r, unit=p.unit, mandatory=p.mandatory)
        for r in regs
        for p in plan
    )
    return regs


def decisions_on(
    registrations: list[Registration],
    by: User,
    per_registration: int,
    *,
    after: int = 0,
    provisional: bool = False,
    on: datetime.date = ON,
    method: str = "observation",
) -> list[Decision]:
    """`per_registration` current, met decisions by `by` on the criteria of each registration's
    plan (from the first, or `after` the first few), in bulk, with the work kept for the IQA
    written again as the services write it."""
    made = []
    for registration in registrations:
        planned = registration.planned_units.values("unit_id")
        found = Criterion.objects.filter(unit__in=planned).order_by("unit__code", "pk")
        for c in found[after : after + per_registration]:
            made.append(
                Decision(
                    registration=registration,
                    criterion=c,
                    outcome=Outcome.MET,
                    method=method,
                    assessed_on=on,
                    decided_by=by,
                    decided_at=timezone.now(),
                    provisional=provisional,
                )
            )
    made = Decision.objects.bulk_create(made)
    keep_decided_work(r.pk for r in registrations)
    return made
