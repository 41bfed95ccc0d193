"""Every form page, sent a form with its fields left empty, shows each message where it belongs
and changes nothing (decision 41).

Generated from tests/urlmap.py: each URL that binds a form to a POST is opened as a person the
table allows (no drop-down may offer "---------"), then sent the table's valid form with every
field of its forms blanked (the other keys kept, so the view gets as far as the form). The
answer is the form again, or, for a small form posted from another page, a redirect to that
page, which draws the form sent back. Either way:

- each field's message is inside the `<auto_id>_error` element under that field, which the
  field's control (or its fieldset) names in `aria-describedby`;
- each form-level message is in the alert partials/form_errors.html draws at the form's top;
- nothing is written to the database.

The world is the permission matrix's (tests/world.py), built once for the module.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.urls import reverse

from assessment.models import UnitSignOff
from certification.models import Certificate, Release
from eqa.models import EqaAction, EqaReport
from iqa.models import Action, ActionStatus
from qualifications.models import Unit
from tests.matrix import body, call, client_of, world_for_module
from tests.urlmap import ANONYMOUS, URLS, form_fields
from tests.world import (
    ADMIN,
    ASSESSOR,
    BEGUN_UNIT,
    EQA,
    IQA,
    LEARNER,
    TRAINEE,
    Side,
    World,
)
from tests.writes import written

pytestmark = pytest.mark.django_db

# Who sends each form: the first of these the table allows to POST.
PREFERRED = (ANONYMOUS, ADMIN, ASSESSOR, IQA, LEARNER, EQA, TRAINEE)
EMPTY_CHOICE = "---------"

# Forms whose every field may be empty (clearing what was recorded is allowed): sent with
# values that are wrong instead.
INVALID: dict[str, dict[str, Any]] = {
    "portfolios:registration-learner": {"date_of_birth": "12/31/2001", "uln": "12345"},
    "portfolios:registration-staff": {"assessor": "987654321"},
    # The file's confirmation (content, confirm) would register: the upload form alone.
    "portfolios:registration-bulk": {"confirm": None, "content": None},
    # Held with no reason (the table's form releases it).
    "eqa:claims": {"decision": "hold"},
    # The answers' boxes are made for the set's questions (not the form's class): sent empty.
    "portfolios:question-set-detail": {"answer_0": "", "action": "send"},
}


def responded(side: Side) -> None:
    Action.objects.filter(pk=side.action.pk).update(status=ActionStatus.RESPONDED)


def not_countersigned(side: Side) -> None:
    UnitSignOff.objects.filter(pk=side.sign_off.pk).update(learner_signed_at=None)


def awaiting_the_eqa(side: Side) -> None:
    Certificate.objects.filter(pk=side.certificate.pk).update(release=Release.AWAITING)


def no_report_yet(side: Side) -> None:
    EqaAction.objects.filter(report=side.eqa_report).delete()
    EqaReport.objects.filter(pk=side.eqa_report.pk).delete()


# The world as the form needs it, changed in the request's savepoint: each of these forms is
# drawn only in that state (an answered action, a unit to countersign, a claim held...).
PREPARE: dict[str, Callable[[Side], None]] = {
    "iqa:action-not-accept": responded,
    "assessment:unit-countersign": not_countersigned,
    "eqa:claims": awaiting_the_eqa,
    "eqa:report": no_report_yet,
}
# The unit the world signed off shows no sign-off form: one only begun does.
KWARGS: dict[str, Callable[[Side], dict[str, Any]]] = {
    "assessment:unit-sign-off": lambda side: {
        "pk": side.registration.pk,
        "unit_pk": Unit.objects.get(code=BEGUN_UNIT).pk,
    },
}
# Form pages the world cannot reach, and where their messages are tested instead.
NOT_REACHED = {
    "assessment:decision-return": "the world has no trainee's decision to return: "
    "tests/assessment/test_returning.py sends an empty reason",
    "portfolios:registration-rules": "the world's rules are current, so no transfer is offered: "
    "tests/portfolios/test_rules_transfer*.py",
    "iqa:sample-countersign": "the world's sample is its IQA's own, which the page of samples "
    "to countersign never offers them: tests/iqa/test_countersigning.py sends an empty note",
    **{
        name: "the world's qualification (SFJ) states no evidence requirements or sufficiency, so "
        "its unit page draws none of these forms: tests/assessment/test_requirements_met.py sends "
        "them empty"
        for name in (
            "assessment:requirement-show",
            "assessment:sufficiency-record",
            "assessment:requirement-withdraw",
            "assessment:sufficiency-withdraw",
        )
    },
    "certification:transfer-detail": "the world's transfer waits for a centre none of its "
    "personas answers for: tests/certification/test_transfer_views.py declines with no reason",
}
FORM_PAGES = sorted(
    name for name, entry in URLS.items() if entry.forms and entry.post and name not in NOT_REACHED
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def sender(name: str) -> str:
    allowed = URLS[name].post or frozenset()
    return next(persona for persona in PREFERRED if persona in allowed)


def blanked(name: str, world: World) -> dict[str, Any]:
    """The table's valid form for the URL with every field of its forms empty (or wrong)."""
    entry = URLS[name]
    data = entry.data(world.ours, world.person(sender(name)))
    fields = {field for form in entry.forms for field in form_fields(form)}
    data = {k: ("" if k in fields else v) for k, v in data.items() if k not in entry.files}
    # A browser sends the page's token too (the test client does not check it): so a form
    # sent with nothing else is still bound, as it is for a person.
    data.update({"csrfmiddlewaretoken": "sent", **INVALID.get(name, {})})
    return {k: v for k, v in data.items() if v is not None}


