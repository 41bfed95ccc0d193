"""Registrations: a learner on a qualification at a centre, with their assessor, IQA and units."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from portal.compiled import compiled_once
from portal.compiled_objects import objects_once
from portal.models import Centre, Role, RoleKind, User
from portal.refusals import Refused
from qualifications.claim_policy import policy_of
from qualifications.models import KnowledgeItem, Qualification, RulesVersion, Unit
from qualifications.requirements import EvidenceKind
from qualifications.rules import Rules
from qualifications.rules.versions import Version, is_current, pinned_rules, version


class RegistrationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Funding(models.TextChoices):
    """City & Guilds asks for each registration and results entry to be marked one or the
    other; blank until the centre says."""

    FUNDED = "funded", "Funded"
    NON_FUNDED = "non_funded", "Non-funded"


FUNDING_MISSING = "funded or non-funded (City & Guilds asks it of every registration)"
FUNDING_ASKED_BY = "city-and-guilds"  # the awarding organisation's code in the catalogue
ULN_MISSING = "ULN (needed for learners in England)"
NUMBER_MISSING = "AO registration number ({who} asks for it before a claim)"


# A closed registration takes nothing new (`Registration.closed_because`).
REGISTRATION_CLOSED = "This registration is {status}: nothing more can be added to it."
LEARNER_ANONYMISED = "This learner's records are anonymised: nothing more can be added to them."


def roles_held(user: User, kind: RoleKind) -> models.QuerySet[Role]:
    return Role.objects.filter(user=user, kind=kind).values("centre_id")  # type: ignore[return-value]


# No revision is all zeros: a kept readiness without a stamp compares as out of date.
NO_STAMP = Value(uuid.UUID(int=0), output_field=models.UUIDField())
# A registration whose kept claim readiness (`ClaimReadiness`) cannot be shown as it is: never
# worked out, marked stale by a change since, or worked out under rules that have changed since
# (another `rules_version`, or another `Qualification.revision`: every change to what the rules
# are read from renews it, `qualifications.revisions`).
READINESS_OUT_OF_DATE = (
    Q(claim_readiness__isnull=True)
    | Q(claim_readiness__stale=True)
    | ~Q(claim_readiness__rules_version=F("qualification__rules_version"))
    | ~Q(Exact(Coalesce(F("claim_readiness__rules_stamp"), NO_STAMP), F("qualification__revision")))
)


def certification_ended_since(today: datetime.date | None = None) -> Q:
    """Readiness kept on or before its qualification's certification end date, which has
    passed since: no edit renewed anything, but the date now refuses claims (docs/lifecycle.md)."""
    return Q(
        qualification__certification_end__lt=today or timezone.localdate(),
        claim_readiness__computed_at__date__lte=F("qualification__certification_end"),
    )


def recheck_due(today: datetime.date | None = None) -> Q:
    """Readiness kept with a reason that lapses by time alone (the AO's minimum period after
    registration), whose day has come: nothing was written, but the claim may now be made
    (docs/claim-policy.md)."""
    return Q(claim_readiness__recheck_on__lte=today or timezone.localdate())


def still_open(through: str = "") -> Q:
    """`Registration.objects.open()` as a condition, on a registration reached `through` a
    relation ("registration__" from a decision): filtering on the join itself lets PostgreSQL
    start from the few rows of one centre rather than match every registration.

    "No anonymisation of the learner" is NOT EXISTS, not a LEFT JOIN with IS NULL: on that
    PostgreSQL guesses the join keeps a handful of people, and reads every user to find a
    centre's registrations (45 ms at 20,000 learners instead of under 1 ms)."""
    anonymised = User.objects.filter(
        pk=OuterRef(f"{through}learner_id"), anonymisation__isnull=False
    )
    return Q(~Exists(anonymised), **{f"{through}status": RegistrationStatus.ACTIVE})


def still_open_unjoined(through: str = "") -> Q:
    """`still_open`, its learner's anonymisation looked for among the anonymisations alone,
    not joined to the learner's user (a registration's learner always has one). Where a centre's
    waiting decisions are counted (the assessor's to-do), PostgreSQL then keeps the centre's
    registrations in one hash of the (few) anonymisations and probes each one's decisions,
    instead of reading every centre's waiting decisions and joining each to its user: half the
    time. The same registrations (tests/portfolios/test_still_open_unjoined.py)."""
    anonymisation = User._meta.get_field("anonymisation").related_model
    anonymised = anonymisation.objects.filter(user_id=OuterRef(f"{through}learner_id"))  # type: ignore[union-attr,attr-defined]
    return Q(~Exists(anonymised), **{f"{through}status": RegistrationStatus.ACTIVE})


def assessing(user: User, *, to: str = "") -> Q:
    """The registrations `user` assesses, as a condition: those they are the assessor of, and
    those with a unit given to them (decision 39). The registration's assessor stays the
    learner's assessor even when every unit is someone else's: the learner's first contact.
    `to`: the path to the registration, as for `visible_condition`."""
    own_unit = RegistrationUnit.objects.filter(registration=OuterRef(f"{to}pk"), assessor=user)
    return Q(**{f"{to}assessor": user}) | Q(Exists(own_unit))


