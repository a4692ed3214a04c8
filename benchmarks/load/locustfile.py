"""The load mix: training jobs logging history while people browse (run by benchmarks/load/run.py).

Hosts come from LOAD_HOSTS (comma-separated): each simulated user sticks to one,
as a browser or a training job behind a load balancer would.
"""

import itertools
import json
import math
import os
import random
import re

from locust import HttpUser, between, events, task

HOSTS = os.environ["LOAD_HOSTS"].split(",")
KEY = os.environ["LOAD_API_KEY"]
TEAM, PROJECT, PUBLIC = os.environ.get("LOAD_TEAM", "demo-lab"), os.environ.get("LOAD_PROJECT", "mnist"), os.environ.get("LOAD_PUBLIC_PROJECT", "cifar10")
RUN_PAGES = os.environ.get("LOAD_RUNS", "").split(",")
REPORT = os.environ.get("LOAD_REPORT", "")
USER, PASSWORD = os.environ.get("LOAD_USER", "max"), os.environ.get("LOAD_PASSWORD", "teamsite-demo")
_host = itertools.cycle(HOSTS)
_job = itertools.count()
POINTS = {"n": 0}


@events.request.add_listener
def _count_points(name, response, exception, context, **kwargs):
    if name == "POST history (1,000 points)" and exception is None:
        POINTS["n"] += 1000


@events.quitting.add_listener
def _report_points(environment, **kwargs):
    runtime = max(environment.runner.stats.total.last_request_timestamp - environment.runner.stats.total.start_time, 1)
    with open(os.environ.get("LOAD_POINTS_FILE", "/dev/null"), "w") as out:
        out.write(json.dumps({"points": POINTS["n"], "seconds": runtime}))


class TrainingJob(HttpUser):
    """A training script: a batch of 1,000 points (two metrics x 500 steps) every few seconds, a heartbeat between."""

    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.host = next(_host)
        self.client.headers.update({"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        self.run_id = f"load-{os.getpid()}-{next(_job)}"
        self.step = 0
        self.base = f"/api/v1/teams/{TEAM}/projects/{PROJECT}/runs"
        self.client.post(self.base, json={"run_id": self.run_id, "name": self.run_id}, name="POST run")

    @task(4)
    def log(self):
        steps = list(range(self.step, self.step + 500))
        self.step += 500
        body = {"columns": {"step": steps, "values": {"loss": [math.exp(-s / 5000) for s in steps], "acc": [1 - math.exp(-s / 3000) for s in steps]}}}
        self.client.post(f"{self.base}/{self.run_id}/history", data=json.dumps(body), name="POST history (1,000 points)")

    @task(1)
    def heartbeat(self):
        self.client.post(f"{self.base}/{self.run_id}/heartbeat", name="POST heartbeat")


class Person(HttpUser):
    """A member browsing: the workspace, run pages, a report, the team profile, the projects list."""

    weight = 2
    wait_time = between(1, 3)

    def on_start(self):
        self.host = next(_host)
        page = self.client.get("/accounts/login/", name="sign in page").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        self.client.post("/accounts/login/", data={"csrfmiddlewaretoken": token, "login": USER, "password": PASSWORD},
                         headers={"Referer": f"{self.host}/accounts/login/"}, name="sign in")

    @task(4)
    def workspace(self):
        self.client.get(f"/{TEAM}/{PROJECT}/", name="workspace")

    @task(3)
    def run_page(self):
        if RUN_PAGES[0]:
            self.client.get(f"/{TEAM}/{PROJECT}/runs/{random.choice(RUN_PAGES)}/", name="run page")

    @task(1)
    def chart_data(self):
        if RUN_PAGES[0]:
            self.client.get(f"/api/v1/teams/{TEAM}/projects/{PROJECT}/runs/{random.choice(RUN_PAGES)}/history?samples=500", name="chart data")

    @task(2)
    def report(self):
        if REPORT:
            self.client.get(f"/{TEAM}/reports/{REPORT}/", name="report")

    @task(2)
    def profile(self):
        self.client.get(f"/{TEAM}/", name="team profile")

    @task(1)
    def projects(self):
        self.client.get(f"/{TEAM}/projects/", name="projects list")


class Visitor(HttpUser):
    """Someone from outside: the public profile and the public project."""

    weight = 1
    wait_time = between(1, 3)

    def on_start(self):
        self.host = next(_host)

    @task(2)
    def profile(self):
        self.client.get(f"/{TEAM}/", name="team profile (visitor)")

    @task(1)
    def public_workspace(self):
        self.client.get(f"/{TEAM}/{PUBLIC}/", name="public workspace (visitor)")
