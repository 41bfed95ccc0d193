"""What the assessment pages show, read in a fixed number of queries."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.http import QueryDict
from django.template.defaultfilters import truncatewords
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from assessment.caseload import (
    RAG_RULE,
    Caseload,
    caseload,
    day_month_year,
    draw_lines,
    lines_of,
)
from assessment.countersigner import Countersigner, countersigner_of
from assessment.forms import CaseloadFilterForm, LearnerCountersignForm, UnlockForm
from assessment.models import Decision, Outcome, UnitSignOff, unit_of_item
from assessment.progress import CriterionState, state_of
from assessment.provisional import decisions_notice, sign_off_notice
from assessment.services import (
    GAP_AWAITING,
    GAP_NO_DECISION,
    GAP_NOT_MET,
    UnitGaps,
    current_rows,
    unit_gaps,
)
from assessment.sign_off_countersign import may_countersign
from competence.standing import Scope
from portal.audit_words import action_words
from portal.compiled import compiled_once, from_row
from portal.compiled_objects import objects_once
from portal.http import PortalRequest, posted_id, posted_ids
from portal.links import links_to
from portal.listing import PER_PAGE
from portal.lookups import one_of
from portal.models import AuditEntry, Role, RoleKind, User
from portal.refusals import form_sent_back
from portfolios.access import can_administer
from portfolios.mapping import Targets
from portfolios.models import (
    Evidence,
    EvidenceFile,
    EvidenceKind,
    EvidenceMethod,
    EvidenceSetting,
    Mapping,
    MappingStatus,
    PriorLearning,
    Registration,
    still_open,
    still_open_unjoined,
)
from portfolios.picker import KINDS, badge, draw, picker_units
from portfolios.prior_learning import met_by_rpl
from portfolios.uploads import INLINE_TYPES
from qualifications.kept_units import UnitRows, units_rows
from qualifications.models import Unit


def current_decisions(registration: Registration) -> dict[str, dict[int, str]]:
    """For each kind of item, the state of its current decision, by item id."""
    states: dict[str, dict[int, str]] = {"criteria": {}, "range_items": {}, "knowledge_items": {}}
    # Plain rows: a learner midway has a few hundred current decisions.
    current = current_rows(registration.pk)
    for criterion, range_item, knowledge_item, outcome, provisional in current:
        state = state_of(outcome, provisional)
        if criterion:
            states["criteria"][criterion] = state
        elif range_item:
            states["range_items"][range_item] = state
        elif knowledge_item:
            states["knowledge_items"][knowledge_item] = state
    return states


def rpl_items(registration: Registration) -> dict[str, set[int]]:
    """The items met through RPL in force, by the picker's kind: one query."""
    found: dict[str, set[int]] = {"criteria": set(), "range_items": set(), "knowledge_items": set()}
    for criterion, range_item, knowledge_item in met_by_rpl(registration):
        if criterion:
            found["criteria"].add(criterion)
        elif range_item:
            found["range_items"].add(range_item)
        elif knowledge_item:
            found["knowledge_items"].add(knowledge_item)
    return found


def kind_of(mapping: Mapping) -> tuple[str, int]:
    """The picker's name for the mapping's kind of item, and the item's id."""
    if mapping.criterion_id:
        return "criteria", mapping.criterion_id
    if mapping.range_item_id:
        return "range_items", mapping.range_item_id
    return "knowledge_items", mapping.knowledge_item_id or 0


def item_label(m: Mapping | Decision) -> SafeString:
    """The item a mapping or decision is for, as assessment/partials/item_label.html draws it."""
    if m.criterion:
        c = m.criterion
        return criterion_label(c.unit.code, c.number, c.text)
    if m.range_item:
        r = m.range_item
        return range_label(r.unit.code, r.reference, r.text)
    k = m.knowledge_item
    assert k is not None
    return knowledge_label(k.unit.code, k.number, k.text)


def criterion_label(code: str, number: str, text: str) -> SafeString:
    return format_html('<span class="fw-semibold">{} {}</span> {}', code, number, words(text))


def range_label(code: str, reference: str, text: str) -> SafeString:
    return format_html('<span class="fw-semibold">{} range {}</span> {}', code, reference, text)


def knowledge_label(code: str, number: str, text: str) -> SafeString:
    return format_html('<span class="fw-semibold">{} K{}</span> {}', code, number, words(text))


def words(text: str) -> str:
    """The first 24 words, as the template filter `truncatewords:24` gives them."""
    return Truncator(text).words(24, truncate=" …")


def labels_of(
    units: list[UnitRows], wanted: set[tuple[str, int]]
) -> dict[tuple[str, int], tuple[int, SafeString]]:
    """The unit and label of the items wanted (the picker's kind and the item's id) among the
    units' items: only those, since drawing every item's label would cost more than a query."""
    found: dict[tuple[str, int], tuple[int, SafeString]] = {}
    for u in units:
        for c in u.criteria:
            if ("criteria", c.pk) in wanted:
                found["criteria", c.pk] = (u.pk, criterion_label(u.code, c.number, c.text))
        for r in u.range_items:
            if ("range_items", r.pk) in wanted:
                found["range_items", r.pk] = (u.pk, range_label(u.code, r.reference, r.text))
        for k in u.knowledge_items:
            if ("knowledge_items", k.pk) in wanted:
                found["knowledge_items", k.pk] = (u.pk, knowledge_label(u.code, k.number, k.text))
    return found


