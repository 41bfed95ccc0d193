import json
import re

import pytest
from django.core.management import CommandError, call_command

from qualifications.loader import catalogue_load

pytestmark = pytest.mark.django_db


def export(capsys, *args):
    call_command("export_qualification", *args)
    return json.loads(capsys.readouterr().out)


def test_a_qualification_exports_with_its_rules_and_units(catalogue, write, capsys):
    catalogue_load([write(catalogue)])
    data = export(capsys, "T/1")
    assert {
        k: data[k]
        for k in (
            "code",
            "title",
            "awarding_organisation",
            "level",
            "min_credits",
            "glh",
            "tqt",
            "status",
        )
    } == {
        "code": "T/1",
        "title": "Test Level 2 Certificate",
        "awarding_organisation": "Test Awarding Body",
        "level": 2,
        "min_credits": 12,
        "glh": 80,
        "tqt": 120,
        "status": "operational",
    }
    assert [g["code"] for g in data["rules"]["groups"]] == ["A", "B"]
    assert data["rules"]["credit_caps_by_level"] == [
        {"level": 3, "max_credits": 4, "or_above": True}
    ]
    first = data["units"][0]
    assert (first["code"], first["group"], first["credits"]) == ("U/1", "A", 4)
    assert first["outcomes"][0]["criteria"][2] == {"number": "1.3", "text": "Explain part 3 of U/1"}
    assert set(first) >= {"range", "knowledge", "evidence_requirements", "glh", "level", "title"}


def test_a_qualification_without_rules_exports_null_rules(catalogue, write, capsys):
    catalogue_load([write(catalogue)])
    assert export(capsys, "T/2")["rules"] is None


def test_all_qualifications_export_as_a_list(catalogue, write, capsys):
    catalogue_load([write(catalogue)])
    assert [q["code"] for q in export(capsys, "--all")] == ["T/1", "T/2"]


def test_an_unknown_code_is_a_one_line_error():
    with pytest.raises(CommandError, match=re.escape("No qualification has the code 'NOPE'.")):
        call_command("export_qualification", "NOPE")


def test_a_code_and_all_together_are_refused():
    with pytest.raises(CommandError, match=re.escape("Give one qualification code, or --all.")):
        call_command("export_qualification", "T/1", "--all")
