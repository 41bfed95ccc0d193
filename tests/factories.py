"""factory_boy factories for the models the tests build on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import factory

from portal.models import Centre, Role, RoleKind, User

if TYPE_CHECKING:
    from portfolios.models import Evidence, Registration
    from qualifications.models import Unit

PASSWORD = "correct-horse-battery"
FIRST = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla", "Jonah", "Kai"]
LAST = ["Adams", "Baker", "Clarke", "Davies", "Evans", "Foster", "Green", "Hughes", "Iqbal", "Jones",
        "Khan", "Lewis", "Morgan"]  # fmt: skip


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    # Names from fixed lists, not Faker: a random "O'Neill" once in a while turned an assertion on
    # the page (where the apostrophe is escaped) into a flaky test. Escaping has its own tests.
    full_name = factory.Sequence(lambda n: f"{FIRST[n % len(FIRST)]} {LAST[n * 7 % len(LAST)]}")
    password = factory.django.Password(PASSWORD)


class CentreFactory(factory.django.DjangoModelFactory[Centre]):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Centre {n}")
    ao_centre_number = factory.Sequence(lambda n: f"C{n:05d}")


class RoleFactory(factory.django.DjangoModelFactory[Role]):
    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    kind = RoleKind.LEARNER


def ao_desk() -> User:
    """The portal's staff member who records what awarding organisations grant: Direct Claims
    Status and external quality assurers' access (decision 29)."""
    return UserFactory.create(email="ao.desk@example.org", full_name="AO Desk", is_staff=True)


def grant_direct_claims(centre: Centre) -> None:
    """The centre holds Direct Claims Status for every qualification: its claims are issued at
    once, without waiting for an external quality assurer (decision 29)."""
    from certification.services import direct_claims_grant
    from qualifications.models import Qualification

    for qualification in Qualification.objects.all():
        direct_claims_grant(centre=centre, qualification=qualification, actor=ao_desk())


def meet_requirements(
    registration: Registration, unit: Unit | int, evidence: Sequence[Evidence] = ()
) -> list[str]:
    """Record, as the unit's assessor would, every evidence requirement item of the unit as
    shown and every sufficiency rule as met (decision 52): items and occasions on the learner's
    real-work evidence for the unit (`evidence`, or any found for it), with more pieces added by
    the learner where a rule asks for more; a period by the assessor's judgement. Returns the
    numbers of the unit's conditions, which the sign-off ticks."""
    import datetime

    from assessment.requirements_met import evidence_on_unit, tracked
    from assessment.services import requirement_show, sufficiency_record
    from portfolios.evidence import evidence_write
    from portfolios.mapping import Targets, mapping_propose
    from portfolios.models import EvidenceSetting
    from qualifications.models import Criterion

    unit_id = unit if isinstance(unit, int) else unit.pk
    assessor_id = registration.unit_assessors().get(unit_id)
    assert assessor_id is not None, "the unit has an assessor"
    assessor = User.objects.get(pk=assessor_id)
    state = tracked(registration, unit_id)
    pieces = [e for e in evidence if e.setting != EvidenceSetting.SIMULATED] or [
        e
        for e in evidence_on_unit(registration, unit_id).order_by("pk")
        if e.setting != EvidenceSetting.SIMULATED
    ]
    wanted = max([s.rule.minimum or 0 for s in state.rules] + [1 if state.items else 0])
    criterion = Criterion.objects.filter(unit_id=unit_id).order_by("position").first()
    while len(pieces) < wanted:
        piece = evidence_write(
            registration=registration,
            title=f"Another customer, another occasion {len(pieces) + 1}",
            occurred_on=datetime.date.today(),
            text="At work with another customer, on another day.",
            declared=True,
            actor=registration.learner,
        )
        assert criterion is not None
        mapping_propose(
            evidence=piece,
            targets=Targets(criteria=frozenset({criterion.pk})),
            actor=registration.learner,
        )
        pieces.append(piece)
    for i in state.items:
        if i.shown is None:
            requirement_show(
                registration=registration,
                unit_id=unit_id,
                reference=i.item.reference,
                evidence=[pieces[0].pk],
                actor=assessor,
            )
    for s in state.rules:
        if s.met:
            continue
        if s.rule.minimum is None:
            sufficiency_record(
                registration=registration,
                unit_id=unit_id,
                measure=s.rule.measure,
                evidence=None,
                description="Evidence over several weeks of real work.",
                actor=assessor,
            )
            continue
        for n, piece in enumerate(pieces[: s.rule.minimum]):
            sufficiency_record(
                registration=registration,
                unit_id=unit_id,
                measure=s.rule.measure,
                evidence=piece.pk,
                description=f"{s.rule.get_measure_display()} {n + 1}",
                actor=assessor,
            )
    return [r.number for r in state.conditions]