def mapped_labels(
    mappings: list[Mapping], rows: list[UnitRows]
) -> dict[int, tuple[int, SafeString]]:
    """Each mapping's unit and label, by mapping id: from the plan's units' rows, which the
    picker has read already, and only for an item outside the plan (its unit taken off the plan
    after it was mapped) from the database."""
    wanted = {m.pk: kind_of(m) for m in mappings}
    labels = labels_of(rows, set(wanted.values())) if wanted else {}
    found = {pk: labels[key] for pk, key in wanted.items() if key in labels}
    missing = [pk for pk in wanted if pk not in found]
    if missing:  # not even built otherwise: the ORM takes long to build a query of four joins
        for m in Mapping.objects.filter(pk__in=missing).select_related(
            "criterion__unit", "range_item__unit", "knowledge_item__unit"
        ):
            found[m.pk] = (getattr(m.target, "unit_id", 0), item_label(m))
    return found


# What the review page reads of each mapping (as `.only()` would), in the model's order.
MAPPING_READ = (
    "id",
    "criterion_id",
    "range_item_id",
    "knowledge_item_id",
    "evidence_id",
    "status",
    "feedback",
)


def mappings_of(evidence: Evidence) -> list[Mapping]:
    """The evidence's mappings with what the review page shows (`MAPPING_READ`; the rest
    deferred, as `.only()` loads them), in their order: by SQL compiled once per process."""
    return [from_row(Mapping, MAPPING_READ, row) for row in _mapping_rows(evidence.pk)]


@compiled_once
def _mapping_rows(evidence_id: int) -> QuerySet[Mapping, Any]:
    return Mapping.objects.filter(evidence_id=evidence_id).values_list(*MAPPING_READ)


@objects_once
def evidence_files(evidence_id: int) -> QuerySet[EvidenceFile]:
    """The evidence's files, in their order, by SQL compiled once per process."""
    return EvidenceFile.objects.filter(evidence_id=evidence_id)


def classify_key(evidence_id: int) -> str:
    """The key the review page's "real work or simulated" form is sent back under."""
    return f"evidence-classify:{evidence_id}"


def codes_of(rows: Iterable[UnitRows]) -> dict[int, str]:
    return {unit.pk: unit.code for unit in rows}


def review_context(
    evidence: Evidence, posted: Targets | None, user: User, roles: Iterable[Role] | None = None
) -> dict[str, object]:
    """The review page: the evidence, its files, its mapping and the full item picker, in which
    the units another assessor assesses are shown but cannot be decided (decision 39).
    `roles`: the user's, when the caller has read them (a request has)."""
    registration = evidence.registration
    assessors = registration.unit_assessors()
    mine = {unit for unit, who in assessors.items() if who == user.pk}
    # The mappings alone: their items' labels come from the catalogue's rows the picker reads
    # (kept per revision), not from six tables joined, which PostgreSQL took longer to plan
    # than to run.
    mappings = mappings_of(evidence)
    rows = units_rows(registration.qualification, list(assessors))
    labels = mapped_labels(mappings, rows)
    states = current_decisions(registration)
    # Items met through RPL in force take no decision (decision 54, amended): shown so, and
    # greyed out in the picker.
    rpl = rpl_items(registration)
    for kind, ids in rpl.items():
        states[kind].update(dict.fromkeys(ids, CriterionState.RPL))
    review = links_to("assessment:mapping-review")
    for m in mappings:
        kind, pk = kind_of(m)
        # What the template shows of each, made here: the partials and {% url %} it used cost
        # half a millisecond a mapping.
        m.decision_state = states[kind].get(pk, "")  # type: ignore[attr-defined]
        m.badge = mark_safe(badge(m.decision_state))  # type: ignore[attr-defined]
        m.label = labels[m.pk][1]  # type: ignore[attr-defined]
        m.review_url = review(m.pk)  # type: ignore[attr-defined]
        m.untick = f"{KINDS[kind]}-{pk}"  # type: ignore[attr-defined]
        # Another assessor's unit: theirs to confirm or reject (a unit taken off the plan
        # since is nobody's, and shown as before).
        unit_id = labels[m.pk][0]
        m.mine = unit_id in mine or unit_id not in assessors  # type: ignore[attr-defined]
    returned = returned_on(evidence, user, rows)
    for m in mappings:
        m.returned = returned.said.get(kind_of(m), "")  # type: ignore[attr-defined]
    closed = registration.closed_because
    if posted is not None:
        chosen = {
            "criteria": set(posted.criteria),
            "range_items": set(posted.range_items),
            "knowledge_items": set(posted.knowledge_items),
        }
    else:
        # Ticked to start with: what the learner mapped (unless the assessor rejected it) and
        # nobody has decided yet. Confirming a mapping is not a decision, so it stays ticked.
        chosen = {"criteria": set(), "range_items": set(), "knowledge_items": set()}
        for m in mappings:
            kind, pk = kind_of(m)
            undecided = pk not in states[kind] and m.mine  # type: ignore[attr-defined]
            if m.status != MappingStatus.REJECTED and undecided and not closed:
                chosen[kind].add(pk)
        for kind, pk in returned.said if not closed else ():  # to be decided again, here
            if pk not in states[kind]:
                chosen[kind].add(pk)
    units = draw(picker_units(rows), chosen, states, rpl)
    sign_off = links_to("assessment:unit-sign-off", registration.pk)  # reversed once a page
    for unit in units:
        unit.elsewhere = unit.pk not in mine
        unit.sign_off = sign_off(unit.pk)
    files = evidence_files(evidence.pk)
    mapped_units = {labels[m.pk][0] for m in mappings} & mine
    return {
        "evidence": evidence,
        "closed": closed,
        # Before deciding: the units of theirs where their decisions will be provisional, and
        # who can countersign them (decision 53, amended): those the evidence is mapped to,
        # else all of theirs.
        "provisional_notices": []
        if closed
        else decisions_notice(
            registration, mapped_units or mine, user, roles=roles, codes=codes_of(rows)
        ),
        "open_units": (mapped_units or {units[0].pk}) if units else set(),
        "units": units,
        "mappings": mappings,
        "returned": returned.listed,
        "chosen": chosen,
        "states": states,
        "files": [(f, inline_kind(f.content_type)) for f in files],
    }


