"""The reports API (spec/api.md "## Reports") and the behaviour behind it: revisions,
stale saves, comments, follows, stars, follower emails, charts, lists and badges."""

import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from experiments import services as experiments
from reports import services as reports
from reports.models import Comment, Follow, Report, Revision, Star
from teams import services
from teams.models import Membership
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

R = "/api/v1/teams/lab/reports"
REPORT_FIELDS = {"id", "title", "body", "html", "author", "project", "visibility", "revision", "star_count", "created_at", "updated_at"}


@pytest.fixture
def lab(db):
    """Team "lab": admin, members "author" and "member", a viewer; an outsider elsewhere.

    Projects: "vision" (team) and "secret" (restricted, admins only)."""
    admin = factories.user(username="ada-admin")
    org = services.organization_create(actor=SYSTEM, slug="acme", name="Acme")
    team = services.team_create(organization=org, slug="lab", name="Lab", actor=SYSTEM, admin=admin)
    people = {"admin": admin}
    for key, role in [("author", "member"), ("member", "member"), ("viewer", "viewer")]:
        person = factories.user(username=f"lab-{key}")
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
        services.member_add(actor=SYSTEM, team=team, user=person, role=role)
        people[key] = person
    people["outsider"] = factories.user(username="otto-outsider")
    projects = {
        "vision": experiments.project_create(team=team, name="vision", actor=admin),
        "secret": experiments.project_create(team=team, name="secret", actor=admin, visibility="restricted"),
    }

    def api(who):
        client = factories.ApiClient(Client())
        if who is not None:
            client.as_user(people[who])
        return client

    def report(who="author", **fields):
        fields.setdefault("title", "Findings")
        fields.setdefault("visibility", "team")
        return reports.report_create(team=team, actor=people[who], **fields)

    return SimpleNamespace(team=team, org=org, people=people, projects=projects, api=api, report=report)


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def _aware(value):
    parsed = datetime.fromisoformat(value)
    return parsed.tzinfo is not None


# --- Create ---------------------------------------------------------------------------------


def test_create_answers_every_field(lab):
    response = lab.api("author").post(R, {"title": "  Ablation  ", "body": "# Results\n\n**better**", "project": "vision", "visibility": "team"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert REPORT_FIELDS <= set(body)
    assert body["title"] == "Ablation"
    assert body["body"] == "# Results\n\n**better**"
    assert "<strong>better</strong>" in body["html"] and "<h1" in body["html"]
    assert body["author"] == "lab-author"
    assert body["project"] == "vision"
    assert body["visibility"] == "team"
    assert body["revision"] == 1
    assert body["star_count"] == 0
    assert _aware(body["created_at"]) and _aware(body["updated_at"])
    report = Report.objects.get(pk=body["id"])
    assert report.author == lab.people["author"] and report.project == lab.projects["vision"]

    detail = lab.api("member").get(f"{R}/{body['id']}")
    assert detail.status_code == 200
    assert REPORT_FIELDS <= set(detail.json())
    assert {key: detail.json()[key] for key in REPORT_FIELDS} == {key: body[key] for key in REPORT_FIELDS}


def test_create_defaults_to_a_draft_without_a_project(lab):
    response = lab.api("author").post(R, {"title": "Just started"})
    assert response.status_code == 201, response.content
    assert response.json()["visibility"] == "draft"
    assert response.json()["project"] is None
    assert response.json()["body"] == ""
    # drafts: the author and team admins only
    assert lab.api("member").get(f"{R}/{response.json()['id']}").status_code == 404
    assert lab.api("admin").get(f"{R}/{response.json()['id']}").status_code == 200


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "no title"}, "title"),
        ({"title": "ok", "visibility": "secret"}, "visibility"),
        ({"title": "ok", "visibility": "restricted"}, "visibility"),
        ({"title": "ok", "project": "no-such-project"}, "project"),
        # a restricted project the caller is not on is answered like a missing one
        ({"title": "ok", "project": "secret"}, "project"),
    ],
)
def test_create_refuses_invalid_fields(lab, payload, field):
    response = lab.api("author").post(R, payload)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert error["message"]
    assert not Report.objects.exists()


def test_create_with_another_teams_project_name_is_invalid(lab):
    far_admin = factories.user(username="far-admin")
    far = services.team_create(organization=lab.org, slug="far", name="Far", actor=SYSTEM, admin=far_admin)
    experiments.project_create(team=far, name="theirs", actor=far_admin, visibility="public")
    response = lab.api("author").post(R, {"title": "ok", "project": "theirs"})
    assert response.status_code == 400
    assert "project" in error_of(response)["fields"]
    assert not Report.objects.exists()


