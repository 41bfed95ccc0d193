"""The migration that makes one active registration per learner and qualification, on
PostgreSQL: a database already holding duplicates stops the migration with a list of them, and
nothing is changed; once someone has decided which registration stays active, it goes through."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from portal.models import RoleKind
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Qualification
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ, START

BEFORE = [("portfolios", "0006_mapping_review")]
THE_CONSTRAINT = "one_active_registration_per_learner_and_qualification"
migration = importlib.import_module(
    "portfolios.migrations.0007_one_active_registration_per_qualification"
)


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def constraints() -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "portfolios_registration")
    return set(found)


@pytest.fixture
def before_the_constraint(real_services, transactional_db) -> Iterator[None]:
    """The database as it was before the constraint; whatever the test did, duplicates are
    withdrawn afterwards and the database migrated to the latest again."""
    migrate(BEFORE)
    assert THE_CONSTRAINT not in constraints()
    try:
        yield
    finally:
        # Only the columns the table had then are read (the model of today has more).
        active = Registration.objects.filter(status=RegistrationStatus.ACTIVE)
        for pk, learner, qualification in active.values_list("pk", "learner", "qualification"):
            Registration.objects.filter(
                learner=learner,
                qualification=qualification,
                status=RegistrationStatus.ACTIVE,
                pk__gt=pk,
            ).update(status=RegistrationStatus.WITHDRAWN)
        migrate()


def registered(learner, qualification, centre, status=RegistrationStatus.ACTIVE) -> Registration:
    """A registration made as the table was then: its model of the time (columns have been
    added since), and no constraint yet."""
    then = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    made = then.get_model("portfolios", "Registration").objects.create(
        learner_id=learner.pk,
        qualification_id=qualification.pk,
        centre_id=centre.pk,
        start_date=START,
        status=status,
    )
    return Registration(pk=made.pk)


def test_duplicates_stop_the_migration_with_a_list_of_them_and_nothing_changes(
    before_the_constraint, catalogue_db
):
    sfj = Qualification.objects.get(code=SFJ)
    centre, elsewhere = CentreFactory.create(), CentreFactory.create()
    twice, once = UserFactory.create(email="twice@example.org"), UserFactory.create()
    for person in (twice, once):
        RoleFactory.create(user=person, centre=centre, kind=RoleKind.LEARNER)
    first = registered(twice, sfj, centre)
    second = registered(twice, sfj, elsewhere)
    registered(once, sfj, centre)
    registered(once, sfj, centre, status=RegistrationStatus.WITHDRAWN)  # not a duplicate
    rows = sorted(Registration.objects.values_list("pk", "learner", "status", "centre"))

    with pytest.raises(migration.DuplicateActiveRegistrations) as stopped:
        migrate()

    message = str(stopped.value)
    assert message.startswith(migration.DUPLICATES.split("{rows}")[0])
    assert message.splitlines()[-1] == (
        f"- twice@example.org on {SFJ} ({sfj.title}): registrations {first.pk}, {second.pk}"
    )
    assert once.email not in message
    assert sorted(Registration.objects.values_list("pk", "learner", "status", "centre")) == rows
    assert THE_CONSTRAINT not in constraints()

    # Someone decides which one stays active; then the migration goes through.
    Registration.objects.filter(pk=second.pk).update(status=RegistrationStatus.WITHDRAWN)
    migrate()
    assert THE_CONSTRAINT in constraints()
    # A row of today's model (one of then leaves columns added since empty, which fails for
    # that reason): refused by the constraint, by name.
    with pytest.raises(IntegrityError, match=THE_CONSTRAINT), transaction.atomic():
        Registration.objects.create(
            learner=twice,
            qualification=sfj,
            centre=elsewhere,
            start_date=START,
            pinned_rules_id=Registration.objects.get(pk=first.pk).pinned_rules_id,
        )
