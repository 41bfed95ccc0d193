"""Whether a registration can be claimed, and if not, why: the rules engine and IQA, in words.

Worked out here (`readiness_of_many`), kept on the registration with the claims page's list it
puts it on (`portfolios.ClaimReadiness`), and worked out again only where something changed
since (`refresh_readiness`), so the centre admin's pages count and page their lists in the
database (decision 19). A claim always works it out afresh, inside its transaction."""

from __future__ import annotations

import datetime
import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    F,
    FilteredRelation,
    JSONField,
    Min,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from assessment.models import UnitSignOff
from certification.models import Certificate, Kind
from iqa.selectors import claim_blockers_of
from portal.audit import lock_chain
from portal.compiled import compiled_once
from portal.listing import PER_PAGE
from portal.models import Centre
from portfolios.models import (
    ClaimList,
    ClaimReadiness,
    PriorLearning,
    PriorLearningKind,
    Registration,
    RegistrationQuerySet,
)
from qualifications.claim_policy import ClaimPolicy, claim_reasons, policy_of
from qualifications.lifecycle import claim_refusal
from qualifications.models import Qualification, Unit
from qualifications.rules import Rules, Verdict, evaluate
from qualifications.rules.versions import pinned_rules, versions_of


@dataclass(frozen=True)
class Readiness:
    registration: Registration
    # Achieved (signed off and countersigned, or through RPL) and cleared by IQA.
    claimable_units: list[str]
    verdict: Verdict
    full_reasons: list[str] = field(default_factory=list)
    unit_reasons: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # IQA's reasons for holding achieved units
    # The unit certificate in force (decision 30), if any, and the claimable units not on it.
    since: str = ""
    new_units: list[str] = field(default_factory=list)
    # The first day a reason lapses by time alone (the AO's minimum period), if any.
    recheck_on: datetime.date | None = None

    @property
    def full_ready(self) -> bool:
        return not self.full_reasons

    @property
    def unit_ready(self) -> bool:
        return not self.unit_reasons


NO_UNITS = "No unit is achieved and cleared by IQA yet."
# A sign-off's row among the RPL and exemptions read with it (`PriorLearningKind`'s values).
SIGNED_OFF = Value("signed_off", output_field=CharField())
FULL_MET = "The full qualification is met: claim the full certificate instead."
NO_NEW_UNITS = "No unit has been achieved since unit certificate {number}, which lists them all."
HAS_FULL = "The full certificate {number} is issued: it lists every unit achieved."
FULL_REVOKED = (
    "The full certificate {number} was claimed and has been revoked: no other certificate is "
    "claimed for this registration."
)
FULL_CLAIMED = (
    "A full certificate was claimed for this registration already: it is not claimed twice "
    "(a replacement is made from it)."
)


def readiness_of(registration: Registration) -> Readiness:
    """Claim readiness from achieved units, the rules of combination, IQA blockers, the
    qualification's lifecycle and its awarding organisation's claim policy on this day."""
    return readiness_of_many([registration])[0]


