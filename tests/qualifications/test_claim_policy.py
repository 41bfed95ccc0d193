"""An awarding organisation's claim policy, overridable per qualification: what it says on a
given day, and how it goes from the files to the database, the export and back, and through
the admin."""

import datetime
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal.models import User
from qualifications.catalogue_files import SEEDS_DIR, catalogue_files, normalise, read
from qualifications.claim_policy import (
    ClaimPolicy,
    age_on,
    age_refusal,
    claim_reasons,
    number_problem,
    policy_of,
)
from qualifications.loader import CatalogueError, catalogue_load
from qualifications.models import AwardingOrganisation, Qualification

pytestmark = pytest.mark.django_db

D = datetime.date
PEARSON = ClaimPolicy(who="Pearson", title="BTEC Level 3 Diploma", min_weeks=10)
C_AND_G = ClaimPolicy(
    who="City & Guilds", title="Level 3 Diploma in Contact Centre Operations", min_age=16
)


REGISTERED = D(2026, 3, 3)
ADULT = D(1990, 1, 1)


def reasons(policy, registered=REGISTERED, born=ADULT, number="", today=None):
    return claim_reasons(
        policy, registered_on=registered, born=born, number=number, today=today or registered
    )


# What the policy says on a day.


def test_a_claim_a_day_before_the_minimum_period_ends_is_held_and_one_on_the_day_is_not():
    held = reasons(PEARSON, today=D(2026, 5, 11))
    assert held.reasons == [
        "Registered on 3 March 2026: Pearson accepts a claim from 12 May 2026, 10 weeks after "
        "registration."
    ]
    assert held.recheck_on == D(2026, 5, 12)  # when readiness kept today must be worked out again
    on_the_day = reasons(PEARSON, today=D(2026, 5, 12))
    assert (on_the_day.reasons, on_the_day.recheck_on) == ([], None)


def test_an_ao_registration_number_is_asked_for_where_the_ao_requires_one():
    proqual = ClaimPolicy(who="ProQual Awarding Body", title="Diploma", number_required=True)
    assert reasons(proqual).reasons == [
        "No AO registration number is recorded: ProQual Awarding Body accepts a claim only for "
        "learners registered with it. Record the number on the learner's details page."
    ]
    assert reasons(proqual, number="PQ123").reasons == []
    assert reasons(PEARSON, today=D(2026, 6, 1)).reasons == []  # no number asked for


def test_a_number_not_in_the_format_the_ao_states_is_refused_and_a_blank_one_is_not_checked():
    stated = ClaimPolicy(
        who="Test AO", title="T", number_pattern=r"[A-Z]{2}\d{6}", number_format="AB123456"
    )
    assert number_problem(stated, "AB123456") == ""
    assert number_problem(stated, "") == ""
    assert number_problem(stated, "AB1234567") == (
        "AO registration number AB1234567 is not in the format Test AO states: AB123456."
    )
    assert reasons(stated, number="ab123456").reasons == [number_problem(stated, "ab123456")]


def test_the_age_limit_holds_a_learner_a_day_short_of_it_on_the_day_registered():
    registered = D(2026, 3, 3)
    assert reasons(C_AND_G, born=D(2010, 3, 4)).reasons == [
        "Aged 15 when registered on 3 March 2026: City & Guilds approves Level 3 Diploma in "
        "Contact Centre Operations for learners aged 16 or over at registration."
    ]
    assert reasons(C_AND_G, born=D(2010, 3, 3)).reasons == []  # 16 that very day
    # The age counted is the age when registered, not on the day of the claim.
    later = D(2027, 1, 1)
    assert reasons(C_AND_G, born=D(2010, 3, 4), today=later).reasons != []
    assert age_refusal(C_AND_G, D(2010, 3, 4), registered) == (
        "Aged 15 on 3 March 2026: City & Guilds approves Level 3 Diploma in Contact Centre "
        "Operations for learners aged 16 or over at registration."
    )
    assert age_refusal(C_AND_G, D(2010, 3, 3), registered) == ""


