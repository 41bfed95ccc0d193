"""What the migrations that pin registrations to rules versions share (decision 27). Django's
migration loader skips modules whose names start with an underscore."""

from __future__ import annotations

from typing import Any

from qualifications.rules.adapter import read_rules
from qualifications.rules.snapshot import fingerprint, rules_data


def version_now(apps: Any, qualification: Any) -> Any:
    """The qualification's newest rules version if its rules are those its rows hold now, else
    a new one made from the rows (historical models: `read_rules` reads only what every
    migration state since 0004 has)."""
    versions = apps.get_model("qualifications", "RulesVersion")
    rules = read_rules(qualification)
    found = fingerprint(rules, qualification.rules_version)
    newest = versions.objects.filter(qualification=qualification).order_by("-number").first()
    if newest is not None and newest.fingerprint == found:
        return newest
    return versions.objects.create(
        qualification=qualification,
        number=(newest.number if newest else 0) + 1,
        declared_version=qualification.rules_version,
        rules=rules_data(rules),
        fingerprint=found,
    )
