"""People, centres and the roles people hold in centres; the audit log every app writes to.

Who may see whom is decided here and nowhere else: `Role.objects.visible_to(viewer)` is the
rule, and the centre and people querysets derive from it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from portal.compiled import compiled_once, from_row
from portal.identity import FIRST_NAMES_MAX, LAST_NAME_MAX, Sex, clean_name


class RoleKind(models.TextChoices):
    LEARNER = "learner", "Learner"
    ASSESSOR = "assessor", "Assessor"
    IQA = "iqa", "Internal quality assurer"
    CENTRE_ADMIN = "centre_admin", "Centre admin"


# Roles that work for the centre rather than study at it: every member of a centre may see them.
STAFF_KINDS = (RoleKind.ASSESSOR, RoleKind.IQA, RoleKind.CENTRE_ADMIN)
# Only practitioners can be trainees; their decisions need a qualified colleague's countersignature.
TRAINEE_KINDS = (RoleKind.ASSESSOR, RoleKind.IQA)
ROLE_KIND_LABELS = dict(RoleKind.choices)


def role_label(kind: str, is_trainee: bool) -> str:
    """What a role of this kind is called on the page, e.g. "Trainee assessor" (`Role.label`,
    for a role read as values): its kind's label as `get_kind_display` gives it."""
    name = str(ROLE_KIND_LABELS.get(kind, kind))
    return f"Trainee {name[0].lower()}{name[1:]}" if is_trainee else name


def normalise_email(email: str) -> str:
    """E-mail addresses are compared without regard to case, so they are stored in lower case."""
    return email.strip().lower()


class NotificationEmail(models.TextChoices):
    EACH = "each", "An e-mail for each notification, as it happens"
    DAILY = "daily", "One e-mail a day with what is new"
    NONE = "none", "No e-mail: I look in the portal"


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, viewer: User) -> UserQuerySet:
        """People the viewer may see: themselves and the holders of roles visible to them."""
        if not viewer.is_active:
            return self.none()
        holders = Role.objects.visible_to(viewer).values("user_id")
        return self.filter(models.Q(pk=viewer.pk) | models.Q(pk__in=holders))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def visible_to(self, viewer: User) -> UserQuerySet:
        return self.get_queryset().visible_to(viewer)

    def get(self, *args: Any, **kwargs: Any) -> User:
        """`User.objects.get(pk=<an id>)`, which the authentication backend asks on every
        request for the person logged in, read by SQL compiled once per process
        (`portal.compiled`): the same row and object as the ORM's, without building the query
        each time (about 900 Python calls a request). Anything else asked goes to the ORM."""
        if args or self._db is not None or kwargs.keys() != {"pk"} or type(kwargs["pk"]) is not int:
            return super().get(*args, **kwargs)
        rows = _user_rows(kwargs["pk"])
        if not rows:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        return from_row(self.model, _user_fields(), rows[0])

    def get_by_natural_key(self, username: str | None) -> User:
        # Logging in as "Ada@Example.org" finds "ada@example.org".
        return self.get(email=normalise_email(username or ""))

    def create_user(
        self, email: str, full_name: str, password: str | None = None, **extra: Any
    ) -> User:
        if not email:
            raise ValueError("A person needs an e-mail address to log in with.")
        user = self.model(email=normalise_email(email), full_name=clean_name(full_name), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, full_name: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, full_name, password, **extra)


def _user_fields() -> tuple[str, ...]:
    return tuple(field.attname for field in User._meta.concrete_fields)


@compiled_once
def _user_rows(user_id: int) -> models.QuerySet[User, Any]:
    return User.objects.filter(pk=user_id).order_by().values_list(*_user_fields())


