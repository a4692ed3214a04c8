"""Sweeps and run media: pages and API (sweep:* scopes, spec/permissions.md) on the world's `team` project.

The world's sweep is the member's (so sweep:control_own is the member's, and the
service account, which holds control_own too, controls only its own); only admins
delete sweeps. Media are written by the run's logger (the member) and read with run:view.
Statuses in the order: anonymous outsider viewer member admin service.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from experiments import services as experiments
from tests.url_matrix.table import api, page

GRID = {"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}, "depth": {"values": [2, 4, 8]}}}
YAML = "method: random\nmetric:\n  name: loss\nparameters:\n  lr:\n    min: 0.001\n    max: 0.1\n"
def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def extend(w):
    member = w.users["member"]
    w.sweep = experiments.sweep_create(actor=member, project=w.project, config=GRID, name="depth-search")
    experiments.sweep_next(actor=member, sweep=w.sweep)
    w.media = experiments.media_save(
        actor=member, run=w.run, meta={"key": "samples", "step": 1, "kind": "image"}, upload=SimpleUploadedFile("a.png", PNG)
    )
    w.names["sweep_id"] = w.sweep.sweep_id
    w.names["media_id"] = w.media.pk


def _image(w):
    return {"file": SimpleUploadedFile("b.png", PNG)}


ROUTES = [
    # pages
    page("sweeps", "GET", "in 404 200 200 200 in"),
    page("sweeps", "POST", "in 404 403 302 302 in", body={"name": "new", "config": YAML}, case="create"),
    page("sweep", "GET", "in 404 200 200 200 in"),
    page("sweep-state", "POST", "in 404 403 302 302 in", body={"state": "paused"}),
    page("sweep-delete", "POST", "in 404 403 403 302 in"),
    page("run-media", "GET", "in 404 200 200 200 in"),
    # sweeps
    api("sweep_list", "GET", "401 404 200 200 200 200"),
    api("sweep_create", "POST", "401 404 403 201 201 201", body={"config": GRID}),
    api("sweep_detail", "GET", "401 404 200 200 200 200"),
    api("sweep_next", "POST", "401 404 403 200 200 200", body={"agent": "matrix"}),
    api("sweep_update", "PATCH", "401 404 403 200 200 403", body={"state": "paused"}),
    api("sweep_delete", "DELETE", "401 404 403 403 204 403"),
    # media
    api("media_upload", "POST", "401 404 403 201 403 403", body={"meta": '{"key": "samples", "step": 2, "kind": "image"}'}, files=_image),
    api("media_list", "GET", "401 404 200 200 200 200"),
]
