"""Report pages: list, write with live preview, read (comments, follow, star,
revisions and diffs), edit with stale-save protection, badge, unsubscribe."""

import difflib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from experiments import selectors as experiment_selectors
from experiments import workspaces as experiment_workspaces
from core.badges import render_badge
from teams import policy
from teams.selectors import team_or_404
from core.auth import require_signed_in
from core.errors import Conflict
from core.forms import add_service_errors
from core.markdown import render_markdown

from . import selectors, services
from .forms import CommentForm, ReportForm
from .models import Comment




def _report(request, team_slug, report_id):
    team = team_or_404(team_slug)
    report = selectors.report_by_id(team, report_id)
    access = policy.report_access(request.user, report) if report else None
    if report is None or not access.visible:
        raise Http404("No such report.")
    return report, access


def _projects_for(request, team):
    return list(experiment_selectors.projects_of(request.user, team))


def report_list(request, team):
    team = team_or_404(team)
    q, author, project = (request.GET.get(key, "").strip() for key in ("q", "author", "project"))
    reports = selectors.reports_of(request.user, team, q=q or None, author=author or None, project=project or None)
    context = {
        "team": team,
        "reports": reports[:200],
        "q": q,
        "author": author,
        "project": project,
        "filtered": bool(q or author or project),
        "can_create": policy.can(request.user, "report:create", team),
        "projects": _projects_for(request, team),
    }
    return render(request, "reports/list.html", context)


def report_new(request, team):
    team = team_or_404(team)
    require_signed_in(request)
    team_wide = policy.can(request.user, "report:create", team)
    # outsiders may write about the team's open projects, and only about those
    projects = _projects_for(request, team)
    if not team_wide:
        allowed = {p.pk for p in policy.permitted(request.user, "report:create", experiment_selectors.projects_of(request.user, team))}
        projects = [p for p in projects if p.pk in allowed]
        if not projects:
            policy.require(request.user, "report:create", team)
    form = ReportForm(request.POST or None, projects=projects, project_required=not team_wide)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            project = next((p for p in projects if p.name == form.cleaned_data["project"]), None)
            try:
                report = services.report_create(
                    actor=request.user, team=team, title=form.cleaned_data["title"], body=form.cleaned_data["body"],
                    visibility=form.cleaned_data["visibility"], project=project,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Your report was saved.")
                return redirect("report", team=team.slug, report_id=report.pk)
    return render(request, "reports/form.html", {"team": team, "form": form, "report": None}, status=status)


@require_POST
def preview(request, team):
    """The live preview beside the editor: the body rendered exactly as the report page will."""
    require_signed_in(request)
    team = team_or_404(team)
    html = render_markdown(request.POST.get("body", ""), charts=selectors.chart_resolver(request.user, team))
    return render(request, "reports/form.html#preview", {"preview_html": html})


def report_detail(request, team, report_id):
    report, access = _report(request, team, report_id)
    revision_number = request.GET.get("revision")
    shown = None
    if revision_number and revision_number.isdigit():
        shown = report.revisions.filter(number=int(revision_number)).first()
    diff = None
    if request.GET.get("diff", "").isdigit():
        number = int(request.GET["diff"])
        pair = {r.number: r for r in report.revisions.filter(number__in=[number - 1, number])}
        if number in pair:
            before = pair.get(number - 1)
            diff = _diff(before.body if before else "", pair[number].body, f"revision {number - 1}", f"revision {number}")
    body = shown.body if shown else report.body
    context = {
        "team": report.team,
        "report": report,
        "access": access,
        "html": render_markdown(body, charts=selectors.chart_resolver(request.user, report.team)),
        "shown_revision": shown,
        "diff": diff,
        "diff_number": request.GET.get("diff"),
        "revisions": selectors.revisions_of(report),
        **_actions_context(request, report, access),
        **_comments_context(request, report, access),
        "badge_url": request.build_absolute_uri(f"/{report.team.slug}/reports/{report.pk}/badge.svg"),
        "report_url": request.build_absolute_uri(f"/{report.team.slug}/reports/{report.pk}/"),
    }
    return render(request, "reports/detail.html", context)


def _actions_context(request, report, access):
    return {
        "report": report,
        "access": access,
        "star_count": selectors.star_count(report),
        "follower_count": selectors.follower_count(report),
        "following": selectors.is_following(report, request.user),
        "starred": selectors.has_starred(report, request.user),
    }


def _comments_context(request, report, access, form=None):
    comments = list(selectors.comments_of(report))
    for comment in comments:
        comment.html = render_markdown(comment.body)
        comment.deletable = access.can_delete_comment(comment)
    return {"report": report, "access": access, "comments": comments, "comment_form": form or CommentForm()}


def _diff(before, after, before_label, after_label):
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), before_label, after_label, lineterm="", n=3)
    return [{"text": line, "kind": "add" if line.startswith("+") else "del" if line.startswith("-") else "hunk" if line.startswith("@@") else "same"} for line in lines]


