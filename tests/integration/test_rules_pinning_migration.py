"""The migrations that pin registrations to rules versions, on PostgreSQL: every registration
made before them is pinned to its qualification's rules as they stand at migration time
(decision 27), and the column then takes no registration without a version."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from portal.models import RoleKind
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Qualification, RulesVersion
from qualifications.rules.adapter import read_rules
from qualifications.rules.versions import forget_versions
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ, START

BEFORE = [("portfolios", "0011_registration_funding"), ("qualifications", "0003_lifecycle")]
PROQUAL = "601/3576/1"


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.fixture
def before_the_versions(real_services, transactional_db) -> Iterator[None]:
    """The database as it was before rules versions; migrated to the latest again after."""
    migrate(BEFORE)
    try:
        yield
    finally:
        migrate()


def registered(learner, qualification, centre, status=RegistrationStatus.ACTIVE) -> int:
    """A registration made as the table was then (its model of the time)."""
    then = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    return (
        then.get_model("portfolios", "Registration")
        .objects.create(
            learner_id=learner.pk,
            qualification_id=qualification.pk,
            centre_id=centre.pk,
            start_date=START,
            status=status,
        )
        .pk
    )


def test_every_registration_is_pinned_to_its_qualifications_rules_at_migration_time(
    catalogue_db,
    before_the_versions,  # the catalogue loaded first, with the models of today
):
    # The catalogue's rows as the table was then (columns were added since: the claim policy).
    then = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    qualifications = then.get_model("qualifications", "Qualification").objects
    sfj, proqual = qualifications.get(code=SFJ), qualifications.get(code=PROQUAL)
    centre = CentreFactory.create()
    people = [UserFactory.create() for _ in range(3)]
    for person in people:
        RoleFactory.create(user=person, centre=centre, kind=RoleKind.LEARNER)
    made = [
        registered(people[0], sfj, centre),
        registered(people[1], sfj, centre, status=RegistrationStatus.WITHDRAWN),
        registered(people[2], proqual, centre),
    ]
    # The rules as they stand when the migration runs: changed since the catalogue's file.
    qualifications.filter(pk=sfj.pk).update(min_credits=20)

    migrate()
    forget_versions()

    pinned = {
        r.pk: r for r in Registration.objects.filter(pk__in=made).select_related("qualification")
    }
    assert set(pinned) == set(made)
    for registration in pinned.values():
        assert registration.rules_version.number == 1
        assert registration.rules == read_rules(registration.qualification)
        assert registration.rules_are_current
    assert pinned[made[0]].rules.min_credits == 20
    assert pinned[made[0]].pinned_rules_id == pinned[made[1]].pinned_rules_id
    # Every qualification of the catalogue has its version 1, registered on or not.
    assert set(RulesVersion.objects.values_list("qualification__code", "number")) == {
        (code, 1) for code in Qualification.objects.values_list("code", flat=True)
    }
    with pytest.raises(IntegrityError, match="pinned_rules"), transaction.atomic():
        Registration.objects.filter(pk=made[0]).update(pinned_rules=None)
