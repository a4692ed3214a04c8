"""The workspace: each person's own panels (automatic + their changes), saved views shared with the team, reset.

Issue 13: adding one panel once replaced the automatic charts for the whole team.
"""

import json
import re

import pytest

from experiments import services, workspaces
from experiments.models import Workspace
from teams import policy
from teams.policy import SYSTEM

from .test_views import WS, client_for, history, make_run, text, w  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def shown(client, url=WS):
    """The panels a page shows, as (type, keys) in order."""
    body = text(client.get(url))
    return [tuple(json.loads(m.replace("&quot;", '"'))["keys"]) for m in re.findall(r'data-panel="([^"]*)"', body)]


@pytest.fixture
def metrics(w):
    run = make_run(w, w.bob, "r1", name="first")
    history(run, val_loss=0.5)
    return run


def mine(w, user):
    return Workspace.objects.filter(project=w.project, owner=user).first()


def test_everyone_starts_with_one_automatic_chart_per_metric(w, metrics):
    assert shown(client_for(w.bob)) == [("acc",), ("loss",), ("val_loss",)]
    assert shown(client_for(w.vera)) == [("acc",), ("loss",), ("val_loss",)]
    assert Workspace.objects.count() == 0


def test_adding_a_panel_changes_only_my_workspace(w, metrics):
    bob = client_for(w.bob)
    response = bob.post(WS + "panels/", {"action": "add", "type": "line", "keys": "loss, acc", "x": "step", "smoothing": "0.5", "log_y": "on"})
    assert response.status_code == 302 and response["Location"] == WS + "#panels"
    assert shown(bob) == [("acc",), ("loss",), ("val_loss",), ("loss", "acc")]
    assert mine(w, w.bob).panels[-1] == {"type": "line", "title": "loss, acc", "keys": ["loss", "acc"], "x": "step", "smoothing": 0.5, "log_y": True}
    # the rest of the team still sees the automatic charts
    assert shown(client_for(w.carol)) == [("acc",), ("loss",), ("val_loss",)]


def test_move_remove_and_a_new_metric_still_gets_its_chart(w, metrics):
    bob = client_for(w.bob)
    url = WS + "panels/"
    bob.post(url, {"action": "up", "index": "1"})
    assert shown(bob) == [("loss",), ("acc",), ("val_loss",)]
    bob.post(url, {"action": "down", "index": "0"})
    assert shown(bob) == [("acc",), ("loss",), ("val_loss",)]
    bob.post(url, {"action": "up", "index": "0"})  # already first: nothing moves
    assert shown(bob) == [("acc",), ("loss",), ("val_loss",)]
    bob.post(url, {"action": "remove", "index": "0"})
    assert shown(bob) == [("loss",), ("val_loss",)]
    history(make_run(w, w.carol, "r2"), grad_norm=1.0)
    assert shown(bob) == [("loss",), ("val_loss",), ("grad_norm",)], "the removed chart stays away, a new metric appears"


def test_reset_to_automatic(w, metrics):
    bob = client_for(w.bob)
    bob.post(WS + "panels/", {"action": "remove", "index": "0"})
    assert "Reset to automatic" in text(bob.get(WS))
    response = bob.post(WS + "panels/", {"action": "reset"}, follow=True)
    assert "shows the automatic charts again" in text(response)
    assert mine(w, w.bob) is None
    assert shown(bob) == [("acc",), ("loss",), ("val_loss",)]