def readiness_of_many(registrations: Sequence[Registration]) -> list[Readiness]:
    """readiness_of for each registration, in a number of queries that does not grow with the
    registrations (only with the qualifications among them, whose rules are read once each, and
    the rules versions they are pinned to, read in one query where not kept already)."""
    today = timezone.localdate()
    achieved: dict[int, dict[int, str]] = defaultdict(dict)
    printed: dict[str, str] = {}  # unit code -> the reference a certificate prints for it
    ids = [r.pk for r in registrations]
    rpl: dict[int, set[str]] = defaultdict(set)
    exempt: dict[int, set[str]] = defaultdict(set)
    # Achieved by assessment (signed off and countersigned) or through RPL, and the exemptions
    # (decision 50), in one statement.
    for registration_id, unit_id, code, reference, how in (
        UnitSignOff.objects.achieved()
        .filter(registration__in=ids)
        .order_by()
        .values_list("registration_id", "unit_id", "unit__code", "unit__reference", SIGNED_OFF)
        .union(
            PriorLearning.objects.in_force()
            .filter(registration__in=ids)
            .order_by()
            .values_list("registration_id", "unit_id", "unit__code", "unit__reference", "kind")
        )
    ):
        if how == PriorLearningKind.EXEMPTION:
            exempt[registration_id].add(code)
            continue
        if how == PriorLearningKind.RPL:
            rpl[registration_id].add(code)
        achieved[registration_id][unit_id] = code
        printed[code] = reference or code  # as `services.snapshot_of` prints it
    blockers = claim_blockers_of(registrations)
    in_force = certificates_in_force([r.pk for r in registrations])
    # The rules each registration is pinned to: one Rules a version, shared by its learners.
    rules: dict[int, Rules] = {}
    versions = versions_of(r.pinned_rules_id for r in registrations)
    policies: dict[int, ClaimPolicy] = {}
    result = []
    for registration in registrations:
        pinned = registration.pinned_rules_id
        if pinned not in rules:
            rules[pinned] = pinned_rules(registration.qualification, pinned, versions)
        if registration.qualification_id not in policies:
            policies[registration.qualification_id] = policy_of(registration.qualification)
        mine, held_back = achieved[registration.pk], blockers.get(registration.pk, {})
        claimable = sorted(code for pk, code in mine.items() if pk not in held_back)
        # What IQA holds back of RPL is held back too: it then counts as not yet achieved.
        verdict = evaluate(
            rules[pinned],
            claimable,
            rpl=rpl[registration.pk] & set(claimable),
            exempt=exempt[registration.pk],
        )
        held = [reason for pk, reason in held_back.items() if pk in mine]
        full = [r.message for r in verdict.unmet] + held
        if not verdict.eligible and not full:
            full = [r.message for r in verdict.rules if not r.met] or ["The rules are not met."]
        unit = [] if claimable else [NO_UNITS]
        last = in_force.get((registration.pk, Kind.UNIT))
        new = [c for c in claimable if last is None or printed[c] not in last.references]
        if claimable and not new and last is not None:
            unit = [NO_NEW_UNITS.format(number=last.number)]
        if verdict.eligible and not held:
            unit = [FULL_MET]
        full_issued = in_force.get((registration.pk, Kind.FULL))
        if full_issued is not None:
            said = FULL_REVOKED if full_issued.revoked else HAS_FULL
            unit = [said.format(number=full_issued.number)]
        # The AO's claim policy holds back every claim, whatever the learner achieved; so does
        # the qualification's lifecycle, which is said first.
        policy = claim_reasons(
            policies[registration.qualification_id],
            registered_on=registration.registered_on,
            born=registration.learner.date_of_birth,
            number=registration.ao_registration_number,
            today=today,
        )
        if policy.reasons:
            # Not "claim the full certificate instead": the policy holds that back too.
            full = [*policy.reasons, *full]
            unit = [*policy.reasons, *(r for r in unit if r != FULL_MET)]
        closed = claim_refusal(registration.qualification, today)
        if closed:
            full, unit = [closed, *full], [closed]
        since = last.number if last is not None else ""
        ready = Readiness(
            registration, claimable, verdict, full, unit, held, since, new, policy.recheck_on
        )
        result.append(ready)
    return result


@dataclass(frozen=True)
class InForce:
    """The end of a registration's chain of certificates of one kind: the one neither replaced
    nor superseded (revoked or not), with the unit references it prints."""

    number: str
    references: frozenset[str]
    revoked: bool = False


def certificates_in_force(registration_ids: Sequence[int]) -> dict[tuple[int, str], InForce]:
    """(registration, kind) -> the certificate in force, for these registrations: one query
    (compiled once: `in_force_rows`)."""
    rows = in_force_rows(list(registration_ids)) if registration_ids else []
    return {
        (registration, kind): InForce(
            number, frozenset(u["reference"] for u in units or []), revoked_at is not None
        )
        for registration, kind, number, units, revoked_at in rows
    }


@compiled_once
def in_force_rows(registration_ids: list[int]) -> QuerySet[Any]:
    """The certificates in force of these registrations (neither replaced nor superseded), as
    `certificates_in_force` reads them: SQL compiled once per length of list."""
    return Certificate.objects.filter(
        registration__in=registration_ids,
        replaced_by__isnull=True,
        superseded_by__isnull=True,
    ).values_list("registration_id", "kind", "number", "snapshot__units", "revoked_at")


