"""Report pages (spec/pages.md: list, write with live preview, read, comments, follow,
star; HTMX swaps fragments, plain posts work too)."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from experiments import services as experiments
from reports import services as reports
from reports.models import Comment, Follow, Report, Revision, Star
from teams import services
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lab(db):
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
    project = experiments.project_create(team=team, name="vision", actor=admin)

    def browser(who):
        client = Client()
        if who is not None:
            client.force_login(people[who])
        return client

    def report(who="author", **fields):
        fields.setdefault("title", "Findings")
        fields.setdefault("visibility", "team")
        return reports.report_create(team=team, actor=people[who], **fields)

    return SimpleNamespace(team=team, org=org, people=people, project=project, browser=browser, report=report)


def _html(response):
    return response.content.decode()


def _is_fragment(html):
    lowered = html.lower()
    return "<html" not in lowered and "<body" not in lowered and "<!doctype" not in lowered


def _edit_link(report):
    return f'href="/lab/reports/{report.pk}/edit/"'


def _delete_form(report):
    return f'action="/lab/reports/{report.pk}/delete/"'


# --- The list ---------------------------------------------------------------------------------


def _many_reports(lab, count, start=0):
    author = lab.people["author"]
    Report.objects.bulk_create(
        [
            Report(team=lab.team, author=author, project=lab.project if n % 2 else None, title=f"Bulk {n}", body="text", visibility="public")
            for n in range(start, start + count)
        ]
    )
    some = list(Report.objects.filter(team=lab.team)[:3])
    for report in some:  # a few stars and comments, so the counts have something to count
        Star.objects.get_or_create(report=report, user=lab.people["viewer"])
        Comment.objects.create(report=report, author=lab.people["viewer"], body="hi")


def _list_queries(browser):
    with CaptureQueriesContext(connection) as captured:
        response = browser.get("/lab/reports/")
    assert response.status_code == 200
    html = _html(response)
    return len(captured), html.count('<li class="card">'), html


@pytest.mark.parametrize("who", [None, "viewer", "admin"])
def test_the_list_page_costs_the_same_queries_for_5_and_500_reports(lab, who):
    _many_reports(lab, 5)
    browser = lab.browser(who)
    browser.get("/lab/reports/")  # warm up per-process caches (site settings, content types)
    few, rows, html = _list_queries(browser)
    assert rows == 5 and "Bulk 4" in html
    _many_reports(lab, 495, start=5)
    many, rows, html = _list_queries(browser)
    assert rows >= 100 and "Bulk 499" in html
    assert many == few, f"{few} queries for 5 reports, {many} for 500"


def test_the_list_page_shows_readable_reports_and_filters(lab):
    lab.report(title="Team sweep", body="learning rate")
    lab.report(title="Hidden draft", visibility="draft")
    lab.report("member", title="Public tokenizer", visibility="public", project=lab.project)
    member = lab.browser("member")
    html = _html(member.get("/lab/reports/"))
    assert "Team sweep" in html and "Public tokenizer" in html and "Hidden draft" not in html
    assert "Write a report" in html
    filtered = _html(member.get("/lab/reports/?q=learning"))
    assert "Team sweep" in filtered and "Public tokenizer" not in filtered
    by_author = _html(member.get("/lab/reports/?author=lab-member"))
    assert "Public tokenizer" in by_author and "Team sweep" not in by_author
    by_project = _html(member.get("/lab/reports/?project=vision"))
    assert "Public tokenizer" in by_project and "Team sweep" not in by_project
    visitor = _html(lab.browser(None).get("/lab/reports/"))
    assert "Public tokenizer" in visitor and "Team sweep" not in visitor and "Write a report" not in visitor


def test_empty_states(lab):
    member = _html(lab.browser("member").get("/lab/reports/"))
    assert "No reports yet" in member
    assert 'href="/lab/reports/new/"' in member
    viewer = _html(lab.browser("viewer").get("/lab/reports/"))
    assert "No reports you can read" in viewer
    assert 'href="/lab/reports/new/"' not in viewer
    lab.report(title="Team only")
    outsider = _html(lab.browser("outsider").get("/lab/reports/"))
    assert "No reports you can read" in outsider and "Team only" not in outsider
    anonymous = _html(lab.browser(None).get("/lab/reports/"))
    assert "No reports you can read" in anonymous
    nothing = _html(lab.browser("member").get("/lab/reports/?q=zzz-no-match"))
    assert "No report matches" in nothing and "Team only" not in nothing


def test_the_list_page_of_an_unknown_team_is_404(lab):
    assert lab.browser("member").get("/nope/reports/").status_code == 404


# --- Writing: the new page and the live preview --------------------------------------------------


def test_new_report_page_and_live_preview(lab):
    author = lab.browser("author")
    page = author.get("/lab/reports/new/")
    assert page.status_code == 200
    html = _html(page)
    assert 'hx-post="/lab/reports/preview/"' in html and 'id="preview"' in html

    preview = author.post("/lab/reports/preview/", {"body": "# Heading\n\nSome **bold** text\n\n<script>alert(1)</script>"})
    assert preview.status_code == 200
    fragment = _html(preview)
    assert _is_fragment(fragment)
    assert fragment.strip().startswith('<div id="preview"')
    assert "<strong>bold</strong>" in fragment and "Heading</h1>" in fragment
    assert "<script>" not in fragment
    assert not Report.objects.exists()  # a preview saves nothing


def test_the_preview_needs_a_signed_in_post(lab):
    signed_out = lab.browser(None).post("/lab/reports/preview/", {"body": "x"})
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/accounts/login/")
    assert lab.browser("author").get("/lab/reports/preview/").status_code == 405


def test_saving_a_new_report(lab):
    response = lab.browser("author").post(
        "/lab/reports/new/", {"title": "From the page", "body": "Text", "visibility": "team", "project": "vision"}
    )
    assert response.status_code == 302
    report = Report.objects.get(title="From the page")
    assert response["Location"] == f"/lab/reports/{report.pk}/"
    assert report.author == lab.people["author"] and report.project == lab.project and report.visibility == "team"
    invalid = lab.browser("author").post("/lab/reports/new/", {"title": "", "body": "kept text", "visibility": "team"})
    assert invalid.status_code == 400
    assert "kept text" in _html(invalid)
    assert Report.objects.count() == 1


def test_who_may_open_the_new_report_page(lab):
    assert lab.browser(None).get("/lab/reports/new/")["Location"].startswith("/accounts/login/")
    assert lab.browser("viewer").get("/lab/reports/new/").status_code == 403
    assert lab.browser("outsider").get("/lab/reports/new/").status_code == 403
    refused = lab.browser("viewer").post("/lab/reports/new/", {"title": "No", "visibility": "team"})
    assert refused.status_code == 403
    assert not Report.objects.exists()


def test_an_outsider_may_write_about_an_open_project_on_the_page_too(lab):
    experiments.project_create(team=lab.team, name="commons", actor=lab.people["admin"], visibility="open")
    outsider = lab.browser("outsider")
    page = outsider.get("/lab/reports/new/")
    assert page.status_code == 200
    assert 'value="commons"' in _html(page)
    saved = outsider.post("/lab/reports/new/", {"title": "About commons", "visibility": "team", "project": "commons"})
    assert saved.status_code == 302
    assert Report.objects.get(title="About commons").author == lab.people["outsider"]


# --- Editing with stale-save protection -----------------------------------------------------------


def test_a_stale_save_from_the_edit_page_is_409_with_a_diff_and_keeps_the_text(lab):
    report = lab.report(body="line one\nline two\n")
    author = lab.browser("author")
    page = author.get(f"/lab/reports/{report.pk}/edit/")
    assert page.status_code == 200
    assert 'name="base_revision" value="1"' in _html(page)

    # meanwhile an admin saves revision 2
    reports.report_save(report=report, actor=lab.people["admin"], base_revision=1, body="line one\nadmin line\n")

    mine = "line one\nmy careful line\n"
    stale = author.post(
        f"/lab/reports/{report.pk}/edit/", {"title": "Findings", "body": mine, "visibility": "team", "base_revision": "1"}
    )
    assert stale.status_code == 409
    html = _html(stale)
    assert "This report changed since you opened it" in html
    assert "Nothing was overwritten" in html
    assert 'class="diff"' in html
    assert "admin line" in html and "my careful line" in html
    assert 'class="diff-add">+my careful line' in html
    assert 'class="diff-del">-admin line' in html
    # the user's text is still in the editor
    textarea = html[html.index('<textarea name="body"') :]
    textarea = textarea[: textarea.index("</textarea>")]
    assert "my careful line" in textarea
    # nothing was overwritten
    report.refresh_from_db()
    assert report.body == "line one\nadmin line\n" and report.revision == 2
    assert Revision.objects.filter(report=report).count() == 2
    # the form now carries the current revision: saving again (after merging) goes through
    assert 'name="base_revision" value="2"' in html
    again = author.post(
        f"/lab/reports/{report.pk}/edit/", {"title": "Findings", "body": mine, "visibility": "team", "base_revision": "2"}
    )
    assert again.status_code == 302
    report.refresh_from_db()
    assert report.body.strip() == mine.strip() and report.revision == 3  # form fields strip surrounding whitespace


def test_editing_from_the_page(lab):
    report = lab.report(body="old")
    saved = lab.browser("author").post(
        f"/lab/reports/{report.pk}/edit/", {"title": "Renamed", "body": "new", "visibility": "public", "base_revision": "1"}
    )
    assert saved.status_code == 302 and saved["Location"] == f"/lab/reports/{report.pk}/"
    report.refresh_from_db()
    assert (report.title, report.body, report.visibility, report.revision) == ("Renamed", "new", "public", 2)


# --- Comments over HTMX ---------------------------------------------------------------------------


def test_commenting_over_htmx_returns_only_the_comments_fragment(lab):
    report = lab.report()
    viewer = lab.browser("viewer")
    response = viewer.post(f"/lab/reports/{report.pk}/comments/", {"body": "Nice *work*"}, **HTMX)
    assert response.status_code == 200
    html = _html(response)
    assert _is_fragment(html)
    assert html.strip().startswith('<div id="comments-panel"')
    assert "<em>work</em>" in html and "lab-viewer" in html
    assert 'id="report-actions"' not in html and "Revisions" not in html
    assert Comment.objects.get(report=report).author == lab.people["viewer"]

    empty = viewer.post(f"/lab/reports/{report.pk}/comments/", {"body": ""}, **HTMX)
    assert empty.status_code == 400
    assert _is_fragment(_html(empty)) and 'id="comments-panel"' in _html(empty)
    assert Comment.objects.count() == 1

    comment = Comment.objects.get()
    deleted = viewer.post(f"/lab/reports/{report.pk}/comments/{comment.pk}/delete/", **HTMX)
    assert deleted.status_code == 200
    assert _is_fragment(_html(deleted)) and "No comments yet" in _html(deleted)
    assert not Comment.objects.exists()


def test_commenting_without_javascript_redirects_back(lab):
    report = lab.report()
    response = lab.browser("viewer").post(f"/lab/reports/{report.pk}/comments/", {"body": "plain post"})
    assert response.status_code == 302
    assert response["Location"] == f"/lab/reports/{report.pk}/#comments"
    assert Comment.objects.filter(body="plain post").exists()


def test_comment_delete_buttons_only_for_their_author_or_an_admin(lab):
    report = lab.report()
    comment = reports.comment_add(report=report, actor=lab.people["viewer"], body="mine")
    delete_action = f'action="/lab/reports/{report.pk}/comments/{comment.pk}/delete/"'
    assert delete_action in _html(lab.browser("viewer").get(f"/lab/reports/{report.pk}/"))
    assert delete_action in _html(lab.browser("admin").get(f"/lab/reports/{report.pk}/"))
    assert delete_action not in _html(lab.browser("author").get(f"/lab/reports/{report.pk}/"))
    assert lab.browser("member").post(f"/lab/reports/{report.pk}/comments/{comment.pk}/delete/").status_code == 403
    assert Comment.objects.filter(pk=comment.pk).exists()


# --- Follow and star over HTMX --------------------------------------------------------------------


@pytest.mark.parametrize("what,model,label", [("star", Star, "★ Starred"), ("follow", Follow, "Following")])
def test_follow_and_star_over_htmx_return_only_the_actions_fragment(lab, what, model, label):
    report = lab.report()
    viewer = lab.browser("viewer")
    on = viewer.post(f"/lab/reports/{report.pk}/{what}/", {"on": "1"}, **HTMX)
    assert on.status_code == 200
    html = _html(on)
    assert _is_fragment(html)
    assert html.strip().startswith('<div id="report-actions"')
    assert label in html
    assert 'id="comments-panel"' not in html
    assert model.objects.filter(report=report, user=lab.people["viewer"]).exists()

    off = viewer.post(f"/lab/reports/{report.pk}/{what}/", {"on": "0"}, **HTMX)
    assert off.status_code == 200 and _is_fragment(_html(off))
    assert label not in _html(off)
    assert not model.objects.filter(report=report, user=lab.people["viewer"]).exists()

    plain = viewer.post(f"/lab/reports/{report.pk}/{what}/", {"on": "1"})
    assert plain.status_code == 302 and plain["Location"] == f"/lab/reports/{report.pk}/"


def test_star_count_shows_in_the_fragment(lab):
    report = lab.report()
    reports.star_set(report=report, actor=lab.people["member"], on=True)
    html = _html(lab.browser("viewer").post(f"/lab/reports/{report.pk}/star/", {"on": "1"}, **HTMX))
    assert '★ Starred <span class="badge">2</span>' in html


# --- What each role sees on the report page -------------------------------------------------------


def test_a_viewer_comments_follows_stars_but_sees_no_edit_or_delete(lab):
    report = lab.report()
    viewer = lab.browser("viewer")
    html = _html(viewer.get(f"/lab/reports/{report.pk}/"))
    assert f'action="/lab/reports/{report.pk}/star/"' in html
    assert f'action="/lab/reports/{report.pk}/follow/"' in html
    assert f'action="/lab/reports/{report.pk}/comments/"' in html
    assert _edit_link(report) not in html and _delete_form(report) not in html
    assert viewer.get(f"/lab/reports/{report.pk}/edit/").status_code == 403
    assert viewer.post(f"/lab/reports/{report.pk}/delete/").status_code == 403
    assert Report.objects.filter(pk=report.pk).exists()


def test_members_edit_and_delete_only_their_own(lab):
    theirs = lab.report("author", title="Author's")
    own = lab.report("member", title="Member's")
    member = lab.browser("member")
    html = _html(member.get(f"/lab/reports/{theirs.pk}/"))
    assert _edit_link(theirs) not in html and _delete_form(theirs) not in html
    html = _html(member.get(f"/lab/reports/{own.pk}/"))
    assert _edit_link(own) in html and _delete_form(own) in html

    assert member.get(f"/lab/reports/{theirs.pk}/edit/").status_code == 403
    refused = member.post(f"/lab/reports/{theirs.pk}/edit/", {"title": "Mine now", "body": "x", "visibility": "team", "base_revision": "1"})
    assert refused.status_code == 403
    theirs.refresh_from_db()
    assert (theirs.title, theirs.revision) == ("Author's", 1)
    assert member.post(f"/lab/reports/{theirs.pk}/delete/").status_code == 403
    assert Report.objects.filter(pk=theirs.pk).exists()

    deleted = member.post(f"/lab/reports/{own.pk}/delete/")
    assert deleted.status_code == 302 and deleted["Location"] == "/lab/reports/"
    assert not Report.objects.filter(pk=own.pk).exists()


def test_an_admin_edits_and_deletes_any_report(lab):
    report = lab.report("author", body="text")
    admin = lab.browser("admin")
    html = _html(admin.get(f"/lab/reports/{report.pk}/"))
    assert _edit_link(report) in html and _delete_form(report) in html
    assert admin.get(f"/lab/reports/{report.pk}/edit/").status_code == 200
    saved = admin.post(f"/lab/reports/{report.pk}/edit/", {"title": "Findings", "body": "admin text", "visibility": "team", "base_revision": "1"})
    assert saved.status_code == 302
    report.refresh_from_db()
    assert report.body == "admin text" and report.revision == 2
    assert admin.post(f"/lab/reports/{report.pk}/delete/").status_code == 302
    assert not Report.objects.filter(pk=report.pk).exists()


def test_visitors_read_public_reports_and_are_asked_to_sign_in(lab):
    report = lab.report(visibility="public", body="Open **results**")
    anonymous = lab.browser(None)
    html = _html(anonymous.get(f"/lab/reports/{report.pk}/"))
    assert "<strong>results</strong>" in html
    assert "Sign in" in html
    assert f'action="/lab/reports/{report.pk}/comments/"' not in html
    assert _edit_link(report) not in html and _delete_form(report) not in html
    refused = anonymous.post(f"/lab/reports/{report.pk}/comments/", {"body": "hi"})
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/login/")
    assert anonymous.get(f"/lab/reports/{report.pk}/edit/")["Location"].startswith("/accounts/login/")
    assert not Comment.objects.exists()


def test_revisions_and_diffs_on_the_report_page(lab):
    report = lab.report(body="alpha\n")
    reports.report_save(report=report, actor=lab.people["author"], base_revision=1, body="alpha\nbeta\n")
    browser = lab.browser("viewer")
    old = _html(browser.get(f"/lab/reports/{report.pk}/?revision=1"))
    assert "You are reading revision 1 of 2" in old
    diff = _html(browser.get(f"/lab/reports/{report.pk}/?diff=2"))
    assert 'class="diff-add">+beta' in diff
