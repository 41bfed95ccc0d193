"""A small catalogue made for the tests, so they say exactly what they rely on."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from qualifications.models import AwardingOrganisation, CatalogueFile, Qualification, Unit
from qualifications.revisions import deferred


def unit(code: str, credits: int, level: int = 2, criteria: int = 2, **extra: Any) -> dict:
    return {
        "code": code,
        "reference": code,
        "reference_type": "urn",
        "title": f"Unit {code}",
        "level": level,
        "credits": credits,
        "glh": credits * 5,
        "aim": f"The aim of {code}.",
        "outcomes": [
            {
                "number": "1",
                "text": f"Understand {code}",
                "criteria": [
                    {"number": f"1.{n}", "text": f"Explain part {n} of {code}"}
                    for n in range(1, criteria + 1)
                ],
            }
        ],
        "range": [],
        "knowledge": [],
        "evidence_requirements": [],
        **extra,
    }


BASE: dict[str, Any] = {
    "source": {"seed": "900", "file": "900.txt", "document": "A test specification"},
    "awarding_organisations": [{"code": "test-ao", "name": "Test Awarding Body"}],
    "qualifications": [
        {
            "code": "T/1",
            "number": "T/1",
            "title": "Test Level 2 Certificate",
            "awarding_organisation": "test-ao",
            "level": 2,
            "glh": 80,
            "tqt": 120,
            "grading": "pass_fail",
            "status": "operational",
            "rules": {
                "version": 1,
                "min_credits": 12,
                "groups": [
                    {"code": "A", "title": "Mandatory", "mandatory": True, "stated_credits": 6},
                    {"code": "B", "title": "Optional", "min_credits": 6, "max_credits": 8},
                ],
                "credit_caps_by_level": [{"level": 3, "max_credits": 4, "or_above": True}],
            },
            "units": [
                {"unit": "U/1", "group": "A"},
                {"unit": "U/2", "group": "A"},
                {"unit": "U/3", "group": "B"},
                {"unit": "U/4", "group": "B"},
                {"unit": "U/5", "group": "B"},
            ],
        },
        {
            "code": "T/2",
            "title": "Test Qualification Without Rules",
            "level": 2,
            "rules": None,
            "units": [{"unit": "U/1", "group": "available"}],
        },
    ],
    "units": [
        unit("U/1", 4, criteria=3),
        unit("U/2", 2),
        unit("U/3", 3),
        unit("U/4", 3),
        unit("U/5", 4, level=3),
    ],
    "corrections": [
        {
            "where": "Unit U/1, criterion 1.3",
            "source_said": "1.3 Explian",
            "chosen": "Explain",
            "why": "A typing error.",
        }
    ],
}


@pytest.fixture
def catalogue() -> dict:
    """A fresh, editable copy of the test catalogue."""
    return copy.deepcopy(BASE)


@pytest.fixture
def without_the_real_catalogue(db) -> None:
    """The test database holds the real catalogue; these tests want only their own. (No
    revision to renew: no qualification is left.)"""
    with deferred():
        Qualification.objects.all().delete()
        Unit.objects.all().delete()
        AwardingOrganisation.objects.all().delete()
        CatalogueFile.objects.all().delete()


@pytest.fixture
def write(tmp_path, without_the_real_catalogue):
    def write(data: dict, name: str = "900-test.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return path

    return write