def printed_references(codes: set[str]) -> dict[str, str]:
    """unit code -> the reference a certificate prints for it (`services.snapshot_of`)."""
    rows = Unit.objects.filter(code__in=codes).values_list("code", "reference")
    return {code: reference or code for code, reference in rows}


def units_since(rows: Sequence[dict[str, Any]]) -> None:
    """Add to each row of the claims page's unit list what was achieved since the learner's
    unit certificate in force, in words ("2 more units achieved since certificate N"), as
    `since`: the page's rows in two queries whatever their number."""
    in_force = certificates_in_force([row["registration_id"] for row in rows])
    printed = printed_references({code for row in rows for code in row["claimable_units"]})
    for row in rows:
        last = in_force.get((row["registration_id"], Kind.UNIT))
        if last is None:
            row["since"] = ""
            continue
        new = [c for c in row["claimable_units"] if printed.get(c, c) not in last.references]
        count = f"{len(new)} more unit{'' if len(new) == 1 else 's'}"
        row["since"] = f"{count} achieved since certificate {last.number}"


def claimable_registrations(centre: Centre) -> RegistrationQuerySet:
    """The centre's open registrations, those the claims page lists (a closed one takes no
    claim: `Registration.closed_because`)."""
    return Registration.objects.open().filter(centre=centre)


def refresh_readiness(centre: Centre) -> None:
    """Work out again, and keep, the claim readiness of the centre's registrations whose kept
    readiness is out of date (`RegistrationQuerySet.readiness_out_of_date`), before a page
    shows or counts it: in a number of queries that does not grow with the registrations."""
    with transaction.atomic():
        # The centre's chain first, as every write takes it: each service that marks readiness
        # stale holds it until it commits, so none can change what is read below between
        # reading it and storing what it says (and a mark made after this commits stays).
        lock_chain(centre.pk)
        # The rules' stamps are read with the registrations, before the rules themselves.
        registrations = list(
            Registration.objects.filter(centre=centre)
            .readiness_out_of_date()
            .with_rules_stamp()
            .select_related(
                "centre", "learner__anonymisation", "qualification__awarding_organisation"
            )
            .order_by("pk")
        )
        keep(readiness_of_many(registrations), claimed_of(registrations))


def claimed_of(registrations: Sequence[Registration]) -> set[tuple[int, str]]:
    """(registration, kind) of each certificate claimed for these registrations (a replacement
    is not a claim): one query."""
    return set(
        Certificate.objects.filter(
            registration__in=registrations, replaces__isnull=True
        ).values_list("registration_id", "kind")
    )


def claim_reasons_now(
    readiness: Readiness, claimed: set[tuple[int, str]]
) -> tuple[list[str], list[str]]:
    """Why a full and why a unit certificate cannot be claimed now (empty: it can), as the
    claims page and the API say it: the readiness's reasons, but a closed registration takes no
    claim, and one whose full certificate was claimed takes no other (`certificate_claim`
    refuses both; a replacement is made from the certificate instead)."""
    registration = readiness.registration
    if reason := registration.closed_because:
        return [reason], [reason]
    if (registration.pk, Kind.FULL) in claimed:
        return [FULL_CLAIMED], readiness.unit_reasons
    return readiness.full_reasons, readiness.unit_reasons


def listed(readiness: Readiness, claimed: set[tuple[int, str]]) -> ClaimList:
    """The one list of the claims page the registration is on."""
    registration = readiness.registration
    if registration.closed_because:
        return ClaimList.CLOSED
    has_full = (registration.pk, Kind.FULL) in claimed
    has_unit = (registration.pk, Kind.UNIT) in claimed
    full_reasons, unit_reasons = claim_reasons_now(readiness, claimed)
    if not full_reasons:
        return ClaimList.FULL
    if not unit_reasons:  # a unit certificate in force lists fewer units than achieved
        return ClaimList.UNIT
    if not (readiness.full_ready or readiness.unit_ready or has_full or has_unit):
        return ClaimList.WAITING
    return ClaimList.CLAIMED