def path_of(name: str, world: World) -> str:
    kwargs = KWARGS.get(name, URLS[name].kwargs)(world.ours)
    return reverse(name, kwargs=kwargs or None)


def forms_in(value: Any, depth: int = 0) -> Iterator[forms.BaseForm]:
    """The forms in a template context's value: itself, or in its lists, tuples and dicts
    (a report's actions each carry their own forms)."""
    if isinstance(value, forms.BaseForm):
        yield value
    elif depth < 3 and isinstance(value, list | tuple):
        for item in value:
            yield from forms_in(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from forms_in(item, depth + 1)


def forms_shown(response: Any) -> list[forms.BaseForm]:
    found: dict[int, forms.BaseForm] = {}
    for context in response.context or []:
        for layer in context.dicts:
            for value in layer.values():
                for form in forms_in(value):
                    found[id(form)] = form
    return [form for form in found.values() if form.is_bound and form.errors]


def send_empty(name: str, world: World) -> tuple[Any, list[str]]:
    """POST the blanked form; follow a redirect to the page that shows it again. Both in a
    savepoint rolled back after (the session that carries a form back is in the database)."""
    entry = URLS[name]
    client = client_of(sender(name))
    path = path_of(name, world)
    cookies = client.cookies
    client.cookies = type(cookies)(cookies)
    try:
        with transaction.atomic():
            PREPARE.get(name, lambda side: None)(world.ours)
            if entry.get and sender(name) in entry.get:  # as a person would: the page first
                opened = client.get(path, entry.query(world.ours))
                path = opened["Location"] if opened.status_code == 302 else path
            before = Counter(written())  # what the POST writes, not what came before it
            response = call(client, "POST", path, entry.query(world.ours), blanked(name, world), {})
            wrote = list((Counter(written()) - before).elements())
            if response.status_code == 302:
                response = client.get(response["Location"])
            body(response)  # read now, inside the savepoint
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return response, wrote


def inside(page: str, element_id: str) -> str:
    """The text of the element with that id (to the end of its first closing </div>)."""
    found = re.search(rf'<div id="{re.escape(element_id)}"[^>]*>(.*?)</div>', page, re.S)
    return found.group(1) if found else ""


def alert_at_top(page: str) -> str:
    alerts = re.findall(r'<div class="alert alert-danger" role="alert">(.*?)</div>', page, re.S)
    return "".join(alerts)


def misplaced(form: forms.BaseForm, page: str) -> list[str]:
    """Each of the form's messages not where it belongs, in words."""
    wrong = []
    for field, errors in form.errors.items():
        messages = [str(e) for e in errors]
        if field == NON_FIELD_ERRORS:
            shown = html.unescape(alert_at_top(page))
            wrong += [f"form-level {e!r} not at the top" for e in messages if e not in shown]
            continue
        box = f"{form[field].auto_id}_error"
        shown = html.unescape(inside(page, box))
        wrong += [f"{field}: {e!r} not in #{box}" for e in messages if e not in shown]
        if not re.search(rf'aria-describedby="[^"]*\b{re.escape(box)}\b', page):
            wrong.append(f"{field}: no control names #{box} in aria-describedby")
    return wrong


def test_every_form_page_is_sent_here():
    assert {"iqa:sample-new", "assessment:evidence-review", "eqa:claims"} <= set(FORM_PAGES)
    assert {"assessment:unit-unlock", "iqa:action-not-accept", "person-deactivate"} <= set(
        FORM_PAGES
    )


@pytest.mark.parametrize("name", FORM_PAGES)
def test_a_form_sent_empty_shows_each_message_where_it_belongs_and_changes_nothing(world, name):
    response, wrote = send_empty(name, world)
    assert not wrote, f"{name}: an empty form wrote {sorted(set(wrote))}"
    assert response.status_code == 200, f"{name}: {response.status_code}"
    page = response.content.decode()
    refused = forms_shown(response)
    assert refused, f"{name}: the form sent empty came back without a message"
    wrong = [problem for form in refused for problem in misplaced(form, page)]
    assert not wrong, f"{name}: " + "; ".join(wrong)


@pytest.mark.parametrize("name", [n for n in FORM_PAGES if URLS[n].get])
def test_no_drop_down_on_a_form_page_offers_dashes(world, name):
    entry = URLS[name]
    allowed = entry.get or frozenset()
    persona = next(p for p in PREFERRED if p in allowed)
    path = path_of(name, world)
    client = client_of(persona)
    with transaction.atomic():
        PREPARE.get(name, lambda side: None)(world.ours)
        response = client.get(path, entry.query(world.ours))
        if response.status_code == 302:  # a reset link moves its token to the session first
            response = client.get(response["Location"])
        page = body(response)
        transaction.set_rollback(True)
    assert response.status_code == 200, f"{name}: {response.status_code}"
    assert EMPTY_CHOICE not in page, f"{name} offers {EMPTY_CHOICE!r}: give a 'Choose ...' label"
