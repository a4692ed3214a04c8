"""Sweep and media pages in a real browser: create a sweep from YAML, copy the agent
command, watch runs and the chart, pause and resume; the run's Media tab with its
step slider, a sortable table and the histogram heat strip. No JavaScript errors."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from experiments import services
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

YAML = """method: grid
metric:
  name: acc
  goal: maximize
parameters:
  lr:
    values: [0.1, 0.01, 0.001]
  depth:
    values: [2, 4]
"""


def world():
    people = factories.team_with_members(slug="vision")
    for person in (people.member, people.viewer):
        person.set_password("pw-for-browser")
        person.save()
    project = factories.project(people.team, actor=people.admin, name="mnist")
    return people, project


def no_js_errors(page):
    errors = [e for e in page.js_errors if "Failed to load resource" not in e]
    assert errors == [], errors


def test_create_a_sweep_watch_its_runs_and_pause_it(page):
    people, project = world()
    sign_in(page, people.member.username, "pw-for-browser")
    page.goto("/vision/mnist/sweeps/")
    expect(page.get_by_role("heading", name="No sweeps yet")).to_be_visible()
    page.get_by_label("Config").fill("method: grid\nparameters:\n  lr: {min: 0.1, max: 1.0}\n")
    page.get_by_role("button", name="Create sweep").click()
    expect(page.locator(".field-errors, .errorlist").first).to_contain_text("parameters.lr")
    page.get_by_label("Config").fill(YAML)
    page.get_by_label("Name").fill("lr-depth")
    page.get_by_role("button", name="Create sweep").click()
    expect(page.get_by_role("heading", name="lr-depth")).to_be_visible()
    command = page.get_by_label("Agent command")
    assert command.input_value().startswith("teamsite agent vision/mnist/")
    expect(page.get_by_role("heading", name="Runs (0)")).to_be_visible()

    from experiments.models import Sweep

    sweep = Sweep.objects.get(name="lr-depth")
    for n in range(6):
        run = services.sweep_next(actor=people.member, sweep=sweep)
        services.run_update(actor=people.member, run=run, summary={"acc": 0.5 + run.config["depth"] / 10 - run.config["lr"]}, state="finished")
    page.reload()
    expect(page.get_by_role("heading", name="Runs (6)")).to_be_visible()
    assert page.locator("svg[data-parcoords] polyline").count() == 6
    expect(page.get_by_role("table", name="Parameter importance")).to_contain_text("depth")
    expect(page.get_by_role("heading", name="Best run")).to_be_visible()
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#sweep-state")).to_have_text("Paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#sweep-state")).to_have_text("Running")
    expect(page.get_by_role("button", name="Delete sweep")).to_have_count(0)  # admins only
    no_js_errors(page)


def test_a_viewer_sees_the_sweep_without_controls(page):
    people, project = world()
    sweep = services.sweep_create(actor=people.member, project=project, config={"method": "grid", "parameters": {"a": {"values": [1, 2]}}})
    sign_in(page, people.viewer.username, "pw-for-browser")
    page.goto(f"/vision/mnist/sweeps/{sweep.sweep_id}/")
    expect(page.get_by_role("heading", name="Runs (0)")).to_be_visible()
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    page.goto("/vision/mnist/sweeps/")
    expect(page.get_by_role("button", name="Create sweep")).to_have_count(0)
    no_js_errors(page)


def _png(shade):
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (shade, shade, shade)).save(out, format="PNG")
    return out.getvalue()


def test_media_tab_slider_sortable_table_and_heat_strip(page):
    people, project = world()
    run = factories.run(project, actor=people.member, run_id="r1")
    for step in (0, 10, 20):
        services.media_save(actor=people.member, run=run, meta={"key": "samples", "step": step, "kind": "image", "caption": f"pic {step}"},
                            upload=SimpleUploadedFile("p.png", _png(step * 10)))
        services.media_save(actor=people.member, run=run, meta={"key": "weights", "step": step, "kind": "histogram"},
                            upload=SimpleUploadedFile("h.json", json.dumps({"values": [step, step + 1, step + 1, 30]}).encode()))
    table = {"columns": ["name", "score"], "data": [["b", 2], ["a", 10], ["c", 1]]}
    services.media_save(actor=people.member, run=run, meta={"key": "preds", "step": 20, "kind": "table"},
                        upload=SimpleUploadedFile("t.json", json.dumps(table).encode()))
    sign_in(page, people.viewer.username, "pw-for-browser")
    page.goto("/vision/mnist/runs/r1/?tab=media")
    figures = page.locator("figure.media-image")
    expect(figures.nth(0)).to_be_visible()
    expect(figures.nth(1)).to_be_hidden()
    slider = page.get_by_label("Step of samples")
    slider.fill("2")
    expect(figures.nth(2)).to_be_visible()
    expect(figures.nth(0)).to_be_hidden()
    expect(page.locator("[data-step-label]")).to_have_text("20")
    assert page.evaluate("document.querySelectorAll('figure.media-image img')[2].naturalWidth") == 20
    body_cells = page.locator("table[data-sortable] tbody tr td:nth-child(2)")
    page.get_by_role("button", name="score").click()
    expect(body_cells).to_have_text(["1", "2", "10"])
    page.get_by_role("button", name="score").click()
    expect(body_cells).to_have_text(["10", "2", "1"])
    assert page.locator(".heat-strip-svg rect").count() > 0
    no_js_errors(page)
