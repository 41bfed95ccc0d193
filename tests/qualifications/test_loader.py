import re

import pytest
from django.forms.models import model_to_dict

from qualifications.loader import CatalogueError, catalogue_load
from qualifications.models import (
    Correction,
    Criterion,
    EvidenceRequirement,
    LearningOutcome,
    LevelRule,
    Qualification,
    QualificationUnit,
    RequirementKind,
    RuleGroup,
    Unit,
)

pytestmark = pytest.mark.django_db

MODELS = [
    Qualification,
    Unit,
    LearningOutcome,
    Criterion,
    RuleGroup,
    QualificationUnit,
    LevelRule,
    Correction,
]


def snapshot() -> dict:
    return {
        m.__name__: sorted(map(str, (model_to_dict(o) for o in m._default_manager.all())))
        for m in MODELS
    }


def test_loading_a_file_creates_the_qualification_its_groups_units_and_criteria(catalogue, write):
    catalogue_load([write(catalogue)])
    qualification = Qualification.objects.get(code="T/1")
    assert str(qualification.awarding_organisation) == "Test Awarding Body"
    assert qualification.min_credits == 12
    assert [g.code for g in qualification.groups.all()] == ["A", "B"]
    assert qualification.memberships.count() == 5
    assert Criterion.objects.filter(unit__code="U/1").count() == 3
    assert Criterion.objects.get(unit__code="U/2", number="1.2").text == "Explain part 2 of U/2"
    assert LevelRule.objects.get().credits == 4


def test_a_qualification_without_rules_is_loaded_as_not_claimable(catalogue, write):
    catalogue_load([write(catalogue)])
    bare = Qualification.objects.get(code="T/2")
    assert not bare.rules_published
    assert bare.groups.count() == 0
    assert bare.memberships.get().group is None


def test_loading_twice_changes_nothing(catalogue, write):
    path = write(catalogue)
    catalogue_load([path])
    before = snapshot()
    report = catalogue_load([path], force=True)
    assert report.loaded == [path.name]
    assert snapshot() == before


def test_a_file_that_has_not_changed_is_skipped(catalogue, write):
    path = write(catalogue)
    catalogue_load([path])
    assert catalogue_load([path]).unchanged == [path.name]


def test_an_edited_criterion_is_updated_in_place_and_a_removed_one_goes(catalogue, write):
    catalogue_load([write(catalogue)])
    kept = Criterion.objects.get(unit__code="U/1", number="1.1")
    criteria = catalogue["units"][0]["outcomes"][0]["criteria"]
    criteria[0]["text"] = "Explain it better"
    del criteria[2]
    catalogue_load([write(catalogue)])
    kept.refresh_from_db()
    assert kept.text == "Explain it better"
    assert not Criterion.objects.filter(unit__code="U/1", number="1.3").exists()


def test_corrections_are_kept_beside_the_unit_they_correct(catalogue, write):
    catalogue_load([write(catalogue)])
    correction = Correction.objects.get()
    assert correction.unit is not None and correction.unit.code == "U/1"
    assert correction.chosen == "Explain"


def test_a_unit_printed_the_same_in_two_files_is_one_unit(catalogue, write):
    other = {**catalogue, "qualifications": [], "corrections": [], "units": [catalogue["units"][0]]}
    catalogue_load([write(catalogue), write(other, "901-other.yaml")])
    assert Unit.objects.filter(code="U/1").count() == 1


def test_what_one_file_leaves_out_of_a_shared_unit_another_may_add(catalogue, write):
    catalogue["units"][0]["glh"] = None
    fuller = {**catalogue["units"][0], "glh": 33}
    other = {**catalogue, "qualifications": [], "corrections": [], "units": [fuller]}
    catalogue_load([write(catalogue), write(other, "901-other.yaml")])
    unit = Unit.objects.get(code="U/1")
    assert unit.glh == 33
    assert unit.source == "900-test.yaml, 901-other.yaml"


def test_a_unit_printed_differently_in_two_files_stops_the_load(catalogue, write):
    changed = {**catalogue["units"][0], "credits": 9}
    other = {**catalogue, "qualifications": [], "corrections": [], "units": [changed]}
    with pytest.raises(
        CatalogueError,
        match=re.escape(
            "Unit U/1 is defined differently in 900-test.yaml and 901-other.yaml (credits)"
        ),
    ):
        catalogue_load([write(catalogue), write(other, "901-other.yaml")])
    assert Unit.objects.count() == 0


def test_a_broken_file_is_refused_with_its_name_and_changes_nothing(catalogue, write):
    del catalogue["units"][1]["title"]
    with pytest.raises(CatalogueError, match=re.escape("900-test.yaml: unit U/2: missing 'title'")):
        catalogue_load([write(catalogue)])
    assert Qualification.objects.count() == 0


