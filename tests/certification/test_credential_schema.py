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