# A decision's kind of item, as the picker names it.
PICKER_KIND = {
    "criterion": "criteria",
    "range_item": "range_items",
    "knowledge_item": "knowledge_items",
}
RETURNED_BY = "Returned by {by}: {reason}"


@dataclass(frozen=True)
class Returned:
    """The decisions made with an evidence item that a qualified assessor returned to the
    trainee and nobody has decided again (decision 36): what to say of each item (by the
    picker's kind and the item's id), and each item's label with it, for the review page."""

    said: dict[tuple[str, int], str]
    listed: list[tuple[SafeString, str]]


def returned_on(evidence: Evidence, trainee: User, rows: list[UnitRows] | None = None) -> Returned:
    """The trainee's decisions on the evidence returned to them to decide again: one query (on
    most evidence there are none). Only theirs: the countersigner who returned one, or another
    assessor, is not asked to decide it again. `rows`: the plan's units' rows, which the review
    page has read already, for the items' labels (a decision is read as a plain row: joined to
    its item and unit, PostgreSQL took fifteen times longer to plan the query than to run it)."""
    found = returned_rows(evidence, trainee)
    if not found:
        return Returned({}, [])
    items = []
    for pk, *targets, by, reason in found:
        kind, item = next((k, i) for k, i in zip(Decision.KINDS, targets, strict=True) if i)
        items.append(
            (pk, (PICKER_KIND[kind], item), RETURNED_BY.format(by=by or "", reason=reason))
        )
    labels = {
        key: label for key, (_, label) in labels_of(rows or [], {k for _, k, _ in items}).items()
    }
    missing = [pk for pk, key, _ in items if key not in labels]
    if missing:  # an item outside the plan (its unit taken off it since): from the database
        for d in Decision.objects.filter(pk__in=missing).select_related(
            "criterion__unit", "range_item__unit", "knowledge_item__unit"
        ):
            labels[kind_of(d)] = item_label(d)  # type: ignore[arg-type]
    said = {key: words for _, key, words in items}
    return Returned(said, [(labels[key], words) for _, key, words in items])


# `returned_on`'s one query: the ORM's filter through the decisions' evidence, with
# `decided_again` excluded and the returner's name joined, cost about 1.5 ms of Python on every
# review page for a query PostgreSQL answers in 0.1 ms (issue 17, fifth round).
RETURNED_SQL = (
    "SELECT d.id, d.criterion_id, d.range_item_id, d.knowledge_item_id, u.full_name,"
    " d.return_reason"
    f" FROM {Decision._meta.db_table} d"
    f" JOIN {Decision.evidence.through._meta.db_table} e"  # type: ignore[attr-defined]
    " ON e.decision_id = d.id AND e.evidence_id = %s"
    f" LEFT JOIN {User._meta.db_table} u ON u.id = d.returned_by_id"
    " WHERE d.registration_id = %s AND d.returned_at IS NOT NULL AND d.decided_by_id = %s"
    f" AND NOT EXISTS (SELECT 1 FROM {Decision._meta.db_table} later"
    " WHERE later.registration_id = d.registration_id AND later.id > d.id"
    " AND (later.criterion_id = d.criterion_id OR later.range_item_id = d.range_item_id"
    " OR later.knowledge_item_id = d.knowledge_item_id))"
    " ORDER BY d.returned_at, d.id"
)


def returned_rows(evidence: Evidence, trainee: User) -> list[tuple[Any, ...]]:
    """(id, criterion, range item, knowledge item, returned by whom, why) of the trainee's
    decisions made with the evidence, returned and not decided again (`decided_again`), the
    oldest returned first: one query, written as SQL."""
    with connection.cursor() as cursor:
        cursor.execute(RETURNED_SQL, [evidence.pk, evidence.registration_id, trainee.pk])
        return cursor.fetchall()


def inline_kind(content_type: str) -> str:
    """How the page shows a file in place: image, audio, video, pdf, or not at all."""
    if not content_type.startswith(INLINE_TYPES):
        return ""
    return "pdf" if content_type == "application/pdf" else content_type.split("/")[0]


def awaiting_countersignature(
    user: User,
    countersigner: Countersigner | None = None,
    *,
    still_open: Callable[[str], Q] = still_open,
) -> QuerySet[Decision]:
    """Provisional decisions at the centres where `user` is a qualified assessor, never their
    own decisions or on their own registration, nor on a closed one; and, at a centre that
    enforces its competence register, only those on a unit their current assessor awards
    cover (decision 49): the others are another assessor's to countersign. `countersigner`:
    the user's centres and scopes (`countersigner_of`, a query), when the caller has read
    them already. `still_open`: the rule of open registrations as the caller's query wants it
    written (`still_open_unjoined` where they are only counted)."""
    countersigner = countersigner or countersigner_of(user)
    return (
        Decision.objects.filter(provisional=True, current=True)
        .filter(countersigner.decisions_in_scope())
        .filter(still_open("registration__"))
        .exclude(Q(decided_by=user) | Q(registration__learner=user))
        .order_by("registration__learner__full_name", "decided_at", "pk")
    )