STORED = [
    "centre", "qualification", "listed", "learner_name", "stale", "full_ready", "unit_ready",
    "claimable_units", "counted_credits", "full_reasons", "unit_reasons", "held",
    "rules_version", "rules_stamp", "computed_at", "recheck_on",
]  # fmt: skip


def keep(readiness: Sequence[Readiness], claimed: set[tuple[int, str]]) -> None:
    """Store readiness worked out from registrations annotated by `with_rules_stamp`."""
    now = timezone.now()
    rows = [
        ClaimReadiness(
            registration=r.registration,
            centre_id=r.registration.centre_id,
            qualification_id=r.registration.qualification_id,
            listed=listed(r, claimed),
            learner_name=r.registration.learner.full_name,
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
            recheck_on=r.recheck_on,
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


def claim_list(
    centre: Centre, which: ClaimList, qualification: int | None = None
) -> QuerySet[ClaimReadiness, dict[str, Any]]:
    """One list of the claims page, as kept (`claim_counts` first brings it up to date), by the
    learner's name, to be paged in the database: as narrow rows of what the page shows. (The
    name is the one kept: a change of name marks the row stale, so it is the learner's.)"""
    rows = ClaimReadiness.objects.filter(centre=centre, listed=which)
    if qualification is not None:
        rows = rows.filter(qualification=qualification)
    return rows.order_by("learner_name", "registration_id").values(
        *LISTED_FIELDS, qualification_title=F("qualification__title")
    )


def claim_pages(
    centre: Centre, offsets: Mapping[str, int], qualification: int | None = None
) -> dict[str, list[dict[str, Any]]]:
    """A page of each list named in `offsets` (a `ClaimList` value -> the offset of its page's
    first row), the rows `claim_list` gives from there, up to `PER_PAGE` of each: one query
    for them all, written as SQL (decision 66), each list's page read in order from the
    readiness index as `claim_list`'s is. Built by the ORM, the three lists' querysets cost
    some 6,000 Python calls a view of the claims page."""
    kept, title = ClaimReadiness._meta, Qualification._meta
    plain = [f for f in LISTED_FIELDS if f not in PACKED_FIELDS]
    # The JSON columns as one JSON array of them, as text: one `json.loads` a row, where the
    # driver decoding each (four a row) cost some 2,000 Python calls a view.
    packed = " || ',' || ".join(f"CAST(cr.{f} AS TEXT)" for f in PACKED_FIELDS)
    columns = ", ".join([*(f"cr.{f}" for f in plain), f"'[' || {packed} || ']'"])
    where = "cr.centre_id = %s AND cr.listed = %s"
    if qualification is not None:
        where += " AND cr.qualification_id = %s"
    parts: list[str] = []
    params: list[Any] = []
    for at, (which, offset) in enumerate(offsets.items()):
        parts.append(
            f"SELECT * FROM (SELECT {at} AS list_at, ROW_NUMBER() OVER"
            " (ORDER BY cr.learner_name, cr.registration_id) AS n,"
            f" {columns}, q.title FROM {kept.db_table} cr JOIN {title.db_table} q"
            f" ON q.id = cr.qualification_id WHERE {where}"
            f" ORDER BY cr.learner_name, cr.registration_id LIMIT {PER_PAGE} OFFSET %s) l{at}"
        )
        params += [centre.pk, which]
        if qualification is not None:
            params.append(qualification)
        params.append(offset)
    sql = " UNION ALL ".join(parts) + " ORDER BY 1, 2"
    lists = list(offsets)
    found: dict[str, list[dict[str, Any]]] = {which: [] for which in lists}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for at, _, *values, json_values, qualification_title in cursor.fetchall():
            row = dict(zip(plain, values, strict=True))
            row.update(zip(PACKED_FIELDS, json.loads(json_values), strict=True))
            row["qualification_title"] = qualification_title
            found[lists[at]].append(row)
    return found


# What the lists show of each registration.
LISTED_FIELDS = [
    "registration_id", "learner_name", "counted_credits", "claimable_units", "full_reasons",
    "unit_reasons", "held",
]  # fmt: skip
# Those of them that are JSON, read by `claim_pages` as one JSON array a row.
PACKED_FIELDS = [
    f for f in LISTED_FIELDS if isinstance(ClaimReadiness._meta.get_field(f), JSONField)
]


@dataclass(frozen=True)
class ClaimCounts:
    """How many each list holds, for one qualification at a centre or for all of them."""

    full: int = 0
    unit: int = 0
    waiting: int = 0

    def __add__(self, other: ClaimCounts) -> ClaimCounts:
        return ClaimCounts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


@dataclass(frozen=True)
class QualificationCounts:
    pk: int
    title: str
    counts: ClaimCounts


def claim_counts(centre: Centre) -> list[QualificationCounts]:
    """How many of the centre's registrations each list holds, per qualification that has
    open ones (by title): one query when the kept readiness of every one is up to date, which
    that query also says; otherwise it is brought up to date (`refresh_readiness`) and they
    are counted again. (One changed in the moment between is shown as it was a moment before,
    as if the page had been asked for a moment earlier.)"""
    counted, out_of_date = count_lists(centre)
    if out_of_date:
        refresh_readiness(centre)
        counted, _ = count_lists(centre)
    return counted


def count_lists(centre: Centre) -> tuple[list[QualificationCounts], bool]:
    """The lists counted per qualification, and whether any of the centre's registrations is
    out of date (the groups say it as `READINESS_OUT_OF_DATE` does, without a condition for
    the database to work out on every row)."""
    rows = grouped_rows(centre.pk)
    by_qualification: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    out_of_date = False
    today = timezone.localdate()
    for row in rows:
        pk, title, listed, stale, version, stamp, version_now, stamp_now, end = row[:9]
        n, oldest, soonest = row[9:]
        by_qualification[(title, pk)][listed] = by_qualification[(title, pk)].get(listed, 0) + n
        out_of_date = out_of_date or (
            listed is None
            or stale
            or (version, stamp) != (version_now, stamp_now)
            or ended_since(end, oldest, today)
            or (soonest is not None and soonest <= today)  # `recheck_due`: a minimum period ended
        )
    return [
        QualificationCounts(
            pk,
            title,
            ClaimCounts(
                lists.get(ClaimList.FULL, 0),
                lists.get(ClaimList.UNIT, 0),
                lists.get(ClaimList.WAITING, 0),
            ),
        )
        for (title, pk), lists in sorted(by_qualification.items())
        if set(lists) - {ClaimList.CLOSED}  # open registrations on it (or some not yet kept)
    ], out_of_date


@compiled_once
def grouped_rows(centre: int) -> QuerySet[Any]:
    """The centre's registrations grouped as `count_lists` reads them: SQL compiled once (the
    page counted them on every request with a query Django built and compiled again). Their
    kept readiness is joined on the centre too (kept the registration's by the services that
    move it, as `claim_pages` reads it): PostgreSQL then reads the centre's thousand by its
    index, where it scanned every centre's 20,000 (8 ms, now 2)."""
    kept = FilteredRelation("claim_readiness", condition=Q(claim_readiness__centre=centre))
    return (
        Registration.objects.filter(centre=centre)
        .annotate(kept=kept)
        .values_list(*[name.replace("claim_readiness__", "kept__") for name in GROUPED])
        .annotate(
            n=Count("pk"),
            oldest=Min("kept__computed_at"),
            soonest=Min("kept__recheck_on"),
        )
        .order_by()
    )


GROUPED = [
    "qualification_id", "qualification__title", "claim_readiness__listed",
    "claim_readiness__stale", "claim_readiness__rules_version", "claim_readiness__rules_stamp",
    "qualification__rules_version", "qualification__revision", "qualification__certification_end",
]  # fmt: skip


def ended_since(
    end: datetime.date | None, oldest: datetime.datetime | None, today: datetime.date
) -> bool:
    """Whether the certification end date has passed since the oldest readiness kept was
    worked out (`portfolios.models.certification_ended_since`, in Python)."""
    if end is None or oldest is None or end >= today:
        return False
    return timezone.localtime(oldest).date() <= end
