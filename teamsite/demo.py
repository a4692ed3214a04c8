"""The demo that `make run` loads into an empty database.

Each capability adds what it brings here, so a new user of `make run` sees the
product with real content. Passwords are public on purpose: this is a demo.
"""

import math
import random
import time

from django.core.files.base import ContentFile
from django.db import transaction

from accounts.models import User
from accounts.services import user_create
from profiles import services as profile_services
from teams import services as team_services

DEMO_PASSWORD = "teamsite-demo"
OPERATOR_PASSWORD = "teamsite-operator"

PEOPLE = [
    # username, email, display name
    ("ada", "ada@demo-lab.example", "Ada Admin"),
    ("max", "max@demo-lab.example", "Max Member"),
    ("vera", "vera@demo-lab.example", "Vera Viewer"),
]


@transaction.atomic
def load_demo():
    """Create the demo content in one transaction."""
    operator = user_create(username="operator", email="operator@demo-lab.example", password=OPERATOR_PASSWORD)
    operator.is_staff = operator.is_superuser = True
    operator.display_name = "Site Operator"
    operator.save()
    people = {}
    for username, email, display_name in PEOPLE:
        person = user_create(username=username, email=email, password=DEMO_PASSWORD)
        person.display_name = display_name
        person.save(update_fields=["display_name"])
        people[username] = person

    org = team_services.organization_create(actor=operator, slug="demo-org", name="Demo Organization", admin=people["ada"])
    team = team_services.team_create(actor=people["ada"], organization=org, slug="demo-lab", name="Demo Lab")
    for username, role in (("max", "member"), ("vera", "viewer")):
        team_services.org_member_set(actor=people["ada"], organization=org, user=people[username], role="member")
        team_services.member_add(actor=people["ada"], team=team, user=people[username], role=role)
    bot = team_services.service_account_create(actor=people["ada"], team=team, name="nightly-training")
    _demo_experiments(team, people, bot.service_account.user)


RUN_PLANS = [
    # project, name, creator, config, finished state
    ("mnist", "baseline-cnn", "ada", {"lr": 0.001, "batch_size": 64, "arch": "cnn", "dropout": 0.2}, "finished"),
    ("mnist", "higher-lr", "max", {"lr": 0.01, "batch_size": 64, "arch": "cnn", "dropout": 0.2}, "finished"),
    ("mnist", "wide-mlp", "max", {"lr": 0.001, "batch_size": 128, "arch": "mlp", "dropout": 0.5}, "failed"),
    ("mnist", "long-schedule", "ada", {"lr": 0.0005, "batch_size": 64, "arch": "cnn", "dropout": 0.1}, "running"),
    ("cifar10", "resnet18", "ada", {"lr": 0.1, "batch_size": 256, "arch": "resnet18", "augment": True}, "finished"),
    ("cifar10", "resnet18-no-augment", "max", {"lr": 0.1, "batch_size": 256, "arch": "resnet18", "augment": False}, "finished"),
    ("cifar10", "resnet34-live", "max", {"lr": 0.05, "batch_size": 256, "arch": "resnet34", "augment": True}, "running"),
]
# Kept alive by `manage.py demo_live` (which `make run` starts beside the server): a heartbeat and new points every few seconds.
LIVE_RUNS = ("long-schedule", "resnet34-live")


def _curves(config, steps, seed):
    """Plausible training curves: loss falls faster with a higher rate, with noise and a spike."""
    rng = random.Random(seed)
    speed = 40 + 4000 * config["lr"] if config["lr"] < 0.05 else 120
    floor = 0.05 + (0.15 if config.get("arch") == "mlp" else 0.0) + (0.1 if config.get("augment") is False else 0.0)
    rows = []
    start = time.time() - steps * 2
    for step in range(steps):
        loss = floor + 2.3 * math.exp(-step / speed) + rng.gauss(0, 0.03)
        if step == steps // 3:
            loss += 0.8  # a spike the sampled charts must keep
        val_loss = loss + 0.05 + 0.0004 * step * (config.get("dropout", 0.3) < 0.15)
        acc = max(0.0, min(1.0, 1 - loss / 2.4 + rng.gauss(0, 0.005)))
        rows.append({"step": step, "ts": start + step * 2, "values": {"loss": loss, "val_loss": val_loss, "acc": acc}})
    return rows