def still_holds(field: str, kind: RoleKind, centre: int | None = None) -> Exists:
    """The person the registration names in `field` ("assessor", "iqa") still holds `kind` at
    the registration's centre: one whose access it ended (decision 34) no longer does.

    `centre`: the registrations' centre, when the caller has only that centre's (a centre
    admin's count or list). Named as a value, it lets PostgreSQL read that centre's roles once
    (an index lookup, 0.1 ms) where the registration's own column made it hash every role of
    the kind in the portal (8 ms at 20,000 learners)."""
    where = OuterRef("centre") if centre is None else centre
    return Exists(Role.objects.filter(user=OuterRef(field), centre=where, kind=kind))


def unit_assessor_left(centre: int | None = None) -> Exists:
    """A unit of the registration's plan has its own assessor (decision 39) who no longer holds
    the assessor role at the registration's centre: nobody can decide that unit or sign it off
    until the centre admin gives it to someone else, or back to the registration's assessor.
    `centre` as for `still_holds`."""
    where = OuterRef(OuterRef("centre")) if centre is None else centre
    here = Role.objects.filter(user=OuterRef("assessor"), centre=where, kind=RoleKind.ASSESSOR)
    return Exists(
        RegistrationUnit.objects.filter(
            registration=OuterRef("pk"), assessor__isnull=False
        ).exclude(Exists(here))
    )


def staff_left(centre: int | None = None) -> Q:
    """The registration names an assessor or IQA who no longer holds that role at its centre,
    or one of its units has its own assessor who no longer does. `centre`: the centre of every
    registration it is asked of, when the caller knows it (see `still_holds`)."""
    return (
        Q(Q(assessor__isnull=False) & ~still_holds("assessor", RoleKind.ASSESSOR, centre))
        | Q(Q(iqa__isnull=False) & ~still_holds("iqa", RoleKind.IQA, centre))
        | Q(unit_assessor_left(centre))
    )


def still_open_sql(alias: str) -> tuple[str, list[Any]]:
    """`still_open` written as SQL on the registration table named `alias`, with its
    parameters, for the few reads written as SQL (a centre admin's to-do: decision 66): its
    status active, its learner not anonymised (NOT EXISTS, as `still_open` says why)."""
    anonymised = User._meta.get_field("anonymisation").related_model._meta.db_table
    return (
        f"{alias}.status = %s AND NOT EXISTS"
        f" (SELECT 1 FROM {anonymised} an WHERE an.user_id = {alias}.learner_id)",
        [RegistrationStatus.ACTIVE],
    )


def staff_left_sql(alias: str, centre: int) -> tuple[str, list[Any]]:
    """`staff_left(centre)` written as SQL on the registration table named `alias` (of
    `centre`), with its parameters: its assessor or IQA, or a unit's own assessor, no longer
    holds that role at the centre (decision 66; tests/home/test_admin_todo_read.py holds the
    two to the same registrations)."""
    roles, units = Role._meta.db_table, RegistrationUnit._meta.db_table

    def left(person: str) -> str:
        return (
            f"NOT EXISTS (SELECT 1 FROM {roles} ro WHERE ro.user_id = {person}"
            " AND ro.centre_id = %s AND ro.kind = %s)"
        )

    sql = (
        f"(({alias}.assessor_id IS NOT NULL AND {left(f'{alias}.assessor_id')})"
        f" OR ({alias}.iqa_id IS NOT NULL AND {left(f'{alias}.iqa_id')})"
        f" OR EXISTS (SELECT 1 FROM {units} ru WHERE ru.registration_id = {alias}.id"
        f" AND ru.assessor_id IS NOT NULL AND {left('ru.assessor_id')}))"
    )
    return sql, [centre, RoleKind.ASSESSOR, centre, RoleKind.IQA, centre, RoleKind.ASSESSOR]


