"""What the ground floor announces to the apps above it, which it must not import.

`invitation_accepted(sender=Invitation, invitation=..., person=...)` is sent inside the
transaction that accepts an invitation, after the role is given: the portfolios app makes the
registrations the invitation carries. A receiver that raises rolls the acceptance back.
"""

from django.dispatch import Signal

invitation_accepted = Signal()
