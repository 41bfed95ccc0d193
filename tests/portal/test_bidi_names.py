"""Names keep no bidirectional control characters: one reversed the words drawn after it on
every page that showed the name (issue 19 review). Stripped wherever a name comes in: an
invitation (so the account made from it), a new account, the learner's legal names, a
witness's name."""

import pytest

from portal.identity import clean_name
from portal.models import Invitation, RoleKind, User
from portal.services import NAME_NEEDED, InvitationRefused, Invitee, invitation_create
from portfolios.services import LearnerIdentity
from portfolios.witness import WitnessAsk, witness_request_create
from tests.portal.test_invitations import links
from tests.portfolios.conftest import registration, sfj

__all__ = ["registration", "sfj"]

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


@pytest.mark.parametrize("control", list(CONTROLS))
def test_each_bidirectional_control_is_stripped_and_the_rest_kept(control):
    assert clean_name(f"Ann{control} Évans\u202e  Jr") == "Ann Évans Jr"
    assert clean_name("Zoë عائشة") == "Zoë عائشة"  # right-to-left letters themselves stay


def test_an_invitation_keeps_the_name_without_them(centre, centre_admin):
    invitee = Invitee("ann@example.org", "\u202eAnn\u2066 Evans\u2069", RoleKind.LEARNER)
    invitation = invitation_create(
        centre=centre, invitee=invitee, actor=centre_admin, link_for=links
    )
    invitation.refresh_from_db()
    assert invitation.full_name == "Ann Evans"


def test_an_invitation_whose_name_is_only_controls_is_refused(centre, centre_admin):
    invitee = Invitee("ann@example.org", "\u202e\u200f", RoleKind.LEARNER)
    with pytest.raises(InvitationRefused) as refused:
        invitation_create(centre=centre, invitee=invitee, actor=centre_admin, link_for=links)
    assert refused.value.messages == [NAME_NEEDED]
    assert not Invitation.objects.exists()


def test_a_new_account_keeps_the_name_without_them(db):
    person = User.objects.create_user("bo@example.org", "Bo\u202e Li", "a long password 1")
    person.refresh_from_db()
    assert person.full_name == "Bo Li"


def test_a_learners_legal_names_are_kept_without_them():
    given = LearnerIdentity(legal_first_names="Ann\u202e", legal_last_name="\u2067Evans\u2069")
    cleaned = given.cleaned()
    assert (cleaned.legal_first_names, cleaned.legal_last_name) == ("Ann", "Evans")


def test_a_witness_name_is_kept_without_them(registration, learner):
    ask = WitnessAsk("Wendy\u202e Witness", "wendy@example.org", "Manager", "I saw it.")
    request = witness_request_create(
        registration=registration, ask=ask, actor=learner, link_for=lambda token: token
    )
    request.refresh_from_db()
    assert request.witness_name == "Wendy Witness"
