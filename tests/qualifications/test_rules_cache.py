"""Rules of combination are read once per qualification and revision in a process, and every edit
of the catalogue (a load, the admin) gives a new revision, so the next read of the qualification
row in any process builds them again."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import User
from qualifications.loader import catalogue_load
from qualifications.models import BarredCombination, Qualification, Unit
from qualifications.rules import Rules, adapter
from qualifications.rules.adapter import read_rules, rules_for

pytestmark = pytest.mark.django_db


def fresh(code: str) -> Qualification:
    """The qualification row as the next request would read it."""
    return Qualification.objects.get(code=code)


def queries_for(qualifications: list[Qualification]) -> int:
    with CaptureQueriesContext(connection) as captured:
        for qualification in qualifications:
            rules_for(qualification)
    return len(captured)


def test_the_rules_are_read_once_and_then_cost_no_query(catalogue_db):
    first = fresh("601/3576/1")
    with CaptureQueriesContext(connection) as captured:
        rules = rules_for(first)
    assert len(captured) > 0
    for _ in range(3):
        assert queries_for([fresh("601/3576/1")]) == 0  # each a new row, as in a new request
    assert rules_for(fresh("601/3576/1")) is rules
    assert rules == read_rules(first)


def test_queries_for_many_qualifications_do_not_grow_once_their_rules_are_kept(catalogue_db):
    every = list(Qualification.objects.all())
    assert len(every) >= 5
    assert queries_for(every[:1]) > 0
    assert queries_for(every[1:]) >= len(every) - 1  # the first time for each
    again = list(Qualification.objects.all())
    assert queries_for(again[:1]) == queries_for(again * 10) == 0


def test_kept_rules_cannot_be_changed_by_a_caller(catalogue_db):
    rules = rules_for(fresh("601/3576/1"))
    with pytest.raises(TypeError):
        rules.units["X"] = rules.units["A/506/2130"]  # type: ignore[index]
    with pytest.raises(TypeError):
        rules.group_of["X"] = "A"  # type: ignore[index]


def kept_before_the_edit(code: str) -> Rules:
    """Rules built and kept as any process would have them before an edit."""
    rules = rules_for(fresh(code))
    assert adapter._kept[fresh(code).pk][1] is rules
    return rules


def still_kept(code: str, rules: Rules) -> None:
    """The edit left this process's kept rules alone, as it leaves every other process's: what
    makes the next read new is the revision on the row, not anything done in this process."""
    assert adapter._kept[fresh(code).pk][1] is rules


def test_a_load_that_changes_the_catalogue_gives_new_rules(catalogue, write):
    catalogue_load([write(catalogue)])
    before = kept_before_the_edit("T/1")
    assert before.min_credits == 12
    catalogue["qualifications"][0]["rules"]["min_credits"] = 14
    catalogue["units"][2]["glh"] = 99  # U/3, shared with nothing else here
    catalogue_load([write(catalogue)])
    still_kept("T/1", before)
    after = rules_for(fresh("T/1"))
    assert after.min_credits == 14 and after.units["U/3"].glh == 99
    assert rules_for(fresh("T/1")) is after


def test_a_load_that_changes_nothing_keeps_the_rules(catalogue, write):
    path = write(catalogue)
    catalogue_load([path])
    before = rules_for(fresh("T/1"))
    assert catalogue_load([path]).unchanged == [path.name]
    assert rules_for(fresh("T/1")) is before


# The admin: each page posted as a person would send it back, with what it shows.


@pytest.fixture
def operator(client, catalogue, write) -> User:
    catalogue["qualifications"][0]["rules"]["barred"] = [["U/4", "U/5"]]
    catalogue_load([write(catalogue)])
    user = User.objects.create_superuser("ops@example.org", "Platform Operator", "pw-ops-123456")
    client.force_login(user)
    return user


def as_shown(response: Any) -> dict[str, Any]:
    """The admin change page's forms (and inline forms) as the browser would post them back."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for field in form:
            value = field.value()
            if isinstance(value, list | tuple):
                data[field.html_name] = [getattr(v, "pk", v) for v in value]
            elif value is True:
                data[field.html_name] = "on"
            elif value is not None and value is not False:  # 0 is a value
                data[field.html_name] = getattr(value, "pk", value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        for field in inline.formset.management_form:
            data[field.html_name] = field.value()
        for form in inline.formset.forms:
            add(form)
    return data


def post_change(client: Any, model: str, pk: int, **changes: Any) -> None:
    url = reverse(f"admin:qualifications_{model}_change", args=[pk])
    data = as_shown(client.get(url))
    for name in changes:
        assert name in data, f"{name} is not on the page"
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, errors(response)


def errors(response: Any) -> list[Any]:
    inlines = response.context["inline_admin_formsets"]
    return [response.context["adminform"].form.errors] + [
        (i.formset.prefix, i.formset.errors, i.formset.non_form_errors()) for i in inlines
    ]


def test_an_admin_edit_of_a_qualification_gives_new_rules(client, operator):
    before = kept_before_the_edit("T/1")
    post_change(client, "qualification", fresh("T/1").pk, min_credits=13)
    still_kept("T/1", before)
    assert rules_for(fresh("T/1")).min_credits == 13


def test_an_admin_edit_of_a_group_inline_gives_new_rules(client, operator):
    before = kept_before_the_edit("T/1")
    assert [g.min_credits for g in before.groups] == [None, 6]
    post_change(client, "qualification", fresh("T/1").pk, **{"groups-1-min_credits": 7})
    assert [g.min_credits for g in rules_for(fresh("T/1")).groups] == [None, 7]


def test_an_admin_edit_of_a_unit_gives_new_rules_to_every_qualification_using_it(client, operator):
    with_rules, without = kept_before_the_edit("T/1"), kept_before_the_edit("T/2")
    post_change(client, "unit", Unit.objects.get(code="U/1").pk, credits=5, title="Renamed")
    still_kept("T/2", without)
    assert rules_for(fresh("T/1")).units["U/1"].credits == 5
    assert rules_for(fresh("T/2")).units["U/1"].title == "Renamed"
    assert with_rules.units["U/1"].credits == 4  # what was kept is never changed in place


def test_an_admin_edit_of_a_unit_no_qualification_uses_leaves_the_rules_alone(client, operator):
    before = kept_before_the_edit("T/1")
    lonely = Unit.objects.create(code="U/9", title="Unit U/9", level=2, credits=1)
    post_change(client, "unit", lonely.pk, credits=2)
    assert rules_for(fresh("T/1")) is before


def test_an_equivalence_added_in_the_admin_gives_new_rules(client, operator):
    before = kept_before_the_edit("T/1")
    assert before.equivalences == ()
    units = {u.code: u.pk for u in Unit.objects.all()}
    response = client.post(
        reverse("admin:qualifications_equivalence_add"),
        {
            "qualification": fresh("T/1").pk,
            "unit": units["U/2"],
            "satisfied_by": [units["U/3"]],
            "note": "The old version",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    (equivalence,) = rules_for(fresh("T/1")).equivalences
    assert (equivalence.unit, equivalence.satisfied_by) == ("U/2", ("U/3",))


def test_a_barred_combination_deleted_in_the_admin_gives_new_rules(client, operator):
    assert kept_before_the_edit("T/1").barred == (("U/4", "U/5"),)
    barred = BarredCombination.objects.get()
    response = client.post(
        reverse("admin:qualifications_barredcombination_delete", args=[barred.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 302
    assert rules_for(fresh("T/1")).barred == ()


def test_kept_rules_can_be_pickled_for_another_process():
    """generate_load_data hands rules to its worker processes; read-only views cannot be
    pickled as they are, and the workers then never received their work (the command hung)."""
    import pickle

    from qualifications.rules.model import Group, Rules, Unit

    rules = Rules(
        code="Q", title="A qualification", units={"U1": Unit("U1", "One", 2, 5, 40)},
        groups=(Group(code="A", title="Mandatory", units=("U1",), mandatory=True),),
        min_credits=5,
    )  # fmt: skip
    copy = pickle.loads(pickle.dumps(rules))
    assert copy == rules and copy.group_of == {"U1": "A"}
    assert dict(copy.units) == dict(rules.units)