def report_edit(request, team, report_id):
    report, access = _report(request, team, report_id)
    access.require("report:edit")
    projects = _projects_for(request, report.team)
    initial = {"title": report.title, "body": report.body, "visibility": report.visibility,
               "project": report.project.name if report.project_id else "", "base_revision": report.revision}
    form = ReportForm(request.POST or None, projects=projects, initial=initial)
    form.fields["project"].disabled = True
    status, stale = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.report_save(
                    report=report, actor=request.user, base_revision=form.cleaned_data["base_revision"] or 0,
                    title=form.cleaned_data["title"], body=form.cleaned_data["body"], visibility=form.cleaned_data["visibility"],
                )
            except Conflict as exc:
                status = 409
                report.refresh_from_db()
                stale = {"message": exc.message, "diff": _diff(report.body, form.cleaned_data["body"], f"revision {report.revision} (saved)", "your text (not saved)"),
                         "revision": report.revision}
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Saved as a new revision.")
                return redirect("report", team=report.team.slug, report_id=report.pk)
    return render(request, "reports/form.html", {"team": report.team, "form": form, "report": report, "stale": stale}, status=status)


@require_POST
def report_delete(request, team, report_id):
    report, _ = _report(request, team, report_id)
    services.report_delete(actor=request.user, report=report)
    messages.success(request, f"The report “{report.title}” was deleted.")
    return redirect("reports", team=report.team.slug)


@require_POST
def comment_add(request, team, report_id):
    report, access = _report(request, team, report_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        access.require("report:comment")  # a bad form from someone who may not comment: 403
    else:
        try:
            services.comment_add(actor=request.user, report=report, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = None
    status = 400 if form is not None else 200
    if request.htmx:
        return render(request, "reports/detail.html#comments", _comments_context(request, report, access, form), status=status)
    if form is not None:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(f"/{report.team.slug}/reports/{report.pk}/#comments")


@require_POST
def comment_delete(request, team, report_id, comment_id):
    report, access = _report(request, team, report_id)
    require_signed_in(request)
    comment = get_object_or_404(Comment, report=report, pk=comment_id)
    services.comment_delete(actor=request.user, comment=comment)
    if request.htmx:
        return render(request, "reports/detail.html#comments", _comments_context(request, report, access))
    return redirect(f"/{report.team.slug}/reports/{report.pk}/#comments")


@require_POST
def toggle(request, team, report_id, what):
    report, access = _report(request, team, report_id)
    on = request.POST.get("on") == "1"
    (services.follow_set if what == "follow" else services.star_set)(actor=request.user, report=report, on=on)
    if request.htmx:
        return render(request, "reports/detail.html#actions", _actions_context(request, report, access))
    return redirect("report", team=report.team.slug, report_id=report.pk)


def unfollow(request, team, token):
    if request.method == "POST":
        report = services.unsubscribe_by_token(token)
        if report is None:
            # said here, not raised: a bad link is a bad link for everyone, signed in or not
            return render(request, "reports/unfollow.html", {"token": token, "done": False, "invalid": True}, status=404)
        return render(request, "reports/unfollow.html", {"report": report, "done": True})
    return render(request, "reports/unfollow.html", {"token": token, "done": False})


def badge(request, team, report_id):
    report, access = _report(request, team, report_id)
    response = HttpResponse(render_badge("teamsite", report.title), content_type="image/svg+xml")
    response["Cache-Control"] = "max-age=300"
    return response


@require_POST
def panel_to_report(request, team, project):
    """"Add to report" on a workspace panel: append it to a report the person may edit, as a live chart block."""
    team = team_or_404(team)
    project = experiment_selectors.project_by_name(team, project)
    if project is None or not policy.can_see(request.user, project):
        raise Http404("No such project.")
    require_signed_in(request)
    view = experiment_workspaces.view_by_id(project, request.POST["view"]) if request.POST.get("view") else None
    shown = experiment_workspaces.shown_panels(project, view or experiment_workspaces.personal(project, request.user))
    try:
        index = int(request.POST.get("index", -1))
        panel = shown[index] if index >= 0 else None
    except (ValueError, IndexError):
        panel = None
    if panel is not None and panel.get("type", "line") != "line":
        panel = None
    report_id = request.POST.get("report") or ""
    report = selectors.report_by_id(team, report_id) if report_id.isdigit() else None
    if panel is None or report is None:
        messages.error(request, "Choose a chart and a report.")
        return redirect("project", team=team.slug, project=project.name)
    runs = [run.run_id for run in experiment_selectors.runs_of(project)[: experiment_selectors.CHARTED_BY_DEFAULT]]
    services.chart_add(actor=request.user, report=report, project=project, panel=panel, run_ids=runs)
    messages.success(request, f"The chart was added to “{report.title}”.")
    return redirect("report", team=team.slug, report_id=report.pk)