class User(AbstractBaseUser, PermissionsMixin):
    """A person. They log in with their e-mail address; what they may do comes from their roles."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(
        max_length=200,
        help_text="The full name as registered: certificates print it exactly as written here.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May log in to the Django admin (platform operators only)."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # A learner's identity as awarding organisations register it (docs/learner-identity.md):
    # the person's, not a registration's, so a learner at two centres has one ULN and one date
    # of birth. Blank until a centre admin records them; checked by portal.identity.
    legal_first_names = models.CharField(
        "legal first name(s)", max_length=FIRST_NAMES_MAX, blank=True
    )
    legal_last_name = models.CharField("legal last name", max_length=LAST_NAME_MAX, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    uln = models.CharField(
        "ULN",
        max_length=10,
        blank=True,
        help_text="Unique Learner Number, from the Learning Records Service (learners in England).",
    )
    # How the person hears of their notifications by e-mail (the inbox has them all anyway).
    notification_email = models.CharField(
        "e-mail me", max_length=5, choices=NotificationEmail.choices, default=NotificationEmail.EACH
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        indexes = [
            # A centre's people, and its registrations, a page at a time by name: PostgreSQL
            # walks the names in order and stops at the page's end (about 500 entries for a
            # centre of a thousand among twenty thousand) instead of reading every person of
            # the portal to sort the centre's (decision 46).
            models.Index(fields=["full_name", "id"], name="user_by_name"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case"),
            # One learner, one ULN: the Learning Records Service issues one per person.
            models.UniqueConstraint(
                fields=["uln"], condition=~models.Q(uln=""), name="uln_unique_when_given"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = normalise_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def identity_missing(self) -> list[str]:
        """What every awarding organisation's registration needs of the person and the portal
        does not hold yet (the ULN, needed in England only, is `uln_missing`)."""
        held = (
            (self.legal_first_names, "legal first name(s)"),
            (self.legal_last_name, "legal last name"),
            (self.date_of_birth, "date of birth"),
            (self.sex, "sex"),
        )
        return [label for value, label in held if not value]


class CentreQuerySet(models.QuerySet["Centre"]):
    def visible_to(self, viewer: User) -> CentreQuerySet:
        """Centres in which the viewer holds at least one role."""
        if not viewer.is_active:
            return self.none()
        return self.filter(pk__in=Role.objects.filter(user=viewer).values("centre_id"))


class Centre(models.Model):
    """An approved centre: a college, training provider or employer that delivers qualifications."""

    name = models.CharField(max_length=200)
    ao_centre_number = models.CharField(
        "AO centre number",
        max_length=40,
        blank=True,
        help_text="The number the awarding organisation gave the centre when approving it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CentreQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ao_centre_number"],
                condition=~models.Q(ao_centre_number=""),
                name="centre_number_unique_when_given",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoleQuerySet(models.QuerySet["Role"]):
    def visible_to(self, viewer: User) -> RoleQuerySet:
        """The rule of who sees whom.

        A person sees their own roles; the staff roles (assessor, IQA, centre admin) of every
        centre they belong to; as a centre admin, every role in that centre; and, as an assessor
        or IQA, the learner role of each learner whose registration (or, for an assessor, one of
        its units) at that centre they are allocated to. Other learners are seen only by
        themselves and their centre admins.
        """
        if not viewer.is_active:
            return self.none()
        member_of = Role.objects.filter(user=viewer).values("centre_id")
        admin_of = member_of.filter(kind=RoleKind.CENTRE_ADMIN)
        # Allocations are registrations, which the app above this one keeps; they are reached
        # through the people they name, so this floor imports nothing from above. Conditions in
        # one filter() on a many-valued relation hold of one and the same registration.
        allocated = User.objects.filter(
            models.Q(
                registrations__assessor=viewer,
                registrations__centre__in=member_of.filter(kind=RoleKind.ASSESSOR),
            )
            | models.Q(
                registrations__planned_units__assessor=viewer,
                registrations__centre__in=member_of.filter(kind=RoleKind.ASSESSOR),
            )
            | models.Q(
                registrations__iqa=viewer,
                registrations__centre__in=member_of.filter(kind=RoleKind.IQA),
            ),
            pk=models.OuterRef("user"),
            registrations__centre=models.OuterRef("centre"),
        )
        return self.filter(
            models.Q(user=viewer)
            | models.Q(centre__in=admin_of)
            | models.Q(centre__in=member_of, kind__in=STAFF_KINDS)
            | (models.Q(models.Exists(allocated)) & models.Q(kind=RoleKind.LEARNER))
        )

    def for_centre(self, centre: Centre) -> RoleQuerySet:
        return self.filter(centre=centre)


class Role(models.Model):
    """One role one person holds in one centre. A person may hold several, in several centres."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(max_length=20, choices=RoleKind.choices)
    is_trainee = models.BooleanField(
        "trainee",
        default=False,
        help_text="A trainee assessor or IQA: their decisions need a qualified colleague's "
        "countersignature.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["centre__name", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "centre", "kind"], name="one_role_of_a_kind_per_centre"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RoleKind.values), name="role_kind_is_known"
            ),
            models.CheckConstraint(
                condition=models.Q(is_trainee=False) | models.Q(kind__in=TRAINEE_KINDS),
                name="only_assessors_and_iqas_are_trainees",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} at {self.centre}"

    @property
    def label(self) -> str:
        """What the role is called on the page, e.g. "Trainee assessor"."""
        return role_label(self.kind, self.is_trainee)


