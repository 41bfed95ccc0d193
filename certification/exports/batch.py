"""A batch of claims (or registrations) read as plain rows for one AO file, in a fixed number of
queries however many learners it holds, and checked for what the AO cannot take."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from assessment.models import Decision, UnitSignOff, unit_of_item
from certification.exports.formats import FORMATS, Family, Format, family_of
from certification.exports.rows import Registered, UnitClaimed, UnitCompletion
from certification.models import WITHHELD, Certificate, Kind
from iqa.models import ActionStatus, Sample
from portal.models import Centre
from portal.refusals import Refused
from portal.spreadsheets import csv_text
from portfolios.models import Mapping, Registration, RegistrationStatus, RegistrationUnit
from qualifications.models import Criterion, KnowledgeItem, Qualification, RangeItem, Unit

NOTHING_CLAIMED = "No certificate of {title} was claimed between {start} and {end}."
NOBODY_REGISTERED = "Nobody was registered on {title} between {start} and {end}."
NOT_THIS_FAMILY = "That file is not one {ao} takes: choose one of {formats}."
IDENTITY_MISSING = (
    "Every awarding organisation registers a learner by their legal names, date of birth and "
    "sex; the portal does not hold them all for {who}. Record them on each learner's details "
    "page, then make the file again."
)
FUNDING_MISSING = (
    "City & Guilds asks every results entry to be marked funded or non-funded; it is not "
    "recorded for {who}. Record it on their registration, then make the file again."
)
CANDIDATE_MISSING = (
    "CXC identifies each candidate by their candidate number (the AO registration number on "
    "the registration); it is not recorded for {who}. Record it as the AO registration number "
    "on each learner's details page, then make the file again."
)
NAMED = 10  # learners named in a refusal; the rest are counted


class ExportRefused(Refused):
    """A file the AO could not take, or a batch with nothing in it."""


@dataclass(frozen=True)
class Batch:
    centre: Centre
    qualification: Qualification
    format: Format
    start: datetime.date
    end: datetime.date

    @property
    def window(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The two dates as times at the centre's (the portal's) time zone, the end inclusive."""
        zone = timezone.get_current_timezone()
        first = datetime.datetime.combine(self.start, datetime.time.min, zone)
        return first, datetime.datetime.combine(self.end, datetime.time.max, zone)

    @property
    def filename(self) -> str:
        number = re.sub(r"[^A-Za-z0-9-]+", "-", self.qualification.number or "").strip("-")
        number = number or f"qualification-{self.qualification.pk}"
        layout = FORMATS[self.format]
        return f"{layout.slug}-{number}-{self.start:%Y-%m-%d}-to-{self.end:%Y-%m-%d}.csv"


@dataclass(frozen=True)
class Made:
    """The file made, with what it holds (for the audit entry)."""

    filename: str
    text: str
    rows: int
    registrations: list[int]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def who(registrations: Iterable[Registered]) -> str:
    names = sorted({r.learner.full_name for r in registrations})
    shown = ", ".join(names[:NAMED])
    return shown + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")


def registrations_of(queryset: QuerySet[Registration]) -> list[Registered]:
    related = queryset.select_related("learner", "centre", "qualification", "iqa")
    return [Registered.of(r) for r in related.order_by("learner__full_name", "pk")]


def claimed(batch: Batch) -> list[Certificate]:
    """The batch's certificates: claimed in its window, neither revoked nor replacements, and
    let out by the awarding organisation: issued under Direct Claims Status or released by its
    external quality assurer (a claim awaiting the EQA, or held, is not the AO's to enter yet:
    decision 29)."""
    return list(
        Certificate.objects.of_centre(batch.centre.pk)
        .filter(
            registration__qualification=batch.qualification,
            issued_at__range=batch.window,
            revoked_at__isnull=True,
            replaces__isnull=True,
        )
        .exclude(release__in=WITHHELD)
        .order_by("issued_at", "pk")
    )


def units_by_printed_reference(qualification: Qualification) -> dict[str, Unit]:
    """The qualification's units by what certificates print for them: reference, else code."""
    units = Unit.objects.filter(memberships__qualification=qualification)
    return {u.reference or u.code: u for u in units}


