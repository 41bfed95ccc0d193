from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from privacy.services import RetentionReport, retention_apply


def listed(ids: list[int]) -> str:
    return ", ".join(str(pk) for pk in ids)


def summary(counts: dict[str, int]) -> str:
    """What anonymising one learner does, after "has" or "would have"."""
    return (
        f"{counts['evidence_files']} evidence file(s) and {counts['iqa_documents']} IQA PDF(s) "
        f"deleted; text removed from {counts['evidence_items']} evidence item(s), "
        f"{counts['witness_requests']} witness request(s), {counts['decisions']} decision(s), "
        f"{counts['sign_offs']} sign-off(s), {counts['sufficiency_records']} sufficiency "
        f"record(s), {counts['iqa_samples']} IQA sample(s) and "
        f"{counts['audit_entries_redacted']} audit entries; name and e-mail replaced on the "
        f"account and {counts['invitations']} invitation(s), account closed; "
        f"{counts['login_records']} login record(s) and {counts['sessions']} "
        f"session(s) deleted; {counts['certificates_kept']} certificate(s) kept as issued."
    )


class Command(BaseCommand):
    help = (
        "Anonymise the learners whose records have passed the retention period (RETENTION_YEARS "
        "since their last activity), keeping what their certificates show; --dry-run says who "
        "and what, and changes nothing. See docs/data-protection.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be done; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        years, dry_run = settings.RETENTION_YEARS, options["dry_run"]
        # Run by the operator, not by anyone with a portal account: the entries name no actor.
        report = retention_apply(now=timezone.now(), years=years, dry_run=dry_run, actor=None)
        self.stdout.write(
            f"Retention period: {years} years. Due: learners with no activity since "
            f"{report.cutoff:%d %B %Y}."
        )
        if dry_run:
            self.dry_run(report)
        else:
            self.applied(report)
        if report.staff:
            self.stdout.write(
                f"Kept: {len(report.staff)} person(s) due as learners who also hold a staff role "
                f"or admin access (ids {listed([d.learner.pk for d in report.staff])}); their "
                "staff records must still name them. Remove their learner data by hand."
            )

    def dry_run(self, report: RetentionReport) -> None:
        self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
        if not report.due:
            self.stdout.write("Nobody would be anonymised.")
            return
        for due, counts in report.due:
            self.stdout.write(
                f"  person {due.learner.pk}, last activity {due.last_activity:%d %B %Y}, "
                f"would have {summary(counts)}"
            )
        self.stdout.write(f"{len(report.due)} learner(s) would be anonymised.")

    def applied(self, report: RetentionReport) -> None:
        for anonymisation in report.anonymised:
            self.stdout.write(
                f"  person {anonymisation.user_id}, last activity "
                f"{anonymisation.last_activity:%d %B %Y}, has {summary(anonymisation.counts)}"
            )
        if report.skipped:
            self.stdout.write(
                f"Left alone: {len(report.skipped)} learner(s) with activity since the list was "
                f"made (ids {listed([d.learner.pk for d in report.skipped])})."
            )
        if report.leftover_files_deleted:
            self.stdout.write(
                f"Deleted {report.leftover_files_deleted} file(s) an earlier run left in storage."
            )
        if not report.changed_anything:
            self.stdout.write(
                self.style.SUCCESS(
                    "Nothing to do: no learner's records have passed the retention period. "
                    "Nothing was changed and no audit entry written."
                )
            )
            return
        entry = report.entry.pk if report.entry else "?"
        self.stdout.write(
            self.style.SUCCESS(
                f"Anonymised {len(report.anonymised)} learner(s); {report.files_deleted} file(s) "
                f"deleted from storage. Audit entry {entry} records the run."
            )
        )