class DepartureQuerySet(models.QuerySet["Departure"]):
    def current(self) -> DepartureQuerySet:
        """Access ended and not given back (the person holds none of those roles now)."""
        return self.filter(reactivated_at__isnull=True)


class Departure(models.Model):
    """A person's access to one centre ended by its centre admin: a leaver (docs/people.md,
    decision 34). Their roles at the centre are removed, so every check that reads roles
    refuses them at once, and kept here to be given back on reactivation; their records
    (registrations, evidence, decisions, the audit log) are untouched. Their account, and any
    roles at other centres, go on: each centre ends only its own."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="departures")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="departures")
    # The roles held here when access ended: [{"kind": ..., "is_trainee": ...}].
    roles = models.JSONField(default=list)
    reason = models.CharField(max_length=500)
    ended_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(default=timezone.now)
    reactivated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reactivated_at = models.DateTimeField(null=True, blank=True)

    objects = DepartureQuerySet.as_manager()

    class Meta:
        ordering = ["-ended_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "user"],
                condition=models.Q(reactivated_at__isnull=True),
                name="one_current_departure_per_centre",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} left {self.centre}"

    @property
    def role_labels(self) -> list[str]:
        return [Role(kind=r["kind"], is_trainee=r["is_trainee"]).label for r in self.roles]


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    EXPIRED = "expired", "Link expired"
    ACCEPTED = "accepted", "Accepted"
    WITHDRAWN = "withdrawn", "Withdrawn"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        """Not yet accepted nor withdrawn (the link may have expired: it can be sent again)."""
        return self.filter(accepted_at__isnull=True, withdrawn_at__isnull=True)


class Invitation(models.Model):
    """An invitation to join a centre in one role, e-mailed as a single-use link that expires.

    Nothing about the person is created until they accept: a newcomer sets their password
    through the link, which creates their account; someone who has an account logs in and
    accepts. Only then is the role given (and any registrations a centre admin asked for made),
    so a centre admin learns nothing about accounts at other centres by inviting an address.
    The link's secret exists only in the e-mail; this row keeps its SHA-256.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("e-mail address")
    full_name = models.CharField(
        max_length=200, help_text="The name the centre gave: a new account is created with it."
    )
    kind = models.CharField("role", max_length=20, choices=RoleKind.choices)
    is_trainee = models.BooleanField("trainee", default=False)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(help_text="When the current link was sent.")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Registrations a centre admin asked for (a CSV file's rows), made when the person accepts.
    # Written and read by the portfolios app, which owns registrations; each records its outcome.
    registrations = models.JSONField(default=list, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "email", "kind"],
                condition=models.Q(accepted_at__isnull=True, withdrawn_at__isnull=True),
                name="one_open_invitation_per_role",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RoleKind.values), name="invitation_kind_is_known"
            ),
            models.CheckConstraint(
                condition=models.Q(is_trainee=False) | models.Q(kind__in=TRAINEE_KINDS),
                name="only_assessors_and_iqas_are_invited_as_trainees",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email}, {self.role_label} at {self.centre}"

    @property
    def role_label(self) -> str:
        name = self.get_kind_display()
        return f"trainee {name[0].lower()}{name[1:]}" if self.is_trainee else name.lower()

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.withdrawn_at is not None:
            return InvitationStatus.WITHDRAWN
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING


