"""The sampling strategy page: shares by risk, stages, and assessors' risk."""

import pytest
from django.urls import reverse

from iqa import planning, services
from iqa.forms import StrategyForm
from iqa.models import AssessorRisk, Risk, SamplingStrategy, Stage
from iqa.services import plan_generate, risk_of, strategy_for, strategy_save
from portal.models import AuditEntry, RoleKind
from tests.iqa.test_services import PERIOD_ENDS, PERIOD_STARTS
from tests.iqa.test_services import person as someone
from tests.iqa.test_views import BEGUN_UNIT, SIGNED_UNIT, assessed, evidence, items

__all__ = ["assessed", "evidence"]
DEFAULTS = {
    "trainee_percent": 100,
    "new_percent": 50,
    "standard_percent": 25,
    "experienced_percent": 10,
    "interim_required": True,
    "summative_required": True,
}


def strategy_url(sfj):
    return reverse("iqa:strategy", args=[sfj.pk])


def test_the_iqa_sets_the_shares_and_an_assessors_risk(
    client, centre, sfj, iqa, assessor, trainee_assessor
):
    client.force_login(iqa)
    response = client.post(
        strategy_url(sfj),
        {
            "trainee_percent": 100,
            "new_percent": 60,
            "standard_percent": 30,
            "experienced_percent": 5,
            "summative_required": "on",
            f"risk-{assessor.pk}": "experienced",
            f"risk-{trainee_assessor.pk}": "experienced",  # a trainee stays a trainee
        },
    )
    assert response.status_code == 302
    strategy = SamplingStrategy.objects.get(centre=centre, qualification=sfj)
    assert (strategy.new_percent, strategy.experienced_percent) == (60, 5)
    assert not strategy.interim_required and strategy.summative_required
    assert risk_of(centre, [assessor.pk, trainee_assessor.pk]) == {
        assessor.pk: Risk.EXPERIENCED,
        trainee_assessor.pk: Risk.TRAINEE,
    }
    assert AuditEntry.objects.filter(action="iqa.strategy_saved").count() == 1


def test_a_share_over_a_hundred_is_refused_and_nothing_changes(client, centre, sfj, iqa, assessor):
    client.force_login(iqa)
    page = client.post(
        strategy_url(sfj),
        {
            "trainee_percent": 150,
            "new_percent": 50,
            "standard_percent": 25,
            "experienced_percent": 10,
            f"risk-{assessor.pk}": "new",
        },
    ).content.decode()
    assert "A share is at most 100 per cent." in page
    assert not AssessorRisk.objects.exists() and not SamplingStrategy.objects.exists()


def test_only_an_iqa_or_a_centre_admin_sets_the_strategy(
    client, sfj, assessor, learner, centre_admin
):
    for person in (assessor, learner):
        client.force_login(person)
        assert client.get(strategy_url(sfj)).status_code == 403
    client.force_login(centre_admin)
    assert client.get(strategy_url(sfj)).status_code == 200


def test_opening_the_strategy_page_shows_the_defaults_and_saves_nothing(client, sfj, iqa):
    client.force_login(iqa)
    response = client.get(strategy_url(sfj))
    assert response.context is not None
    form = response.context["form"]
    assert {name: form[name].value() for name in DEFAULTS} == DEFAULTS
    assert not SamplingStrategy.objects.exists() and not AuditEntry.objects.exists()


def test_the_first_save_stores_the_strategy_and_audits_the_defaults_as_what_it_was(
    client, centre, sfj, iqa
):
    client.force_login(iqa)
    client.post(strategy_url(sfj), {**DEFAULTS, "new_percent": 70, "interim_required": ""})
    strategy = SamplingStrategy.objects.get(centre=centre, qualification=sfj)
    assert (strategy.new_percent, strategy.interim_required) == (70, False)
    entry = AuditEntry.objects.get(action="iqa.strategy_saved")
    assert entry.before == DEFAULTS and entry.after["new_percent"] == 70  # type: ignore[index]