def visible_condition(user: User, roles: Iterable[Role] | None = None, *, to: str = "") -> Q | None:
    """Learners see their own; assessors their caseload; IQAs the registrations they are
    assigned; centre admins their centre's. Each only while they hold that role there.

    A qualified assessor also sees the learners of the centre's trainee assessors, whose
    decisions they countersign, and any with a trainee's decision or a provisional sign-off
    still waiting for a countersignature (the trainee may have left); an IQA also sees the
    registrations in their sampling plans.

    The condition is built from the viewer's roles, read here unless the caller has them
    already (a request has: `request.roles`), with only the branches of the kinds they hold
    and their centres as plain ids: a condition with a subquery per kind of role took
    PostgreSQL longer to plan (about 3 ms) than to run, on every page that opens anything.

    `to`: the path to the registration from the model asked (`"registration__"` for
    evidence), so that a page reading a row with its registration joined asks the condition of
    that join rather than of `registration__in=` a second copy of the registrations, which
    PostgreSQL took three times as long to plan (decision 59). None: nothing is visible.
    """
    if not user.is_active:
        return None
    held: dict[str, list[int]] = {kind: [] for kind in RoleKind.values}
    qualified_at: list[int] = []
    for role in Role.objects.filter(user=user) if roles is None else roles:
        if role.user_id != user.pk:
            raise ValueError(f"{role} is not a role of {user}.")
        held[role.kind].append(role.centre_id)
        if role.kind == RoleKind.ASSESSOR and not role.is_trainee:
            qualified_at.append(role.centre_id)
    branches: list[Q] = []
    if centres := held[RoleKind.LEARNER]:
        branches.append(Q(**{f"{to}learner": user, f"{to}centre_id__in": centres}))
    if centres := held[RoleKind.ASSESSOR]:
        branches.append(assessing(user, to=to) & Q(**{f"{to}centre_id__in": centres}))
    if centres := held[RoleKind.IQA]:
        # The IQA app's plans, reached through their reverse relation: that app builds on
        # this one, so this one does not import it.
        planned = Exists(
            _related("plan_items").filter(registration=OuterRef(f"{to}pk"), plan__iqa=user)
        )
        branches.append(Q(**{f"{to}iqa": user, f"{to}centre_id__in": centres}))
        branches.append(Q(planned, **{f"{to}centre_id__in": centres}))
    if centres := held[RoleKind.CENTRE_ADMIN]:
        branches.append(Q(**{f"{to}centre_id__in": centres}))
    if qualified_at:
        trainee_assessed = Exists(
            Role.objects.filter(
                user=OuterRef(f"{to}assessor"),
                centre=OuterRef(f"{to}centre"),
                kind=RoleKind.ASSESSOR,
                is_trainee=True,
            )
        )
        # A unit given to a trainee is countersigned as the trainee's whole caseload is.
        # The trainees' roles asked by the unit's assessor id, not through the user: the
        # join to every user was one more relation for PostgreSQL to plan on every page.
        trainees = Role.objects.filter(
            centre=OuterRef(OuterRef(f"{to}centre")), kind=RoleKind.ASSESSOR, is_trainee=True
        )
        trainee_unit = Exists(
            RegistrationUnit.objects.filter(
                registration=OuterRef(f"{to}pk"), assessor__in=trainees.values("user_id")
            )
        )
        # A trainee's decisions waiting for a countersignature, though the trainee has
        # since left (their role gone): still the countersigner's to open and judge.
        # The decisions' model through their reverse relation (that app builds on this
        # one), asked directly: joined to the registration again, each of these two was one
        # more relation to plan, and the whole condition took PostgreSQL twice as long to plan.
        waiting = Exists(
            _related("decisions").filter(
                registration=OuterRef(f"{to}pk"), current=True, provisional=True
            )
        )
        # A unit's sign-off waiting for a qualified assessor's countersignature (decision
        # 53): signed off by a trainee, or by an assessor out of scope.
        signed_off = Exists(
            _related("sign_offs").filter(
                registration=OuterRef(f"{to}pk"), provisional=True, unlocked_at__isnull=True
            )
        )
        branches.append(
            (Q(trainee_assessed) | Q(trainee_unit) | Q(waiting) | Q(signed_off))
            & Q(**{f"{to}centre_id__in": qualified_at})
            & ~Q(**{f"{to}learner": user})
        )
    if not branches:
        return None
    condition = branches[0]
    for branch in branches[1:]:
        condition |= branch
    return condition


def visible_by_its_columns(registration: Registration, user: User, roles: Iterable[Role]) -> bool:
    """Whether the branches of `visible_condition` that ask only the registration's own columns
    let `user` see it, told from their roles (the request's): its learner, its assessor or its
    IQA holding that role at its centre, or a centre admin there. False says nothing: the
    other branches (a unit given to the person, a trainee's work they countersign, an IQA's
    plan) need the condition's subqueries (`visible_to`), which cost more to build and plan
    than the row's own read (issue 17, fifth round: decision 64)."""
    if not user.is_active:
        return False
    for role in roles:
        if role.user_id != user.pk:
            raise ValueError(f"{role} is not a role of {user}.")
        if role.centre_id != registration.centre_id:
            continue
        if role.kind == RoleKind.CENTRE_ADMIN:
            return True
        holder: int | None
        if role.kind == RoleKind.LEARNER:
            holder = registration.learner_id
        elif role.kind == RoleKind.ASSESSOR:
            holder = registration.assessor_id
        else:
            holder = registration.iqa_id if role.kind == RoleKind.IQA else None
        if holder == user.pk:
            return True
    return False