class AuditEntry(models.Model):
    """One entry of an append-only log. Each carries the hash of the one before it in its chain,
    so editing or deleting any entry breaks the chain from there on (`manage.py verify_audit`).

    Each centre's entries form a chain of their own, so centres never wait for each other's
    appends; entries about no one centre (and those written before chains were per centre)
    form the portal's chain, `centre` empty."""

    at = models.DateTimeField()
    # Found by `audit_chain_order` (centre, id), of which an index of its own is a copy.
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=60)
    subject = models.CharField(max_length=100, help_text="e.g. decision:42")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    # Not indexed (decision 25): nothing is found by its hash, and a unique index of random
    # keys cost most of every append (two indexes of 162 MB each at 1.3 million entries).
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "audit entries"
        indexes = [
            # The last entry of a chain, found at every append.
            models.Index(fields=["centre", "id"], name="audit_chain_order"),
            # An item's history reads its entries by subject.
            models.Index(fields=["subject"], name="audit_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject}"


class NotificationKind(models.TextChoices):
    EVIDENCE_JUDGED = "evidence_judged", "Evidence judged"
    MAPPING_REJECTED = "mapping_rejected", "Mapping rejected"
    UNIT_SIGNED_OFF = "unit_signed_off", "Unit signed off"
    UNIT_COUNTERSIGNED = "unit_countersigned", "Unit countersigned"
    ACTION_RAISED = "action_raised", "IQA action raised"
    ACTION_ANSWERED = "action_answered", "IQA action answered"
    CERTIFICATE_READY = "certificate_ready", "Certificate ready"
    ALLOCATION_CHANGED = "allocation_changed", "Assessor or IQA changed"
    EVIDENCE_COMMENT = "evidence_comment", "Comment on evidence"
    DECISION_RETURNED = "decision_returned", "Decision returned to a trainee"
    ASSESSOR_RECORD = "assessor_record", "An assessor's record about the learner"
    WITHDRAWN = "withdrawn", "Registration withdrawn"
    ACTION_NOT_ACCEPTED = "action_not_accepted", "Answer not accepted by the IQA"
    TRANSFER = "transfer", "Learner transferred between centres"
    RECORD_ACKNOWLEDGED = "record_acknowledged", "Learner agreed with a record"
    CLAIM_RELEASED = "claim_released", "Claim released by the EQA"
    CLAIM_HELD = "claim_held", "Claim held by the EQA"
    QUESTIONS_SET = "questions_set", "Questions set"
    QUESTIONS_ANSWERED = "questions_answered", "Questions answered"


class Notification(models.Model):
    """Something that happened which one person should know: shown in their inbox, and e-mailed
    as they chose (`User.notification_email`). Made once per event and person: `key` names the
    event, and the pair is unique, so a repeated request or a task run twice makes no second."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    key = models.CharField(max_length=100, help_text="The event, e.g. sign_off:42")
    text = models.TextField()
    link = models.CharField(max_length=300, help_text="The page where the next step is")
    # The role the person acts in on that page (a person may hold several).
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    role_kind = models.CharField(max_length=20, choices=RoleKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When its e-mail (on its own or in a daily digest) was queued; empty: not e-mailed yet.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_event")
        ]
        indexes = [
            # The inbox, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            # The unread count on every page.
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            # The daily digest: what is still to be e-mailed.
            models.Index(
                fields=["recipient"],
                condition=models.Q(emailed_at__isnull=True, read_at__isnull=True),
                name="notification_undigested",
            ),
        ]

    def __str__(self) -> str:
        return self.text
