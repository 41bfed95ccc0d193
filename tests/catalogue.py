"""The catalogue the tests run on: the real one, loaded from its files, with one exception."""

from qualifications.catalogue_files import CATALOGUE_DIR
from qualifications.loader import catalogue_load
from qualifications.models import Qualification, QualificationStatus

# The small qualification the tests' learners are registered on (27 credits, units shared with
# the ProQual diploma). Its specification is a consultation draft, which takes no registrations
# or claims (docs/lifecycle.md); the tests written before the lifecycle was kept (issue 18) are
# about evidence, assessment, IQA and certificates, not the lifecycle, so in the test database,
# and only there, it is taken as operational (`load_test_world`). Tests of the lifecycle
# ask for `sfj_as_the_file_says`, which puts back what its file says.
TEST_WORLD_SFJ = "SFJ-L2-CS"
SFJ_FILE = CATALOGUE_DIR / "002-sfj-customer-service-certificate-l2.yaml"


def load_test_world() -> None:
    """The real catalogue, with the SFJ draft taken as operational (see TEST_WORLD_SFJ)."""
    catalogue_load()
    take_sfj_as_operational()


def take_sfj_as_operational() -> None:
    """In a database whose real catalogue is loaded: the SFJ draft taken as operational."""
    Qualification.objects.filter(code=TEST_WORLD_SFJ).update(
        status=QualificationStatus.OPERATIONAL,
        status_note="Taken as operational in the test database only (tests/catalogue.py).",
    )
