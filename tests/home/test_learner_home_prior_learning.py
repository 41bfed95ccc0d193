"""The learner's home counts a unit achieved through RPL as achieved, but says how: not
"signed off by your assessor and countersigned by you"; an exemption is named apart, since it
satisfies the rules without being achieved (decision 54, amended)."""

from django.test import Client
from django.urls import reverse

from tests.portfolios.conftest import registration, sfj
from tests.portfolios.test_prior_learning import certificate_copy, exempt, rpl

__all__ = ["certificate_copy", "registration", "sfj"]


def home_text(learner) -> str:
    client = Client()
    client.force_login(learner)
    return " ".join(client.get(reverse("home")).content.decode().split())


def test_a_unit_held_through_rpl_is_counted_as_achieved_through_rpl_not_as_signed_off(
    registration, assessor, centre_admin, learner, certificate_copy
):
    rpl(registration, certificate_copy, assessor)
    exempt(registration, centre_admin)
    text = home_text(learner)
    assert "Units achieved: <strong" in text
    assert (
        "(0 signed off by your assessor and countersigned by you, 1 through recognition of "
        "your prior learning (RPL))"
    ) in text
    assert "Exempt: 1 unit, met by an award you already hold" in text
    # What counts toward the qualification says RPL counts too, and what an exemption does:
    # not "once it is signed off and countersigned" alone, which the RPL unit never was.
    assert (
        "(a unit counts once it is signed off and countersigned, or achieved through recognition "
        "of your prior learning; an exempt unit meets its requirement but earns no credit)"
    ) in text


def test_a_learner_with_no_prior_learning_reads_as_before(registration, learner):
    text = home_text(learner)
    assert "through recognition of your prior learning" not in text
    assert "Exempt:" not in text
