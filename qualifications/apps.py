from django.apps import AppConfig


class QualificationsConfig(AppConfig):
    """The catalogue: awarding organisations, qualifications, units and rules of combination."""

    name = "qualifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Any save or delete of a row the rules are read from renews its qualifications'
        # revision (`qualifications.revisions`), whatever path made it.
        from qualifications.revisions import connect_signals

        connect_signals()
