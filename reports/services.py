"""Writes for reports: create, save a revision (refusing stale saves), delete,
comments, follows, stars, and the emails followers get."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from experiments.models import Project
from teams import policy
from teams.models import Team
from core.errors import Conflict
from core.models import SiteSettings

from .models import Comment, Follow, Report, ReportVisibility, Revision, Star

UNSUBSCRIBE_SALT = "teamsite.reports.unfollow"


def normalize_newlines(text):
    """Browsers send form text with \r\n; store \n, so that an unchanged text compares equal."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def _clean(title, body, visibility, project, team):
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["Give the report a title."]
    elif len(title) > 200:
        errors["title"] = ["Titles may be at most 200 characters."]
    if body is not None and len(body) > 200_000:
        errors["body"] = ["Reports may be at most 200,000 characters."]
    if visibility not in ReportVisibility.values:
        errors["visibility"] = ["Visibility is draft, team or public."]
    if project is not None and project.team_id != team.pk:
        errors["project"] = ["The project must belong to this team."]
    if errors:
        raise ValidationError(errors)
    return title


@transaction.atomic
def report_create(*, actor: User, team: Team, title: str, body: str = "", visibility: str = "draft", project: Project | None = None) -> Report:
    """Write a report: report:create in the team, or in the project it is about (outsiders: open projects)."""
    if project is not None and project.team_id == team.pk:
        policy.require(actor, "report:create", project)
    else:
        policy.require(actor, "report:create", team)
    author = actor
    body = normalize_newlines(body)
    title = _clean(title, body, visibility, project, team)
    now = timezone.now()
    report = Report.objects.create(
        team=team, project=project, author=author, title=title, body=body or "", visibility=visibility, created_at=now, updated_at=now
    )
    Revision.objects.create(report=report, number=1, title=title, body=report.body, visibility=visibility, author=author, created_at=now)
    policy.grant_owner(author, report)
    Follow.objects.get_or_create(report=report, user=author)  # authors hear about comments on their reports
    if visibility != ReportVisibility.DRAFT:
        _published(report)
    return report


def _published(report: Report) -> None:
    """report.published for the team's webhooks: a report left draft (team or public)."""
    from teams import webhooks

    base = getattr(settings, "SITE_URL", "").rstrip("/")
    webhooks.emit(report.team, "report.published", {
        "project": report.project.name if report.project else None,
        "report": {"id": report.pk, "title": report.title, "visibility": report.visibility, "author": report.author.username if report.author else None},
        "url": f"{base}/{report.team.slug}/reports/{report.pk}/",
    })


@transaction.atomic
def report_save(*, report: Report, actor: User, base_revision: int, title=None, body=None, visibility=None) -> Report:
    """Save a new revision. A save based on an older revision is refused (409) and changes nothing."""
    policy.require(actor, "report:edit", report)
    body = normalize_newlines(body)
    current = Report.objects.select_for_update().get(pk=report.pk)
    if base_revision != current.revision:
        raise Conflict(
            f"This report changed since you opened it (you edited revision {base_revision}; it is at revision "
            f"{current.revision} now). Nothing was overwritten.",
            revision=current.revision,
        )
    title = _clean(title if title is not None else current.title, body, visibility or current.visibility, current.project, current.team)
    content_changed = (title != current.title) or (body is not None and body != current.body)
    changed = content_changed or (visibility is not None and visibility != current.visibility)
    was_draft = current.visibility == ReportVisibility.DRAFT
    current.title = title
    if body is not None:
        current.body = body
    if visibility is not None:
        current.visibility = visibility
    current.updated_at = timezone.now()
    if changed:  # publishing is a revision too: a page opened before it is stale
        current.revision += 1
        Revision.objects.create(
            report=current, number=current.revision, title=current.title, body=current.body, visibility=current.visibility, author=actor
        )
        if content_changed:
            transaction.on_commit(lambda: notify_followers(report=current, actor=actor, event="revision"))
    current.save()
    if was_draft and current.visibility != ReportVisibility.DRAFT:
        _published(current)
    return current


