from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The roof: each role's home page and to-do list, and the demo, gathered from every app."""

    name = "home"
    verbose_name = "Home pages"
    default_auto_field = "django.db.models.BigAutoField"