def qualified_centres(user: User) -> QuerySet[Role, Any]:
    """The centres where `user` is a qualified (not trainee) assessor, as a subquery."""
    return Role.objects.filter(user=user, kind=RoleKind.ASSESSOR, is_trainee=False).values(
        "centre_id"
    )


def countersigners_decisions(user: User) -> QuerySet[Decision]:
    """Every decision at the centres where `user` is a qualified assessor (to return one: the
    service says whether it still waits and whether it is theirs to judge)."""
    centres = Role.objects.filter(user=user, kind=RoleKind.ASSESSOR, is_trainee=False).values(
        "centre_id"
    )
    return Decision.objects.filter(registration__centre__in=centres)


def decided_again() -> Exists:
    """A later decision on the same item of the same registration."""
    return Exists(
        Decision.objects.filter(
            Q(criterion=OuterRef("criterion"))
            | Q(range_item=OuterRef("range_item"))
            | Q(knowledge_item=OuterRef("knowledge_item")),
            registration=OuterRef("registration"),
            pk__gt=OuterRef("pk"),
        )
    )


def returned_to(user: User) -> QuerySet[Decision]:
    """A trainee's decisions returned to them that nobody has decided again: no later decision
    on the item (open registrations only)."""
    return (
        Decision.objects.filter(decided_by=user, returned_at__isnull=False)
        .filter(still_open("registration__"))
        .exclude(decided_again())
        .order_by("returned_at", "pk")
    )


def first_evidence() -> Subquery:
    """The first evidence item a decision was made with: its review page is where the trainee
    decides a returned decision again."""
    made_with = Decision.evidence.through.objects.filter(decision=OuterRef("pk"))
    return Subquery(made_with.order_by("evidence_id").values("evidence_id")[:1])


def countersign_counts(user: User, countersigner: Countersigner | None = None) -> tuple[int, int]:
    """How many decisions wait for the user's countersignature, and for how many learners: by
    SQL compiled once per process (`portal.compiled`) where the user enforces the register at
    one centre at most (built and compiled each time, the count cost more Python than the rest
    of the to-do's reads), else as the ORM writes it."""
    countersigner = countersigner or countersigner_of(user)
    free = sorted(countersigner.centres - set(countersigner.scopes))
    scopes = sorted(countersigner.scopes.items())
    if not scopes:
        found = _waiting_counted(user.pk, free)
    elif len(scopes) == 1:
        [(centre, scope)] = scopes
        qualifications, units = sorted(scope.qualifications), sorted(scope.units)
        found = _waiting_counted_in_scope(user.pk, free, centre, qualifications, units)
    else:
        found = list(_counted(awaiting_countersignature(user, countersigner)))
    [(count, learners)] = found or [(0, 0)]  # no centre: nothing to count
    return count, learners


def _counted(decisions: QuerySet[Decision]) -> QuerySet[Decision, Any]:
    """How many decisions, and for how many learners, as one row (`aggregate`'s SQL: no GROUP
    BY). Counting the registration (never null), not the decision's id: the partial index of
    decisions awaiting a countersignature then answers alone (it includes who decided)."""
    return (
        decisions.order_by()
        .annotate(one=Value(1, output_field=IntegerField()))
        .values("one")
        .annotate(count=Count("registration"), learners=Count("registration", distinct=True))
        .values_list("count", "learners")
    )


@compiled_once
def _waiting_counted(user_id: int, centres: list[int]) -> QuerySet[Decision, Any]:
    user = User(pk=user_id)
    countersigner = Countersigner(user, frozenset(centres))
    return _counted(awaiting_countersignature(user, countersigner, still_open=still_open_unjoined))


@compiled_once
def _waiting_counted_in_scope(
    user_id: int, free: list[int], centre: int, qualifications: list[int], units: list[int]
) -> QuerySet[Decision, Any]:
    user = User(pk=user_id)
    scopes = {centre: Scope(frozenset(qualifications), frozenset(units))}
    countersigner = Countersigner(user, frozenset([*free, centre]), scopes)
    return _counted(awaiting_countersignature(user, countersigner, still_open=still_open_unjoined))


# "All of a learner's unit" (registration-unit-newest id), "all on this evidence" (evidence-
# newest id) and "all of a trainee's" (trainee-newest id): only what was waiting when the page
# was shown, never a decision that came after.
GROUP = re.compile(r"(\d{1,18})-(\d{1,18})-(\d{1,18})")
TRAINEE = re.compile(r"(\d{1,18})-(\d{1,18})")


@dataclass(frozen=True)
class Waiting:
    """A decision waiting for a countersignature, as a plain row: enough to sort, group and
    count them all without loading any as an object."""

    pk: int
    registration: int
    learner: str
    unit: int
    decided_by: int
    decided_at: datetime.datetime


