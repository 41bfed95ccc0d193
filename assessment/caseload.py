"""The assessor's caseload: each learner's progress against their plan, with a red, amber or
green status, and the evidence waiting for review. Read in a fixed number of queries."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, TypedDict

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from assessment.progress import STANDING, Standing, standings_of, with_standing
from portal.compiled import SHAPES_KEPT, compiled_once, from_row
from portal.links import links_to
from portal.lookups import one_of
from portal.made import makes
from portal.markup import ESCAPES
from portal.models import Centre, User
from portfolios.models import Evidence, Mapping, Registration, RegistrationUnit
from qualifications.models import Qualification

# No new evidence for this long is worth a word with the learner.
QUIET_DAYS = 28
# How far the share of criteria met may trail the share of the planned time gone.
AT_RISK_GAP = 10
BEHIND_GAP = 25


class Rag:
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    LABELS = {RED: "Behind plan", AMBER: "At risk", GREEN: "On track"}


RAG_RULE = (
    f"Behind plan (red): past the planned end date with criteria still to meet, or the share of "
    f"criteria met trails the share of the planned time gone by more than {BEHIND_GAP} points. "
    f"At risk (amber): it trails by more than {AT_RISK_GAP} points, or no evidence has come in "
    f"for {QUIET_DAYS} days. On track (green): otherwise."
)


@dataclass(frozen=True)
class CaseloadRow:
    progress: Standing  # the counts only: a caseload needs no rules of combination
    rag: str
    reason: str
    last_submitted: datetime.date | None
    quiet: bool

    @property
    def registration(self) -> Registration:
        return self.progress.registration

    @property
    def rag_label(self) -> str:
        return Rag.LABELS[self.rag]

    @property
    def learner_name(self) -> str:
        return self.registration.learner_name  # type: ignore[attr-defined]


class CaseloadLine(TypedDict):
    """A caseload row as the page draws it: ready-made strings in a dict, which a template
    reads several times faster than a chain of attributes (25 rows of a dozen each)."""

    link: str
    name: str
    qualification: str
    progress: str
    percent_met: str  # a string: an int is localised on every use
    planned_end: str  # dates as the date filter's "j M Y" writes them
    start: str
    rag: str
    rag_label: str
    reason: str
    last_submitted: str  # empty when none


def day_month_year(day: datetime.date | None, months: list[str] | None = None) -> str:
    """A day as the template filter `date:"j M Y"` writes it ("6 Dec 2026"; empty for None), for
    rows drawn by the hundred: the filter costs several times as much. `months`: the language's
    (`months_short`), when the caller has them for many days."""
    if not day:
        return ""
    months = months or months_short()
    return f"{day.day} {months[day.month]} {day.year}"


def months_short() -> list[str]:
    """The months' short names in the active language, translated once per language."""
    language = get_language() or ""
    months = MONTHS_SHORT.get(language)
    if months is None:
        months = MONTHS_SHORT[language] = ["", *(str(MONTHS_3[m]).title() for m in range(1, 13))]
    return months


MONTHS_SHORT: dict[str, list[str]] = {}


def lines_of(rows: Iterable[CaseloadRow]) -> list[CaseloadLine]:
    registration_link = links_to("portfolios:registration-detail")
    months = months_short()
    lines = []
    for row in rows:
        counts = row.progress
        registration = counts.registration
        lines.append(
            CaseloadLine(
                link=registration_link(registration.id),
                name=registration.learner_name,  # type: ignore[attr-defined]
                qualification=registration.qualification.title,
                progress=f"{counts.met} of {counts.criteria} criteria met · "
                f"{counts.units_achieved} of {counts.units} units",
                percent_met=str(counts.percent_met),
                planned_end=day_month_year(registration.planned_end_date, months) or "—",
                start=day_month_year(registration.start_date, months),
                rag=row.rag,
                rag_label=row.rag_label,
                reason=row.reason,
                last_submitted=day_month_year(row.last_submitted, months),
            )
        )
    return lines


def draw_lines(lines: Iterable[CaseloadLine]) -> SafeString:
    """The caseload table's rows, as home/assessor.html drew them in a loop (a dozen variables a
    row, each resolved and escaped by the template engine, cost more than the rest of the
    page's template): every value escaped here as Django's `escape` does (`ESCAPES`)."""
    t = ESCAPES
    return mark_safe(
        "".join(
            _line({key: value.translate(t) for key, value in line.items()})  # type: ignore[attr-defined]
            for line in lines
        )
    )


