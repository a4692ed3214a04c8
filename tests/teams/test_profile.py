"""Team profiles (/<team>/), general settings (name, intro, links, avatar,
showcase), the privacy page, the team API's profile fields and the home page,
through the Django test client (issue 6)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from experiments import services as experiment_services
from experiments.models import Project, Run
from reports import services as report_services
from reports.models import Report
from teams import services
from profiles import services as profile_services
from profiles.models import ShowcaseItem
from tests import factories
from tests.accounts.test_avatars import image_bytes
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
HOME = "/vision/"
SETTINGS = "/vision/settings/"
AVATAR = "/vision/settings/avatar/"
PREVIEW = "/vision/settings/intro-preview/"
SHOWCASE = "/vision/settings/showcase/"
PRIVACY = "/vision/settings/privacy/"
API = "/api/v1/teams/vision"

INTRO = (
    "# Vision lab\n\nWe train **detectors**.\n\n"
    "[![build](https://img.shields.io/badge/build-passing-green)](https://ci.example.org/vision)\n\n"
    "<script>alert('pwned')</script>\n\n"
    "[click](javascript:alert('x'))\n"
)


# --- Set-up ----------------------------------------------------------------------------


@pytest.fixture
def admin(db):
    return factories.user(username="alice", display_name="Alice Admin")


@pytest.fixture
def org(admin):
    return services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=admin)


@pytest.fixture
def team(org, admin):
    return services.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=admin)


def add_member(team, role="member", **user_fields):
    person = factories.user(**user_fields)
    services.org_member_set(actor=SYSTEM, organization=team.organization, user=person, role="member")
    services.member_add(actor=SYSTEM, team=team, user=person, role=role)
    return person


@pytest.fixture
def member(team):
    return add_member(team, username="bob")


@pytest.fixture
def outsider(db):
    return factories.user(username="mallory")


def signed_in(person):
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def admin_client(admin):
    return signed_in(admin)


@pytest.fixture
def member_client(member):
    return signed_in(member)


def project(team, name, visibility="team", creator=None):
    return experiment_services.project_create(team=team, name=name, actor=creator, visibility=visibility)


def report(team, author, title, visibility="public"):
    return report_services.report_create(team=team, actor=author, title=title, body="Results.", visibility=visibility)


def runs(project_, actor, n):
    for i in range(n):
        experiment_services.run_create(project=project_, actor=actor, name=f"{project_.name}-run-{i}")


@pytest.fixture
def world(team, admin, member):
    """A team with public and non-public projects and reports, some showcased."""
    w = {
        "pub_project": project(team, "pub-detector", "public", admin),
        "open_project": project(team, "open-bench", "open", admin),
        "quiet_project": project(team, "quiet-public", "public", admin),
        "team_project": project(team, "secret-xyz-project", "team", admin),
        "restricted_project": project(team, "secret-xyz-restricted", "restricted", admin),
        "pub_report": report(team, admin, "Public findings"),
        "pub_report_2": report(team, admin, "Second public findings"),
        "team_report": report(team, admin, "secret-xyz-team-report", "team"),
        "draft_report": report(team, admin, "secret-xyz-draft", "draft"),
    }
    runs(w["pub_project"], admin, 3)
    runs(w["open_project"], admin, 1)
    runs(w["team_project"], admin, 2)
    services.team_update(actor=SYSTEM, 
        team=team,
        intro=INTRO,
        links=[{"label": "Lab website", "url": "https://lab.example.org/home"}, {"label": "Paper", "url": "https://arxiv.org/abs/1234"}],
    )
    # admins' order: second report, team project, pub project, team report, first report
    for kwargs in (
        {"report": w["pub_report_2"]},
        {"project": w["team_project"]},
        {"project": w["pub_project"]},
        {"report": w["team_report"]},
        {"report": w["pub_report"]},
    ):
        profile_services.showcase_add(actor=SYSTEM, team=team, **kwargs)
    return w


def html(response):
    return response.content.decode()


def section(page, heading_id):
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def showcase_titles(page):
    if 'id="showcase-heading"' not in page:
        return []
    return re.findall(r"<h3><a [^>]*>([^<]+)</a></h3>", section(page, "showcase-heading"))


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- 1. The profile ----------------------------------------------------------------------


class TestProfileForVisitors:
    def test_visitor_sees_intro_links_showcase_active_projects_and_member_count(self, client, world):
        response = client.get(HOME)
        assert response.status_code == 200
        page = html(response)
        assert "<h1>Vision</h1>" in page
        # intro: rendered Markdown, sanitized, with the badge as a linked image
        assert "<strong>detectors</strong>" in page
        assert re.search(r'<a href="https://ci.example.org/vision"[^>]*><img[^>]*src="https://img.shields.io/badge/build-passing-green"', page)
        assert "alert('pwned')" not in page
        assert "javascript:" not in page
        # links with their hosts
        links = page[page.index('aria-label="Links"') :]
        assert 'href="https://lab.example.org/home"' in links and "Lab website" in links
        assert "lab.example.org" in links and "arxiv.org" in links
        # showcase: only the public items, in the admins' order
        assert showcase_titles(page) == ["Second public findings", "pub-detector", "Public findings"]
        # most active public projects, busiest first; none without runs
        active = section(page, "active-heading")
        assert active.index("pub-detector") < active.index("open-bench")
        assert "3 runs in the last 30 days" in active
        assert "quiet-public" not in active
        # member count: alice and bob
        assert "2 members" in page

    @pytest.mark.parametrize("who", ["anonymous", "outsider"])
    def test_nothing_that_is_not_public_appears_not_even_its_name(self, client, world, outsider, who):
        if who == "outsider":
            client.force_login(outsider)
        page = html(client.get(HOME))
        assert "secret-xyz" not in page

    def test_member_also_sees_team_visible_showcased_items_and_projects(self, member_client, world):
        page = html(member_client.get(HOME))
        assert showcase_titles(page) == [
            "Second public findings",
            "secret-xyz-project",
            "pub-detector",
            "secret-xyz-team-report",
            "Public findings",
        ]
        assert "secret-xyz-project" in section(page, "projects-heading")
        assert "secret-xyz-project" in section(page, "active-heading")  # it has runs this month
        assert "secret-xyz-draft" not in page  # someone else's draft stays theirs

    def test_a_showcased_report_turning_private_leaves_visitors_and_is_marked_for_admins(self, client, admin_client, admin, world):
        report_services.report_save(report=world["pub_report_2"], actor=admin, base_revision=1, visibility="team")
        page = html(client.get(HOME))
        assert "Second public findings" not in page
        assert showcase_titles(page) == ["pub-detector", "Public findings"]
        settings_page = html(admin_client.get(SETTINGS))
        panel = settings_page[settings_page.index('id="showcase-panel"') :]
        rows = re.findall(r'<li class="list-row">(.*?)</li>', panel, re.DOTALL)
        marked = {re.search(r"<strong>([^<]+)</strong>", row).group(1): "hidden from visitors" in row for row in rows}
        assert marked["Second public findings"] is True
        assert marked["Public findings"] is False
        assert marked["pub-detector"] is False
        assert marked["secret-xyz-project"] is True

    def test_unknown_team_is_404(self, client, user):
        client.force_login(user)
        assert client.get("/no-such-team/").status_code == 404

    def test_unknown_team_sends_a_visitor_to_sign_in(self, client, db):
        # as for a private page: what a visitor may not see and what does not exist look the same
        response = client.get("/no-such-team/")
        assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/no-such-team/"


# --- 2. Query count ------------------------------------------------------------------------


def grow(team, admin, n, *, tag):
    """n projects and n reports, a third public; showcase three public ones of each; runs on a few."""
    projects = Project.objects.bulk_create(
        Project(team=team, name=f"{tag}-p{i}", visibility="public" if i % 3 == 0 else "team", created_by=admin) for i in range(n)
    )
    reports = Report.objects.bulk_create(
        Report(team=team, author=admin, title=f"{tag}-r{i}", body="x", visibility="public" if i % 3 == 0 else "team")
        for i in range(n)
    )
    Run.objects.bulk_create(Run(project=p, run_id=f"{tag}-run-{i}", name="r", created_by=admin) for i, p in enumerate(projects[:9]))
    for p in projects[:3]:
        ShowcaseItem.objects.create(team=team, project=p, position=100 + p.pk)
    for r in reports[:3]:
        ShowcaseItem.objects.create(team=team, report=r, position=100 + r.pk)


def count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_profile_queries_do_not_grow_with_projects_and_reports(team, admin, member, who):
    client = Client()
    if who == "member":
        client.force_login(member)
    grow(team, admin, 3, tag="small")
    count_queries(client)  # warm caches (site settings, sessions)
    small = count_queries(client)
    ShowcaseItem.objects.filter(team=team).delete()
    grow(team, admin, 297, tag="large")
    assert Project.objects.filter(team=team).count() == 300 and Report.objects.filter(team=team).count() == 300
    large = count_queries(client)
    assert small == large, f"{small} queries with 3 projects and reports, {large} with 300"


# --- 3. General settings ----------------------------------------------------------------------


class TestGeneralSettings:
    def test_only_team_managers_open_it(self, client, member_client, admin_client, team):
        assert admin_client.get(SETTINGS).status_code == 200
        assert member_client.get(SETTINGS).status_code == 403
        assert member_client.post(SETTINGS, {"name": "Hacked", "intro": "", "links": ""}).status_code == 403
        anonymous = client.get(SETTINGS)
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]
        team.refresh_from_db()
        assert team.name == "Vision"

    def test_saving_name_intro_and_links(self, admin_client, client, team):
        response = admin_client.post(
            SETTINGS,
            {
                "name": "Vision Research",
                "intro": "Hello **visitors**.",
                "links": "Lab | https://lab.example.org\n\nPaper | https://arxiv.org/abs/1\nhttps://bare.example.com/x\n",
            },
        )
        assert response.status_code == 302 and response["Location"] == SETTINGS
        team.refresh_from_db()
        assert team.name == "Vision Research"
        assert team.intro == "Hello **visitors**."
        assert team.links == [
            {"label": "Lab", "url": "https://lab.example.org"},
            {"label": "Paper", "url": "https://arxiv.org/abs/1"},
            {"label": "bare.example.com", "url": "https://bare.example.com/x"},
        ]
        page = html(client.get(HOME))
        assert "<strong>visitors</strong>" in page and "Vision Research" in page
        # the settings form shows the links back as lines
        form_page = html(admin_client.get(SETTINGS))
        assert "Lab | https://lab.example.org" in form_page

    @pytest.mark.parametrize(
        "changes, field, sentence",
        [
            ({"links": "Evil | javascript:alert(1)"}, "links", "must be a full http:// or https:// address"),
            ({"links": "Lab | example.org"}, "links", "must be a full http:// or https:// address"),
            ({"links": "example.org"}, "links", "must be a full http:// or https:// address"),
            ({"intro": "x" * 50_001}, "intro", "at most 50000 characters"),
        ],
        ids=["javascript-link", "labelled-link-without-scheme", "bare-link-without-scheme", "intro-too-long"],
    )
    def test_bad_input_is_400_with_a_sentence_and_nothing_changes(self, admin_client, team, changes, field, sentence):
        services.team_update(actor=SYSTEM, team=team, intro="Old intro.", links=[{"label": "Old", "url": "https://old.example.org"}])
        data = {"name": "Renamed", "intro": "New intro.", "links": "New | https://new.example.org", **changes}
        response = admin_client.post(SETTINGS, data)
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert field in errors
        assert sentence in " ".join(errors[field])
        assert sentence in html(response)
        team.refresh_from_db()
        assert team.name == "Vision"
        assert team.intro == "Old intro."
        assert team.links == [{"label": "Old", "url": "https://old.example.org"}]

    def test_a_valid_png_becomes_the_avatar_shown_on_the_profile(self, admin_client, client, team):
        upload = SimpleUploadedFile("logo.png", image_bytes("PNG"), content_type="image/png")
        response = admin_client.post(AVATAR, {"avatar": upload})
        assert response.status_code == 302 and response["Location"] == SETTINGS
        team.refresh_from_db()
        assert team.avatar_large and team.avatar_small
        assert team.avatar_large.storage.exists(team.avatar_large.name)
        assert f'src="{team.avatar_large.url}"' in html(client.get(HOME))

    def test_a_text_file_named_png_is_refused_and_the_old_avatar_stays(self, admin_client, team):
        admin_client.post(AVATAR, {"avatar": SimpleUploadedFile("logo.png", image_bytes("PNG"), content_type="image/png")})
        team.refresh_from_db()
        old_large, old_small = team.avatar_large.name, team.avatar_small.name
        assert old_large
        fake = SimpleUploadedFile("evil.png", b"hello, I am text pretending to be an image\n" * 10, content_type="image/png")
        response = admin_client.post(AVATAR, {"avatar": fake})
        assert response.status_code == 400
        errors = response.context["avatar_form"].errors
        assert "not a PNG, JPEG, WebP or GIF" in " ".join(errors["avatar"])
        team.refresh_from_db()
        assert (team.avatar_large.name, team.avatar_small.name) == (old_large, old_small)
        assert team.avatar_large.storage.exists(old_large)

    def test_a_member_cannot_upload_an_avatar(self, member_client, team):
        upload = SimpleUploadedFile("logo.png", image_bytes("PNG"), content_type="image/png")
        assert member_client.post(AVATAR, {"avatar": upload}).status_code == 403
        team.refresh_from_db()
        assert not team.avatar_large


# --- 4. Intro preview ---------------------------------------------------------------------------


class TestIntroPreview:
    def test_returns_the_rendered_fragment(self, admin_client, team):
        response = admin_client.post(PREVIEW, {"intro": "Hi **there**<script>alert(1)</script>"}, headers=HTMX)
        assert response.status_code == 200
        body = html(response)
        assert "<html" not in body
        assert 'id="intro-preview"' in body
        assert "<strong>there</strong>" in body
        assert "<script>" not in body

    def test_refused_to_non_admins(self, member_client, client, team):
        assert member_client.post(PREVIEW, {"intro": "x"}).status_code == 403
        assert client.post(PREVIEW, {"intro": "x"}).status_code == 302  # signed out: to sign in


# --- 5. Showcase ------------------------------------------------------------------------------------


def order(team):
    return [
        item.report.title if item.report_id else item.project.name
        for item in ShowcaseItem.objects.filter(team=team).select_related("report", "project").order_by("position", "id")
    ]


class TestShowcase:
    def test_plain_post_adds_moves_and_removes_then_redirects(self, admin_client, team, admin):
        r = report(team, admin, "Headline result")
        p = project(team, "detector", "public", admin)
        for item in (f"report:{r.pk}", f"project:{p.pk}"):
            response = admin_client.post(SHOWCASE, {"action": "add", "item": item})
            assert response.status_code == 302 and response["Location"] == SETTINGS + "#showcase"
        assert order(team) == ["Headline result", "detector"]
        second = ShowcaseItem.objects.get(team=team, project=p)
        admin_client.post(SHOWCASE, {"action": "up", "id": second.pk})
        assert order(team) == ["detector", "Headline result"]
        admin_client.post(SHOWCASE, {"action": "down", "id": second.pk})
        assert order(team) == ["Headline result", "detector"]
        response = admin_client.post(SHOWCASE, {"action": "remove", "id": second.pk})
        assert response.status_code == 302
        assert order(team) == ["Headline result"]

    def test_htmx_gets_only_the_showcase_panel(self, admin_client, team, admin):
        r = report(team, admin, "Headline result")
        p = project(team, "detector", "public", admin)
        response = admin_client.post(SHOWCASE, {"action": "add", "item": f"report:{r.pk}"}, headers=HTMX)
        assert response.status_code == 200
        body = html(response)
        assert body.lstrip().startswith('<div id="showcase-panel">')
        assert "<html" not in body and "Headline result" in body
        admin_client.post(SHOWCASE, {"action": "add", "item": f"project:{p.pk}"}, headers=HTMX)
        item = ShowcaseItem.objects.get(team=team, project=p)
        body = html(admin_client.post(SHOWCASE, {"action": "up", "id": item.pk}, headers=HTMX))
        assert "<html" not in body
        assert body.index("detector") < body.index("Headline result")
        body = html(admin_client.post(SHOWCASE, {"action": "remove", "id": item.pk}, headers=HTMX))
        assert order(team) == ["Headline result"]
        assert "<html" not in body

    def test_a_draft_report_is_refused(self, admin_client, team, admin):
        draft = report(team, admin, "Unfinished", "draft")
        response = admin_client.post(SHOWCASE, {"action": "add", "item": f"report:{draft.pk}"}, headers=HTMX)
        assert response.status_code == 400
        assert 'role="alert"' in html(response)
        assert order(team) == []

    def test_another_teams_items_are_refused(self, admin_client, team, org, admin):
        other = services.team_create(organization=org, slug="other", name="Other", actor=SYSTEM, admin=admin)
        r = report(other, admin, "Not yours")
        p = project(other, "not-yours", "public", admin)
        for item in (f"report:{r.pk}", f"project:{p.pk}"):
            response = admin_client.post(SHOWCASE, {"action": "add", "item": item}, headers=HTMX)
            assert response.status_code == 400
            assert "Choose one report or one project" in html(response)
            response = admin_client.post(SHOWCASE, {"action": "add", "item": item}, follow=True)
            assert any("Choose one report or one project" in m for m in messages_of(response))
        assert ShowcaseItem.objects.count() == 0

    def test_members_cannot_edit_the_showcase(self, member_client, team, admin):
        r = report(team, admin, "Headline result")
        assert member_client.post(SHOWCASE, {"action": "add", "item": f"report:{r.pk}"}).status_code == 403
        assert order(team) == []


# --- 6. Privacy ---------------------------------------------------------------------------------------


class TestPrivacy:
    def test_lists_every_project_with_visibility_run_count_and_creator(self, admin_client, member_client, team, admin, member):
        a = project(team, "alpha", "team", admin)
        project(team, "beta", "restricted", member)
        project(team, "gamma", "public", admin)
        runs(a, admin, 4)
        response = admin_client.get(PRIVACY)
        assert response.status_code == 200
        page = html(response)
        rows = dict(re.findall(r'<tr id="privacy-([\w.-]+)">(.*?)</tr>', page, re.DOTALL))
        assert set(rows) == {"alpha", "beta", "gamma"}
        for name, visibility, run_count, creator in [("alpha", "team", 4, "alice"), ("beta", "restricted", 0, "bob"), ("gamma", "public", 0, "alice")]:
            row = rows[name]
            assert re.search(rf'<option value="{visibility}" selected', row), name
            assert f"<td>{run_count}</td>" in row
            assert f"<td>{creator}</td>" in row
        assert member_client.get(PRIVACY).status_code == 403

    @pytest.mark.parametrize("target", ["team", "restricted"])
    def test_narrowing_saves_directly(self, admin_client, team, admin, target):
        p = project(team, "alpha", "public", admin)
        response = admin_client.post(PRIVACY, {"form": "visibility", "project": p.pk, "visibility": target})
        assert response.status_code == 302
        p.refresh_from_db()
        assert p.visibility == target

    @pytest.mark.parametrize("target", ["public", "open"])
    def test_widening_asks_first_and_saves_only_when_confirmed(self, admin_client, team, admin, target):
        p = project(team, "alpha", "team", admin)
        response = admin_client.post(PRIVACY, {"form": "visibility", "project": p.pk, "visibility": target})
        assert response.status_code == 200
        page = html(response)
        assert f"Make alpha {target}?" in page
        assert 'name="confirmed" value="1"' in page
        p.refresh_from_db()
        assert p.visibility == "team"
        response = admin_client.post(PRIVACY, {"form": "visibility", "project": p.pk, "visibility": target, "confirmed": "1"})
        assert response.status_code == 302
        p.refresh_from_db()
        assert p.visibility == target

    def test_htmx_gets_only_the_privacy_table(self, admin_client, team, admin):
        p = project(team, "alpha", "team", admin)
        response = admin_client.post(PRIVACY, {"form": "visibility", "project": p.pk, "visibility": "restricted"}, headers=HTMX)
        assert response.status_code == 200
        body = html(response)
        assert body.lstrip().startswith('<div id="privacy-table">') and "<html" not in body
        assert re.search(r'<option value="restricted" selected', body)
        confirm = html(admin_client.post(PRIVACY, {"form": "visibility", "project": p.pk, "visibility": "public"}, headers=HTMX))
        assert confirm.lstrip().startswith('<div id="privacy-table">') and "Make alpha public?" in confirm
        p.refresh_from_db()
        assert p.visibility == "restricted"
        admin_client.post(PRIVACY, {"form": "visibility", "project": p.pk, "visibility": "public", "confirmed": "1"}, headers=HTMX)
        p.refresh_from_db()
        assert p.visibility == "public"

    def test_keeping_projects_inside_lists_public_ones_then_moves_them(self, admin_client, client, team, admin):
        pub = project(team, "alpha", "public", admin)
        opened = project(team, "beta", "open", admin)
        inside = project(team, "gamma", "restricted", admin)
        runs(pub, admin, 1)
        response = admin_client.post(PRIVACY, {"form": "inside", "on": "1"})
        assert response.status_code == 200
        warning = html(response)
        warning = warning[warning.index("These projects will become visible to the team only") :]
        warning = warning[: warning.index("</p>")]
        assert "alpha (public)" in warning and "beta (open)" in warning and "gamma" not in warning
        team.refresh_from_db()
        assert team.projects_stay_inside is False
        assert Project.objects.get(pk=pub.pk).visibility == "public"
        response = admin_client.post(PRIVACY, {"form": "inside", "on": "1", "confirmed": "1"})
        assert response.status_code == 302
        team.refresh_from_db()
        assert team.projects_stay_inside is True
        assert {p.name: p.visibility for p in Project.objects.filter(team=team)} == {"alpha": "team", "beta": "team", "gamma": "restricted"}
        assert "alpha" not in html(client.get(HOME))  # visitors lose it at once
        del opened, inside

    def test_keeping_inside_without_public_projects_needs_no_confirmation(self, admin_client, team, admin):
        project(team, "alpha", "team", admin)
        assert admin_client.post(PRIVACY, {"form": "inside", "on": "1"}).status_code == 302
        team.refresh_from_db()
        assert team.projects_stay_inside is True

    def test_while_inside_a_confirmed_public_choice_is_refused_with_a_sentence(self, admin_client, team, admin):
        p = project(team, "alpha", "team", admin)
        services.team_update(actor=SYSTEM, team=team, projects_stay_inside=True)
        response = admin_client.post(PRIVACY, {"form": "visibility", "project": p.pk, "visibility": "public", "confirmed": "1"})
        assert response.status_code == 400
        assert any("keeps its projects inside the team" in m for m in messages_of(response))
        assert "keeps its projects inside the team, so a project cannot be public." in html(response)
        p.refresh_from_db()
        assert p.visibility == "team"

    def test_while_inside_choosing_public_is_refused_at_once(self, admin_client, team, admin):
        p = project(team, "alpha", "team", admin)
        services.team_update(actor=SYSTEM, team=team, projects_stay_inside=True)
        response = admin_client.post(PRIVACY, {"form": "visibility", "project": p.pk, "visibility": "public"}, headers=HTMX)
        body = html(response)
        p.refresh_from_db()
        assert p.visibility == "team"
        assert "Yes, make it public" not in body
        assert response.status_code == 400

    def test_the_visitor_view_follows_a_visibility_change(self, admin_client, client, team, admin):
        p = project(team, "alpha", "team", admin)
        runs(p, admin, 1)
        assert "alpha" not in html(client.get(HOME))
        admin_client.post(PRIVACY, {"form": "visibility", "project": p.pk, "visibility": "public", "confirmed": "1"})
        assert "alpha" in section(html(client.get(HOME)), "active-heading")


# --- 7. API -------------------------------------------------------------------------------------------


class TestApi:
    def test_get_returns_the_profile_fields(self, client, team):
        services.team_update(actor=SYSTEM, team=team, intro="Hi **all**", links=[{"label": "Lab", "url": "https://lab.example.org"}])
        response = client.get(API)
        assert response.status_code == 200
        body = response.json()
        assert body["intro"] == "Hi **all**"
        assert "<strong>all</strong>" in body["intro_html"]
        assert body["links"] == [{"label": "Lab", "url": "https://lab.example.org"}]

    def test_patch_changes_links_and_intro(self, api_client, admin, team):
        api_client.as_user(admin)
        response = api_client.patch(API, {"intro": "New *intro*", "links": [{"label": "", "url": "https://papers.example.org/a"}]})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["intro"] == "New *intro*" and "<em>intro</em>" in body["intro_html"]
        assert body["links"] == [{"label": "papers.example.org", "url": "https://papers.example.org/a"}]
        team.refresh_from_db()
        assert team.intro == "New *intro*"
        assert team.links == body["links"]

    @pytest.mark.parametrize("url", ["javascript:alert(1)", "example.org"])
    def test_bad_link_is_400_with_fields_links_and_nothing_changes(self, api_client, admin, team, url):
        services.team_update(actor=SYSTEM, team=team, intro="Old", links=[{"label": "Old", "url": "https://old.example.org"}])
        api_client.as_user(admin)
        response = api_client.patch(API, {"intro": "New", "links": [{"label": "Bad", "url": url}]})
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert "links" in error["fields"]
        assert "http://" in " ".join(error["fields"]["links"])
        team.refresh_from_db()
        assert team.intro == "Old"
        assert team.links == [{"label": "Old", "url": "https://old.example.org"}]

    def test_members_cannot_patch(self, api_client, member, team):
        api_client.as_user(member)
        response = api_client.patch(API, {"intro": "Mine"})
        assert response.status_code == 403
        team.refresh_from_db()
        assert team.intro == ""


# --- 8. Home page --------------------------------------------------------------------------------------


class TestHome:
    def test_signed_out_sees_public_teams_and_public_reports(self, client, team, org, admin):
        report(team, admin, "Public findings")
        report(team, admin, "secret-xyz-team-only", "team")
        report(team, admin, "secret-xyz-draft", "draft")
        hidden = services.team_create(organization=org, slug="hidden", name="Hidden Team", actor=SYSTEM, admin=admin)
        project(hidden, "internal", "team", admin)
        page = html(client.get("/"))
        teams = section(page, "explore-teams-heading")
        assert "Vision" in teams and "Hidden Team" not in teams
        reports = section(page, "explore-reports-heading")
        assert "Public findings" in reports
        assert "secret-xyz" not in page

    def test_signed_in_sees_my_teams_runs_and_followed_reports(self, member_client, team, admin, member, org):
        p = project(team, "detector", "team", admin)
        experiment_services.run_create(project=p, actor=member, name="bobs-run")
        experiment_services.run_create(project=p, actor=admin, name="alices-run")
        followed = report(team, admin, "Followed team report", "team")
        report(team, admin, "Not followed", "team")
        report_services.follow_set(report=followed, actor=member, on=True)
        other = services.team_create(organization=org, slug="other", name="Other Team", actor=SYSTEM, admin=admin)
        page = html(member_client.get("/"))
        assert "Welcome" in page
        mine = section(page, "my-teams-heading")
        assert "Vision" in mine and "Other Team" not in mine
        runs_section = section(page, "my-runs-heading")
        assert "bobs-run" in runs_section and "alices-run" not in runs_section
        follows = section(page, "followed-heading")
        assert "Followed team report" in follows and "Not followed" not in follows
        del other