def test_a_qualification_naming_an_undefined_unit_is_refused(catalogue, write):
    catalogue["qualifications"][0]["units"].append({"unit": "U/404", "group": "B"})
    with pytest.raises(CatalogueError, match="uses unit U/404, which the file does not define"):
        catalogue_load([write(catalogue)])
    assert Qualification.objects.count() == 0


def test_a_unit_in_an_undefined_group_is_refused(catalogue, write):
    catalogue["qualifications"][0]["units"][0]["group"] = "Z"
    with pytest.raises(CatalogueError, match="is in group 'Z', which its rules do not define"):
        catalogue_load([write(catalogue)])


def test_text_that_is_not_yaml_is_refused(write, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("units: [unclosed")
    with pytest.raises(CatalogueError, match=re.escape("bad.yaml: not valid YAML")):
        catalogue_load([path])


ASSESSMENT = {
    "statement": "This unit will be assessed by:\n• an assignment",
    "simulation": [
        {"element": None, "allowed": False, "quote": "Simulation is not allowed."},
        {"element": "1", "allowed": True, "quote": "Simulation may be used for element 1."},
    ],
    "evidence_kinds": [
        {"kind": "performance", "need": "required", "criteria": ["1.2"], "quote": "Must 1.2."}
    ],
    "methods": [
        {"method": "assignment", "evidence_kind": None, "need": "allowed", "quote": "an assignment"}
    ],
    "sufficiency": [{"measure": "occasions", "minimum": 2, "quote": "on different occasions"}],
}


def test_a_units_assessment_rules_are_loaded_with_their_words(catalogue, write):
    catalogue["units"][0]["assessment"] = ASSESSMENT
    catalogue["units"][0]["evidence_requirements"] = [
        {"number": "1", "text": "You may collect it anywhere.", "kind": "condition"},
        {"number": "2", "text": "You must show:\na at a busy time\nb at a quiet time"},
    ]
    catalogue_load([write(catalogue)])
    unit = Unit.objects.get(code="U/1")
    assert unit.assessment_statement == ASSESSMENT["statement"]
    assert (unit.simulation_allowed, unit.simulation_allowed_for("1")) == (False, True)
    assert [(r.kind, r.need, r.criteria) for r in unit.evidence_kind_rules.all()] == [
        ("performance", "required", "1.2")
    ]
    assert [(r.method, r.evidence_kind) for r in unit.method_rules.all()] == [("assignment", "")]
    assert [(r.measure, r.minimum, r.quote) for r in unit.sufficiency_rules.all()] == [
        ("occasions", 2, "on different occasions")
    ]
    condition, to_meet = unit.evidence_requirements.all()
    assert (condition.kind, condition.items) == ("condition", [])
    assert to_meet.kind == "meet"  # the kind a file leaves out
    assert [(i.reference, i.text) for i in to_meet.items] == [
        ("2a", "at a busy time"),
        ("2b", "at a quiet time"),
    ]


def test_loading_assessment_rules_again_keeps_their_ids_and_drops_what_went(catalogue, write):
    catalogue["units"][0]["assessment"] = ASSESSMENT
    catalogue_load([write(catalogue)])
    unit = Unit.objects.get(code="U/1")
    kept = unit.simulation_rules.get(element="1").pk
    catalogue["units"][0]["assessment"] = {**ASSESSMENT, "simulation": ASSESSMENT["simulation"][1:]}
    catalogue_load([write(catalogue)])
    assert [(r.pk, r.element) for r in unit.simulation_rules.all()] == [(kept, "1")]
    assert unit.simulation_allowed is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"methods": [{"method": "telepathy", "need": "allowed", "quote": "Q."}]},
            "unit U/1: assessment methods method 'telepathy' is not one of",
        ),
        (
            {"sufficiency": [{"measure": "occasions", "at_least": 2, "quote": "Q."}]},
            "unit U/1: assessment sufficiency has no key 'at_least'",
        ),
        ({"simulations": []}, "unit U/1: assessment has no key 'simulations'"),
    ],
)
def test_assessment_rules_of_unknown_kinds_are_refused(catalogue, write, change, message):
    catalogue["units"][0]["assessment"] = change
    with pytest.raises(CatalogueError, match=re.escape(message)):
        catalogue_load([write(catalogue)])
    assert Unit.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("Show:\na. at work\nb. at home", [("1a", "at work"), ("1b", "at home")]),
        ("Show:\n(i) at work\n(ii) at home", [("1i", "at work"), ("1ii", "at home")]),
        ("Show:\n• at work\n• at home", [("1.1", "at work"), ("1.2", "at home")]),
        # A second line that is not a listed item: the requirement is met as a whole.
        ("Show it\nto your assessor", [("1", "Show it\nto your assessor")]),
    ],
)
def test_a_requirements_items_are_read_from_its_lines(text, items):
    requirement = EvidenceRequirement(number="1", text=text, kind=RequirementKind.MEET)
    assert [(i.reference, i.text) for i in requirement.items] == items
