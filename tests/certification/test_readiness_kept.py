"""The claim readiness kept on registrations is never shown out of date: after every kind of
change (through the services, the catalogue's models, or the retention run's status update),
each open registration's kept readiness is either marked out of date or equal to a fresh
computation; once refreshed, every one equals it, and the claims page's lists (counted and
paged in the database) hold exactly whom a fresh computation puts in them."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pytest

from assessment.models import Decision, Outcome, UnitSignOff
from assessment.services import (
    DecisionRefused,
    Judgement,
    decision_countersign,
    decision_record,
    unit_learner_countersign,
    unit_sign_off,
    unit_unlock,
)
from assessment.sign_off_countersign import sign_off_countersign
from certification.models import Certificate, Kind
from certification.readiness import (
    ClaimCounts,
    Readiness,
    claim_counts,
    claim_list,
    claimable_registrations,
    readiness_of_many,
    refresh_readiness,
)
from certification.services import (
    ClaimRefused,
    certificate_claim,
    certificate_replace,
    certificate_revoke,
)
from iqa.models import Action, ActionStatus, PlanItem, Sample, SamplingPlan, Stage, Verdict
from iqa.planning import Work
from iqa.services import (
    IqaRefused,
    action_close,
    action_respond,
    plan_generate,
    plan_item_add,
    plan_item_remove,
    sample_lock_lift,
    sample_record,
)
from iqa.services import Judgement as Finding
from portal.models import Centre, RoleKind, User
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import (
    ClaimList,
    ClaimReadiness,
    EvidenceMethod,
    PriorLearning,
    Registration,
)
from portfolios.prior_learning import (
    PriorDetails,
    exemption_record,
    prior_learning_withdraw,
    rpl_record,
)
from portfolios.services import (
    LearnerIdentity,
    RegistrationDetails,
    RegistrationRejected,
    learner_details_change,
    registration_choose_units,
    registration_create,
    registration_transfer_rules,
    registration_withdraw,
)
from privacy.records import LearnerRecords
from privacy.services import close_registrations
from qualifications.models import Criterion, Qualification, QualificationUnit, RuleGroup, Unit
from tests.factories import PASSWORD, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START
from tests.portfolios.files import pdf

# Their centre holds Direct Claims Status: claims are issued at once (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")

ON = datetime.date(2026, 10, 6)
DUE = datetime.date(2026, 11, 30)
CREDITED = "SFJ-CS2-07"  # 5 credits of the 15 optional ones the learners choose
EXTRA = "D/506/2119"  # an optional unit the learners do not choose


@dataclass
class World:
    centre: Centre
    admin: User
    assessor: User
    trainee: User
    iqa: User
    sfj: Qualification
    registrations: list[Registration]
    plan: SamplingPlan
    done: list[str] = field(default_factory=list)

    def fresh(self, pk: int) -> Registration:
        return Registration.objects.select_related("centre", "learner", "qualification").get(pk=pk)


def person(centre: Centre, kind: RoleKind, email: str, **role: object) -> User:
    user = UserFactory.create(email=email)
    RoleFactory.create(user=user, centre=centre, kind=kind, **role)
    return user


@pytest.fixture
def world(centre, centre_admin, assessor, iqa, sfj) -> World:
    trainee = person(centre, RoleKind.ASSESSOR, "trainee@example.org", is_trainee=True)
    registrations = [
        registration_create(
            centre=centre,
            details=RegistrationDetails(
                learner=person(centre, RoleKind.LEARNER, f"learner{n}@example.org"),
                qualification=sfj,
                start_date=START,
                assessor=trainee if n == 2 else assessor,
                iqa=iqa,
            ),
            optional_units=SFJ_ENOUGH,
            actor=centre_admin,
        )
        for n in range(3)
    ]
    plan = SamplingPlan.objects.create(
        centre=centre,
        qualification=sfj,
        iqa=iqa,
        starts_on=START,
        ends_on=datetime.date(2027, 8, 31),
    )
    return World(centre, centre_admin, assessor, trainee, iqa, sfj, registrations, plan)


# What a fresh computation says, and what is kept, in the same shape.
Facts = tuple[bool, bool, list[str], int, list[str], list[str], list[str]]


def facts_of(r: Readiness) -> Facts:
    return (
        r.full_ready,
        r.unit_ready,
        r.claimable_units,
        r.verdict.counted_credits,
        r.full_reasons,
        r.unit_reasons,
        r.held,
    )


def kept_facts(kept: ClaimReadiness) -> Facts:
    return (
        kept.full_ready,
        kept.unit_ready,
        kept.claimable_units,
        kept.counted_credits,
        kept.full_reasons,
        kept.unit_reasons,
        kept.held,
    )


def fresh_readiness(world: World) -> list[Readiness]:
    """A fresh computation for each open registration, in the claims page's order."""
    return readiness_of_many(
        list(
            claimable_registrations(world.centre)
            .select_related("centre", "learner", "qualification")
            .order_by("learner__full_name", "pk")
        )
    )


