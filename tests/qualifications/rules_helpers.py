"""Building small rule sets for the engine's tests."""

from qualifications.rules import Group, LevelRule, Rules, Unit


def units(*specs: tuple[str, int | None, int, int | None]) -> dict[str, Unit]:
    """(code, credits, level, glh) for each unit."""
    return {
        code: Unit(code, f"Unit {code}", level, credits, glh) for code, credits, level, glh in specs
    }


def diploma_000() -> Rules:
    """Seed 000's shape: 20 mandatory credits, at least 17 optional, at most 20 at level 3."""
    bank = units(
        ("M1", 10, 2, 50),
        ("M2", 10, 2, 50),
        ("O1", 6, 2, 40),
        ("O2", 6, 2, 45),
        ("O3", 5, 2, 30),
        ("H1", 7, 3, 25),
        ("H2", 7, 3, 30),
        ("H3", 6, 3, 30),
        ("H4", 5, 3, 40),
    )
    return Rules(
        code="D0",
        title="Diploma",
        units=bank,
        min_credits=37,
        groups=(
            Group("M", "Mandatory Units", ("M1", "M2"), mandatory=True),
            Group(
                "O", "Optional Units", ("O1", "O2", "O3", "H1", "H2", "H3", "H4"), min_credits=17
            ),
        ),
        level_rules=(LevelRule(3, max_credits=20),),
    )


def diploma_001() -> Rules:
    """Seed 001's shape: A mandatory (19), B at least 3, C at least 16, D at most 7; 45 in all."""
    bank = units(
        ("A1", 10, 2, 60),
        ("A2", 9, 2, 50),
        ("B1", 3, 2, 14),
        ("B2", 3, 2, 20),
        ("C1", 5, 2, 22),
        ("C2", 5, 2, 33),
        ("C3", 4, 2, 20),
        ("C4", 3, 2, 15),
        ("C5", 3, 2, 16),
        ("C6", 4, 3, None),
        ("D1", 4, 2, 10),
        ("D2", 3, 2, 8),
        ("D3", 3, 2, 9),
    )
    return Rules(
        code="D1",
        title="Diploma",
        units=bank,
        min_credits=45,
        groups=(
            Group("A", "Group A", ("A1", "A2"), mandatory=True),
            Group("B", "Group B", ("B1", "B2"), min_credits=3),
            Group("C", "Group C", ("C1", "C2", "C3", "C4", "C5", "C6"), min_credits=16),
            Group("D", "Group D", ("D1", "D2", "D3"), max_credits=7),
        ),
    )


def certificate_cvq() -> Rules:
    """Seed 004's shape: five mandatory units and at least one optional; six units in all."""
    bank = units(*[(f"U{i}", None, 2, None) for i in range(1, 10)])
    return Rules(
        code="CVQ",
        title="Customer Service Level 2",
        units=bank,
        min_units=6,
        groups=(
            Group("M", "Mandatory Units", ("U1", "U2", "U3", "U4", "U5"), mandatory=True),
            Group("O", "Optional Units", ("U6", "U7", "U8", "U9"), min_units=1),
        ),
    )