def test_create_needs_report_create(lab):
    refused = lab.api("viewer").post(R, {"title": "Mine"})
    assert refused.status_code == 403
    assert "report:create" in error_of(refused)["message"]
    anonymous = lab.api(None).post(R, {"title": "Mine"})
    assert anonymous.status_code == 401
    assert error_of(anonymous)["code"] == "unauthenticated"
    assert not Report.objects.exists()


def test_an_unknown_team_is_404(lab):
    assert lab.api("author").get("/api/v1/teams/nope/reports").status_code == 404
    assert lab.api("author").post("/api/v1/teams/nope/reports", {"title": "x"}).status_code == 404


# --- Saves, revisions, stale saves ----------------------------------------------------------


def test_patch_saves_a_new_revision_and_keeps_every_one(lab):
    report = lab.report(body="first text")
    author, admin = lab.api("author"), lab.api("admin")
    saved = author.patch(f"{R}/{report.pk}", {"body": "second text", "base_revision": 1})
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] == 2 and saved.json()["body"] == "second text"
    saved = admin.patch(f"{R}/{report.pk}", {"title": "Findings, revised", "body": "third text", "base_revision": 2})
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] == 3 and saved.json()["title"] == "Findings, revised"
    assert saved.json()["author"] == "lab-author"  # the report's author stays its author

    revisions = lab.api("viewer").get(f"{R}/{report.pk}/revisions")
    assert revisions.status_code == 200
    rows = revisions.json()["results"]
    assert [(r["number"], r["title"], r["body"], r["author"]) for r in rows] == [
        (3, "Findings, revised", "third text", "ada-admin"),
        (2, "Findings", "second text", "lab-author"),
        (1, "Findings", "first text", "lab-author"),
    ]
    assert all(_aware(r["created_at"]) for r in rows)


def test_a_stale_base_revision_is_409_and_overwrites_nothing(lab):
    report = lab.report(body="original")
    admin, author = lab.api("admin"), lab.api("author")
    assert admin.patch(f"{R}/{report.pk}", {"body": "admin's change", "base_revision": 1}).status_code == 200

    stale = author.patch(f"{R}/{report.pk}", {"title": "Clobbered", "body": "author's change", "visibility": "public", "base_revision": 1})
    assert stale.status_code == 409, stale.content
    error = error_of(stale)
    assert error["code"] == "conflict"
    assert error["revision"] == 2
    assert error["message"].endswith(".") and len(error["message"].split()) > 5

    report.refresh_from_db()
    assert (report.title, report.body, report.visibility, report.revision) == ("Findings", "admin's change", "team", 2)
    assert list(Revision.objects.filter(report=report).order_by("number").values_list("number", "body")) == [
        (1, "original"),
        (2, "admin's change"),
    ]
    # a base revision from the future is just as stale
    assert author.patch(f"{R}/{report.pk}", {"body": "x", "base_revision": 7}).status_code == 409
    # with the current revision the save goes through
    fresh = author.patch(f"{R}/{report.pk}", {"body": "author's change", "base_revision": 2})
    assert fresh.status_code == 200 and fresh.json()["revision"] == 3


def test_a_visibility_change_is_a_saved_revision_that_later_stale_saves_cannot_overwrite(lab):
    report = lab.report(body="text")
    published = lab.api("author").patch(f"{R}/{report.pk}", {"visibility": "public", "base_revision": 1})
    assert published.status_code == 200, published.content
    # the admin opened the report at revision 1, before it was published, and saves what they saw
    stale = lab.api("admin").patch(f"{R}/{report.pk}", {"body": "text, edited", "visibility": "team", "base_revision": 1})
    report.refresh_from_db()
    assert report.visibility == "public", "a stale save reverted the visibility"
    assert stale.status_code == 409


def test_patch_needs_base_revision_and_valid_fields(lab):
    report = lab.report(body="kept")
    author = lab.api("author")
    missing = author.patch(f"{R}/{report.pk}", {"body": "x"})
    assert missing.status_code == 400
    assert "base_revision" in error_of(missing)["fields"]
    for payload, field in [({"title": "", "base_revision": 1}, "title"), ({"visibility": "everyone", "base_revision": 1}, "visibility")]:
        refused = author.patch(f"{R}/{report.pk}", payload)
        assert refused.status_code == 400, refused.content
        assert field in error_of(refused)["fields"]
    report.refresh_from_db()
    assert (report.title, report.body, report.visibility, report.revision) == ("Findings", "kept", "team", 1)
    assert Revision.objects.filter(report=report).count() == 1