def test_a_strategy_saved_by_someone_else_after_the_page_opened_is_replaced_not_doubled(
    centre, sfj, iqa
):
    form = StrategyForm({**DEFAULTS, "standard_percent": 40}, instance=strategy_for(centre, sfj))
    SamplingStrategy.objects.create(centre=centre, qualification=sfj, standard_percent=30)
    assert form.is_valid()
    strategy_save(form=form, risks={}, actor=iqa)
    [strategy] = SamplingStrategy.objects.all()
    assert strategy.standard_percent == 40
    before = AuditEntry.objects.get(action="iqa.strategy_saved").before
    assert before["standard_percent"] == 30  # type: ignore[index]


@pytest.fixture
def proposed(monkeypatch):
    """What plan_generate asks the planner for: each assessor's share and the stages."""
    asked: dict[str, object] = {}

    def propose(work, *, percent, iqa, stages=(), already=()):
        asked.update(percent=percent, stages=stages)
        return planning.propose(work, percent=percent, iqa=iqa, stages=stages, already=already)

    monkeypatch.setattr(services, "propose", propose)
    return asked


def generate(centre, sfj, iqa):
    return plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )


def test_a_plan_made_before_any_strategy_is_saved_follows_the_defaults_and_saves_none(
    centre, sfj, iqa, assessor, assessed, proposed
):
    plan = generate(centre, sfj, iqa)
    assert proposed == {"percent": {assessor.pk: 25}, "stages": ["interim", "summative"]}
    assert items(plan) == {
        (SIGNED_UNIT, Stage.SUMMATIVE, False),
        (BEGUN_UNIT, Stage.INTERIM, False),
    }
    assert not SamplingStrategy.objects.exists()


def test_a_plan_made_after_the_strategy_is_saved_follows_it(
    centre, sfj, iqa, assessor, assessed, proposed
):
    SamplingStrategy.objects.create(
        centre=centre, qualification=sfj, standard_percent=60, interim_required=False
    )
    generate(centre, sfj, iqa)
    assert proposed == {"percent": {assessor.pk: 60}, "stages": ["summative"]}


def test_the_risk_list_names_the_centres_assessors_by_name_and_no_one_else(
    client, centre, sfj, iqa, assessor, trainee_assessor, other_centre
):
    """The assessors are taken from the roles the standings read (one query for both): an IQA
    who is not an assessor, and an assessor of another centre, are not in it."""
    first = someone(centre, RoleKind.ASSESSOR, "aaron@example.org")
    first.full_name = "Aaron Aardvark"
    first.save()
    someone(other_centre, RoleKind.ASSESSOR, "elsewhere@example.org")
    client.force_login(iqa)
    shown = client.get(strategy_url(sfj)).context["assessors"]
    expected = sorted([first, assessor, trainee_assessor], key=lambda u: u.full_name)
    assert [a for a, *_ in shown] == expected
    assert [trainee for _, _, trainee, _ in shown] == [a == trainee_assessor for a in expected]


@pytest.mark.parametrize(
    "values",
    [
        DEFAULTS,
        {**DEFAULTS, "trainee_percent": 0, "new_percent": 7, "experienced_percent": 100},
        {**DEFAULTS, "interim_required": False},
        {**DEFAULTS, "summative_required": False, "standard_percent": 0},
        {**DEFAULTS, "interim_required": False, "summative_required": False},
    ],
)
def test_the_fields_drawn_once_with_values_put_in_are_crispys_for_every_value(values, db):
    """`pages.strategy_fields` puts a strategy's values into the partial drawn once: the same
    markup as crispy draws for that strategy's form, shares of 0 and 100 and stages unticked."""
    from django.template.loader import render_to_string

    from iqa import pages

    form = StrategyForm(instance=SamplingStrategy(**values))
    drawn = render_to_string("iqa/partials/strategy_fields.html", {"form": form})
    assert pages.strategy_fields(form) == drawn


def test_a_posted_form_or_a_share_not_a_number_is_drawn_by_crispy(db):
    from iqa import pages

    assert pages.strategy_fields(StrategyForm({**DEFAULTS, "new_percent": 500})) is None
    assert pages.strategy_fields(StrategyForm(initial={"new_percent": None})) is None
    assert pages.strategy_fields(StrategyForm(initial={"new_percent": "50"})) is None