def check_never_stale(world: World, step: str) -> dict[int, Facts]:
    """Before any page refreshes: each open registration is marked out of date, or what is kept
    is what a fresh computation says. Then refresh, and every one must be; and the claims
    page's lists must be what the fresh computation makes them. Returns the fresh facts."""
    ready = fresh_readiness(world)
    fresh = {r.registration.pk: facts_of(r) for r in ready}
    out_of_date = set(
        claimable_registrations(world.centre).readiness_out_of_date().values_list("pk", flat=True)
    )
    kept = {k.registration_id: k for k in ClaimReadiness.objects.all()}
    for pk, facts in fresh.items():
        if pk not in out_of_date:
            assert kept_facts(kept[pk]) == facts, f"after {step}: registration {pk} kept stale"
    refresh_readiness(world.centre)
    kept = {k.registration_id: k for k in ClaimReadiness.objects.all()}
    assert not claimable_registrations(world.centre).readiness_out_of_date().exists()
    for pk, facts in fresh.items():
        assert kept_facts(kept[pk]) == facts, f"after {step}: registration {pk} refreshed wrong"
    check_lists(world, ready, step)
    return fresh


def check_lists(world: World, ready: list[Readiness], step: str) -> None:
    """The claims page's lists and counts, as kept, are what a fresh computation makes them."""
    claimed = set(
        Certificate.objects.filter(
            registration__in=[r.registration for r in ready], replaces__isnull=True
        ).values_list("registration_id", "kind")
    )
    full, unit, waiting = [], [], []
    for r in ready:
        pk = r.registration.pk
        has_full, has_unit = (pk, Kind.FULL) in claimed, (pk, Kind.UNIT) in claimed
        if r.full_ready and not has_full:
            full.append(pk)
        if r.unit_ready:  # with units not on the unit certificate in force
            unit.append(pk)
        if not (r.full_ready or r.unit_ready or has_full or has_unit):
            waiting.append(pk)
    shown = tuple(
        [k["registration_id"] for k in claim_list(world.centre, which)]
        for which in (ClaimList.FULL, ClaimList.UNIT, ClaimList.WAITING)
    )
    assert shown == (full, unit, waiting), f"after {step}"
    counts = sum((q.counts for q in claim_counts(world.centre)), ClaimCounts())
    assert (counts.full, counts.unit, counts.waiting) == (len(full), len(unit), len(waiting))


# The changes. Each returns what it did, or None where it does not apply now (or was refused,
# changing nothing). Random runs of them: tests/integration/test_readiness_on_postgresql.py.


def planned_units(registration: Registration) -> list[Unit]:
    return [p.unit for p in registration.planned_units.select_related("unit").order_by("unit")]