def _line(e: dict[str, str]) -> str:
    """A caseload row from its values escaped."""
    return (
        f"<tr>\n"
        f'<td><a href="{e["link"]}">{e["name"]}</a>\n'
        f'<div class="small text-body-secondary">{e["qualification"]}</div></td>\n'
        f'<td class="progress-cell" data-label="Progress">\n'
        f'<div class="small">{e["progress"]}</div>\n'
        f'<div class="progress progress-thin" role="progressbar" '
        f'aria-label="Criteria met for {e["name"]}" '
        f'aria-valuenow="{e["percent_met"]}" '
        f'aria-valuemin="0" aria-valuemax="100">\n'
        f'<div class="progress-bar bg-success pct-{e["percent_met"]}"></div>\n'
        f"</div>\n"
        f"</td>\n"
        f'<td class="text-nowrap" data-label="Planned end">{e["planned_end"]}</td>\n'
        f'<td data-label="Status"><span class="badge rag-{e["rag"]}">'
        f"{e['rag_label']}</span>\n"
        f'<div class="small text-body-secondary">{e["reason"]}</div></td>\n'
        f"</tr>\n"
    )


def time_gone(registration: Registration, today: datetime.date) -> int | None:
    """The share of the planned time gone, in per cent (None without a planned end)."""
    end, start = registration.planned_end_date, registration.start_date
    if end is None or end <= start:
        return None
    share = (today - start).days / (end - start).days
    return round(100 * min(max(share, 0.0), 1.0))


def status_of(
    progress: Standing, last: datetime.date | None, today: datetime.date
) -> tuple[str, str, bool]:
    """(red/amber/green, the reason in words, whether the learner has gone quiet)."""
    registration = progress.registration
    since = last or registration.start_date
    quiet = (today - since).days > QUIET_DAYS
    gone = time_gone(registration, today)
    met = progress.percent_met
    end = registration.planned_end_date
    if end is not None and today > end and met < 100:
        return Rag.RED, f"Past the planned end date with {met}% of criteria met.", quiet
    if gone is not None and gone - met > BEHIND_GAP:
        return Rag.RED, f"{met}% of criteria met with {gone}% of the planned time gone.", quiet
    if gone is not None and gone - met > AT_RISK_GAP:
        return Rag.AMBER, f"{met}% of criteria met with {gone}% of the planned time gone.", quiet
    if quiet:
        return Rag.AMBER, f"No new evidence for more than {QUIET_DAYS} days.", quiet
    if gone is None:
        return Rag.GREEN, f"{met}% of criteria met; no planned end date to measure against.", quiet
    return Rag.GREEN, f"{met}% of criteria met with {gone}% of the planned time gone.", quiet


def caseload_registrations(assessor: User, centre: Centre) -> QuerySet[Registration]:
    """The open registrations the assessor assesses at the centre: as the registration's
    assessor, or the assessor of one of its units (decision 39)."""
    return (
        Registration.objects.open()
        .assessed_by(assessor)
        .filter(centre=centre)
        .select_related("learner", "qualification")
    )


def given_to_others(assessor: User, registration: str) -> QuerySet[RegistrationUnit]:
    """The units of the registration (`registration`: its id's field in the outer query) given
    to an assessor other than `assessor` (decision 39)."""
    return RegistrationUnit.objects.filter(
        registration=OuterRef(registration), assessor__isnull=False
    ).exclude(assessor=assessor)


