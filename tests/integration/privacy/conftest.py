"""A learner with a full record, made years ago through the real services, and another learner
at the same centre with a record of their own, made now.

Building these records (invitations, logins through the login page, evidence, decisions, sign-offs,
a certificate, IQA) takes about half a second a test, so the data-protection tests run with the
integration suite, on PostgreSQL.

The learner came in as learners do: a centre admin's CSV file invited their address with the
registration it asked for, made when they chose their password through the link. They logged in
through the login page, after two wrong passwords, and someone elsewhere tried their address
(django-axes recorded all of it); they reset their password once; another centre invited them
and withdrew the invitation.

"Years ago" is real: the clock is moved back while the record is made, so every date the
services, django-axes and the audit log write (including the hashed `at` of each entry) is old,
and the retention command runs on today's clock like it does in production.
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO

import pytest
from axes.models import AccessFailureLog
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from assessment.models import Decision
from assessment.services import (
    Judgement,
    decision_record,
    mapping_review,
    unit_learner_countersign,
    unit_sign_off,
)
from certification.models import Certificate, Kind, RenderStatus
from certification.services import certificate_claim
from iqa.models import Action, DocumentStatus, IqaDocument, Verdict
from iqa.services import Judgement as Finding
from iqa.services import action_respond, plan_generate, sample_record
from portal.models import Centre, Invitation, RoleKind, User
from portal.services import (
    Invitee,
    LinkFor,
    account_password_reset,
    invitation_accept_as_newcomer,
    invitation_create,
    invitation_withdraw,
)
from portfolios.bulk import registration_bulk_create
from portfolios.comments import comment_add
from portfolios.evidence import EvidenceDetails, evidence_add, evidence_delete
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence, Mapping, Registration, WitnessRequest
from portfolios.questions import Questions, question_set_create, question_set_save
from portfolios.witness import WitnessAnswer, WitnessAsk, witness_confirm, witness_request_create
from qualifications.models import Criterion, KnowledgeItem, Qualification, RangeItem, Unit
from tests.factories import (
    PASSWORD,
    CentreFactory,
    RoleFactory,
    UserFactory,
    grant_direct_claims,
)
from tests.portfolios.conftest import SFJ, SFJ_ENOUGH, START
from tests.portfolios.files import PNG, pdf, png, upload

NAME = "Delphine Quartermaine"
EMAIL = "delphine.quartermaine@example.org"
OTHER_NAME = "Bartholomew Fennimore"
OTHER_EMAIL = "bartholomew.fennimore@example.org"
WITNESS_NAME = "Wilhelmina Oyelaran"
WITNESS_EMAIL = "wilhelmina.oyelaran@example.org"
WITNESS_JOB = "Duty manager at Larkfield Stores"
AO_NUMBER = "AO-DQ-2017-0042"
# Their identity as the centre's CSV file gave it for the awarding organisation: personal data
# retention must blank (but for the ULN their certificate printed) and subject access give.
IDENTITY = {
    "funding": "funded",
    "legal_first_names": "Delphine Aurelie",
    "legal_last_name": "Quartermaine-Voss",
    "date_of_birth": "17/02/1999",
    "sex": "F",
    "postcode": "ln4 2zx",
    "uln": "8123456793",
}
BORN = "1999-02-17"
POSTCODE = "LN4 2ZX"
OTHER_ULN = "8123456785"
OTHER_AO_NUMBER = "AO-BF-2025-0007"
# Where the learner logged in from, and where someone else tried their address from.
LEARNER_ADDRESS = "198.51.100.23"
STRANGER_ADDRESS = "192.0.2.61"
ELSEWHERE = "Elmfield Adult Learning"
# Text only the learner's record holds: none of it may survive anonymisation, and none of the
# other learner's may reach the learner's export.
SECRETS = {
    "title": f"Calming a customer, with {NAME}'s reflection",
    "description": "I spoke to Mrs Halloran about her refund on 3 October.",
    "removed title": "Draft account of the Halloran complaint",
    "statement": f"I watched {NAME} calm an angry customer and agree a refund.",
    "decision feedback": f"Well done {NAME}: the account shows 1.1 clearly.",
    "mapping feedback": "This photo does not show the Halloran conversation.",
    "sample feedback": f"The assessor judged {NAME}'s account soundly.",
    "action": f"Record how {NAME} explained the refund policy.",
    "response": f"Added a discussion record with {NAME} covering the policy.",
    "file": "halloran-refund-notes",
    "comment": f"Mrs Halloran asked for {NAME} by name afterwards.",
    "reply": "Then ask her to write a witness statement about the refund.",
    "questions title": f"What {NAME} knows of refunds",
    "question": "What did you tell Mrs Halloran about the refund policy?",
    "draft answer": "That refunds take five days, which I had to check with my manager.",
}
OTHER_SECRETS = {
    "title": f"{OTHER_NAME}'s stock rotation log",
    "statement": f"I watched {OTHER_NAME} rotate the chilled stock.",
    "file": "fennimore-stock-log",
}
SIGNED_UNIT = "F/506/2131"
BEGUN_UNIT = "A/506/2130"
YEARS_AGO = 8


@contextmanager
def clock_at(
    moment: datetime.datetime, monkeypatch: pytest.MonkeyPatch, today: datetime.date | None = None
) -> Iterator[None]:
    """Every `timezone.now()` answers from `moment` on, a microsecond later each time, while
    the block runs; and `timezone.localdate()` answers `today`, if given: the day the work
    made in the block is dated (a decision dated after the day it is recorded is refused)."""
    ticks = itertools.count()

    def now() -> datetime.datetime:
        return moment + datetime.timedelta(microseconds=next(ticks))

    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", now)
        # django-axes took its own reference to `now` (the time of each login attempt).
        patch.setattr("axes.handlers.proxy.now", now)
        if today is not None:
            patch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
        yield


def long_ago() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=365 * YEARS_AGO)


def person(centre: Centre, kind: RoleKind, email: str, name: str | None = None) -> User:
    named = {"full_name": name} if name else {}
    user = UserFactory.create(email=email, date_joined=timezone.now(), **named)
    RoleFactory.create(user=user, centre=centre, kind=kind)
    return user


def every_item(unit: Unit) -> Targets:
    return Targets(
        criteria=frozenset(Criterion.objects.filter(unit=unit).values_list("pk", flat=True)),
        range_items=frozenset(RangeItem.objects.filter(unit=unit).values_list("pk", flat=True)),
        knowledge_items=frozenset(
            KnowledgeItem.objects.filter(unit=unit).values_list("pk", flat=True)
        ),
    )


def criteria(code: str, *numbers: str) -> Targets:
    found = Criterion.objects.filter(unit__code=code, number__in=numbers)
    return Targets(criteria=frozenset(found.values_list("pk", flat=True)))


def links_into(tokens: list[str]) -> LinkFor:
    """A link builder that keeps each token it is given, as the e-mail would carry it."""

    def link_for(token: str) -> str:
        tokens.append(token)
        return f"http://testserver/accounts/invitation/{token}/"

    return link_for


CSV_HEADER = (
    "learner_email,learner_name,qualification,assessor_email,iqa_email,"
    "ao_registration_number,start_date,optional_units," + ",".join(IDENTITY) + "\n"
)


def invited_learner(
    centre, admin, assessor, iqa, email: str, name: str, ao_number: str, identity: dict[str, str]
) -> User:
    """A learner who joined through the centre admin's CSV file: their address invited with the
    registration its row asked for and their identity, recorded when they chose their password
    through the link."""
    row = [email, name, SFJ, assessor.email, iqa.email, ao_number, START.isoformat()]
    cells = [identity.get(column, "") for column in IDENTITY]
    raw = CSV_HEADER + ",".join([*row, ";".join(SFJ_ENOUGH), *cells]) + "\n"
    tokens: list[str] = []
    registration_bulk_create(
        centre=centre, raw=raw.encode(), actor=admin, link_for=links_into(tokens)
    )
    learner = invitation_accept_as_newcomer(token=tokens[-1], password=PASSWORD)
    # The field's default is bound to the real clock; the account dates from when it was made.
    User.objects.filter(pk=learner.pk).update(date_joined=timezone.now())
    learner.refresh_from_db()
    return learner


def invited_elsewhere(email: str, name: str) -> Invitation:
    """Another centre invites the address to study there, then withdraws the invitation."""
    elsewhere = CentreFactory.create(name=ELSEWHERE)
    admin = person(elsewhere, RoleKind.CENTRE_ADMIN, "admin@elmfield.example.org")
    invitation = invitation_create(
        centre=elsewhere,
        invitee=Invitee(email.upper(), name, RoleKind.LEARNER),
        actor=admin,
        link_for=links_into([]),
    )
    return invitation_withdraw(invitation=invitation, actor=admin)


def log_in(client: Client, email: str, password: str, address: str) -> int:
    answer = client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )
    return answer.status_code


@override_settings(AXES_DISABLE_ACCESS_LOG=False, AXES_ENABLE_ACCESS_FAILURE_LOG=True)
def logins(email: str) -> None:
    """Through the login page, as django-axes records them: someone elsewhere tries the address;
    the learner types a wrong password twice, then the right one. The portal's settings keep no
    log of successful logins and no failure log, only the failures that count towards a lockout;
    both logs are turned on here, so that rows in them (should anyone turn them on) are seen to
    be exported and removed too."""
    assert log_in(Client(), email.upper(), "a-guess", STRANGER_ADDRESS) == 200
    client = Client()
    for _ in range(2):
        assert log_in(client, email, "not-my-password", LEARNER_ADDRESS) == 200
    assert log_in(client, email, PASSWORD, LEARNER_ADDRESS) == 302


def witness(registration, learner, name, email, statement, job=WITNESS_JOB) -> WitnessRequest:
    tokens: list[str] = []

    def link_for(token: str) -> str:
        tokens.append(token)
        return f"http://testserver/witness/{token}/"

    ask = WitnessAsk(name=name, email=email, role="Line manager", statement=statement)
    request = witness_request_create(
        registration=registration, ask=ask, actor=learner, link_for=link_for
    )
    answer = WitnessAnswer(
        signed_name=name, job_title=job, relationship="I manage them", signature=name
    )
    witness_confirm(token=tokens[0], answer=answer)
    return request


def finding(verdict: str, feedback: str) -> Finding:
    agree = verdict == Verdict.AGREE
    return Finding(
        valid=True,
        authentic=True,
        current=True,
        sufficient=agree,
        reliable=True,
        verdict=verdict,
        feedback=feedback,
    )


@dataclass
class Record:
    learner: User
    registration: Registration
    evidence: Evidence
    certificate: Certificate
    iqa_document: IqaDocument


def full_record(centre, admin, assessor, iqa, sfj) -> Record:
    """An invitation accepted with its registration, logins (failed and not) and a password
    reset, another centre's withdrawn invitation, evidence with files (one named dangerously),
    mappings proposed, confirmed and rejected with feedback, evidence removed, witness
    testimony, decisions with feedback, a unit signed off and countersigned, IQA samples with an
    action answered, a unit certificate with its PDF, an IQA PDF, and a Django admin history
    entry."""
    learner = invited_learner(centre, admin, assessor, iqa, EMAIL, NAME, AO_NUMBER, IDENTITY)
    registration = learner.registrations.get()
    logins(EMAIL)
    account_password_reset(account=learner, password=PASSWORD)
    invited_elsewhere(EMAIL, NAME)
    details = EvidenceDetails(SECRETS["title"], START, "reflective_account", SECRETS["description"])
    files = [pdf(f"{SECRETS['file']}.pdf"), png("photo of the shop floor.html")]
    item = evidence_add(
        registration=registration, details=details, files=files, declared=True, actor=learner
    )
    draft = evidence_add(
        registration=registration,
        details=EvidenceDetails(SECRETS["removed title"], START, "product", SECRETS["description"]),
        files=[upload("draft.png", PNG + b"draft", "image/png")],
        declared=True,
        actor=learner,
    )
    evidence_delete(evidence=draft, actor=learner)
    mapping_propose(evidence=item, targets=criteria(BEGUN_UNIT, "1.1", "1.2"), actor=learner)
    first, second = Mapping.objects.filter(evidence=item).order_by("pk")
    mapping_review(mapping=first, confirm=True, feedback="", actor=assessor)
    mapping_review(
        mapping=second, confirm=False, feedback=SECRETS["mapping feedback"], actor=assessor
    )
    comment_add(evidence=item, text=SECRETS["comment"], actor=learner)
    comment_add(evidence=item, text=SECRETS["reply"], actor=assessor)
    witness(registration, learner, WITNESS_NAME, WITNESS_EMAIL, SECRETS["statement"])
    asked = question_set_create(
        registration=registration,
        asked=Questions(SECRETS["questions title"], [SECRETS["question"]]),
        actor=assessor,
    )
    question_set_save(question_set=asked, answers=[SECRETS["draft answer"]], actor=learner)
    signed = Unit.objects.get(code=SIGNED_UNIT)
    judgement = Judgement("met", "reflective_account", START, SECRETS["decision feedback"])
    decision_record(
        registration=registration, targets=every_item(signed), judgement=judgement,
        evidence=[item], actor=assessor,
    )  # fmt: skip
    sign_off = unit_sign_off(
        registration=registration, unit_id=signed.pk, signature="Samir Patel",
        password=PASSWORD, declared=True, actor=assessor,
    )  # fmt: skip
    unit_learner_countersign(sign_off=sign_off, signature=NAME, declared=True, actor=learner)
    plan = plan_generate(
        centre=centre, qualification=sfj, starts_on=START,
        ends_on=START + datetime.timedelta(days=120), actor=iqa,
    )  # fmt: skip
    sample_record(
        registration=registration, unit_id=signed.pk,
        decisions=list(Decision.objects.filter(registration=registration, current=True)),
        evidence=[item], judgement=finding(Verdict.AGREE, SECRETS["sample feedback"]),
        actions=[], actor=iqa,
    )  # fmt: skip
    grant_direct_claims(centre)  # issued at once, not held for an EQA (decision 29)
    certificate = certificate_claim(registration=registration, kind=Kind.UNIT, actor=admin)
    certificate.file.save(f"{certificate.number}.pdf", ContentFile(b"%PDF-1.4 " + NAME.encode()))
    Certificate.objects.filter(pk=certificate.pk).update(status=RenderStatus.READY)
    begun = Unit.objects.get(code=BEGUN_UNIT)
    decision_record(
        registration=registration, targets=criteria(BEGUN_UNIT, "1.1"),
        judgement=Judgement("met", "reflective_account", START, SECRETS["decision feedback"]),
        evidence=[item], actor=assessor,
    )  # fmt: skip
    sample_record(
        registration=registration, unit_id=begun.pk,
        decisions=list(registration.decisions.filter(current=True, criterion__unit=begun)),
        evidence=[item], judgement=finding(Verdict.ACTION_REQUIRED, SECRETS["sample feedback"]),
        actions=[(SECRETS["action"], START + datetime.timedelta(days=30))], actor=iqa,
    )  # fmt: skip
    action_respond(action=Action.objects.get(), response=SECRETS["response"], actor=assessor)
    document = IqaDocument.objects.create(plan=plan, requested_by=iqa)
    document.file.save("plan.pdf", ContentFile(b"%PDF-1.4 plan naming " + NAME.encode()))
    IqaDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.READY)
    LogEntry.objects.create(
        user=admin, content_type=ContentType.objects.get_for_model(User),
        object_id=str(learner.pk), object_repr=str(learner), action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Full name"]}}]',
    )  # fmt: skip
    # An operator deleted the stranger's failed login in the admin, which names it by address.
    failure = AccessFailureLog.objects.earliest("pk")
    LogEntry.objects.create(
        user=admin, content_type=ContentType.objects.get_for_model(AccessFailureLog),
        object_id=str(failure.pk), object_repr=str(failure), action_flag=DELETION,
    )  # fmt: skip
    failure.delete()
    certificate.refresh_from_db()
    document.refresh_from_db()
    return Record(learner, registration, item, certificate, document)


def other_record(centre, admin, assessor, iqa, sfj) -> Record:
    """Another learner at the same centre, invited the same way, with the same assessor and
    IQA, active now."""
    learner = invited_learner(
        centre, admin, assessor, iqa, OTHER_EMAIL, OTHER_NAME, OTHER_AO_NUMBER, {"uln": OTHER_ULN}
    )
    registration = learner.registrations.get()
    details = EvidenceDetails(OTHER_SECRETS["title"], START, "product", "Chilled aisle.")
    item = evidence_add(
        registration=registration,
        details=details,
        files=[pdf(f"{OTHER_SECRETS['file']}.pdf", extra=b"other learner")],
        declared=True,
        actor=learner,
    )
    witness(
        registration,
        learner,
        "Otto Whitlock",
        "otto@example.org",
        OTHER_SECRETS["statement"],
        "Stock controller at Elmbridge Foods",
    )
    decision_record(
        registration=registration, targets=criteria(BEGUN_UNIT, "1.1"),
        judgement=Judgement("met", "product", START, f"Good work, {OTHER_NAME}."),
        evidence=[item], actor=assessor,
    )  # fmt: skip
    return Record(learner, registration, item, None, None)  # type: ignore[arg-type]


@pytest.fixture
def sfj(catalogue_db) -> Qualification:
    return Qualification.objects.get(code=SFJ)


@pytest.fixture
def record(monkeypatch, centre, centre_admin, assessor, iqa, sfj) -> Record:
    """The learner's full record, all of it made eight years ago."""
    # Its work is dated START (evidence, decisions, the plan), the day as the services read it;
    # every time written is eight years ago.
    with clock_at(long_ago(), monkeypatch, today=START):
        return full_record(centre, centre_admin, assessor, iqa, sfj)


@pytest.fixture
def other(record, centre, centre_admin, assessor, iqa, sfj) -> Record:
    return other_record(centre, centre_admin, assessor, iqa, sfj)


def dump() -> list[dict]:
    """Every row of every table, as dumpdata writes it; but the qualification catalogue, the
    permissions and the content types, which hold nobody's data (and are most of the rows)."""
    out = StringIO()
    left_out = ["qualifications", "auth.permission", "contenttypes"]
    call_command("dumpdata", *[f"--exclude={name}" for name in left_out], stdout=out)
    return json.loads(out.getvalue())


def strings(value, path=()):
    """Every text inside a dumped value, with where it was found."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from strings(inner, (*path, key))
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner, path)
    elif isinstance(value, str):
        yield path, value


def where(rows: list[dict], text: str) -> set[tuple[str, str]]:
    """(model, field) of every row whose text holds `text`, case ignored."""
    found = set()
    for row in rows:
        for path, value in strings(row["fields"]):
            if text.lower() in value.lower():
                found.add((row["model"], ".".join(path)))
    return found
