"""The demo's sweep and media (called from demo.py): a random search of mnist with a
dozen runs, and images, a table and histograms on the baseline run, so `make run`
shows the sweep page and the run page's Media tab with something in them."""

import io
import math
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

SWEEP_CONFIG = {
    "method": "random",
    "metric": {"name": "val_acc", "goal": "maximize"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 0.0001, "max": 0.1},
        "batch_size": {"values": [32, 64, 128]},
        "dropout": {"min": 0.0, "max": 0.5},
        "arch": {"value": "cnn"},
    },
    "run_cap": 12,
}


def _score(config, rng):
    """A plausible landscape: best near lr=3e-3, a little dropout, batch size barely matters."""
    lr_term = (math.log10(config["lr"]) + 2.5) ** 2 * 0.04
    return round(0.99 - lr_term - abs(config["dropout"] - 0.15) * 0.08 - (config["batch_size"] == 128) * 0.004 + rng.gauss(0, 0.003), 4)


def demo_sweep(project, person):
    from experiments import services

    rng = random.Random(14)
    sweep = services.sweep_create(actor=person, project=project, config=SWEEP_CONFIG, name="lr-dropout-search")
    for n in range(10):
        run = services.sweep_next(actor=person, sweep=sweep, agent="gpu-box-2")
        final = _score(run.config, rng)
        rows = [{"step": s, "values": {"val_acc": final * (1 - math.exp(-(s + 1) / 8)) + rng.gauss(0, 0.002)}} for s in range(40)]
        services.history_append(actor=person, run=run, rows=rows)
        services.run_update(actor=person, run=run, summary={"val_acc": final}, state="finished" if n != 7 else "failed")
    services.sweep_control(actor=person, sweep=sweep, state="paused")
    return sweep


def _digit_png(step):
    image = Image.new("L", (56, 56), 0)
    draw = ImageDraw.Draw(image)
    draw.text((18, 14), str(step % 10), fill=255 - step * 20)
    draw.ellipse((6, 6, 50, 50), outline=120 + step * 10)
    out = io.BytesIO()
    image.resize((112, 112), Image.Resampling.NEAREST).save(out, format="PNG")
    return out.getvalue()


def demo_media(run, person):
    from experiments import services

    import json

    rng = random.Random(7)
    for step in range(0, 300, 60):
        services.media_save(actor=person, run=run, meta={"key": "samples", "step": step, "kind": "image", "caption": "a test digit"},
                            upload=SimpleUploadedFile("d.png", _digit_png(step // 60)))
        values = [rng.gauss(0, 1.0 / (1 + step / 100)) for _ in range(2000)]
        services.media_save(actor=person, run=run, meta={"key": "weights/conv1", "step": step, "kind": "histogram"},
                            upload=SimpleUploadedFile("h.json", json.dumps({"values": values}).encode()))
    table = {"columns": ["image", "label", "prediction", "confidence"],
             "data": [[i, i % 10, (i % 10) if i % 7 else (i + 3) % 10, round(0.6 + rng.random() * 0.4, 3)] for i in range(25)]}
    services.media_save(actor=person, run=run, meta={"key": "predictions", "step": 299, "kind": "table", "caption": "the first 25 test images"},
                        upload=SimpleUploadedFile("t.json", json.dumps(table).encode()))