def test_panel_controls_save_in_place(w, metrics):
    bob = client_for(w.bob)
    response = bob.post(WS + "panels/", {"action": "update", "index": "1", "type": "line", "keys": "loss", "x": "relative", "smoothing": "0.8", "log_y": "on", "group_by": "config.lr"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    panel = mine(w, w.bob).panels[1]
    assert panel == {"type": "line", "title": "loss", "keys": ["loss"], "x": "relative", "smoothing": 0.8, "log_y": True, "group_by": "config.lr"}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "add", "keys": "", "x": "step"}, "needs at least one metric key"),
        ({"action": "add", "keys": " , ", "x": "step"}, "needs at least one metric key"),
        ({"action": "add", "keys": "k" * 300, "x": "step"}, "needs at least one metric key"),
        ({"action": "add", "keys": "loss", "x": "step", "smoothing": "1.5"}, "The panel was not added"),
        ({"action": "add", "keys": "loss", "x": "sideways"}, "The panel was not added"),
        ({"action": "add", "type": "scatter", "keys": "summary.acc"}, "needs two run values"),
        ({"action": "add", "type": "bar", "keys": "acc"}, "run values start with summary. or config."),
        ({"action": "add", "type": "markdown", "text": ""}, "a note needs some text"),
        ({"action": "remove", "index": "7"}, "That panel no longer exists"),
        ({"action": "up", "index": "x"}, "That panel no longer exists"),
        ({"action": "explode", "index": "0"}, "That panel no longer exists"),
    ],
)
def test_bad_panel_edits_say_why_and_save_nothing(w, data, message):
    services.project_panels_save(actor=w.bob, project=w.project, panels=[{"keys": ["loss"]}])
    before = mine(w, w.bob).panels
    response = client_for(w.bob).post(WS + "panels/", data, follow=True)
    assert response.status_code == 200
    assert message.lower() in text(response).lower()
    assert mine(w, w.bob).panels == before


def test_other_panel_kinds(w, metrics):
    bob = client_for(w.bob)
    for data in (
        {"type": "scatter", "keys": "config.lr, summary.acc"},
        {"type": "bar", "keys": "summary.acc"},
        {"type": "parallel", "keys": "config.lr, config.arch, summary.acc"},
        {"type": "markdown", "text": "**Read me** <script>alert(1)</script>", "title": "Notes"},
    ):
        response = bob.post(WS + "panels/", {"action": "add", "x": "step", **data})
        assert response.status_code == 302, data
    body = text(bob.get(WS))
    assert "<strong>Read me</strong>" in body and "<script>alert(1)" not in body
    kinds = [p["type"] for p in mine(w, w.bob).panels[-4:]]
    assert kinds == ["scatter", "bar", "parallel", "markdown"]


