from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    """Registrations, unit choice, evidence and its mapping to criteria."""

    name = "portfolios"
    default_auto_field = "django.db.models.BigAutoField"