def sign_off(world: World, registration: Registration, rng: random.Random) -> str | None:
    """Decide a unit's criteria met and sign it off (a trainee's decisions countersigned
    first, and their sign-off after)."""
    signed = set(
        UnitSignOff.objects.in_force()
        .filter(registration=registration)
        .values_list("unit_id", flat=True)
    )
    choices = [u for u in planned_units(registration) if u.pk not in signed]
    if not choices:
        return None
    unit = rng.choice(choices)
    actor = world.fresh(registration.pk).assessor
    assert actor is not None
    try:
        made = decision_record(
            registration=registration,
            targets=Targets(
                criteria=frozenset(Criterion.objects.filter(unit=unit).values_list("pk", flat=True))
            ),
            judgement=Judgement(Outcome.MET, "observation", ON, "Seen at work."),
            evidence=[],
            actor=actor,
        )
    except DecisionRefused:
        made = []  # sampled decisions stay as they are; the unit may still be signed off
    if made and made[0].provisional:
        decision_countersign(decisions=made, actor=world.assessor)
    try:
        signed_off = unit_sign_off(
            registration=registration,
            unit_id=unit.pk,
            signature="Signed",
            password=PASSWORD,
            declared=True,
            actor=actor,
        )
    except DecisionRefused:
        return "decisions recorded and countersigned"
    if signed_off.provisional:  # a trainee's sign-off, countersigned too (decision 53)
        sign_off_countersign(sign_off=signed_off, actor=world.assessor)
    return f"{unit.code} signed off"


def learner_countersign(world: World, registration: Registration, rng: random.Random) -> str | None:
    waiting = list(
        UnitSignOff.objects.in_force().filter(
            registration=registration, learner_signed_at__isnull=True
        )
    )
    if not waiting:
        return None
    sign_off = rng.choice(waiting)
    unit_learner_countersign(
        sign_off=sign_off, signature="Me", declared=True, actor=world.fresh(registration.pk).learner
    )
    return "the learner countersigned a sign-off"


def unlock(world: World, registration: Registration, rng: random.Random) -> str | None:
    signed = list(UnitSignOff.objects.in_force().filter(registration=registration))
    if not signed:
        return None
    unit_unlock(
        sign_off=rng.choice(signed), reason="Recorded against the wrong unit.", actor=world.admin
    )
    return "a sign-off unlocked"


def plan_summative(world: World, registration: Registration, rng: random.Random) -> str | None:
    unit = rng.choice(planned_units(registration))
    work = Work(
        registration=registration.pk,
        learner=registration.learner_id,
        unit=unit.pk,
        assessor=world.assessor.pk,
        methods=frozenset({"observation"}),
        stage=rng.choice([Stage.SUMMATIVE, Stage.INTERIM]),
        deciders=frozenset({world.assessor.pk}),
    )
    try:
        plan_item_add(plan=world.plan, work=work, actor=world.iqa)
    except IqaRefused:
        return None
    return f"{work.stage} sample planned"


def unplan(world: World, registration: Registration, rng: random.Random) -> str | None:
    items = list(PlanItem.objects.filter(registration=registration, samples__isnull=True))
    if not items:
        return None
    plan_item_remove(item=rng.choice(items), actor=world.iqa)
    return "a planned sample removed"


def sample(world: World, registration: Registration, rng: random.Random) -> str | None:
    decided = list(
        Decision.objects.filter(registration=registration, current=True, criterion__isnull=False)
        .values_list("criterion__unit_id", flat=True)
        .distinct()
    )
    if not decided:
        return None
    unit_id = rng.choice(decided)
    decisions = list(
        Decision.objects.filter(registration=registration, current=True, criterion__unit_id=unit_id)
    )
    action_required = rng.random() < 0.6
    try:
        sample_record(
            registration=registration,
            unit_id=unit_id,
            decisions=decisions,
            evidence=[],
            judgement=Finding(
                valid=True,
                authentic=True,
                current=True,
                sufficient=not action_required,
                reliable=True,
                verdict=Verdict.ACTION_REQUIRED if action_required else Verdict.AGREE,
                feedback="Looked at the observation records.",
            ),
            actions=[("Add a witness statement.", DUE)] if action_required else [],
            actor=world.iqa,
        )
    except IqaRefused:
        return None  # e.g. decided by this IQA: never here, but refused changes nothing
    return "a sample with an action" if action_required else "a sample agreed"


