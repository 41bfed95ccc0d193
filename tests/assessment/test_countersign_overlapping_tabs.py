"""Two tabs countersigning overlapping ticks at the same moment (found by attacking the running
portal over HTTP, round 7): tab A ticks six of a trainee's decisions, tab B three of the same
six, both sent at once. B commits first; A's ids were read as waiting before B committed, so
`decision_countersign` (all or none) refuses A's whole list under its lock. Nothing is
countersigned twice (right), but A is told only "Only current, provisional decisions need
countersigning." while three of the decisions A ticked are still waiting, uncountersigned:
the person is not told that nothing of theirs was done nor why.

The race is made deterministic here: the other tab's countersignature is committed between
the page's read of the ticked ids (`pages.to_countersign`) and the service's locked write.
Expected: either the decisions still waiting are countersigned, or the message says that some
were countersigned meanwhile and the rest were not."""

import html
import re

from django.urls import reverse

from assessment import pages
from assessment.services import decision_countersign
from tests.assessment.crowd import decisions_on
from tests.assessment.test_countersigning import trainee_registration, waiting

__all__ = ["trainee_registration"]

COUNTERSIGN = reverse("assessment:countersign")


def alerts(text: str) -> list[str]:
    found = re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', text, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", html.unescape(m)).strip() for m in found]


def test_overlapping_tabs_leave_no_ticked_decision_waiting_unsaid(
    client, monkeypatch, trainee_registration, trainee_assessor, assessor
):
    made = decisions_on([trainee_registration], trainee_assessor, 6, provisional=True)
    ids = [d.pk for d in made]
    real = pages.to_countersign

    def read_then_other_tab_commits(data, user):
        found = real(data, user)  # as read before the other tab's write committed
        decision_countersign(decisions=ids[3:], actor=assessor)  # the other tab, first
        return found

    monkeypatch.setattr(pages, "to_countersign", read_then_other_tab_commits)
    client.force_login(assessor)
    response = client.post(COUNTERSIGN, {"decisions": [str(pk) for pk in ids]}, follow=True)
    assert response.status_code == 200
    left = list(waiting(trainee_registration).values_list("pk", flat=True))
    said = " ".join(alerts(response.content.decode()))
    assert left == [] or "meanwhile" in said, (
        f"{len(left)} ticked decisions still waiting, told only: {said!r}"
    )
