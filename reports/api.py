"""Reports (spec/api.md): write-ups with revisions, comments, follows and stars."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from experiments import selectors as experiment_selectors
from teams import policy
from teams.selectors import team_or_404
from accounts.api_auth import optional_auth
from core.markdown import render_markdown
from core.pagination import paginate

from . import selectors, services
from .models import Comment

router = Router(tags=["reports"])
T = "/teams/{team}/reports"


class ReportIn(Schema):
    title: str = Field(max_length=1000)
    body: str = ""
    project: str | None = None
    visibility: str = "draft"


class ReportPatch(Schema):
    title: str | None = Field(default=None, max_length=1000)
    body: str | None = None
    visibility: str | None = None
    base_revision: int


class CommentIn(Schema):
    body: str = Field(max_length=50_000)




def _report(request, team_slug, report_id):
    team = team_or_404(team_slug)
    report = selectors.report_by_id(team, report_id)
    access = policy.report_access(request.auth, report) if report else None
    if report is None or not access.visible:
        raise Http404("There is no such report.")
    return report, access


def report_out(request, report, access=None, *, full=True):
    body = {
        "id": report.pk,
        "title": report.title,
        "author": report.author.username if report.author else None,
        "project": report.project.name if report.project_id else None,
        "visibility": report.visibility,
        "revision": report.revision,
        "star_count": getattr(report, "star_count", None),
        "created_at": report.created_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
        "url": request.build_absolute_uri(f"/{report.team.slug}/reports/{report.pk}/"),
    }
    if body["star_count"] is None:
        body["star_count"] = selectors.star_count(report)
    if full:
        body["body"] = report.body
        body["html"] = render_markdown(report.body, charts=selectors.chart_resolver(request.auth, report.team))
    return body


def _comment_out(comment):
    return {
        "id": comment.pk,
        "author": comment.author.username if comment.author else None,
        "body": comment.body,
        "html": render_markdown(comment.body),
        "created_at": comment.created_at.isoformat(),
    }


@router.get(T, auth=optional_auth, summary="The team's reports the caller may read")
def report_list(request, team: str, q: str = "", author: str = "", project: str = ""):
    reports = selectors.reports_of(request.auth, team_or_404(team), q=q or None, author=author or None, project=project or None)
    return paginate(request, reports, lambda r: report_out(request, r, full=False))


@router.post(T, response={201: dict}, summary="Write a report")
def report_create(request, team: str, payload: ReportIn):
    found = team_or_404(team)
    project = None
    if payload.project:
        project = experiment_selectors.project_by_name(found, payload.project)
        if project is None or not policy.can_see(request.auth, project):
            raise ValidationError({"project": [f"{found.name} has no project named {payload.project}."]})
    report = services.report_create(
        actor=request.auth, team=found, title=payload.title, body=payload.body, visibility=payload.visibility, project=project
    )
    return Status(201, report_out(request, report))


@router.get(T + "/{report_id}", auth=optional_auth, response=dict, summary="A report, with its HTML")
def report_detail(request, team: str, report_id: int):
    report, _ = _report(request, team, report_id)
    return report_out(request, report)


@router.patch(T + "/{report_id}", response=dict, summary="Save a new revision (base_revision must be current)")
def report_update(request, team: str, report_id: int, payload: ReportPatch):
    report, _ = _report(request, team, report_id)
    report = services.report_save(
        report=report, actor=request.auth, base_revision=payload.base_revision,
        title=payload.title, body=payload.body, visibility=payload.visibility,
    )
    return report_out(request, selectors.report_by_id(report.team, report.pk))


@router.delete(T + "/{report_id}", response={204: None}, summary="Delete a report")
def report_delete(request, team: str, report_id: int):
    report, _ = _report(request, team, report_id)
    services.report_delete(actor=request.auth, report=report)
    return Status(204, None)


@router.get(T + "/{report_id}/revisions", auth=optional_auth, summary="Every saved revision")
def revision_list(request, team: str, report_id: int):
    report, _ = _report(request, team, report_id)
    return paginate(
        request,
        selectors.revisions_of(report),
        lambda rev: {"number": rev.number, "title": rev.title, "body": rev.body, "author": rev.author.username if rev.author else None, "created_at": rev.created_at.isoformat()},
    )


@router.get(T + "/{report_id}/comments", auth=optional_auth, summary="Comments, oldest first")
def comment_list(request, team: str, report_id: int):
    report, _ = _report(request, team, report_id)
    return paginate(request, selectors.comments_of(report), _comment_out, default_limit=200)


@router.post(T + "/{report_id}/comments", response={201: dict}, summary="Comment (Markdown)")
def comment_create(request, team: str, report_id: int, payload: CommentIn):
    report, _ = _report(request, team, report_id)
    return Status(201, _comment_out(services.comment_add(actor=request.auth, report=report, body=payload.body)))


@router.delete(T + "/{report_id}/comments/{comment_id}", response={204: None}, summary="Delete a comment (its author or an admin)")
def comment_delete(request, team: str, report_id: int, comment_id: int):
    report, _ = _report(request, team, report_id)
    comment = get_object_or_404(Comment, report=report, pk=comment_id)
    services.comment_delete(actor=request.auth, comment=comment)
    return Status(204, None)


def _toggle(request, team, report_id, setter, on):
    report, _ = _report(request, team, report_id)
    setter(actor=request.auth, report=report, on=on)
    return {"following": selectors.is_following(report, request.auth), "starred": selectors.has_starred(report, request.auth),
            "star_count": selectors.star_count(report)}


@router.put(T + "/{report_id}/follow", response=dict, summary="Follow: hear of new comments and revisions")
def follow(request, team: str, report_id: int):
    return _toggle(request, team, report_id, services.follow_set, True)


@router.delete(T + "/{report_id}/follow", response=dict, summary="Stop following")
def unfollow(request, team: str, report_id: int):
    return _toggle(request, team, report_id, services.follow_set, False)


@router.put(T + "/{report_id}/star", response=dict, summary="Star")
def star(request, team: str, report_id: int):
    return _toggle(request, team, report_id, services.star_set, True)


@router.delete(T + "/{report_id}/star", response=dict, summary="Unstar")
def unstar(request, team: str, report_id: int):
    return _toggle(request, team, report_id, services.star_set, False)