def respond(world: World, registration: Registration, rng: random.Random) -> str | None:
    actions = list(
        Action.objects.filter(sample__registration=registration, status=ActionStatus.OPEN)
    )
    if not actions:
        return None
    action = rng.choice(actions)
    action_respond(action=action, response="Added it.", actor=action.sample.assessor)
    return "an action answered"


def close(world: World, registration: Registration, rng: random.Random) -> str | None:
    actions = list(
        Action.objects.filter(sample__registration=registration, status=ActionStatus.RESPONDED)
    )
    if not actions:
        return None
    action_close(action=rng.choice(actions), actor=world.iqa)
    return "an action closed"


def lift(world: World, registration: Registration, rng: random.Random) -> str | None:
    samples = list(Sample.objects.filter(registration=registration, lock_lifted_at__isnull=True))
    if not samples:
        return None
    sample_lock_lift(sample=rng.choice(samples), reason="A decision to correct.", actor=world.admin)
    return "a sample's lock lifted"


def claim(world: World, registration: Registration, rng: random.Random) -> str | None:
    kind = rng.choice([Kind.FULL, Kind.UNIT])
    try:
        certificate_claim(registration=world.fresh(registration.pk), kind=kind, actor=world.admin)
    except ClaimRefused:
        return None
    return f"a {kind} certificate claimed"


def revoke_or_replace(world: World, registration: Registration, rng: random.Random) -> str | None:
    standing = list(
        Certificate.objects.filter(
            registration=registration,
            revoked_at__isnull=True,
            replaced_by__isnull=True,
            superseded_by__isnull=True,
        )
    )
    if not standing:
        return None
    certificate = rng.choice(standing)
    if rng.random() < 0.5:
        certificate_revoke(certificate=certificate, reason="Issued in error.", actor=world.admin)
        return "a certificate revoked"
    certificate_replace(certificate=certificate, reason="Lost.", actor=world.admin)
    return "a certificate replaced"


def choose_units(world: World, registration: Registration, rng: random.Random) -> str | None:
    extra = (
        QualificationUnit.objects.filter(qualification=world.sfj, group__mandatory=False)
        .exclude(unit__code__in=SFJ_ENOUGH)
        .values_list("unit__code", flat=True)
        .first()
    )
    chosen = SFJ_ENOUGH + ([extra] if extra and rng.random() < 0.5 else [])
    try:
        registration_choose_units(
            registration=registration, optional_units=chosen, actor=world.admin
        )
    except RegistrationRejected:
        return None  # the rules changed meanwhile, so the choice no longer meets them
    return "the registration's units chosen again"


def change_rules(world: World, registration: Registration, rng: random.Random) -> str | None:
    """The catalogue changes, as a reload or the admin changes it: the qualification's minimum,
    a group's minimum, or a unit's credits, back and forth."""
    which = rng.choice(["qualification", "group", "unit"])
    if which == "qualification":
        q = Qualification.objects.get(pk=world.sfj.pk)
        q.min_credits = 40 if q.min_credits == 27 else 27
        q.save()
    elif which == "group":
        group = RuleGroup.objects.get(qualification=world.sfj, code="B")
        group.min_credits = 16 if group.min_credits == 13 else 13
        group.save()
    else:
        unit = Unit.objects.get(code=CREDITED)
        unit.credits = 1 if unit.credits == 5 else 5
        unit.save()
    try:  # the registration moved to them, where its units can meet them
        transferred(world, registration)
    except RegistrationRejected:
        return f"the rules changed ({which}), the registration kept its own"
    return f"the rules changed ({which}), the registration moved to them"


