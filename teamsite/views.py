import time

from django.core.cache import cache
from django.core.files.storage import default_storage as storage
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from core import hooks


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


@never_cache
def ready(request):
    """Readiness for load balancers and operators: every part the site needs, each with a line.

    The database, the cache and file storage are checked here; apps add their own
    checks (the task worker, the queue's depth) through the `health.checks` hook.
    """
    checks = {"database": _check_database, "cache": _check_cache, "storage": _check_storage}
    checks.update(dict(hooks.collect("health.checks")))
    results = {}
    for name, check in checks.items():
        try:
            ok, detail = check()
        except Exception as exc:  # a check that breaks is a failed check, said in a line
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        results[name] = {"ok": ok, "detail": detail}
    everything_ok = all(result["ok"] for result in results.values())
    return JsonResponse({"ready": everything_ok, "checks": results}, status=200 if everything_ok else 503)


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, connection.vendor


def _check_cache():
    probe = f"ready-probe-{time.time_ns()}"
    cache.set(probe, "1", timeout=5)
    ok = cache.get(probe) == "1"
    cache.delete(probe)
    return ok, "answers" if ok else "a value set could not be read back"


def _check_storage():
    storage.exists("health-probe")
    return True, type(storage).__name__


def favicon(request):
    return redirect(static("img/logo.svg"), permanent=True)