def _demo_experiments(team, people, bot):
    from experiments import services as experiment_services

    projects = {
        "mnist": experiment_services.project_create(
            actor=people["ada"], team=team, name="mnist", description="Digit classifiers: the team's warm-up benchmark."
        ),
        "cifar10": experiment_services.project_create(
            actor=people["max"], team=team, name="cifar10", description="Image classification on CIFAR-10.", visibility="public"
        ),
    }
    for n, (project, name, creator, config, state) in enumerate(RUN_PLANS):
        run = experiment_services.run_create(
            actor=people[creator], project=projects[project], name=name, config=config,
            tags=["demo", config["arch"]], group=("sweep-1" if project == "mnist" else "augment" if config.get("augment") else "baseline"),
            job_type="train", host="gpu-box-1",
        )
        steps = 300 if state != "failed" else 120
        rows = _curves(config, steps, seed=n)
        for offset in range(0, len(rows), 1000):
            experiment_services.history_append(actor=run.logged_by, run=run, rows=rows[offset : offset + 1000])
        system = [
            {"step": i, "ts": rows[0]["ts"] + i * 15, "values": {"cpu": 55 + 30 * math.sin(i / 5), "memory": 40 + i * 0.1, "gpu.0.util": 80 + 10 * math.cos(i / 3)}}
            for i in range(40)
        ]
        experiment_services.history_append(actor=run.logged_by, run=run, rows=system, kind="system")
        experiment_services.logs_append(actor=run.logged_by, run=run, lines=[f"epoch {e}: loss {rows[min(len(rows) - 1, e * 30)]['values']['loss']:.3f}" for e in range(10)])
        best = max(row["values"]["acc"] for row in rows)
        experiment_services.history_append(actor=run.logged_by, run=run, rows=[{"step": row["step"], "ts": row["ts"], "values": {"lr": config["lr"] * 0.5 * (1 + math.cos(math.pi * row["step"] / steps))}} for row in rows])
        experiment_services.run_update(actor=run.logged_by, run=run, summary={"best_acc": round(best, 4)})
        if state != "running":
            experiment_services.run_update(actor=run.logged_by, run=run, state=state)
            _backdate(run, hours=30 - 4 * n, minutes=12 + 7 * n)
    nightly = experiment_services.run_create(actor=bot, project=projects["mnist"], username="max", name="nightly-2026-11-25", config=RUN_PLANS[0][3], tags=["nightly"], job_type="train")
    experiment_services.history_append(actor=bot, run=nightly, rows=_curves(RUN_PLANS[0][3], 200, seed=99))
    experiment_services.run_update(actor=bot, run=nightly, state="finished")
    _backdate(nightly, hours=9, minutes=25)

    from .demo_sweeps import demo_media, demo_sweep

    demo_sweep(projects["mnist"], people["max"])
    demo_media(projects["mnist"].runs.get(name="baseline-cnn"), people["ada"])
    _demo_views(projects, people)
    _demo_report(team, people, projects["cifar10"])
    _demo_registry(team, people, projects["mnist"], {run.name: run for run in projects["mnist"].runs.all()})
    architecture = ContentFile(b"conv(32) -> conv(64) -> dense(128) -> dense(10)\n", name="summary.txt")
    experiment_services.files_save(actor=bot, run=nightly, files={"model/summary.txt": architecture})


