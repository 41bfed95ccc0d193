"""Countersigning grouped by evidence: each piece of evidence with the trainees' decisions
resting on it, "countersign all on this evidence", in a fixed number of queries."""

import html
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.models import Decision
from assessment.services import NOTHING_TO_COUNTERSIGN
from portal.listing import PER_PAGE
from portal.models import AuditEntry
from portfolios.models import Evidence
from tests.assessment.crowd import ON, decisions_on, many_learners
from tests.assessment.test_countersigning import trainee_registration, waiting
from tests.factories import RoleFactory, UserFactory

__all__ = ["trainee_registration"]

COUNTERSIGN = reverse("assessment:countersign")


def on_evidence(decisions, per_piece: int, title: str = "Call log") -> list[Evidence]:
    """Evidence in bulk, `per_piece` of each registration's decisions resting on each piece."""
    by_registration: dict[int, list[Decision]] = {}
    for d in decisions:
        by_registration.setdefault(d.registration_id, []).append(d)
    made, links = [], []
    for registration, theirs in by_registration.items():
        for start in range(0, len(theirs), per_piece):
            piece = Evidence(
                registration_id=registration,
                title=f"{title} {start // per_piece + 1}",
                occurred_on=ON,
                method="product",
                created_by_id=theirs[0].decided_by_id,
                declared_at=timezone.now(),
            )
            made.append((piece, theirs[start : start + per_piece]))
    Evidence.objects.bulk_create([piece for piece, _ in made])
    through = Decision.evidence.through
    for piece, theirs in made:
        links += [through(decision_id=d.pk, evidence_id=piece.pk) for d in theirs]
    through.objects.bulk_create(links)
    return [piece for piece, _ in made]


def page(client, **query) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(COUNTERSIGN, {"by": "evidence", **query})
    assert response.status_code == 200
    return len(queries), html.unescape(response.content.decode())


def listed(text):
    return [int(pk) for pk in re.findall(r'name="decisions" value="(\d+)"', text)]


def evidence_buttons(text):
    return re.findall(r'name="evidence" value="(\d+-\d+)"', text)


def test_the_page_by_evidence_costs_the_same_queries_for_one_decision_and_for_hundreds(
    client, trainee_registration, trainee_assessor, assessor
):
    on_evidence(decisions_on([trainee_registration], trainee_assessor, 1, provisional=True), 1)
    client.force_login(assessor)
    one, text = page(client)
    assert len(listed(text)) == 1 and len(evidence_buttons(text)) == 1
    others = many_learners(trainee_registration, 40)
    on_evidence(decisions_on(others, trainee_assessor, 6, provisional=True), 3)
    many, text = page(client)
    assert many == one
    assert len(listed(text)) == PER_PAGE and "page 1 of 10" in text


def test_each_piece_of_evidence_is_shown_with_the_decisions_resting_on_it(
    client, trainee_registration, trainee_assessor, assessor
):
    made = decisions_on([trainee_registration], trainee_assessor, 4, provisional=True)
    first, second = on_evidence(made, 2, title="Complaint <b>handled</b>")
    client.force_login(assessor)
    response = client.get(COUNTERSIGN, {"by": "evidence"})
    raw = response.content.decode()
    assert "Complaint &lt;b&gt;handled&lt;/b&gt; 1" in raw  # escaped
    groups = raw.split('data-testid="evidence-group"')[1:]
    assert len(groups) == 2
    by_piece = {
        piece.pk: set(piece.decisions.values_list("pk", flat=True)) for piece in (first, second)
    }
    for group in groups:
        [button] = evidence_buttons(group)
        piece = int(button.split("-")[0])
        assert set(listed(group)) == by_piece[piece]
        assert "Countersign all 2 on this evidence" in html.unescape(group)
        assert reverse("portfolios:evidence-detail", args=[piece]) in group