def report_delete(*, actor: User, report: Report) -> None:
    policy.require(actor, "report:delete", report)
    report.delete()


def chart_add(*, actor: User, report: Report, project: Project, panel: dict, run_ids: list[str]) -> Report:
    """"Add to report": append a workspace panel to a report as a live chart block."""
    policy.require(actor, "run:view", project)
    block = (
        f"\n\n```chart\nruns: {', '.join(f'{project.name}/{run_id}' for run_id in run_ids)}\n"
        f"keys: {', '.join(panel['keys'])}\nx: {panel['x']}\nsmoothing: {panel['smoothing']}\nlog: {str(panel['log_y']).lower()}\n```\n"
    )
    return report_save(actor=actor, report=report, base_revision=report.revision, body=report.body.rstrip() + block)


@transaction.atomic
def comment_add(*, actor: User, report: Report, body: str) -> Comment:
    policy.require(actor, "report:comment", report)
    author = actor
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Write something before posting."]})
    if len(body) > 20_000:
        raise ValidationError({"body": ["Comments may be at most 20,000 characters."]})
    comment = Comment.objects.create(report=report, author=author, body=body)
    Follow.objects.get_or_create(report=report, user=author)  # commenters hear about replies
    transaction.on_commit(lambda: notify_followers(report=report, actor=author, event="comment", comment=comment))
    return comment


def comment_delete(*, actor: User, comment: Comment) -> None:
    policy.require(actor, "comment:delete", comment)
    comment.delete()


def follow_set(*, actor: User, report: Report, on: bool) -> None:
    policy.require(actor, "report:follow", report)
    _mark(Follow, report=report, user=actor, on=on)


def star_set(*, actor: User, report: Report, on: bool) -> None:
    policy.require(actor, "report:follow", report)
    _mark(Star, report=report, user=actor, on=on)


def _mark(model, *, report, user, on):
    """Follow or star, on or off; doing it twice changes nothing."""
    if not on:
        model.objects.filter(report=report, user=user).delete()
        return
    try:
        with transaction.atomic():
            model.objects.get_or_create(report=report, user=user)
    except IntegrityError:  # the same click twice at once
        pass


def unsubscribe_token(*, report: Report, user: User) -> str:
    return signing.dumps({"r": report.pk, "u": user.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_by_token(token: str) -> Report | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=60 * 60 * 24 * 365)
    except signing.BadSignature:
        return None
    report = Report.objects.filter(pk=data.get("r")).first()
    if report is not None:
        Follow.objects.filter(report=report, user_id=data.get("u")).delete()
    return report


def notify_followers(*, report: Report, actor: User, event: str, comment: Comment | None = None) -> int:
    """Email each follower who may still read the report, once per event, never the actor."""
    site = SiteSettings.current().site_name
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    sent = 0
    followers = User.objects.filter(report_follows__report=report, is_active=True).exclude(pk=actor.pk).exclude(email="")
    for follower in followers:
        if not policy.ReportAccess(follower, report).visible:
            continue
        path = f"/{report.team.slug}/reports/{report.pk}/"
        unsubscribe = f"{base}/{report.team.slug}/reports/unfollow/{unsubscribe_token(report=report, user=follower)}/"
        if event == "comment":
            subject = f"[{site}] {actor.shown_name} commented on “{report.title}”"
            text = f"{actor.shown_name} wrote:\n\n{comment.body}\n\nRead it: {base}{path}#comment-{comment.pk}"
        else:
            subject = f"[{site}] “{report.title}” has a new revision ({report.revision})"
            text = f"{actor.shown_name} saved revision {report.revision}.\n\nRead it: {base}{path}"
        send_mail(subject, f"{text}\n\nStop following this report: {unsubscribe}\n", settings.DEFAULT_FROM_EMAIL, [follower.email])
        sent += 1
    return sent