def _demo_registry(team, people, mnist, runs):
    """A dataset and a model artifact with lineage, a registered model with a protected alias."""
    from registry import services as registry

    def entries(files):
        return registry.entries_from_uploads({path: ContentFile(data, name=path.rsplit("/", 1)[-1]) for path, data in files.items()})

    labels = "".join(f"{i},{i % 10}\n" for i in range(1000)).encode()
    dataset, _ = registry.version_create(
        actor=people["ada"], project=mnist, name="mnist-digits", type="dataset", description="70,000 handwritten digits, 28x28.",
        metadata={"rows": 70000, "split": {"train": 60000, "test": 10000}}, entries=entries({"labels.csv": labels, "README.txt": b"MNIST, as downloaded.\n"}),
        aliases=["stable"],
    )
    baseline = runs["baseline-cnn"]
    registry.artifact_use(actor=people["ada"], run=baseline, version=dataset)
    model, _ = registry.version_create(
        actor=people["ada"], project=mnist, name="cnn-classifier", type="model", run=baseline, aliases=["best"],
        metadata={"accuracy": baseline.summary.get("best_acc")}, entries=entries({"model/weights.bin": bytes(range(256)) * 64, "model/config.json": b'{"arch": "cnn"}'}),
    )
    registered = registry.model_create(actor=people["ada"], team=team, name="digit-classifier", description="The digit classifier we ship.")
    link, _ = registry.model_link(actor=people["ada"], model=registered, version=model)
    team_services.member_change_role(actor=people["ada"], membership=team.memberships.get(user=people["ada"]), registry_admin=True)
    registry.protected_aliases_set(actor=people["ada"], team=team, aliases=["production"])
    registry.model_alias_set(actor=people["ada"], model=registered, alias="production", link=link)
    registry.model_alias_set(actor=people["max"], model=registered, alias="staging", link=link)


SIGN_INS = [
    ("operator", OPERATOR_PASSWORD, "system admin: /admin/ and every setting"),
    ("ada", DEMO_PASSWORD, "admin and registry admin of the team demo-lab (projects mnist, cifar10) and of the organization demo-org"),
    ("max", DEMO_PASSWORD, "member of demo-lab"),
    ("vera", DEMO_PASSWORD, "view-only member of demo-lab"),
]


def demo_sign_ins():
    """The demo sign-ins whose accounts exist in this database."""
    present = set(User.objects.filter(username__in=[name for name, _, _ in SIGN_INS]).values_list("username", flat=True))
    return [row for row in SIGN_INS if row[0] in present]


def _demo_views(projects, people):
    """A saved view the team shares (grouped curves, a scatter plot, a note) and Max's own workspace."""
    from experiments import services as experiment_services

    max_ = people["max"]
    experiment_services.panel_edit(actor=max_, project=projects["mnist"], action="add", panel={"type": "line", "keys": ["loss"], "title": "loss by group", "smoothing": 0.6, "group_by": "config.arch"})
    panels = [
        {"type": "markdown", "title": "About this view", "text": "The learning-rate sweep: **loss** by architecture (mean and min-max band), then best accuracy against `lr`."},
        {"type": "line", "keys": ["loss"], "title": "loss, mean by arch", "smoothing": 0.6, "group_by": "config.arch"},
        {"type": "line", "keys": ["lr"], "title": "learning rate", "log_y": True},
        {"type": "scatter", "keys": ["config.lr", "summary.best_acc"]},
        {"type": "bar", "keys": ["summary.best_acc"]},
        {"type": "parallel", "keys": ["config.lr", "config.batch_size", "config.dropout", "summary.best_acc"]},
    ]
    view = experiment_services.view_save(actor=people["ada"], project=projects["mnist"], name="LR sweep", table={"cols": "config.lr, config.arch, summary.best_acc", "order": "-summary.best_acc"})
    experiment_services.project_panels_save(actor=people["ada"], project=projects["mnist"], panels=panels, view=view)
    public = experiment_services.view_save(actor=people["max"], project=projects["cifar10"], name="Augmentation", table={"cols": "config.augment, summary.best_acc"})
    experiment_services.project_panels_save(actor=people["max"], project=projects["cifar10"], view=public, panels=[
        {"type": "line", "keys": ["loss", "val_loss"], "smoothing": 0.5, "x": "relative"},
        {"type": "bar", "keys": ["summary.best_acc"]},
    ])


