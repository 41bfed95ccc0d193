"""Every URL of the portal: how to call it and who may. The permission matrix
(tests/test_permission_matrix.py) and the junk tests (tests/test_junk.py and the PostgreSQL
variant in tests/integration/) are generated from this one table and the URL configuration.

Adding a URL
------------
A URL in the URL configuration with no entry here fails `test_every_url_has_an_entry`. Add one
to `URLS`, keyed by the URL's name (with its namespace), saying:

- `kwargs`: the URL's arguments, built from a `Side` of tests/world.py (one centre's people and
  one learner's work: `side.registration.pk`, `side.sample.pk`, ...). Omit it for none.
- `get`, `post`: who may use that method (`None`: the URL does not answer it: 405 expected).
  Personas are the constants below: LEARNER, ASSESSOR (the learner's), TRAINEE (a trainee
  assessor of the same centre with nobody in their caseload), IQA (the learner's), ADMIN
  (the centre's), EQA (the awarding organisation's external quality assurer, with an open
  window on the side's qualification at the centre and no role anywhere), and ANONYMOUS
  (nobody logged in). EVERYONE is every logged-in persona;
  ANYONE adds ANONYMOUS (a public page). Anyone else gets 403 or 404, anonymous is sent to log
  in, and nothing changes.
- `data`: a valid form for the POST, built from the side and the person posting (every
  persona sends the same one, so a refusal is shown to hold even for a form that would go
  through); `query`: the query string a valid GET needs.
- `private`: True when the arguments or the form name a learner's things (a registration,
  evidence, a sample...). The matrix then also sends them as every persona of the other centre,
  who must get 404 (or, with `outside=TURNED_AWAY`, a page that ignores what they cannot see),
  and as the other centre's admin (the outsider) on their own centre's things, who gets what our
  ADMIN gets on ours. `reach`: who can see those things at all (those refused but in reach
  may get 403; those out of reach must get 404, or the 403 that things that do not exist get
  too: an id must never reveal that something exists).
- `shown_to`: personas outside PORTFOLIO who may see the side's learner on this page (the
  external quality assurer, EQA, through their window on the learner's qualification and
  centre); their answers are not checked for the learner's things, anyone else's still are.
- `reveals`: True for a page that shows a learner's name to whoever holds the link (the
  witness link, an invitation, public verification): its answers to those allowed are not
  checked for leaks.
- `api_answer`: for the REST API's endpoints, which answer tokens and never sessions: the status
  every persona gets, with every method, in the API's error shape (401; 404 for its catch-all).
  Their matrix by tokens is tests/api/test_api_matrix.py (decision 57).
- For the junk tests, what else the view reads: `forms` (the form classes bound to the request;
  their fields are found by introspection), `get_keys` and `post_keys` (raw request.GET and
  request.POST keys the view or its helpers read), `files` (file fields), `csv_columns` (the
  columns of a CSV file it reads, from its files or a `content` key). A test reads each view's
  source and fails if it reads a key or binds a form not declared here.

For example, a page for the learner's assessor and the centre admin, showing one evidence
item and taking a form:

    "assessment:evidence-note": Entry(
        get=only(ASSESSOR, ADMIN),
        post=only(ASSESSOR),
        kwargs=pk_of("draft"),
        data=lambda side, user: {"note": "Seen."},
        private=True,
        reach=PORTFOLIO,
        forms=(NoteForm,),
    ),

If a persona should be allowed and is not (or the reverse), the matrix prints each cell that
answers otherwise, e.g. `GET trainee on ours: expected 404, got 200; shows [...]`.

Django's admin is left out: it has its own permission system (staff and superusers, per model),
tested in tests/portal/test_admin.py. Static files are served by WhiteNoise's middleware, not
by a URL pattern.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from api.forms import TokenForm
from assessment.forms import (
    CaseloadFilterForm,
    ClassifyForm,
    DecisionForm,
    LearnerCountersignForm,
    RecordForm,
    RequirementShownForm,
    RequirementWithdrawForm,
    ReturnForm,
    SignOffForm,
    SufficiencyForm,
    UnlockForm,
)
from certification.confirmation import token_for
from certification.credentials import credential_document
from certification.exports.forms import ExportForm
from certification.forms import (
    CredentialForm,
    ReasonForm,
    TransferAcceptForm,
    TransferDeclineForm,
    TransferStartForm,
)
from competence.forms import EndForm, EntryForm
from eqa.forms import EqaReportForm, EqaSampleForm, HoldForm
from iqa.forms import (
    LiftForm,
    NotAcceptedForm,
    PlanForm,
    ResponseForm,
    SampleCountersignForm,
    SampleForm,
    StrategyForm,
)
from iqa.models import Sample
from portal.forms import (
    AuditedSetPasswordForm,
    DeactivateForm,
    EmailAuthenticationForm,
    InvitationForm,
    NewcomerPasswordForm,
    NotificationEmailForm,
    PortalPasswordResetForm,
)
from portal.models import Role, User
from portfolios.bulk import COLUMNS
from portfolios.forms import (
    AccountForm,
    BulkUploadForm,
    CommentForm,
    EvidenceEditForm,
    EvidenceForm,
    LearnerDetailsForm,
    PriorLearningForm,
    PriorLearningItemsForm,
    PriorLearningWithdrawForm,
    QualificationChoiceForm,
    RegistrationForm,
    RegistrationStaffForm,
    RulesTransferForm,
    UnitAssessorForm,
    UnitChoiceForm,
    WithdrawForm,
    WitnessAskForm,
    WitnessConfirmForm,
)
from portfolios.question_forms import AnswersForm, QuestionSetForm
from qualifications.models import Criterion, Qualification, Unit
from tests.factories import PASSWORD
from tests.portfolios.conftest import SFJ, SFJ_ENOUGH
from tests.portfolios.files import pdf
from tests.world import (
    ADMIN,
    ANONYMOUS,
    ASSESSOR,
    BEGUN_UNIT,
    EQA,
    IQA,
    LEARNER,
    STAFF_OF_OURS,
    TRAINEE,
    Side,
)

Who = frozenset[str]
EVERYONE: Who = frozenset({*STAFF_OF_OURS, EQA})
ANYONE: Who = EVERYONE | {ANONYMOUS}
NOBODY: Who = frozenset()
# Who can see a learner's registration and all in it: the learner, their assessor and IQA, and
# the centre's admins (portfolios.models.RegistrationQuerySet.visible_to).
PORTFOLIO: Who = frozenset({LEARNER, ASSESSOR, IQA, ADMIN})
# Who sees a centre's staff (the trainee): every member of the centre (Role.objects.visible_to).
CENTRE_MEMBERS: Who = frozenset(STAFF_OF_OURS)
SAMPLE_READERS: Who = frozenset({IQA, ASSESSOR, ADMIN})  # iqa.access.sample_for
PLAN_READERS: Who = frozenset({IQA, ADMIN})  # iqa.access.plan_for


def only(*personas: str) -> Who:
    return frozenset(personas)


NOT_FOUND = "404"
TURNED_AWAY = "turned away"  # the page answers, ignores what the person cannot see, changes nothing

Build = Callable[[Side], dict[str, Any]]
BuildForm = Callable[[Side, User | None], dict[str, Any]]


def nothing(side: Side, *_: object) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Entry:
    """One URL: how to call it and who may. See the module's docstring."""

    get: Who | None = None
    post: Who | None = None
    kwargs: Build = nothing
    query: Build = nothing
    data: BuildForm = nothing
    private: bool = False
    reach: Who = NOBODY
    outside: str = NOT_FOUND
    shown_to: Who = frozenset()
    reveals: bool = False
    forms: tuple[type[forms.BaseForm], ...] = ()
    get_keys: tuple[str, ...] = ()
    post_keys: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    csv_columns: tuple[str, ...] = ()  # the columns of a CSV file it reads (its files, content)
    # The REST API's endpoints answer tokens, never sessions (decision 57): every persona,
    # logged in or not, whatever the method, gets this status in the API's JSON error shape.
    api_answer: int | None = None

    def may(self, method: str) -> Who | None:
        return self.get if method in ("GET", "HEAD") else self.post