def units_claimed(batch: Batch) -> list[UnitClaimed]:
    """One row per unit claimed in the batch: a unit on two certificates of a learner (a unit
    certificate, then the full one) once, from the later."""
    certificates = claimed(batch)
    registered = {
        r.pk: r
        for r in registrations_of(
            Registration.objects.filter(pk__in={c.registration_id for c in certificates})
        )
    }
    units = units_by_printed_reference(batch.qualification)
    sign_offs = {
        (s.registration_id, s.unit_id): s
        for s in UnitSignOff.objects.achieved()
        .filter(registration__in=list(registered))
        .select_related("signed_by")
    }
    found: dict[tuple[int, str], UnitClaimed] = {}
    for certificate in certificates:  # oldest first: a later claim of a unit replaces it
        registration = registered[certificate.registration_id]
        for printed in certificate.snapshot.get("units", []):
            unit = units.get(printed["reference"])
            signed = sign_offs.get((registration.pk, unit.pk)) if unit else None
            found[(registration.pk, printed["reference"])] = UnitClaimed(
                registration=registration,
                reference=printed["reference"],
                ao_unit_number=unit.ao_unit_number if unit else "",
                title=printed["title"],
                level=printed.get("level"),
                credits=printed.get("credits"),
                achieved_on=day_of(signed.learner_signed_at) if signed else None,
                assessor=signed.signed_by.full_name if signed else "",
                certificate_number=certificate.number,
                certificate_kind=certificate.get_kind_display(),
                claimed_on=timezone.localtime(certificate.issued_at).date(),
                full=certificate.kind == Kind.FULL,
            )
    return sorted(found.values(), key=lambda u: (u.registration.learner.full_name, u.reference))


