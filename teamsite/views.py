from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache


def home(request):
    """Signed out: public teams and reports to explore. Signed in: my teams, my recent runs, reports I follow."""
    from django.db.models import Count, Q

    from experiments.models import Run
    from reports.models import Report
    from teams import policy, selectors
    from teams.models import Team

    public_reports = policy.visible(request.user, Report.objects.filter(visibility="public"))
    context = {
        "public_reports": public_reports.select_related("team", "author").order_by("-updated_at")[:8],
        "public_teams": Team.objects.annotate(
            public_projects=Count("projects", filter=Q(projects__visibility__in=["public", "open"]), distinct=True),
            public_reports=Count("reports", filter=Q(reports__visibility="public"), distinct=True),
        ).filter(Q(public_projects__gt=0) | Q(public_reports__gt=0)).order_by("name")[:12],
    }
    if request.user.is_authenticated:
        context.update(
            memberships=selectors.teams_of(request.user),
            recent_runs=policy.visible(request.user, Run.objects.filter(created_by=request.user))
            .select_related("project", "project__team")
            .order_by("-created_at")[:8],
            followed=policy.visible(request.user, Report.objects.filter(follows__user=request.user))
            .select_related("team", "author")
            .order_by("-updated_at")[:8],
        )
    return render(request, "home.html", context)


@never_cache
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy", whatever its class
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def favicon(request):
    return redirect(static("img/logo.svg"), permanent=True)
