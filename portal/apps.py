from django.apps import AppConfig


class PortalConfig(AppConfig):
    """People, centres and the roles people hold in centres."""

    name = "portal"
    verbose_name = "People and centres"
    default_auto_field = "django.db.models.BigAutoField"
