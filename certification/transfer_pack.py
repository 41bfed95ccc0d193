"""The portfolio pack that travels with a transferred learner (decision 40): the existing pack
(`certification.exports.pack`), made once after the transfer is accepted and kept in storage
with its SHA-256 on the transfer, so the receiving centre and the learner download the pack as
it stood, not as the portfolio grows afterwards."""

from __future__ import annotations

import hashlib
import tempfile

from django.core.files import File
from django.db import transaction

from certification.exports.batch import ExportRefused
from certification.exports.pack import pack_stream, portfolio_pack
from certification.models import Transfer, TransferStatus


def transfer_pack_make(transfer_id: int) -> bool:
    """Make and store the pack of an accepted transfer; False if there is nothing to do (not
    accepted, or made already: safe to run twice). The ZIP is written to a temporary file a
    chunk at a time and hashed on the way, then stored; the row is claimed under its lock."""
    transfer = Transfer.objects.select_related("registration").get(pk=transfer_id)
    if transfer.status != TransferStatus.ACCEPTED or transfer.pack:
        return False
    try:
        pack = portfolio_pack(transfer.registration)
    except ExportRefused:  # a CVQ's candidate number removed since: the transfer checked it
        return False
    with tempfile.TemporaryFile() as scratch:
        digest = hashlib.sha256()
        for chunk in pack_stream(pack):
            digest.update(chunk)
            scratch.write(chunk)
        scratch.seek(0)
        with transaction.atomic():
            locked = Transfer.objects.select_for_update().get(pk=transfer_id)
            if locked.pack:
                return False
            locked.pack.save(f"{transfer_id}/{pack.filename}", File(scratch), save=False)
            locked.pack_name, locked.pack_sha256 = pack.filename, digest.hexdigest()
            locked.save(update_fields=["pack", "pack_name", "pack_sha256"])
    return True