def withdraw(world: World, registration: Registration, rng: random.Random) -> str | None:
    """A registration closed the way the retention run closes them."""
    if registration.pk != world.registrations[-1].pk or len(world.done) < 25:
        return None  # late in a run, and only the last one: the others go on
    close_registrations(LearnerRecords(world.fresh(registration.pk).learner))
    return "a registration withdrawn"


CHANGES: list[Callable[[World, Registration, random.Random], str | None]] = [
    sign_off, sign_off, learner_countersign, learner_countersign, unlock, plan_summative,
    unplan, sample, respond, close, lift, claim, claim, revoke_or_replace, choose_units,
    change_rules, withdraw,
]  # fmt: skip


def test_every_kind_of_change_in_turn_is_seen_on_the_next_view(world):
    """Each kind of change, in an order where those that can alter what a registration may
    claim do alter it (so a missing mark would show), checked after each."""
    first, second, by_trainee = world.registrations
    rng = random.Random(0)
    before = check_never_stale(world, "nothing yet")
    # (what, the change, whether it alters readiness here)
    steps: list[tuple[str, Callable[[], object], bool]] = [
        # The lists are in the order of the learners' names, kept with their readiness.
        ("a learner renamed to come first", partial(rename, first, "Aaron Aardvark"), False),
        ("a learner renamed to come last", partial(rename, first, "Zoe Zylberg"), False),
    ]
    steps += [
        (f"{unit.code} achieved", partial(achieve_unit, world, first, unit), True)
        for unit in planned_units(first)
    ]
    steps += [
        ("a summative sample planned", lambda: plan_item_add(
            plan=world.plan, work=summative_work(world, first), actor=world.iqa), True),
        ("the planned sample removed", lambda: unplan(world, first, rng), True),
        ("a sample with an action", lambda: sample_with_action(world, first), True),
        ("the action answered", lambda: respond(world, first, rng), False),
        ("the action closed", lambda: close(world, first, rng), True),
        ("the sample's lock lifted", lambda: lift(world, first, rng), False),
        # The registrations keep the rules they were made under (decision 27): a change to the
        # catalogue alters nothing they are judged by; a transfer to the new rules does.
        ("a group's minimum raised", lambda: set_group_minimum(world, 16), False),
        ("a group's minimum back", lambda: set_group_minimum(world, 13), False),
        ("a unit's credits cut", lambda: set_credits(1), False),
        ("a unit's credits back", lambda: set_credits(5), False),
        ("the qualification's minimum raised", lambda: set_minimum(world, 40), False),
        ("the qualification's minimum back", lambda: set_minimum(world, 27), False),
        ("a unit made mandatory", lambda: set_group(world, EXTRA, "A"), False),
        ("the registration moved to the new rules", lambda: transferred(world, first), True),
        ("a unit certificate claimed", lambda: certificate_claim(
            registration=world.fresh(first.pk), kind=Kind.UNIT, actor=world.admin), False),
        ("the unit optional again", lambda: set_group(world, EXTRA, "B"), False),
        ("the registration moved back", lambda: transferred(world, first), True),
        ("a full certificate claimed", lambda: certificate_claim(
            registration=world.fresh(first.pk), kind=Kind.FULL, actor=world.admin), False),
        ("a certificate replaced", lambda: certificate_replace(
            certificate=standing(first, Kind.FULL), reason="Lost.", actor=world.admin), True),
        ("a certificate revoked", lambda: certificate_revoke(
            certificate=standing(first, Kind.UNIT), reason="In error.", actor=world.admin), False),
        ("a unit unlocked", lambda: unlock(world, first, rng), True),
        ("units chosen again", lambda: choose_units(world, second, rng), False),
        ("a sign-off by the assessor", lambda: sign_off(world, second, rng), False),
        ("the learner's countersignature", lambda: learner_countersign(world, second, rng), True),
        ("a trainee's decisions countersigned, the unit signed off", lambda: sign_off(
            world, by_trainee, rng), False),
        ("the learner's countersignature of the trainee's", lambda: learner_countersign(
            world, by_trainee, rng), True),
        ("a plan generated", lambda: plan_generate(
            centre=world.centre, qualification=world.sfj, starts_on=START,
            ends_on=datetime.date(2027, 8, 31), actor=world.iqa), True),
        # The AO's claim policy, and the learner's details it reads (decision 28).
        ("the AO asks for its registration number", lambda: numbers_asked(world, True), True),
        ("an AO registration number recorded", lambda: record_details(
            world, by_trainee, number="SFJ000001"), True),
        ("an age limit set", lambda: set_age_limit(world, 16), True),
        ("a date of birth recorded", lambda: record_details(
            world, by_trainee, born=datetime.date(2000, 1, 1)), True),
        ("a date of birth corrected under the limit", lambda: record_details(
            world, by_trainee, born=datetime.date.today() - datetime.timedelta(days=15 * 366)),
            True),
        # RPL and exemptions (decision 50): RPL adds a claimable unit, an exemption of a
        # mandatory unit changes what the rules still ask, a withdrawal takes the unit back.
        ("a unit achieved through RPL", lambda: rpl_on(world, second), True),
        ("a mandatory unit exempted", lambda: exempt_mandatory(world, second), True),
        ("the RPL withdrawn", lambda: withdraw_rpl(world, second), True),
        ("the retention run closes a registration", lambda: close_registration(world, second), True),
        ("the centre admin withdraws a registration", lambda: registration_withdraw(
            registration=world.fresh(by_trainee.pk), reason="Left.", actor=world.admin), True),
    ]  # fmt: skip
    for step, change, alters in steps:
        assert change() is not None, f"{step}: did nothing"
        after = check_never_stale(world, step)
        if alters:
            assert after != before, f"{step} altered nothing: a weak step"
        before = after


