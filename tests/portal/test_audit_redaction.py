"""Redacting audit entries under a seal: the chains still verify, and only sealed content does."""

from django.core.management import call_command

from portal.audit import REDACTED, Break, audit_append, audit_redact, audit_verification, entry_hash
from portal.models import AuditEntry


def append(centre, subject, **after):
    return audit_append(
        actor=None, action="test.done", subject=subject, centre_id=centre.pk, after=after
    )


def broken() -> Break:
    found = audit_verification().broken
    assert found is not None
    return found


def redact(*entries):
    return audit_redact(
        changes=[(e, e.before, {**e.after, "note": "[removed]"}) for e in entries],
        actor=None,
        subject="user:1",
        after={"reason": "test"},
    )


def test_redacted_entries_keep_their_hash_and_the_chain_verifies(centre):
    first = append(centre, "thing:1", note="Ada Lovelace wrote this")
    second = append(centre, "thing:2", note="and this")
    [seal] = redact(first, second)
    first.refresh_from_db()
    assert first.after == {"note": "[removed]"} and entry_hash(first) != first.hash
    assert seal.action == REDACTED and seal.previous_hash == second.hash
    assert seal.after == {
        "reason": "test",
        "redacted": {str(first.pk): entry_hash(first), str(second.pk): entry_hash(second)},
    }
    verification = audit_verification()
    assert verification.broken is None and verification.redacted == 2


def test_an_entry_changed_without_a_seal_is_caught(centre):
    entry = append(centre, "thing:1", note="original")
    AuditEntry.objects.filter(pk=entry.pk).update(after={"note": "[removed]"})
    assert broken().entry_id == entry.pk and "edited" in broken().reason


def test_a_sealed_entry_changed_again_after_its_seal_is_caught(centre):
    entry = append(centre, "thing:1", note="original")
    redact(entry)
    AuditEntry.objects.filter(pk=entry.pk).update(after={"note": "something else"})
    assert broken().entry_id == entry.pk


def test_a_seal_that_was_itself_edited_seals_nothing(centre):
    entry = append(centre, "thing:1", note="original")
    [seal] = redact(entry)
    AuditEntry.objects.filter(pk=seal.pk).update(after={**seal.after, "reason": "forged"})
    assert broken().entry_id == entry.pk


def test_a_seal_in_another_centres_chain_does_not_cover_an_entry(centre, other_centre):
    entry = append(centre, "thing:1", note="original")
    AuditEntry.objects.filter(pk=entry.pk).update(after={"note": "[removed]"})
    entry.refresh_from_db()
    audit_append(
        actor=None,
        action=REDACTED,
        subject="user:1",
        centre_id=other_centre.pk,
        after={"redacted": {str(entry.pk): entry_hash(entry)}},
    )
    assert broken().entry_id == entry.pk


def test_a_removed_entry_is_still_found_when_others_are_redacted(centre):
    first = append(centre, "thing:1", note="original")
    gone = append(centre, "thing:2")
    after = append(centre, "thing:3")
    redact(first)
    AuditEntry.objects.filter(pk=gone.pk).delete()
    assert broken().entry_id == after.pk and "follow" in broken().reason


def test_verify_audit_says_how_many_entries_were_redacted(centre, capsys):
    redact(append(centre, "thing:1", note="original"))
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "The audit chain is intact" in out
    assert "1 of them had personal data redacted, each under a later entry's seal" in out


def test_nothing_to_redact_writes_no_seal(centre):
    assert audit_redact(changes=[], actor=None, subject="user:1", after={}) == []
    assert not AuditEntry.objects.filter(action=REDACTED).exists()