def waits_for(assessor: User, own_ids: list[int] | None = None) -> Q:
    """Evidence not judged yet that is the assessor's to review: in a registration where they
    assess every unit (the common case: a condition on the registration alone), mapped to an
    item of a unit they assess, or not mapped yet in a registration they are the assessor of
    (decision 39). Evidence judged by one assessor leaves every queue, as before. `own_ids`:
    the registrations the assessor is the assessor of, when the caller knows them (then the
    evidence is filtered without joining its registration)."""
    theirs = (
        Q(registration__assessor=assessor)
        if own_ids is None
        else Q(one_of("registration_id", own_ids))
    )
    units = (
        RegistrationUnit.objects.filter(registration=OuterRef(OuterRef("registration_id")))
        .filter(Q(assessor=assessor) | Q(assessor__isnull=True, registration__assessor=assessor))
        .values("unit_id")
    )
    mapped_to_theirs = Mapping.objects.filter(evidence=OuterRef("pk")).filter(
        Q(criterion__unit__in=units)
        | Q(range_item__unit__in=units)
        | Q(knowledge_item__unit__in=units)
    )
    unmapped = ~Exists(Mapping.objects.filter(evidence=OuterRef("pk")))
    every_unit = theirs & ~Q(Exists(given_to_others(assessor, "registration_id")))
    return Q(judged_at__isnull=True) & (
        every_unit | Q(Exists(mapped_to_theirs)) | (theirs & Q(unmapped))
    )


@dataclass(frozen=True)
class Caseload:
    """Every registration of a caseload as the evidence waiting needs it, once the caseload has
    been read: those whose every unit is the assessor's (all their evidence not judged waits
    for them), the others (`waits_for` decides), those of the others the assessor is the
    registration's assessor of, and the learners' names. The evidence is then read without
    joining its registration and learner, and the common case without the conditions on units
    and mappings, whose building cost more than the rest of the home page's queries."""

    whole_ids: list[int]
    shared_ids: list[int]
    own_shared_ids: list[int]
    names: dict[int, str]

    @classmethod
    def of(cls, assessor: User, rows: Iterable[CaseloadRow]) -> Caseload:
        whole, shared, own_shared, names = [], [], [], {}
        me = assessor.pk
        for row in rows:
            registration = row.progress.registration
            pk = registration.id
            names[pk] = registration.learner_name  # type: ignore[attr-defined]
            own = registration.assessor_id == me
            if own and not registration.units_given_to_others:  # type: ignore[attr-defined]
                whole.append(pk)
            else:
                shared.append(pk)
                if own:
                    own_shared.append(pk)
        return cls(whole, shared, own_shared, names)

    def waiting(self, assessor: User) -> QuerySet[Evidence]:
        """The evidence of these registrations that waits for the assessor (`waits_for`)."""
        whole = Q(one_of("registration_id", self.whole_ids))
        if self.shared_ids:
            whole |= Q(one_of("registration_id", self.shared_ids)) & waits_for(
                assessor, self.own_shared_ids
            )
        return Evidence.objects.filter(whole, judged_at__isnull=True)


def caseload(
    assessor: User,
    centre: Centre,
    today: datetime.date,
    *,
    qualification_id: int | None = None,
    rag: str | None = None,
) -> list[CaseloadRow]:
    """The assessor's active learners at the centre, most urgent first."""
    keyed = []
    local_day = local_days()
    order = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2}
    for progress in standings_of(caseload_read(assessor, centre)):
        registration = progress.registration
        if qualification_id is not None and registration.qualification_id != qualification_id:
            continue
        submitted = registration.last_evidence_at  # type: ignore[attr-defined]
        latest = local_day(submitted) if submitted else None
        status, reason, quiet = status_of(progress, latest, today)
        # Sorted by its key, worked out once a row rather than through the row's properties.
        key = (
            order[status],
            registration.learner_name,  # type: ignore[attr-defined]
            registration.qualification.title,
            registration.id,
        )
        keyed.append((key, CaseloadRow(progress, status, reason, latest, quiet)))
    keyed.sort(key=itemgetter(0))
    return [row for _, row in keyed if rag is None or row.rag == rag]


def local_days() -> Callable[[datetime.datetime], datetime.date]:
    """`timezone.localdate` for many times at once: the current time zone looked up once, not
    for each (a time without a zone is refused by `localdate`, as before)."""
    zone = timezone.get_current_timezone()

    def day(at: datetime.datetime) -> datetime.date:
        if at.utcoffset() is None:
            return timezone.localdate(at)
        return at.astimezone(zone).date()

    return day


Rows = Callable[..., list[tuple[Any, ...]]]

# What the caseload shows and works its status out from (loaded for every learner), and whose
# registration it is (for the evidence waiting: `Caseload`), as `Registration.from_db` takes it;
# the learner's name comes as `learner_name` (`caseload_named`).
READ = ("id", "learner_id", "qualification_id", "assessor_id", "start_date", "planned_end_date")
# What comes with them: as annotations on each registration.
ANNOTATED = ("learner_name", "units_given_to_others", *STANDING)


