"""Loading the catalogue's YAML files into the database, idempotently.

Rows are matched by their natural keys (a qualification's or unit's code, a criterion's number
within its unit ...), so loading the same files again changes nothing, and loading an edited file
updates rows in place and keeps their ids. A unit printed in several specifications is one row
when every file says the same of it; when two files disagree, loading stops and says where.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models, transaction

from qualifications import catalogue_files
from qualifications.lifecycle import date_problems
from qualifications.models import (
    AwardingOrganisation,
    BarredCombination,
    CatalogueFile,
    Correction,
    Criterion,
    EnvironmentRule,
    Equivalence,
    EvidenceKindRule,
    EvidenceRequirement,
    KnowledgeItem,
    LearningOutcome,
    LevelRule,
    MethodRule,
    Qualification,
    QualificationStatus,
    QualificationUnit,
    RangeItem,
    RuleGroup,
    SimulationRule,
    SufficiencyRule,
    Terminology,
    Unit,
    pattern_problem,
)
from qualifications.requirements import (
    AssessmentMethod,
    EvidenceKind,
    Need,
    RequirementKind,
    SufficiencyMeasure,
)
from qualifications.revisions import deferred, revise_all
from qualifications.rules.versions import record_versions

AVAILABLE = "available"  # the group name for units of a qualification without published rules


class CatalogueError(Exception):
    """A data file that cannot be loaded; the message says which file and where."""


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def catalogue_load(paths: Sequence[Path] | None = None, *, force: bool = False) -> LoadReport:
    """Load the catalogue files (all of fixtures/catalogue/ by default).

    Files whose content has not changed since they were last loaded are skipped unless `force`.
    Everything is loaded in one transaction: a file that fails leaves the database as it was.
    """
    paths = list(paths) if paths is not None else catalogue_files.catalogue_files()
    report = LoadReport()
    documents = [(path, path.read_bytes()) for path in paths]
    parsed = [(path.name, parse(path, raw)) for path, raw in documents]
    units = merge_units(parsed)
    with transaction.atomic(), deferred():
        for (path, raw), (_, data) in zip(documents, parsed, strict=True):
            digest = hashlib.sha256(raw).hexdigest()
            known = CatalogueFile.objects.filter(name=path.name, sha256=digest).exists()
            if known and not force:
                report.unchanged.append(path.name)
                continue
            load_document(path.name, data, units)
            CatalogueFile.objects.update_or_create(name=path.name, defaults={"sha256": digest})
            report.loaded.append(path.name)
        if report.loaded:
            # Rules built before this load are out of date in every process. All of them, not
            # only those of the files loaded: a unit is shared between files, and loads are rare.
            revise_all()
            # A new version of each qualification's rules that changed, numbered now: the
            # registrations made before keep theirs (decision 27).
            record_versions(Qualification.objects.all())
    return report


def parse(path: Path, raw: bytes) -> dict[str, Any]:
    import yaml

    try:
        # libyaml's safe loader where PyYAML has it (ten times quicker, the same data).
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path.name}: not valid YAML: {error}") from error
    problems = list(structure_problems(data))
    if problems:
        raise CatalogueError(f"{path.name}: " + "; ".join(problems))
    return data  # type: ignore[no-any-return]


REQUIRED = {
    "qualification": ("code", "title", "level", "units"),
    "unit": ("code", "title", "level", "outcomes"),
    "outcome": ("number", "text", "criteria"),
    "criterion": ("number", "text"),
}


def structure_problems(data: Any) -> Iterable[str]:
    if not isinstance(data, dict):
        yield "the file must hold a mapping"
        return
    for key in ("source", "qualifications", "units"):
        if key not in data:
            yield f"missing '{key}'"
    for organisation in data.get("awarding_organisations") or []:
        if isinstance(organisation, dict):
            where = f"awarding organisation {organisation.get('code') or '?'}"
            yield from policy_problems(organisation.get("claim_policy"), AO_POLICY, where)
    for qualification in data.get("qualifications") or []:
        yield from missing(qualification, "qualification")
        if isinstance(qualification, dict):
            yield from lifecycle_problems(qualification)
            where = f"qualification {qualification.get('code') or '?'}"
            yield from policy_problems(qualification.get("claim_policy"), OWN_POLICY, where)
    for unit in data.get("units") or []:
        yield from missing(unit, "unit")
        if isinstance(unit, dict):
            yield from assessment_problems(unit)
        for outcome in unit.get("outcomes") or []:
            yield from missing(outcome, "outcome", f"unit {unit.get('code')}")
            for criterion in outcome.get("criteria") or []:
                yield from missing(criterion, "criterion", f"unit {unit.get('code')}")


def missing(record: Any, kind: str, context: str = "") -> Iterable[str]:
    where = (
        f"{kind} {record.get('code') or record.get('number') or '?'}"
        if isinstance(record, dict)
        else kind
    )
    if context:
        where = f"{context}, {where}"
    if not isinstance(record, dict):
        yield f"{where}: must be a mapping"
        return
    for key in REQUIRED[kind]:
        if record.get(key) in (None, ""):
            yield f"{where}: missing '{key}'"


# The lists of a unit's `assessment` (docs/catalogue-format.md): for each, the keys a rule takes
# and the values each key may hold (None: any).
ASSESSMENT_RULES: dict[str, dict[str, Any]] = {
    "simulation": {"element": None, "allowed": (True, False), "quote": None},
    "evidence_kinds": {
        "kind": EvidenceKind.values,
        "need": Need.values,
        "criteria": None,
        "quote": None,
    },
    "methods": {
        "method": AssessmentMethod.values,
        "evidence_kind": [*EvidenceKind.values, None],
        "need": Need.values,
        "quote": None,
    },
    "sufficiency": {"measure": SufficiencyMeasure.values, "minimum": None, "quote": None},
    "realistic_environment": {"quote": None},
}


def assessment_problems(unit: dict[str, Any]) -> Iterable[str]:
    """A unit's `assessment` holds known lists of rules, each of known keys and values; the
    kind of each evidence requirement is one the portal knows."""
    where = f"unit {unit.get('code') or '?'}"
    for entry in unit.get("evidence_requirements") or []:
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind is not None and kind not in RequirementKind.values:
            known = ", ".join(RequirementKind.values)
            number = entry.get("number")
            yield f"{where}, evidence requirement {number}: kind {kind!r} is not one of {known}"
    assessment = unit.get("assessment")
    if assessment is None:
        return
    if not isinstance(assessment, dict):
        yield f"{where}: assessment must be a mapping"
        return
    for name in set(assessment) - {"statement", *ASSESSMENT_RULES}:
        yield f"{where}: assessment has no key {name!r}"
    for name, keys in ASSESSMENT_RULES.items():
        for rule in assessment.get(name) or []:
            if not isinstance(rule, dict):
                yield f"{where}: each of assessment {name} must be a mapping"
                continue
            for key in set(rule) - set(keys):
                yield f"{where}: assessment {name} has no key {key!r}"
            for key, values in keys.items():
                if values is not None and rule.get(key) not in values:
                    shown = ", ".join(str(v).lower() for v in values)
                    said = rule.get(key)
                    yield f"{where}: assessment {name} {key} {said!r} is not one of {shown}"


LIFECYCLE_DATES = ("operational_start", "last_registration", "certification_end")


def lifecycle_problems(record: dict[str, Any]) -> Iterable[str]:
    """A status the portal knows, dates that are dates (YYYY-MM-DD), in their order."""
    where = f"qualification {record.get('code') or '?'}"
    status = record.get("status") or QualificationStatus.OPERATIONAL
    if status not in QualificationStatus.values:
        yield f"{where}: status {status!r} is not one of {', '.join(QualificationStatus.values)}"
    read = {key: as_date(record.get(key)) for key in LIFECYCLE_DATES}
    dates = [value for value in read.values() if not isinstance(value, bool)]
    if len(dates) < len(read):
        wrong = [key for key, value in read.items() if value is False]
        yield f"{where}: {', '.join(wrong)} must be a date written YYYY-MM-DD, or null"
        return
    yield from (f"{where}: {problem}" for problem in date_problems(*dates))


# The keys of a claim policy (docs/claim-policy.md), the kind of value each takes (null: not
# said), and the model field each is kept in: an AO's, and a qualification's own.
OWN_POLICY = {
    "min_weeks_before_claim": (int, "min_weeks_before_claim"),
    "registration_number_required": (bool, "registration_number_required"),
    "min_age": (int, "min_age"),
    "note": (str, "claim_policy_note"),
}
AO_POLICY = {
    **OWN_POLICY,
    "registration_number_pattern": (str, "registration_number_pattern"),
    "registration_number_format": (str, "registration_number_format"),
}


def policy_problems(policy: Any, keys: dict[str, tuple[type, str]], where: str) -> Iterable[str]:
    """A claim policy is a mapping of known keys, each null or of its kind: whole numbers of
    weeks and years (not negative), true or false, text; a pattern that is a regular expression."""
    if policy is None:
        return
    if not isinstance(policy, dict):
        yield f"{where}: claim_policy must be a mapping"
        return
    for key, value in policy.items():
        if key not in keys:
            yield f"{where}: claim_policy has no key {key!r} ({', '.join(keys)})"
            continue
        kind = keys[key][0]
        # bool is a kind of int in Python: true is not a number of weeks.
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if value is not None and (wrong or (kind is int and value < 0)):
            said = {int: "a whole number, 0 or more", bool: "true or false", str: "text"}[kind]
            yield f"{where}: claim_policy {key} must be {said}, or null"
    pattern = policy.get("registration_number_pattern")
    if isinstance(pattern, str) and (problem := pattern_problem(pattern)):
        yield f"{where}: {problem}"


def policy_fields(policy: dict[str, Any] | None, keys: dict[str, tuple[type, str]]) -> dict:
    """A file's claim policy as the model's fields (a key left out: not said)."""
    given = policy or {}
    fields: dict[str, Any] = {}
    for key, (kind, name) in keys.items():
        value = given.get(key)
        fields[name] = text(value) if kind is str else value
    if keys is AO_POLICY:
        fields["registration_number_required"] = bool(fields["registration_number_required"])
    return fields


def as_date(value: Any) -> datetime.date | bool | None:
    """A date as YAML reads it, or as text (an export's JSON read back); False if neither."""
    if value is None or isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return False
    return False


# A unit printed in several specifications is the same unit when these agree exactly...
IDENTITY = (
    "reference",
    "title",
    "level",
    "credits",
    "outcomes",
    "range",
    "knowledge",
    "evidence_requirements",
)
# A URN and a UAN are two awarding bodies' names for the same register number.
SAME_KIND = {"urn": "register", "uan": "register"}
# ...and these, which one specification may leave out, agree wherever both give them.
COMPLEMENTARY = ("glh", "aim", "ao_unit_number", "evidence_guide", "assessment")


def merge_units(documents: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Every unit once, by code, with what each file adds to it and the files it came from."""
    merged: dict[str, dict[str, Any]] = {}
    for name, data in documents:
        for unit in data.get("units") or []:
            known = merged.get(unit["code"])
            if known is None:
                merged[unit["code"]] = {**unit, "source": name}
                continue
            clash = [k for k in IDENTITY if known.get(k) != unit.get(k)]
            kinds = {str(u.get("reference_type") or "none") for u in (known, unit)}
            if len({SAME_KIND.get(kind, kind) for kind in kinds}) > 1:
                clash.append("reference_type")
            clash += [
                k
                for k in COMPLEMENTARY
                if known.get(k) not in (None, "")
                and unit.get(k) not in (None, "")
                and known[k] != unit[k]
            ]
            if clash:
                raise CatalogueError(
                    f"Unit {unit['code']} is defined differently in {known['source']} and "
                    f"{name} ({', '.join(clash)}): make them agree, or give one a code of "
                    "its own, and record why."
                )
            for key in COMPLEMENTARY:
                if known.get(key) in (None, ""):
                    known[key] = unit.get(key)
            known["source"] += f", {name}"
    return merged


def load_document(name: str, data: dict[str, Any], merged: dict[str, dict[str, Any]]) -> None:
    for organisation in data.get("awarding_organisations") or []:
        AwardingOrganisation.objects.update_or_create(
            code=organisation["code"],
            defaults={
                "name": organisation["name"],
                **policy_fields(organisation.get("claim_policy"), AO_POLICY),
            },
        )
    units = {unit["code"]: load_unit(merged[unit["code"]]) for unit in data["units"]}
    for record in data["qualifications"]:
        load_qualification(name, record, units)
    load_corrections(name, data.get("corrections") or [])


def text(value: Any) -> str:
    return "" if value is None else str(value)


def load_unit(record: dict[str, Any]) -> Unit:
    guide = record.get("evidence_guide") or {}
    reference_type = record.get("reference_type") or "none"
    unit, _ = Unit.objects.update_or_create(
        code=record["code"],
        defaults={
            "reference": text(record.get("reference")),
            "reference_type": reference_type,
            "ao_unit_number": text(record.get("ao_unit_number")),
            "title": record["title"],
            "level": record["level"],
            "credits": record.get("credits"),
            "glh": record.get("glh"),
            "aim": text(record.get("aim")),
            "terminology": Terminology.ELEMENTS
            if reference_type == "tvetc"
            else Terminology.OUTCOMES,
            "critical_aspects": text(guide.get("critical_aspects")),
            "assessment_methods": text(guide.get("methods")),
            "assessment_context": text(guide.get("context")),
            "assessment_statement": text((record.get("assessment") or {}).get("statement")),
            "source": record["source"],
        },
    )
    outcomes = sync(
        LearningOutcome,
        {"unit": unit},
        ("number",),
        [
            {"number": str(o["number"]), "text": o["text"], "position": i}
            for i, o in enumerate(record["outcomes"])
        ],
    )
    sync(
        Criterion,
        {"unit": unit},
        ("number",),
        [
            {
                "number": str(c["number"]),
                "text": c["text"],
                "outcome": outcomes[(str(o["number"]),)],
                "position": position,
            }
            for position, (o, c) in enumerate(
                (o, c) for o in record["outcomes"] for c in o.get("criteria") or []
            )
        ],
    )
    sync(RangeItem, {"unit": unit}, ("element", "category", "number"), range_rows(record))
    sync(
        KnowledgeItem,
        {"unit": unit},
        ("number",),
        [
            {
                "number": str(k["number"]),
                "topic": text(k.get("topic")),
                "text": k["text"],
                "position": i,
            }
            for i, k in enumerate(record.get("knowledge") or [])
        ],
    )
    sync(
        EvidenceRequirement,
        {"unit": unit},
        ("number",),
        [
            {
                "number": str(e["number"]),
                "text": e["text"],
                "kind": e.get("kind") or RequirementKind.MEET,
                "element": str(e.get("element") or ""),
                "position": i,
            }
            for i, e in enumerate(record.get("evidence_requirements") or [])
        ],
    )
    load_assessment_rules(unit, record.get("assessment") or {})
    return unit


def load_assessment_rules(unit: Unit, assessment: dict[str, Any]) -> None:
    """How the unit must be assessed: its rules, each with the specification's words."""

    def rows(name: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            {
                **{key: read(rule) for key, read in fields.items()},
                "quote": text(rule.get("quote")),
                "position": i,
            }
            for i, rule in enumerate(assessment.get(name) or [])
        ]

    sync(
        SimulationRule,
        {"unit": unit},
        ("element",),
        rows(
            "simulation",
            element=lambda r: text(r.get("element")),
            allowed=lambda r: bool(r["allowed"]),
        ),
    )
    sync(
        EvidenceKindRule,
        {"unit": unit},
        ("kind", "criteria"),
        rows(
            "evidence_kinds",
            kind=lambda r: r["kind"],
            need=lambda r: r["need"],
            criteria=lambda r: ",".join(str(n) for n in r.get("criteria") or []),
        ),
    )
    sync(
        MethodRule,
        {"unit": unit},
        ("method", "evidence_kind"),
        rows(
            "methods",
            method=lambda r: r["method"],
            evidence_kind=lambda r: text(r.get("evidence_kind")),
            need=lambda r: r["need"],
        ),
    )
    sync(
        SufficiencyRule,
        {"unit": unit},
        ("measure",),
        rows("sufficiency", measure=lambda r: r["measure"], minimum=lambda r: r.get("minimum")),
    )
    sync(EnvironmentRule, {"unit": unit}, (), rows("realistic_environment")[:1])


def range_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for group in record.get("range") or []:
        for entry in group.get("items") or []:
            rows.append(
                {
                    "element": str(group["element"]),
                    "category": str(group["category"]),
                    "number": str(entry["number"]),
                    "applies_to": ",".join(str(e) for e in group.get("applies_to") or []),
                    "heading": text(group.get("heading")),
                    "text": entry["text"],
                    "position": len(rows),
                }
            )
    return rows


def sync(
    model: type[models.Model],
    parent: dict[str, Any],
    keys: tuple[str, ...],
    rows: list[dict[str, Any]],
) -> dict[tuple[str, ...], Any]:
    """Make the children of one parent exactly `rows`, matched on `keys`, keeping their ids."""
    existing = {
        tuple(str(getattr(obj, k)) for k in keys): obj
        for obj in model._default_manager.filter(**parent)
    }
    wanted: dict[tuple[str, ...], Any] = {}
    for row in rows:
        key = tuple(str(row[k]) for k in keys)
        obj = existing.pop(key, None)
        if obj is None:
            obj = model._default_manager.create(**parent, **row)
        elif any(getattr(obj, f) != v for f, v in row.items()):
            for f, v in row.items():
                setattr(obj, f, v)
            obj.save()
        wanted[key] = obj
    for obj in existing.values():
        obj.delete()
    return wanted


def load_qualification(source: str, record: dict[str, Any], units: dict[str, Unit]) -> None:
    rules = record.get("rules")
    organisation = record.get("awarding_organisation")
    qualification, _ = Qualification.objects.update_or_create(
        code=record["code"],
        defaults={
            "number": text(record.get("number")),
            "ao_number": text(record.get("ao_number")),
            "title": record["title"],
            "awarding_organisation": AwardingOrganisation.objects.get(code=organisation)
            if organisation
            else None,
            "level": record["level"],
            "min_credits": (rules or {}).get("min_credits", record.get("min_credits")),
            "glh": record.get("glh"),
            "tqt": record.get("tqt"),
            "grading": record.get("grading") or "pass_fail",
            "status": record.get("status") or QualificationStatus.OPERATIONAL,
            "status_note": text(record.get("status_note")),
            **{key: as_date(record.get(key)) for key in LIFECYCLE_DATES},
            "lifecycle_note": text(record.get("lifecycle_note")),
            **policy_fields(record.get("claim_policy"), OWN_POLICY),
            "aim": text(record.get("aim")),
            "rules_published": rules is not None,
            "rules_version": (rules or {}).get("version", 1),
            "min_units": (rules or {}).get("min_units"),
            "min_glh": (rules or {}).get("min_glh"),
            "source": source,
        },
    )
    groups = sync(
        RuleGroup,
        {"qualification": qualification},
        ("code",),
        [group_row(g, i) for i, g in enumerate((rules or {}).get("groups") or [])],
    )
    memberships = []
    for position, entry in enumerate(record["units"]):
        if entry["unit"] not in units:
            raise CatalogueError(
                f"{source}: qualification {record['code']} uses unit {entry['unit']}, "
                "which the file does not define"
            )
        group = entry.get("group")
        if rules is not None and (group,) not in groups:
            raise CatalogueError(
                f"{source}: unit {entry['unit']} of {record['code']} is in group {group!r}, "
                "which its rules do not define"
            )
        in_group = groups.get((group,)) if rules is not None else None
        memberships.append(
            {
                "unit_id": units[entry["unit"]].pk,
                "group_id": in_group.pk if in_group else None,
                "position": position,
            }
        )
    sync(QualificationUnit, {"qualification": qualification}, ("unit_id",), memberships)
    load_level_rules(qualification, rules or {})
    load_barred_and_equivalent(qualification, rules or {}, units, source)


def group_row(group: dict[str, Any], position: int) -> dict[str, Any]:
    return {
        "code": str(group["code"]),
        "title": group["title"],
        "mandatory": bool(group.get("mandatory")),
        "stated_credits": group.get("stated_credits"),
        "min_credits": group.get("min_credits"),
        "max_credits": group.get("max_credits"),
        "min_units": group.get("min_units"),
        "max_units": group.get("max_units"),
        "position": position,
    }


def load_level_rules(qualification: Qualification, rules: dict[str, Any]) -> None:
    rows = [
        {
            "kind": LevelRule.Kind.CAP,
            "level": c["level"],
            "credits": c["max_credits"],
            "or_above": bool(c.get("or_above", True)),
        }
        for c in rules.get("credit_caps_by_level") or []
    ] + [
        {
            "kind": LevelRule.Kind.MINIMUM,
            "level": m["level"],
            "credits": m["min_credits"],
            "or_above": True,
        }
        for m in rules.get("credit_minimums_by_level") or []
    ]
    sync(LevelRule, {"qualification": qualification}, ("kind", "level"), rows)


def load_barred_and_equivalent(
    qualification: Qualification, rules: dict[str, Any], units: dict[str, Unit], source: str
) -> None:
    def unit(code: str) -> Unit:
        if code not in units:
            raise CatalogueError(
                f"{source}: the rules of {qualification.code} name unknown unit {code}"
            )
        return units[code]

    # These are few and have no natural key: replace them when the file changes.
    qualification.barred_combinations.all().delete()
    for barred in rules.get("barred") or []:
        barred_row = BarredCombination.objects.create(qualification=qualification)
        barred_row.units.set([unit(code) for code in barred])
    qualification.equivalences.all().delete()
    for entry in rules.get("equivalences") or []:
        equivalence = Equivalence.objects.create(
            qualification=qualification, unit=unit(entry["unit"]), note=text(entry.get("note"))
        )
        equivalence.satisfied_by.set([unit(code) for code in entry["satisfied_by"]])


def load_corrections(source: str, records: list[dict[str, Any]]) -> None:
    rows = []
    for position, record in enumerate(records):
        where = str(record["where"])
        kind, _, code = where.partition(",")[0].partition(" ")
        rows.append(
            {
                "where": where,
                "source_said": text(record.get("source_said")),
                "chosen": text(record.get("chosen")),
                "why": text(record.get("why")),
                "unit": Unit.objects.filter(code=code).first() if kind == "Unit" else None,
                "qualification": Qualification.objects.filter(code=code).first()
                if kind == "Qualification"
                else None,
                "position": position,
            }
        )
    sync(Correction, {"source": source}, ("position",), rows)
