"""Personas shared by every test: one centre with a person in each role, and an outsider."""

import os
from pathlib import Path

import pytest
from django.core.cache import cache
from hypothesis import settings

from portal.models import Centre, RoleKind, User
from qualifications.catalogue_files import read
from qualifications.kept_units import forget_units
from qualifications.models import CatalogueFile, Qualification
from qualifications.rules.adapter import forget_rules
from qualifications.rules.versions import forget_versions
from tests.catalogue import SFJ_FILE, TEST_WORLD_SFJ, load_test_world
from tests.factories import CentreFactory, RoleFactory, UserFactory

# HYPOTHESIS_PROFILE=thorough runs the property tests twenty times longer.
settings.register_profile("default", max_examples=150)
settings.register_profile("thorough", max_examples=3000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ON_CI = os.environ.get("CI") == "true"


def need(condition: object, reason: str) -> None:
    """Skip a test whose service or tool is missing, except on CI, where that is a failure."""
    if condition:
        return
    if ON_CI:
        pytest.fail(f"{reason}. CI must run this test.", pytrace=False)
    pytest.skip(reason)


# The slower suites' folders, and the marker each gives its tests (below).
SLOW_FOLDERS = ("integration", "browser")
FAST_SUITE = "not integration and not browser"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The fast suite does not import the slower suites' modules (Playwright, WeasyPrint and
    the rest: seconds of each worker's start) only to deselect every test in them: with its
    marker expression, every test in those folders would be deselected anyway (below)."""
    if " ".join(str(config.option.markexpr).split()) != FAST_SUITE:
        return None
    if collection_path.name in SLOW_FOLDERS and collection_path.parent == Path(__file__).parent:
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests are marked by the folder they live in, so none can slip into the wrong suite.
    for item in items:
        parts = Path(str(item.path)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "browser" in parts:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def rules_built_afresh() -> None:
    """Each test starts with no kept rules of combination: a test that edited the catalogue
    without a new revision (by ORM update) and was rolled back must not leave its rules to the
    next, which may reuse the same ids on SQLite (`qualifications.rules.adapter`). The same for
    the kept rules versions (`qualifications.rules.versions`) and the kept rows of units' items
    (`qualifications.kept_units`)."""
    forget_rules()
    forget_versions()
    forget_units()


@pytest.fixture(autouse=True)
def nothing_cached() -> None:
    """Each test starts with an empty cache: what a page keeps there must not meet a
    rolled-back test's rows, whose ids the next test may make again on SQLite."""
    cache.clear()


@pytest.fixture
def centre(db) -> Centre:
    return CentreFactory.create(name="Riverside Skills Academy")


@pytest.fixture
def other_centre(db) -> Centre:
    return CentreFactory.create(name="Harbour Training Centre")


def _person(centre: Centre, kind: RoleKind, email: str, **role: object) -> User:
    user = UserFactory.create(email=email)
    RoleFactory.create(user=user, centre=centre, kind=kind, **role)
    return user


@pytest.fixture
def learner(centre) -> User:
    return _person(centre, RoleKind.LEARNER, "learner@example.org")


@pytest.fixture
def assessor(centre) -> User:
    return _person(centre, RoleKind.ASSESSOR, "assessor@example.org")


@pytest.fixture
def trainee_assessor(centre) -> User:
    return _person(centre, RoleKind.ASSESSOR, "trainee@example.org", is_trainee=True)


@pytest.fixture
def iqa(centre) -> User:
    return _person(centre, RoleKind.IQA, "iqa@example.org")


@pytest.fixture
def centre_admin(centre) -> User:
    return _person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org")


@pytest.fixture
def outsider(other_centre) -> User:
    """A centre admin of another centre: they may see everything there and nothing here."""
    return _person(other_centre, RoleKind.CENTRE_ADMIN, "outsider@example.org")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # The real catalogue takes about a second to load: it is loaded once into the test database,
    # and each test's changes to it are rolled back with the test, so every test sees it whole.
    with django_db_blocker.unblock():
        load_test_world()


@pytest.fixture
def catalogue_db(db):
    """The real catalogue (with the SFJ draft taken as operational: `TEST_WORLD_SFJ`); each
    test's own changes are rolled back after it."""
    # A test that flushes the database (a live server's) takes the catalogue with it.
    if not CatalogueFile.objects.exists():
        load_test_world()


@pytest.fixture
def sfj_as_the_file_says(catalogue_db) -> Qualification:
    """The SFJ certificate with the status its file gives it (a consultation draft)."""
    (record,) = read(SFJ_FILE)["qualifications"]
    Qualification.objects.filter(code=TEST_WORLD_SFJ).update(
        status=record["status"], status_note=record["status_note"] or ""
    )
    return Qualification.objects.get(code=TEST_WORLD_SFJ)
