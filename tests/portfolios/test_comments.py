"""The conversation on a piece of evidence: the learner and their assessor write, the IQA
reads, nobody else; plain text, escaped, length-limited, never edited; audited; the other
person told."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portal.models import AuditEntry, Notification, NotificationKind, RoleKind
from portfolios.comments import (
    EMPTY,
    ONLY_THE_PARTIES,
    SENT_ALREADY,
    CommentRefused,
    comment_add,
)
from portfolios.models import COMMENT_MAX_LENGTH, EvidenceComment, RegistrationStatus
from tests.assessment.test_reviews import learner_evidence
from tests.audit import AuditWatch
from tests.conftest import _person

XSS = '<script>alert("hi")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def evidence(registration, learner):
    return learner_evidence(registration, learner, title="Shift log")


def page(client, person, evidence):
    client.force_login(person)
    return client.get(reverse("portfolios:evidence-detail", args=[evidence.pk]))


def post(client, person, evidence, text):
    client.force_login(person)
    url = reverse("portfolios:evidence-comment", args=[evidence.pk])
    return client.post(url, {"text": text})


# The service


def test_the_learner_comments_the_assessor_is_told_and_it_is_audited(evidence, learner, assessor):
    audit = AuditWatch()
    comment = comment_add(evidence=evidence, text="  Is this enough for 1.2?\r\n ", actor=learner)
    assert comment.text == "Is this enough for 1.2?"
    assert comment.author == learner and comment.author_kind == RoleKind.LEARNER
    [entry] = audit.entries()
    assert entry.action == "evidence.commented" and entry.actor == learner
    assert entry.subject == f"evidence:{evidence.pk}"
    assert entry.after == {"comment": comment.pk, "as": "learner", "text": comment.text}
    [notice] = Notification.objects.all()
    assert notice.recipient == assessor and notice.kind == NotificationKind.EVIDENCE_COMMENT
    assert notice.role_kind == RoleKind.ASSESSOR
    assert notice.text == f"{learner.full_name} commented on “Shift log”: Is this enough for 1.2?"
    assert notice.link == reverse("portfolios:evidence-detail", args=[evidence.pk]) + "#comments"


def test_the_assessors_reply_tells_the_learner(evidence, learner, assessor):
    comment_add(evidence=evidence, text="Question", actor=learner)
    reply = comment_add(evidence=evidence, text="Yes, with the photo " + "x" * 300, actor=assessor)
    assert reply.author_kind == RoleKind.ASSESSOR
    notice = Notification.objects.get(recipient=learner)
    assert notice.role_kind == RoleKind.LEARNER and notice.key == f"comment:{reply.pk}"
    assert notice.text.endswith("…") and len(notice.text) < 300  # a quote, not the whole


@pytest.mark.parametrize("who", ["iqa", "centre_admin", "trainee_assessor", "outsider"])
def test_nobody_else_may_comment(request, evidence, registration, who):
    person = request.getfixturevalue(who)
    audit = AuditWatch()
    with pytest.raises(PermissionDenied, match=ONLY_THE_PARTIES):
        comment_add(evidence=evidence, text="Hello", actor=person)
    assert not EvidenceComment.objects.exists() and not audit.entries().exists()


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_an_empty_comment_is_refused_and_changes_nothing(evidence, learner, text):
    audit = AuditWatch()
    with pytest.raises(CommentRefused, match=EMPTY):
        comment_add(evidence=evidence, text=text, actor=learner)
    assert not EvidenceComment.objects.exists() and not audit.entries().exists()
    assert not Notification.objects.exists()


def test_a_comment_over_the_limit_is_refused_and_one_at_it_is_kept(evidence, learner):
    with pytest.raises(CommentRefused, match="at most 2,000 characters long: this one has 2,001"):
        comment_add(evidence=evidence, text="a" * (COMMENT_MAX_LENGTH + 1), actor=learner)
    assert not EvidenceComment.objects.exists()
    comment_add(evidence=evidence, text="a" * COMMENT_MAX_LENGTH, actor=learner)
    assert EvidenceComment.objects.get().text == "a" * COMMENT_MAX_LENGTH


def test_the_same_comment_sent_twice_in_a_row_is_kept_once(evidence, learner, assessor):
    comment_add(evidence=evidence, text="Done.", actor=learner)
    with pytest.raises(CommentRefused, match=SENT_ALREADY):
        comment_add(evidence=evidence, text="Done.", actor=learner)
    comment_add(evidence=evidence, text="Thanks.", actor=assessor)
    comment_add(evidence=evidence, text="Done.", actor=learner)  # said again, later: kept
    assert EvidenceComment.objects.count() == 3
    assert AuditEntry.objects.filter(action="evidence.commented").count() == 3


def test_no_comment_on_a_closed_registration(evidence, registration, learner):
    registration.status = RegistrationStatus.WITHDRAWN
    registration.save()
    evidence.refresh_from_db()
    with pytest.raises(CommentRefused):
        comment_add(evidence=evidence, text="Hello", actor=learner)
    assert not EvidenceComment.objects.exists()


# The pages


def test_the_thread_lists_comments_oldest_first_with_who_and_escaped(
    client, evidence, learner, assessor, iqa
):
    comment_add(evidence=evidence, text="First\nline two", actor=learner)
    comment_add(evidence=evidence, text=XSS, actor=assessor)
    for person in (learner, assessor, iqa):
        html = page(client, person, evidence).content.decode()
        thread = html[html.index('id="comments"') :]
        first, second = thread.index("First<br>line two"), thread.index("&lt;script&gt;")
        assert first < second
        assert f"{learner.full_name} (learner)" in thread
        assert f"{assessor.full_name} (assessor)" in thread
        assert "<script>alert" not in html and "<img src=x" not in html


def test_the_iqa_reads_but_has_no_form_and_the_parties_have_one(
    client, evidence, learner, assessor, iqa
):
    form = reverse("portfolios:evidence-comment", args=[evidence.pk])
    assert form not in page(client, iqa, evidence).content.decode()
    assert form in page(client, learner, evidence).content.decode()
    assert form in page(client, assessor, evidence).content.decode()


def test_a_centre_admin_sees_the_evidence_but_not_the_conversation(
    client, evidence, learner, centre_admin
):
    comment_add(evidence=evidence, text="Between us", actor=learner)
    html = page(client, centre_admin, evidence).content.decode()
    assert "Shift log" in html
    assert "Between us" not in html and 'id="comments"' not in html


def test_the_learner_posts_a_comment_and_sees_it(client, evidence, learner):
    response = post(client, learner, evidence, "Can you look at this?")
    detail = reverse("portfolios:evidence-detail", args=[evidence.pk])
    assert response.status_code == 302 and response["Location"] == detail + "#comments"
    html = client.get(detail).content.decode()
    assert "Can you look at this?" in html and "Your comment was sent." in html


def test_an_empty_or_too_long_post_shows_the_message_under_the_field(client, evidence, learner):
    empty = post(client, learner, evidence, "   ")
    assert empty.status_code == 200
    assert "Write your comment before you send it." in empty.content.decode()
    long = post(client, learner, evidence, "b" * (COMMENT_MAX_LENGTH + 5))
    assert long.status_code == 200 and "b" * 50 in long.content.decode()  # what was typed kept
    assert "at most 2000 characters long: this one has 2005." in long.content.decode()
    assert not EvidenceComment.objects.exists()


def test_another_centres_people_cannot_post_or_read(client, evidence, other_centre, learner):
    comment_add(evidence=evidence, text="Private words", actor=learner)
    stranger = _person(other_centre, RoleKind.ASSESSOR, "far.assessor@example.org")
    assert post(client, stranger, evidence, "Hello").status_code == 404
    assert page(client, stranger, evidence).status_code == 404
    assert EvidenceComment.objects.count() == 1


def test_the_iqa_posting_is_refused(client, evidence, iqa):
    assert post(client, iqa, evidence, "Hello").status_code == 403
    assert not EvidenceComment.objects.exists()
