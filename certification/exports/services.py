"""Handing claims to the awarding organisation: each file made and each pack downloaded is
written to the centre's audit log, with what it held (never the learners' details)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from certification.exports.batch import Batch, Made, batch_file
from certification.exports.pack import Pack, portfolio_pack
from portal.audit import audit_append
from portal.models import Centre, RoleKind, User
from portfolios.models import Registration
from portfolios.services import holds

NOT_THE_CENTRE_ADMIN = "Only a centre admin of the learner's centre can export their records."


def require_centre_admin(actor: User, centre: Centre) -> None:
    if not holds(actor, RoleKind.CENTRE_ADMIN, centre):
        raise PermissionDenied(NOT_THE_CENTRE_ADMIN)


def results_export(*, batch: Batch, actor: User) -> Made:
    """The batch as its AO's CSV file (ExportRefused if the AO could not take it), recorded in
    the centre's audit log with the format, the window, the registrations and the file's hash."""
    require_centre_admin(actor, batch.centre)
    made = batch_file(batch)
    with transaction.atomic():
        audit_append(
            actor=actor,
            action="certification.results_exported",
            subject=f"qualification:{batch.qualification.pk}",
            centre_id=batch.centre.pk,
            after={
                "format": batch.format.value,
                "from": batch.start,
                "to": batch.end,
                "rows": made.rows,
                "registrations": made.registrations,
                "sha256": made.sha256,
            },
        )
    return made


def pack_download(*, registration: Registration, actor: User) -> Pack:
    """The learner's portfolio pack, read and recorded in the audit log before a byte is sent
    (what it holds, counted; the ZIP itself is made as it is sent: `pack_stream`)."""
    require_centre_admin(actor, registration.centre)
    pack = portfolio_pack(registration)
    with transaction.atomic():
        audit_append(
            actor=actor,
            action="certification.portfolio_pack_downloaded",
            subject=f"registration:{registration.pk}",
            centre_id=registration.centre_id,
            after={"counts": pack.counts},
        )
    return pack
