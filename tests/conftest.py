"""Personas shared by every test: one centre with a person in each role, and an outsider."""

import os
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from hypothesis import settings

from portal.celery import app as celery_app
from portal.models import Centre, RoleKind, User
from qualifications.catalogue_files import read
from qualifications.kept_units import forget_units
from qualifications.models import CatalogueFile, Qualification
from qualifications.rules.adapter import forget_rules
from qualifications.rules.versions import forget_versions
from tests.catalogue import SFJ_FILE, TEST_WORLD_SFJ, load_test_world
from tests.factories import CentreFactory, RoleFactory, UserFactory

# Keep the test modules' bytecode (and the portal modules they import) whatever the shell says:
# this machine's shell and the Dockerfile set PYTHONDONTWRITEBYTECODE, which test.sh unsets, so
# pytest run by hand compiled and rewrote them afresh in every worker, 2-3 s of each worker's
# start (docs/performance.md, "The fast suite, third round").
sys.dont_write_bytecode = False

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
FAST_SUITE = "not integration and not browser and not slow"

# Modules slow by their nature, marked `slow` (below): they run in the second suite, on
# PostgreSQL, with the tasks still run in-process (`pytest_runtest_setup`, below), so that the
# fast suite stays under a minute on two cores (docs/performance.md, "The fast suite, second
# round"; decision 67). Each builds a world through many services (an IQA's sampled decisions,
# achieved and signed-off units, a permission or form matrix over every URL), renders PDFs,
# loads the whole catalogue, counts queries at two sizes of centre, or starts subprocesses.
SLOW_MODULES = frozenset(
    {
        "tests/api/test_api.py",
        "tests/api/test_api_claims_and_events.py",
        "tests/api/test_api_learners.py",
        "tests/api/test_api_matrix.py",
        "tests/api/test_api_requests.py",
        "tests/assessment/test_countersigner.py",
        "tests/assessment/test_countersigning.py",
        "tests/assessment/test_progress.py",
        "tests/assessment/test_provisional_said.py",
        "tests/assessment/test_requirements_met.py",
        "tests/assessment/test_reviews.py",
        "tests/assessment/test_tracker.py",
        "tests/assessment/test_unit_assessors.py",
        "tests/assessment/test_views.py",
        "tests/certification/test_ao_exports.py",
        "tests/certification/test_certificate_list.py",
        "tests/certification/test_claim_policy_claims.py",
        "tests/certification/test_claim_views.py",
        "tests/certification/test_claims.py",
        "tests/certification/test_confirmation_taken_once.py",
        "tests/certification/test_confirmations.py",
        "tests/certification/test_credential_schema.py",
        "tests/certification/test_credentials.py",
        "tests/certification/test_credentials_review.py",
        "tests/certification/test_eligibility_report.py",
        "tests/certification/test_export_views.py",
        "tests/certification/test_lifecycle_claims.py",
        "tests/certification/test_portfolio_pack.py",
        "tests/certification/test_prior_learning_claims.py",
        "tests/certification/test_readiness_kept.py",
        "tests/certification/test_rendering.py",
        "tests/certification/test_replace_confirmation.py",
        "tests/certification/test_revoked_marked.py",
        "tests/certification/test_state.py",
        "tests/certification/test_successive_certificates.py",
        "tests/certification/test_sweep.py",
        "tests/certification/test_transfer_fixes.py",
        "tests/certification/test_transfer_views.py",
        "tests/certification/test_transfers.py",
        "tests/certification/test_uln_on_certificates.py",
        "tests/certification/test_verification.py",
        "tests/competence/test_views.py",
        "tests/eqa/test_access.py",
        "tests/eqa/test_prior_learning.py",
        "tests/eqa/test_release.py",
        "tests/home/test_centre_admin_pages.py",
        "tests/home/test_learner_home_read_once.py",
        "tests/home/test_todo.py",
        "tests/iqa/test_countersigning.py",
        "tests/iqa/test_iqa_countersigner.py",
        "tests/iqa/test_plan_at_scale.py",
        "tests/iqa/test_plan_read.py",
        "tests/iqa/test_repeats.py",
        "tests/iqa/test_reports.py",
        "tests/iqa/test_services.py",
        "tests/iqa/test_stranded_samples.py",
        "tests/iqa/test_views.py",
        "tests/portal/test_admin.py",
        "tests/portal/test_audit.py",
        "tests/portal/test_invitation_views.py",
        "tests/portal/test_leavers_hear_nothing.py",
        "tests/portal/test_login_throttle.py",
        "tests/portal/test_notifications.py",
        "tests/portfolios/test_comments.py",
        "tests/portfolios/test_evidence.py",
        "tests/portfolios/test_evidence_methods.py",
        "tests/portfolios/test_learner_identity.py",
        "tests/portfolios/test_pinned_rules.py",
        "tests/portfolios/test_prior_learning.py",
        "tests/portfolios/test_prior_learning_items.py",
        "tests/portfolios/test_questions.py",
        "tests/portfolios/test_registration_page_progress.py",
        "tests/portfolios/test_registration_page_reads.py",
        "tests/portfolios/test_registration_people.py",
        "tests/portfolios/test_registration_views.py",
        "tests/portfolios/test_unit_assessor_left.py",
        "tests/portfolios/test_visible_condition.py",
        "tests/portfolios/test_visible_read_compiled.py",
        "tests/portfolios/test_witness.py",
        "tests/qualifications/test_admin.py",
        "tests/qualifications/test_claim_policy.py",
        "tests/qualifications/test_export.py",
        "tests/qualifications/test_lifecycle.py",
        "tests/qualifications/test_loader.py",
        "tests/qualifications/test_rules_cache.py",
        "tests/qualifications/test_rules_versions.py",
        "tests/qualifications/test_validation.py",
        "tests/qualifications/test_views.py",
        "tests/test_closed_registrations.py",
        "tests/test_deployment.py",
        "tests/test_form_errors_shown.py",
        "tests/test_layers.py",
        "tests/test_permission_matrix.py",
    }
)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The fast suite does not import the slower suites' modules (Playwright, WeasyPrint and
    the rest: seconds of each worker's start) only to deselect every test in them: with its
    marker expression, every test in those folders, and in the slow modules, would be
    deselected anyway (below)."""
    if " ".join(str(config.option.markexpr).split()) != FAST_SUITE:
        return None
    here = Path(__file__).parent
    if collection_path.name in SLOW_FOLDERS and collection_path.parent == here:
        return True
    if collection_path.suffix == ".py" and _module_name(collection_path) in SLOW_MODULES:
        return True
    return None


def _module_name(path: Path) -> str:
    """A test module's path from the project's root, as SLOW_MODULES names it."""
    return path.resolve().relative_to(Path(__file__).resolve().parent.parent).as_posix()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests are marked by the folder they live in, so none can slip into the wrong suite.
    for item in items:
        path = Path(str(item.path))
        parts = path.parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "browser" in parts:
            item.add_marker(pytest.mark.browser)
        if _module_name(path) in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


_tasks_queued = {
    "task_always_eager": celery_app.conf.task_always_eager,
    "task_eager_propagates": celery_app.conf.task_eager_propagates,
}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A `slow` test was written for the fast suite, where tasks run in-process when queued
    (no REDIS_URL: portal.settings). In the second suite, with Redis, it still runs them so, its
    module's world too (set before any fixture), and so checks what it checked there (a
    certificate rendered on its claim, an e-mail sent); every other test there queues them."""
    if not django_settings.REDIS_URL:
        return
    slow = item.get_closest_marker("slow") is not None
    celery_app.conf.task_always_eager = slow or _tasks_queued["task_always_eager"]
    celery_app.conf.task_eager_propagates = slow or _tasks_queued["task_eager_propagates"]


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
