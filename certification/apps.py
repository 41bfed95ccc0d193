from django.apps import AppConfig


class CertificationConfig(AppConfig):
    """Claims, certificates, unit certificates and public verification."""

    name = "certification"
    default_auto_field = "django.db.models.BigAutoField"