@compiled_once
def caseload_rows(assessor_id: int, centre_id: int) -> QuerySet[Registration]:
    """The caseload's registrations (`caseload_named`) with their figures (`with_standing`),
    whether another assessor has some of their units, and their qualification's title, as
    rows: the query built and compiled once per process (`portal.compiled`)."""
    assessor = User(pk=assessor_id)
    registrations = caseload_named(assessor, Centre(pk=centre_id)).annotate(
        units_given_to_others=Exists(given_to_others(assessor, "pk"))
    )
    return with_standing(registrations).values_list(*READ, "qualification__title", *ANNOTATED)


def caseload_read(assessor: User, centre: Centre) -> list[Registration]:
    """The registrations of `caseload_rows`, each with its qualification (its id and title)
    and the annotations, as the caseload reads them."""
    return registrations_of(caseload_rows(assessor.pk, centre.pk), READ, ANNOTATED)


def registrations_of(
    rows: Iterable[tuple[Any, ...]], read: tuple[str, ...], annotated: tuple[str, ...]
) -> list[Registration]:
    """Registrations made from rows of their fields `read` (the id and the qualification's id
    among them), their qualification's title, then the values `annotated`: each with its
    qualification (its id and title, one object for each), as `select_related` loads it."""
    at, size = read.index("qualification_id"), len(read)
    qualifications: dict[int, Qualification] = {}
    found = []
    # Made as `from_row` makes them (`portal.made`: a fiftieth of the calls), the qualification
    # put where `select_related` puts it (`Registration.qualification`'s cache).
    made = makes(Registration, read)
    for row in rows:
        registration = made(row[:size])
        qualification_id, title = row[at], row[size]
        qualification = qualifications.get(qualification_id)
        if qualification is None:
            qualification = from_row(Qualification, ("id", "title"), (qualification_id, title))
            qualifications[qualification_id] = qualification
        registration._state.fields_cache = {"qualification": qualification}
        registration.__dict__.update(zip(annotated, row[size + 1 :], strict=True))
        found.append(registration)
    return found


class CaseloadPages:
    """The caseload's registrations by qualification and learner, for a `Paginator`: counted,
    and each page read, by SQL compiled once per process (`portal.compiled`) for each page's
    place; each with its qualification and the learner's name (`learner_name`)."""

    READ = ("id", "learner_id", "qualification_id", "assessor_id")

    def __init__(self, assessor: User, centre: Centre) -> None:
        self.ids = (assessor.pk, centre.pk)

    def count(self) -> int:
        [(count,)] = _caseload_count(*self.ids)
        return int(count)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, part: slice) -> list[Registration]:
        rows = _caseload_page(part.start, part.stop)(*self.ids)
        return registrations_of(rows, self.READ, ("learner_name",))


@compiled_once
def _caseload_count(assessor_id: int, centre_id: int) -> QuerySet[Registration, Any]:
    return (
        caseload_named(User(pk=assessor_id), Centre(pk=centre_id))
        .annotate(one=Value(1, output_field=IntegerField()))
        .values("one")
        .annotate(n=Count("pk"))
        .values_list("n")
    )


@functools.lru_cache(maxsize=SHAPES_KEPT)
def _caseload_page(start: int, stop: int) -> Rows:
    def build(assessor_id: int, centre_id: int) -> QuerySet[Registration, Any]:
        return (
            caseload_named(User(pk=assessor_id), Centre(pk=centre_id))
            .order_by("qualification__title", "qualification_id", F("learner_name"), "pk")
            .values_list(*CaseloadPages.READ, "qualification__title", "learner_name")[start:stop]
        )

    return compiled_once(build)


def learner_name() -> Subquery:
    """The registration's learner's name, by subquery: a list of a caseload joined to its
    learners made PostgreSQL expect ten times the rows a caseload has and hash every user of
    the portal for the join (2.5 ms), where it looks up 50 names."""
    return Subquery(User.objects.filter(pk=OuterRef("learner_id")).values("full_name"))