def open_planned(registration: Registration, mandatory: bool) -> Unit:
    """A unit of the plan neither signed off nor met by prior learning."""
    signed = UnitSignOff.objects.in_force().filter(registration=registration)
    prior = PriorLearning.objects.in_force().filter(registration=registration)
    met = {*signed.values_list("unit", flat=True), *prior.values_list("unit", flat=True)}
    planned = registration.planned_units.filter(mandatory=mandatory).values("unit")
    return Unit.objects.filter(pk__in=planned).exclude(pk__in=met).order_by("code")[0]


def rpl_on(world: World, registration: Registration) -> PriorLearning:
    fresh = world.fresh(registration.pk)
    evidence = evidence_add(
        registration=fresh,
        details=EvidenceDetails("Prior certificate", START, EvidenceMethod.RPL),
        files=[pdf(extra=b"prior learning")],
        declared=True,
        actor=fresh.learner,
    )
    unit = open_planned(fresh, mandatory=False)
    details = PriorDetails(unit.pk, "An award of 2021", datetime.date(2021, 5, 4), evidence)
    return rpl_record(registration=fresh, details=details, actor=world.assessor)


def exempt_mandatory(world: World, registration: Registration) -> PriorLearning:
    fresh = world.fresh(registration.pk)
    unit = open_planned(fresh, mandatory=True)
    details = PriorDetails(unit.pk, "Exempt by the AO", datetime.date(2021, 5, 4))
    return exemption_record(registration=fresh, details=details, actor=world.admin)


def withdraw_rpl(world: World, registration: Registration) -> PriorLearning:
    record = PriorLearning.objects.in_force().get(registration=registration, kind="rpl")
    return prior_learning_withdraw(record=record, reason="Not genuine.", actor=world.admin)


def rename(registration: Registration, name: str) -> str:
    """As the admin site or an account's owner changes a name: the account saved whole."""
    learner = User.objects.get(pk=registration.learner_id)
    learner.full_name = name
    learner.save()
    return name


