"""Rules of combination as plain data: what the engine reads. No ORM here (see adapter.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Unit:
    code: str
    title: str
    level: int
    credits: int | None = None
    glh: int | None = None


@dataclass(frozen=True)
class Group:
    code: str
    title: str
    units: tuple[str, ...]
    mandatory: bool = False
    min_credits: int | None = None
    max_credits: int | None = None
    min_units: int | None = None
    max_units: int | None = None


@dataclass(frozen=True)
class LevelRule:
    """At most `max_credits`, or at least `min_credits`, from units at (or above) `level`."""

    level: int
    max_credits: int | None = None
    min_credits: int | None = None
    or_above: bool = True

    def covers(self, level: int) -> bool:
        return level >= self.level if self.or_above else level == self.level

    @property
    def scope(self) -> str:
        return f"level {self.level}{' or above' if self.or_above else ''}"


@dataclass(frozen=True)
class Equivalence:
    """Achieving any of `satisfied_by` satisfies `unit` without earning its credit."""

    unit: str
    satisfied_by: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Rules:
    """One qualification's rules of combination and the units it may use."""

    code: str
    title: str
    units: Mapping[str, Unit]
    published: bool = True
    groups: tuple[Group, ...] = ()
    min_credits: int | None = None
    min_units: int | None = None
    min_glh: int | None = None
    level_rules: tuple[LevelRule, ...] = ()
    barred: tuple[tuple[str, ...], ...] = ()
    equivalences: tuple[Equivalence, ...] = ()
    group_of: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Read-only views: a process shares one Rules between its requests (rules.adapter).
        object.__setattr__(self, "units", MappingProxyType(dict(self.units)))
        object.__setattr__(
            self,
            "group_of",
            MappingProxyType({code: g.code for g in self.groups for code in g.units}),
        )

    def __reduce__(self) -> tuple[type[Rules], tuple[object, ...]]:
        # A read-only view cannot be pickled: rebuild from the fields instead, so rules can go
        # to other processes (generate_load_data hands them to its workers).
        return (
            Rules,
            (
                self.code, self.title, dict(self.units), self.published, self.groups,
                self.min_credits, self.min_units, self.min_glh, self.level_rules, self.barred,
                self.equivalences,
            ),
        )  # fmt: skip

    def name(self, code: str) -> str:
        unit = self.units.get(code)
        return f"{code} {unit.title}" if unit else code