def day_of(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def registered_in(batch: Batch) -> list[Registered]:
    made = Registration.objects.filter(
        centre=batch.centre,
        qualification=batch.qualification,
        created_at__range=batch.window,
    ).exclude(status=RegistrationStatus.WITHDRAWN)
    return registrations_of(made)


def met_counts(registrations: Sequence[int]) -> dict[tuple[int, int, str], int]:
    """(registration, unit, kind of item): how many items decisions that count have met."""
    counting = Decision.objects.filter(
        registration__in=registrations, current=True, outcome="met", provisional=False
    ).annotate(unit=unit_of_item())
    counts: dict[tuple[int, int, str], int] = {}
    for kind in ("criterion", "range_item", "knowledge_item"):
        rows = (
            counting.filter(**{f"{kind}__isnull": False})
            .values("registration_id", "unit")
            .annotate(n=Count(kind, distinct=True))
        )
        for row in rows:
            counts[(row["registration_id"], row["unit"], kind)] = row["n"]
    return counts


def item_totals(units: Iterable[int]) -> dict[tuple[int, str], int]:
    totals: dict[tuple[int, str], int] = {}
    for kind, model in (("criterion", Criterion), ("range_item", RangeItem)):
        for row in model.objects.filter(unit__in=units).values("unit").annotate(n=Count("pk")):
            totals[(row["unit"], kind)] = row["n"]
    for row in KnowledgeItem.objects.filter(unit__in=units).values("unit").annotate(n=Count("pk")):
        totals[(row["unit"], "knowledge_item")] = row["n"]
    return totals


def evidence_counts(registrations: Sequence[int]) -> dict[tuple[int, int], int]:
    """(registration, unit): evidence items mapped to the unit and not rejected."""
    rows = (
        Mapping.objects.filter(evidence__registration__in=registrations)
        .exclude(status="rejected")
        .annotate(unit=unit_of_item())
        .values("evidence__registration_id", "unit")
        .annotate(n=Count("evidence", distinct=True))
    )
    return {(r["evidence__registration_id"], r["unit"]): r["n"] for r in rows}


def sampling(registrations: Sequence[int]) -> dict[tuple[int, int], tuple[Sample, int]]:
    """(registration, unit): the latest sample, and the open actions of all its samples."""
    samples = Sample.objects.filter(registration__in=registrations).annotate(
        still_open=Count("actions", filter=~Q(actions__status=ActionStatus.CLOSED))
    )
    found: dict[tuple[int, int], tuple[Sample, int]] = {}
    for sample in samples.order_by("sampled_at", "pk"):
        key = (sample.registration_id, sample.unit_id)
        earlier = found.get(key, (sample, 0))[1]
        found[key] = (sample, earlier + sample.still_open)
    return found


def completion(batch: Batch) -> list[UnitCompletion]:
    """Each unit chosen by the batch's learners, and how complete it is."""
    registered = registrations_of(
        Registration.objects.filter(pk__in={c.registration_id for c in claimed(batch)})
    )
    pks = [r.pk for r in registered]
    chosen = defaultdict(list)
    for planned in RegistrationUnit.objects.filter(registration__in=pks).select_related("unit"):
        chosen[planned.registration_id].append(planned.unit)
    met, evidenced, sampled = met_counts(pks), evidence_counts(pks), sampling(pks)
    totals = item_totals({u.pk for units in chosen.values() for u in units})
    in_force = UnitSignOff.objects.in_force().filter(registration__in=pks)
    sign_offs = {(s.registration_id, s.unit_id): s for s in in_force}
    rows = []
    for registration in registered:
        for unit in sorted(chosen[registration.pk], key=lambda u: u.reference or u.code):
            key = (registration.pk, unit.pk)
            signed = sign_offs.get(key)
            sample, still_open = sampled.get(key, (None, 0))
            rows.append(
                UnitCompletion(
                    registration=registration,
                    reference=unit.reference or unit.code,
                    title=unit.title,
                    criteria_met=met.get((*key, "criterion"), 0),
                    criteria=totals.get((unit.pk, "criterion"), 0),
                    range_met=met.get((*key, "range_item"), 0),
                    range_items=totals.get((unit.pk, "range_item"), 0),
                    knowledge_met=met.get((*key, "knowledge_item"), 0),
                    knowledge_items=totals.get((unit.pk, "knowledge_item"), 0),
                    evidence_items=evidenced.get(key, 0),
                    signed_off_on=day_of(signed.signed_at) if signed else None,
                    countersigned_on=day_of(signed.learner_signed_at) if signed else None,
                    last_sampled_on=day_of(sample.sampled_at) if sample else None,
                    last_verdict=sample.get_verdict_display() if sample else "",
                    open_actions=still_open,
                )
            )
    return rows


def check(batch: Batch, registrations: list[Registered]) -> None:
    """Refuse a file the AO could not take, naming the learners and what is missing."""
    title, family = batch.qualification.title, family_of(batch.qualification)
    if not registrations:
        nothing = NOBODY_REGISTERED if batch.format == Format.REGISTRATIONS else NOTHING_CLAIMED
        start, end = f"{batch.start:%d %B %Y}", f"{batch.end:%d %B %Y}"
        raise ExportRefused(nothing.format(title=title, start=start, end=end))
    problems = []
    if unnamed := [r for r in registrations if r.learner.missing]:
        problems.append(IDENTITY_MISSING.format(who=who(unnamed)))
    unfunded = [r for r in registrations if not r.funding]
    if family == Family.CITY_AND_GUILDS and unfunded:
        problems.append(FUNDING_MISSING.format(who=who(unfunded)))
    unnumbered = [r for r in registrations if not r.ao_registration_number]
    if family == Family.CVQ and unnumbered:
        problems.append(CANDIDATE_MISSING.format(who=who(unnumbered)))
    if problems:
        raise ExportRefused(problems)


def batch_file(batch: Batch) -> Made:
    """The batch as the CSV file of its format; ExportRefused if the AO could not take it."""
    layout = FORMATS[batch.format]
    items: Sequence[Registered | UnitClaimed | UnitCompletion]
    if batch.format == Format.REGISTRATIONS:
        items = registered_in(batch)
        registrations = list(items)
    else:
        items = completion(batch) if batch.format == Format.CVQ_COMPLETION else units_claimed(batch)
        registrations = list({i.registration.pk: i.registration for i in items}.values())
    check(batch, registrations)
    text = csv_text(layout.header, (layout.row(item) for item in items))
    return Made(batch.filename, text, len(items), sorted(r.pk for r in registrations))
