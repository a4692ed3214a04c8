"""The reports app's part of a team export: reports with every revision and comment, follows and stars."""

from __future__ import annotations

from core import hooks
from core.transfer import Part, parse_when, plain, restore
from teams import policy

from .models import Comment, Follow, Report, Revision, Star

REPORT_FIELDS = ("title", "body", "visibility", "revision", "created_at", "updated_at")
REVISION_FIELDS = ("number", "title", "body", "visibility", "created_at")


def _dump(team, out):
    rows = []
    for report in Report.objects.filter(team=team).select_related("author").order_by("pk"):
        rows.append({
            **plain(report, REPORT_FIELDS), "id": out.ref("report", report.pk), "author": out.user(report.author),
            "project": out.ref("project", report.project_id) if report.project_id else None,
            "revisions": [{**plain(r, REVISION_FIELDS), "author": out.user(r.author)} for r in report.revisions.order_by("number", "pk")],
            "comments": [{"body": c.body, "created_at": c.created_at.isoformat(), "author": out.user(c.author)} for c in report.comments.order_by("pk")],
            "follows": [[out.user(f.user), f.created_at.isoformat()] for f in report.follows.select_related("user").order_by("pk")],
            "stars": [[out.user(s.user), s.created_at.isoformat()] for s in report.stars.select_related("user").order_by("pk")],
        })
    out.rows("reports", rows)


def _load(team, inp):
    for row in inp.rows("reports"):
        project = inp.get("project", row["project"]) if row["project"] else None
        report = restore(Report, row, REPORT_FIELDS, team=team, project=project, author=inp.user(row["author"]))
        report.save()
        inp.remember("report", row["id"], report)
        if report.author:
            policy.grant_owner(report.author, report)
        Revision.objects.bulk_create([restore(Revision, r, REVISION_FIELDS, report=report, author=inp.user(r["author"])) for r in row["revisions"]])
        Comment.objects.bulk_create([Comment(report=report, body=c["body"], created_at=parse_when(c["created_at"]), author=inp.user(c["author"]))
                                     for c in row["comments"]])
        Follow.objects.bulk_create([Follow(report=report, user=inp.user(u), created_at=parse_when(at)) for u, at in row["follows"]])
        Star.objects.bulk_create([Star(report=report, user=inp.user(u), created_at=parse_when(at)) for u, at in row["stars"]])


hooks.register("export.parts", Part("reports", 30, _dump, _load))
