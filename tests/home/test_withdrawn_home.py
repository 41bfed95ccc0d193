"""A withdrawn learner's home shows the registration as withdrawn, when, by whom and why, with
no route to the qualification; the learner is told when it happens (issue 19)."""

from django.urls import reverse
from django.utils import timezone

from portal.models import Notification, NotificationKind
from portfolios.services import registration_withdraw
from tests.portfolios.conftest import registration, sfj

__all__ = ["registration", "sfj"]

REASON = "Left the employer in November."


def home(client, user) -> str:
    client.force_login(user)
    return client.get("/").content.decode()


def test_an_open_registration_shows_the_way_to_the_qualification(client, registration, learner):
    page = home(client, learner)
    assert "Towards the full qualification" in page and "Shortest route" in page
    assert 'data-testid="withdrawal"' not in page


def test_a_withdrawn_registration_says_so_with_the_date_and_reason_and_no_route(
    client, registration, learner, centre_admin
):
    registration_withdraw(registration=registration, reason=REASON, actor=centre_admin)
    page = home(client, learner)
    day = f"{timezone.localdate():%-d %B %Y}"
    assert f"<strong>Withdrawn</strong> on {day} by {centre_admin.full_name}" in page
    assert REASON in page
    assert "Towards the full qualification" not in page and "Shortest route" not in page
    assert reverse("portfolios:evidence-new", args=[registration.pk]) not in page
    # The registration's page says the same, to the learner and the admin.
    for person in (learner, centre_admin):
        client.force_login(person)
        detail = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
        assert REASON in detail.content.decode()


def test_the_learner_is_told_once_when_withdrawn(registration, learner, centre_admin):
    registration_withdraw(registration=registration, reason=REASON, actor=centre_admin)
    (notice,) = Notification.objects.all()
    assert notice.recipient == learner and notice.kind == NotificationKind.WITHDRAWN
    assert REASON in notice.text
    assert notice.link == reverse("portfolios:registration-detail", args=[registration.pk])