def _related(name: str) -> models.QuerySet[models.Model]:
    """All rows of the model of the registration's reverse relation `name`, from an app that
    builds on this one (which therefore does not import it)."""
    model = Registration._meta.get_field(name).related_model
    assert isinstance(model, type) and issubclass(model, models.Model)
    return model._default_manager.all()


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def visible_to(self, user: User, roles: Iterable[Role] | None = None) -> RegistrationQuerySet:
        """Learners see their own; assessors their caseload; IQAs the registrations they are
        assigned; centre admins their centre's. Each only while they hold that role there
        (`visible_condition`). `roles`: the viewer's roles, when the caller has read them
        already (a request has: `request.roles`)."""
        condition = visible_condition(user, roles)
        return self.none() if condition is None else self.filter(condition)

    def lock(
        self, registration: Registration | int, *, refused: type[Refused] = Refused
    ) -> Registration:
        """Take the learner's record for the rest of the transaction: concurrent changes to it
        take turns, and each then re-checks what the one before it did. Every write that adds
        to a registration's records takes it (after its centre's audit chain), and is refused
        with `refused` and the reason if the registration is closed (`closed_because`).

        The check reads the row as it is once the lock is held, so a write that waited behind
        the one that closed it (a retention run holds the chains and the registrations until
        it commits) is refused too. The learner's anonymisation (the privacy app's, reached by
        its reverse relation) is read in the same statement: this one, not the lock, waited,
        so it sees what the run committed.
        """
        pk = registration if isinstance(registration, int) else registration.pk
        if self.query.where:  # a queryset filtered first: asked as it is
            locked = self.locking().get(pk=pk)
        else:
            # By SQL compiled once per process: built and compiled at each write, the locking
            # read cost some 2,400 Python calls (issue 17, seventh round).
            if connection.get_autocommit():
                raise TransactionManagementError(
                    "select_for_update cannot be used outside of a transaction."
                )
            found = _locked_by_id(pk)
            if not found:
                raise self.model.DoesNotExist(
                    f"{self.model._meta.object_name} matching query does not exist."
                )
            [locked] = found
        if reason := locked.closed_because:
            raise refused(reason)
        return locked

    def locking(self) -> RegistrationQuerySet:
        """The rows locked (the registrations' only) and read with whether each learner is
        anonymised: what `lock` reads."""
        return self.select_for_update(of=("self",)).select_related("learner__anonymisation")

    def lock_all(
        self, ids: Iterable[int], *, refused: type[Refused] = Refused
    ) -> list[Registration]:
        """`lock` for many registrations in one statement, in id order (so two such
        transactions never wait on each other's), refused if any of them is closed."""
        locked: list[Registration] = list(
            self.select_for_update(of=("self",))
            .select_related("learner__anonymisation")
            .filter(pk__in=sorted(set(ids)))
            .order_by("pk")
        )
        for registration in locked:
            if reason := registration.closed_because:
                raise refused(reason)
        return locked

    def assessed_by(self, user: User) -> RegistrationQuerySet:
        """The registrations `user` assesses (`assessing`)."""
        return self.filter(assessing(user))

    def open(self) -> RegistrationQuerySet:
        """Registrations that still take new records: the same rule as `closed_because`, for
        lists of what is still to do."""
        return self.filter(still_open())

    def with_staff_left(self, centre: Centre | None = None) -> RegistrationQuerySet:
        """Open registrations still naming an assessor or IQA who has left the centre: nobody
        assesses or quality-assures them until the centre admin chooses someone else. Given a
        `centre`, only that centre's (and read faster: see `still_holds`)."""
        if centre is None:
            return self.open().filter(staff_left())
        return self.open().filter(staff_left(centre.pk), centre=centre)

    def administered_by(self, user: User) -> RegistrationQuerySet:
        return self.filter(centre__in=roles_held(user, RoleKind.CENTRE_ADMIN))

    def with_rules_stamp(self) -> RegistrationQuerySet:
        """Each registration's qualification's rules as they stand now (`rules_version`,
        `rules_stamp`), to be read before the rules themselves: a verdict is then stored with
        a stamp no newer than the rules it was worked out from."""
        return self.annotate(
            current_rules_version=F("qualification__rules_version"),
            current_rules_stamp=F("qualification__revision"),
        )

    def readiness_out_of_date(self, today: datetime.date | None = None) -> RegistrationQuerySet:
        return self.filter(
            READINESS_OUT_OF_DATE | certification_ended_since(today) | recheck_due(today)
        )


class Registration(models.Model):
    learner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="registrations")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="registrations")
    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="registrations"
    )
    # The rules of combination it is judged by: those it was made under, until a centre admin
    # transfers it to the current ones (`registration_transfer_rules`, decision 27).
    pinned_rules = models.ForeignKey(
        RulesVersion, on_delete=models.PROTECT, related_name="registrations"
    )
    assessor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="caseload"
    )
    iqa = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quality_assured",
        verbose_name="IQA",
    )
    ao_registration_number = models.CharField("AO registration number", max_length=40, blank=True)
    # Per registration, not per person: the same learner may be funded at one centre and pay
    # at another.
    funding = models.CharField(max_length=12, choices=Funding.choices, blank=True)
    start_date = models.DateField()
    planned_end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["learner__full_name", "qualification__title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end_date__isnull=True)
                | Q(planned_end_date__gte=F("start_date")),
                name="registration_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~Q(assessor=F("learner")), name="nobody_assesses_themselves"
            ),
            models.CheckConstraint(
                condition=~Q(iqa=F("learner")), name="nobody_quality_assures_themselves"
            ),
            models.CheckConstraint(
                condition=~Q(iqa=F("assessor")), name="the_iqa_is_not_the_assessor"
            ),
            models.UniqueConstraint(
                fields=["qualification", "ao_registration_number"],
                condition=~Q(ao_registration_number=""),
                name="ao_registration_number_unique_per_qualification",
            ),
            # A learner works towards a qualification once at a time, wherever they are
            # registered; a completed or withdrawn registration leaves room for a new one.
            models.UniqueConstraint(
                fields=["learner", "qualification"],
                condition=Q(status=RegistrationStatus.ACTIVE),
                name="one_active_registration_per_learner_and_qualification",
            ),
        ]
        indexes = [
            # A centre's registrations on one qualification (the registrations list's filter,
            # the qualifications it offers, IQA plans): the centre's own index left PostgreSQL
            # reading every registration on a qualification across the portal to find them.
            models.Index(fields=["centre", "qualification"], name="registration_centre_qual"),
        ]

    def __str__(self) -> str:
        return f"{self.learner.full_name}: {self.qualification.title}"

    @property
    def rules(self) -> Rules:
        """The rules of combination this registration is judged by (its pinned version)."""
        return pinned_rules(self.qualification, self.pinned_rules_id)

    @property
    def rules_version(self) -> Version:
        return version(self.pinned_rules_id)

    @property
    def rules_are_current(self) -> bool:
        """Whether a registration made now would be judged by the same rules."""
        return is_current(self.qualification, self.rules_version)

    @property
    def registered_on(self) -> datetime.date:
        """The day the centre registered the learner, from which an awarding organisation
        counts its minimum period and the learner's age (docs/claim-policy.md)."""
        return timezone.localdate(self.created_at)

    @property
    def details_missing(self) -> list[str]:
        """What an awarding organisation's registration or results entry would need and the
        portal does not hold: the learner's identity, the ULN, whether it is funded."""
        missing = self.learner.identity_missing
        missing += [] if self.learner.uln else [ULN_MISSING]
        # Only City & Guilds is known to ask it (its results entry: docs/ao-exports.md).
        ao = self.qualification.awarding_organisation
        if not self.funding and ao is not None and ao.code == FUNDING_ASKED_BY:
            missing.append(FUNDING_MISSING)
        policy = policy_of(self.qualification)
        if policy.number_required and not self.ao_registration_number:
            missing.append(NUMBER_MISSING.format(who=policy.who))
        return missing

    def unit_assessors(self) -> dict[int, int | None]:
        """Each planned unit's assessor (their id), by unit id: the unit's own, else the
        registration's (None: nobody yet). One query."""
        # By SQL compiled once per process (`portal.compiled`): most pages of a registration
        # ask, and Django built the query each time.
        plan = _unit_assessors(self.pk)
        return {unit_id: own or self.assessor_id for unit_id, own in plan}

    def is_assessed_by(self, user: User) -> bool:
        """Whether `user` is one of the learner's assessors here: the registration's, or a
        unit's (`assessing`)."""
        if self.assessor_id == user.pk:
            return True
        if user.pk is None or self.pk is None:  # as the ORM answers (or refuses) them
            return self.planned_units.filter(assessor=user).exists()
        # `self.planned_units.filter(assessor=user).exists()`, by SQL compiled once per process
        # (built and compiled on each view, a thousand Python calls of the evidence page's).
        return bool(_assesses_a_unit(self.pk, user.pk))

    @property
    def closed_because(self) -> str:
        """Why nothing more can be added to this registration, or "" while it is open.

        Withdrawn or completed, or its learner anonymised by the retention run: no new evidence,
        mappings, witness requests, decisions, reviews, sign-offs, countersignatures, unlocks,
        IQA plan items, samples, actions or lifts, and no claims. Retention anonymises a person
        once and never comes back, so whatever was added afterwards would be kept for ever.
        What an issued certificate still needs (revoking, replacing, rendering it) is not a
        record of the registration and goes on; so does reading everything.
        """
        # The privacy app's anonymisation, by its reverse relation.
        return closed_reason(self.status, hasattr(self.learner, "anonymisation"))


