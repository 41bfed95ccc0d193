"""The centre's admins hear when the EQA releases or holds one of their withheld claims: once
per decision, never for a refusal."""

import pytest

from eqa.services import HOLD_REASON_NEEDED, EqaRefused, claim_hold, claim_release
from portal.models import Notification, NotificationKind, RoleKind
from tests.eqa.test_release import sample
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def notices(kind):
    return list(Notification.objects.filter(kind=kind).order_by("recipient_id", "pk"))


def test_every_centre_admin_hears_that_the_eqa_released_a_claim_once(
    held, window, centre, centre_admin, learner
):
    second = UserFactory.create(email="second.admin@example.org")
    RoleFactory.create(user=second, centre=centre, kind=RoleKind.CENTRE_ADMIN)
    sample(window, held.registration)
    claim_release(access=window, certificate=held, actor=window.eqa)
    made = notices(NotificationKind.CLAIM_RELEASED)
    assert {n.recipient_id for n in made} == {centre_admin.pk, second.pk}
    assert all(n.role_kind == RoleKind.CENTRE_ADMIN for n in made)
    assert f"/certificates/{held.pk}/" in made[0].link
    assert "released" in made[0].text and learner.full_name in made[0].text
    # Released once: asked again, the service refuses and nobody hears twice.
    with pytest.raises(EqaRefused):
        claim_release(access=window, certificate=held, actor=window.eqa)
    assert len(notices(NotificationKind.CLAIM_RELEASED)) == 2


def test_a_held_claim_is_told_with_its_reason_and_each_later_hold_again(
    held, window, centre_admin, outsider
):
    claim_hold(
        access=window, certificate=held, reason="No witness <b>statement</b>.", actor=window.eqa
    )
    [notice] = notices(NotificationKind.CLAIM_HELD)
    assert notice.recipient_id == centre_admin.pk
    assert "No witness <b>statement</b>." in notice.text  # escaped where it is shown
    claim_hold(access=window, certificate=held, reason="Still none.", actor=window.eqa)
    assert len(notices(NotificationKind.CLAIM_HELD)) == 2
    assert not Notification.objects.filter(recipient=outsider).exists()


def test_a_refused_hold_tells_nobody(held, window):
    with pytest.raises(EqaRefused, match=HOLD_REASON_NEEDED):
        claim_hold(access=window, certificate=held, reason="  ", actor=window.eqa)
    assert not Notification.objects.filter(kind=NotificationKind.CLAIM_HELD).exists()
