from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    """Criterion decisions, countersignatures and unit sign-off."""

    name = "assessment"
    default_auto_field = "django.db.models.BigAutoField"
