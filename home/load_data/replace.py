"""Removing a load population made before (`generate_load_data --replace`): every row the
generator writes for the load centres, and what was done there since, in one transaction that
takes the centres' audit chains first. Their whole chains go with them, so every other chain
still verifies. Anything else that refers to the load people (a row the generator does not
know) makes the transaction fail and nothing is removed."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet

from assessment.models import (
    DecidedWork,
    Decision,
    RequirementShown,
    SufficiencyRecord,
    UnitSignOff,
)
from certification.models import Certificate, DirectClaimsStatus
from competence.models import CompetenceEntry, RegisterEnforced
from home.load_data.layout import CENTRE_PREFIX
from home.load_data.writer import (
    COMPETENCE_SCOPE,
    DECISION_EVIDENCE,
    REQUIREMENT_EVIDENCE,
    SAMPLE_DECISIONS,
    SAMPLE_EVIDENCE,
    delete_files,
    table_name,
)
from iqa.models import (
    Action,
    AssessorRisk,
    IqaDocument,
    PlanItem,
    Sample,
    SamplingPlan,
    SamplingStrategy,
)
from portal.audit import chain_order, lock_chain
from portal.models import AuditEntry, Centre, Invitation, Role, User
from portfolios.models import (
    Evidence,
    EvidenceFile,
    Mapping,
    Registration,
    RegistrationUnit,
    WitnessRequest,
)

LOAD_EMAILS = r"@c[0-9]{2}\.load\.test$"


def load_centres() -> QuerySet[Centre]:
    return Centre.objects.filter(name__startswith=CENTRE_PREFIX)


def doomed(centre_ids: list[int]) -> list[QuerySet[Model]]:
    """What goes, in an order that removes what refers to a row before the row."""
    regs = Registration.objects.filter(centre__in=centre_ids)
    people = User.objects.filter(roles__centre__in=centre_ids, email__regex=LOAD_EMAILS)
    found: list[QuerySet[Model]] = [
        Certificate.objects.filter(registration__in=regs),
        DirectClaimsStatus.objects.filter(centre__in=centre_ids),
        IqaDocument.objects.filter(
            Q(sample__registration__in=regs) | Q(plan__centre__in=centre_ids)
        ),
        Action.objects.filter(sample__registration__in=regs),
        SAMPLE_DECISIONS._default_manager.filter(sample__registration__in=regs),
        SAMPLE_EVIDENCE._default_manager.filter(sample__registration__in=regs),
        Sample.objects.filter(registration__in=regs),
        PlanItem.objects.filter(Q(registration__in=regs) | Q(plan__centre__in=centre_ids)),
        SamplingPlan.objects.filter(centre__in=centre_ids),
        SamplingStrategy.objects.filter(centre__in=centre_ids),
        AssessorRisk.objects.filter(centre__in=centre_ids),
        UnitSignOff.objects.filter(registration__in=regs),
        REQUIREMENT_EVIDENCE._default_manager.filter(requirementshown__registration__in=regs),
        RequirementShown.objects.filter(registration__in=regs),
        SufficiencyRecord.objects.filter(registration__in=regs),
        DECISION_EVIDENCE._default_manager.filter(decision__registration__in=regs),
        DecidedWork.objects.filter(registration__in=regs),
        Decision.objects.filter(registration__in=regs),
        Mapping.objects.filter(evidence__registration__in=regs),
        WitnessRequest.objects.filter(registration__in=regs),
        EvidenceFile.objects.filter(registration__in=regs),
        Evidence.objects.filter(registration__in=regs),
        RegistrationUnit.objects.filter(registration__in=regs),
        regs,
        AuditEntry.objects.filter(centre__in=centre_ids),
        COMPETENCE_SCOPE._default_manager.filter(competenceentry__centre__in=centre_ids),
        CompetenceEntry.units.through._default_manager.filter(
            competenceentry__centre__in=centre_ids
        ),
        CompetenceEntry.objects.filter(centre__in=centre_ids),
        RegisterEnforced.objects.filter(centre__in=centre_ids),
        Invitation.objects.filter(centre__in=centre_ids),
        User.groups.through._default_manager.filter(user__in=people),
        User.user_permissions.through._default_manager.filter(user__in=people),
    ]
    # The people are found through their roles: they go before their roles do. (The database
    # checks the references when the transaction ends.)
    return [*found, people.distinct(), Role.objects.filter(centre__in=centre_ids)]


def delete_rows(queryset: QuerySet[Model]) -> int:
    """DELETE in one statement, with no rows read into Python (there can be millions)."""
    model = queryset.model
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table_name(model)} WHERE id IN ({sql})", params)
        return int(cursor.rowcount)


def stored_files(centre_ids: list[int]) -> list[str]:
    regs = Registration.objects.filter(centre__in=centre_ids)
    names = list(EvidenceFile.objects.filter(registration__in=regs).values_list("file", flat=True))
    names += (
        Certificate.objects.filter(registration__in=regs)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    return names


def remove_load_population() -> dict[str, int]:
    """Remove the load centres and everything in them; returns the rows removed by table."""
    removed: dict[str, int] = {}
    with transaction.atomic():
        centre_ids = sorted(load_centres().values_list("pk", flat=True), key=chain_order)
        for centre_id in centre_ids:
            lock_chain(centre_id)
        files = stored_files(centre_ids)
        for queryset in doomed(centre_ids):
            removed[table_name(queryset.model)] = delete_rows(queryset)
        removed[table_name(Centre)] = delete_rows(Centre.objects.filter(pk__in=centre_ids))
    delete_files(files)
    return removed