def test_a_missing_date_of_birth_holds_a_claim_under_an_age_limit_but_not_a_registration():
    assert reasons(C_AND_G, born=None).reasons == [
        "No date of birth is recorded: City & Guilds approves Level 3 Diploma in Contact Centre "
        "Operations for learners aged 16 or over at registration, so the learner's age must be "
        "checked. Record it on the learner's details page."
    ]
    assert age_refusal(C_AND_G, None, D(2026, 3, 3)) == ""
    assert reasons(PEARSON, born=None, today=D(2026, 6, 1)).reasons == []


def test_a_leap_day_birthday_comes_on_the_first_of_march_in_other_years():
    assert age_on(D(2008, 2, 29), D(2026, 2, 28)) == 17
    assert age_on(D(2008, 2, 29), D(2026, 3, 1)) == 18


def test_a_qualification_says_otherwise_than_its_ao_with_a_value_and_none_with_zero():
    ao = AwardingOrganisation(
        name="Test AO", min_weeks_before_claim=10, registration_number_required=True, min_age=16
    )
    own = Qualification(title="T", awarding_organisation=ao)
    assert policy_of(own) == ClaimPolicy("Test AO", "T", 10, True, "", "", 16)
    own.min_weeks_before_claim, own.registration_number_required, own.min_age = 0, False, 18
    assert policy_of(own) == ClaimPolicy("Test AO", "T", None, False, "", "", 18)
    alone = Qualification(title="T", min_weeks_before_claim=4)
    assert policy_of(alone) == ClaimPolicy("its awarding organisation", "T", min_weeks=4)


# The real catalogue: what its sources say, and nothing else.


def test_the_real_catalogue_asks_only_what_its_seeds_say(catalogue_db):
    in_force = {
        q.code: policy_of(q) for q in Qualification.objects.select_related("awarding_organisation")
    }
    asked = {
        code: (p.min_weeks, p.number_required, p.number_pattern, p.min_age)
        for code, p in in_force.items()
        if (p.min_weeks, p.number_required, p.number_pattern, p.min_age) != (None, False, "", None)
    }
    assert asked == {
        "601/3576/1": (None, True, "", None),  # "registered with ProQual" (seed 001)
        "3412-04": (None, False, "", 16),  # 16+ for the Level 3 Diploma (seed 003)
        "3412-05": (None, False, "", 18),  # 18+ for the Level 4 Diploma
    }


def test_every_claim_policy_has_a_note_and_its_quotations_are_printed_in_its_seed():
    for path in catalogue_files():
        data = read(path)
        seed = normalise((SEEDS_DIR / data["source"]["file"]).read_text(encoding="utf-8"))
        for record in data["awarding_organisations"] + data["qualifications"]:
            policy = record.get("claim_policy")
            if policy is None:
                assert record in data["qualifications"], record["code"]  # as its AO says
                continue
            assert policy["note"], record["code"]
            for quotation in re.findall(r'"([^"]+)"', policy["note"]):
                assert normalise(quotation) in seed, (record["code"], quotation)


# The files: loaded, exported and loaded again.


def with_policies(catalogue):
    catalogue["awarding_organisations"][0]["claim_policy"] = {
        "min_weeks_before_claim": 10,
        "registration_number_required": True,
        "registration_number_pattern": r"[A-Z]{2}\d{6}",
        "registration_number_format": "two letters and six digits",
        "min_age": None,
        "note": 'Guidance: "10 weeks".',
    }
    catalogue["qualifications"][0]["claim_policy"] = {
        "min_weeks_before_claim": 0,
        "registration_number_required": None,
        "min_age": 18,
        "note": 'Profile: "18+".',
    }
    return catalogue


def policy_rows() -> tuple[dict, dict]:
    """The AO's and the qualification's claim policy fields, as the database holds them."""
    ao = AwardingOrganisation.objects.get(code="test-ao")
    qualification = Qualification.objects.get(code="T/1")
    return (
        {f: getattr(ao, f) for f in AO_FIELDS},
        {f: getattr(qualification, f) for f in OWN_FIELDS},
    )