def test_delete_removes_the_report_with_its_revisions_and_comments(lab):
    report = lab.report()
    reports.comment_add(report=report, actor=lab.people["viewer"], body="nice")
    assert lab.api("author").delete(f"{R}/{report.pk}").status_code == 204
    assert lab.api("author").get(f"{R}/{report.pk}").status_code == 404
    assert not Revision.objects.filter(report_id=report.pk).exists()
    assert not Comment.objects.filter(report_id=report.pk).exists()


# --- Comments --------------------------------------------------------------------------------


def test_comments_post_and_list_oldest_first(lab):
    report = lab.report()
    viewer, member = lab.api("viewer"), lab.api("member")
    first = viewer.post(f"{R}/{report.pk}/comments", {"body": "Looks **good**"})
    assert first.status_code == 201, first.content
    body = first.json()
    assert {"id", "author", "body", "html", "created_at"} <= set(body)
    assert body["author"] == "lab-viewer" and body["body"] == "Looks **good**"
    assert "<strong>good</strong>" in body["html"]
    assert member.post(f"{R}/{report.pk}/comments", {"body": "Agreed"}).status_code == 201

    listed = lab.api("author").get(f"{R}/{report.pk}/comments")
    assert listed.status_code == 200
    assert [(c["author"], c["body"]) for c in listed.json()["results"]] == [("lab-viewer", "Looks **good**"), ("lab-member", "Agreed")]


@pytest.mark.parametrize("body", ["", "   ", "x" * 20_001])
def test_comment_body_is_checked(lab, body):
    report = lab.report()
    refused = lab.api("viewer").post(f"{R}/{report.pk}/comments", {"body": body})
    assert refused.status_code == 400
    assert "body" in error_of(refused)["fields"]
    assert not Comment.objects.exists()


def test_comments_are_deleted_by_their_author_or_an_admin_only(lab):
    report = lab.report()
    by_viewer = reports.comment_add(report=report, actor=lab.people["viewer"], body="one")
    by_member = reports.comment_add(report=report, actor=lab.people["member"], body="two")
    path = f"{R}/{report.pk}/comments"

    # not the report's author, not another member, not a visitor
    for who in ("author", "member"):
        refused = lab.api(who).delete(f"{path}/{by_viewer.pk}")
        assert refused.status_code == 403, (who, refused.content)
        assert error_of(refused)["code"] == "forbidden"
    assert lab.api(None).delete(f"{path}/{by_viewer.pk}").status_code == 401
    assert lab.api("outsider").delete(f"{path}/{by_viewer.pk}").status_code == 404  # cannot see the report
    assert Comment.objects.filter(pk=by_viewer.pk).exists()

    assert lab.api("viewer").delete(f"{path}/{by_viewer.pk}").status_code == 204
    assert lab.api("admin").delete(f"{path}/{by_member.pk}").status_code == 204
    assert not Comment.objects.exists()
    assert lab.api("admin").delete(f"{path}/{by_member.pk}").status_code == 404


def test_a_comment_id_of_another_report_is_404(lab):
    one, two = lab.report(title="One"), lab.report(title="Two")
    comment = reports.comment_add(report=one, actor=lab.people["viewer"], body="on one")
    assert lab.api("admin").delete(f"{R}/{two.pk}/comments/{comment.pk}").status_code == 404
    assert Comment.objects.filter(pk=comment.pk).exists()


# --- Follow and star -------------------------------------------------------------------------


def test_star_toggles_and_counts(lab):
    report = lab.report()
    viewer, member = lab.api("viewer"), lab.api("member")
    path = f"{R}/{report.pk}/star"
    on = viewer.put(path)
    assert on.status_code == 200
    assert on.json()["starred"] is True and on.json()["star_count"] == 1
    assert viewer.put(path).json()["star_count"] == 1  # starring twice counts once
    assert member.put(path).json()["star_count"] == 2
    assert lab.api("author").get(f"{R}/{report.pk}").json()["star_count"] == 2
    listed = lab.api("author").get(R).json()["results"]
    assert [row["star_count"] for row in listed if row["id"] == report.pk] == [2]
    off = viewer.delete(path)
    assert off.json()["starred"] is False and off.json()["star_count"] == 1
    assert viewer.delete(path).json()["star_count"] == 1
    assert list(Star.objects.filter(report=report).values_list("user__username", flat=True)) == ["lab-member"]