def api_entry(kwargs: Build, answer: int = 401) -> Entry:
    """A REST API endpoint: nobody gets it with a session (see `Entry.api_answer`)."""
    return Entry(get=NOBODY, post=NOBODY, kwargs=kwargs, api_answer=answer)


def registration(side: Side) -> dict[str, Any]:
    return {"pk": side.registration.pk}


def registration_unit(side: Side) -> dict[str, Any]:
    return {"pk": side.registration.pk, "unit_pk": side.unit.pk}


def begun_unit(side: Side) -> dict[str, Any]:
    return {"pk": side.registration.pk, "unit_pk": Unit.objects.get(code=BEGUN_UNIT).pk}


def first_decision(side: Side) -> dict[str, Any]:
    return {"pk": side.registration.decisions.order_by("pk").values_list("pk", flat=True)[0]}


def trainee_person(side: Side) -> dict[str, Any]:
    return {"pk": side.people[TRAINEE].pk}


def pk_of(attribute: str) -> Build:
    return lambda side: {"pk": getattr(side, attribute).pk}


def begun_criterion() -> int:
    return Criterion.objects.filter(unit__code=BEGUN_UNIT).order_by("pk").values_list("pk")[2][0]


def other_qualification(side: Side) -> int:
    return Qualification.objects.exclude(pk=side.qualification.pk).order_by("pk")[0].pk


def own_role(side: Side, user: User | None) -> dict[str, Any]:
    """The person's own role at the side's centre, else the side's learner's (not theirs)."""
    mine = Role.objects.filter(user=user, centre=side.centre).first() if user else None
    theirs = Role.objects.filter(user=side.people[LEARNER]).first()
    return {"role": (mine or theirs).pk}  # type: ignore[union-attr]


def reset_link(side: Side) -> dict[str, Any]:
    """The learner's password reset link, made now (logging in moves the token on)."""
    learner = User.objects.get(pk=side.people[LEARNER].pk)
    uidb64 = urlsafe_base64_encode(force_bytes(learner.pk))
    return {"uidb64": uidb64, "token": default_token_generator.make_token(learner)}


DAY = "2026-10-07"
NEW_PASSWORD = "a-brand-new-passphrase-4471"
LISTING = ("sort", "page")  # portal.listing.sorted_page


def bulk_file(side: Side, user: User | None) -> dict[str, Any]:
    """A CSV file confirmed: one newcomer, invited to join and registered once they accept."""
    row = f"newcomer.{side.centre.pk}@example.org,Nell Newcomer,{SFJ},{DAY},{';'.join(SFJ_ENOUGH)}"
    return {"confirm": "1", "content": f"{','.join(BULK_COLUMNS)}\n{row}\n"}


BULK_COLUMNS = ("learner_email", "learner_name", "qualification", "start_date", "optional_units")

# What every page of an EQA's window shares: the window names the side's learner's things,
# which only its own EQA sees (decision 29).
WINDOW: dict[str, Any] = {
    "kwargs": pk_of("eqa_window"),
    "private": True,
    "reach": only(EQA),
    "shown_to": only(EQA),
}

