"""What teams tells the apps above it, so that it never imports them (STYLE.md, habit 11)."""

from django.dispatch import Signal

# A person left a team (removed, or their service account revoked): args team, user.
member_removed = Signal()
# The team turned on "projects stay inside the team": args team, actor.
projects_kept_inside = Signal()