def test_follow_toggles(lab):
    report = lab.report()
    viewer = lab.api("viewer")
    path = f"{R}/{report.pk}/follow"
    on = viewer.put(path)
    assert on.status_code == 200 and on.json()["following"] is True
    assert viewer.put(path).json()["following"] is True
    assert Follow.objects.filter(report=report, user=lab.people["viewer"]).count() == 1
    off = viewer.delete(path)
    assert off.json()["following"] is False
    assert not Follow.objects.filter(report=report, user=lab.people["viewer"]).exists()


# --- Follower emails -------------------------------------------------------------------------


def _mail_to(mailoutbox, person):
    return [m for m in mailoutbox if person.email in m.to]


def _unsubscribe_path(message):
    found = re.search(r"https?://\S+/reports/unfollow/\S+/", message.body)
    assert found, message.body
    return urlsplit(found.group(0)).path


def test_followers_hear_of_a_new_comment_once_never_the_actor(lab, mailoutbox, django_capture_on_commit_callbacks):
    report = lab.report(title="Sweep results")  # the author follows what they write
    assert lab.api("viewer").put(f"{R}/{report.pk}/follow").status_code == 200
    assert lab.api("member").put(f"{R}/{report.pk}/follow").status_code == 200
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert lab.api("member").post(f"{R}/{report.pk}/comments", {"body": "Try a lower learning rate."}).status_code == 201
    assert sorted(address for m in mailoutbox for address in m.to) == sorted([lab.people["author"].email, lab.people["viewer"].email])
    for person in ("author", "viewer"):
        (message,) = _mail_to(mailoutbox, lab.people[person])
        assert "Sweep results" in message.subject
        assert "Try a lower learning rate." in message.body
        assert f"/lab/reports/{report.pk}/" in message.body
        assert _unsubscribe_path(message).startswith("/lab/reports/unfollow/")
    assert not _mail_to(mailoutbox, lab.people["member"])


def test_followers_hear_of_a_new_revision_once_never_the_actor(lab, mailoutbox, django_capture_on_commit_callbacks):
    report = lab.report(title="Sweep results", body="v1")
    lab.api("viewer").put(f"{R}/{report.pk}/follow")
    lab.api("admin").put(f"{R}/{report.pk}/follow")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert lab.api("author").patch(f"{R}/{report.pk}", {"body": "v2", "base_revision": 1}).status_code == 200
    assert sorted(address for m in mailoutbox for address in m.to) == sorted([lab.people["viewer"].email, lab.people["admin"].email])
    (message,) = _mail_to(mailoutbox, lab.people["viewer"])
    assert "Sweep results" in message.subject and "2" in message.subject
    assert _unsubscribe_path(message)

    # a refused (stale) save tells nobody
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert lab.api("admin").patch(f"{R}/{report.pk}", {"body": "v3", "base_revision": 1}).status_code == 409
    assert mailoutbox == []


def test_follower_emails_wait_for_the_commit(lab, mailoutbox, django_capture_on_commit_callbacks):
    report = lab.report()
    lab.api("viewer").put(f"{R}/{report.pk}/follow")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert lab.api("member").post(f"{R}/{report.pk}/comments", {"body": "hello"}).status_code == 201
    assert mailoutbox == []  # nothing sent inside the transaction
    assert callbacks
    for callback in callbacks:
        callback()
    assert len(_mail_to(mailoutbox, lab.people["viewer"])) == 1


def test_the_unsubscribe_link_confirms_then_stops_following(lab, mailoutbox, django_capture_on_commit_callbacks):
    report = lab.report()
    lab.api("viewer").put(f"{R}/{report.pk}/follow")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lab.api("member").post(f"{R}/{report.pk}/comments", {"body": "first"})
    (message,) = _mail_to(mailoutbox, lab.people["viewer"])
    path = _unsubscribe_path(message)

    browser = Client()  # from an email client: not signed in
    shown = browser.get(path)
    assert shown.status_code == 200
    assert "Stop following" in shown.content.decode()
    assert Follow.objects.filter(report=report, user=lab.people["viewer"]).exists()  # a GET changes nothing

    done = browser.post(path)
    assert done.status_code == 200
    assert "no longer follow" in done.content.decode()
    assert not Follow.objects.filter(report=report, user=lab.people["viewer"]).exists()
    assert Follow.objects.filter(report=report, user=lab.people["author"]).exists()  # only that follower

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lab.api("member").post(f"{R}/{report.pk}/comments", {"body": "second"})
    assert not _mail_to(mailoutbox, lab.people["viewer"])
    assert _mail_to(mailoutbox, lab.people["author"])


