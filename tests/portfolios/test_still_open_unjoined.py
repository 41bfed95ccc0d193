"""`still_open_unjoined` (the learner's anonymisation looked for among the anonymisations
alone) selects the registrations `still_open` selects, with a learner anonymised and a
registration withdrawn; and the assessor's to-do counts the decisions waiting for their
countersignature (which reads it) as `awaiting_countersignature` with `still_open` counts them."""

import pytest
from django.utils import timezone

from assessment.models import Decision
from assessment.pages import _counted, awaiting_countersignature, countersign_counts
from portal.models import Role, RoleKind, User
from portfolios.models import Registration, RegistrationStatus, still_open, still_open_unjoined
from privacy.models import Anonymisation
from tests.matrix import world_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def opened(rule) -> set[int]:
    return set(Registration.objects.filter(rule()).values_list("pk", flat=True))


def counted(user: User) -> tuple[tuple[int, int], tuple[int, int]]:
    [orm] = list(_counted(awaiting_countersignature(user))) or [(0, 0)]
    return orm, countersign_counts(user)


def test_the_same_registrations_and_the_same_counts(world):
    qualified = [
        r.user
        for r in Role.objects.filter(kind=RoleKind.ASSESSOR, is_trainee=False).select_related(
            "user"
        )
    ]
    # Two decisions on each registration waiting for a countersignature, decided by someone
    # else than the qualified assessors (as a trainee's do).
    someone = User.objects.exclude(pk__in=[u.pk for u in qualified]).first()
    for registration in Registration.objects.all():
        picked = Decision.objects.filter(registration=registration, current=True)[:2]
        Decision.objects.filter(pk__in=[d.pk for d in picked]).update(
            provisional=True, countersigned_by=None, decided_by=someone
        )
    waiting = Decision.objects.filter(current=True, provisional=True).select_related("registration")
    first = waiting.first()
    assert first is not None
    before = {u.pk: counted(u) for u in qualified}
    assert all(orm == ours for orm, ours in before.values())
    assert any(orm != (0, 0) for orm, _ in before.values())
    assert opened(still_open) == opened(still_open_unjoined)

    # Its learner anonymised, and another registration withdrawn: neither open any more.
    Anonymisation.objects.create(
        user_id=first.registration.learner_id,
        anonymised_at=timezone.now(),
        last_activity=timezone.now(),
        retention_years=6,
        counts={},
        files_to_delete=[],
    )
    other = Registration.objects.exclude(learner_id=first.registration.learner_id).first()
    assert other is not None
    Registration.objects.filter(pk=other.pk).update(status=RegistrationStatus.WITHDRAWN)
    found = opened(still_open_unjoined)
    assert found == opened(still_open)
    assert first.registration_id not in found and other.pk not in found
    after = {u.pk: counted(u) for u in qualified}
    assert all(orm == ours for orm, ours in after.values())
    assert after != before  # the anonymised learner's waiting decisions are no longer counted
