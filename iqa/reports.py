"""The IQA's records: a report per sample and a sampling record per plan (planned against
done), as rows for pages and CSV, and as PDFs made by a task (`iqa.tasks`)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from iqa.models import (
    Action,
    ActionStatus,
    DocumentStatus,
    IqaDocument,
    PlanItem,
    Sample,
    SamplingPlan,
    Stage,
    Verdict,
    counts_for_item,
)
from portal.compiled import compiled_once
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
    """One row per plan item: what was planned, and what was done (the samples that count for
    it, by `counts_for_item`, as the plan page and the to-do list count them). Read as plain
    rows in one query (`_record_rows`)."""
    stages, verdicts = dict(Stage.choices), dict(Verdict.choices)
    labels = dict(EvidenceMethod.choices)
    return [
        [
            assessor,
            learner,
            unit,
            stages.get(stage, stage),
            ", ".join(labels.get(m, m) for m in methods),
            "yes" if by_hand else "no",
            timezone.localtime(sampled_at).date().isoformat() if sampled_at else "",
            str(verdicts.get(verdict, verdict)) if verdict else "",
            str(still_open or 0),
            str(closed or 0),
        ]
        for (
            assessor,
            learner,
            unit,
            stage,
            methods,
            by_hand,
            sampled_at,
            verdict,
            still_open,
            closed,
        ) in _record_rows(plan.pk)
    ]


@compiled_once
def _record_rows(plan_id: int) -> QuerySet[PlanItem, Any]:
    """The plan's items with what was done of each, by SQL compiled once per process: built
    and compiled for each download, its seven subqueries cost the sampling record some 16,000
    Python calls (issue 17, sixth round). Each name is looked up by its id (joined, PostgreSQL
    read every registration and user of the portal)."""
    latest = Sample.objects.filter(counts_for_item()).order_by("-sampled_at", "-pk")

    def actions(status: Q) -> Subquery:
        found = Action.objects.filter(counts_for_item("sample__")).filter(status).order_by()
        return Subquery(found.annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1])

    return (
        PlanItem.objects.filter(plan_id=plan_id)
        .annotate(
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
            sampled_at=Subquery(latest.values("sampled_at")[:1]),
            verdict=Subquery(latest.values("verdict")[:1]),
            still_open=actions(~Q(status=ActionStatus.CLOSED)),
            closed=actions(Q(status=ActionStatus.CLOSED)),
        )
        .order_by("assessor_name", "learner_name", "unit_code", "pk")
        .values_list(
            "assessor_name",
            "learner_name",
            "unit_code",
            "stage",
            "methods",
            "by_hand",
            "sampled_at",
            "verdict",
            "still_open",
            "closed",
        )
    )


def plan_file_name(plan: SamplingPlan, extension: str) -> str:
    """What a plan's sampling record downloads as: what it is, whose and which period."""
    return (
        f"Sampling record {plan.qualification.title} "
        f"{plan.starts_on:%Y-%m-%d} to {plan.ends_on:%Y-%m-%d}.{extension}"
    )


def document_file_name(document: IqaDocument) -> str:
    """What a PDF downloads as: named by the report or record it is of (the unit, learner and
    day sampled; the qualification and period), never by the document's own number, which the
    person never saw."""
    if (sample := document.sample) is None:
        assert document.plan is not None
        return plan_file_name(document.plan, "pdf")
    sampled_on = timezone.localtime(sample.sampled_at)
    unit = sample.unit.code.replace("/", "-")
    return f"IQA report {unit} {sample.registration.learner.full_name} {sampled_on:%Y-%m-%d}.pdf"


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
