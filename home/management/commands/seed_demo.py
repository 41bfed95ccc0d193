from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from home.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo centres and people (local use only) and print how to log in."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with a published password: not in production."
            )
        people = demo_seed()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in with any of these:"))
        width = max(len(p.email) for p in people)
        for person in people:
            roles = (
                ", ".join(
                    f"{'trainee ' if r.is_trainee else ''}{r.kind.label.lower()} at {r.centre}"
                    for r in person.roles
                )
                or person.described
            )
            self.stdout.write(f"  {person.email:<{width}}  {person.full_name}: {roles}")
        self.stdout.write(f"Password for every demo account (local use only): {DEMO_PASSWORD}")
