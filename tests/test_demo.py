"""The demo `make run` loads (issue 13): every capability works for every kind of visitor, offline."""

import pytest
from django.test import Client

from experiments.models import Run, Workspace
from reports.models import Report
from teamsite.demo import keep_alive, load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_demo()


def signed_in(username):
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_showcased_public_report_charts_for_a_visitor(demo):
    report = Report.objects.get(visibility="public")
    body = Client().get(f"/demo-lab/reports/{report.pk}/").content.decode()
    assert "Chart not available" not in body
    assert "resnet18-no-augment" in body and "data-runs=" in body  # runs named by name, from the public project
    assert Client().get("/demo-lab/cifar10/badge.svg?metric=best_acc").status_code == 200


def test_nothing_in_the_demo_needs_the_internet(demo):
    for client in (Client(), signed_in("ada")):
        for path in ("/", "/demo-lab/"):
            body = client.get(path).content.decode()
            assert "shields.io" not in body and "https://img." not in body, path


def test_every_page_answers_for_each_person(demo):
    view = Workspace.objects.get(name="LR sweep")
    run = Run.objects.get(name="baseline-cnn")
    pages = ["/", "/demo-lab/", "/demo-lab/projects/", "/demo-lab/mnist/", f"/demo-lab/mnist/views/{view.pk}/",
             f"/demo-lab/mnist/runs/{run.run_id}/", "/demo-lab/cifar10/", "/demo-lab/reports/"]
    for username in ("ada", "max", "vera"):
        client = signed_in(username)
        for path in pages:
            assert client.get(path).status_code == 200, (username, path)
    visitor = Client()
    assert visitor.get("/demo-lab/cifar10/").status_code == 200
    assert visitor.get("/demo-lab/mnist/").status_code == 302  # team-only: sign in first


def test_demo_live_keeps_the_running_runs_alive(demo):
    live = Run.objects.filter(state="running")
    assert set(live.values_list("name", flat=True)) == {"long-schedule", "resnet34-live"}
    before = {run.pk: (run.heartbeat_at, run.series.get(key="loss").count) for run in live}
    assert keep_alive() == 2
    for run in Run.objects.filter(state="running"):
        assert run.heartbeat_at > before[run.pk][0]
        assert run.series.get(key="loss").count == before[run.pk][1] + 1
