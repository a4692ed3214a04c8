"""Reads for reports, by audience."""

from django.db.models import Count, Q

from experiments import selectors as experiment_selectors
from experiments import workspaces as experiment_workspaces
from teams import policy

from .models import Comment, Follow, Report, Revision, Star


def reports_of(user, team, *, q=None, author=None, project=None):
    """The team's reports `user` may read, newest first, with star counts (one query)."""
    reports = policy.visible(user, Report.objects.filter(team=team))
    if q:
        reports = reports.filter(Q(title__icontains=q) | Q(body__icontains=q))
    if author:
        reports = reports.filter(author__username=author)
    if project:
        reports = reports.filter(project__name=project)
    return (
        reports.select_related("author", "project", "team")
        .annotate(star_count=Count("stars", distinct=True), comment_count=Count("comments", distinct=True))
        .order_by("-updated_at", "-id")
    )


def editable_by(user, team, limit=50):
    """The team's reports `user` may edit (theirs, or any for an admin), newest first, in one query."""
    if not user.is_authenticated:
        return []
    reports = policy.permitted(user, "report:edit", Report.objects.filter(team=team))
    return list(reports.order_by("-updated_at", "-id")[:limit])


def report_by_id(team, report_id):
    found = list(Report.objects.select_related("author", "project", "team").filter(team=team, pk=report_id)[:1])
    return found[0] if found else None


def comments_of(report):
    return Comment.objects.filter(report=report).select_related("author").order_by("created_at", "id")


def revisions_of(report):
    return Revision.objects.filter(report=report).select_related("author").order_by("-number")


def star_count(report):
    return Star.objects.filter(report=report).count()


def follower_count(report):
    return Follow.objects.filter(report=report).count()


def is_following(report, user):
    return user.is_authenticated and Follow.objects.filter(report=report, user=user).exists()


def has_starred(report, user):
    return user.is_authenticated and Star.objects.filter(report=report, user=user).exists()


def chart_resolver(user, team):
    """Turn a chart block's "project/run_id" (or "project/run name") names into chart runs the reader may see (None otherwise)."""
    projects = {}
    access_cache = {}

    def resolve(spec):
        result = []
        for name in spec["runs"]:
            project_name, _, run_id = name.partition("/")
            if project_name not in projects:
                projects[project_name] = experiment_selectors.project_by_name(team, project_name)
            project = projects[project_name]
            if project is None:
                result.append(None)
                continue
            if project.pk not in access_cache:
                access_cache[project.pk] = policy.project_access(user, project).can("run:view")
            # a block names a run by its id or by its name (the newest of that name)
            run = experiment_selectors.run_by_id_or_name(project, run_id) if access_cache[project.pk] else None
            if run is None:
                result.append(None)
                continue
            entry = experiment_workspaces.chart_runs(project, [run])[0]
            result.append(entry)
        return result

    return resolve
