"""Keeping the register: only the centre's admin writes, each change audited in the centre's
chain; the same details again change nothing; enforcement turned on and off."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied

from competence.models import Award, CompetenceEntry, EntryStatus, RegisterEnforced
from competence.services import (
    ALREADY_ENFORCED,
    DEADLINE_NEEDED,
    NOT_PRACTITIONER,
    ONLY_THE_ADMIN,
    SCOPE_NEEDED,
    TITLE_NEEDED,
    CompetenceRefused,
    EntryDetails,
    entry_problems,
    entry_record,
    entry_remove,
    register_enforce,
)
from portal.audit import audit_verify
from tests.audit import AuditWatch
from tests.competence.register import ACHIEVED, award

TODAY = datetime.date(2026, 10, 6)


def raises(exception, message):
    return pytest.raises(exception, match=re.escape(message))


def held(sfj, **changes):
    return EntryDetails(
        **{
            "award": Award.ASSESSING_COMPETENCE,
            "status": EntryStatus.HELD,
            "achieved_on": ACHIEVED,
            "qualifications": [sfj],
            **changes,
        }
    )


def test_an_entry_is_recorded_changed_and_removed_each_with_its_audit_entry_in_the_centres_chain(
    centre, centre_admin, assessor, sfj
):
    watch = AuditWatch()
    entry = entry_record(centre=centre, person=assessor, details=held(sfj), actor=centre_admin)
    changed = held(sfj, expires_on=datetime.date(2029, 4, 30), certificate_reference="AC-1")
    entry_record(centre=centre, person=assessor, details=changed, actor=centre_admin, entry=entry)
    entry_remove(entry=entry, actor=centre_admin)
    recorded, altered, removed = watch.entries()
    assert [e.action for e in (recorded, altered, removed)] == [
        "competence.recorded",
        "competence.changed",
        "competence.removed",
    ]
    assert {e.centre_id for e in (recorded, altered, removed)} == {centre.pk}
    first, second = recorded.after or {}, altered.after or {}
    assert first["qualifications"] == [sfj.pk] and first["expires_on"] is None
    assert altered.before == recorded.after
    assert second["expires_on"] == "2029-04-30"
    assert removed.before == altered.after
    assert not CompetenceEntry.objects.exists()
    assert audit_verify()[1] is None


def test_the_same_details_again_change_nothing_and_write_nothing(
    centre, centre_admin, assessor, sfj
):
    entry = entry_record(centre=centre, person=assessor, details=held(sfj), actor=centre_admin)
    watch = AuditWatch()
    again = entry_record(centre=centre, person=assessor, details=held(sfj), actor=centre_admin)
    entry_record(centre=centre, person=assessor, details=held(sfj), actor=centre_admin, entry=entry)
    assert again == entry and CompetenceEntry.objects.count() == 1
    assert watch.actions() == []


def test_only_the_centres_admin_keeps_its_register(
    centre, centre_admin, assessor, iqa, outsider, sfj
):
    for actor in (assessor, iqa, outsider):
        with raises(PermissionDenied, ONLY_THE_ADMIN):
            entry_record(centre=centre, person=assessor, details=held(sfj), actor=actor)
        with raises(PermissionDenied, ONLY_THE_ADMIN):
            register_enforce(centre=centre, on=True, actor=actor)
    entry = award(centre, assessor, centre_admin, qualifications=[sfj])
    with raises(PermissionDenied, ONLY_THE_ADMIN):
        entry_remove(entry=entry, actor=outsider)
    assert CompetenceEntry.objects.count() == 1 and not RegisterEnforced.objects.exists()


def test_only_assessors_and_iqas_have_entries(centre, centre_admin, learner, sfj):
    with raises(CompetenceRefused, NOT_PRACTITIONER):
        entry_record(centre=centre, person=learner, details=held(sfj), actor=centre_admin)


def test_what_is_missing_is_said_field_by_field(sfj):
    other = held(sfj, award=Award.OTHER_ASSESSING, qualifications=[])
    assert entry_problems(other, TODAY) == [
        ("title", TITLE_NEEDED),
        ("qualifications", SCOPE_NEEDED),
    ]
    towards = EntryDetails(
        award=Award.IQA, status=EntryStatus.WORKING_TOWARDS, qualifications=[sfj]
    )
    assert entry_problems(towards, TODAY) == [("deadline", DEADLINE_NEEDED)]


def test_enforcement_is_turned_on_and_off_audited_and_asked_twice_is_refused(centre, centre_admin):
    watch = AuditWatch()
    register_enforce(centre=centre, on=True, actor=centre_admin)
    with raises(CompetenceRefused, ALREADY_ENFORCED.format(centre=centre)):
        register_enforce(centre=centre, on=True, actor=centre_admin)
    register_enforce(centre=centre, on=False, actor=centre_admin)
    assert watch.actions() == ["competence.enforced", "competence.not_enforced"]
    assert not RegisterEnforced.objects.exists()
