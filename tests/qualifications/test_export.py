import json
import re

import pytest
from django.core.management import CommandError, call_command

from qualifications import catalogue_files
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


def test_a_units_evidence_guide_and_assessment_rules_are_exported(catalogue, write, capsys):
    catalogue["units"][0]["evidence_guide"] = {
        "critical_aspects": "Over a period of time.",
        "methods": "Observation.",
        "context": "Simulation may be used for element 1.",
    }
    catalogue["units"][0]["assessment"] = {
        "statement": None,
        "simulation": [{"element": "1", "allowed": True, "quote": "Simulation may be used."}],
        "evidence_kinds": [],
        "methods": [],
        "sufficiency": [{"measure": "period", "minimum": None, "quote": "Over a period of time."}],
        "realistic_environment": [{"quote": "A realistic working environment is permissible."}],
    }
    catalogue_load([write(catalogue)])
    first = export(capsys, "T/1")["units"][0]
    assert first["evidence_guide"] == catalogue["units"][0]["evidence_guide"]
    assert first["assessment"] == catalogue["units"][0]["assessment"]
    assert export(capsys, "T/1")["units"][1]["evidence_guide"] is None


def real_unit(code: str, documents: list[dict]) -> dict:
    """A unit as the catalogue files say it, what one file leaves out taken from another."""
    merged: dict = {}
    for data in documents:
        for unit in data["units"]:
            if unit["code"] == code:
                merged.update({k: v for k, v in unit.items() if v not in (None, "")})
    return merged


def as_exported(unit: dict) -> dict:
    """A file's unit in the export's shape (range flattened, each requirement with its kind)."""
    guide = unit.get("evidence_guide")
    return {
        "code": unit["code"],
        "title": unit["title"],
        "level": unit["level"],
        "credits": unit.get("credits"),
        "glh": unit.get("glh"),
        "aim": unit.get("aim"),
        "ao_unit_number": unit.get("ao_unit_number"),
        "outcomes": [
            {
                "number": str(o["number"]),
                "text": o["text"],
                "criteria": [
                    {"number": str(c["number"]), "text": c["text"]} for c in o["criteria"] or []
                ],
            }
            for o in unit["outcomes"]
        ],
        "range": [
            {
                "reference": f"{group['element']}{group['category']}({item['number']})",
                "element": str(group["element"]),
                "applies_to": [str(e) for e in group.get("applies_to") or []],
                "heading": group.get("heading") or "",
                "text": item["text"],
            }
            for group in unit.get("range") or []
            for item in group["items"]
        ],
        "knowledge": [
            {"number": str(k["number"]), "topic": k.get("topic"), "text": k["text"]}
            for k in unit.get("knowledge") or []
        ],
        "evidence_requirements": [
            {
                "number": str(e["number"]),
                "text": e["text"],
                "kind": e.get("kind") or "meet",
                "element": e.get("element"),
            }
            for e in unit.get("evidence_requirements") or []
        ],
        "evidence_guide": guide
        and {k: guide.get(k) for k in ("critical_aspects", "methods", "context")},
        "assessment": {
            "statement": None,
            "simulation": [],
            "evidence_kinds": [],
            "methods": [],
            "sufficiency": [],
            "realistic_environment": [],
            **(unit.get("assessment") or {}),
        },
    }


def test_every_real_qualification_exports_what_its_file_says(catalogue_db, capsys):
    """Load -> export -> compare with the YAML: everything stored comes out as it went in."""
    documents = [catalogue_files.read(path) for path in catalogue_files.catalogue_files()]
    corrections = [c for data in documents for c in data.get("corrections") or []]
    exported = {q["code"]: q for q in export(capsys, "--all")}
    for data in documents:
        for record in data["qualifications"]:
            qualification = exported[record["code"]]
            for key in ("number", "ao_number", "title", "level", "glh", "tqt", "aim"):
                assert qualification[key] == record.get(key), (record["code"], key)
            assert qualification["corrections"] == [
                {k: c[k] for k in ("where", "source_said", "chosen", "why")}
                for c in corrections
                if c["where"].startswith(f"Qualification {record['code']},")
            ]
            assert [(u["code"], u["group"]) for u in qualification["units"]] == [
                (u["unit"], u["group"] if record["rules"] else None) for u in record["units"]
            ]
            for unit in qualification["units"]:
                expected = as_exported(real_unit(unit["code"], documents))
                # The items a requirement lists are worked out from its text, not in the file.
                for requirement in unit["evidence_requirements"]:
                    del requirement["items"]
                assert {k: unit[k] for k in expected} == expected, unit["code"]
                assert sorted(c["where"] for c in unit["corrections"]) == sorted(
                    c["where"]
                    for c in corrections
                    if c["where"].startswith(f"Unit {unit['code']},")
                )
