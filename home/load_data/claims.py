"""Certificates for the certified learners, claimed as `certificate_claim` claims them: only
where the learner is ready (achieved units cleared by IQA that meet the rules of combination;
on a qualification without published rules, a unit certificate), with a number, the learner's
identifier and a snapshot made by the claim service's own `snapshot_of`.

Their PDFs are left for the worker: each stays pending, as a claim leaves it until the render
task runs, and the sweep (`requeue_pending_certificates`) sends them once a worker and beat
run; `--render-certificates N` renders the first N in this process.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from certification.models import Certificate, DirectClaimsStatus, Kind
from certification.services import certificate_number, learner_identifier, snapshot_of
from home.load_data.context import CentreContext, LearnerStory
from home.load_data.journeys import CERTIFIED
from home.load_data.quality import IqaRecord
from portal.models import Centre, User
from portfolios.models import Registration
from qualifications.models import Qualification
from qualifications.rules import evaluate

# Snapshots with no learner or centre in them yet, by qualification, kind and units: the
# claim service's own, made once each (it reads the catalogue) and then given the names.
Snapshots = dict[tuple[int, str, tuple[str, ...]], dict[str, Any]]


# Direct Claims Status, granted by the portal's staff for the awarding organisations before the
# centre's first registration (the generator's learners registered at most 700 days ago): every
# load centre issues its claims at once, as `certificate_claim` does under it (decision 29).
DIRECT_CLAIMS_SINCE = timedelta(days=800)
DIRECT_CLAIMS_NOTE = "Granted on the centre's approval (load data)."


def grant_direct_claims(ctx: CentreContext, operations: int) -> None:
    """Direct Claims Status for each qualification the centre registers on, with its audit
    entry, as `direct_claims_grant` records them."""
    at = ctx.now - DIRECT_CLAIMS_SINCE
    for info in sorted(
        {s.qualification.id: s.qualification for s in ctx.stories}.values(), key=lambda q: q.id
    ):
        status = ctx.batch.add(
            DirectClaimsStatus,
            centre_id=ctx.centre_id,
            qualification_id=info.id,
            granted_at=at,
            granted_by_id=operations,
            note=DIRECT_CLAIMS_NOTE,
            withdrawn_at=None,
            withdrawn_by_id=None,
            withdrawal_reason="",
        )
        ctx.batch.record(
            at,
            operations,
            "direct_claims.granted",
            f"direct-claims:{status}",
            after={"qualification": info.code, "note": DIRECT_CLAIMS_NOTE},
        )


def claim_all(
    ctx: CentreContext,
    records: dict[int, IqaRecord],
    qualifications: dict[int, Qualification],
    snapshots: Snapshots,
    operations: int,
) -> int:
    """Claim for every certified learner who is ready; returns how many were not."""
    grant_direct_claims(ctx, operations)
    refused = 0
    for story in ctx.stories:
        if story.stage == CERTIFIED:
            record = records.get(story.registration, IqaRecord())
            if not claim(ctx, story, record, qualifications, snapshots):
                refused += 1
    return refused


def claimable_codes(story: LearnerStory, record: IqaRecord) -> list[str]:
    """Achieved units that IQA does not hold back, as `readiness_of_many` finds them."""
    units = story.qualification.units
    code_of = {units[code].id: code for code in story.units}
    blocked = record.blocked_units()
    return sorted(code_of[u] for u in story.achieved_units() if u not in blocked)


def claim(
    ctx: CentreContext,
    story: LearnerStory,
    record: IqaRecord,
    qualifications: dict[int, Qualification],
    snapshots: Snapshots,
) -> bool:
    finished = story.finished_at()
    codes = claimable_codes(story, record)
    held = set(story.achieved_units()) & record.blocked_units()
    if finished is None or not codes:
        return False
    verdict = evaluate(story.qualification.rules, codes)
    if story.qualification.published and (held or not verdict.eligible):
        return False
    kind = Kind.FULL if verdict.eligible else Kind.UNIT
    at = min(finished + timedelta(days=ctx.rng.uniform(3, 15)), ctx.now - timedelta(days=1))
    snapshot = {
        **snapshot_for(qualifications[story.qualification.id], kind, codes, snapshots),
        "learner_name": story.user.name,
        "centre": ctx.plan.name,
    }
    if kind == Kind.FULL:
        snapshot["credits"] = verdict.counted_credits
    number = certificate_number()
    certificate = ctx.batch.add(
        Certificate,
        number=number,
        learner_identifier=learner_identifier(User(pk=story.user.id)),
        registration_id=story.registration,
        kind=kind.value,
        centre_id=ctx.centre_id,
        snapshot=snapshot,
        issued_at=at,
        issued_by_id=ctx.admin.id,
        replaces_id=None,
        replacement_reason="",
        revocation_reason="",
        status="pending",
        file="",
        render_error="",
    )
    ctx.batch.record(
        at,
        ctx.admin.id,
        "certificate.claimed",
        f"certificate:{certificate}",
        after={"number": number, "kind": kind.value, "registration": story.registration},
    )
    return True


def snapshot_for(
    qualification: Qualification, kind: Kind, codes: list[str], snapshots: Snapshots
) -> dict[str, Any]:
    key = (qualification.pk, kind.value, tuple(codes))
    if key not in snapshots:
        unsaved = Registration(
            learner=User(full_name=""), centre=Centre(name=""), qualification=qualification
        )
        snapshots[key] = snapshot_of(unsaved, kind.value, codes)
    return snapshots[key]