URLS: dict[str, Entry] = {
    "home": Entry(
        get=EVERYONE, get_keys=("qualification", "status", "page"), forms=(CaseloadFilterForm,)
    ),
    # The EQA holds no role to switch to: the role they name is not theirs, and not found.
    "switch-role": Entry(
        post=frozenset(STAFF_OF_OURS), private=True, data=own_role, post_keys=("role",)
    ),
    "healthz": Entry(get=ANYONE),
    "login": Entry(
        get=ANYONE,
        post=ANYONE,
        data=lambda side, user: {"username": side.people[LEARNER].email, "password": PASSWORD},
        forms=(EmailAuthenticationForm,),
        get_keys=("next",),
    ),
    "logout": Entry(post=ANYONE),
    "password_change": Entry(
        get=EVERYONE,
        post=EVERYONE,
        data=lambda side, user: {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        forms=(auth_forms.PasswordChangeForm,),
    ),
    "password_change_done": Entry(get=EVERYONE),
    "password_reset": Entry(
        get=ANYONE,
        post=ANYONE,
        data=lambda side, user: {"email": side.people[LEARNER].email},
        forms=(PortalPasswordResetForm,),
    ),
    "password_reset_done": Entry(get=ANYONE),
    "password_reset_confirm": Entry(
        get=ANYONE,
        post=ANYONE,
        kwargs=reset_link,
        data=lambda side, user: {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        forms=(AuditedSetPasswordForm,),
    ),
    "password_reset_complete": Entry(get=ANYONE),
    # Notifications: each person's own, and nobody else's.
    "notification-list": Entry(get=EVERYONE, get_keys=("page",)),
    "notification-open": Entry(
        get=only(LEARNER),
        post=only(LEARNER),
        kwargs=pk_of("notification"),
        private=True,
        reach=only(LEARNER),
    ),
    "notification-read-all": Entry(post=EVERYONE),
    "notification-settings": Entry(
        get=EVERYONE,
        post=EVERYONE,
        data=lambda side, user: {"choice": "daily"},
        forms=(NotificationEmailForm,),
    ),
    # Invitations: the centre admin's, of their own centre only.
    "invitation-list": Entry(get=only(ADMIN)),
    "invitation-create": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        data=lambda side, user: {
            "full_name": "Newly Invited",
            "email": f"newly.invited.{side.centre.pk}@example.org",
            "kind": "assessor",
            "is_trainee": "on",
        },
        forms=(InvitationForm,),
    ),
    "invitation-resend": Entry(
        post=only(ADMIN), kwargs=pk_of("invitation"), private=True, reach=only(ADMIN)
    ),
    "invitation-withdraw": Entry(
        post=only(ADMIN), kwargs=pk_of("invitation"), private=True, reach=only(ADMIN)
    ),
    # A person at the centre (the trainee assessor, who has no learners): their centre admin's
    # page of them, ending their access and giving it back (docs/people.md).
    "person-detail": Entry(
        get=only(ADMIN), kwargs=trainee_person, private=True, reach=CENTRE_MEMBERS
    ),
    "person-deactivate": Entry(
        post=only(ADMIN),
        kwargs=trainee_person,
        data=lambda side, user: {"reason": "Left the company on Friday."},
        private=True,
        reach=CENTRE_MEMBERS,
        forms=(DeactivateForm,),
    ),
    # Refused (nothing to give back) for the admin too, but answered as theirs to ask.
    "person-reactivate": Entry(
        post=only(ADMIN), kwargs=trainee_person, private=True, reach=CENTRE_MEMBERS
    ),
    # The competence register (decision 49): kept by the centre's admin, under a person's page
    # (never their own); each assessor and IQA reads their own entries (the side's entry is the
    # ASSESSOR's: in their reach, not theirs to change); enforcement turned on and off by the
    # admin.
    "competence:person": Entry(
        get=only(ADMIN), kwargs=trainee_person, private=True, reach=CENTRE_MEMBERS
    ),
    "competence:entry-add": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=trainee_person,
        data=lambda side, user: {
            "award": "assessing_competence",
            "status": "working_towards",
            "deadline": DAY,
            "qualifications": [side.qualification.pk],
            "units": "",
        },
        private=True,
        reach=CENTRE_MEMBERS,
        forms=(EntryForm,),
    ),
    "competence:entry-edit": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=pk_of("competence_entry"),
        data=lambda side, user: {
            "award": "assessing_competence",
            "status": "held",
            "achieved_on": "2020-05-01",
            "expires_on": "2029-05-01",
            "units": "",
            "qualifications": [side.qualification.pk],
        },
        private=True,
        reach=only(ADMIN, ASSESSOR),
        forms=(EntryForm,),
    ),
    "competence:entry-end": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=pk_of("competence_entry"),
        data=lambda side, user: {"reason": "Recorded in error."},
        private=True,
        reach=only(ADMIN, ASSESSOR),
        forms=(EndForm,),
    ),
    "competence:centre": Entry(get=only(ADMIN)),
    "competence:enforce": Entry(
        post=only(ADMIN), data=lambda side, user: {"on": "1"}, post_keys=("on",)
    ),
    # Only assessors and IQAs have a register to read: a learner, an admin who is neither, or
    # an EQA (no role) is refused, as on another role's pages.
    "competence:mine": Entry(get=only(ASSESSOR, TRAINEE, IQA)),
    # The link is the permission, for the one it was sent to: a newcomer, who has no account
    # to be logged in with (anyone logged in is told the link is someone else's: 403). Its page
    # names the invitee and the centre, as the e-mail does.
    "invitation-accept": Entry(
        get=only(ANONYMOUS),
        post=only(ANONYMOUS),
        kwargs=lambda side: {"token": side.invitation_token},
        data=lambda side, user: {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        reveals=True,
        forms=(NewcomerPasswordForm,),
    ),
    # An empty page that draws the PDF its parent page hands it: no data of its own.
    "pdf-viewer": Entry(get=ANYONE),
    # The catalogue is published information.
    "qualifications:catalogue": Entry(get=ANYONE),
    "qualifications:qualification-detail": Entry(
        get=ANYONE, kwargs=lambda side: {"pk": side.qualification.pk}
    ),
    "qualifications:unit-detail": Entry(get=ANYONE, kwargs=pk_of("unit")),
    "qualifications:search": Entry(get=ANYONE, get_keys=("q",)),
    # Portfolios: registrations, evidence, witnesses.
    "portfolios:registration-list": Entry(
        get=only(ADMIN), get_keys=("q", "qualification", "status", "staff", *LISTING)
    ),
    "portfolios:registration-create": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        query=lambda side: {"qualification": side.qualification.pk},
        data=lambda side, user: {
            "learner": side.people[LEARNER].pk,
            "start_date": DAY,
            "optional_units": SFJ_ENOUGH,
        },
        forms=(QualificationChoiceForm, RegistrationForm),
    ),
    "portfolios:registration-bulk": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        data=bulk_file,
        forms=(BulkUploadForm,),
        post_keys=("confirm", "content"),
        files=("file",),
        csv_columns=COLUMNS,
    ),
    "portfolios:registration-detail": Entry(
        get=PORTFOLIO, kwargs=registration, private=True, reach=PORTFOLIO
    ),
    "portfolios:registration-units": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=registration,
        data=lambda side, user: {"optional_units": SFJ_ENOUGH},
        private=True,
        reach=PORTFOLIO,
        forms=(UnitChoiceForm,),
    ),
    "portfolios:registration-rules": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=registration,
        data=lambda side, user: {"reason": "The awarding organisation published new rules."},
        private=True,
        reach=PORTFOLIO,
        forms=(RulesTransferForm,),
    ),
    # The centre admin changes the learner's assessor (to the trainee) and IQA, or withdraws
    # the registration (docs/people.md).
    "portfolios:registration-staff": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=registration,
        data=lambda side, user: {
            "assessor": side.people[TRAINEE].pk,
            "iqa": side.people[IQA].pk,
        },
        private=True,
        reach=PORTFOLIO,
        forms=(RegistrationStaffForm,),
    ),
    # ... or gives one unit its own assessor (the trainee; decision 39).
    "portfolios:registration-unit-assessor": Entry(
        get=None,
        post=only(ADMIN),
        kwargs=registration_unit,
        data=lambda side, user: {"assessor": side.people[TRAINEE].pk},
        private=True,
        reach=PORTFOLIO,
        forms=(UnitAssessorForm,),
    ),
    "portfolios:registration-withdraw": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=registration,
        data=lambda side, user: {"reason": "The learner left the course."},
        private=True,
        reach=PORTFOLIO,
        forms=(WithdrawForm,),
    ),
    "portfolios:registration-learner": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=registration,
        data=lambda side, user: {
            "legal_first_names": "Amara Joy",
            "legal_last_name": "Adams",
            "date_of_birth": "2001-04-12",
            "sex": "F",
            "postcode": "sw1a 1aa",
            # No ULN: one learner's, given on both sides, would be refused on the second.
            "funding": "funded",
        },
        private=True,
        reach=PORTFOLIO,
        forms=(LearnerDetailsForm,),
    ),
    "portfolios:rpl-new": Entry(
        get=only(ASSESSOR),
        post=only(ASSESSOR),
        kwargs=registration,
        data=lambda side, user: {
            "unit": Unit.objects.get(code="K/503/0421").pk,
            "description": "Certificate in Contact Centre Skills, 2021",
            "achieved_on": "2021-05-04",
            "evidence": side.evidence.pk,
        },
        private=True,
        reach=PORTFOLIO,
        forms=(PriorLearningForm,),
        files=("evidence_files",),
    ),
    "portfolios:exemption-new": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=registration,
        data=lambda side, user: {
            "unit": Unit.objects.get(code="SFJ-CS2-07").pk,
            "description": "Exempt by the awarding organisation's letter of 3 May",
            "achieved_on": "2021-05-04",
        },
        private=True,
        reach=PORTFOLIO,
        forms=(PriorLearningForm,),
    ),
    "portfolios:rpl-items-new": Entry(
        get=only(ASSESSOR),
        post=only(ASSESSOR),
        kwargs=lambda side: {
            "pk": side.registration.pk,
            "unit_pk": Unit.objects.get(code=BEGUN_UNIT).pk,
        },
        data=lambda side, user: {
            "items": [
                f"criterion:{Criterion.objects.filter(unit__code=BEGUN_UNIT).order_by('pk')[5].pk}"
            ],
            "description": "Customer care course, 2020",
            "achieved_on": "2020-03-02",
            "evidence": side.evidence.pk,
        },
        private=True,
        reach=PORTFOLIO,
        forms=(PriorLearningItemsForm,),
        files=("evidence_files",),
    ),
    "portfolios:rpl-item-withdraw": Entry(
        get=only(ADMIN, ASSESSOR),
        post=only(ADMIN, ASSESSOR),
        kwargs=pk_of("prior_learning_item"),
        data=lambda side, user: {"reason": "Recorded on the wrong criterion."},
        private=True,
        reach=PORTFOLIO,
        forms=(PriorLearningWithdrawForm,),
    ),
    "portfolios:prior-learning-withdraw": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=pk_of("prior_learning"),
        data=lambda side, user: {"reason": "Recorded against the wrong unit."},
        private=True,
        reach=PORTFOLIO,
        forms=(PriorLearningWithdrawForm,),
    ),
    "portfolios:evidence-new": Entry(
        get=only(LEARNER),
        post=only(LEARNER),
        kwargs=registration,
        data=lambda side, user: {
            "title": "A new piece of evidence",
            "occurred_on": DAY,
            "method": "product",
            "declaration": "on",
            "evidence_files": pdf(extra=b"new"),
        },
        private=True,
        reach=PORTFOLIO,
        forms=(EvidenceForm,),
        files=("evidence_files",),
    ),
    "portfolios:evidence-write": Entry(
        get=only(LEARNER),
        post=only(LEARNER),
        kwargs=registration,
        data=lambda side, user: {
            "title": "My account of a busy shift",
            "occurred_on": DAY,
            "text": "I led the team through the lunchtime rush.",
            "declaration": "on",
        },
        private=True,
        reach=PORTFOLIO,
        forms=(AccountForm,),
    ),
    "portfolios:evidence-detail": Entry(
        get=PORTFOLIO, kwargs=pk_of("draft"), private=True, reach=PORTFOLIO
    ),
    "portfolios:evidence-edit": Entry(
        get=only(LEARNER),
        post=only(LEARNER),
        kwargs=pk_of("draft"),
        data=lambda side, user: {"title": "Edited", "occurred_on": DAY, "method": "product"},
        private=True,
        reach=PORTFOLIO,
        forms=(EvidenceEditForm,),
    ),
    "portfolios:evidence-map": Entry(
        get=only(LEARNER),
        post=only(LEARNER),
        kwargs=pk_of("draft"),
        data=lambda side, user: {"criteria": [begun_criterion()]},
        private=True,
        reach=PORTFOLIO,
        post_keys=("criteria", "range_items", "knowledge_items"),
    ),
    "portfolios:evidence-comment": Entry(
        post=only(LEARNER, ASSESSOR),
        kwargs=pk_of("draft"),
        data=lambda side, user: {"text": "Could you say more about the second photo?"},
        private=True,
        reach=PORTFOLIO,
        forms=(CommentForm,),
    ),
    # The draft is the learner's own, so the learner's answer is a refusal in words (302);
    # the matrix checks that nobody else gets that far.
    "portfolios:evidence-acknowledge": Entry(
        post=only(LEARNER), kwargs=pk_of("draft"), private=True, reach=PORTFOLIO
    ),
    "portfolios:evidence-remove": Entry(
        post=only(LEARNER), kwargs=pk_of("draft"), private=True, reach=PORTFOLIO
    ),
    "portfolios:evidence-file": Entry(
        get=PORTFOLIO, kwargs=pk_of("file"), private=True, reach=PORTFOLIO, get_keys=("download",)
    ),
    "portfolios:question-set-new": Entry(
        get=only(ASSESSOR),
        post=only(ASSESSOR),
        kwargs=registration,
        data=lambda side, user: {"title": "What you know", "questions": "Why?\nHow?"},
        private=True,
        reach=PORTFOLIO,
        forms=(QuestionSetForm,),
    ),
    # Everyone who sees the portfolio reads the questions; only the learner answers them.
    "portfolios:question-set-detail": Entry(
        get=PORTFOLIO,
        post=only(LEARNER),
        kwargs=pk_of("question_set"),
        data=lambda side, user: {"answer_0": "Because.", "action": "save"},
        private=True,
        reach=PORTFOLIO,
        forms=(AnswersForm,),
        post_keys=("action",),
    ),
    "portfolios:witness-ask": Entry(
        get=only(LEARNER, ASSESSOR),
        post=only(LEARNER, ASSESSOR),
        kwargs=registration,
        data=lambda side, user: {
            "name": "Pat Witness",
            "email": "pat@example.org",
            "role": "Supervisor",
            "statement": "Saw it done.",
        },
        private=True,
        reach=PORTFOLIO,
        forms=(WitnessAskForm,),
    ),
    # The link is the permission: whoever holds it may open it, logged in or not.
    "portfolios:witness-confirm": Entry(
        get=ANYONE,
        post=ANYONE,
        kwargs=lambda side: {"token": side.witness_token},
        data=lambda side, user: {
            "signed_name": "Pat Witness",
            "job_title": "Supervisor",
            "relationship": "Line manager",
            "signature": "Pat Witness",
            "truthful": "on",
        },
        reveals=True,
        forms=(WitnessConfirmForm,),
    ),
    # Assessment.
    "assessment:unit-progress": Entry(
        get=PORTFOLIO, kwargs=registration_unit, private=True, reach=PORTFOLIO
    ),
    # The tracker: whoever may see the registration; the caseload's: any assessor, their own.
    "assessment:tracker": Entry(get=PORTFOLIO, kwargs=registration, private=True, reach=PORTFOLIO),
    "assessment:caseload-tracker": Entry(get=only(ASSESSOR, TRAINEE), get_keys=("page",)),
    "assessment:evidence-review": Entry(
        get=only(ASSESSOR),
        post=only(ASSESSOR),
        kwargs=pk_of("draft"),
        data=lambda side, user: {
            "outcome": "met",
            "method": "product",
            "assessed_on": DAY,
            "criteria": [begun_criterion()],
        },
        private=True,
        reach=PORTFOLIO,
        forms=(DecisionForm, ClassifyForm),
        post_keys=("criteria", "range_items", "knowledge_items"),
    ),
    "assessment:evidence-classify": Entry(
        post=only(ASSESSOR),
        kwargs=pk_of("draft"),
        data=lambda side, user: {"setting": "simulated", "kind": "performance"},
        private=True,
        reach=PORTFOLIO,
        forms=(ClassifyForm,),
    ),
    "assessment:mapping-review": Entry(
        post=only(ASSESSOR),
        kwargs=pk_of("mapping"),
        data=lambda side, user: {"action": "confirm"},
        private=True,
        reach=PORTFOLIO,
        post_keys=("action", "feedback"),
    ),
    "assessment:record-new": Entry(
        get=only(ASSESSOR),
        post=only(ASSESSOR),
        kwargs=registration,
        data=lambda side, user: {
            "title": "Observation at work",
            "occurred_on": DAY,
            "method": "observation",
            "description": "Watched the learner take three calls.",
        },
        private=True,
        reach=PORTFOLIO,
        forms=(RecordForm,),
        files=("evidence_files",),
    ),
    # A qualified assessor, acting as one, sees the trainees' decisions waiting for them; a
    # learner, a trainee, an IQA or a centre admin is refused (403).
    "assessment:countersign": Entry(
        get=only(ASSESSOR),
        post=only(ASSESSOR),
        get_keys=("trainee", "page", "by"),
        post_keys=("decisions", "group", "evidence", "trainee", "shown"),
    ),
    # Samples waiting for a qualified IQA's countersignature (decision 49): the side's IQA took
    # the side's sample, so theirs is refused with the reason (a page again, not a write).
    "iqa:countersign": Entry(get=only(IQA)),
    "iqa:sample-countersign": Entry(
        post=only(IQA),
        kwargs=pk_of("sample"),
        data=lambda side, user: {"note": "Checked the decisions and the evidence: agreed."},
        private=True,
        reach=SAMPLE_READERS,
        forms=(SampleCountersignForm,),
    ),
    # Returning a trainee's decision with a reason (decision 36): a qualified assessor of the
    # centre. The side's decision is the assessor's own, countersigned: nothing to return, so
    # the answer is the countersigning page again, with the reason it is not returned.
    "assessment:decision-return": Entry(
        get=only(ASSESSOR),
        post=only(ASSESSOR),
        kwargs=first_decision,
        data=lambda side, user: {"reason": "The evidence does not show it."},
        private=True,
        reach=only(ASSESSOR),
        forms=(ReturnForm,),
    ),
    "assessment:unit-sign-off": Entry(
        get=PORTFOLIO,
        post=only(ASSESSOR),
        kwargs=registration_unit,
        data=lambda side, user: {"signature": "Signed", "password": PASSWORD, "declared": "on"},
        private=True,
        reach=PORTFOLIO,
        forms=(SignOffForm,),
    ),
    "assessment:unit-countersign": Entry(
        post=only(LEARNER),
        kwargs=pk_of("sign_off"),
        data=lambda side, user: {"signature": "Signed", "declared": "on"},
        private=True,
        reach=PORTFOLIO,
        forms=(LearnerCountersignForm,),
    ),
    "assessment:requirement-show": Entry(
        post=only(ASSESSOR),
        kwargs=begun_unit,
        data=lambda side, user: {"reference": "1b", "evidence": [side.evidence.pk]},
        private=True,
        reach=PORTFOLIO,
        forms=(RequirementShownForm,),
    ),
    "assessment:sufficiency-record": Entry(
        post=only(ASSESSOR),
        kwargs=begun_unit,
        data=lambda side, user: {
            "measure": "customers",
            "evidence": side.evidence.pk,
            "description": "Mr Oduya",
        },
        private=True,
        reach=PORTFOLIO,
        forms=(SufficiencyForm,),
    ),
    "assessment:requirement-withdraw": Entry(
        post=only(ASSESSOR),
        kwargs=pk_of("requirement_shown"),
        data=lambda side, user: {"reason": "Recorded on the wrong learner."},
        private=True,
        reach=PORTFOLIO,
        forms=(RequirementWithdrawForm,),
    ),
    "assessment:sufficiency-withdraw": Entry(
        post=only(ASSESSOR),
        kwargs=pk_of("sufficiency_record"),
        data=lambda side, user: {"reason": "Recorded on the wrong learner."},
        private=True,
        reach=PORTFOLIO,
        forms=(RequirementWithdrawForm,),
    ),
    # A qualified assessor countersigns a provisional sign-off (decision 53). The side's
    # sign-off is the assessor's own and counts: nothing to countersign, so the answer is the
    # countersigning page again with the reason; the other centre's assessor gets 404.
    "assessment:sign-off-countersign": Entry(
        post=only(ASSESSOR),
        kwargs=pk_of("sign_off"),
        data=lambda side, user: {"next": "sign-off"},
        private=True,
        reach=only(ASSESSOR),
        post_keys=("next",),
    ),
    "assessment:unit-unlock": Entry(
        post=only(ADMIN),
        kwargs=pk_of("sign_off"),
        data=lambda side, user: {"reason": "Decided against the wrong criterion."},
        private=True,
        reach=PORTFOLIO,
        forms=(UnlockForm,),
    ),
    "assessment:item-history": Entry(
        get=PORTFOLIO,
        kwargs=lambda side: {
            "pk": side.registration.pk,
            "kind": "criterion",
            "item_pk": side.criterion.pk,
        },
        private=True,
        reach=PORTFOLIO,
    ),
    # IQA.
    "iqa:plan-new": Entry(
        get=only(IQA),
        post=only(IQA),
        data=lambda side, user: {
            "qualification": side.qualification.pk,
            "starts_on": "2026-09-01",
            "ends_on": "2026-12-31",
            "form_token": str(uuid.uuid4()),
        },
        forms=(PlanForm,),
    ),
    "iqa:strategy": Entry(
        get=only(IQA, ADMIN),
        post=only(IQA, ADMIN),
        # One with no plan: nothing has had reason to save a strategy for it.
        kwargs=lambda side: {"qualification_pk": other_qualification(side)},
        data=lambda side, user: {
            "trainee_percent": 100,
            "new_percent": 50,
            "standard_percent": 20,
            "experienced_percent": 10,
            "summative_required": "on",
            f"risk-{side.people[ASSESSOR].pk}": "new",
        },
        forms=(StrategyForm,),
        post_keys=("risk-{assessor}",),
    ),
    "iqa:plan-detail": Entry(
        get=PLAN_READERS,
        post=only(IQA),
        kwargs=pk_of("plan"),
        data=lambda side, user: {"remove": side.plan.items.order_by("pk")[0].pk},
        private=True,
        reach=PLAN_READERS,
        get_keys=("unplanned", *LISTING),
        post_keys=("remove", "add"),
    ),
    "iqa:sample-new": Entry(
        get=only(IQA),
        post=only(IQA),
        kwargs=registration_unit,
        data=lambda side, user: {
            **dict.fromkeys(Sample.RULES_OF_EVIDENCE, "on"),  # agreed: every rule met
            "verdict": "agree",
            "feedback": "Sound.",
            "form_token": str(uuid.uuid4()),
            "decisions": list(side.registration.decisions.values_list("pk", flat=True)),
        },
        private=True,
        reach=PORTFOLIO,
        forms=(SampleForm,),
        get_keys=("item",),
        post_keys=("decisions", "evidence"),
    ),
    "iqa:sample-detail": Entry(
        get=SAMPLE_READERS, kwargs=pk_of("sample"), private=True, reach=SAMPLE_READERS
    ),
    "iqa:registration-status": Entry(
        get=PORTFOLIO, kwargs=registration, private=True, reach=PORTFOLIO
    ),
    "iqa:sample-lift": Entry(
        post=only(ADMIN),
        kwargs=pk_of("sample"),
        data=lambda side, user: {"reason": "The decision was recorded against the wrong unit."},
        private=True,
        reach=SAMPLE_READERS,
        forms=(LiftForm,),
    ),
    "iqa:action-respond": Entry(
        post=only(ASSESSOR),
        kwargs=pk_of("action"),
        data=lambda side, user: {"response": "Asked, and recorded the answer."},
        private=True,
        reach=SAMPLE_READERS,
        forms=(ResponseForm,),
    ),
    "iqa:action-close": Entry(
        post=only(IQA), kwargs=pk_of("action"), private=True, reach=SAMPLE_READERS
    ),
    "iqa:action-not-accept": Entry(
        post=only(IQA),
        kwargs=pk_of("action"),
        data=lambda side, user: {"comment": "Say which customer each entry is about."},
        private=True,
        reach=SAMPLE_READERS,
        forms=(NotAcceptedForm,),
    ),
    "iqa:plan-csv": Entry(get=PLAN_READERS, kwargs=pk_of("plan"), private=True, reach=PLAN_READERS),
    "iqa:document-request": Entry(
        post=SAMPLE_READERS,
        data=lambda side, user: {"sample": side.sample.pk},
        private=True,
        reach=SAMPLE_READERS,
        post_keys=("sample", "plan"),
    ),
    "iqa:document-download": Entry(
        get=SAMPLE_READERS, kwargs=pk_of("sample_pdf"), private=True, reach=SAMPLE_READERS
    ),
    # Certification.
    "certification:claims": Entry(get=only(ADMIN), get_keys=("qualification",)),
    "certification:claim": Entry(
        post=only(ADMIN),
        data=lambda side, user: {"kind": "full", "registrations": [side.registration.pk]},
        private=True,
        reach=only(ADMIN),
        outside=TURNED_AWAY,
        post_keys=("kind", "registrations"),
    ),
    # The second step of a claim (decision 36): a one-time token for the person posting, naming
    # the side's centre and learner (not ready, so the claim is refused: nothing is written).
    "certification:claim-confirm": Entry(
        post=only(ADMIN),
        data=lambda side, user: {
            "token": token_for(
                "claim",
                user.pk if user else 0,
                {
                    "kind": "full",
                    "centre": side.centre.pk,
                    "units": {str(side.registration.pk): []},
                },
            )
        },
        private=True,
        reach=only(ADMIN),
        outside=TURNED_AWAY,
        post_keys=("token",),
    ),
    # The AO's files: a batch of the centre's claims (the centre is the admin's own), and one
    # learner's portfolio pack. POSTs, as each is written to the audit log.
    "certification:results-file": Entry(
        post=only(ADMIN),
        data=lambda side, user: {
            "qualification": side.qualification.pk,
            "format": "results",
            "start": "2026-01-01",
            "end": "2026-12-31",
        },
        forms=(ExportForm,),
        post_keys=("qualification",),
    ),
    "certification:portfolio-pack": Entry(
        post=only(ADMIN), kwargs=registration, private=True, reach=PORTFOLIO
    ),
    # Transfers between centres (decision 40): the side's learner is asked to move to another
    # centre, whose admin (no persona here) answers; our admin may cancel it.
    "certification:transfers": Entry(get=only(ADMIN)),
    "certification:transfer-new": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=registration,
        data=lambda side, user: {"to_centre": side.transfer.to_centre_id, "reason": "Moves."},
        private=True,
        reach=PORTFOLIO,
        forms=(TransferStartForm,),
    ),
    "certification:transfer-detail": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        kwargs=pk_of("transfer"),
        data=lambda side, user: {"action": "cancel"},
        private=True,
        reach=only(ADMIN),
        forms=(TransferAcceptForm, TransferDeclineForm),
        post_keys=("action",),
    ),
    "certification:transfer-pack": Entry(
        post=only(LEARNER), kwargs=pk_of("transfer"), private=True, reach=only(LEARNER)
    ),
    "certification:certificate-list": Entry(
        get=only(ADMIN), get_keys=("q", "kind", "state", *LISTING)
    ),
    "certification:certificate-detail": Entry(
        get=PORTFOLIO,
        post=only(ADMIN),
        kwargs=pk_of("certificate"),
        data=lambda side, user: {"action": "revoke", "reason": "Issued in error."},
        private=True,
        reach=PORTFOLIO,
        forms=(ReasonForm,),
        post_keys=("action", "token"),
    ),
    "certification:certificate-pdf": Entry(
        get=PORTFOLIO, kwargs=pk_of("certificate"), private=True, reach=PORTFOLIO
    ),
    # Open credentials (decision 56): the credential downloads for whoever sees the certificate.
    "certification:certificate-credential": Entry(
        get=PORTFOLIO, kwargs=pk_of("certificate"), private=True, reach=PORTFOLIO
    ),
    # What a verifier fetches: public, and naming nobody.
    "certification:credential-jwks": Entry(get=ANYONE),
    "certification:credential-did": Entry(get=ANYONE),
    "certification:credential-status": Entry(get=ANYONE),
    # A valid credential shows whose certificate it is, as the number does.
    "certification:verify-credential": Entry(
        get=ANYONE,
        post=ANYONE,
        data=lambda side, user: {"credential": json.dumps(credential_document(side.certificate))},
        reveals=True,
        forms=(CredentialForm,),
        files=("upload",),
    ),
    # Public verification: whoever has the number sees whose certificate it is.
    "certification:verify": Entry(get=ANYONE, get_keys=("number",)),
    "certification:verify-number": Entry(
        get=ANYONE,
        kwargs=lambda side: {"number": side.certificate.number},
        reveals=True,
        get_keys=("number",),
    ),
    # External quality assurance (decision 29): the EQA's pages, for their open window only,
    # each view audited; the centre admin reads the reports on their centre.
    "eqa:home": Entry(get=EVERYONE),
    "eqa:window": Entry(get=only(EQA), **WINDOW),
    "eqa:registration": Entry(
        get=only(EQA),
        **{
            **WINDOW,
            "kwargs": lambda side: {
                "pk": side.eqa_window.pk,
                "registration_pk": side.registration.pk,
            },
        },
    ),
    "eqa:evidence-file": Entry(
        get=only(EQA),
        get_keys=("download",),
        **{
            **WINDOW,
            "kwargs": lambda side: {"pk": side.eqa_window.pk, "file_pk": side.file.pk},
        },
    ),
    "eqa:iqa": Entry(get=only(EQA), **WINDOW),
    "eqa:sample": Entry(
        get=only(EQA),
        post=only(EQA),
        data=lambda side, user: {
            "registration": side.registration.pk,
            "unit": side.unit.pk,
            "looked_at": "The evidence of the signed-off unit",
            "finding": "Sound.",
            "form_token": str(uuid.uuid4()),
        },
        forms=(EqaSampleForm,),
        get_keys=("registration",),
        **WINDOW,
    ),
    # The window has its report: the form sends the EQA to it, and a second is refused.
    "eqa:report": Entry(
        get=only(EQA),
        post=only(EQA),
        data=lambda side, user: {"summary": "Sound.", "actions": "", "due_on": ""},
        forms=(EqaReportForm,),
        **WINDOW,
    ),
    # Our certificate was issued under Direct Claims Status: a release is refused, saying so.
    "eqa:claims": Entry(
        get=only(EQA),
        post=only(EQA),
        data=lambda side, user: {"certificate": side.certificate.pk, "decision": "release"},
        forms=(HoldForm,),
        post_keys=("certificate", "decision"),
        **WINDOW,
    ),
    "eqa:report-detail": Entry(
        get=only(ADMIN, EQA),
        kwargs=pk_of("eqa_report"),
        private=True,
        reach=only(ADMIN, EQA),
        shown_to=only(EQA),
        get_keys=("download",),
    ),
    "eqa:centre-reports": Entry(get=only(ADMIN)),
    # The API's pages for people (decision 57): the tokens page, the document and its page.
    "api-tokens": Entry(
        get=only(ADMIN),
        post=only(ADMIN),
        data=lambda side, user: {"name": "MIS nightly sync", "scopes": ["read"]},
        forms=(TokenForm,),
    ),
    "api-token-revoke": Entry(
        post=only(ADMIN),
        kwargs=lambda side: {"pk": side.api_token.pk},
        private=True,
        reach=only(ADMIN),
    ),
    "api-schema": Entry(get=ANYONE, get_keys=("format", "lang", "version")),
    "api-docs": Entry(get=ANYONE, get_keys=("script",)),
    "api-guide": Entry(get=ANYONE),
    # The REST API (decision 57). Its matrix by tokens, every endpoint by each centre's token on
    # both centres' things, is tests/api/test_api_matrix.py; here, that no session reaches it:
    # every persona, the centre admin who makes tokens included, with every method, gets 401
    # in its error shape, and nothing is written or shown. The catch-all answers 404 to all.
    **{
        f"api:{name}": api_entry(kwargs)
        for name, kwargs in {
            "qualifications": nothing,
            "qualification": lambda side: {"pk": side.qualification.pk},
            "learners": nothing,
            "learner": lambda side: {"pk": side.people[LEARNER].pk},
            "staff": nothing,
            "invitations": nothing,
            "invitation": pk_of("invitation"),
            "invitation-resend": pk_of("invitation"),
            "invitation-withdraw": pk_of("invitation"),
            "registrations": nothing,
            "registration": registration,
            "registration-withdraw": registration,
            "registration-progress": registration,
            "claims": nothing,
            "certificates": nothing,
            "certificate": pk_of("certificate"),
            "events": nothing,
        }.items()
    },
    "api:not-found": api_entry(lambda side: {"path": "no/such/endpoint/"}, answer=404),
}

