"""Reads for the team profile: what /<team>/ shows each visitor, in a fixed number of queries."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from experiments.models import Project
from experiments.selectors import projects_of
from reports.models import Report
from reports.selectors import reports_of
from teams import policy
from teams import selectors as team_selectors

from .models import ShowcaseItem

ACTIVE_DAYS = 30


def profile(team, user) -> dict:
    """The showcase in the admins' order (only what `user` may see), the most active projects, the members."""
    access = policy.team_access(user, team)
    readable_reports = policy.visible(user, Report.objects.filter(team=team)).values("pk")
    visible_projects = policy.visible(user, Project.objects.filter(team=team)).values("pk")
    showcase = list(
        ShowcaseItem.objects.filter(team=team)
        .filter(Q(report__in=readable_reports) | Q(project__in=visible_projects))
        .select_related("report", "report__author", "project")
        .order_by("position", "id")
    )
    since = timezone.now() - timedelta(days=ACTIVE_DAYS)
    active = list(
        Project.objects.filter(pk__in=visible_projects)
        .annotate(recent_runs=Count("runs", filter=Q(runs__created_at__gte=since)))
        .filter(recent_runs__gt=0)
        .order_by("-recent_runs", "name")[:6]
    )
    members = list(team_selectors.people_of(team)) if access.can("team:view") else None
    return {
        "access": access,
        "showcase": showcase,
        "active_projects": active,
        "members": members,
        "member_count": len(members) if members is not None else team_selectors.people_of(team).count(),
        "projects": list(projects_of(user, team)[:12]) if access.is_member else [],
        "recent_reports": list(reports_of(user, team)[:6]),
    }


def showcase_for_admins(team) -> list[ShowcaseItem]:
    """Every showcased item with whether visitors can still see it (a private one is marked, not hidden)."""
    items = list(ShowcaseItem.objects.filter(team=team).select_related("report", "project").order_by("position", "id"))
    for item in items:
        item.public = item.report.visibility == "public" if item.report_id else item.project.visibility in ("public", "open")
    return items


def showcase_choices(team, showcased):
    """Reports (not drafts) and projects of the team that are not on the profile yet."""
    taken_reports = {item.report_id for item in showcased}
    taken_projects = {item.project_id for item in showcased}
    reports = Report.objects.filter(team=team).exclude(visibility="draft").exclude(pk__in=taken_reports).order_by("title")
    projects = Project.objects.filter(team=team).exclude(pk__in=taken_projects).order_by("name")
    return list(reports), list(projects)
