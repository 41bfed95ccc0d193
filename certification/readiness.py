"""Whether a registration can be claimed, and if not, why: the rules engine and IQA, in words.

Worked out here (`readiness_of_many`), kept on the registration (`portfolios.ClaimReadiness`)
and worked out again only where something changed since (`refresh_readiness`), so the centre
admin's pages count and page their lists in the database (decision 19). A claim always works
it out afresh, inside its transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from assessment.models import UnitSignOff
from certification.models import Certificate, Kind
from iqa.selectors import claim_blockers_of
from portal.audit import lock_chain
from portal.models import Centre
from portfolios.models import ClaimReadiness, Registration, RegistrationQuerySet
from qualifications.rules import Rules, Verdict, evaluate
from qualifications.rules.adapter import rules_for


@dataclass(frozen=True)
class Readiness:
    registration: Registration
    claimable_units: list[str]  # achieved (signed off and countersigned) and cleared by IQA
    verdict: Verdict
    full_reasons: list[str] = field(default_factory=list)
    unit_reasons: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # IQA's reasons for holding achieved units

    @property
    def full_ready(self) -> bool:
        return not self.full_reasons

    @property
    def unit_ready(self) -> bool:
        return not self.unit_reasons


NO_UNITS = "No unit is achieved and cleared by IQA yet."
FULL_MET = "The full qualification is met: claim the full certificate instead."


def readiness_of(registration: Registration) -> Readiness:
    """Claim readiness from achieved units, the rules of combination and IQA blockers."""
    return readiness_of_many([registration])[0]


def readiness_of_many(registrations: Sequence[Registration]) -> list[Readiness]:
    """readiness_of for each registration, in a number of queries that does not grow with the
    registrations (only with the qualifications among them, whose rules are read once each)."""
    achieved: dict[int, dict[int, str]] = defaultdict(dict)
    for registration_id, unit_id, code in (
        UnitSignOff.objects.achieved()
        .filter(registration__in=[r.pk for r in registrations])
        .values_list("registration_id", "unit_id", "unit__code")
    ):
        achieved[registration_id][unit_id] = code
    blockers = claim_blockers_of(registrations)
    rules: dict[int, Rules] = {}
    result = []
    for registration in registrations:
        if registration.qualification_id not in rules:
            rules[registration.qualification_id] = rules_for(registration.qualification)
        mine, held_back = achieved[registration.pk], blockers.get(registration.pk, {})
        claimable = sorted(code for pk, code in mine.items() if pk not in held_back)
        verdict = evaluate(rules[registration.qualification_id], claimable)
        held = [reason for pk, reason in held_back.items() if pk in mine]
        full = [r.message for r in verdict.unmet] + held
        if not verdict.eligible and not full:
            full = [r.message for r in verdict.rules if not r.met] or ["The rules are not met."]
        unit = [] if claimable else [NO_UNITS]
        if verdict.eligible and not held:
            unit = [FULL_MET]
        result.append(Readiness(registration, claimable, verdict, full, unit, held))
    return result


def claimable_registrations(centre: Centre) -> RegistrationQuerySet:
    """The centre's open registrations, those the claims page lists (a closed one takes no
    claim: `Registration.closed_because`)."""
    return Registration.objects.open().filter(centre=centre)


def refresh_readiness(centre: Centre) -> None:
    """Work out again, and keep, the claim readiness of the centre's open registrations whose
    kept readiness is out of date (`RegistrationQuerySet.readiness_out_of_date`), before a page
    shows or counts it. One query when nothing changed since the last view; otherwise a number
    that does not grow with the registrations."""
    out_of_date = claimable_registrations(centre).readiness_out_of_date()
    if not out_of_date.exists():
        return
    with transaction.atomic():
        # The centre's chain first, as every write takes it: each service that marks readiness
        # stale holds it until it commits, so none can change what is read below between
        # reading it and storing what it says (and a mark made after this commits stays).
        lock_chain(centre.pk)
        # The rules' stamps are read with the registrations, before the rules themselves.
        keep(readiness_of_many(list(out_of_date.select_related("qualification"))))


STORED = [
    "stale", "full_ready", "unit_ready", "claimable_units", "counted_credits", "full_reasons",
    "unit_reasons", "held", "rules_version", "rules_stamp", "computed_at",
]  # fmt: skip


def keep(readiness: Sequence[Readiness]) -> None:
    """Store readiness worked out from registrations annotated by `with_rules_stamp`."""
    now = timezone.now()
    rows = [
        ClaimReadiness(
            registration=r.registration,
            stale=False,
            full_ready=r.full_ready,
            unit_ready=r.unit_ready,
            claimable_units=r.claimable_units,
            counted_credits=r.verdict.counted_credits,
            full_reasons=r.full_reasons,
            unit_reasons=r.unit_reasons,
            held=r.held,
            rules_version=r.registration.current_rules_version,  # type: ignore[attr-defined]
            rules_stamp=stamp_or_none(r.registration.current_rules_stamp),  # type: ignore[attr-defined]
            computed_at=now,
        )
        for r in readiness
    ]
    ClaimReadiness.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["registration"],
        update_fields=STORED,
    )


def stamp_or_none(stamp: uuid.UUID | str) -> uuid.UUID | None:
    """The qualification's rules stamp as read (SQLite gives the text), None for none yet."""
    value = stamp if isinstance(stamp, uuid.UUID) else uuid.UUID(str(stamp))
    return None if value.int == 0 else value


@dataclass(frozen=True)
class ClaimLists:
    """The claims page's three lists, as queries to count and page in the database: ready for a
    full certificate, can have a unit certificate, neither and nothing claimed; each leaving
    out the kinds already claimed. They read the kept readiness: `refresh_readiness` first."""

    full: RegistrationQuerySet
    unit: RegistrationQuerySet
    waiting: RegistrationQuerySet


def claimed(kind: Kind) -> Exists:
    return Exists(
        Certificate.objects.filter(registration=OuterRef("pk"), kind=kind, replaces__isnull=True)
    )


def claim_lists(registrations: RegistrationQuerySet) -> ClaimLists:
    shown = registrations.select_related("learner", "qualification", "claim_readiness").order_by(
        "learner__full_name", "pk"
    )
    return ClaimLists(
        full=shown.filter(Q(claim_readiness__full_ready=True) & ~claimed(Kind.FULL)),
        unit=shown.filter(Q(claim_readiness__unit_ready=True) & ~claimed(Kind.UNIT)),
        waiting=shown.filter(
            Q(claim_readiness__full_ready=False, claim_readiness__unit_ready=False)
            & ~claimed(Kind.FULL)
            & ~claimed(Kind.UNIT)
        ),
    )
