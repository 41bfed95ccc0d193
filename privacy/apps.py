from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data protection beside the roof: a learner's data exported on request (subject access) and
    anonymised once the retention period has passed. It reads across every app below."""

    name = "privacy"
    verbose_name = "Data protection"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from privacy import checks  # noqa: F401  (registers the retention period's check)