def test_signed_out_visitors_are_sent_to_sign_in(w, metrics):
    services.project_update(actor=SYSTEM, project=w.project, visibility="public")
    response = client_for().post(WS + "panels/", {"action": "add", "keys": "loss", "x": "step"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "Sign in" in text(client_for().get(WS)) and "Reset to automatic" not in text(client_for().get(WS))


def test_viewer_has_a_workspace_of_their_own_but_no_saved_views(w, metrics):
    vera = client_for(w.vera)
    assert vera.post(WS + "panels/", {"action": "remove", "index": "0"}).status_code == 302
    assert shown(vera) == [("loss",), ("val_loss",)]
    assert vera.post(WS + "views/", {"name": "mine"}).status_code == 403
    assert "Save as view" not in text(vera.get(WS))


def test_saved_views_are_shared_and_opened_by_url(w, metrics):
    bob = client_for(w.bob)
    bob.post(WS + "panels/", {"action": "remove", "index": "2"})
    response = bob.post(WS + "views/", {"name": "Losses", "table_cols": "config.lr", "table_order": "-summary.acc"})
    view = Workspace.objects.get(name="Losses")
    assert response.status_code == 302 and response["Location"] == f"{WS}views/{view.pk}/"
    assert view.owner is None and view.table == {"cols": "config.lr", "order": "-summary.acc"}
    carol = client_for(w.carol)
    assert "Losses" in text(carol.get(WS))
    page = text(carol.get(f"{WS}views/{view.pk}/"))
    assert 'value="config.lr"' in page, "the view brings its table columns"
    assert shown(carol, f"{WS}views/{view.pk}/") == [("acc",), ("loss",)]
    # editing the view changes it for everyone; a viewer may not
    carol.post(WS + "panels/", {"action": "remove", "index": "0", "view": str(view.pk)})
    assert shown(bob, f"{WS}views/{view.pk}/") == [("loss",)]
    assert client_for(w.vera).post(WS + "panels/", {"action": "remove", "index": "0", "view": str(view.pk)}).status_code == 403
    assert client_for(w.vera).post(f"{WS}views/{view.pk}/delete/").status_code == 403
    assert shown(client_for(w.vera), f"{WS}views/{view.pk}/") == [("loss",)]
    # same name twice: refused with a sentence
    response = bob.post(WS + "views/", {"name": "losses"}, follow=True)
    assert "already a view named" in text(response)
    assert bob.post(f"{WS}views/{view.pk}/delete/").status_code == 302
    assert client_for(w.bob).get(f"{WS}views/{view.pk}/").status_code == 404


def test_outsider_sees_no_view(w, metrics):
    view = services.view_save(actor=w.bob, project=w.project, name="v")
    assert client_for(w.olga).get(f"{WS}views/{view.pk}/").status_code == 404


def test_services_refuse_alone(w, metrics):
    view = services.view_save(actor=w.bob, project=w.project, name="v")
    with pytest.raises(policy.Denied):
        services.panel_edit(actor=w.vera, project=w.project, action="remove", index=0, view=view)
    with pytest.raises(policy.Denied):
        services.view_delete(actor=w.vera, view=view)
    from django.contrib.auth.models import AnonymousUser

    services.project_update(actor=SYSTEM, project=w.project, visibility="public")
    with pytest.raises(policy.Denied):
        services.panel_edit(actor=AnonymousUser(), project=w.project, action="remove", index=0)


def test_run_colours_are_stable(w):
    assert workspaces.run_color("abc") == workspaces.run_color("abc")
    a = make_run(w, w.bob, "one")
    b = make_run(w, w.bob, "two")
    first = {r["id"]: r["color"] for r in workspaces.chart_runs(w.project, [a, b])}
    second = {r["id"]: r["color"] for r in workspaces.chart_runs(w.project, [b])}
    assert first["two"] == second["two"]


def test_bulk_history_is_one_request_for_a_panel_with_flat_queries(w):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bulk = "/api/v1/teams/vision/projects/mnist/history"
    for n in range(3):
        run = make_run(w, w.bob, f"b{n}")
        rows = [{"step": i, "values": {"loss": 1.0 + (100.0 if i == 777 else 0.0)}} for i in range(2000)]
        services.history_append(actor=SYSTEM, run=run, rows=rows)
    client = client_for(w.bob)
    body = client.get(f"{bulk}?runs=b0,b1,b2,nope&keys=loss&samples=100").json()
    assert set(body["runs"]) == {"b0", "b1", "b2"} and body["missing"] == ["nope"] and body["sampled"] is True
    series = body["runs"]["b1"]["series"]["loss"]
    assert len(series["values"]) <= 100 and max(series["values"]) == 101.0, "the spike survives sampling"
    assert "ts" not in series and body["total_points"]["b1"]["loss"] == 2000
    with CaptureQueriesContext(connection) as few:
        client.get(f"{bulk}?runs=b0&keys=loss&samples=100")
    with CaptureQueriesContext(connection) as many:
        client.get(f"{bulk}?runs=b0,b1,b2&keys=loss&samples=100")
    assert len(many.captured_queries) == len(few.captured_queries)
    assert client.get(f"{bulk}?runs=&keys=loss").status_code == 400
    gz = client.get(f"{bulk}?runs=b0,b1,b2&keys=loss&samples=1000&ts=true", HTTP_ACCEPT_ENCODING="gzip")
    assert gz["Content-Encoding"] == "gzip"
