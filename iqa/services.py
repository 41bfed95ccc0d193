"""Planning, sampling and actions. Every write is here, and each is on the audit log."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from assessment.models import Decision, UnitSignOff
from iqa import notices
from iqa.countersigning import sample_provisional
from iqa.models import (
    Action,
    ActionStatus,
    AssessorRisk,
    DocumentStatus,
    IqaDocument,
    PlanItem,
    Risk,
    Sample,
    SamplingPlan,
    SamplingStrategy,
    Stage,
    Verdict,
)
from iqa.planning import Work, propose
from iqa.tasks import queue_document
from iqa.work import work_to_plan
from portal.audit import array_literal, audit_append, ids_literal, lock_chain
from portal.compiled import compiled_once, from_row
from portal.lookups import one_of
from portal.models import Centre, Role, RoleKind, User
from portal.refusals import Refused
from portfolios.models import Evidence, Registration
from portfolios.readiness import readiness_changed
from portfolios.services import holds
from qualifications.models import Qualification

NOT_AN_IQA = "Only an IQA of the centre can plan and sample."
ENDS_BEFORE_START = "The plan ends before it starts."
WRONG_PLAN_ITEM = "That plan item is for another learner or unit."
LOCK_ALREADY_LIFTED = "The lock on this sample was already lifted."
OWN_DECISIONS = (
    "An IQA never samples their own decisions: you decided or countersigned some of this work."
)
NOT_YOURS_TO_SAMPLE = "This learner is neither assigned to you nor in one of your plans."
NOTHING_DECIDED = "There are no decisions on this unit to sample yet."
NO_DECISION_TICKED = "Tick at least one decision to sample."
# Decision 53, amended: a provisional sign-off is not a final decision.
SIGN_OFF_PROVISIONAL = (
    "This unit's sign-off is provisional: it awaits countersignature by a qualified assessor "
    "competent for the unit, so its assessment is not final. Sample it once the sign-off is "
    "countersigned."
)
ACTIONS_NEEDED = "A verdict of 'action required' needs at least one action with a target date."
FEEDBACK_NEEDED = "Write your feedback to the assessor."
# An IQA agrees only with evidence that meets every rule of evidence: "Agree" with a rule unmet
# would tell the EQA both that the assessor was right and that the evidence falls short.
AGREED_AGAINST_THE_RULES = (
    f"You chose {Verdict.AGREE.label}, but did not confirm every rule of evidence: tick the "
    f"rules the evidence meets, or choose {Verdict.ACTION_REQUIRED.label} and set the "
    "assessor's actions."
)
ONLY_THE_ASSESSOR = "Only the assessor whose decisions were sampled responds to the action."
RESPONSE_NEEDED = "Write your response: what you did about the action."
ONLY_THE_SAMPLER = "Only the IQA who raised the action closes it."
NOT_RESPONDED = "The assessor has not responded to this action yet."
ALREADY_CLOSED = "This action is already closed."
ALREADY_RESPONDED = "This response was already sent to the IQA."
ALREADY_PLANNED = "This work is already in the plan."
ALREADY_REMOVED = "This item is no longer in the plan: it was removed already."
SAMPLED_STAYS = "This item has been sampled: it stays in the plan."
ITEM_GONE = (
    "The plan item this sample was for was removed from the plan meanwhile: open the sample "
    "page again from the learner's page."
)
SAMPLE_ALREADY_RECORDED = (
    "This sample is already recorded: the same form was sent twice (a double click, or the page "
    "sent again). Here it is."
)
PLAN_ALREADY_MADE = (
    "This plan is already made: the same form was sent twice (a double click, or the page sent "
    "again). Here it is."
)


def agreed_against_the_rules(verdict: object, rules: Mapping[str, object]) -> bool:
    """Whether a verdict of agree comes with a rule of evidence not met (`rules`: each rule's
    tick, by name, as `Sample.RULES_OF_EVIDENCE` names them)."""
    return verdict == Verdict.AGREE and not all(rules.get(r) for r in Sample.RULES_OF_EVIDENCE)


class IqaRefused(Refused):
    """A plan change, sample, action or lift that cannot be made as asked."""


class AlreadyMade(IqaRefused):
    """The same form sent again: what the first one made is `made`, and nothing new is."""

    def __init__(self, message: str, made: Sample | SamplingPlan) -> None:
        super().__init__(message)
        self.made = made


def require_iqa(actor: User, centre: Centre | int) -> None:
    """Refuse anyone but an IQA of the centre (`holds`, by SQL compiled once per process)."""
    centre_id = centre if isinstance(centre, int) else centre.pk
    if actor is None or actor.pk is None or not _iqa_role(actor.pk, centre_id):
        raise PermissionDenied(NOT_AN_IQA)


@compiled_once
def _iqa_role(user_id: int, centre_id: int) -> QuerySet[Role, Any]:
    """The person's IQA role at the centre, if they hold one (`holds`' condition)."""
    return (
        Role.objects.filter(user_id=user_id, kind=RoleKind.IQA, centre_id=centre_id)
        .order_by()
        .values_list("pk")[:1]
    )


def strategy_for(centre: Centre, qualification: Qualification) -> SamplingStrategy:
    """The centre's strategy for the qualification: the defaults until someone saves it. The
    defaults are not stored (reading a page or making a plan changes nothing), so until then
    the strategy is a row not yet saved, which `strategy_save` saves."""
    found = _strategy(centre.pk, qualification.pk)  # compiled once per process
    if found:
        return from_row(SamplingStrategy, STRATEGY_READ, found[0])
    return SamplingStrategy(centre=centre, qualification=qualification)


STRATEGY_READ = tuple(f.attname for f in SamplingStrategy._meta.concrete_fields)


@compiled_once
def _strategy(centre_id: int, qualification_id: int) -> QuerySet[SamplingStrategy, Any]:
    """`strategy_for`'s read (at most one row: one strategy per centre and qualification)."""
    return (
        SamplingStrategy.objects.filter(centre_id=centre_id, qualification_id=qualification_id)
        .order_by("pk")
        .values_list(*STRATEGY_READ)[:1]
    )


