"""A unit signed off provisionally (decision 53) is not final: an IQA cannot sample it, a plan
never proposes it, and the sample form says why, until a qualified assessor competent for the
unit countersigns the sign-off (decision 53, amended)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from assessment.sign_off_countersign import sign_off_countersign
from iqa.models import Sample, Stage
from iqa.services import SIGN_OFF_PROVISIONAL, IqaRefused
from tests.assessment.test_sign_off_countersigned import colleague, out_of_scope_sign_off
from tests.iqa.test_services import BEGUN_UNIT, SIGNED_UNIT, decide, generate, planned, sample, unit

__all__ = ["colleague"]


@pytest.fixture
def waiting(centre, centre_admin, registration, assessor, colleague, sfj):
    """The assessor, out of scope for the unit, signed it off: provisional."""
    sign_off = out_of_scope_sign_off(centre, centre_admin, registration, assessor, colleague, sfj)
    assert sign_off.provisional
    decide(registration, assessor, BEGUN_UNIT, "4.1")  # in scope: counts at once
    return sign_off


def test_a_unit_signed_off_provisionally_cannot_be_sampled_until_it_is_countersigned(
    registration, iqa, colleague, waiting
):
    with pytest.raises(IqaRefused, match=re.escape(SIGN_OFF_PROVISIONAL)):
        sample(registration, SIGNED_UNIT, iqa)
    assert not Sample.objects.exists()
    sign_off_countersign(sign_off=waiting, actor=colleague)
    made = sample(registration, SIGNED_UNIT, iqa)
    assert made.stage == Stage.SUMMATIVE


def test_a_generated_plan_leaves_out_a_unit_signed_off_provisionally(
    centre, sfj, registration, iqa, assessor, colleague, waiting
):
    assert {code for _, code, _, _ in planned(generate(centre, sfj, iqa))} == {BEGUN_UNIT}
    sign_off_countersign(sign_off=waiting, actor=colleague)
    assert (registration.pk, SIGNED_UNIT, Stage.SUMMATIVE, assessor.pk) in planned(
        generate(centre, sfj, iqa)
    )


def test_the_sample_form_says_why_instead_of_offering_the_form(registration, iqa, waiting):
    client = Client()
    client.force_login(iqa)
    url = reverse("iqa:sample-new", args=[registration.pk, unit(SIGNED_UNIT).pk])
    text = client.get(url).content.decode()
    assert SIGN_OFF_PROVISIONAL in text.replace("&#x27;", "'")
    assert "Record the sample" not in text
