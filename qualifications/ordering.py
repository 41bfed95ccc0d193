"""The order a specification prints things in, kept by the catalogue's rows."""

from __future__ import annotations

from django.db import models


class Ordered(models.Model):
    """The parts of a unit keep the order the specification prints them in."""

    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position"]
