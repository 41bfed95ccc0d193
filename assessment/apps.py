from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    """Criterion decisions, countersignatures and unit sign-off."""

    name = "assessment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # RPL is agreed only within the assessor's competence, where the centre enforces its
        # register (decision 54).
        from assessment import rpl_competence, rpl_rules

        rpl_competence.connect_signals()
        # RPL for an item on simulated evidence obeys the unit's simulation rules (decision 52,
        # amended after review).
        rpl_rules.connect_signals()
