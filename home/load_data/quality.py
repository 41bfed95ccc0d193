"""The centre's internal quality assurance, made from the learners' stories as the IQA services
make it: a strategy per qualification with the assessors' risks; summative samples of some
signed-off units through the year; a plan for the last quarter proposed by the real planner
(`iqa.planning.propose`) from the work of that period; samples of part of it; and actions
raised, answered and closed.

A sample takes only decisions that stay as they are afterwards (current to this day and not
waiting for a countersignature), because sampled decisions are locked; an IQA never decides,
so never samples their own decisions. Certified learners' samples all agree, and every
summative item planned for them is sampled: nothing stands in the way of their claims.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from home.load_data.context import CentreContext, DecisionMade, LearnerStory, Person
from home.load_data.journeys import CERTIFIED
from home.load_data.writer import SAMPLE_DECISIONS, SAMPLE_EVIDENCE
from iqa.models import (
    Action,
    AssessorRisk,
    PlanItem,
    Risk,
    Sample,
    SamplingPlan,
    SamplingStrategy,
    Stage,
    Verdict,
)
from iqa.planning import Work, propose

STRATEGY_DEFAULTS = {
    "trainee_percent": 100,
    "new_percent": 50,
    "standard_percent": 25,
    "experienced_percent": 10,
    "interim_required": True,
    "summative_required": True,
}
# What the centres chose instead: a fifth of a standard assessor's work rather than a quarter.
STRATEGY = {**STRATEGY_DEFAULTS, "standard_percent": 20}
PLAN_DAYS = 100  # the plan covers the work of about the last quarter
PLANNED_DAYS_AGO = 2
SAMPLED_SHARE = {Stage.SUMMATIVE: 0.7, Stage.INTERIM: 0.4}
YEAR_SAMPLE_CHANCE = 0.08  # a signed-off unit sampled during the year, outside any plan
ACTION_CHANCE = 0.15
ACTION_STATES = (("open", 0.4), ("responded", 0.3), ("closed", 0.3))
AGREE_FEEDBACK = "Decisions are valid and well supported by the evidence."
ACTION_FEEDBACK = "Mostly sound; see the actions before the unit is claimed."
ACTION_TEXTS = (
    "Record which evidence supports each criterion in your decision feedback.",
    "Date every observation record and say where it took place.",
)
RESPONSE = "Done: feedback updated and records dated."


@dataclass
class IqaRecord:
    """What IQA holds on one registration, as `iqa.selectors.claim_blockers` reads it."""

    planned_summative: set[int] = field(default_factory=set)
    sampled_summative: set[int] = field(default_factory=set)
    unclosed_actions: set[int] = field(default_factory=set)

    def blocked_units(self) -> set[int]:
        return self.unclosed_actions | (self.planned_summative - self.sampled_summative)


class QualityAssurance:
    def __init__(self, ctx: CentreContext) -> None:
        self.ctx, self.rng = ctx, ctx.rng
        self.records: dict[int, IqaRecord] = defaultdict(IqaRecord)
        self.risks: dict[int, str] = {}

    def do(self) -> dict[int, IqaRecord]:
        self.rate_assessors()
        by_qualification: dict[int, list[LearnerStory]] = defaultdict(list)
        for story in self.ctx.stories:
            by_qualification[story.qualification.id].append(story)
        for n, (qualification, stories) in enumerate(sorted(by_qualification.items())):
            self.save_strategy(qualification, first=n == 0)
            for story in stories:
                self.year_samples(story)
        for n, (qualification, stories) in enumerate(sorted(by_qualification.items())):
            iqa = self.ctx.iqas[n % len(self.ctx.iqas) + 1]
            self.plan(qualification, stories, iqa)
        return self.records

    def rate_assessors(self) -> None:
        """Trainees are trainee risk; assessor2 is experienced, the last (if qualified) new."""
        assessors = self.ctx.assessors
        for person in assessors.values():
            self.risks[person.id] = (Risk.TRAINEE if person.trainee else Risk.STANDARD).value
        if len(assessors) >= 3 and not assessors[2].trainee:
            self.risks[assessors[2].id] = Risk.EXPERIENCED.value
        last = assessors[len(assessors)]
        if len(assessors) >= 4 and not last.trainee:
            self.risks[last.id] = Risk.NEW.value

    def percent(self, assessor: int) -> int:
        return int(STRATEGY[f"{self.risks[assessor]}_percent"])

    def save_strategy(self, qualification: int, *, first: bool) -> None:
        """As `strategy_save` saves it, by the first IQA: the risks rated with the first."""
        ctx = self.ctx
        at, iqa = ctx.now - timedelta(days=720), ctx.iqas[1]
        strategy = ctx.batch.add(
            SamplingStrategy, centre_id=ctx.centre_id, qualification_id=qualification, **STRATEGY
        )
        posted = {str(a): risk for a, risk in sorted(self.risks.items()) if risk != Risk.TRAINEE}
        if first:
            for assessor, risk in self.risks.items():
                if risk in (Risk.NEW, Risk.EXPERIENCED):
                    ctx.batch.add(
                        AssessorRisk, centre_id=ctx.centre_id, assessor_id=assessor, risk=risk
                    )
        ctx.batch.record(
            at,
            iqa.id,
            "iqa.strategy_saved",
            f"strategy:{strategy}",
            before=STRATEGY_DEFAULTS,
            after={**STRATEGY, "risks": posted},
        )

    def year_samples(self, story: LearnerStory) -> None:
        """Summative samples of signed-off units during the year, by the learner's IQA."""
        latest = self.ctx.now - timedelta(days=PLANNED_DAYS_AGO + 1)
        for sign_off in story.sign_offs.values():
            if self.rng.random() >= YEAR_SAMPLE_CHANCE:
                continue
            at = sign_off.at + timedelta(days=self.rng.uniform(1, 10))
            if at < latest:
                self.sample(story, sign_off.unit, at, story.iqa, plan_item=None)

    def plan(self, qualification: int, stories: list[LearnerStory], iqa: Person) -> None:
        """A plan for the period, proposed from the strategy as `plan_generate` proposes it."""
        ctx = self.ctx
        made = ctx.now - timedelta(days=PLANNED_DAYS_AGO)
        starts, ends = (made - timedelta(days=PLAN_DAYS)).date(), made.date()
        work = [w for story in stories for w in work_of(story, starts, made)]
        if not work:
            return
        proposed = propose(
            work,
            percent={w.assessor: self.percent(w.assessor) for w in work},
            iqa=iqa.id,
            stages=[Stage.INTERIM.value, Stage.SUMMATIVE.value],
        )
        plan = ctx.batch.add(
            SamplingPlan,
            centre_id=ctx.centre_id,
            qualification_id=qualification,
            iqa_id=iqa.id,
            starts_on=starts,
            ends_on=ends,
            created_at=made,
            form_token=None,
        )
        ctx.batch.record(
            made,
            iqa.id,
            "iqa.plan_generated",
            f"plan:{plan}",
            after={"items": len(proposed), "from": starts.isoformat(), "to": ends.isoformat()},
        )
        registrations = {s.registration: s for s in stories}
        for w in proposed:
            item = ctx.batch.add(
                PlanItem,
                plan_id=plan,
                registration_id=w.registration,
                unit_id=w.unit,
                assessor_id=w.assessor,
                methods=sorted(w.methods),
                stage=w.stage,
                by_hand=False,
            )
            self.sample_planned(registrations[w.registration], w, item, iqa, made)

    def sample_planned(
        self, story: LearnerStory, work: Work, item: int, iqa: Person, made: datetime
    ) -> None:
        record = self.records[story.registration]
        if work.stage == Stage.SUMMATIVE:
            record.planned_summative.add(work.unit)
        certified = story.stage == CERTIFIED and work.stage == Stage.SUMMATIVE
        if certified or self.rng.random() < SAMPLED_SHARE[Stage(work.stage)]:
            at = made + (self.ctx.now - made) * self.rng.uniform(0.05, 0.95)
            self.sample(story, work.unit, at, iqa, plan_item=item)

    def sample(
        self, story: LearnerStory, unit: int, at: datetime, iqa: Person, *, plan_item: int | None
    ) -> None:
        """A sample of the unit's decisions as `sample_record` records it."""
        ctx = self.ctx
        decisions = sampleable(story, unit, at)
        if not decisions:
            return
        signed = story.sign_offs.get(unit)
        stage = Stage.SUMMATIVE if signed and signed.at <= at else Stage.INTERIM
        action = story.stage != CERTIFIED and self.rng.random() < ACTION_CHANCE
        verdict = Verdict.ACTION_REQUIRED if action else Verdict.AGREE
        texts = ACTION_TEXTS[: self.rng.randint(1, 2)] if action else ()
        sample = ctx.batch.add(
            Sample,
            plan_item_id=plan_item,
            registration_id=story.registration,
            unit_id=unit,
            assessor_id=decisions[0].decided_by,
            stage=stage.value,
            valid=True,
            authentic=True,
            current=True,
            sufficient=not action,
            reliable=True,
            verdict=verdict.value,
            feedback=ACTION_FEEDBACK if action else AGREE_FEEDBACK,
            sampled_by_id=iqa.id,
            sampled_at=at,
            lock_lift_reason="",
            form_token=None,
        )
        for decision in decisions:
            ctx.batch.add(SAMPLE_DECISIONS, sample_id=sample, decision_id=decision.id)
        for evidence in sorted({d.evidence for d in decisions}):
            ctx.batch.add(SAMPLE_EVIDENCE, sample_id=sample, evidence_id=evidence)
        ctx.batch.record(
            at,
            iqa.id,
            "iqa.sampled",
            f"sample:{sample}",
            after={
                "registration": story.registration,
                "unit": unit,
                "decisions": [d.id for d in decisions],
                "verdict": verdict.value,
                "actions": len(texts),
            },
        )
        if stage == Stage.SUMMATIVE:
            self.records[story.registration].sampled_summative.add(unit)
        for text in texts:
            self.action(story, unit, sample, text, at, decisions[0].decided_by, iqa)

    def action(
        self,
        story: LearnerStory,
        unit: int,
        sample: int,
        text: str,
        at: datetime,
        assessor: int,
        iqa: Person,
    ) -> None:
        """An action, answered by the sampled assessor and closed by the IQA, or not yet."""
        ctx, rng = self.ctx, self.rng
        state = rng.choices([s for s, _ in ACTION_STATES], [w for _, w in ACTION_STATES])[0]
        responded = at + (ctx.now - at) * rng.uniform(0.2, 0.5) if state != "open" else None
        closed = (
            responded + (ctx.now - responded) * rng.uniform(0.2, 0.8)
            if responded and state == "closed"
            else None
        )
        action = ctx.batch.add(
            Action,
            sample_id=sample,
            text=text,
            due_on=(at + timedelta(days=rng.randint(14, 28))).date(),
            status=state,
            response=RESPONSE if responded else "",
            responded_at=responded,
            closed_by_id=iqa.id if closed else None,
            closed_at=closed,
        )
        if state != "closed":
            self.records[story.registration].unclosed_actions.add(unit)
        if responded:
            ctx.batch.record(
                responded,
                assessor,
                "iqa.action_responded",
                f"action:{action}",
                before={"status": "open", "response": ""},
                after={"status": "responded", "response": RESPONSE},
            )
        if closed:
            ctx.batch.record(
                closed,
                iqa.id,
                "iqa.action_closed",
                f"action:{action}",
                before={"status": "responded"},
                after={"status": "closed"},
            )