def closed_reason(status: str, anonymised: bool) -> str:
    """`Registration.closed_because` from a registration's status and whether its learner is
    anonymised, for pages that read them as plain values."""
    if anonymised:
        return LEARNER_ANONYMISED
    if status != RegistrationStatus.ACTIVE:
        label = dict(RegistrationStatus.choices).get(status, status)
        return REGISTRATION_CLOSED.format(status=str(label).lower())
    return ""


@objects_once
def _locked_by_id(pk: int) -> RegistrationQuerySet:
    """`RegistrationQuerySet.lock`'s read (`locking`), as `get` writes it but for its `LIMIT`."""
    return Registration.objects.locking().filter(pk=pk).order_by()


class RegistrationUnit(models.Model):
    """A unit the learner is working towards in this registration, with its own assessor where
    the centre gives the unit to someone other than the registration's (decision 39)."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="planned_units"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    mandatory = models.BooleanField(default=False)
    # The unit's own assessor; None: the registration's assessor assesses it
    # (`Registration.unit_assessors`).
    assessor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="units_assessed"
    )

    class Meta:
        ordering = ["-mandatory", "unit__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "unit"], name="unit_once_per_registration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration} / {self.unit.code}"


class EvidenceMethod(models.TextChoices):
    """The assessment methods the specifications name (DOMAIN.md)."""

    OBSERVATION = "observation", "Observation by the assessor"
    PROFESSIONAL_DISCUSSION = "professional_discussion", "Professional discussion"
    WITNESS_TESTIMONY = "witness_testimony", "Witness testimony"
    EXPERT_WITNESS = "expert_witness", "Expert witness testimony"
    QUESTIONING = "questioning", "Questioning (oral or written)"
    REFLECTIVE_ACCOUNT = "reflective_account", "Reflective account / personal statement"
    PRODUCT = "product", "Product of work"
    ASSIGNMENT = "assignment", "Assignment / project"
    CASE_STUDY = "case_study", "Case study"
    CONTROLLED_ASSESSMENT = "controlled_assessment", "Controlled assessment"
    E_ASSESSMENT = "e_assessment", "E-assessment"
    RPL = "rpl", "Recognition of prior learning"


class EvidenceSetting(models.TextChoices):
    """Whether the evidence comes from the learner's real work or a simulation (decision 51)."""

    REAL_WORK = "real_work", "Real work"
    SIMULATED = "simulated", "Simulated"
    # Real work where the unit's specification accepts it ("evidence collected in a realistic
    # working environment or a work placement is permissible"), simulated elsewhere (decision
    # 51, amended on 7 December 2026).
    REALISTIC = "realistic", "Realistic working environment"