def risk_of(centre: Centre, assessor_ids: Sequence[int]) -> dict[int, str]:
    """Each assessor's risk at the centre: trainee while they are a trainee assessor there,
    else as rated (standard if never rated), in one query (compiled once per process)."""
    found = {
        pk: Risk.TRAINEE if is_trainee else risk or Risk.STANDARD
        for pk, is_trainee, risk in _risks(centre.pk, list(assessor_ids))
    }
    return {a: found.get(a, Risk.STANDARD) for a in assessor_ids}


@compiled_once
def _risks(centre_id: int, assessor_ids: list[int]) -> QuerySet[User, Any]:
    """`risk_of`'s read: each assessor with whether they are a trainee assessor at the centre and
    their rating there, if any."""
    rated = AssessorRisk.objects.filter(centre=centre_id, assessor=OuterRef("pk")).values("risk")
    trainee = Role.objects.filter(
        centre=centre_id, kind=RoleKind.ASSESSOR, is_trainee=True, user=OuterRef("pk")
    )
    return (
        User.objects.filter(pk__in=assessor_ids)
        .order_by()
        .values_list("pk", Exists(trainee), Subquery(rated[:1]))
    )


def plan_generate(
    *,
    centre: Centre,
    qualification: Qualification,
    starts_on: datetime.date,
    ends_on: datetime.date,
    actor: User,
    form_token: uuid.UUID | None = None,
) -> SamplingPlan:
    """A plan for the period, proposed from the strategy: CAMERA coverage and each assessor's
    share. The IQA can then add and remove items by hand. `form_token`: the one the plan's form
    carried; the same form sent again is refused (`AlreadyMade`) rather than making another
    plan."""
    require_iqa(actor, centre)
    if ends_on < starts_on:
        raise IqaRefused(ENDS_BEFORE_START)
    strategy = strategy_for(centre, qualification)
    # The work the IQA may plan (none of it theirs): what `propose` keeps of the whole period's.
    work = work_to_plan(centre, qualification, starts_on, ends_on, actor.pk)
    risks = risk_of(centre, sorted({w.assessor for w in work}))
    stages = [
        stage
        for stage, required in (
            (Stage.INTERIM, strategy.interim_required),
            (Stage.SUMMATIVE, strategy.summative_required),
        )
        if required
    ]
    proposed = propose(
        work,
        percent={a: strategy.percent_for(r) for a, r in risks.items()},
        iqa=actor.pk,
        stages=[str(s) for s in stages],
    )
    with transaction.atomic():
        lock_chain(centre.pk)  # the chain first; the same form sent twice waits here
        # A registration closed since the work was read (a retention run just committed) is
        # left out: what follows would only be refused.
        still_open = {pk for (pk,) in _still_open(sorted({w.registration for w in proposed}))}
        proposed = [w for w in proposed if w.registration in still_open]
        # Only a summative item holds a unit back from a claim (`claim_blockers_of`): marking
        # the registrations with interim items only stale would change nothing but the cost
        # (about three in five of a plan's registrations at the load population).
        readiness_changed(*{w.registration for w in proposed if w.stage == Stage.SUMMATIVE})
        plan = plan_made(
            centre=centre,
            qualification=qualification,
            iqa=actor,
            starts_on=starts_on,
            ends_on=ends_on,
            form_token=form_token,
        )
        items_insert(plan, proposed)
        audit_append(
            actor=actor,
            action="iqa.plan_generated",
            centre_id=plan.centre_id,
            subject=f"plan:{plan.pk}",
            after={"items": len(proposed), "from": starts_on, "to": ends_on},
        )
    plan.items_made = len(proposed)  # what the page says, without counting them again
    return plan