def sampleable(story: LearnerStory, unit: int, at: datetime) -> list[DecisionMade]:
    """The unit's decisions an IQA can sample at `at` and leave locked: made by then, current
    to this day (never superseded later) and not waiting for a countersignature after it."""
    return sorted(
        (
            d
            for d in story.decisions
            if d.item.unit == unit
            and d.current
            and d.at <= at
            and not d.provisional
            and (d.countersigned_at is None or d.countersigned_at <= at)
        ),
        key=lambda d: d.id,
    )


def work_of(story: LearnerStory, starts: date, made: datetime) -> list[Work]:
    """The story's assessed work of the period, as `iqa.work.work_in_period` groups it:
    current decisions by unit and assessor, with everyone who decided or countersigned any
    decision of the unit, summative where the unit was signed off when the plan was made."""
    deciders: dict[int, set[int]] = defaultdict(set)
    grouped: dict[tuple[int, int], list[DecisionMade]] = defaultdict(list)
    for d in story.decisions:
        if not d.current or d.at > made:
            continue
        deciders[d.item.unit].update(p for p in (d.decided_by, d.countersigned_by) if p)
        if d.at.date() >= starts:
            grouped[(d.item.unit, d.decided_by)].append(d)
    work = []
    for (unit, assessor), found in grouped.items():
        signed = story.sign_offs.get(unit)
        summative = signed is not None and signed.at <= made
        work.append(
            Work(
                registration=story.registration,
                learner=story.user.id,
                unit=unit,
                assessor=assessor,
                methods=frozenset(d.method for d in found),
                stage=Stage.SUMMATIVE.value if summative else Stage.INTERIM.value,
                deciders=frozenset(deciders[unit]),
            )
        )
    return work
