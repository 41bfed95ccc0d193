"""Keeping the register: only the centre's admin writes, each change audited in the centre's
chain; the same details again change nothing; enforcement turned on and off."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from competence.models import Award, CompetenceEntry, EntryStatus, RegisterEnforced
from competence.services import (
    ALREADY_ENFORCED,
    DEADLINE_NEEDED,
    ENDED,
    NOT_PRACTITIONER,
    ONLY_THE_ADMIN,
    OWN_ENTRY,
    REASON_NEEDED,
    SCOPE_NEEDED,
    TITLE_NEEDED,
    CompetenceRefused,
    EntryDetails,
    entry_end,
    entry_problems,
    entry_record,
    register_enforce,
)
from competence.standing import competent, standings
from portal.audit import audit_verify
from portal.models import RoleKind
from qualifications.models import Unit
from tests.audit import AuditWatch
from tests.competence.register import ACHIEVED, award
from tests.factories import RoleFactory

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


def test_an_entry_is_recorded_changed_and_ended_each_with_its_audit_entry_in_the_centres_chain(
    centre, centre_admin, assessor, sfj
):
    watch = AuditWatch()
    entry = entry_record(centre=centre, person=assessor, details=held(sfj), actor=centre_admin)
    changed = held(sfj, expires_on=datetime.date(2029, 4, 30), certificate_reference="AC-1")
    entry_record(centre=centre, person=assessor, details=changed, actor=centre_admin, entry=entry)
    entry_end(entry=entry, reason=" Recorded in error. ", actor=centre_admin)
    recorded, altered, ended = watch.entries()
    assert [e.action for e in (recorded, altered, ended)] == [
        "competence.recorded",
        "competence.changed",
        "competence.ended",
    ]
    assert {e.centre_id for e in (recorded, altered, ended)} == {centre.pk}
    first, second = recorded.after or {}, altered.after or {}
    assert first["qualifications"] == [sfj.pk] and first["expires_on"] is None
    assert altered.before == recorded.after
    assert second["expires_on"] == "2029-04-30"
    assert ended.before == altered.after
    assert (ended.after or {})["reason"] == "Recorded in error."
    assert audit_verify()[1] is None


def test_an_ended_entry_is_kept_with_its_day_who_and_why_and_counts_no_more(
    centre, centre_admin, assessor, sfj
):
    entry = entry_record(centre=centre, person=assessor, details=held(sfj), actor=centre_admin)
    unit = Unit.objects.earliest("pk")
    today = timezone.localdate()
    args = {"person_id": assessor.pk, "centre_id": centre.pk, "day": today}
    assert competent(**args, qualification_id=sfj.pk, unit_id=unit.pk)
    entry_end(entry=entry, reason="The award was withdrawn.", actor=centre_admin)
    kept = CompetenceEntry.objects.get(pk=entry.pk)  # never deleted
    assert (kept.ended_on, kept.ended_by, kept.end_reason) == (
        today,
        centre_admin,
        "The award was withdrawn.",
    )
    assert [u.pk for u in kept.units.all()] == [] and list(kept.qualifications.all()) == [sfj]
    assert not competent(**args, qualification_id=sfj.pk, unit_id=unit.pk)
    standing = standings(centre.pk, [assessor.pk], today)[assessor.pk]
    assert standing.entries == [] and [s.entry for s in standing.ended] == [kept]
    # Ended twice (a second click): nothing changes, nothing is written.
    watch = AuditWatch()
    entry_end(entry=entry, reason="Again.", actor=centre_admin)
    assert watch.actions() == []
    assert CompetenceEntry.objects.get(pk=entry.pk).end_reason == "The award was withdrawn."
    # An ended entry is not changed: a new one is recorded instead, which the same details make.
    with raises(CompetenceRefused, ENDED.format(day=f"{today:%-d %B %Y}")):
        entry_record(
            centre=centre, person=assessor, details=held(sfj), actor=centre_admin, entry=kept
        )
    again = entry_record(centre=centre, person=assessor, details=held(sfj), actor=centre_admin)
    assert again.pk != kept.pk and CompetenceEntry.objects.count() == 2


def test_an_entry_ends_only_with_a_reason(centre, centre_admin, assessor, sfj):
    entry = entry_record(centre=centre, person=assessor, details=held(sfj), actor=centre_admin)
    with raises(CompetenceRefused, REASON_NEEDED):
        entry_end(entry=entry, reason="  ", actor=centre_admin)
    assert CompetenceEntry.objects.get(pk=entry.pk).ended_on is None


def test_a_centre_admin_does_not_write_their_own_entry(centre, centre_admin, assessor, sfj):
    # The admin is an assessor too: another admin of the centre records their awards.
    RoleFactory.create(user=centre_admin, centre=centre, kind=RoleKind.ASSESSOR)
    with raises(CompetenceRefused, OWN_ENTRY.format(centre=centre)):
        entry_record(centre=centre, person=centre_admin, details=held(sfj), actor=centre_admin)
    assert not CompetenceEntry.objects.exists()
    second_admin = RoleFactory.create(centre=centre, kind=RoleKind.CENTRE_ADMIN).user
    entry = entry_record(centre=centre, person=centre_admin, details=held(sfj), actor=second_admin)
    changed = held(sfj, certificate_reference="AC-9")
    with raises(CompetenceRefused, OWN_ENTRY.format(centre=centre)):
        entry_record(
            centre=centre, person=centre_admin, details=changed, actor=centre_admin, entry=entry
        )
    with raises(CompetenceRefused, OWN_ENTRY.format(centre=centre)):
        entry_end(entry=entry, reason="No longer true.", actor=centre_admin)
    kept = CompetenceEntry.objects.get(pk=entry.pk)
    assert kept.certificate_reference == "" and kept.ended_on is None


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
        entry_end(entry=entry, reason="No longer true.", actor=outsider)
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