# Not in the table, and why.
LEFT_OUT = {
    "admin": "Django's admin has its own permission system (staff and superusers, per model), "
    "tested in tests/portal/test_admin.py and tests/qualifications/test_admin.py.",
}


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    callback: Callable[..., Any]
    converters: dict[str, Any]  # each path argument's converter (IntConverter, StringConverter)


def routes(urlconf: Any = None) -> Iterator[Route]:
    """Every URL pattern Django resolves, with its full name and route, except LEFT_OUT."""
    yield from _walk(get_resolver(urlconf), "", None, {})


def _walk(
    resolver: URLResolver, prefix: str, namespace: str | None, found: dict[str, Any]
) -> Iterator[Route]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        converters = {**found, **getattr(pattern.pattern, "converters", {})}
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                if pattern.namespace in LEFT_OUT:
                    continue
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, route, inner, converters)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or route  # an unnamed pattern is keyed by its route
            full = f"{namespace}:{name}" if namespace and pattern.name else name
            yield Route(full, route, pattern.callback, converters)


HOW_TO_ADD = (
    "URL {name!r} ({route}) has no entry in tests/urlmap.py, so nobody has said who may use it. "
    "Add one to URLS, e.g.\n"
    '    "{name}": Entry(get=only(ADMIN), post=only(ADMIN), kwargs=lambda side: '
    '{{"pk": side.registration.pk}}, private=True, reach=PORTFOLIO),\n'
    "(the docstring at the top of tests/urlmap.py says what each field means)."
)


def missing_entries(urlconf: Any = None) -> list[str]:
    """What is wrong between the URL configuration and the table, in words: URLs without an
    entry (saying how to add one), and entries for URLs that no longer exist."""
    found = {r.name: r for r in routes(urlconf)}
    problems = [
        HOW_TO_ADD.format(name=name, route=r.route) for name, r in found.items() if name not in URLS
    ]
    problems += [
        f"tests/urlmap.py has an entry for {name!r}, which is not a URL of the portal: remove it."
        for name in URLS
        if name not in found
    ]
    return problems


def form_fields(form_class: type[forms.BaseForm]) -> dict[str, forms.Field]:
    """The fields a form class binds: those made in __init__ too where it can be built bare."""
    try:
        return dict(form_class().fields)
    except TypeError:  # needs arguments (a user, the centre's choices...): its declared fields
        return dict(getattr(form_class, "base_fields"))  # noqa: B009 - set by the metaclass
