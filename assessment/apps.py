from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    """Criterion decisions, countersignatures and unit sign-off."""

    name = "assessment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # RPL is agreed only within the assessor's competence, where the centre enforces its
        # register (decision 54).
        from assessment.rpl_competence import connect_signals

        connect_signals()
