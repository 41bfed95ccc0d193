"""That a person's records were anonymised: when, after how long, and the stored files still to
delete. It holds no personal data, and it is what makes a second retention run find them done."""

from __future__ import annotations

from django.db import models

from portal.models import User


class Anonymisation(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="anonymisation")
    anonymised_at = models.DateTimeField()
    last_activity = models.DateTimeField(help_text="The latest record about them, before.")
    retention_years = models.PositiveSmallIntegerField()
    counts = models.JSONField(default=dict, help_text="What was removed, counted.")
    # Storage names of the files whose rows went with the anonymisation; emptied once they are
    # deleted from storage (after the commit), so a run that died between the two finishes the
    # job next time.
    files_to_delete = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["anonymised_at", "pk"]

    def __str__(self) -> str:
        return f"Person {self.user_id} anonymised on {self.anonymised_at:%Y-%m-%d}"
