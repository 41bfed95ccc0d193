from django.apps import AppConfig


class EqaConfig(AppConfig):
    """External quality assurance: the awarding organisation's assessor of a centre, given a
    time-boxed, read-only window on one qualification there (decision 29)."""

    name = "eqa"
    verbose_name = "External quality assurance"
    default_auto_field = "django.db.models.BigAutoField"
