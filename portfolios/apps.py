from typing import Any

from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    """Registrations, unit choice, evidence and its mapping to criteria."""

    name = "portfolios"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from portal.signals import invitation_accepted
        from portfolios.readiness import connect_signals

        invitation_accepted.connect(register_invited_learner, dispatch_uid="portfolios-invited")
        # A change to a qualification's rules, or to a learner's name, puts the claim readiness
        # kept for them out of date (portfolios.readiness).
        connect_signals()


def register_invited_learner(sender: object, **kwargs: Any) -> None:
    """An accepted invitation may carry registrations (from a CSV file): make them now."""
    from portfolios.bulk import registrations_on_acceptance

    registrations_on_acceptance(invitation=kwargs["invitation"], person=kwargs["person"])
