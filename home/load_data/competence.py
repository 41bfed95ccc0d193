"""Each load centre's competence register (decision 49), as `competence.services` records it:
every qualified assessor holds the Award in Assessing Competence in the Work Environment and
every IQA the IQA award, each covering every qualification the centre registers on; each
trainee assessor works towards the assessor award. The register is enforced, so the pages and
writes measured pay for its checks, and everyone's work counts as it did before it."""

from __future__ import annotations

from datetime import date, timedelta

from competence.models import Award, CompetenceEntry, EntryStatus, RegisterEnforced
from home.load_data.context import CentreContext, Person
from home.load_data.writer import COMPETENCE_SCOPE

# Achieved before the centre was founded (800 days ago); a trainee's deadline ahead of now.
ACHIEVED_BEFORE = timedelta(days=1200)
DEADLINE_AHEAD = timedelta(days=240)


def add_register(ctx: CentreContext) -> None:
    at = ctx.now - timedelta(days=800)
    qualifications = sorted({q.id for q in ctx.qualifications})
    for person in ctx.assessors.values():
        add_entry(ctx, person, Award.ASSESSING_COMPETENCE, qualifications)
    for person in ctx.iqas.values():
        add_entry(ctx, person, Award.IQA, qualifications)
    ctx.batch.add(RegisterEnforced, centre_id=ctx.centre_id, since=at, turned_on_by_id=ctx.admin.id)
    ctx.batch.record(
        at, ctx.admin.id, "competence.enforced", f"centre:{ctx.centre_id}", after={"enforced": True}
    )


def add_entry(ctx: CentreContext, person: Person, award: str, qualifications: list[int]) -> None:
    at = ctx.now - timedelta(days=800)
    held = not person.trainee
    values = {
        "award": award,
        "title": "",
        "status": EntryStatus.HELD if held else EntryStatus.WORKING_TOWARDS,
        "achieved_on": (ctx.now - ACHIEVED_BEFORE).date() if held else None,
        "certificate_reference": "",
        "expires_on": None,
        "deadline": None if held else (ctx.now + DEADLINE_AHEAD).date(),
    }
    entry = ctx.batch.add(
        CompetenceEntry,
        centre_id=ctx.centre_id,
        person_id=person.id,
        recorded_by_id=ctx.admin.id,
        recorded_at=at,
        **values,
    )
    for qualification in qualifications:
        ctx.batch.add(COMPETENCE_SCOPE, competenceentry_id=entry, qualification_id=qualification)
    ctx.batch.record(
        at,
        ctx.admin.id,
        "competence.recorded",
        f"competence:{entry}",
        after={
            "person": person.id,
            **{k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()},
            "qualifications": qualifications,
            "units": [],
        },
    )
