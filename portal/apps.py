from django.apps import AppConfig


class PortalConfig(AppConfig):
    """People, centres and the roles people hold in centres."""

    name = "portal"
    verbose_name = "People and centres"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal.sessions import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="portal-session-stamp")
