from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from portal.models import Centre, Role, RoleKind, User, normalise_email
from portfolios.models import Registration
from privacy.export import ExportReport, subject_access_export

NO_PERSON = "No one has the e-mail address {email}."
NO_CENTRE = "No centre has the id or AO centre number {centre}."
NOT_A_LEARNER = "{email} holds no learner role{where}: this export covers learners' records."
EXISTS = "{path} exists already: choose another name, or move it away first."
NO_FOLDER = "There is no folder {folder} to write the export in."


def size_in_words(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


def default_folder() -> Path:
    """Exports hold a person's data: by default they go to a folder of the portal's own, kept
    out of the code's checkout and readable by its owner only, never the current folder."""
    folder = Path(settings.VAR_DIR) / "exports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


class Command(BaseCommand):
    help = (
        "Export one learner's data and evidence as a ZIP with a manifest (a subject-access "
        "request), and say what it holds. See docs/data-protection.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the learner's e-mail address")
        parser.add_argument("--centre", help="only their records at this centre (id or AO number)")
        parser.add_argument(
            "--output",
            help="the ZIP to write, or a folder to write it in (default: exports/ in the "
            "portal's var folder, readable by its owner only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalise_email(options["email"])
        learner = User.objects.filter(email=email).first()
        if learner is None:
            raise CommandError(NO_PERSON.format(email=email))
        centre = self.centre(options["centre"])
        if not self.is_learner(learner, centre):
            where = f" at {centre.name}" if centre else ""
            raise CommandError(NOT_A_LEARNER.format(email=email, where=where))
        path = self.destination(options["output"], learner)
        # Run by the operator, not by anyone with a portal account: the entry names no actor.
        self.say(subject_access_export(learner=learner, centre=centre, path=path, actor=None))

    def is_learner(self, person: User, centre: Centre | None) -> bool:
        """Whether they hold a learner role, or were registered (there, with a centre)."""
        roles = Role.objects.filter(user=person, kind=RoleKind.LEARNER)
        registered = Registration.objects.filter(learner=person)
        if centre is not None:
            roles, registered = roles.filter(centre=centre), registered.filter(centre=centre)
        return roles.exists() or registered.exists()

    def centre(self, given: str | None) -> Centre | None:
        if given is None:
            return None
        by_id = Q(pk=int(given)) if given.isdigit() and len(given) < 19 else Q(pk__in=[])
        found = Centre.objects.filter(by_id | Q(ao_centre_number=given.strip())).first()
        if found is None:
            raise CommandError(NO_CENTRE.format(centre=given))
        return found

    def destination(self, given: str | None, learner: User) -> Path:
        name = f"subject-access-{learner.pk}-{timezone.localtime():%Y%m%dT%H%M%S}.zip"
        path = Path(given).expanduser() if given else default_folder()
        if path.is_dir():
            path = path / name
        if path.exists():
            raise CommandError(EXISTS.format(path=path))
        if not path.parent.is_dir():
            raise CommandError(NO_FOLDER.format(folder=path.parent))
        return path.resolve()

    def say(self, report: ExportReport) -> None:
        c = report.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {report.path} ({size_in_words(report.size)}) for person "
                f"{report.learner.pk}{f' at {report.centre.name}' if report.centre else ''}."
            )
        )
        self.stdout.write(
            f"  account with {c['roles']} role(s); {c['registrations']} registration(s); "
            f"{c['evidence_items']} evidence item(s) with {c['evidence_files']} file(s); "
            f"{c['decisions']} decision(s); {c['sign_offs']} sign-off(s); "
            f"{c['witness_requests']} witness request(s); {c['iqa_samples']} IQA sample(s); "
            f"{c['certificates']} certificate(s) with {c['certificate_pdfs']} PDF(s); "
            f"{c['invitations']} invitation(s); {c['login_records']} login record(s) and "
            f"{c['sessions']} session(s); {c['audit_entries']} audit entries."
        )
        self.stdout.write(
            f"  manifest.json lists {len(report.parts)} files with their sizes and SHA-256 "
            "hashes; README.txt says what is in the export and what is withheld, and why."
        )
        for part in report.mismatched:
            self.stdout.write(
                self.style.WARNING(
                    f"  {part.path} does not match the hash taken at upload: the stored copy "
                    "has changed. The manifest says so; find out why before sending it."
                )
            )
        for path in report.missing:
            self.stdout.write(
                self.style.WARNING(f"  {path} is in the records but not in storage: left out.")
            )
        if report.entry is not None:
            self.stdout.write(
                f"  Audit entry {report.entry.pk} records the export (ZIP SHA-256 {report.sha256})."
            )
        self.stdout.write("Read it before you send it: docs/data-protection.md says what to check.")
