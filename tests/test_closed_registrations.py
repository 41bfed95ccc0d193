"""A closed registration (withdrawn or completed, or its learner anonymised by the retention
run) takes nothing new (`Registration.closed_because`, enforced by `Registration.objects.lock`):
every service and every page that would add to it refuses in words and writes nothing; its pages
offer no action that would only be refused; what an issued certificate and the IQA's own plan
still need goes on.

The world of the permission matrix (tests/world.py: one learner's work at every stage) is built
once for the module, and our learner's registration is then withdrawn as the retention run
leaves it (which anonymises too: tests/integration/test_closed_registrations_on_postgresql.py).
The objects the services are given are the ones read before it was withdrawn, as a request
that was waiting would hold them: the lock reads the registration again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assessment.models import Decision
from assessment.services import (
    Judgement,
    decision_countersign,
    decision_record,
    evidence_record,
    mapping_review,
    requirement_show,
    requirement_withdraw,
    sufficiency_record,
    unit_learner_countersign,
    unit_sign_off,
    unit_unlock,
)
from certification.models import Kind
from certification.services import certificate_claim
from home.todo import todo_for
from iqa.models import Stage, Verdict
from iqa.planning import Work
from iqa.services import Judgement as Finding
from iqa.services import (
    action_close,
    action_respond,
    plan_generate,
    plan_item_add,
    sample_lock_lift,
    sample_record,
)
from portal.models import Role
from portal.refusals import Refused
from portfolios.evidence import (
    EvidenceDetails,
    evidence_add,
    evidence_delete,
    evidence_update,
    evidence_write,
    record_acknowledge,
)
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import (
    LEARNER_ANONYMISED,
    REGISTRATION_CLOSED,
    Registration,
    RegistrationStatus,
)
from portfolios.services import registration_choose_units
from portfolios.witness import (
    LINK_CLOSED,
    WitnessAnswer,
    WitnessAsk,
    witness_confirm,
    witness_request_create,
)
from privacy.models import Anonymisation
from qualifications.models import Criterion, Unit
from tests.certification.confirm import confirmation_token
from tests.factories import PASSWORD
from tests.matrix import client_of, world_for_module
from tests.portfolios.conftest import SFJ_ENOUGH
from tests.portfolios.files import pdf
from tests.urlmap import URLS, begun_criterion
from tests.world import (
    ADMIN,
    ANONYMOUS,
    ASSESSOR,
    BEGUN_UNIT,
    IQA,
    LEARNER,
    ON,
    PERIOD,
    TRAINEE,
    Side,
    World,
)
from tests.writes import JOURNAL, written

pytestmark = pytest.mark.django_db

WITHDRAWN = REGISTRATION_CLOSED.format(status="withdrawn")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    worlds = world_for_module(django_db_blocker)
    world = next(worlds)
    with django_db_blocker.unblock():
        provisional(world.ours)
        Registration.objects.filter(pk=world.ours.registration.pk).update(
            status=RegistrationStatus.WITHDRAWN
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {JOURNAL}")  # each test then sees only its own writes
    yield world
    next(worlds, None)  # rolls the world back


def undecided(offset: int) -> int:
    """A criterion of the begun unit that nobody has decided in the world."""
    return (
        Criterion.objects.filter(unit__code=BEGUN_UNIT).order_by("pk").values_list("pk")[offset][0]
    )


def provisional(side: Side) -> Decision:
    """A trainee's provisional decision on the learner's work, waiting for a countersignature
    (made directly: the trainee assesses nobody in the world)."""
    return Decision.objects.create(
        registration=side.registration,
        criterion_id=undecided(4),
        outcome="met",
        method="product",
        assessed_on=ON,
        decided_by=side.people[TRAINEE],
        decided_at=timezone.now(),
        provisional=True,
    )


def begun_work(side: Side) -> Work:
    return Work(
        registration=side.registration.pk,
        learner=side.people[LEARNER].pk,
        unit=Unit.objects.get(code=BEGUN_UNIT).pk,
        assessor=side.people[ASSESSOR].pk,
        methods=frozenset({"observation"}),
        stage=Stage.SUMMATIVE,
        deciders=frozenset({side.people[ASSESSOR].pk}),
    )


def details(method: str = "product") -> EvidenceDetails:
    return EvidenceDetails("Named them in full", ON, method, "Ottoline, at home, said so.")


# Every service that adds to a registration's records, called as its user would call it.
WRITES: dict[str, Callable[[Side], Any]] = {
    "choosing units": lambda s: registration_choose_units(
        registration=s.registration, optional_units=SFJ_ENOUGH, actor=s.people[ADMIN]
    ),
    "adding evidence": lambda s: evidence_add(
        registration=s.registration,
        details=details(),
        files=[pdf(extra=b"after it closed")],
        declared=True,
        actor=s.people[LEARNER],
    ),
    "writing a reflective account": lambda s: evidence_write(
        registration=s.registration,
        title="My account",
        occurred_on=ON,
        text="I named Ottoline in full.",
        declared=True,
        actor=s.people[LEARNER],
    ),
    "editing evidence": lambda s: evidence_update(
        evidence=s.draft, details=details(), actor=s.people[LEARNER]
    ),
    "acknowledging an assessor's record": lambda s: record_acknowledge(
        evidence=s.draft, actor=s.people[LEARNER]
    ),
    "removing evidence": lambda s: evidence_delete(evidence=s.draft, actor=s.people[LEARNER]),
    "mapping evidence": lambda s: mapping_propose(
        evidence=s.draft,
        targets=Targets(criteria=frozenset([undecided(3)])),
        actor=s.people[LEARNER],
    ),
    "asking a witness": lambda s: witness_request_create(
        registration=s.registration,
        ask=WitnessAsk("Pat Witness", "pat@example.org", "Supervisor", "Saw it."),
        actor=s.people[ASSESSOR],
        link_for=str,
    ),
    "deciding": lambda s: decision_record(
        registration=s.registration,
        targets=Targets(criteria=frozenset([begun_criterion()])),
        judgement=Judgement("met", "product", ON, "Ottoline, 07700 900123."),
        evidence=[s.draft],
        actor=s.people[ASSESSOR],
    ),
    "reviewing a mapping": lambda s: mapping_review(
        mapping=s.mapping, confirm=False, feedback="Not shown.", actor=s.people[ASSESSOR]
    ),
    "writing an assessor's record": lambda s: evidence_record(
        registration=s.registration,
        details=details("observation"),
        files=[],
        actor=s.people[ASSESSOR],
    ),
    "countersigning a trainee's decision": lambda s: decision_countersign(
        decisions=list(s.registration.decisions.filter(provisional=True)),
        actor=s.people[ASSESSOR],
    ),
    "signing a unit off": lambda s: unit_sign_off(
        registration=s.registration,
        unit_id=Unit.objects.get(code=BEGUN_UNIT).pk,
        signature="Signed",
        password=PASSWORD,
        declared=True,
        actor=s.people[ASSESSOR],
    ),
    "recording an evidence requirement as shown": lambda s: requirement_show(
        registration=s.registration,
        unit_id=Unit.objects.get(code=BEGUN_UNIT).pk,
        reference="1b",
        evidence=[s.evidence.pk],
        actor=s.people[ASSESSOR],
    ),
    "recording toward sufficiency": lambda s: sufficiency_record(
        registration=s.registration,
        unit_id=Unit.objects.get(code=BEGUN_UNIT).pk,
        measure="customers",
        evidence=s.evidence.pk,
        description="Ottoline's customer",
        actor=s.people[ASSESSOR],
    ),
    "withdrawing a requirement record": lambda s: requirement_withdraw(
        record=s.sufficiency_record, reason="Wrong learner.", actor=s.people[ASSESSOR]
    ),
    "the learner's countersignature": lambda s: unit_learner_countersign(
        sign_off=s.sign_off, signature="Signed", declared=True, actor=s.people[LEARNER]
    ),
    "unlocking a unit": lambda s: unit_unlock(
        sign_off=s.sign_off, reason="Wrong unit.", actor=s.people[ADMIN]
    ),
    "adding to a plan": lambda s: plan_item_add(
        plan=s.plan, work=begun_work(s), actor=s.people[IQA]
    ),
    "sampling": lambda s: sample_record(
        registration=s.registration,
        unit_id=s.unit.pk,
        decisions=list(Decision.objects.filter(registration=s.registration, current=True)),
        evidence=[s.evidence],
        judgement=Finding(True, True, True, True, True, Verdict.AGREE, "Ottoline did well."),
        actions=[],
        actor=s.people[IQA],
    ),
    "answering an action": lambda s: action_respond(
        action=s.action, response="Asked Ottoline.", actor=s.people[ASSESSOR]
    ),
    "closing an action": lambda s: action_close(action=s.action, actor=s.people[IQA]),
    "lifting a sample's lock": lambda s: sample_lock_lift(
        sample=s.sample, reason="Wrong unit.", actor=s.people[ADMIN]
    ),
    "claiming a certificate": lambda s: certificate_claim(
        registration=s.registration, kind=Kind.FULL, actor=s.people[ADMIN]
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_withdrawn_registration_refuses_every_write_in_words_and_nothing_changes(
    world: World, write: str
):
    with pytest.raises(Refused) as refused:
        WRITES[write](world.ours)
    assert refused.value.messages == [WITHDRAWN]
    assert written() == []


def test_a_witness_cannot_confirm_a_testimony_for_a_closed_registration(world: World):
    answer = WitnessAnswer("Pat Witness", "Supervisor", "Line manager", "Pat Witness")
    with pytest.raises(Refused) as refused:
        witness_confirm(token=world.ours.witness_token, answer=answer)
    assert refused.value.messages == [LINK_CLOSED]
    assert written() == []
    page = send(
        ANONYMOUS, "GET", reverse("portfolios:witness-confirm", args=[world.ours.witness_token])
    )
    assert page.status_code == 410 and LINK_CLOSED in html.unescape(page.content.decode())


def test_an_anonymised_learners_registration_is_closed_whatever_its_status_says(world: World):
    """The other centre's learner, as if anonymised with their registration left active (by
    hand, say): nothing more is added to it either."""
    Anonymisation.objects.create(
        user=world.theirs.people[LEARNER],
        anonymised_at=timezone.now(),
        last_activity=timezone.now(),
        retention_years=6,
    )
    with pytest.raises(Refused) as refused:
        WRITES["deciding"](world.theirs)
    assert refused.value.messages == [LEARNER_ANONYMISED]
    assert not Registration.objects.open().filter(pk=world.theirs.registration.pk).exists()


def test_a_plan_generated_after_the_registration_closed_leaves_it_out(world: World):
    iqa = world.ours.people[IQA]
    plan = plan_generate(
        centre=world.ours.centre,
        qualification=world.ours.qualification,
        starts_on=PERIOD[0],
        ends_on=PERIOD[1],
        actor=iqa,
    )
    assert not plan.items.exists()  # the world's first plan has our learner's units


# Each page that adds to the registration, with who would use it: refused in words, no 500,
# nothing written, whether asked for (GET, where it has a form) or sent (POST).
PAGES = [
    ("portfolios:registration-units", ADMIN),
    ("portfolios:evidence-new", LEARNER),
    ("portfolios:evidence-write", LEARNER),
    ("portfolios:evidence-edit", LEARNER),
    ("portfolios:evidence-map", LEARNER),
    ("portfolios:evidence-remove", LEARNER),
    ("portfolios:evidence-acknowledge", LEARNER),
    ("portfolios:witness-ask", LEARNER),
    ("portfolios:witness-ask", ASSESSOR),
    ("assessment:evidence-review", ASSESSOR),
    ("assessment:mapping-review", ASSESSOR),
    ("assessment:record-new", ASSESSOR),
    ("assessment:unit-sign-off", ASSESSOR),
    ("assessment:unit-countersign", LEARNER),
    ("assessment:requirement-show", ASSESSOR),
    ("assessment:sufficiency-record", ASSESSOR),
    ("assessment:requirement-withdraw", ASSESSOR),
    ("assessment:sufficiency-withdraw", ASSESSOR),
    ("assessment:unit-unlock", ADMIN),
    ("iqa:sample-new", IQA),
    ("iqa:sample-lift", ADMIN),
    ("iqa:action-respond", ASSESSOR),
    ("iqa:action-close", IQA),
]


def said(response: Any) -> list[str]:
    """What the answer told the person: messages flashed by this request, and errors on the
    forms it shows (not the page's text, which names the closed registration anyway)."""
    storage = response.wsgi_request._messages
    shown = {
        id(value): value
        for context in response.context or []
        for values in context.dicts
        for value in values.values()
        if isinstance(value, forms.BaseForm) and value.is_bound
    }
    errors = [str(e) for form in shown.values() for field in form.errors.values() for e in field]
    return [str(m) for m in storage._queued_messages] + errors


def send(persona: str, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
    """A request as the persona; their cookies are put back after it, so nothing flashed for
    one request is shown by the next."""
    client = client_of(persona)
    cookies = client.cookies
    client.cookies = type(cookies)(cookies)
    try:
        return client.post(path, data or {}) if method == "POST" else client.get(path)
    finally:
        client.cookies = cookies


@pytest.mark.parametrize(("name", "persona"), PAGES)
def test_each_page_that_would_add_to_a_withdrawn_registration_says_why_and_writes_nothing(
    world: World, name: str, persona: str
):
    entry = URLS[name]
    side = world.ours
    path = reverse(name, kwargs=entry.kwargs(side))
    sent = send(persona, "POST", path, entry.data(side, side.people[persona]))
    assert sent.status_code in (200, 302) and said(sent) == [WITHDRAWN]
    assert written() == []
    reads_records = name in ("assessment:evidence-review", "assessment:unit-sign-off")
    if entry.get and persona in entry.get and not reads_records:
        asked = send(persona, "GET", path)  # a form that could only be refused: not shown
        assert asked.status_code == 302 and said(asked) == [WITHDRAWN]


def actions_on(page: str, path: str) -> tuple[set[str], set[str]]:
    """The paths the page's links lead to, and those its working forms (with a button) send
    to."""
    main = page[page.index("<main") :]
    links = set(re.findall(r'href="([^"#?]+)', main))
    sent = set()
    for form in re.findall(r"<form\b.*?</form>", main, flags=re.S):
        if 'type="submit"' in form:
            action = re.search(r'<form[^>]*\baction="([^"?]*)', form)
            sent.add(action.group(1) if action else path)
    return links, sent


# The pages of the learner's record, as those who use it see them.
READ = [
    ("portfolios:registration-detail", persona) for persona in (LEARNER, ASSESSOR, IQA, ADMIN)
] + [
    ("portfolios:evidence-detail", LEARNER),
    ("assessment:evidence-review", ASSESSOR),
    ("assessment:unit-progress", ASSESSOR),
    ("assessment:unit-sign-off", LEARNER),
    ("assessment:unit-sign-off", ASSESSOR),
    ("assessment:unit-sign-off", ADMIN),
    ("iqa:sample-detail", ASSESSOR),
    ("iqa:sample-detail", IQA),
    ("iqa:sample-detail", ADMIN),
    ("iqa:plan-detail", IQA),
    ("home", LEARNER),
]


def test_the_pages_of_a_withdrawn_registration_offer_nothing_that_would_be_refused(
    world: World,
):
    side = world.ours
    refused = {reverse(name, kwargs=URLS[name].kwargs(side)) for name, _ in PAGES}
    # The review and sign-off pages are also where their records are read: links to them stay.
    read_here = {reverse(name, kwargs=URLS[name].kwargs(side)) for name, _ in READ}
    offered = []
    for name, persona in READ:
        path = reverse(name, kwargs=URLS[name].kwargs(side))
        page = send(persona, "GET", path)
        assert page.status_code == 200, (name, persona)
        links, sent = actions_on(page.content.decode(), path)
        offered += [(name, persona, to) for to in (links - read_here | sent) & refused]
        if name not in ("home", "assessment:unit-progress", "iqa:plan-detail"):
            assert WITHDRAWN in page.content.decode(), (name, persona)  # and says why
    assert offered == []


def test_what_needs_doing_leaves_out_a_withdrawn_registration(world: World):
    """Before it was withdrawn: evidence to review, an action to answer, a planned sample."""
    for persona in (LEARNER, ASSESSOR, IQA):
        person = world.ours.people[persona]
        role = Role.objects.get(user=person, centre=world.ours.centre)
        assert todo_for(person, role, ON) == [], persona


def test_an_issued_certificate_can_still_be_revoked_and_the_iqa_can_tidy_their_plan(
    world: World,
):
    """Revoking or replacing a certificate is the awarding duty over what was issued, not a
    record of the registration; removing an unsampled item from a plan adds nothing."""
    side = world.ours
    url = reverse("certification:certificate-detail", args=[side.certificate.pk])
    asked = send(ADMIN, "POST", url, {"action": "revoke", "reason": "Issued in error."})
    token = confirmation_token(asked.content.decode())  # the pause first (decision 36)
    revoked = send(ADMIN, "POST", url, {"action": "revoke-confirmed", "token": token})
    assert revoked.status_code == 302
    side.certificate.refresh_from_db()
    assert side.certificate.is_revoked
    item = side.plan.items.exclude(samples__isnull=False).order_by("pk").first()
    assert item is not None
    removed = send(
        IQA, "POST", reverse("iqa:plan-detail", args=[side.plan.pk]), {"remove": item.pk}
    )
    assert removed.status_code == 302
    assert not side.plan.items.filter(pk=item.pk).exists()
