from django.apps import AppConfig


class QualificationsConfig(AppConfig):
    """The catalogue: awarding organisations, qualifications, units and rules of combination."""

    name = "qualifications"
    default_auto_field = "django.db.models.BigAutoField"