def numbers_asked(world: World, required: bool) -> bool:
    ao = world.sfj.awarding_organisation
    assert ao is not None
    ao.registration_number_required = required
    ao.save()
    return required


def set_age_limit(world: World, age: int) -> int:
    world.sfj.min_age = age
    world.sfj.save()
    return age


def record_details(
    world: World, registration: Registration, *, number: str | None = None, born=None
) -> list[str]:
    """As the learner's details page records them."""
    fresh = world.fresh(registration.pk)
    given = LearnerIdentity.of(fresh.learner)
    if born is not None:
        given = LearnerIdentity(**{**given.facts(), "date_of_birth": born})
    return learner_details_change(
        registration=fresh,
        given=given,
        funding=fresh.funding,
        ao_registration_number=number,
        actor=world.admin,
    )


def close_registration(world: World, registration: Registration) -> str:
    close_registrations(LearnerRecords(world.fresh(registration.pk).learner))
    return "closed"


def standing(registration: Registration, kind: Kind) -> Certificate:
    return Certificate.objects.get(
        registration=registration, kind=kind, revoked_at__isnull=True, replaced_by__isnull=True
    )


def achieve_unit(world: World, registration: Registration, unit: Unit) -> UnitSignOff:
    decision_record(
        registration=registration,
        targets=Targets(
            criteria=frozenset(Criterion.objects.filter(unit=unit).values_list("pk", flat=True))
        ),
        judgement=Judgement(Outcome.MET, "observation", ON, "Seen at work."),
        evidence=[],
        actor=world.assessor,
    )
    sign_off = unit_sign_off(
        registration=registration,
        unit_id=unit.pk,
        signature="Signed",
        password=PASSWORD,
        declared=True,
        actor=world.assessor,
    )
    return unit_learner_countersign(
        sign_off=sign_off, signature="Me", declared=True, actor=world.fresh(registration.pk).learner
    )


def summative_work(world: World, registration: Registration) -> Work:
    unit = planned_units(registration)[0]
    return Work(
        registration=registration.pk,
        learner=registration.learner_id,
        unit=unit.pk,
        assessor=world.assessor.pk,
        methods=frozenset({"observation"}),
        stage=Stage.SUMMATIVE,
        deciders=frozenset({world.assessor.pk}),
    )


def sample_with_action(world: World, registration: Registration) -> Sample:
    unit = planned_units(registration)[0]
    return sample_record(
        registration=registration,
        unit_id=unit.pk,
        decisions=list(
            Decision.objects.filter(registration=registration, current=True, criterion__unit=unit)
        ),
        evidence=[],
        judgement=Finding(True, True, True, False, True, Verdict.ACTION_REQUIRED, "Thin."),
        actions=[("Add a witness statement.", DUE)],
        actor=world.iqa,
    )


def set_minimum(world: World, credits: int) -> int:
    q = Qualification.objects.get(pk=world.sfj.pk)
    q.min_credits = credits
    q.save()
    return credits


def set_group_minimum(world: World, credits: int) -> int:
    group = RuleGroup.objects.get(qualification=world.sfj, code="B")
    group.min_credits = credits
    group.save()
    return credits


def set_group(world: World, code: str, group: str) -> str:
    """Move a unit of the qualification to another of its groups (A is mandatory)."""
    membership = QualificationUnit.objects.get(qualification=world.sfj, unit__code=code)
    membership.group = RuleGroup.objects.get(qualification=world.sfj, code=group)
    membership.save()
    return group


def transferred(world: World, registration: Registration) -> Registration:
    """The registration moved to the rules as they are now, by its centre admin."""
    return registration_transfer_rules(
        registration=world.fresh(registration.pk), reason="New rules.", actor=world.admin
    )


def set_credits(credits: int) -> int:
    unit = Unit.objects.get(code=CREDITED)
    unit.credits = credits
    unit.save()
    return credits