def test_a_tampered_unsubscribe_link_is_404(lab):
    report = lab.report()
    token = reports.unsubscribe_token(report=report, user=lab.people["author"])
    assert Client().post(f"/lab/reports/unfollow/{token}x/").status_code == 404
    assert Follow.objects.filter(report=report, user=lab.people["author"]).exists()


def test_a_follower_who_can_no_longer_read_the_report_gets_no_email(lab, mailoutbox, django_capture_on_commit_callbacks):
    report = lab.report(body="v1")
    for who in ("viewer", "member", "admin"):
        lab.api(who).put(f"{R}/{report.pk}/follow")
    mailoutbox.clear()
    # back to draft: the author and team admins only
    with django_capture_on_commit_callbacks(execute=True):
        assert lab.api("author").patch(f"{R}/{report.pk}", {"body": "v2", "visibility": "draft", "base_revision": 1}).status_code == 200
    assert sorted(address for m in mailoutbox for address in m.to) == [lab.people["admin"].email]

    # someone who left the team hears nothing either
    lab.api("author").patch(f"{R}/{report.pk}", {"visibility": "team", "base_revision": 2})
    services.member_remove(actor=SYSTEM, membership=Membership.objects.get(team=lab.team, user=lab.people["member"]))
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert lab.api("admin").post(f"{R}/{report.pk}/comments", {"body": "back in the open"}).status_code == 201
    assert sorted(address for m in mailoutbox for address in m.to) == sorted([lab.people["author"].email, lab.people["viewer"].email])


# --- Charts in the HTML -------------------------------------------------------------------------


def _chart_world(lab):
    admin = lab.people["admin"]
    hidden = experiments.run_create(project=lab.projects["secret"], actor=admin, run_id="hidden-run-7q")
    experiments.history_append(actor=SYSTEM, run=hidden, rows=[{"step": 0, "values": {"loss": 0.123456}}])
    shown = experiments.run_create(project=lab.projects["vision"], actor=admin, run_id="shown-run-3k")
    experiments.history_append(actor=SYSTEM, run=shown, rows=[{"step": 0, "values": {"loss": 0.5}}])
    body = "Intro\n\n```chart\nruns: secret/hidden-run-7q, vision/shown-run-3k\nkeys: loss\n```\n"
    return reports.report_create(team=lab.team, actor=admin, title="Charts", body=body, visibility="public")


def test_a_chart_shows_only_the_runs_the_reader_may_see(lab):
    report = _chart_world(lab)

    admin_html = lab.api("admin").get(f"{R}/{report.pk}").json()["html"]
    assert "hidden-run-7q" in admin_html and "shown-run-3k" in admin_html
    assert "not available" not in admin_html

    # a member sees the team project, not the restricted one
    member_html = lab.api("member").get(f"{R}/{report.pk}").json()["html"]
    assert "shown-run-3k" in member_html
    assert "1 run not available" in member_html
    assert "hidden-run-7q" not in member_html and "/projects/secret/" not in member_html

    # visitors see neither run: no id, no history address, no data
    for who in ("outsider", None):
        html = lab.api(who).get(f"{R}/{report.pk}").json()["html"]
        assert "not available" in html
        for secret in ("hidden-run-7q", "shown-run-3k", "/projects/secret/", "/history", "0.123456"):
            assert secret not in html, (who, secret)

    # the same on the report page
    page = Client().get(f"/lab/reports/{report.pk}/").content.decode()
    assert "not available" in page
    assert "hidden-run-7q" not in page and "0.123456" not in page


# --- The list ---------------------------------------------------------------------------------


def _dated(report, minutes_ago):
    when = timezone.now() - timedelta(minutes=minutes_ago)
    Report.objects.filter(pk=report.pk).update(created_at=when, updated_at=when)
    return report