# Who gives a piece of evidence its method (decision 17). A learner's own work and records...
LEARNER_METHODS = frozenset(
    {
        EvidenceMethod.REFLECTIVE_ACCOUNT,
        EvidenceMethod.PRODUCT,
        EvidenceMethod.ASSIGNMENT,
        EvidenceMethod.CASE_STUDY,
        EvidenceMethod.CONTROLLED_ASSESSMENT,
        EvidenceMethod.E_ASSESSMENT,
        EvidenceMethod.RPL,
    }
)
# ... what the assessor saw, discussed or asked, which only the assessor records ...
ASSESSOR_METHODS = frozenset(
    {
        EvidenceMethod.OBSERVATION,
        EvidenceMethod.PROFESSIONAL_DISCUSSION,
        EvidenceMethod.QUESTIONING,
    }
)
# ... and what a witness vouches for, which comes only from the witness through their link.
WITNESS_METHODS = frozenset({EvidenceMethod.WITNESS_TESTIMONY, EvidenceMethod.EXPERT_WITNESS})


class Evidence(models.Model):
    """One piece of evidence in a learner's portfolio: one or more files, and what they show."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="evidence"
    )
    title = models.CharField(max_length=200)
    occurred_on = models.DateField("date")
    method = models.CharField(max_length=30, choices=EvidenceMethod.choices)
    description = models.TextField(blank=True)
    # Where it comes from and what kind of evidence it is, which the unit's rules of assessment
    # are checked against (decision 51): blank kind is "not stated", which no rule refuses.
    setting = models.CharField(
        "real work or simulated",
        max_length=10,
        choices=EvidenceSetting.choices,
        default=EvidenceSetting.REAL_WORK,
    )
    kind = models.CharField(
        "kind of evidence", max_length=15, choices=EvidenceKind.choices, blank=True, default=""
    )
    declared_at = models.DateTimeField(
        help_text="When the learner declared the evidence to be their own work."
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once an assessor has judged it: from then on the learner can no longer change it.
    judged_at = models.DateTimeField(null=True, blank=True)
    # Set once an assessor has said whether it is real work or simulated, and its kind
    # (`evidence_classify`): from then on the learner can no longer change those two
    # (decision 53), though they may still change its other details until it is judged.
    classified_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    classified_at = models.DateTimeField(null=True, blank=True)
    # On an assessor's record (observation, discussion, questioning): when the learner agreed
    # it is a true record (`record_acknowledge`), once.
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-created_at"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.judged_at is not None

    @property
    def is_assessor_record(self) -> bool:
        """An assessor's own record about the learner, which the learner may acknowledge."""
        return (
            self.method in ASSESSOR_METHODS and self.created_by_id != self.registration.learner_id
        )

    def assessor_ids(self) -> set[int]:
        """Whom the evidence is for (decision 39): the assessors of the units it is mapped to,
        or, mapped to none of the plan's, the registration's assessor (none: nobody yet)."""
        registration = self.registration
        assessors = registration.unit_assessors()
        units = self.mappings.annotate(
            unit=Coalesce("criterion__unit_id", "range_item__unit_id", "knowledge_item__unit_id")
        ).values_list("unit", flat=True)
        found = {assessors[unit] for unit in units if assessors.get(unit) is not None}
        default = {registration.assessor_id} if registration.assessor_id else set()
        return found or default  # type: ignore[return-value]

    @property
    def is_answered_questions(self) -> bool:
        """The learner's answers to a set of questions their assessor wrote (`QuestionSet`):
        the only questioning a learner makes, kept exactly as sent (decision 42)."""
        return (
            self.method == EvidenceMethod.QUESTIONING
            and self.created_by_id == self.registration.learner_id
        )

    @property
    def is_signed_testimony(self) -> bool:
        """Whether a witness signed this evidence: what they vouched for is kept as signed."""
        try:
            request = self.witness_request
        except WitnessRequest.DoesNotExist:
            return False
        return request.confirmed_at is not None


def evidence_file_name(instance: EvidenceFile, filename: str) -> str:
    """Stored names are the portal's, never the uploader's: the original is kept for display."""
    import uuid

    return f"evidence/{instance.registration_id}/{uuid.uuid4().hex}"


class EvidenceFile(models.Model):
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="files")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=evidence_file_name, max_length=200)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "sha256"], name="same_file_once_per_portfolio"
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="evidence_files_are_not_empty"),
        ]

    def __str__(self) -> str:
        return self.original_name


COMMENT_MAX_LENGTH = 2000


