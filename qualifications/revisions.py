"""Giving qualifications a new revision when what the rules engine reads of them changes.

`rules.adapter.rules_for` keeps each qualification's built rules in the process, under the
qualification's id and revision. Every path that edits the catalogue (the loader and the Django
admin) calls `revise` in the same transaction as its edit, so once the edit is visible the new
revision is too, and the next request in every process builds the rules again. A write to the
catalogue by any other path must call it as well.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Q

from qualifications.models import Qualification


def revise(*, qualifications: Iterable[int | None] = (), units: Iterable[int | None] = ()) -> int:
    """Give a new revision to the qualifications given, and to every qualification that uses one
    of the units given (as a member, in an equivalence or in a barred set); how many changed."""
    qualification_ids = {pk for pk in qualifications if pk is not None}
    unit_ids = {pk for pk in units if pk is not None}
    if not (qualification_ids or unit_ids):
        return 0
    touched = Q(pk__in=qualification_ids)
    if unit_ids:
        touched |= (
            Q(memberships__unit__in=unit_ids)
            | Q(equivalences__unit__in=unit_ids)
            | Q(equivalences__satisfied_by__in=unit_ids)
            | Q(barred_combinations__units__in=unit_ids)
        )
    ids = Qualification.objects.filter(touched).values("pk")
    return Qualification.objects.filter(pk__in=ids).update(revision=uuid.uuid4())


def revise_all() -> int:
    return Qualification.objects.update(revision=uuid.uuid4())
