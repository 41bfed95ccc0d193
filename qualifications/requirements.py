"""How a unit must be assessed, as its specification says it (decision 48).

Each rule keeps the specification's own words (`quote`), shown beside it and checked against the
seed text by the tests: whether simulated performance evidence is allowed (for the unit, or for
one element by exception), which kinds of evidence and which methods are required or allowed,
and how much evidence is sufficient. The evidence requirements C&G lists per unit are
`EvidenceRequirement` rows, each of a `RequirementKind`. The catalogue stores
these rules; assessment enforces them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models

from qualifications.ordering import Ordered


class RequirementKind(models.TextChoices):
    """What an evidence requirement asks of the assessor (decision 48)."""

    MEET = "meet", "To be met"  # each of its items (or the whole, if it has none) evidenced
    CONDITION = "condition", "A condition on the evidence"  # where and how it must be collected
    # What the unit permits ("You may collect the evidence ..."): shown, never ticked (decision
    # 52, amended on 7 December 2026).
    PERMISSION = "permission", "What the unit permits"
    SUFFICIENCY = "sufficiency", "How much evidence"  # judged through the unit's sufficiency rules


@dataclass(frozen=True)
class RequirementItem:
    """One thing an evidence requirement asks to be evidenced: "5b during a busy time ..."."""

    reference: str
    text: str
    element: str = ""  # the element its requirement names; blank: the whole unit


# A listed item as the catalogue writes it: "a during ...", "a. during ...", "(ii) ...", "• ...".
_ITEM = re.compile(r"^(?:\(([ivx]+)\)|([a-z])[.)]?|•)\s+(.*)$")


class EvidenceRequirement(Ordered):
    unit = models.ForeignKey(
        "qualifications.Unit", on_delete=models.CASCADE, related_name="evidence_requirements"
    )
    number = models.CharField(max_length=10)
    text = models.TextField()
    kind = models.CharField(
        max_length=12, choices=RequirementKind.choices, default=RequirementKind.MEET
    )
    element = models.CharField(
        max_length=10,
        blank=True,
        help_text="The element it is for, where the specification says; blank: the whole unit.",
    )

    class Meta(Ordered.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "number"], name="evidence_requirement_unique_in_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text}"

    @property
    def items(self) -> list[RequirementItem]:
        """What can be met, each with its reference ("5b"): the listed items under the lead-in,
        or the requirement itself when it lists none. Only a requirement to meet has any."""
        if self.kind != RequirementKind.MEET:
            return []
        lines = [line.strip() for line in self.text.splitlines() if line.strip()]
        listed = [_ITEM.match(line) for line in lines[1:]]
        if not listed or not all(listed):
            return [RequirementItem(self.number, self.text, self.element)]
        # Lettered and numbered items keep their letter (5b, 2ii); bullets are counted (3.1).
        return [
            RequirementItem(
                f"{self.number}{match[1] or match[2]}"
                if match[1] or match[2]
                else f"{self.number}.{n + 1}",
                match[3],
                self.element,
            )
            for n, match in enumerate(m for m in listed if m)
        ]


class EvidenceKind(models.TextChoices):
    """The kinds of evidence CVQ evidence guides name (seed 004)."""

    PERFORMANCE = "performance", "Performance evidence"
    SUPPLEMENTARY = "supplementary", "Supplementary evidence"
    KNOWLEDGE = "knowledge", "Knowledge and understanding evidence"


class Need(models.TextChoices):
    REQUIRED = "required", "Required"
    ALLOWED = "allowed", "Allowed"


class AssessmentMethod(models.TextChoices):
    """The methods of assessment the specifications name (DOMAIN.md, "Evidence")."""

    OBSERVATION = "observation", "Observation by the assessor"
    PRODUCT = "product", "Product of work"
    WITNESS_TESTIMONY = "witness_testimony", "Witness testimony"
    EXPERT_WITNESS = "expert_witness", "Expert witness"
    PROFESSIONAL_DISCUSSION = "professional_discussion", "Professional discussion"
    QUESTIONING = "questioning", "Questioning"
    PERSONAL_STATEMENT = "personal_statement", "Personal statement"
    CASE_STUDY = "case_study", "Case study or case history"
    ASSIGNMENT = "assignment", "Assignment"
    SCENARIO = "scenario", "Scenario"
    PORTFOLIO = "portfolio", "Portfolio of evidence"


class Quoted(Ordered):
    """A rule of how a unit is assessed, with the specification's own words (`quote`), which
    the portal shows and a test finds in the seed text."""

    quote = models.TextField(help_text="The specification's own words for this rule.")

    class Meta(Ordered.Meta):
        abstract = True


class SimulationRule(Quoted):
    """Whether simulated performance evidence is allowed: in the whole unit (no element), or
    for one element where the specification makes an exception (U00306's elements 2 to 4)."""

    unit = models.ForeignKey(
        "qualifications.Unit", on_delete=models.CASCADE, related_name="simulation_rules"
    )
    element = models.CharField(max_length=10, blank=True, help_text="Blank: the whole unit.")
    allowed = models.BooleanField()

    class Meta(Quoted.Meta):
        constraints = [
            models.UniqueConstraint(fields=["unit", "element"], name="simulation_rule_unique")
        ]

    def __str__(self) -> str:
        where = self.element_words if self.element else "the unit"
        return f"Simulation {'allowed' if self.allowed else 'not allowed'} in {where}"

    @property
    def element_words(self) -> str:
        """ "element 2", or, where the quote numbers the unit's elements in the specification's
        own scheme (U00306's structure table numbers them 5.1 to 5.6, so its "Elements 5.2, 5.3
        and 5.4" are elements 2 to 4 here), "element 2 (numbered 5.2 in the specification)": so
        the page does not seem to quote another element's words."""
        if not self.element:
            return ""
        words = f"element {self.element}"
        if "element" not in self.quote.lower():
            return words
        for major, minor in re.findall(r"\b(\d+)\.(\d+)\b", self.quote):
            if minor == self.element and major != self.element:
                return f"{words} (numbered {major}.{minor} in the specification)"
        return words


class EnvironmentRule(Quoted):
    """The unit accepts evidence collected in a realistic working environment as real work, as
    its specification says (C&G 3412 units 208 to 219: "However, for this Unit, evidence
    collected in a realistic working environment or a work placement is permissible."; CVQ
    U09602: "in a realistic working environment"). Where a unit has none, evidence from a
    realistic working environment is not real work: it counts as simulated (decision 51,
    amended on 7 December 2026)."""

    unit = models.OneToOneField(
        "qualifications.Unit", on_delete=models.CASCADE, related_name="environment_rule"
    )

    def __str__(self) -> str:
        return "Evidence from a realistic working environment accepted as real work"


# Evidence settings (`portfolios.EvidenceSetting`, a floor above, names them the same).
SIMULATED = "simulated"
REALISTIC = "realistic"


def simulated_for(setting: str, environment_accepted: bool) -> bool:
    """Whether evidence of `setting` counts as simulated for a unit: simulated evidence always;
    evidence from a realistic working environment unless the unit accepts it as real work (its
    `EnvironmentRule`; decision 51, amended on 7 December 2026)."""
    return setting == SIMULATED or (setting == REALISTIC and not environment_accepted)


def why_not_real(setting: str) -> str:
    """How a refusal says why the evidence is not real work."""
    if setting == REALISTIC:
        return (
            "is from a realistic working environment, which this unit does not accept as real work"
        )
    return "is simulated"


def simulation_rule(rules: Iterable[SimulationRule], element: str) -> SimulationRule | None:
    """The rule that says whether simulation is allowed in `element` (blank: the unit): the
    element's own rule, else the unit's, else None (not stated)."""
    found = {rule.element: rule for rule in rules}
    return (found.get(element) if element else None) or found.get("")


class EvidenceKindRule(Quoted):
    """A kind of evidence the unit requires or allows, for all of it or for some criteria."""

    unit = models.ForeignKey(
        "qualifications.Unit", on_delete=models.CASCADE, related_name="evidence_kind_rules"
    )
    kind = models.CharField(max_length=15, choices=EvidenceKind.choices)
    need = models.CharField(max_length=10, choices=Need.choices)
    criteria = models.CharField(
        max_length=200, blank=True, help_text="Criterion numbers, comma-separated; blank: all."
    )

    class Meta(Quoted.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "kind", "criteria"], name="evidence_kind_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_need_display().lower()}"

    @property
    def criterion_numbers(self) -> list[str]:
        return [n.strip() for n in self.criteria.split(",") if n.strip()]

    @property
    def criteria_words(self) -> str:
        """ "6.2, 6.3": the numbers as kept ("6.2,6.3") spaced for reading."""
        return ", ".join(self.criterion_numbers)


class MethodRule(Quoted):
    """An assessment method the unit requires or allows, for one kind of evidence or any."""

    unit = models.ForeignKey(
        "qualifications.Unit", on_delete=models.CASCADE, related_name="method_rules"
    )
    method = models.CharField(max_length=30, choices=AssessmentMethod.choices)
    evidence_kind = models.CharField(
        max_length=15, choices=EvidenceKind.choices, blank=True, help_text="Blank: any kind."
    )
    need = models.CharField(max_length=10, choices=Need.choices)

    class Meta(Quoted.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "method", "evidence_kind"], name="method_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.get_need_display().lower()}"


class SufficiencyMeasure(models.TextChoices):
    OCCASIONS = "occasions", "Different occasions"
    CUSTOMERS = "customers", "Different customers"
    PERIOD = "period", "A sufficient period of time"


class SufficiencyRule(Quoted):
    """How much evidence is enough: at least `minimum` different occasions or customers, or
    (no minimum) a period the assessor judges sufficient, in the specification's words."""

    unit = models.ForeignKey(
        "qualifications.Unit", on_delete=models.CASCADE, related_name="sufficiency_rules"
    )
    measure = models.CharField(max_length=10, choices=SufficiencyMeasure.choices)
    minimum = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Blank: the assessor judges (no number is stated)."
    )

    class Meta(Quoted.Meta):
        constraints = [
            models.UniqueConstraint(fields=["unit", "measure"], name="sufficiency_rule_unique")
        ]

    def __str__(self) -> str:
        if self.minimum is None:
            return self.get_measure_display()
        return f"At least {self.minimum}: {self.get_measure_display().lower()}"