class EvidenceComment(models.Model):
    """One message in the conversation on a piece of evidence between the learner and their
    assessor (the IQA reads it). Never edited or removed once sent (decision 35): the text the
    other person read is the text kept. Goes with the evidence if the learner removes it (the
    audit entry keeps the words)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Whether they wrote as the learner or as the assessor, as the thread names them.
    author_kind = models.CharField(max_length=20, choices=RoleKind.choices)
    text = models.TextField(max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.evidence}"


class MappingStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed by the learner"
    CONFIRMED = "confirmed", "Confirmed by the assessor"
    REJECTED = "rejected", "Rejected by the assessor"


class ItemTarget(models.Model):
    """Something about exactly one assessable item of a unit: a criterion, or a CVQ range or
    knowledge item. Mappings and decisions both are."""

    KINDS = ("criterion", "range_item", "knowledge_item")

    criterion = models.ForeignKey(
        "qualifications.Criterion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    range_item = models.ForeignKey(
        "qualifications.RangeItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    knowledge_item = models.ForeignKey(
        "qualifications.KnowledgeItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def target(self) -> object:
        return self.criterion or self.range_item or self.knowledge_item

    @staticmethod
    def one_target(name: str) -> models.CheckConstraint:
        empty = {f"{kind}__isnull": True for kind in ItemTarget.KINDS}
        either = [Q(**{**empty, f"{kind}__isnull": False}) for kind in ItemTarget.KINDS]
        return models.CheckConstraint(condition=either[0] | either[1] | either[2], name=name)

    @staticmethod
    def once_per(
        field: str, name: str, condition: Q | None = None
    ) -> list[models.UniqueConstraint]:
        """One row per `field` and item, for each kind of item (where `condition` holds)."""
        return [
            models.UniqueConstraint(
                fields=[field, kind],
                condition=Q(**{f"{kind}__isnull": False}) & (condition or Q()),
                name=f"{name}_{kind}",
            )
            for kind in ItemTarget.KINDS
        ]


class Mapping(ItemTarget):
    """A claim that an evidence item covers one criterion (or CVQ range or knowledge item).

    The learner proposes; the assessor confirms or rejects (the assessment app). A proposed
    mapping and a confirmed one are different states of the same row, never the same thing.
    """

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="mappings")
    status = models.CharField(
        max_length=20, choices=MappingStatus.choices, default=MappingStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    # The assessor's review of the mapping itself (a decision on the item is separate).
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    feedback = models.TextField(blank=True, help_text="Why the assessor rejected the mapping.")

    class Meta:
        ordering = ["pk"]
        constraints = [
            ItemTarget.one_target("a_mapping_has_exactly_one_target"),
            *ItemTarget.once_per("evidence", "mapped_once_per_evidence"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence} → {self.target}"


class WitnessRequest(models.Model):
    """A request to someone without an account to confirm a testimony, through a single-use,
    expiring link. Only a hash of the link's secret is stored."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="witness_requests"
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    witness_name = models.CharField(max_length=200)
    witness_email = models.EmailField()
    witness_role = models.CharField(max_length=200, help_text="e.g. Line manager, customer")
    statement = models.TextField(help_text="What the witness is asked to confirm.")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    signed_name = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    relationship = models.CharField(max_length=200, blank=True)
    signature = models.CharField(max_length=200, blank=True)
    evidence = models.OneToOneField(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="witness_request"
    )

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Testimony from {self.witness_name}"

    @property
    def state(self) -> str:
        """Where the request stands, in words for the learner and assessor: "confirmed",
        "expired" (the link no longer works) or "sent" (waiting for the witness)."""
        if self.confirmed_at is not None:
            return "confirmed"
        if self.expires_at <= timezone.now():
            return "expired"
        return "sent"


class QuestionSet(models.Model):
    """Written questions an assessor sets for one learner, answered on the page: a draft the
    learner may save and change, then, once sent, evidence of method Questioning holding the
    questions and answers exactly as they were (decision 42)."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="question_sets"
    )
    title = models.CharField(max_length=200)
    questions = models.JSONField(help_text="The questions, in order, as the assessor wrote them")
    answers = models.JSONField(default=list, help_text="The learner's answers, in order")
    # What the questions are about (optional): the units shown to the learner, and the
    # knowledge items the answers are proposed for when they are sent.
    units = models.ManyToManyField(Unit, blank=True, related_name="+")
    knowledge_items = models.ManyToManyField(KnowledgeItem, blank=True, related_name="+")
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    saved_at = models.DateTimeField(null=True, blank=True)  # the learner's draft, last saved
    submitted_at = models.DateTimeField(null=True, blank=True)
    evidence = models.OneToOneField(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="question_set"
    )

    class Meta:
        ordering = ["-set_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True, evidence__isnull=True)
                | Q(submitted_at__isnull=False, evidence__isnull=False),
                name="answered_questions_are_evidence",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    def pairs(self) -> list[tuple[str, str]]:
        """Each question with its answer so far ("" where none)."""
        answers = list(self.answers) + [""] * (len(self.questions) - len(self.answers))
        return list(zip(self.questions, answers, strict=False))


class PriorLearningKind(models.TextChoices):
    """How a unit is met without being assessed here (DOMAIN.md, rules of combination item 7;
    decision 50)."""

    RPL = "rpl", "Achieved through recognition of prior learning (RPL)"
    EXEMPTION = "exemption", "Exempt"


class PriorLearningQuerySet(models.QuerySet["PriorLearning"]):
    def in_force(self) -> PriorLearningQuerySet:
        """Records not withdrawn: these are what the rules engine is given."""
        return self.filter(withdrawn_at__isnull=True)


class PriorLearning(models.Model):
    """A unit of the learner's plan met through what they learned or achieved before: achieved
    through RPL (agreed by the unit's assessor; counts with its credit, flagged RPL), or exempt
    (agreed by a centre admin; satisfies the requirement and earns no credit). Never deleted:
    withdrawn with a reason, and kept (decision 50)."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="prior_learning"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=PriorLearningKind.choices)
    # What the learner learned or achieved before: the certificate or course, who issued it, when.
    description = models.TextField()
    achieved_on = models.DateField("date of the prior learning")
    # The copy of the prior certificate (or other proof) in the learner's portfolio.
    evidence = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="prior_learning"
    )
    agreed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agreed_at = models.DateTimeField()
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    objects = PriorLearningQuerySet.as_manager()

    class Meta:
        ordering = ["agreed_at", "pk"]
        verbose_name_plural = "prior learning"
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "unit"],
                condition=Q(withdrawn_at__isnull=True),
                name="prior_learning_once_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="prior_learning_withdrawal_has_a_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind="rpl") | Q(evidence__isnull=False),
                name="rpl_rests_on_evidence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code}: {self.get_kind_display()}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class PriorLearningItemQuerySet(models.QuerySet["PriorLearningItem"]):
    def in_force(self) -> PriorLearningItemQuerySet:
        """Records not withdrawn: the items they meet count as met."""
        return self.filter(withdrawn_at__isnull=True)


