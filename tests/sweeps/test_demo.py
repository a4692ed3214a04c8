import io

import pytest
from django.core.management import call_command
from django.test import Client

from experiments.models import RunMedia, Sweep

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_sweep_and_media_to_show():
    call_command("demo", "--if-empty", stdout=io.StringIO())
    sweep = Sweep.objects.get(name="lr-dropout-search")
    assert sweep.runs.count() == 10 and sweep.state == "paused"
    assert set(RunMedia.objects.values_list("kind", flat=True)) == {"image", "table", "histogram"}
    client = Client()
    client.login(username="vera", password="teamsite-demo")
    page = client.get(f"/demo-lab/mnist/sweeps/{sweep.sweep_id}/")
    assert page.status_code == 200 and b"<polyline" in page.content
    run = RunMedia.objects.filter(kind="image").first().run
    assert client.get(f"/demo-lab/mnist/runs/{run.run_id}/?tab=media").status_code == 200