class CountersignLine(TypedDict):
    """A decision of the page as the page draws it: ready-made strings in a dict (a template
    reads a dict several times faster than a chain of attributes, and formats no date)."""

    pk: int
    registration: int
    unit: int
    group: tuple[int, int]  # the decisions of this learner's unit waiting, and the newest id
    learner: str
    qualification: str
    unit_code: str
    item_code: str  # "CU1 1.2", "CU1 range R1", "CU1 K3"
    item_text: str
    outcome: str
    decided_by: str
    method: str
    assessed_on: str
    feedback: str
    decided_at: str
    evidence: list[tuple[str, str, str]]  # (link, title, setting and kind), newest first


def setting_and_kind(setting: str, kind: str) -> str:
    """ "Simulated · Product", "Real work · kind not stated": what the countersigner checks the
    unit's rules of assessment against (decision 51)."""
    where = EvidenceSetting(setting).label if setting in EvidenceSetting.values else setting
    what = EvidenceKind(kind).label if kind in EvidenceKind.values else "kind not stated"
    return f"{where} · {what}"


def countersign_context(
    request: PortalRequest, countersigner: Countersigner | None = None
) -> dict[str, object]:
    """A page of the decisions waiting for the user's countersignature, by learner and unit,
    with how many each trainee has waiting: a fixed number of queries however many wait.

    Every waiting decision is read as a narrow row (sorted, grouped and counted here), and only
    the page's are read in full: sorting them in the database by learner and unit code joined
    eight tables for every waiting decision of the centre."""
    rows = waiting_rows(request.user, countersigner)
    trainee = posted_id(request.GET.get("trainee"))
    shown = [r for r in rows if r.decided_by == trainee] if trainee else rows
    codes = unit_codes(shown)
    shown.sort(key=lambda r: (r.learner, r.registration, codes[r.unit], r.decided_at, r.pk))
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    groups: dict[tuple[int, int], tuple[int, int]] = {}
    for r in shown:
        n, upto = groups.get((r.registration, r.unit), (0, 0))
        groups[(r.registration, r.unit)] = (n + 1, max(upto, r.pk))
    trainees = trainees_waiting(rows)
    lines = countersign_lines(list(page), codes, groups, trainees)
    return {
        "page": page,
        "decisions": lines,
        "shown": ",".join(str(line["pk"]) for line in lines),  # "Countersign all shown"
        "trainees": trainees,
        "trainee": trainee,
        "total": len(rows),
    }


def waiting_rows(user: User, countersigner: Countersigner | None = None) -> list[Waiting]:
    """Every decision waiting for the user's countersignature, as narrow rows: one query (and
    the user's centres and scopes, unless given), by SQL compiled once per process where the
    user enforces the register at one centre at most (`waiting_compiled`)."""
    countersigner = countersigner or countersigner_of(user)
    return [Waiting(*row) for row in waiting_compiled(countersigner, _WAITING_NARROW)]


def _narrow(waiting: QuerySet[Decision]) -> QuerySet[Decision, Any]:
    # The learner's name by subquery, not a join: joined, PostgreSQL read and hashed every user
    # of the portal to name the centre's learners (20,000 rows, 8-26 ms at the big centre).
    learner = User.objects.filter(pk=OuterRef("registration__learner_id")).order_by()
    name = Subquery(learner.values("full_name"))
    return (
        waiting.annotate(unit=unit_of_item(), learner_name=name)
        .order_by()
        .values_list("pk", "registration", "learner_name", "unit", "decided_by", "decided_at")
    )


def waiting_compiled(
    countersigner: Countersigner, read: WaitingRead, *values: int | list[int]
) -> list[tuple[Any, ...]]:
    """The rows of a read of the decisions waiting for the countersigner (`read`, with
    `values`), by SQL compiled once per process (`portal.compiled`) where they enforce their
    competence register at one centre at most; where at several, as the ORM builds it. Built
    and compiled at each request, these reads cost several times the Python PostgreSQL spends
    answering them (issue 17, sixth round)."""
    user = countersigner.user.pk
    free = sorted(countersigner.centres - set(countersigner.scopes))
    scopes = sorted(countersigner.scopes.items())
    if not scopes:
        return read.plain(user, free, *values)
    if len(scopes) == 1:
        [(centre, scope)] = scopes
        qualifications, units = sorted(scope.qualifications), sorted(scope.units)
        return read.in_scope(user, free, centre, qualifications, units, *values)
    waiting = awaiting_countersignature(countersigner.user, countersigner)
    return list(read.read(waiting, *values))


def _waiting_for(
    user_id: int,
    free: list[int],
    centre: int | None = None,
    qualifications: list[int] | None = None,
    units: list[int] | None = None,
) -> QuerySet[Decision]:
    """`awaiting_countersignature` of a countersigner given by ids (`waiting_compiled`)."""
    user = User(pk=user_id)
    scopes = {}
    if centre is not None:
        scopes = {centre: Scope(frozenset(qualifications or ()), frozenset(units or ()))}
    centres = frozenset([*free, *scopes])
    return awaiting_countersignature(user, Countersigner(user, centres, scopes))


Compiled = Callable[..., list[tuple[Any, ...]]]


@dataclass(frozen=True)
class WaitingRead:
    """A read of the waiting decisions and some ids (`read`), and its SQL compiled once per
    process for a countersigner enforcing no register (`plain`) and for one enforcing it at
    one centre (`in_scope`), as `waiting_compiled` calls them."""

    read: Callable[..., QuerySet[Decision, Any]]
    plain: Compiled
    in_scope: Compiled