def test_all_on_one_piece_of_evidence_is_countersigned_but_not_a_decision_made_after_the_page(
    client, trainee_registration, trainee_assessor, assessor
):
    made = decisions_on([trainee_registration], trainee_assessor, 4, provisional=True)
    first, second = on_evidence(made, 2)
    client.force_login(assessor)
    _, text = page(client)
    [value] = [v for v in evidence_buttons(text) if v.startswith(f"{first.pk}-")]
    late = decisions_on([trainee_registration], trainee_assessor, 1, after=4, provisional=True)
    Decision.evidence.through.objects.create(decision_id=late[0].pk, evidence_id=first.pk)
    response = client.post(COUNTERSIGN + "?by=evidence", {"evidence": value}, follow=True)
    assert "2 decisions countersigned." in html.unescape(response.content.decode())
    assert set(waiting().values_list("pk", flat=True)) == (
        set(second.decisions.values_list("pk", flat=True)) | {late[0].pk}
    )
    assert AuditEntry.objects.filter(action="decision.countersigned").count() == 2
    # The same button again (a second tab): nothing more.
    again = client.post(COUNTERSIGN + "?by=evidence", {"evidence": value})
    assert NOTHING_TO_COUNTERSIGN in html.unescape(again.content.decode())


def test_a_decision_on_two_pieces_of_evidence_is_under_both_and_shown_once_in_all_shown(
    client, trainee_registration, trainee_assessor, assessor
):
    [decision] = decisions_on([trainee_registration], trainee_assessor, 1, provisional=True)
    assert len(on_evidence([decision, decision], 1)) == 2
    client.force_login(assessor)
    _, text = page(client)
    assert listed(text) == [decision.pk, decision.pk]
    [shown] = re.findall(r'name="shown" value="([\d,]+)"', text)
    assert shown == str(decision.pk) and "Countersign all 1 shown" in text


def test_evidence_of_another_centre_or_a_stale_or_bad_value_countersigns_nothing(
    client, trainee_registration, trainee_assessor, assessor, other_centre
):
    [piece] = on_evidence(
        decisions_on([trainee_registration], trainee_assessor, 2, provisional=True), 2
    )
    newest = max(piece.decisions.values_list("pk", flat=True))
    elsewhere = UserFactory.create()  # a qualified assessor of another centre
    RoleFactory.create(user=elsewhere, centre=other_centre, kind="assessor")
    client.force_login(elsewhere)
    response = client.post(COUNTERSIGN, {"evidence": f"{piece.pk}-{newest}"})
    assert response.status_code == 200
    assert NOTHING_TO_COUNTERSIGN in html.unescape(response.content.decode())
    client.force_login(assessor)
    for value in (f"{piece.pk}-0", "junk", f"{piece.pk}-{newest}-1", f"99999-{newest}"):
        response = client.post(COUNTERSIGN, {"evidence": value})
        assert response.status_code == 200
    assert waiting(trainee_registration).count() == 2
    assert not AuditEntry.objects.filter(action="decision.countersigned").exists()


def test_the_trainee_whose_decisions_they_are_cannot_countersign_them_by_evidence(
    client, trainee_registration, trainee_assessor
):
    [piece] = on_evidence(
        decisions_on([trainee_registration], trainee_assessor, 1, provisional=True), 1
    )
    client.force_login(trainee_assessor)
    response = client.post(COUNTERSIGN, {"evidence": f"{piece.pk}-{piece.decisions.get().pk}"})
    assert response.status_code == 403
    assert waiting(trainee_registration).count() == 1


def test_each_piece_of_evidence_says_its_setting_and_kind_on_both_views(
    client, trainee_registration, trainee_assessor, assessor
):
    """What the countersigner checks the unit's rules of assessment against (decision 51)."""
    made = decisions_on([trainee_registration], trainee_assessor, 2, provisional=True)
    first, second = on_evidence(made, 1)
    Evidence.objects.filter(pk=first.pk).update(setting="simulated", kind="performance")
    Evidence.objects.filter(pk=second.pk).update(setting="realistic", kind="")
    client.force_login(assessor)
    for query in ({"by": "evidence"}, {}):
        text = html.unescape(client.get(COUNTERSIGN, query).content.decode())
        assert "Simulated · Performance evidence" in text
        assert "Realistic working environment · kind not stated" in text
