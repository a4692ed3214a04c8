"""The team profile (/<team>/) and its general settings page (name, avatar, intro, links, showcase)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.auth import require_signed_in
from core.forms import add_service_errors
from core.markdown import render_markdown
from experiments.models import Project
from reports.models import Report
from teams import policy
from teams import services as team_services
from teams.selectors import team_or_404
from teams.views import settings_context, team_access

from . import selectors, services
from .forms import TeamAvatarForm, TeamGeneralForm
from .models import ShowcaseItem


def team_home(request, team):
    """The team's profile: what visitors see, and more for members."""
    team = team_or_404(team)
    context = {"team": team, "intro_html": render_markdown(team.intro), **selectors.profile(team, request.user)}
    return render(request, "profiles/team_home.html", context)


def _general_form(team, data=None):
    links = "\n".join(f"{link['label']} | {link['url']}" for link in team.links)
    return TeamGeneralForm(data, initial={"name": team.name, "intro": team.intro, "links": links})


def _general_page(request, team, access, *, status=200, **extra):
    showcased = selectors.showcase_for_admins(team)
    report_choices, project_choices = selectors.showcase_choices(team, showcased)
    extra.setdefault("form", _general_form(team))
    extra.setdefault("avatar_form", TeamAvatarForm())
    extra.setdefault("preview_html", render_markdown(team.intro))
    context = settings_context(
        team, access, tab="general", showcase=showcased, report_choices=report_choices, project_choices=project_choices, **extra
    )
    return render(request, "profiles/settings_general.html", context, status=status)


def settings_general(request, team):
    team, access = team_access(request, team, "team:manage")
    if request.method != "POST":
        return _general_page(request, team, access)
    form = _general_form(team, request.POST)
    if form.is_valid():
        try:
            links = team_services.links_from_text(form.cleaned_data["links"])
            team_services.team_update(actor=request.user, team=team, name=form.cleaned_data["name"], intro=form.cleaned_data["intro"], links=links)
        except ValidationError as exc:
            team.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, "The team settings were saved.")
            return redirect("team-settings", team=team.slug)
    return _general_page(request, team, access, status=400, form=form)


@require_POST
def team_avatar(request, team):
    team, access = team_access(request, team, "team:manage")
    form = TeamAvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            team_services.team_avatar_set(actor=request.user, team=team, upload=form.cleaned_data["avatar"])
        except ValidationError as exc:
            form.add_error("avatar", exc)
    if not form.is_valid():
        team.refresh_from_db()
        return _general_page(request, team, access, status=400, avatar_form=form)
    messages.success(request, "The team's new avatar is in place.")
    return redirect("team-settings", team=team.slug)


@require_POST
def intro_preview(request, team):
    require_signed_in(request)
    team, access = team_access(request, team)
    if not access.can("team:manage"):
        return HttpResponse(status=403)  # a fragment for the editor's preview pane, never a page
    return render(request, "profiles/settings_general.html#intro-preview", {"preview_html": render_markdown(request.POST.get("intro", ""))})


@require_POST
def showcase_edit(request, team):
    """Add, move or remove a showcased report or project; htmx swaps the showcase panel."""
    team, access = team_access(request, team, "team:view")
    action = request.POST.get("action")
    error = None
    try:
        if action == "add":
            kind, _, pk = request.POST.get("item", "").partition(":")
            report = Report.objects.filter(team=team, pk=pk).first() if kind == "report" and pk.isdigit() else None
            project = Project.objects.filter(team=team, pk=pk).first() if kind == "project" and pk.isdigit() else None
            services.showcase_add(actor=request.user, team=team, report=report, project=project)
        else:
            item = get_object_or_404(ShowcaseItem, team=team, pk=request.POST.get("id") or 0)
            if action in ("up", "down"):
                services.showcase_move(actor=request.user, item=item, direction=action)
            elif action == "remove":
                services.showcase_remove(actor=request.user, item=item)
            else:
                policy.require(request.user, "team:manage", team)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        showcased = selectors.showcase_for_admins(team)
        report_choices, project_choices = selectors.showcase_choices(team, showcased)
        context = settings_context(team, access, showcase=showcased, report_choices=report_choices, project_choices=project_choices, showcase_error=error)
        return render(request, "profiles/settings_general.html#showcase", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    return redirect(reverse("team-settings", kwargs={"team": team.slug}) + "#showcase")