def test_the_list_shows_only_readable_reports_newest_first(lab):
    made = {
        "old-team": _dated(lab.report(title="Old team", visibility="team"), 50),
        "public": _dated(lab.report(title="Public one", visibility="public"), 40),
        "author-draft": _dated(lab.report(title="Author draft", visibility="draft"), 30),
        "member-draft": _dated(lab.report("member", title="Member draft", visibility="draft"), 20),
        "secret": _dated(lab.report("admin", title="Secret team", visibility="team", project=lab.projects["secret"]), 10),
        "new-team": _dated(lab.report("member", title="New team", visibility="team", project=lab.projects["vision"]), 0),
    }
    expected = {
        "author": ["New team", "Author draft", "Public one", "Old team"],
        "member": ["New team", "Member draft", "Public one", "Old team"],
        "viewer": ["New team", "Public one", "Old team"],
        "admin": ["New team", "Secret team", "Member draft", "Author draft", "Public one", "Old team"],
        "outsider": ["Public one"],
        None: ["Public one"],
    }
    for who, titles in expected.items():
        response = lab.api(who).get(R)
        assert response.status_code == 200, (who, response.content)
        assert [row["title"] for row in response.json()["results"]] == titles, who
        assert response.json()["next"] is None
    row = next(r for r in lab.api("viewer").get(R).json()["results"] if r["title"] == "New team")
    assert row["id"] == made["new-team"].pk and row["author"] == "lab-member" and row["project"] == "vision"
    assert row["visibility"] == "team" and row["revision"] == 1 and row["star_count"] == 0


def test_the_list_filters_by_text_author_and_project(lab):
    _dated(lab.report(title="Learning rate sweep", body="warmup helps"), 30)
    _dated(lab.report("member", title="Tokenizer notes", body="the LEARNING RATE was fixed", project=lab.projects["vision"]), 20)
    _dated(lab.report("member", title="Learning to rank", visibility="draft"), 10)  # the member's draft
    _dated(lab.report("admin", title="Secret learning", project=lab.projects["secret"]), 5)
    author = lab.api("author")

    def titles(query):
        response = author.get(f"{R}?{query}")
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert titles("q=learning") == ["Tokenizer notes", "Learning rate sweep"]  # title or text, any case; never hidden ones
    assert titles("q=warmup") == ["Learning rate sweep"]
    assert titles("author=lab-member") == ["Tokenizer notes"]
    assert titles("project=vision") == ["Tokenizer notes"]
    assert titles("project=secret") == []
    assert titles("q=learning&author=lab-author") == ["Learning rate sweep"]
    assert titles("q=nothing-like-this") == []


def test_the_list_pages(lab):
    for n in range(5):
        _dated(lab.report(title=f"R{n}"), 50 - n)
    first = lab.api("author").get(f"{R}?limit=2")
    assert [r["title"] for r in first.json()["results"]] == ["R4", "R3"]
    assert first.json()["next"]
    second = lab.api("author").get(urlsplit(first.json()["next"]).path + "?" + urlsplit(first.json()["next"]).query)
    assert [r["title"] for r in second.json()["results"]] == ["R2", "R1"]


def test_a_removed_author_no_longer_sees_their_draft_anywhere(lab):
    """A draft is for its author and the team admins; once the author leaves the team the
    detail is 404, and the list must agree with it."""
    draft = lab.report("member", title="Left behind", visibility="draft")
    services.member_remove(actor=SYSTEM, membership=Membership.objects.get(team=lab.team, user=lab.people["member"]))
    member = lab.api("member")
    detail = member.get(f"{R}/{draft.pk}")
    listed = [row["id"] for row in member.get(R).json()["results"]]
    assert (draft.pk in listed) is (detail.status_code == 200), (detail.status_code, listed)


# --- Badge --------------------------------------------------------------------------------------


def test_the_badge_is_public_only_for_public_reports(lab):
    public = lab.report(title="Shown everywhere", visibility="public")
    team = lab.report(title="Team only", visibility="team")
    draft = lab.report(title="Not yet", visibility="draft")
    outsider = Client()
    outsider.force_login(lab.people["outsider"])
    for browser in (Client(), outsider):
        shown = browser.get(f"/lab/reports/{public.pk}/badge.svg")
        assert shown.status_code == 200
        assert shown["Content-Type"].startswith("image/svg+xml")
        assert shown.content.startswith(b"<svg") and b"Shown everywhere" in shown.content
        for hidden in (team, draft):
            refused = browser.get(f"/lab/reports/{hidden.pk}/badge.svg")
            assert refused.status_code == (404 if browser is outsider else 302)  # a visitor is sent to sign in
            assert hidden.title.encode() not in refused.content
    member = Client()
    member.force_login(lab.people["member"])
    assert member.get(f"/lab/reports/{team.pk}/badge.svg").status_code == 200
    assert member.get(f"/lab/reports/{draft.pk}/badge.svg").status_code == 404
