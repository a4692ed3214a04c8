"""How experiments reacts to teams: a person leaving, a team closing its projects."""

from django.dispatch import receiver

from teams import policy
from teams import signals as team_signals

from .models import Project
from .services import projects_keep_inside


@receiver(team_signals.member_removed)
def _forget_project_grants(sender, team, user, **kwargs):
    """Leaving a team ends managing its projects and being on their access lists (the runs stay)."""
    policy.forget_grants_in_team(user=user, queryset=Project.objects.filter(team=team))


@receiver(team_signals.projects_kept_inside)
def _close_projects(sender, team, actor, **kwargs):
    projects_keep_inside(actor=actor, team=team)
