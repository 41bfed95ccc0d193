"""A qualification's rules as plain JSON data, and a fingerprint of what they require.

A registration is pinned to the rules it was made under (`qualifications.RulesVersion`, decision
27): the version keeps its rules as this data, read back into the engine's `Rules` unchanged.
The fingerprint covers what the rules require (units with their levels, credits and GLH, the
groups and their limits, the totals, level rules, barred sets, equivalences, whether rules are
published, and the version number the catalogue file declares), not their wording (titles and
notes): correcting a unit's title is not a new version of the rules, and does not ask every
registration to be transferred. No ORM here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from qualifications.rules.model import Equivalence, Group, LevelRule, Rules, Unit

# Bumped if the layout below changes: older versions' data is then read by a branch of its own.
LAYOUT = 1


def rules_data(rules: Rules) -> dict[str, Any]:
    """The rules as JSON-ready data (`rules_from_data` reads it back equal)."""
    return {
        "layout": LAYOUT,
        "code": rules.code,
        "title": rules.title,
        "published": rules.published,
        "min_credits": rules.min_credits,
        "min_units": rules.min_units,
        "min_glh": rules.min_glh,
        "units": [asdict(unit) for unit in rules.units.values()],
        "groups": [asdict(group) for group in rules.groups],
        "level_rules": [asdict(rule) for rule in rules.level_rules],
        "barred": [list(codes) for codes in rules.barred],
        "equivalences": [asdict(e) for e in rules.equivalences],
    }


def rules_from_data(data: dict[str, Any]) -> Rules:
    return Rules(
        code=data["code"],
        title=data["title"],
        units={u["code"]: Unit(**u) for u in data["units"]},
        published=data["published"],
        groups=tuple(Group(**{**g, "units": tuple(g["units"])}) for g in data["groups"]),
        min_credits=data["min_credits"],
        min_units=data["min_units"],
        min_glh=data["min_glh"],
        level_rules=tuple(LevelRule(**r) for r in data["level_rules"]),
        barred=tuple(tuple(codes) for codes in data["barred"]),
        equivalences=tuple(
            Equivalence(**{**e, "satisfied_by": tuple(e["satisfied_by"])})
            for e in data["equivalences"]
        ),
    )


# Wording: what a correction may change without changing what the rules require.
WORDING = {"title", "note"}


def _without_wording(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_wording(v) for k, v in value.items() if k not in WORDING}
    if isinstance(value, list):
        return [_without_wording(v) for v in value]
    return value


def fingerprint(rules: Rules, declared_version: int) -> str:
    """A SHA-256 of what the rules require (their wording left out) and of the version number
    the catalogue declares for them: equal fingerprints, the same rules."""
    substance = _without_wording(rules_data(rules))
    # The order the specification prints units in is wording too.
    substance["units"] = sorted(substance["units"], key=lambda u: u["code"])
    for group in substance["groups"]:
        group["units"] = sorted(group["units"])
    substance["declared_version"] = declared_version
    text = json.dumps(substance, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
