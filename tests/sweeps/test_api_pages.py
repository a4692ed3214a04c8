"""Sweeps and media through the API and the pages."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from experiments import services
from experiments.models import RunMedia
from tests import factories

pytestmark = pytest.mark.django_db
GRID = {"method": "grid", "metric": {"name": "acc", "goal": "maximize"}, "parameters": {"lr": {"values": [0.1, 0.01]}, "depth": {"values": [2, 4]}}}


@pytest.fixture
def w(db):
    people = factories.team_with_members()
    people.project = factories.project(people.team, actor=people.admin, name="vision")
    people.key = factories.api_key(people.member)
    people.base = f"/api/v1/teams/{people.team.slug}/projects/vision"
    return people


def call(w, method, path, body=None, **extra):
    client = Client()
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {w.key}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    kwargs.update(extra)
    return getattr(client, method)(w.base + path, **kwargs)


def png(width=8, height=6, fmt="PNG"):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(out, format=fmt)
    return out.getvalue()


def test_create_next_until_exhausted_then_204(w):
    created = call(w, "post", "/sweeps", {"config": GRID, "name": "lr-depth"})
    assert created.status_code == 201
    sweep_id = created.json()["sweep_id"]
    assert created.json()["url"].endswith(f"/vision/sweeps/{sweep_id}/")
    configs = []
    for n in range(4):
        answer = call(w, "post", f"/sweeps/{sweep_id}/next", {"agent": "box-1"})
        assert answer.status_code == 200
        configs.append(answer.json()["config"])
        run_id = answer.json()["run_id"]
        call(w, "patch", f"/runs/{run_id}", {"summary": {"acc": 0.5 + n / 10}, "state": "finished"})
    assert call(w, "post", f"/sweeps/{sweep_id}/next").status_code == 204
    assert sorted((c["lr"], c["depth"]) for c in configs) == [(0.01, 2), (0.01, 4), (0.1, 2), (0.1, 4)]
    detail = call(w, "get", f"/sweeps/{sweep_id}").json()
    assert detail["run_count"] == 4 and detail["best"]["value"] == pytest.approx(0.8)
    assert sorted(run["value"] for run in detail["runs"]) == pytest.approx([0.5, 0.6, 0.7, 0.8])
    listed = call(w, "get", "/sweeps").json()["results"]
    assert listed[0]["sweep_id"] == sweep_id and listed[0]["best"]["value"] == pytest.approx(0.8)


def test_a_yaml_config_and_a_bad_one(w):
    yaml_text = "method: random\nmetric: {name: loss}\nparameters:\n  lr: {min: 0.001, max: 0.1, distribution: log_uniform_values}\n"
    assert call(w, "post", "/sweeps", {"config": yaml_text}).status_code == 201
    bad = call(w, "post", "/sweeps", {"config": {"method": "grid", "parameters": {"lr": {"min": 0.1, "max": 1.0}}}})
    assert bad.status_code == 400 and "parameters.lr" in bad.json()["error"]["fields"]


def test_pause_and_delete(w):
    sweep_id = call(w, "post", "/sweeps", {"config": GRID}).json()["sweep_id"]
    assert call(w, "patch", f"/sweeps/{sweep_id}", {"state": "paused"}).json()["state"] == "paused"
    assert call(w, "post", f"/sweeps/{sweep_id}/next").status_code == 204
    assert call(w, "delete", f"/sweeps/{sweep_id}").status_code == 403  # members do not delete sweeps


def test_media_round_trips(w):
    run = factories.run(w.project, actor=w.member, run_id="r1")
    meta = json.dumps({"key": "samples", "step": 3, "kind": "image", "caption": "a digit"})
    answer = Client().post(
        f"{w.base}/runs/r1/media", {"meta": meta, "file": SimpleUploadedFile("x.jpg", png(fmt="JPEG"))}, HTTP_AUTHORIZATION=f"Bearer {w.key}"
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["kind"] == "image" and body["step"] == 3 and body["url"].endswith(f"/runs/r1/media/{body['id']}")
    table = json.dumps({"columns": ["x", "y"], "data": [[1, "a"], [2, "b"]]}).encode()
    Client().post(f"{w.base}/runs/r1/media", {"meta": json.dumps({"key": "preds", "step": 3, "kind": "table"}), "file": SimpleUploadedFile("t.json", table)},
                  HTTP_AUTHORIZATION=f"Bearer {w.key}")
    hist = json.dumps({"values": [0.1, 0.2, 0.2, 0.9]}).encode()
    for step in (1, 2):
        Client().post(f"{w.base}/runs/r1/media", {"meta": json.dumps({"key": "weights", "step": step, "kind": "histogram"}),
                      "file": SimpleUploadedFile("h.json", hist)}, HTTP_AUTHORIZATION=f"Bearer {w.key}")
    listed = call(w, "get", "/runs/r1/media").json()["results"]
    assert [(m["key"], m["kind"]) for m in listed] == [("preds", "table"), ("samples", "image"), ("weights", "histogram"), ("weights", "histogram")]
    assert listed[1]["width"] == 8 and listed[1]["height"] == 6 and listed[0]["rows"] == 2
    assert [m["step"] for m in call(w, "get", "/runs/r1/media?kind=histogram&step=2").json()["results"]] == [2]
    page = Client()
    page.force_login(w.viewer)
    image = page.get(listed[1]["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).format == "PNG"  # re-encoded
    shown = page.get(f"/{w.team.slug}/vision/runs/r1/?tab=media")
    assert shown.status_code == 200
    text = shown.content.decode()
    assert "a digit" in text and "data-media-slider" in text and "data-sortable" in text and "heat-strip" in text


@pytest.mark.parametrize("data, message", [(b"not an image", "not a PNG"), (png(fmt="BMP"), "not a PNG")])
def test_images_that_are_refused(w, data, message):
    run = factories.run(w.project, actor=w.member, run_id="r2")
    with pytest.raises(Exception) as refused:
        services.media_save(actor=w.member, run=run, meta={"key": "k", "step": 0, "kind": "image"}, upload=SimpleUploadedFile("x", data))
    assert message in str(refused.value)
    assert not RunMedia.objects.exists()


def test_too_many_megapixels_is_refused_before_decoding(w):
    run = factories.run(w.project, actor=w.member, run_id="r3")
    big = io.BytesIO()
    Image.new("1", (8000, 7000)).save(big, format="PNG")  # 56 megapixels, a few kB
    with pytest.raises(Exception) as refused:
        services.media_save(actor=w.member, run=run, meta={"key": "k", "step": 0, "kind": "image"}, upload=SimpleUploadedFile("x.png", big.getvalue()))
    assert "megapixels" in str(refused.value)


def test_sweep_pages(w):
    sweep = services.sweep_create(actor=w.member, project=w.project, config=GRID, name="lr-depth")
    for n in range(4):
        run = services.sweep_next(actor=w.member, sweep=sweep)
        services.run_update(actor=w.member, run=run, summary={"acc": 0.5 + n / 10}, state="finished")
    client = Client()
    client.force_login(w.viewer)
    listing = client.get(f"/{w.team.slug}/vision/sweeps/")
    assert listing.status_code == 200 and "lr-depth" in listing.content.decode() and "New sweep" not in listing.content.decode()
    page = client.get(f"/{w.team.slug}/vision/sweeps/{sweep.sweep_id}/").content.decode()
    assert "teamsite agent" in page and "<polyline" in page and "Parameter importance" in page and "Pause" not in page
    client.force_login(w.member)
    page = client.get(f"/{w.team.slug}/vision/sweeps/{sweep.sweep_id}/").content.decode()
    assert "Pause" in page and "Delete sweep" not in page
    made = client.post(f"/{w.team.slug}/vision/sweeps/", {"name": "", "config": "method: grid\nparameters:\n  a: {min: 0.5, max: 1.5}\n"})
    assert made.status_code == 400 and "parameters.a" in made.content.decode()


def test_the_sweeps_list_costs_the_same_queries_at_2_and_at_8_sweeps(w):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(w.viewer)

    def count():
        with CaptureQueriesContext(connection) as seen:
            assert client.get(f"/{w.team.slug}/vision/sweeps/").status_code == 200
        return len(seen)

    for _ in range(2):
        sweep = services.sweep_create(actor=w.member, project=w.project, config=GRID)
        services.sweep_next(actor=w.member, sweep=sweep)
    count()  # the first page of a session also loads what is cached after it
    few = count()
    for _ in range(6):
        sweep = services.sweep_create(actor=w.member, project=w.project, config=GRID)
        services.sweep_next(actor=w.member, sweep=sweep)
    assert count() == few
