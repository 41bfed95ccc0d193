"""A piece of evidence's page reads its mappings, the current decisions resting on it, its
files and its conversation by SQL compiled once per process (`portfolios.evidence_reads`): the
same objects as the related managers give, in the same order, each with what it is read with
(`select_related`) and told its evidence, with no query more to reach them; and the page is
still refused to whoever may not see the evidence."""

import pytest

from portal.models import RoleKind
from portfolios import comments, evidence_reads
from portfolios.models import Evidence, EvidenceComment
from tests.matrix import world_for_module
from tests.portfolios.test_read_compiled_once import same_as_the_orm
from tests.world import LEARNER

pytestmark = pytest.mark.django_db

ITEMS = evidence_reads.ITEMS


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def check(read: list, orm: list, paths: tuple[str, ...], evidence: Evidence) -> None:
    assert [r.pk for r in read] == [o.pk for o in orm]
    for r, o in zip(read, orm, strict=True):
        same_as_the_orm(r, o, paths)
        assert r.evidence is evidence if hasattr(o, "evidence_id") else True


def test_every_pieces_reads_are_the_related_managers(world):
    everything = list(Evidence.objects.all())
    first = everything[0]
    # A conversation of two, in the order written, and one on another piece (not read here).
    learner = first.registration.learner
    for text in ("First", "Second <b>&"):
        EvidenceComment.objects.create(
            evidence=first, author=learner, author_kind=RoleKind.LEARNER, text=text
        )
    EvidenceComment.objects.create(
        evidence=everything[-1], author=learner, author_kind=RoleKind.LEARNER, text="Elsewhere"
    )
    # One decision resting on evidence superseded (not current): not read.
    superseded = next(d for e in everything for d in e.decisions.filter(current=True))
    type(superseded).objects.filter(pk=superseded.pk).update(current=False)
    seen = {"mappings": 0, "decisions": 0, "files": 0, "thread": 0, "superseded": 0}
    for evidence in everything:
        mappings = list(evidence.mappings.select_related(*ITEMS))
        check(evidence_reads.mappings_of(evidence), mappings, ITEMS, evidence)
        decisions = list(
            evidence.decisions.filter(current=True).select_related(*ITEMS, "decided_by")
        )
        check(evidence_reads.decisions_on(evidence), decisions, (*ITEMS, "decided_by"), evidence)
        files = list(evidence.files.all())
        check(evidence_reads.files_of(evidence), files, (), evidence)
        thread = list(comments.thread(evidence))
        check(evidence_reads.thread_of(evidence), thread, ("author",), evidence)
        seen["mappings"] += len(mappings)
        seen["decisions"] += len(decisions)
        seen["files"] += len(files)
        seen["thread"] += len(thread)
        seen["superseded"] += evidence.decisions.filter(current=False).count()
    # The world has each kind of row, a superseded decision among them (not read).
    assert all(seen.values()), seen
    assert [c.text for c in evidence_reads.thread_of(first)] == ["First", "Second <b>&"]


def test_nothing_for_a_missing_piece(world):
    missing = Evidence(pk=10**9)
    assert evidence_reads.mappings_of(missing) == []
    assert evidence_reads.decisions_on(missing) == []
    assert evidence_reads.files_of(missing) == []
    assert evidence_reads.thread_of(missing) == []


def test_the_page_is_still_refused_to_another_centres_learner(world, client):
    theirs = world.theirs.registration.evidence.first()
    assert theirs is not None
    client.force_login(world.ours.people[LEARNER])
    assert client.get(f"/evidence/{theirs.pk}/").status_code in (403, 404)
    ours = world.ours.registration.evidence.first()
    assert client.get(f"/evidence/{ours.pk}/").status_code == 200


def test_the_comment_field_drawn_once_is_crispys():
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

    from portfolios.evidence_views import comment_field
    from portfolios.forms import CommentForm

    drawn = comment_field(CommentForm())
    assert drawn == as_crispy_field(CommentForm()["text"])
    assert comment_field(CommentForm()) is drawn  # drawn once
    # A posted form (its errors and text as posted) is drawn by crispy on the page.
    assert comment_field(CommentForm({"text": ""})) is None
    assert comment_field(CommentForm(initial={"text": "Hello"})) is None


def test_a_comment_posted_empty_is_drawn_with_its_error(world, client):
    ours = world.ours.registration.evidence.first()
    client.force_login(world.ours.people[LEARNER])
    response = client.post(f"/evidence/{ours.pk}/comments/", {"text": ""})
    assert response.status_code == 200
    assert "Write your comment before you send it." in response.content.decode()