class PriorLearningItem(ItemTarget):
    """A criterion (or a CVQ range or knowledge item) of a planned unit met through RPL: the
    unit's qualified assessor agrees the learner's prior learning covers it, so it counts as
    met without a decision, and the unit is signed off by assessment once every other item is
    met (decision 54). The rules engine never sees it: only a whole unit's RPL
    (`PriorLearning`) achieves a unit. Never deleted: withdrawn with a reason, and kept."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="prior_learning_items"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    achieved_on = models.DateField("date of the prior learning")
    evidence = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, related_name="prior_learning_items"
    )
    agreed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    agreed_at = models.DateTimeField()
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    objects = PriorLearningItemQuerySet.as_manager()

    class Meta:
        ordering = ["agreed_at", "pk"]
        constraints = [
            ItemTarget.one_target("an_rpl_item_has_exactly_one_target"),
            *ItemTarget.once_per("registration", "rpl_item_once", Q(withdrawn_at__isnull=True)),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="rpl_item_withdrawal_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.label}: RPL"

    @property
    def label(self) -> str:
        """The item as the unit page names it: "criterion 1.2", "range 1a(ii)", "K3"."""
        if self.criterion_id:
            return f"criterion {self.criterion.number}"  # type: ignore[union-attr]
        if self.range_item_id:
            return f"range {self.range_item.reference}"  # type: ignore[union-attr]
        return f"K{self.knowledge_item.number}"  # type: ignore[union-attr]

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class ClaimList(models.TextChoices):
    """Which of the claims page's lists a registration is on (one at most: a registration
    ready for a full certificate cannot also be offered a unit certificate instead)."""

    FULL = "full", "Ready for a full certificate"
    UNIT = "unit", "Can have a unit certificate"
    WAITING = "waiting", "Not ready yet"
    CLAIMED = "claimed", "Nothing more to claim now"  # open: what it can have is claimed
    CLOSED = "closed", "Closed"  # withdrawn, completed or anonymised: no claims


class ClaimReadiness(models.Model):
    """A registration's claim readiness as the centre admin's pages show it, kept rather than
    worked out on every view (issue 17; decision 19). Certification works it out (the rules
    engine over achieved units, less what IQA holds back, then what is claimed already and
    whether the registration is open) and stores it here; every service that changes what it
    depends on marks it stale in its own transaction (`portfolios.readiness.readiness_changed`),
    and a change to a qualification's rules renews its `revision`. A row
    missing, stale, or stamped with other rules is worked out again before it is shown.

    It lives here, on the lowest floor that owns the registration, so the services of
    assessment and IQA below certification can mark it without importing certification. The
    centre, qualification, list and the learner's name are kept on it so the claims page counts
    and pages each list from an index, whatever the size of the centre (a change of name marks
    it stale too: `portfolios.readiness`)."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, primary_key=True, related_name="claim_readiness"
    )
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="+")
    listed = models.CharField(max_length=10, choices=ClaimList.choices)
    learner_name = models.CharField(max_length=200)  # the lists' order (their index's)
    stale = models.BooleanField(default=False)
    full_ready = models.BooleanField()
    unit_ready = models.BooleanField()
    claimable_units = models.JSONField(default=list)  # codes: achieved and cleared by IQA
    counted_credits = models.PositiveIntegerField(default=0)
    full_reasons = models.JSONField(default=list)  # why not a full certificate, in words
    unit_reasons = models.JSONField(default=list)
    held = models.JSONField(default=list)  # IQA's reasons for holding achieved units back
    rules_version = models.PositiveSmallIntegerField()
    rules_stamp = models.UUIDField(null=True, blank=True)
    computed_at = models.DateTimeField()
    # The first day a reason kept here lapses by time alone (the AO's minimum period after
    # registration ends): from then on the row is out of date (`recheck_due`).
    recheck_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "claim readiness"
        # A page of a list is read from an index, in order: no sort, however long the list.
        indexes = [
            models.Index(
                fields=["centre", "listed", "learner_name", "registration"],
                name="readiness_list",
            ),
            models.Index(
                fields=["centre", "qualification", "listed", "learner_name", "registration"],
                name="readiness_list_by_qual",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim readiness of registration {self.registration_id}"


@compiled_once
def _unit_assessors(registration_id: int) -> models.QuerySet[RegistrationUnit, Any]:
    """(unit, its own assessor) of each planned unit of the registration (`unit_assessors`)."""
    planned = RegistrationUnit.objects.filter(registration_id=registration_id)
    return planned.order_by().values_list("unit_id", "assessor_id")


@compiled_once
def _assesses_a_unit(registration_id: int, user_id: int) -> models.QuerySet[RegistrationUnit]:
    """A unit of the registration given to the user, if any (`Registration.is_assessed_by`)."""
    units = RegistrationUnit.objects.filter(registration_id=registration_id, assessor_id=user_id)
    return units.order_by().values_list("pk")[:1]  # type: ignore[return-value]
