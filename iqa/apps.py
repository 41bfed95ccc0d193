from django.apps import AppConfig


class IqaConfig(AppConfig):
    """Internal quality assurance: strategies, sampling plans, samples and actions."""

    name = "iqa"
    verbose_name = "Internal quality assurance"
    default_auto_field = "django.db.models.BigAutoField"