@compiled_once
def _still_open(registrations: list[int]) -> QuerySet[Registration, Any]:
    """Which of these registrations are still open, by SQL compiled once per process (unordered:
    the registrations' order joined every learner's name)."""
    return (
        Registration.objects.open().filter(one_of("pk", registrations)).order_by().values_list("pk")
    )


# The plan's row, unless its form made one already: the unique token's conflict answered by
# PostgreSQL (no row returned) rather than by an error inside a savepoint of its own (`made_once`:
# two statements more, and a model saved field by field).
PLAN_INSERT = " ".join(
    f"""
    INSERT INTO {SamplingPlan._meta.db_table}
        (centre_id, qualification_id, iqa_id, starts_on, ends_on, created_at, form_token)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (form_token) DO NOTHING
    RETURNING id
    """.split()
)


def plan_made(**fields: Any) -> SamplingPlan:
    """`made_once` for a generated plan (`fields`: its centre, qualification, IQA, dates and
    form token): the row as `SamplingPlan.objects.create` writes it, and the plan as it returns
    it (tests/integration/test_plan_generate_on_postgresql.py holds the two to it); the same
    form sent again refused (`AlreadyMade`), naming the plan it made. Elsewhere than
    PostgreSQL, `made_once`."""
    form_token = fields.pop("form_token")
    if connection.vendor != "postgresql":
        return made_once(SamplingPlan, form_token, PLAN_ALREADY_MADE, **fields)
    plan = SamplingPlan(created_at=timezone.now(), form_token=form_token, **fields)
    with connection.cursor() as cursor:
        cursor.execute(
            PLAN_INSERT,
            [
                plan.centre_id,
                plan.qualification_id,
                plan.iqa_id,
                plan.starts_on,
                plan.ends_on,
                plan.created_at,
                plan.form_token,
            ],
        )
        made = cursor.fetchone()
    if made is None:  # the token's: no other column is unique
        raise AlreadyMade(PLAN_ALREADY_MADE, SamplingPlan.objects.get(form_token=form_token))
    plan.pk = made[0]
    plan._state.adding = False
    plan._state.db = connection.alias
    return plan


# A generated plan's items in one statement, as Django's bulk_create writes them on PostgreSQL
# but from the proposed work's values as they are: no model instance made and no field's value
# prepared one at a time for each of a plan's hundreds of items (that cost more than the insert).
# Each column is one array literal (`portal.audit.array_literal`, `ids_literal`), not a list
# psycopg2 writes as ARRAY[...] of a constant each: for a plan's 188 items some 1,300 constants,
# which PostgreSQL took 2 ms more to parse than the statement took to insert them. The plan and
# `by_hand` are the same for every item: given once.
ITEMS_INSERT = " ".join(
    f"""
    INSERT INTO {PlanItem._meta.db_table}
        (plan_id, registration_id, unit_id, assessor_id, methods, stage, by_hand)
    SELECT %s::bigint, *, false FROM UNNEST(
        %s::bigint[], %s::bigint[], %s::bigint[], %s::text[]::jsonb[], %s::varchar[]
    )
    """.split()
)


