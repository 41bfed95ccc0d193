"""The IQA's records: a report per sample and a sampling record per plan (planned against
done), as rows for pages and CSV, and as PDFs made by a task (`iqa.tasks`)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from iqa.models import (
    Action,
    ActionStatus,
    DocumentStatus,
    IqaDocument,
    Sample,
    SamplingPlan,
    Stage,
    Verdict,
)
from portal.models import User
from portal.pdf import render_pdf
from portal.spreadsheets import csv_text
from portfolios.models import EvidenceMethod, Registration
from qualifications.models import Unit

HEADER = [
    "Assessor",
    "Learner",
    "Unit",
    "Stage",
    "Methods",
    "Added by hand",
    "Sampled on",
    "Verdict",
    "Actions open",
    "Actions closed",
]


def sampling_record(plan: SamplingPlan) -> list[list[str]]:
    """One row per plan item: what was planned, and what was done. Read as plain rows in three
    queries (the items with their names, their samples, the samples' actions), not as objects
    item by item; each name is looked up by its id (joined, PostgreSQL read every registration
    and user of the portal)."""
    items = list(
        plan.items.annotate(
            assessor_name=Subquery(
                User.objects.filter(pk=OuterRef("assessor_id")).order_by().values("full_name")
            ),
            learner_name=Subquery(
                Registration.objects.filter(pk=OuterRef("registration_id"))
                .order_by()
                .values("learner__full_name")
            ),
            unit_code=Subquery(
                Unit.objects.filter(pk=OuterRef("unit_id")).order_by().values("code")
            ),
        )
        .order_by("assessor_name", "learner_name", "unit_code", "pk")
        .values_list(
            "pk", "assessor_name", "learner_name", "unit_code", "stage", "methods", "by_hand"
        )
    )
    ids = [item[0] for item in items]
    samples: dict[int, list[tuple[datetime.datetime, str]]] = defaultdict(list)
    for item_id, sampled_at, verdict in Sample.objects.filter(plan_item__in=ids).values_list(
        "plan_item_id", "sampled_at", "verdict"
    ):
        samples[item_id].append((sampled_at, verdict))
    actions: dict[int, list[str]] = defaultdict(list)
    for item_id, status in Action.objects.filter(sample__plan_item__in=ids).values_list(
        "sample__plan_item_id", "status"
    ):
        actions[item_id].append(status)
    stages, verdicts = dict(Stage.choices), dict(Verdict.choices)
    labels = dict(EvidenceMethod.choices)
    rows = []
    for pk, assessor, learner, unit, stage, methods, by_hand in items:
        latest = max(samples[pk], key=lambda s: s[0]) if samples[pk] else None
        closed = actions[pk].count(ActionStatus.CLOSED)
        rows.append(
            [
                assessor,
                learner,
                unit,
                stages.get(stage, stage),
                ", ".join(labels.get(m, m) for m in methods),
                "yes" if by_hand else "no",
                latest[0].date().isoformat() if latest else "",
                verdicts.get(latest[1], latest[1]) if latest else "",
                str(len(actions[pk]) - closed),
                str(closed),
            ]
        )
    return rows


def sampling_record_csv(plan: SamplingPlan) -> str:
    return csv_text(HEADER, sampling_record(plan))


def sample_pdf(sample: Sample) -> bytes:
    context = {
        "sample": sample,
        "decisions": sample.decisions.select_related(
            "criterion", "range_item", "knowledge_item", "decided_by", "countersigned_by"
        ),
        "evidence": sample.evidence.all(),
        "actions": sample.actions.all(),
        "made": timezone.now(),
    }
    return render_pdf("iqa/pdf/sample.html", context)


def plan_pdf(plan: SamplingPlan) -> bytes:
    rows = sampling_record(plan)
    done = sum(1 for row in rows if row[6])
    context = {"plan": plan, "header": HEADER, "rows": rows, "done": done, "made": timezone.now()}
    return render_pdf("iqa/pdf/plan.html", context)


def document_render(document_id: int) -> None:
    """Make the PDF of a requested document, once: a second run finds it ready and stops."""
    with transaction.atomic():
        document = IqaDocument.objects.select_for_update().get(pk=document_id)
        if document.status == DocumentStatus.READY:
            return
        content = sample_pdf(document.sample) if document.sample else plan_pdf(document.plan)  # type: ignore[arg-type]
        name = f"{'sample' if document.sample_id else 'plan'}-{document.pk}.pdf"
        document.file.save(name, ContentFile(content), save=False)
        document.status, document.error = DocumentStatus.READY, ""
        document.rendered_at = timezone.now()
        document.save(update_fields=["file", "status", "error", "rendered_at"])


def document_failed(document_id: int, error: str) -> None:
    IqaDocument.objects.filter(pk=document_id).exclude(status=DocumentStatus.READY).update(
        status=DocumentStatus.FAILED, error=error[:2000]
    )