OWN_FIELDS = ["min_weeks_before_claim", "registration_number_required", "min_age"]
OWN_FIELDS += ["claim_policy_note"]
AO_FIELDS = [*OWN_FIELDS, "registration_number_pattern", "registration_number_format"]


def test_the_claim_policy_goes_from_the_file_to_the_export_and_back_unchanged(
    catalogue, write, capsys
):
    catalogue_load([write(with_policies(catalogue))])
    call_command("export_qualification", "T/1")
    exported = json.loads(capsys.readouterr().out)
    assert exported["claim_policy"] == catalogue["qualifications"][0]["claim_policy"]
    assert (
        exported["awarding_organisation_claim_policy"]
        == (catalogue["awarding_organisations"][0]["claim_policy"])
    )
    assert exported["claim_policy_in_force"] == {
        "min_weeks_before_claim": None,  # 0 on the qualification: none, whatever the AO says
        "registration_number_required": True,
        "registration_number_pattern": r"[A-Z]{2}\d{6}",
        "min_age": 18,
    }
    before = policy_rows()
    # The export's values written back into a file load the same values again.
    catalogue["qualifications"][0]["claim_policy"] = exported["claim_policy"]
    catalogue["awarding_organisations"][0]["claim_policy"] = exported[
        "awarding_organisation_claim_policy"
    ]
    catalogue_load([write(catalogue, "901-again.yaml")], force=True)
    assert policy_rows() == before


def test_a_file_without_a_claim_policy_loads_none(catalogue, write):
    catalogue_load([write(catalogue)])
    t1 = Qualification.objects.select_related("awarding_organisation").get(code="T/1")
    assert policy_of(t1) == ClaimPolicy("Test Awarding Body", t1.title)
    assert t1.min_weeks_before_claim is None and t1.registration_number_required is None


@pytest.mark.parametrize(
    ("where", "key", "value", "said"),
    [
        ("q", "min_age", -1, "claim_policy min_age must be a whole number, 0 or more, or null"),
        ("q", "min_weeks_before_claim", True, "must be a whole number, 0 or more, or null"),
        ("ao", "registration_number_required", "yes", "must be true or false, or null"),
        ("q", "registration_number_pattern", "X", "claim_policy has no key"),
        ("ao", "weeks", 10, "claim_policy has no key 'weeks'"),
        ("ao", "registration_number_pattern", "[A-Z", "is not a regular expression"),
    ],
)
def test_a_file_with_a_claim_policy_that_cannot_be_read_is_refused(
    catalogue, write, where, key, value, said
):
    record = catalogue["qualifications" if where == "q" else "awarding_organisations"][0]
    record["claim_policy"] = {key: value}
    with pytest.raises(CatalogueError, match=re.escape(said)):
        catalogue_load([write(catalogue)])
    assert not Qualification.objects.exists()


# The admin.


def test_an_admin_edit_of_an_aos_claim_policy_renews_its_qualifications_revisions(
    client, catalogue, write
):
    catalogue_load([write(catalogue)])
    operator = User.objects.create_superuser("ops@example.org", "Operator", "pw-ops-123456")
    client.force_login(operator)
    ao = AwardingOrganisation.objects.get(code="test-ao")
    before = Qualification.objects.get(code="T/1").revision
    url = reverse("admin:qualifications_awardingorganisation_change", args=[ao.pk])
    data = {
        "code": ao.code,
        "name": ao.name,
        "min_weeks_before_claim": "10",
        "registration_number_pattern": "",
        "registration_number_format": "",
        "min_age": "",
        "claim_policy_note": "Guidance.",
    }
    assert client.post(url, {**data, "registration_number_pattern": "[A-Z"}).status_code == 200
    assert Qualification.objects.get(code="T/1").revision == before
    assert client.post(url, data).status_code == 302
    ao.refresh_from_db()
    assert ao.min_weeks_before_claim == 10
    assert Qualification.objects.get(code="T/1").revision != before