def _demo_report(team, people, cifar10):
    from reports import services as report_services

    # the showcased report is public, so it charts the public project, naming its runs by name
    body = f"""# Augmentation on CIFAR-10

[![teamsite | cifar10 best_acc](/{team.slug}/cifar10/badge.svg?metric=best_acc)](/{team.slug}/cifar10/)

[TOC]

## What we tried

- [x] ResNet-18 with the standard augmentation
- [x] The same network without it
- [ ] A longer schedule with ResNet-34 (running now)

## Curves

```chart
runs: cifar10/resnet18, cifar10/resnet18-no-augment, cifar10/resnet34-live
keys: loss, val_loss
smoothing: 0.3
```

| run | augment | best acc |
|---|---|---|
| resnet18 | yes | 0.96 |
| resnet18-no-augment | no | 0.92 |

Without augmentation the network settles higher[^1].

```python
run = ts.init(project="cifar10", config={{"lr": 0.1, "augment": True}})
```

[^1]: Both runs used the same seed and batch size.
"""
    report = report_services.report_create(actor=people["ada"], team=team, title="Augmentation on CIFAR-10", body=body, visibility="public", project=None)
    report_services.comment_add(actor=people["max"], report=report, body="Nice. Shall I try **RandAugment** next?")
    report_services.star_set(actor=people["vera"], report=report, on=True)
    report_services.follow_set(actor=people["vera"], report=report, on=True)
    _demo_profile(team, report, people["ada"])


def _demo_profile(team, report, ada):
    intro = """We are a small lab training vision models on modest hardware, and we publish what we learn.

[![cifar10 runs](/demo-lab/cifar10/badge.svg)](/demo-lab/cifar10/) [![cifar10 best_acc](/demo-lab/cifar10/badge.svg?metric=best_acc)](/demo-lab/cifar10/)

Start with our augmentation report, or browse **cifar10**, our public benchmark (one run is training right now)."""
    team_services.team_update(
        actor=ada,
        team=team,
        intro=intro,
        links=[{"label": "Lab website", "url": "https://example.org/demo-lab"}, {"label": "Our paper", "url": "https://example.org/papers/lr-2026.pdf"}],
    )
    profile_services.showcase_add(actor=ada, team=team, report=report)
    profile_services.showcase_add(actor=ada, team=team, project=team.projects.get(name="cifar10"))


def _backdate(run, *, hours, minutes):
    """Demo runs started at different times and took a while, as real ones do."""
    from datetime import timedelta

    from django.utils import timezone

    from experiments.models import Run

    started = timezone.now() - timedelta(hours=hours)
    ended = started + timedelta(minutes=minutes)
    Run.objects.filter(pk=run.pk).update(created_at=started, heartbeat_at=ended, finished_at=ended)


def database_is_empty():
    return not User.objects.exists()


def keep_alive(now=None):
    """One beat for the demo's running runs: a heartbeat and a new point each (called by `manage.py demo_live`)."""
    from experiments import services as experiment_services
    from experiments.models import Run, RunState, SeriesKind

    beats = 0
    for run in Run.objects.filter(name__in=LIVE_RUNS, state=RunState.RUNNING).select_related("project__team", "logged_by"):
        actor = run.logged_by or run.created_by
        series = run.series.filter(kind=SeriesKind.HISTORY, key="loss").first()
        step = int(series.last_step) + 1 if series and series.last_step is not None else 0
        stamp = now or time.time()
        loss = 0.1 + 2.3 * math.exp(-step / 150) + random.gauss(0, 0.02)
        experiment_services.history_append(actor=actor, run=run, rows=[{"step": step, "ts": stamp, "values": {"loss": loss, "val_loss": loss + 0.05, "acc": max(0.0, 1 - loss / 2.4)}}])
        experiment_services.run_heartbeat(actor=actor, run=run)
        beats += 1
    return beats