def compiled_pair(read: Callable[..., QuerySet[Decision, Any]]) -> WaitingRead:
    """`read` (of the waiting decisions, then ids) with its compiled forms."""

    @compiled_once
    def plain(user_id: int, free: list[int], *values: Any) -> QuerySet[Decision, Any]:
        return read(_waiting_for(user_id, free), *values)

    @compiled_once
    def in_scope(
        user_id: int,
        free: list[int],
        centre: int,
        qualifications: list[int],
        units: list[int],
        *values: Any,
    ) -> QuerySet[Decision, Any]:
        return read(_waiting_for(user_id, free, centre, qualifications, units), *values)

    return WaitingRead(read, plain, in_scope)


_WAITING_NARROW = compiled_pair(_narrow)


def unit_codes(rows: list[Waiting]) -> dict[int, str]:
    return dict(_unit_codes(sorted({r.unit for r in rows})))


# The page's other reads by SQL compiled once per process (`portal.compiled`): the same queries
# the ORM builds, without building them at each request (issue 17, sixth round).
@compiled_once
def _unit_codes(units: list[int]) -> QuerySet[Unit, Any]:
    return Unit.objects.filter(pk__in=units).order_by().values_list("pk", "code")


@compiled_once
def _trainee_names(trainees: list[int]) -> QuerySet[User, Any]:
    return (
        User.objects.filter(pk__in=trainees)
        .order_by("full_name", "pk")
        .values_list("pk", "full_name")
    )


@compiled_once
def _line_rows(ids: list[int]) -> QuerySet[Decision, Any]:
    of_registration = Registration.objects.filter(pk=OuterRef("registration_id"))
    return (
        Decision.objects.filter(pk__in=ids)
        .annotate(qualification_title=Subquery(of_registration.values("qualification__title")))
        .values_list(*LINE_FIELDS)
    )


@compiled_once
def _line_evidence(ids: list[int]) -> QuerySet[Any, Any]:
    return (
        Decision.evidence.through.objects.filter(decision_id__in=ids)  # type: ignore[attr-defined]
        .order_by("-evidence__occurred_on", "-evidence__created_at", "-evidence_id")
        .values_list(
            "decision_id", "evidence_id", "evidence__title", "evidence__setting", "evidence__kind"
        )
    )


# What the page shows of each decision, read as one row (no object of the tables it reads).
# The learner's and the trainee's names are the waiting rows' (`Waiting.learner`,
# `trainees_waiting`), the qualification's title a subquery: joined, the seven tables cost
# PostgreSQL more to plan (2-8 ms) than to read.
LINE_FIELDS = (
    "pk",
    "qualification_title",
    "criterion_id",
    "criterion__number",
    "criterion__text",
    "range_item_id",
    "range_item__element",
    "range_item__category",
    "range_item__number",
    "range_item__text",
    "knowledge_item__number",
    "knowledge_item__text",
    "outcome",
    "method",
    "assessed_on",
    "feedback",
    "decided_at",
)


def countersign_lines(
    page: list[Waiting],
    codes: dict[int, str],
    groups: dict[tuple[int, int], tuple[int, int]],
    trainees: list[tuple[int, str, int, int]],
) -> list[CountersignLine]:
    """The page's decisions, in the page's order, with their evidence: two queries. `trainees`:
    `trainees_waiting` of the rows the page is from (the names of those who decided)."""
    ids = [r.pk for r in page]
    found = {row[0]: row for row in _line_rows(ids)}
    decided_by = {pk: name for pk, name, _, _ in trainees}
    evidence_link = links_to("portfolios:evidence-detail")
    evidence: dict[int, list[tuple[str, str, str]]] = {pk: [] for pk in ids}
    for decision, pk, title, setting, kind in _line_evidence(ids):
        evidence[decision].append((evidence_link(pk), title, setting_and_kind(setting, kind)))
    lines = []
    for r in page:
        (_, qualification, criterion, c_number, c_text, range_item, element, category,
         r_number, r_text, k_number, k_text, outcome, method, assessed_on, feedback,
         decided_at) = found[r.pk]  # fmt: skip
        code = codes[r.unit]
        if criterion:
            item_code, item_text = f"{code} {c_number}", truncatewords(c_text, 24)
        elif range_item:
            # As RangeItem.reference writes it.
            item_code, item_text = f"{code} range {element}{category}({r_number})", r_text
        else:
            item_code, item_text = f"{code} K{k_number}", truncatewords(k_text, 24)
        lines.append(
            CountersignLine(
                pk=r.pk,
                registration=r.registration,
                unit=r.unit,
                group=groups[(r.registration, r.unit)],
                learner=r.learner,
                qualification=qualification,
                unit_code=code,
                item_code=item_code,
                item_text=item_text,
                outcome=Outcome(outcome).label,
                decided_by=decided_by[r.decided_by],
                method=EvidenceMethod(method).label,
                assessed_on=day_month_year(assessed_on),
                feedback=feedback,
                decided_at=day_month_year(timezone.localdate(decided_at)),
                evidence=evidence[r.pk],
            )
        )
    return lines


def trainees_waiting(rows: list[Waiting]) -> list[tuple[int, str, int, int]]:
    """(trainee, name, decisions waiting, the newest one's id) for each trainee, by name."""
    counts = Counter(r.decided_by for r in rows)
    newest: dict[int, int] = {}
    for r in rows:
        newest[r.decided_by] = max(newest.get(r.decided_by, 0), r.pk)
    names = _trainee_names(sorted(counts))
    return [(pk, name, counts[pk], newest[pk]) for pk, name in names]


