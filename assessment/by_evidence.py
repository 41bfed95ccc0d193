"""The countersigning page grouped by evidence: each piece of evidence with the trainees'
decisions waiting on it, in a fixed number of queries however many wait."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.paginator import Paginator

from assessment.caseload import day_month_year
from assessment.countersigner import Countersigner
from assessment.models import Decision
from assessment.pages import (
    CountersignLine,
    Waiting,
    countersign_lines,
    setting_and_kind,
    trainees_waiting,
    unit_codes,
    waiting_rows,
)
from portal.http import PortalRequest, posted_id
from portal.links import links_to
from portal.listing import PER_PAGE
from portal.lookups import one_of

# A decision resting on no evidence (none is made so today) still has to be found.
NO_EVIDENCE = 0


@dataclass(frozen=True)
class Support:
    """One decision waiting, under one piece of evidence it rests on."""

    evidence: int
    title: str
    occurred_on: datetime.date | None
    decision: Waiting
    about: str = ""  # its setting and kind (`setting_and_kind`)

    @property
    def key(self) -> tuple[int, int]:
        """The group: the evidence (each learner's decisions on none are a group of their own)."""
        return self.evidence, self.decision.registration


@dataclass
class EvidenceGroup:
    """A piece of evidence as the page draws it, with the page's decisions resting on it."""

    evidence: int
    registration: int
    title: str
    link: str
    learner: str
    occurred_on: str
    about: str
    count: int  # the decisions waiting on it (on every page)
    upto: int  # the newest of them: "all on this evidence" takes none made after the page
    lines: list[CountersignLine] = field(default_factory=list)


def supports(rows: list[Waiting]) -> list[Support]:
    """Each waiting decision under each piece of evidence it rests on: one query of narrow
    rows (a decision resting on two pieces is under both)."""
    by_pk = {r.pk: r for r in rows}
    found: list[Support] = []
    resting = set()
    links = Decision.evidence.through.objects  # type: ignore[attr-defined]
    for decision, evidence, title, occurred_on, setting, kind in links.filter(
        one_of("decision_id", by_pk)
    ).values_list(
        "decision_id",
        "evidence_id",
        "evidence__title",
        "evidence__occurred_on",
        "evidence__setting",
        "evidence__kind",
    ):
        about = setting_and_kind(setting, kind)
        found.append(Support(evidence, title, occurred_on, by_pk[decision], about))
        resting.add(decision)
    found += [Support(NO_EVIDENCE, "", None, r) for r in rows if r.pk not in resting]
    return found


def by_evidence_context(
    request: PortalRequest, countersigner: Countersigner | None = None
) -> dict[str, object]:
    """A page of the decisions waiting for the user's countersignature, grouped by the evidence
    they rest on: by learner, then evidence (newest first), then unit and item."""
    rows = waiting_rows(request.user, countersigner)
    trainee = posted_id(request.GET.get("trainee"))
    shown = [r for r in rows if r.decided_by == trainee] if trainee else rows
    codes = unit_codes(shown)
    found = supports(shown)
    found.sort(
        key=lambda s: (
            s.decision.learner,
            s.decision.registration,
            -(s.occurred_on or datetime.date.min).toordinal(),
            -s.evidence,
            codes[s.decision.unit],
            s.decision.decided_at,
            s.decision.pk,
        )
    )
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    for s in found:
        n, upto = counts.get(s.key, (0, 0))
        counts[s.key] = (n + 1, max(upto, s.decision.pk))
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    trainees = trainees_waiting(rows)
    return {
        "page": page,
        "groups": evidence_groups(list(page), codes, counts, trainees),
        "shown": list(dict.fromkeys(s.decision.pk for s in page)),
        "trainees": trainees,
        "trainee": trainee,
        "total": len(rows),
        "by": "evidence",
    }


def evidence_groups(
    page: list[Support],
    codes: dict[int, str],
    counts: dict[tuple[int, int], tuple[int, int]],
    trainees: list[tuple[int, str, int, int]],
) -> list[EvidenceGroup]:
    """The page's rows drawn once each (two queries), then gathered under their evidence."""
    decisions = list({s.decision.pk: s.decision for s in page}.values())
    units = {(d.registration, d.unit): (0, 0) for d in decisions}  # no unit buttons here
    lines = {line["pk"]: line for line in countersign_lines(decisions, codes, units, trainees)}
    link = links_to("portfolios:evidence-detail")
    groups: list[EvidenceGroup] = []
    for s in page:
        if not groups or (groups[-1].evidence, groups[-1].registration) != s.key:
            n, upto = counts[s.key]
            groups.append(
                EvidenceGroup(
                    evidence=s.evidence,
                    registration=s.decision.registration,
                    title=s.title,
                    link=link(s.evidence) if s.evidence else "",
                    learner=s.decision.learner,
                    occurred_on=day_month_year(s.occurred_on) if s.occurred_on else "",
                    about=s.about,
                    count=n,
                    upto=upto,
                )
            )
        groups[-1].lines.append(lines[s.decision.pk])
    return groups
