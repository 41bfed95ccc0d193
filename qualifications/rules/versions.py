"""Rules versions: the rules a registration was made under, kept whatever the catalogue does.

A qualification's rules change when its catalogue file is loaded again or an admin edits them.
A registration keeps the version it was made under (`Registration.pinned_rules`), and is
judged by it until a centre admin transfers it to the current one (decision 27). A version is
made (numbered one more than the newest) when the rules a registration would now be made under
differ from the newest version's: by the loader and the catalogue's admin straight after they
change the rules, and by a registration if some other path changed them.

Reading is cheap. A version never changes, so each process keeps what it read of one for ever,
by id; whether a version is the current one is a comparison of fingerprints
(`snapshot.fingerprint`), the current one's kept per `Qualification.revision` like the rules
themselves (`adapter.rules_for`). While a registration's version has the same requirements as
the catalogue now, it is judged by `rules_for` (the same requirements, in today's wording), so
every page costs what it did before versions: nothing, once the process has the rules.

A version made inside a transaction that may yet roll back is not kept until it commits: SQLite
can give its id to another version afterwards.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from qualifications.models import Qualification, RulesVersion
from qualifications.rules.adapter import read_rules, rules_for
from qualifications.rules.model import Rules
from qualifications.rules.snapshot import fingerprint, rules_data, rules_from_data


@dataclass(frozen=True)
class Version:
    """A rules version as the pages and services use it (the row's data read into `Rules`)."""

    id: int
    qualification_id: int
    number: int
    made_at: datetime.datetime
    fingerprint: str
    rules: Rules


# version id -> the version: a version never changes, so it is kept for ever.
_versions: dict[int, Version] = {}
# qualification id -> (revision, the fingerprint of its rules at that revision).
_fingerprints: dict[int, tuple[uuid.UUID, str]] = {}
# qualification id -> (revision, the recorded version whose rules are those of that revision).
_current: dict[int, tuple[uuid.UUID, Version]] = {}
# Versions made by a transaction not yet known to have committed: read, never kept.
_unsettled: set[int] = set()


def forget_versions() -> None:
    """Drop everything kept (the tests do between tests, as for `adapter.forget_rules`)."""
    _versions.clear()
    _fingerprints.clear()
    _current.clear()
    _unsettled.clear()


def current_fingerprint(qualification: Qualification) -> str:
    """The fingerprint of the qualification's rules at the revision on the row given."""
    kept = _fingerprints.get(qualification.pk)
    if kept is not None and kept[0] == qualification.revision:
        return kept[1]
    found = fingerprint(rules_for(qualification), qualification.rules_version)
    _fingerprints[qualification.pk] = (qualification.revision, found)
    return found


def versions_of(ids: Iterable[int]) -> dict[int, Version]:
    """The versions with these ids: those not kept yet read in one query."""
    wanted = set(ids)
    found = {pk: _versions[pk] for pk in wanted if pk in _versions}
    missing = wanted - found.keys()
    if missing:
        for row in RulesVersion.objects.filter(pk__in=missing):
            found[row.pk] = _remember(row)
    return found


def version(version_id: int) -> Version:
    return versions_of([version_id])[version_id]


def is_current(qualification: Qualification, pinned: Version) -> bool:
    """Whether a registration pinned to `pinned` is judged by the same rules as a registration
    made now would be."""
    return pinned.fingerprint == current_fingerprint(qualification)


def pinned_rules(
    qualification: Qualification, version_id: int, versions: dict[int, Version] | None = None
) -> Rules:
    """The rules a registration on `qualification` pinned to `version_id` is judged by: those
    of the catalogue while they require the same, else the version's own. `versions` may hold
    versions read already (`versions_of`, for many registrations at once)."""
    pinned = versions[version_id] if versions and version_id in versions else version(version_id)
    return rules_for(qualification) if is_current(qualification, pinned) else pinned.rules


def recorded_current(qualification: Qualification) -> Version | None:
    """The newest version, if its rules are the catalogue's now; None if they changed since it
    was made (by a path that made no version: the next registration makes it). Reads only."""
    kept = _current.get(qualification.pk)
    if kept is not None and kept[0] == qualification.revision:
        return kept[1]
    newest = _newest(qualification)
    if newest is None or newest.fingerprint != current_fingerprint(qualification):
        return None
    if newest.id not in _unsettled:
        _current[qualification.pk] = (qualification.revision, newest)
    return newest


def current_version(qualification: Qualification) -> Version:
    """The version a registration made now is pinned to: the newest if its rules are the
    catalogue's now, else a new one, made in the caller's transaction."""
    found = recorded_current(qualification)
    if found is not None:
        return found
    return _record(qualification, rules_for(qualification), current_fingerprint(qualification))


def record_versions(qualifications: Iterable[Qualification]) -> list[Version]:
    """Make a version of each qualification's rules where they differ from its newest
    version's (the loader and the admin, after an edit, in its transaction). The rules are read
    afresh (`read_rules`), as the database holds them, and nothing is kept by this process
    (the edit's new revision tells every process alike)."""
    made = []
    for qualification in qualifications:
        rules = read_rules(qualification)
        made.append(_record(qualification, rules, fingerprint(rules, qualification.rules_version)))
    return made


def _newest(qualification: Qualification) -> Version | None:
    row = RulesVersion.objects.filter(qualification=qualification).order_by("-number").first()
    return None if row is None else _remember(row)


def _record(qualification: Qualification, rules: Rules, found: str) -> Version:
    """The newest version if its fingerprint is `found`, else a new one of `rules`."""
    newest = _newest(qualification)
    if newest is not None and newest.fingerprint == found:
        return newest
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on after a race
            row = RulesVersion.objects.create(
                qualification=qualification,
                number=(newest.number if newest else 0) + 1,
                declared_version=qualification.rules_version,
                rules=rules_data(rules),
                fingerprint=found,
            )
    except IntegrityError:
        # Another transaction made this number first: if it recorded these same rules, they
        # are the version; otherwise the catalogue changed under this request, which the
        # caller's next attempt will see.
        raced = _newest(qualification)
        if raced is not None and raced.fingerprint == found:
            return raced
        raise
    _unsettled.add(row.pk)
    transaction.on_commit(lambda: _unsettled.discard(row.pk))
    return _remember(row)


def _remember(row: RulesVersion) -> Version:
    made = Version(
        id=row.pk,
        qualification_id=row.qualification_id,
        number=row.number,
        made_at=row.made_at,
        fingerprint=row.fingerprint,
        rules=rules_from_data(row.rules),
    )
    if row.pk not in _unsettled:
        _versions[row.pk] = made
    return made