def to_countersign(data: QueryDict, user: User) -> list[int] | None:
    """The ids of the decisions a countersigning form asks for, among those the user may
    countersign: all of a learner's unit, all on a piece of evidence, all of a trainee's, all the
    page showed, or the ones ticked. None when nothing was asked for. One query (and the user's
    centres and scopes), compiled once per process where it can be (`waiting_compiled`)."""
    asked = _asked(data)
    if asked is None:
        return None
    read, values, _ = asked
    return [pk for (pk,) in waiting_compiled(countersigner_of(user), read, *values)]


def asked_by_button(data: QueryDict) -> bool:
    """Whether a countersigning form asks by one of the page's "all of ..." buttons (a learner's
    unit, a piece of evidence, a trainee's, all shown), not by ticks naming each decision."""
    asked = _asked(data)
    return asked is not None and asked[2]


def _asked(data: QueryDict) -> tuple[WaitingRead, list[int | list[int]], bool] | None:
    """The read `to_countersign` makes, its values, and whether a button asked (not ticks);
    None when nothing was asked for."""
    if group := GROUP.fullmatch(data.get("group", "")):
        return _ASKED_GROUP, [int(n) for n in group.groups()], True
    if on := TRAINEE.fullmatch(data.get("evidence", "")):  # all on one piece of evidence
        return _ASKED_EVIDENCE, [int(n) for n in on.groups()], True
    if trainee := TRAINEE.fullmatch(data.get("trainee", "")):
        return _ASKED_TRAINEE, [int(n) for n in trainee.groups()], True
    if shown := data.get("shown", ""):  # "countersign all shown": the page's rows, as shown
        return _ASKED_AMONG, [sorted(posted_ids(shown.split(",")[:PER_PAGE]))], True
    ticked = posted_ids(data.getlist("decisions"))
    if not ticked:
        return None
    return _ASKED_AMONG, [sorted(set(ticked))], False


def _asked_group(
    waiting: QuerySet[Decision], registration: int, unit: int, upto: int
) -> QuerySet[Decision, Any]:
    """All of a learner's unit waiting, up to the newest the page showed."""
    found = waiting.filter(registration_id=registration, pk__lte=upto)
    return found.annotate(unit=unit_of_item()).filter(unit=unit).order_by().values_list("pk")


def _asked_evidence(
    waiting: QuerySet[Decision], evidence: int, upto: int
) -> QuerySet[Decision, Any]:
    return waiting.filter(evidence=evidence, pk__lte=upto).order_by().values_list("pk")


def _asked_trainee(
    waiting: QuerySet[Decision], decided_by: int, upto: int
) -> QuerySet[Decision, Any]:
    return waiting.filter(decided_by_id=decided_by, pk__lte=upto).order_by().values_list("pk")


def _asked_among(waiting: QuerySet[Decision], ids: list[int]) -> QuerySet[Decision, Any]:
    return waiting.filter(one_of("pk", ids)).order_by().values_list("pk")


_ASKED_GROUP = compiled_pair(_asked_group)
_ASKED_EVIDENCE = compiled_pair(_asked_evidence)
_ASKED_TRAINEE = compiled_pair(_asked_trainee)
_ASKED_AMONG = compiled_pair(_asked_among)


# The keys the sign-off page's small forms are sent back under (portal.refusals.send_back).
COUNTERSIGN_KEY = "assessment:unit-countersign"
UNLOCK_KEY = "assessment:unit-unlock"


def prior_learning_of(registration: Registration, unit_id: int) -> PriorLearning | None:
    """The RPL or exemption in force that meets the whole unit, with who agreed it: one query.
    Such a unit is not assessed here: nothing to record toward it, nothing to sign off."""
    found = _prior_learning(registration.pk, unit_id)
    return found[0] if found else None


@objects_once
def _prior_learning(registration_id: int, unit_id: int) -> QuerySet[PriorLearning]:
    """`prior_learning_of`'s read as `.first()` makes it, by SQL compiled once per process."""
    found = PriorLearning.objects.in_force().filter(
        registration_id=registration_id, unit_id=unit_id
    )
    found = found.select_related("agreed_by")
    return (found if found.ordered else found.order_by("pk"))[:1]


# The sign-off page's groups of items still to meet: heading, and how its count is said.
GAP_GROUPS = (
    (GAP_NO_DECISION, "No decision yet", "{n} with no decision"),
    (GAP_NOT_MET, "Not yet met", "{n} not yet met"),
    (GAP_AWAITING, "Met, awaiting countersignature", "{n} awaiting countersignature"),
)
GAP_GROUP_OPEN = 12  # a longer group starts folded, so the page stays readable


def gap_groups(gaps: UnitGaps | None) -> dict[str, object]:
    """The items still to meet grouped by state, each group with its count, and a summary line
    of the counts, for the sign-off page (its requirements and sufficiency come first)."""
    groups = [
        (heading, names, counted.format(n=len(names)), len(names) <= GAP_GROUP_OPEN)
        for state, heading, counted in GAP_GROUPS
        if gaps and (names := gaps.named(state))
    ]
    return {"gap_groups": groups, "gap_summary": ", ".join(g[2] for g in groups)}


