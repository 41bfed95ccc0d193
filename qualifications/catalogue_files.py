"""Reading the catalogue's YAML files and checking them against their source texts.

The files are described in docs/catalogue-format.md. This module has no ORM in it: the loader,
the validation command and the tests all build on it, and so can a person checking a file by
hand with `python -m qualifications.catalogue_files fixtures/catalogue/001-....yaml`.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CATALOGUE_DIR = FIXTURES / "catalogue"
SEEDS_DIR = FIXTURES / "seeds"

_TAG = re.compile(r"<[^>]+>")
_MARKS = re.compile(r"\*\*|\*|#+|\||•|▪")
_LIST_MARKER = re.compile(r"(^|\s)-(\s)")
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r" ([,.;:])")
# Curly quotes and en dashes compare equal to their plain forms.
_TYPOGRAPHY = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"}
)


def normalise(text: str) -> str:
    """Text reduced to what both a source and a fixture must agree on: words and punctuation.

    Tags, Markdown marks, bullets and list dashes go; quotes and apostrophes are compared
    without regard to their typography; white space is folded.
    """
    text = html.unescape(_TAG.sub(" ", text))
    text = _MARKS.sub(" ", text)
    text = _LIST_MARKER.sub(r"\1\2", text)
    text = text.translate(_TYPOGRAPHY)
    # A mark removed just before punctuation ("**problems**.") must not leave "problems ." behind.
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACE.sub(" ", text)).strip()


@dataclass(frozen=True)
class Item:
    """One piece of wording in a file, named the way a correction's `where` names it."""

    where: str
    text: str


def catalogue_files(directory: Path = CATALOGUE_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


def read(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        # libyaml's safe loader where PyYAML has it (as the loader uses): ten times quicker, the
        # same data. The validation and the tests read every file many times.
        data: dict[str, Any] = yaml.load(
            handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    return data


# A rule of a unit's `assessment` is named by its list and what tells it apart within the unit.
RULE_NAMES = {
    "simulation": lambda r: f"simulation {r.get('element') or 'unit'}",
    "evidence_kinds": lambda r: (
        f"evidence kind {r.get('kind')} {','.join(map(str, r.get('criteria') or [])) or 'all'}"
    ),
    "methods": lambda r: f"method {r.get('method')} {r.get('evidence_kind') or 'any'}",
    "sufficiency": lambda r: f"sufficiency {r.get('measure')}",
    "realistic_environment": lambda r: "realistic working environment",
}


def items(data: dict[str, Any]) -> Iterator[Item]:
    """Every unit title and every outcome, criterion, range, knowledge and evidence text, and
    the specification's words that each rule of how a unit is assessed quotes."""
    for unit in data.get("units") or []:
        prefix = f"Unit {unit['code']}"
        yield Item(f"{prefix}, title", unit["title"])
        for outcome in unit.get("outcomes") or []:
            yield Item(f"{prefix}, outcome {outcome['number']}", outcome["text"])
            for criterion in outcome.get("criteria") or []:
                yield Item(f"{prefix}, criterion {criterion['number']}", criterion["text"])
        for group in unit.get("range") or []:
            ref = f"{group['element']}{group['category']}"
            for entry in group.get("items") or []:
                yield Item(f"{prefix}, range {ref}({entry['number']})", entry["text"])
        for entry in unit.get("knowledge") or []:
            yield Item(f"{prefix}, knowledge {entry['number']}", entry["text"])
        for entry in unit.get("evidence_requirements") or []:
            yield Item(f"{prefix}, evidence requirement {entry['number']}", entry["text"])
        yield from assessment_items(prefix, unit.get("assessment") or {})


def assessment_items(prefix: str, assessment: dict[str, Any]) -> Iterator[Item]:
    if assessment.get("statement"):
        yield Item(f"{prefix}, assessment statement", assessment["statement"])
    for name, named in RULE_NAMES.items():
        for rule in assessment.get(name) or []:
            yield Item(f"{prefix}, {named(rule)}", str(rule.get("quote") or ""))


def corrected(data: dict[str, Any]) -> set[str]:
    """The places the file's corrections name (the part of `where` before any further detail)."""
    return {str(c["where"]).strip() for c in data.get("corrections") or []}


def unfaithful(data: dict[str, Any], source: str) -> list[Item]:
    """Wording that is neither printed in the source nor named by a correction."""
    printed = normalise(source)
    named = corrected(data)
    found = []
    for item in items(data):
        if item.where in named:
            continue
        lines = [line.strip() for line in item.text.splitlines() if line.strip()]
        if not all(normalise(line) in printed for line in lines):
            found.append(item)
    return found


def source_text(data: dict[str, Any]) -> str:
    return (SEEDS_DIR / data["source"]["file"]).read_text(encoding="utf-8")


def main(paths: list[str]) -> int:
    status = 0
    for name in paths or [str(p) for p in catalogue_files()]:
        data = read(Path(name))
        problems = unfaithful(data, source_text(data))
        for item in problems:
            print(f"{name}: {item.where}: not in the source: {item.text!r}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
