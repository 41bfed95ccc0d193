"""The centre's people, and each learner's story from registration to the last sign-off, told
in the order the services would have seen it and written as the services write it: rows, and
an audit event for every change the services log.

A story: registered on units the rules engine accepts; evidence uploaded (by the learner, or
recorded by the assessor) in batches of items, each learner upload mapped to its items;
the assessor's decisions on each batch (some "not yet", decided again on the next batch's
evidence, superseding the first, whose mapping stays rejected; now and then a mapping rejected
outright with feedback); a trainee's decisions countersigned by a qualified assessor; each unit
signed off once every item is met by a decision that counts, and countersigned by the learner;
the latest uploads still waiting for review.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from assessment.models import Decision, RequirementShown, SufficiencyRecord, UnitSignOff
from home.load_data.catalogue import KINDS, Item, QualificationInfo, UnitInfo
from home.load_data.context import CentreContext, DecisionMade, LearnerStory, Person, SignOffMade
from home.load_data.layout import email, full_name
from home.load_data.writer import DECISION_EVIDENCE, REQUIREMENT_EVIDENCE
from portal.models import Centre, Role, RoleKind, User
from portfolios.models import Evidence, Mapping, Registration, RegistrationUnit

REGISTERED, EARLY, MIDWAY, COMPLETE, CERTIFIED = (
    "registered",
    "early",
    "midway",
    "complete",
    "certified",
)
# Stages in twentieths (15% just registered, 25% early, 45% midway, 5% complete and waiting
# for a claim, 10% certified), one of each in the first five.
STAGE_CYCLE = (
    CERTIFIED, MIDWAY, EARLY, REGISTERED, COMPLETE, MIDWAY, EARLY, MIDWAY, REGISTERED, EARLY,
    MIDWAY, CERTIFIED, MIDWAY, EARLY, MIDWAY, MIDWAY, REGISTERED, EARLY, MIDWAY, MIDWAY,
)  # fmt: skip
# The small centre's first five instead: learners 1, 3 and 5 go to the qualified assessor, 2 and
# 4 to the trainee, and each of the two has a learner midway (a unit signed off, evidence still
# to decide), as the busiest assessor and trainee of a big centre have, so that their pages can
# be compared. No one there has just registered.
SMALL_CENTRE_STAGES = (CERTIFIED, MIDWAY, MIDWAY, EARLY, COMPLETE)
# When each stage's learners registered (days ago) and what share of their items is decided.
REGISTERED_DAYS = {
    REGISTERED: (1, 30),
    EARLY: (20, 75),
    MIDWAY: (75, 300),
    COMPLETE: (250, 400),
    CERTIFIED: (300, 700),
}
DECIDED_SHARE = {
    EARLY: (0.0, 0.08),
    MIDWAY: (0.08, 0.35),
    COMPLETE: (1.0, 1.0),
    CERTIFIED: (1.0, 1.0),
}
BATCH_ITEMS = (5, 12)
NOT_YET_CHANCE = 0.04  # an item judged "not yet met" the first time
RECORDED_CHANCE = 0.2  # a batch whose evidence is the assessor's own record
MISMAPPED_CHANCE = 0.05  # a learner upload mapped also to an item it does not show
# The last batch of a trainee's learner still waiting for its countersignature, and the last
# sign-off still waiting for the learner's, by stage.
AWAITING_COUNTERSIGNATURE = {EARLY: 0.5, MIDWAY: 0.5, COMPLETE: 0.4, CERTIFIED: 0.0}
AWAITING_LEARNER = {EARLY: 0.2, MIDWAY: 0.2, COMPLETE: 0.15, CERTIFIED: 0.0}
IN_PROGRESS = (EARLY, MIDWAY, COMPLETE)  # stages with work that can still be waiting

LEARNER_METHODS = (
    ("product", "Work product", "Copies of the work I produced, with my notes on each."),
    ("reflective_account", "Reflective account", "What I did, why, and what I would change."),
    ("assignment", "Assignment", "My written answers to the unit's assignment brief."),
    ("case_study", "Case study", "A case from my workplace, worked through step by step."),
)
ASSESSOR_METHODS = (
    ("observation", "Observation at work", "I watched the learner serve three customers."),
    ("professional_discussion", "Professional discussion", "We discussed handling complaints."),
    ("questioning", "Questions and answers", "Oral questions on the unit's knowledge."),
)
MET_FEEDBACK = (
    "Clear, well-explained evidence.",
    "Meets the criterion; good use of a real example.",
    "Sufficient and current: met.",
)
NOT_YET_FEEDBACK = "Not yet: the evidence does not show this on its own; add a second example."
MISMAPPED_FEEDBACK = "This evidence does not show this item: map it to other evidence."
# What the assessor writes toward a unit's sufficiency rules before signing it off (decision 52).
SUFFICIENCY_WORDS = {"customers": "Customer", "occasions": "Occasion"}
PERIOD_JUDGED = "Real work over a sufficient period, with different customers on different days."


def add_people(ctx: CentreContext) -> None:
    """The centre, its admin, assessors and IQAs (learners come with their stories)."""
    plan, batch = ctx.plan, ctx.batch
    founded = ctx.now - timedelta(days=800)
    batch.add(Centre, id=ctx.centre_id, name=plan.name, ao_centre_number="", created_at=founded)
    ctx.admin = add_person(ctx, RoleKind.CENTRE_ADMIN, None, founded)
    for k in range(1, plan.assessors + 1):
        ctx.assessors[k] = add_person(ctx, RoleKind.ASSESSOR, k, founded, plan.is_trainee(k))
    for k in range(1, plan.iqas + 1):
        ctx.iqas[k] = add_person(ctx, RoleKind.IQA, k, founded)


PERSON_KIND = {
    RoleKind.CENTRE_ADMIN: "admin",
    RoleKind.ASSESSOR: "assessor",
    RoleKind.IQA: "iqa",
    RoleKind.LEARNER: "learner",
}


def add_person(
    ctx: CentreContext,
    kind: RoleKind,
    k: int | None,
    joined: datetime,
    trainee: bool = False,
    born: date | None = None,
) -> Person:
    """An account (every one with the same password hash) and its one role at the centre."""
    word, number = PERSON_KIND[kind], ctx.plan.number
    name = full_name(number, word, k or 0)
    user = ctx.batch.add(
        User,
        password=ctx.password_hash,
        email=email(number, word, k),
        full_name=name,
        is_active=True,
        is_staff=False,
        is_superuser=False,
        date_joined=joined,
        date_of_birth=born,
    )
    ctx.batch.add(
        Role,
        user_id=user,
        centre_id=ctx.centre_id,
        kind=kind,
        is_trainee=trainee,
        created_at=joined,
    )
    return Person(user, name, trainee)


def qualification_of(ctx: CentreContext, k: int) -> QualificationInfo:
    """Learner k's qualification, by the shares: a step through the cycle for each learner,
    shifted for each run of the stages' cycle and for each centre, so that every stage meets
    every qualification (a small centre's certified learners too)."""
    cycle, i = ctx.qualifications, k - 1
    # Shifted by 7 places a centre: with the shares of today (the ProQual diploma 11 of 20),
    # 3 placed every centre's certified learners (the 1st and 12th) on the diploma in a small
    # population, and no one had a unit certificate.
    return cycle[(7 * i + 3 * (i // len(STAGE_CYCLE)) + 7 * ctx.plan.number) % len(cycle)]


def stage_of(ctx: CentreContext, k: int) -> str:
    if ctx.plan.is_small and k <= len(SMALL_CENTRE_STAGES):
        return SMALL_CENTRE_STAGES[k - 1]
    return STAGE_CYCLE[(k - 1) % len(STAGE_CYCLE)]


def tell_story(ctx: CentreContext, k: int) -> LearnerStory:
    """Learner k (from 1) of the centre: account, registration and work so far."""
    stage = stage_of(ctx, k)
    qualification = qualification_of(ctx, k)
    registered = ctx.days_ago(*REGISTERED_DAYS[stage])
    plan = ctx.plan
    born = born_on(k, registered)
    user = add_person(ctx, RoleKind.LEARNER, k, registered - timedelta(days=1), born=born)
    story = LearnerStory(
        k=k,
        stage=stage,
        user=user,
        registration=0,
        qualification=qualification,
        units=ctx.rng.choice(qualification.choices),
        assessor=ctx.assessors[plan.assessor_of(k)],
        iqa=ctx.iqas[plan.iqa_of(k)],
    )
    story.registration = register(ctx, story, registered)
    if stage != REGISTERED:
        Work(ctx, story, registered).do()
    ctx.stories.append(story)
    return story


def born_on(k: int, registered: datetime) -> date:
    """Learner k's date of birth: an adult when registered (19 to 43), since City & Guilds'
    Level 3 and 4 Diplomas take none younger than 16 and 18 (their claim policy, decision 28)."""
    return (registered - timedelta(days=365 * (19 + k % 25) + k % 365)).date()


def register(ctx: CentreContext, story: LearnerStory, at: datetime) -> int:
    """The registration and its units, as `registration_create` makes and logs them."""
    start = at.date()
    end = start + timedelta(days=365)
    # Registered with the AO too, as ProQual asks before a claim (its claim policy, decision
    # 28): a number unique to the centre and learner.
    number = f"L{ctx.plan.number:02d}{story.k:06d}"
    registration = ctx.batch.add(
        Registration,
        learner_id=story.user.id,
        centre_id=ctx.centre_id,
        qualification_id=story.qualification.id,
        pinned_rules_id=story.qualification.rules_version,
        assessor_id=story.assessor.id,
        iqa_id=story.iqa.id,
        ao_registration_number=number,
        start_date=start,
        planned_end_date=end,
        status="active",
        created_at=at,
        created_by_id=ctx.admin.id,
    )
    for code in story.units:
        unit = story.qualification.units[code]
        mandatory = code in story.qualification.mandatory
        ctx.batch.add(
            RegistrationUnit, registration_id=registration, unit_id=unit.id, mandatory=mandatory
        )
    facts = {
        "learner": story.user.id,
        "qualification": story.qualification.code,
        "centre": ctx.centre_id,
        "assessor": story.assessor.id,
        "iqa": story.iqa.id,
        "ao_registration_number": number,
        "funding": "",
        "start_date": start.isoformat(),
        "planned_end_date": end.isoformat(),
        "rules_version": story.qualification.rules_number,
    }
    # The date of birth given with the registration, recorded first (`identity_record`).
    ctx.batch.record(
        at,
        ctx.admin.id,
        "learner.identity_changed",
        f"user:{story.user.id}",
        before={"date_of_birth": None},
        after={"date_of_birth": born_on(story.k, at).isoformat()},
    )
    ctx.batch.record(
        at,
        ctx.admin.id,
        "registration.created",
        f"registration:{registration}",
        after={**facts, "units": sorted(story.units)},
    )
    return registration


def item_columns(item: Item) -> tuple[int | None, int | None, int | None]:
    """The three target columns of a mapping or decision (criterion, range and knowledge
    item), one of them set."""
    ids: list[int | None] = [None, None, None]
    ids[item.kind] = item.id
    return ids[0], ids[1], ids[2]


TARGETS = tuple(f"{kind}_id" for kind in KINDS)
MAPPING_COLUMNS = (
    "id",
    *TARGETS,
    "evidence_id",
    "status",
    "proposed_by_id",
    "proposed_at",
    "reviewed_by_id",
    "reviewed_at",
    "feedback",
)
DECISION_COLUMNS = (
    "id",
    *TARGETS,
    "registration_id",
    "outcome",
    "method",
    "assessed_on",
    "feedback",
    "decided_by_id",
    "decided_at",
    "provisional",
    "countersigned_by_id",
    "countersigned_at",
    "current",
)


def by_kind(items: list[Item]) -> dict[str, list[int]]:
    return {kind: sorted(i.id for i in items if i.kind == n) for n, kind in enumerate(KINDS)}


class Work:
    """One learner's evidence, mappings, decisions, countersignatures and sign-offs."""

    def __init__(self, ctx: CentreContext, story: LearnerStory, registered: datetime) -> None:
        self.ctx, self.story, self.rng = ctx, story, ctx.rng
        self.items = [
            item for code in story.units for item in story.qualification.units[code].items
        ]
        self.position = {item: n for n, item in enumerate(self.items)}
        self.current: dict[Item, DecisionMade] = {}
        self.evidence_count = 0
        # At the small centre a learner in progress always has an upload waiting for review
        # and, with a trainee, the last batch waiting for a countersignature, not by chance:
        # its pages are compared with a big centre's, which has them all (the draws still
        # happen, so the rest of the story is the same).
        self.keeps_waiting = ctx.plan.is_small and story.stage in IN_PROGRESS
        self.start = registered + timedelta(days=5)
        self.end = self.finish_time(registered)
        self.decided = self.decided_count()
        assessor = ctx.plan.assessor_of(story.k)
        # Only a trainee's decisions are countersigned, by the qualified assessor before them.
        self.countersigner = ctx.assessors.get(ctx.plan.countersigner_of(assessor))

    def finish_time(self, registered: datetime) -> datetime:
        stage, ctx = self.story.stage, self.ctx
        if stage == CERTIFIED:
            return min(
                registered + timedelta(days=self.rng.uniform(200, 280)), ctx.days_ago(25, 30)
            )
        if stage == COMPLETE:
            return ctx.days_ago(5, 40)
        return ctx.days_ago(1, 4)

    def decided_count(self) -> int:
        low, high = DECIDED_SHARE[self.story.stage]
        count = round(len(self.items) * self.rng.uniform(low, high))
        if self.keeps_waiting and self.story.stage == MIDWAY:
            # Past the first unit by two batches, so that it is signed off whatever was "not
            # yet" at first or waits for a countersignature, with items still to come.
            first = len(self.story.qualification.units[self.story.units[0]].items)
            count = min(max(count, first + 2 * BATCH_ITEMS[1]), len(self.items) - 1)
        return count

    def do(self) -> None:
        batches = self.batches(self.items[: self.decided])
        pending = self.items[self.decided :]
        waiting = self.rng.randint(1, 2) if self.story.stage == EARLY else self.rng.randint(0, 1)
        if self.keeps_waiting:
            waiting = max(waiting, 1)
        slots = len(batches) + (1 if waiting and pending else 0)
        length = (self.end - self.start) / max(slots, 1)
        leftover: list[Item] = []
        for n, items in enumerate(batches):
            last = n == len(batches) - 1
            leftover = self.judged_batch(leftover + items, self.start + n * length, length, last)
        if waiting and (pending or leftover):
            self.waiting_uploads(leftover + pending, waiting, self.start + len(batches) * length)
        self.write_decisions()

    def batches(self, items: list[Item]) -> list[list[Item]]:
        found, n = [], 0
        while n < len(items):
            size = self.rng.randint(*BATCH_ITEMS)
            found.append(items[n : n + size])
            n += size
        return found

    def judged_batch(
        self, items: list[Item], start: datetime, length: timedelta, last: bool
    ) -> list[Item]:
        """Evidence for the items, judged; returns the items judged "not yet", for next time."""
        rng, stage = self.rng, self.story.stage
        upload = start + length * rng.uniform(0, 0.3)
        decided = upload + length * rng.uniform(0.1, 0.3)
        finished = last and stage in (COMPLETE, CERTIFIED)
        not_yet = {i for i in items if not finished and rng.random() < NOT_YET_CHANCE}
        if rng.random() < RECORDED_CHANCE:
            evidence, method = self.recorded(decided)
            self.mappings(evidence, items, not_yet, proposer=self.story.assessor.id, at=decided)
        else:
            evidence, method = self.uploaded(upload, items, not_yet, decided)
        self.decide(items, not_yet, evidence, method, decided)
        signed = decided
        if self.story.assessor.trainee and not (
            last and (rng.random() < AWAITING_COUNTERSIGNATURE[stage] or self.keeps_waiting)
        ):
            signed = decided + length * rng.uniform(0.05, 0.15)
            self.countersign(items, signed)
        self.sign_off_units(signed + length * rng.uniform(0.02, 0.1), length, last)
        return [i for i in items if i in not_yet]

    def new_evidence(
        self, at: datetime, method: str, by: int, judged: datetime | None, titles: tuple[str, str]
    ) -> int:
        """An evidence item and its one file, stored under a name of the portal's making."""
        ctx, story = self.ctx, self.story
        self.evidence_count += 1
        n = self.evidence_count
        occurred = (at - timedelta(days=self.rng.uniform(0, 3))).date()
        title, text = f"{titles[0]} {n}", titles[1]
        evidence = ctx.batch.add(
            Evidence,
            registration_id=story.registration,
            title=title,
            occurred_on=occurred,
            method=method,
            description=text,
            declared_at=at,
            created_by_id=by,
            created_at=at,
            judged_at=judged,
        )
        content = ctx.content(n)
        stored = UUID(int=self.rng.getrandbits(128), version=4).hex
        ctx.batch.add_file(
            f"evidence/{story.registration}/{stored}",
            content.content,
            evidence_id=evidence,
            registration_id=story.registration,
            original_name=f"{method.replace('_', '-')}-{n}.txt",
            size=content.size,
            content_type=content.content_type,
            sha256=content.sha256,
            uploaded_by_id=by,
            uploaded_at=at,
        )
        facts = {"title": title, "method": method, "occurred_on": occurred.isoformat()}
        action = "evidence.added" if by == story.user.id else "evidence.recorded"
        ctx.batch.record(
            at,
            by,
            action,
            f"evidence:{evidence}",
            # Real work of a kind not stated: the evidence's defaults (decision 51).
            after={**facts, "description": text, "setting": "real_work", "kind": "", "files": 1},
        )
        return evidence

    def recorded(self, decided: datetime) -> tuple[int, str]:
        """The assessor's own record (observation, discussion, questions), judged at once."""
        method, *titles = self.rng.choice(ASSESSOR_METHODS)
        at = decided - timedelta(minutes=30)
        assessor = self.story.assessor.id
        return self.new_evidence(at, method, assessor, decided, (titles[0], titles[1])), method

    def uploaded(
        self, at: datetime, items: list[Item], not_yet: set[Item], decided: datetime
    ) -> tuple[int, str]:
        """The learner's upload, mapped by the learner (now and then to an item it does not
        show, which the assessor rejects with feedback just before deciding the rest)."""
        method, *titles = self.rng.choice(LEARNER_METHODS)
        learner = self.story.user.id
        later = self.items[max(self.position[i] for i in items) + 1 :]
        wrong = self.rng.choice(later) if later and self.rng.random() < MISMAPPED_CHANCE else None
        judged = decided if wrong is None else decided - timedelta(minutes=1)
        evidence = self.new_evidence(at, method, learner, judged, (titles[0], titles[1]))
        proposed = items + ([wrong] if wrong else [])
        self.ctx.batch.record(
            at,
            learner,
            "mapping.proposed",
            f"evidence:{evidence}",
            before=by_kind([]),
            after=by_kind(proposed),
        )
        self.mappings(evidence, items, not_yet, proposer=learner, at=at)
        if wrong is not None:
            self.rejected_mapping(evidence, wrong, at, judged)
        return evidence, method

    def mapping(
        self,
        evidence: int,
        item: Item,
        status: str,
        proposer: int,
        at: datetime,
        review: tuple[int, datetime, str] | None = None,
    ) -> int:
        """A mapping row; `review`: the assessor's (who, when, feedback), if they reviewed it."""
        batch = self.ctx.batch
        mapping = batch.ids.next(Mapping)
        reviewer, reviewed, feedback = review or (None, None, "")
        batch.appender(Mapping, MAPPING_COLUMNS)(
            mapping,
            *item_columns(item),
            evidence,
            status,
            proposer,
            at,
            reviewer,
            reviewed,
            feedback,
        )
        return mapping

    def mappings(
        self, evidence: int, items: list[Item], not_yet: set[Item], *, proposer: int, at: datetime
    ) -> None:
        """The mappings a decision settles: confirmed where met, rejected where not yet."""
        for item in items:
            status = "rejected" if item in not_yet else "confirmed"
            self.mapping(evidence, item, status, proposer, at)

    def rejected_mapping(self, evidence: int, item: Item, at: datetime, reviewed: datetime) -> None:
        assessor = self.story.assessor.id
        review = (assessor, reviewed, MISMAPPED_FEEDBACK)
        mapping = self.mapping(evidence, item, "rejected", self.story.user.id, at, review)
        self.ctx.batch.record(
            reviewed,
            assessor,
            "mapping.rejected",
            f"mapping:{mapping}",
            before={"status": "proposed", "feedback": ""},
            after={"status": "rejected", "feedback": MISMAPPED_FEEDBACK},
        )

    def decide(
        self, items: list[Item], not_yet: set[Item], evidence: int, method: str, at: datetime
    ) -> None:
        """One decision per item, as `decision_record` makes them: each supersedes the item's
        current decision, is provisional if the assessor is a trainee, and is logged."""
        ctx, story = self.ctx, self.story
        assessor = story.assessor
        for item in sorted(items, key=lambda i: (i.kind, i.id)):
            met = item not in not_yet
            decision = DecisionMade(
                id=ctx.batch.ids.next(Decision),
                item=item,
                outcome="met" if met else "not_yet",
                method=method,
                feedback=self.rng.choice(MET_FEEDBACK) if met else NOT_YET_FEEDBACK,
                decided_by=assessor.id,
                at=at,
                evidence=evidence,
                provisional=assessor.trainee,
            )
            previous = self.current.get(item)
            before = previous.summary(story.registration) if previous else None
            if previous is not None:
                previous.current = False
            self.current[item] = decision
            story.decisions.append(decision)
            link = ctx.batch.ids.next(DECISION_EVIDENCE)
            ctx.batch.appender(DECISION_EVIDENCE, ("id", "decision_id", "evidence_id"))(
                link, decision.id, evidence
            )
            ctx.batch.record(
                at,
                assessor.id,
                "decision.recorded",
                f"decision:{decision.id}",
                before=before,
                after=decision.summary(story.registration),
            )

    def countersign(self, items: list[Item], at: datetime) -> None:
        """A qualified assessor of the centre confirms the trainee's current decisions."""
        ctx, story = self.ctx, self.story
        signer = self.countersigner
        assert signer is not None and not signer.trainee, "a trainee's countersigner is qualified"
        for decision in sorted((self.current[i] for i in items), key=lambda d: d.id):
            before = decision.summary(story.registration)
            decision.provisional = False
            decision.countersigned_by, decision.countersigned_at = signer.id, at
            ctx.batch.record(
                at,
                signer.id,
                "decision.countersigned",
                f"decision:{decision.id}",
                before=before,
                after=decision.summary(story.registration),
            )

    def sign_off_units(self, at: datetime, length: timedelta, last: bool) -> None:
        """Sign off every unit whose items are all met by decisions that count, and have the
        learner countersign (the last ones may still be waiting for the learner)."""
        ctx, story = self.ctx, self.story
        for code in story.units:
            unit = story.qualification.units[code]
            if unit.id in story.sign_offs or not all(
                i in self.current and self.current[i].counts_at(at) for i in unit.items
            ):
                continue
            waiting = last and self.rng.random() < AWAITING_LEARNER[story.stage]
            # A trainee's sign-off is countersigned by the qualified assessor before them, as
            # their decisions are, before the learner countersigns it (decision 53). (The
            # register is written so that nobody qualified is out of scope.)
            signer = self.countersigner if story.assessor.trainee else None
            assert signer is None or not signer.trainee
            confirmed = at + length * self.rng.uniform(0.001, 0.005) if signer else None
            learner_at = (
                None if waiting else (confirmed or at) + length * self.rng.uniform(0.01, 0.05)
            )
            conditions = self.requirements_met(unit, at - timedelta(minutes=10))
            sign_off = ctx.batch.add(
                UnitSignOff,
                registration_id=story.registration,
                unit_id=unit.id,
                signed_by_id=story.assessor.id,
                signed_at=at,
                signature=story.assessor.name,
                learner_signature="" if learner_at is None else story.user.name,
                learner_signed_at=learner_at,
                countersigned_by_id=signer.id if signer else None,
                countersigned_at=confirmed,
                unlock_reason="",
                conditions=conditions,
            )
            story.sign_offs[unit.id] = SignOffMade(sign_off, unit.id, at, learner_at)
            after = {"registration": story.registration, "unit": unit.id}
            ctx.batch.record(
                at,
                story.assessor.id,
                "unit.signed_off",
                f"sign_off:{sign_off}",
                after={
                    **after,
                    "signature": story.assessor.name,
                    "conditions": conditions,
                    "provisional": signer is not None,
                },
            )
            if signer is not None and confirmed is not None:
                ctx.batch.record(
                    confirmed,
                    signer.id,
                    "unit.sign_off_countersigned",
                    f"sign_off:{sign_off}",
                    before={**after, "provisional": True},
                    after={"provisional": False, "countersigned_by": signer.id},
                )
            if learner_at is not None:
                ctx.batch.record(
                    learner_at,
                    story.user.id,
                    "unit.learner_countersigned",
                    f"sign_off:{sign_off}",
                    after={"signature": story.user.name},
                )

    def requirements_met(self, unit: UnitInfo, at: datetime) -> list[dict[str, str]]:
        """What the assessor records before signing the unit off, as `requirement_show` and
        `sufficiency_record` record it (decision 52): each evidence requirement item shown by
        the unit's first piece of evidence, each occasion and customer on a piece of its own
        (an observation of another day added where the unit's evidence is one piece), the
        period judged. Returns the unit's conditions, which the sign-off ticks."""
        needs = unit.requirements
        if not needs:
            return []
        ctx, story = self.ctx, self.story
        assessor = story.assessor.id
        pieces = sorted({self.current[i].evidence for i in unit.items})
        wanted = max([minimum or 0 for _, minimum in needs.sufficiency] + [1])
        while len(pieces) < wanted:
            evidence, _ = self.recorded(at - timedelta(hours=1))
            self.mapping(evidence, unit.items[0], "confirmed", assessor, at - timedelta(hours=1))
            pieces.append(evidence)
        where = {"registration": story.registration, "unit": unit.id}
        for reference in needs.references:
            shown = ctx.batch.add(
                RequirementShown,
                registration_id=story.registration,
                unit_id=unit.id,
                reference=reference,
                recorded_by_id=assessor,
                recorded_at=at,
                withdraw_reason="",
            )
            link = ctx.batch.ids.next(REQUIREMENT_EVIDENCE)
            ctx.batch.appender(REQUIREMENT_EVIDENCE, ("id", "requirementshown_id", "evidence_id"))(
                link, shown, pieces[0]
            )
            ctx.batch.record(
                at,
                assessor,
                "requirement.shown",
                f"requirement_shown:{shown}",
                after={**where, "reference": reference, "evidence": [pieces[0]]},
            )
        for measure, minimum in needs.sufficiency:
            said = [(None, PERIOD_JUDGED)] if minimum is None else [
                (pieces[n], f"{SUFFICIENCY_WORDS[measure]} {n + 1}") for n in range(minimum)
            ]  # fmt: skip
            for evidence_id, description in said:
                record = ctx.batch.add(
                    SufficiencyRecord,
                    registration_id=story.registration,
                    unit_id=unit.id,
                    measure=measure,
                    evidence_id=evidence_id,
                    description=description,
                    recorded_by_id=assessor,
                    recorded_at=at,
                    withdraw_reason="",
                )
                ctx.batch.record(
                    at,
                    assessor,
                    "sufficiency.recorded",
                    f"sufficiency_record:{record}",
                    after={
                        **where,
                        "measure": measure,
                        "evidence": evidence_id,
                        "description": description,
                    },
                )
        return list(needs.conditions)

    def waiting_uploads(self, items: list[Item], count: int, start: datetime) -> None:
        """The learner's latest uploads, mapped and waiting for the assessor."""
        learner = self.story.user.id
        latest = self.ctx.now - timedelta(hours=1)
        step = (latest - start) / (count + 1)
        size = self.rng.randint(*BATCH_ITEMS)
        for n in range(count):
            mapped = items[n * size : (n + 1) * size]
            if not mapped:
                return
            at = start + step * (n + 1)
            method, *titles = self.rng.choice(LEARNER_METHODS)
            evidence = self.new_evidence(at, method, learner, None, (titles[0], titles[1]))
            for item in mapped:
                self.mapping(evidence, item, "proposed", learner, at)
            self.ctx.batch.record(
                at,
                learner,
                "mapping.proposed",
                f"evidence:{evidence}",
                before=by_kind([]),
                after=by_kind(mapped),
            )

    def write_decisions(self) -> None:
        """The decisions' rows as they end up."""
        append = self.ctx.batch.appender(Decision, DECISION_COLUMNS)
        registration = self.story.registration
        for d in self.story.decisions:
            append(
                d.id,
                *item_columns(d.item),
                registration,
                d.outcome,
                d.method,
                d.at.date(),
                d.feedback,
                d.decided_by,
                d.at,
                d.provisional,
                d.countersigned_by,
                d.countersigned_at,
                d.current,
            )