def items_insert(plan: SamplingPlan, proposed: Sequence[Work]) -> None:
    """Insert the proposed work as the plan's items, in its order (not by hand): the same rows
    as `_item` makes (tests/integration/test_plan_generate_on_postgresql.py holds the two to it)."""
    if connection.vendor != "postgresql":
        PlanItem.objects.bulk_create(_item(plan, w, by_hand=False) for w in proposed)
        return
    if not proposed:
        return
    # Each set of methods as JSON once: a plan's hundreds of items share a few dozen.
    methods = {m: json.dumps(sorted(m)) for m in {w.methods for w in proposed}}
    columns: list[Any] = [
        plan.pk,
        ids_literal([w.registration for w in proposed]),
        ids_literal([w.unit for w in proposed]),
        ids_literal([w.assessor for w in proposed]),
        array_literal([methods[w.methods] for w in proposed]),
        array_literal([str(w.stage) for w in proposed]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(ITEMS_INSERT, columns)


Made = TypeVar("Made", Sample, SamplingPlan)


def made_once(model: type[Made], form_token: uuid.UUID | None, repeat: str, **fields: Any) -> Made:
    """Create the row with its form's token, unless that form already made one: then refuse
    with `repeat`, naming what it made. The token is unique in the database, so this holds
    even for the same form sent in two centres' names at once."""
    try:
        with transaction.atomic():  # a savepoint: the transaction can still look it up
            return model._default_manager.create(form_token=form_token, **fields)
    except IntegrityError:
        made = model._default_manager.filter(form_token=form_token).first() if form_token else None
        if made is None:
            raise
        raise AlreadyMade(repeat, made) from None


def _item(plan: SamplingPlan, work: Work, *, by_hand: bool) -> PlanItem:
    return PlanItem(
        plan=plan,
        registration_id=work.registration,
        unit_id=work.unit,
        assessor_id=work.assessor,
        methods=sorted(work.methods),
        stage=work.stage,
        by_hand=by_hand,
    )


def plan_item_add(*, plan: SamplingPlan, work: Work, actor: User) -> PlanItem:
    if actor.pk != plan.iqa_id:
        raise PermissionDenied(NOT_AN_IQA)
    require_iqa(actor, plan.centre_id)
    if actor.pk in work.deciders:
        raise IqaRefused(OWN_DECISIONS)
    with transaction.atomic():
        # The chain first (the house order); the same work added twice at once waits here and
        # then finds it planned.
        lock_chain(plan.centre_id)
        Registration.objects.lock(work.registration, refused=IqaRefused)
        readiness_changed(work.registration)
        item = _item(plan, work, by_hand=True)
        planned = PlanItem.objects.filter(
            plan=plan, registration_id=item.registration_id, unit_id=item.unit_id, stage=item.stage
        )
        if planned.exists():
            raise IqaRefused(ALREADY_PLANNED)
        item.save()
        audit_append(
            actor=actor,
            action="iqa.plan_item_added",
            centre_id=plan.centre_id,
            subject=f"plan:{plan.pk}",
            after={"registration": work.registration, "unit": work.unit, "stage": work.stage},
        )
    return item


def plan_item_remove(*, item: PlanItem, actor: User) -> None:
    if actor.pk != item.plan.iqa_id:
        raise PermissionDenied(NOT_AN_IQA)
    require_iqa(actor, item.plan.centre_id)
    with transaction.atomic():
        lock_chain(item.plan.centre_id)
        # Read again under the chain, in one query: removed, or sampled, by a request just
        # before this one.
        sampled = Sample.objects.filter(plan_item=OuterRef("pk"))
        found = PlanItem.objects.filter(pk=item.pk).order_by().values_list(Exists(sampled))
        state = next((row[0] for row in found), None)
        if state is None:
            raise IqaRefused(ALREADY_REMOVED)
        if state:
            raise IqaRefused(SAMPLED_STAYS)
        readiness_changed(item.registration_id)
        audit_append(
            actor=actor,
            action="iqa.plan_item_removed",
            centre_id=item.plan.centre_id,
            subject=f"plan:{item.plan_id}",
            before={"registration": item.registration_id, "unit": item.unit_id},
        )
        item.delete()


@dataclass(frozen=True)
class Judgement:
    """What the IQA found: the rules of evidence, the verdict and feedback."""

    valid: bool
    authentic: bool
    current: bool
    sufficient: bool
    reliable: bool
    verdict: str
    feedback: str


def may_sample(actor: User, registration: Registration) -> bool:
    """An IQA samples the registrations assigned to them or included in one of their plans."""
    if registration.iqa_id == actor.pk:
        return True
    return PlanItem.objects.filter(plan__iqa=actor, registration=registration).exists()


def sample_record(
    *,
    registration: Registration,
    unit_id: int,
    decisions: Sequence[Decision],
    evidence: Sequence[Evidence],
    judgement: Judgement,
    actions: Sequence[tuple[str, datetime.date]],
    actor: User,
    plan_item: PlanItem | None = None,
    form_token: uuid.UUID | None = None,
) -> Sample:
    """Record a sample of an assessor's decisions on one unit. The IQA may not have decided or
    countersigned any decision of that unit; sampled decisions are locked from then on.
    `form_token`: the one the sample's form carried; the same form sent again is refused
    (`AlreadyMade`) rather than recorded twice."""
    require_iqa(actor, registration.centre)
    if not may_sample(actor, registration):
        raise PermissionDenied(NOT_YOURS_TO_SAMPLE)
    unit_decisions = _unit_decisions(registration, unit_id)
    if any(actor.pk in (d.decided_by_id, d.countersigned_by_id) for d in unit_decisions):
        raise IqaRefused(OWN_DECISIONS)
    if plan_item is not None and (plan_item.registration_id, plan_item.unit_id) != (
        registration.pk,
        unit_id,
    ):
        raise IqaRefused(WRONG_PLAN_ITEM)
    if not unit_decisions:
        raise IqaRefused(NOTHING_DECIDED)
    chosen = [d for d in decisions if d.pk in {u.pk for u in unit_decisions}]
    if not chosen:
        raise IqaRefused(NO_DECISION_TICKED)
    if not judgement.feedback.strip():
        raise IqaRefused(FEEDBACK_NEEDED)
    if judgement.verdict == Verdict.ACTION_REQUIRED and not [a for a in actions if a[0].strip()]:
        raise IqaRefused(ACTIONS_NEEDED)
    if agreed_against_the_rules(judgement.verdict, judgement.__dict__):
        raise IqaRefused(AGREED_AGAINST_THE_RULES)
    signed = UnitSignOff.objects.in_force().filter(registration=registration, unit_id=unit_id)
    with transaction.atomic():
        lock_chain(registration.centre_id)  # the same form sent twice waits here
        Registration.objects.lock(registration, refused=IqaRefused)
        readiness_changed(registration)
        if plan_item is not None and not PlanItem.objects.filter(pk=plan_item.pk).exists():
            raise IqaRefused(ITEM_GONE)
        if signed.filter(provisional=True).exists():  # read under the lock
            raise IqaRefused(SIGN_OFF_PROVISIONAL)
        sample = made_once(
            Sample,
            form_token,
            SAMPLE_ALREADY_RECORDED,
            plan_item=plan_item,
            registration=registration,
            unit_id=unit_id,
            assessor_id=chosen[0].decided_by_id,
            stage=Stage.SUMMATIVE if signed.exists() else Stage.INTERIM,
            provisional=sample_provisional(actor, registration, unit_id),
            sampled_by=actor,
            sampled_at=timezone.now(),
            **judgement.__dict__,
        )
        sample.decisions.set(chosen)
        sample.evidence.set([e for e in evidence if e.registration_id == registration.pk])
        for text, due in actions:
            if text.strip():
                Action.objects.create(sample=sample, text=text.strip(), due_on=due)
        audit_append(
            actor=actor,
            action="iqa.sampled",
            centre_id=registration.centre_id,
            subject=f"sample:{sample.pk}",
            after={
                "registration": registration.pk,
                "unit": unit_id,
                "decisions": sorted(d.pk for d in chosen),
                "verdict": sample.verdict,
                "actions": len([a for a in actions if a[0].strip()]),
                "provisional": sample.provisional,
            },
        )
        notices.actions_raised(sample)
    return sample


def _unit_decisions(registration: Registration, unit_id: int) -> list[Decision]:
    return list(
        Decision.objects.filter(registration=registration, current=True).filter(
            Q(criterion__unit_id=unit_id)
            | Q(range_item__unit_id=unit_id)
            | Q(knowledge_item__unit_id=unit_id)
        )
    )


def action_respond(*, action: Action, response: str, actor: User) -> Action:
    if actor.pk != action.sample.assessor_id or not holds(
        actor, RoleKind.ASSESSOR, action.sample.registration.centre_id
    ):
        raise PermissionDenied(ONLY_THE_ASSESSOR)
    if not response.strip():
        raise IqaRefused(RESPONSE_NEEDED)
    centre_id = action.sample.registration.centre_id
    with transaction.atomic():
        lock_chain(centre_id)
        Registration.objects.lock(action.sample.registration_id, refused=IqaRefused)
        # Locked and read again, so a close or the same answer meanwhile is seen here.
        action = Action.objects.select_for_update().get(pk=action.pk)
        if action.status == ActionStatus.CLOSED:
            raise IqaRefused(ALREADY_CLOSED)
        if action.status == ActionStatus.RESPONDED and action.response == response.strip():
            raise IqaRefused(ALREADY_RESPONDED)
        before = {"status": action.status, "response": action.response}
        action.status, action.response = ActionStatus.RESPONDED, response.strip()
        action.responded_at = timezone.now()
        action.save(update_fields=["status", "response", "responded_at"])
        audit_append(
            actor=actor,
            action="iqa.action_responded",
            centre_id=centre_id,
            subject=f"action:{action.pk}",
            before=before,
            after={"status": action.status, "response": action.response},
        )
        notices.action_answered(action)
    return action


def action_close(*, action: Action, actor: User) -> Action:
    if actor.pk != action.sample.sampled_by_id:
        raise PermissionDenied(ONLY_THE_SAMPLER)
    require_iqa(actor, action.sample.registration.centre_id)
    centre_id = action.sample.registration.centre_id
    with transaction.atomic():
        lock_chain(centre_id)
        Registration.objects.lock(action.sample.registration_id, refused=IqaRefused)
        readiness_changed(action.sample.registration_id)
        action = Action.objects.select_for_update().get(pk=action.pk)
        if action.status == ActionStatus.CLOSED:
            raise IqaRefused(ALREADY_CLOSED)
        if action.status != ActionStatus.RESPONDED:
            raise IqaRefused(NOT_RESPONDED)
        action.status, action.closed_by, action.closed_at = (
            ActionStatus.CLOSED,
            actor,
            timezone.now(),
        )
        action.save(update_fields=["status", "closed_by", "closed_at"])
        audit_append(
            actor=actor,
            action="iqa.action_closed",
            centre_id=centre_id,
            subject=f"action:{action.pk}",
            before={"status": ActionStatus.RESPONDED},
            after={"status": action.status},
        )
    return action


COMMENT_NEEDED = "Write what is still missing: the assessor reads it before answering again."
DUE_IN_THE_PAST = "Give a new target date from today on, or leave it as it was."


def action_not_accept(
    *, action: Action, comment: str, actor: User, due_on: datetime.date | None = None
) -> Action:
    """The IQA does not accept the assessor's answer: the action is open again with the IQA's
    comment (and a new target date if one is given), for the assessor to answer again."""
    if actor.pk != action.sample.sampled_by_id:
        raise PermissionDenied(ONLY_THE_SAMPLER)
    require_iqa(actor, action.sample.registration.centre_id)
    if not comment.strip():
        raise IqaRefused(COMMENT_NEEDED)
    if due_on is not None and due_on < timezone.localdate():
        raise IqaRefused(DUE_IN_THE_PAST)
    centre_id = action.sample.registration.centre_id
    with transaction.atomic():
        lock_chain(centre_id)
        Registration.objects.lock(action.sample.registration_id, refused=IqaRefused)
        action = Action.objects.select_for_update().get(pk=action.pk)
        if action.status == ActionStatus.CLOSED:
            raise IqaRefused(ALREADY_CLOSED)
        if action.status != ActionStatus.RESPONDED:  # not answered yet, or sent back already
            raise IqaRefused(NOT_RESPONDED)
        before = {"status": action.status, "due_on": action.due_on.isoformat()}
        action.status, action.iqa_comment = ActionStatus.OPEN, comment.strip()
        action.not_accepted_at, action.due_on = timezone.now(), due_on or action.due_on
        action.save(update_fields=["status", "iqa_comment", "not_accepted_at", "due_on"])
        audit_append(
            actor=actor,
            action="iqa.action_not_accepted",
            centre_id=centre_id,
            subject=f"action:{action.pk}",
            before=before,
            after={
                "status": action.status,
                "comment": action.iqa_comment,
                "due_on": action.due_on.isoformat(),
            },
        )
        notices.action_not_accepted(action)
    return action


ONLY_A_CENTRE_ADMIN = "Only a centre admin of the learner's centre can lift a sample's lock."
REASON_NEEDED = "Write why the lock is lifted: the reason is kept with the sample."


def sample_lock_lift(*, sample: Sample, reason: str, actor: User) -> Sample:
    """Let the sampled decisions change again (a centre admin, with a reason). The sample and
    its findings stay as they were."""
    centre = sample.registration.centre
    if not holds(actor, RoleKind.CENTRE_ADMIN, centre):
        raise PermissionDenied(ONLY_A_CENTRE_ADMIN)
    if not reason.strip():
        raise IqaRefused(REASON_NEEDED)
    with transaction.atomic():
        lock_chain(centre.pk)
        Registration.objects.lock(sample.registration_id, refused=IqaRefused)
        sample = Sample.objects.select_for_update().get(pk=sample.pk)
        if sample.lock_lifted_at is not None:
            raise IqaRefused(LOCK_ALREADY_LIFTED)
        sample.lock_lifted_by, sample.lock_lifted_at = actor, timezone.now()
        sample.lock_lift_reason = reason.strip()
        sample.save(update_fields=["lock_lifted_by", "lock_lifted_at", "lock_lift_reason"])
        audit_append(
            actor=actor,
            action="iqa.lock_lifted",
            centre_id=centre.pk,
            subject=f"sample:{sample.pk}",
            after={"reason": sample.lock_lift_reason},
        )
    return sample


def document_request(
    *, actor: User, sample: Sample | None = None, plan: SamplingPlan | None = None
) -> IqaDocument:
    """Ask for a PDF of a sample's report or a plan's sampling record; a task makes it once
    the request is committed. A failed document is asked for again the same way. While the same
    PDF is still being made, asking again is given that one: no other is queued, so asking
    again and again cannot hold up the certificates rendered on the same queue."""
    with transaction.atomic():
        # Requests for the same PDF take turns here (no audit entry, so no chain: this row is
        # the only lock taken), and each sees whether one before it is still pending.
        if sample is not None:
            Sample.objects.select_for_update(no_key=True).filter(pk=sample.pk).first()
            asked = IqaDocument.objects.filter(sample=sample)
        else:
            SamplingPlan.objects.select_for_update(no_key=True).filter(pk=plan.pk).first()  # type: ignore[union-attr]
            asked = IqaDocument.objects.filter(plan=plan)
        pending = asked.filter(status=DocumentStatus.PENDING).order_by("-pk").first()
        if pending is not None:
            return pending
        document = IqaDocument.objects.create(sample=sample, plan=plan, requested_by=actor)
        transaction.on_commit(lambda: queue_document(document.pk))
    return document


def strategy_save(*, form: Any, risks: dict[int, str], actor: User) -> SamplingStrategy:
    """Save the shares and the assessors' risks (trainees stay trainees whatever is sent)."""
    strategy: SamplingStrategy = form.instance
    centre = strategy.centre
    if not (holds(actor, RoleKind.IQA, centre) or holds(actor, RoleKind.CENTRE_ADMIN, centre)):
        raise PermissionDenied(NOT_AN_IQA)
    with transaction.atomic():
        lock_chain(centre.pk)  # the centre's writes take turns: two first saves make one row
        saved = SamplingStrategy.objects.filter(
            centre=centre, qualification=strategy.qualification
        ).first()
        before = {f: getattr(saved or SamplingStrategy(), f) for f in form.fields}
        after = {f: getattr(strategy, f) for f in form.fields}
        rated = dict(
            AssessorRisk.objects.filter(centre=centre, assessor__in=list(risks)).values_list(
                "assessor", "risk"
            )
        )
        changed_risks = {a: r for a, r in risks.items() if rated.get(a, Risk.STANDARD) != r}
        if after == before and not changed_risks:
            return saved or strategy  # the same again (a second click, an unchanged form)
        if saved is not None and strategy.pk is None:  # saved by someone else meanwhile
            strategy.pk, strategy._state.adding = saved.pk, False
        form.save()
        for assessor_id, risk in changed_risks.items():
            AssessorRisk.objects.update_or_create(
                centre=centre, assessor_id=assessor_id, defaults={"risk": risk}
            )
        audit_append(
            actor=actor,
            action="iqa.strategy_saved",
            centre_id=centre.pk,
            subject=f"strategy:{strategy.pk}",
            before=before,
            after={**after, "risks": risks},
        )
    return strategy