def sign_off_context(
    request: PortalRequest, registration: Registration, unit: Unit, assessed_by: int | None
) -> dict[str, object]:
    """The sign-off page of the unit, which `assessed_by` assesses (`planned_unit_assessed`)."""
    sign_offs = list(
        UnitSignOff.objects.filter(registration=registration, unit=unit).select_related(
            "signed_by", "unlocked_by", "countersigned_by"
        )
    )
    in_force = next((s for s in sign_offs if s.unlocked_at is None), None)
    user = request.user
    awaits = in_force is not None and in_force.awaits_countersignature
    prior = prior_learning_of(registration, unit.pk) if in_force is None else None
    return {
        # Met through RPL or an exemption: nothing to sign off (the service refuses it too).
        "prior": prior,
        # Provisional (decision 53): who may countersign it sees the button on this page too.
        "awaits_countersignature": awaits,
        "may_countersign": awaits and may_countersign(in_force, user),  # type: ignore[arg-type]
        "registration": registration,
        "unit": unit,
        "sign_off": in_force,
        "unlocked": [s for s in sign_offs if s.unlocked_at is not None],
        # What is missing: its requirements and sufficiency first, then the items by state.
        "gaps": (gaps := None if in_force or prior else unit_gaps(registration, unit.pk)),
        "missing": gaps.lines if gaps else [],
        **gap_groups(gaps),
        # The unit's assessor: its own, else the registration's (decision 39).
        "is_assessor": (is_assessor := assessed_by == user.pk),
        # Before signing: whether the sign-off will be provisional, why, and who can
        # countersign it (decision 53, amended).
        "provisional_notice": sign_off_notice(registration, unit, user, request.roles)
        if is_assessor and in_force is None and not prior
        else "",
        "is_learner": registration.learner_id == user.pk,
        "closed": registration.closed_because,
        "can_unlock": can_administer(request, registration),
        "countersign_form": form_sent_back(request, LearnerCountersignForm, COUNTERSIGN_KEY),
        "unlock_form": form_sent_back(request, UnlockForm, UNLOCK_KEY),
    }


@dataclass(frozen=True)
class HistoryLine:
    """An audit entry as a history page shows it: in words, never as its codes."""

    at: datetime.datetime
    who: str
    what: str
    before: str
    after: str


def decision_words(state: dict[str, object] | None) -> str:
    """A decision as its audit entry recorded it ("Met, awaiting countersignature")."""
    if not state:
        return "—"
    outcomes = dict(Outcome.choices)
    outcome = str(state.get("outcome", ""))
    words = str(outcomes.get(outcome, outcome.replace("_", " ").capitalize()))
    if returned := state.get("returned"):  # returned to the trainee (decision 36)
        return f"{words}, returned to the trainee: {returned}"
    return f"{words}, awaiting countersignature" if state.get("provisional") else words


def history_entries(decisions: list[Decision]) -> list[HistoryLine]:
    """The audit entries of an item's decisions, newest first, in words."""
    subjects = [f"decision:{d.pk}" for d in decisions]
    entries = AuditEntry.objects.filter(subject__in=subjects).select_related("actor")
    return [
        HistoryLine(
            e.at,
            e.actor.full_name if e.actor else "—",
            action_words(e.action),
            decision_words(e.before),
            decision_words(e.after),
        )
        for e in entries.order_by("-pk")
    ]


# The caseload is sorted by status (worked out for every learner) and shown a page at a time;
# beside it, the oldest evidence waiting and the first learners gone quiet.
WAITING_SHOWN = 50
QUIET_SHOWN = 10


@compiled_once
def caseload_qualifications(user_id: int, centre_id: int) -> QuerySet[Registration, Any]:
    """The qualification (id, title) of every registration the user assesses at the centre, by
    SQL compiled once per process (`portal.compiled`), for the caseload's filter."""
    registrations = Registration.objects.assessed_by(User(pk=user_id)).filter(centre_id=centre_id)
    # Unordered: the registrations' own order joins every learner, for nothing here.
    return registrations.order_by().values_list("qualification_id", "qualification__title")


def caseload_context(request: PortalRequest, role: Role) -> dict[str, object]:
    """The assessor's caseload with its filters and the learners gone quiet, and the ids of
    every registration of the caseload (`caseload`, a `Caseload`). (The home page adds the evidence
    waiting and the decisions to countersign, which its to-do list reads too.)"""
    today = datetime.date.today()
    qualifications = sorted(
        set(caseload_qualifications(request.user.pk, role.centre_id)), key=lambda q: q[1]
    )
    form = CaseloadFilterForm(request.GET or None, qualifications=qualifications)
    # A stale or edited value in one filter must not drop the others: keep the valid ones.
    form.is_valid()
    wanted = getattr(form, "cleaned_data", {})
    # Every learner of the caseload, filtered here: the home page reads the evidence waiting
    # of all of them, by these ids, whatever the filter.
    every = caseload(request.user, role.centre, today)
    qualification, rag = wanted.get("qualification"), wanted.get("status") or None
    rows = [
        row
        for row in every
        if (qualification is None or row.progress.registration.qualification_id == qualification)
        and (rag is None or row.rag == rag)
    ]
    quiet = [row for row in rows if row.quiet]
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return {
        "today": today,
        "rows": page,
        "lines": (lines := lines_of(page)),
        "caseload_rows": draw_lines(lines),
        "filter_form": form,
        "rag_rule": RAG_RULE,
        "quiet": lines_of(quiet[:QUIET_SHOWN]),
        "more_quiet": len(quiet) - len(quiet[:QUIET_SHOWN]),
        "caseload": Caseload.of(request.user, every),
    }
