"""The IQA's records: a report per sample and a sampling record per plan (planned against
done), as rows for pages and CSV, and as PDFs made by a task (`iqa.tasks`)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from iqa.models import DocumentStatus, IqaDocument, Sample, SamplingPlan
from portal.pdf import render_pdf
from portal.spreadsheets import csv_text

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
    """One row per plan item: what was planned, and what was done."""
    items = plan.items.select_related("assessor", "registration__learner", "unit").prefetch_related(
        "samples__actions"
    )
    rows = []
    for item in items:
        samples = list(item.samples.all())
        latest = max(samples, key=lambda s: s.sampled_at) if samples else None
        actions = [a for s in samples for a in s.actions.all()]
        closed = sum(1 for a in actions if a.status == "closed")
        rows.append(
            [
                item.assessor.full_name,
                item.registration.learner.full_name,
                item.unit.code,
                item.get_stage_display(),
                item.method_labels,
                "yes" if item.by_hand else "no",
                latest.sampled_at.date().isoformat() if latest else "",
                latest.get_verdict_display() if latest else "",
                str(len(actions) - closed),
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
