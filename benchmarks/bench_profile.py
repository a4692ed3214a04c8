"""The team profile with 300 projects and 300 reports: server time and queries."""

from django.test import Client


def run(median_ms):
    from teams.policy import SYSTEM
    from accounts.services import user_create
    from experiments.models import Project
    from reports.models import Report
    from profiles.services import showcase_add
    from teams import services as team_services

    owner = user_create(username="profile-owner", email="profile@example.com", password="a-long-bench-secret-1")
    org = team_services.organization_create(actor=SYSTEM, slug="profile-org", name="Profile", admin=owner)
    team = team_services.team_create(actor=SYSTEM, organization=org, slug="profile", name="Profile Lab", admin=owner)
    team_services.team_update(actor=SYSTEM, team=team, intro="# Hello\n\nWe **train** models. [site](https://example.org)", links=[{"label": "Site", "url": "https://example.org"}])
    Project.objects.bulk_create([Project(team=team, name=f"p{i:03d}", visibility="public" if i % 2 else "team", created_by=owner) for i in range(300)])
    Report.objects.bulk_create([Report(team=team, author=owner, title=f"Report {i}", body="x", visibility="public" if i % 2 else "team") for i in range(300)])
    for project in Project.objects.filter(team=team, visibility="public")[:3]:
        showcase_add(actor=SYSTEM, team=team, project=project)
    for report in Report.objects.filter(team=team, visibility="public")[:3]:
        showcase_add(actor=SYSTEM, team=team, report=report)
    rows = []
    for label, client in (("visitor", Client()), ("member", Client())):
        if label == "member":
            client.force_login(owner)
        def page():
            assert client.get("/profile/").status_code == 200

        median, p95 = median_ms(page, repeat=60, warmup=5)
        rows.append((f"team profile, 300 projects + 300 reports ({label})", f"{median:.1f} ms median", f"p95 {p95:.1f} ms", "flat query count: a test"))
    return rows
