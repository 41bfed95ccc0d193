"""The portal's credentials validate against 1EdTech's Open Badges 3.0 JSON schema, vendored in
certification/schemas/ with its licence (decision 56)."""

import datetime
import json
from pathlib import Path

import pytest
from jsonschema import Draft201909Validator, FormatChecker

from certification.credentials import credential_for
from certification.models import Kind
from certification.services import certificate_claim
from tests.certification.conftest import achieve

pytestmark = pytest.mark.usefixtures("direct_claims")

SCHEMAS = Path(__file__).resolve().parents[2] / "certification" / "schemas"
SCHEMA = json.loads((SCHEMAS / "ob_v3p0_achievementcredential_schema.json").read_text())


def errors(document: dict) -> list[str]:
    validator = Draft201909Validator(SCHEMA, format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_vendored_schema_is_1edtech_s_and_its_licence_is_beside_it():
    Draft201909Validator.check_schema(SCHEMA)
    assert SCHEMA["title"] == "JSON Schema for the AchievementCredential class."
    assert "1EdTech" in (SCHEMAS / "LICENCE.md").read_text()


def test_a_full_certificate_s_credential_validates(achieved, centre_admin):
    certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    credential = credential_for(certificate)
    assert errors(credential) == []
    # "date-time" formats are checked only with jsonschema's optional format packages: the
    # dates are checked here instead, as the schema's DateTimeZ (with the time zone).
    issued = datetime.datetime.fromisoformat(credential["validFrom"])
    assert issued.tzinfo is not None and issued == certificate.issued_at.replace(microsecond=0)


def test_a_unit_certificate_s_credential_validates(registration, assessor, centre_admin):
    achieve(registration, assessor, codes={"F/506/2131"})
    certificate = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    assert errors(credential_for(certificate)) == []


def test_the_schema_catches_what_would_break_a_credential(achieved, centre_admin):
    """The validation is no formality: a credential missing what the schema requires fails."""
    certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    broken = credential_for(certificate)
    del broken["credentialSubject"]["achievement"]["criteria"]
    broken["credentialSubject"]["identifier"][0]["identityType"] = "e-mail"
    del broken["validFrom"]
    found = "\n".join(errors(broken))
    assert "'criteria' is a required property" in found
    assert "identityType" in found
    assert "'validFrom' is a required property" in found


def test_each_unit_is_a_result_of_the_achievement_as_the_schema_allows(achieved, centre_admin):
    certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    credential = credential_for(certificate)
    subject = credential["credentialSubject"]
    descriptions = subject["achievement"]["resultDescription"]
    units = certificate.snapshot["units"]
    assert [d["name"] for d in descriptions] == [f"{u['reference']} {u['title']}" for u in units]
    assert all(d["resultType"] == "Status" for d in descriptions)
    # Each result names its unit's description, and says the unit was completed.
    assert [r["resultDescription"] for r in subject["result"]] == [d["id"] for d in descriptions]
    assert {r["status"] for r in subject["result"]} == {"Completed"}
    assert subject["creditsEarned"] == certificate.snapshot["credits"] > 0
    assert errors(credential) == []
    # A result pointing nowhere, or a status OB 3.0 does not know, fails the schema.
    subject["result"][0]["status"] = "Passed"
    assert any("Passed" in e for e in errors(credential))


def test_a_cvq_credential_states_no_credits_and_lists_its_units(
    centre, centre_admin, learner, assessor, catalogue_db
):
    """CVQ units carry no credit value (the catalogue's credits are empty), so the credential
    claims none rather than 0."""
    from portfolios.services import RegistrationDetails, registration_create
    from qualifications.models import Qualification
    from tests.portfolios.conftest import START

    cvq = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="CCA010-02"),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=["U13402"],
        actor=centre_admin,
    )
    achieve(cvq, assessor, codes={"U09602"})
    certificate = certificate_claim(registration=cvq, kind=Kind.UNIT, actor=centre_admin)
    assert [u["credits"] for u in certificate.snapshot["units"]] == [None]
    credential = credential_for(certificate)
    subject = credential["credentialSubject"]
    assert "creditsAvailable" not in subject["achievement"] and "creditsEarned" not in subject
    [unit] = subject["achievement"]["resultDescription"]
    assert unit["name"].startswith("U09602 ")
    assert subject["result"] == [
        {
            "type": ["Result"],
            "resultDescription": unit["id"],
            "value": "Achieved",
            "status": "Completed",
        }
    ]
    assert errors(credential) == []


def test_units_by_rpl_and_exempt_units_say_so_in_their_results(achieved, centre_admin):
    certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    first, *rest = certificate.snapshot["units"]
    exempt = {"reference": "X/000/0001", "title": "Exempted unit", "level": 2}
    # In memory only: the snapshot as a certificate with RPL and an exemption would hold it.
    certificate.snapshot = certificate.snapshot | {
        "units": [first | {"rpl": True}, *rest],
        "exempt_units": [exempt],
    }
    credential = credential_for(certificate)
    results = credential["credentialSubject"]["result"]
    described = credential["credentialSubject"]["achievement"]["resultDescription"]
    assert results[0]["value"] == "Achieved through recognition of prior learning"
    assert results[0]["status"] == "Completed"
    # OB 3.0 has no status for an exemption: a plain result whose value says it.
    assert described[-1]["name"] == "X/000/0001 Exempted unit"
    assert described[-1]["resultType"] == "Result"
    assert results[-1] == {
        "type": ["Result"],
        "resultDescription": described[-1]["id"],
        "value": "Exempt",
    }
    assert errors(credential) == []