def caseload_named(assessor: User, centre: Centre) -> QuerySet[Registration]:
    """`caseload_registrations`, with the qualification loaded and the learner's name as
    `learner_name` (not the learner), unordered."""
    return (
        Registration.objects.open()
        .assessed_by(assessor)
        .filter(centre=centre)
        .select_related("qualification")
        .annotate(learner_name=learner_name())
        .order_by()
    )


def waiting_for_review(assessor: User, centre: Centre) -> QuerySet[Evidence]:
    """Evidence in the caseload no assessor has judged yet, oldest first."""
    return (
        Evidence.objects.filter(registration__in=caseload_registrations(assessor, centre))
        .filter(waits_for(assessor))
        .select_related("registration__learner", "registration__qualification")
        .order_by("created_at", "pk")
    )


class WaitingEvidence(TypedDict):
    """Evidence waiting for review, as the home page lists it: a plain row, not three objects,
    and a dict, which a template reads faster than an object's attributes."""

    pk: int
    title: str
    created_at: datetime.datetime
    added: str  # the day, as the date filter's "j M Y" writes it
    learner: str
    link: str


def oldest_waiting(
    assessor: User, centre: Centre, shown: int, known: Caseload | None = None
) -> tuple[list[WaitingEvidence], int]:
    """The oldest `shown` pieces of evidence waiting for review, and how many wait in all: one
    query (the count is a window over every row, worked out before the limit). `known`: the
    caseload's registrations, when the caller has read them already: the evidence is then read
    by their ids alone (joining every piece to its registration made PostgreSQL hash the
    portal's 20,000 registrations: 8 ms of a 50 ms page)."""
    review = links_to("assessment:evidence-review")
    months = months_short()
    local_day = local_days()
    if known is None:
        rows = list(
            waiting_for_review(assessor, centre)
            .annotate(waiting=Window(Count("pk")))
            .values_list(
                "pk", "title", "created_at", "registration__learner__full_name", "waiting"
            )[:shown]
        )
    else:
        whole, shared = _waiting_rows(shown)
        read = (
            shared(assessor.pk, known.whole_ids, known.shared_ids, known.own_shared_ids)
            if known.shared_ids
            else whole(known.whole_ids)
        )
        rows = [
            (pk, title, at, known.names[registration], count)
            for pk, title, at, registration, count in read
        ]
    found = [
        WaitingEvidence(
            pk=pk,
            title=title,
            created_at=at,
            added=day_month_year(local_day(at), months),
            learner=learner,
            link=review(pk),
        )
        for pk, title, at, learner, _ in rows
    ]
    return found, rows[0][4] if rows else 0


@functools.cache
def _waiting_rows(shown: int) -> tuple[Rows, Rows]:
    """The oldest `shown` pieces of evidence waiting in a caseload read already (`Caseload`),
    and how many wait in all, by SQL compiled once per process (`portal.compiled`): where
    every unit of every registration is the assessor's (the common case, by their ids), and
    where some are shared (by the assessor too)."""

    def read(caseload: Caseload, assessor_id: int) -> QuerySet[Evidence, Any]:
        return (
            caseload.waiting(User(pk=assessor_id))
            .order_by("created_at", "pk")
            .annotate(waiting=Window(Count("pk")))
            .values_list("pk", "title", "created_at", "registration_id", "waiting")[:shown]
        )

    def whole(whole: list[int]) -> QuerySet[Evidence, Any]:
        return read(Caseload(whole, [], [], {}), 0)

    def shared(
        assessor_id: int, whole: list[int], shared: list[int], own_shared: list[int]
    ) -> QuerySet[Evidence, Any]:
        return read(Caseload(whole, shared, own_shared, {}), assessor_id)

    return compiled_once(whole), compiled_once(shared)


def draw_waiting(waiting: Iterable[WaitingEvidence]) -> SafeString:
    """The evidence waiting, as home/assessor.html drew it in a loop (up to 50 items): every
    value escaped here as Django's `escape` does (`ESCAPES`; Django's `escape` is the same
    text, wrapped in a lazy-string decorator that cost 2,000 Python calls a page)."""
    t = ESCAPES
    return mark_safe(
        "".join(
            f'<li class="mb-2"><a href="{e["link"].translate(t)}">{e["title"].translate(t)}</a>\n'
            f'<div class="small text-body-secondary">{e["learner"].translate(t)} · added '
            f"{e['added'].translate(t)}</div></li>\n"
            for e in waiting
        )
    )
