from django.apps import AppConfig


class CompetenceConfig(AppConfig):
    """The competence register: the assessor and IQA awards each person holds or works towards
    at a centre, what they may assess or verify, and their standing for a unit on a day."""

    name = "competence"
    default_auto_field = "django.db.models.BigAutoField"
