"""The project and run endpoints of spec/api.md ("Projects", "Runs"): behaviour, not access.

Who may call what is walked cell by cell in test_access_matrix.py; here each
endpoint's fields, filters, limits and answers are checked against the spec.
"""

import csv
import hashlib
import io
import math
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from experiments.models import LogLine, MetricSeries, Project, Run, RunFile
from teams import services as team_services
from teams.models import Membership
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

T = "/api/v1/teams/lab/projects"


class Lab:
    """Team "lab": an admin, two members, a viewer and a service account, each with an API client."""

    def __init__(self):
        self.admin = factories.user(username="ada-admin")
        self.org = team_services.organization_create(actor=SYSTEM, slug="acme", name="Acme")
        self.team = team_services.team_create(organization=self.org, slug="lab", name="Lab", actor=SYSTEM, admin=self.admin)
        self.alice = self.join("alice", "member")
        self.bob = self.join("bob", "member")
        self.vera = self.join("vera", "viewer")
        bot = team_services.service_account_create(team=self.team, name="ci", actor=self.admin)
        self.bot = bot.service_account.user
        self._bot_key = bot.key

    def join(self, username, role):
        person = factories.user(username=username)
        team_services.org_member_set(actor=SYSTEM, organization=self.org, user=person, role="member")
        team_services.member_add(actor=SYSTEM, team=self.team, user=person, role=role)
        return person

    def api(self, person=None):
        client = factories.ApiClient(Client())
        if person is self.bot:
            client.key = self._bot_key
        elif person is not None:
            client.as_user(person)
        return client


@pytest.fixture
def lab(db):
    return Lab()


@pytest.fixture
def alice(lab):
    return lab.api(lab.alice)


@pytest.fixture
def run(lab, alice):
    """alice's running run "r1" in project "vision"."""
    response = alice.post(f"{T}/vision/runs", {"run_id": "r1"})
    assert response.status_code == 201, response.content
    return Run.objects.get(project__name="vision", run_id="r1")


R = f"{T}/vision/runs/r1"


def error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


def rows(*points, key="loss"):
    return {"rows": [{"step": step, "values": {key: value}} for step, value in points]}


def is_iso_with_zone(text):
    parsed = datetime.fromisoformat(text)
    return parsed.tzinfo is not None


# --- Projects ------------------------------------------------------------------------


class TestProjects:
    def test_create_answers_the_project(self, lab, alice):
        response = alice.post(T, {"name": "vision", "description": "  Seeing things.  "})
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["name"] == "vision"
        assert body["description"] == "Seeing things."
        assert body["visibility"] == "team"
        assert body["created_by"] == "alice"
        assert body["run_count"] == 0 and body["last_run_at"] is None

    def test_create_refuses_bad_and_duplicate_names(self, lab, alice):
        assert alice.post(T, {"name": "vision"}).status_code == 201
        error(alice.post(T, {"name": "Vision"}), 400, "invalid")  # names are unique case-insensitively
        error(alice.post(T, {"name": "has space"}), 400, "invalid")
        error(alice.post(T, {"name": "x" * 65}), 400, "invalid")
        error(alice.post(T, {"name": "ok", "visibility": "secret"}), 400, "invalid")
        assert list(Project.objects.values_list("name", flat=True)) == ["vision"]

    @pytest.mark.parametrize("name", ["settings", "projects", "reports", "registry", "members", "Settings"])
    def test_reserved_names_are_refused(self, lab, alice, name):
        failure = error(alice.post(T, {"name": name}), 400, "invalid")
        assert "name" in failure["fields"]
        # nor by logging the first run to that name
        error(alice.post(f"{T}/{name}/runs", {"run_id": "x"}), 400, "invalid")
        assert not Project.objects.exists()

    def test_list_counts_runs_and_last_activity(self, lab, alice):
        alice.post(T, {"name": "empty"})
        alice.post(f"{T}/busy/runs", {"run_id": "one"})
        second = alice.post(f"{T}/busy/runs", {"run_id": "two"})
        assert second.status_code == 201
        response = alice.get(T)
        assert response.status_code == 200
        body = response.json()
        assert set(body) >= {"results", "next"} and body["next"] is None
        by_name = {row["name"]: row for row in body["results"]}
        assert set(by_name) == {"empty", "busy"}
        for row in body["results"]:
            assert set(row) >= {"name", "description", "visibility", "created_by", "run_count", "last_run_at"}
        assert by_name["empty"]["run_count"] == 0 and by_name["empty"]["last_run_at"] is None
        assert by_name["busy"]["run_count"] == 2
        newest = Run.objects.get(run_id="two").created_at
        assert datetime.fromisoformat(by_name["busy"]["last_run_at"]) == newest
        assert is_iso_with_zone(by_name["busy"]["last_run_at"])

    def test_list_is_newest_first(self, lab, alice):
        for name in ("beta", "alpha", "gamma"):
            assert alice.post(T, {"name": name}).status_code == 201
        assert [row["name"] for row in alice.get(T).json()["results"]] == ["gamma", "alpha", "beta"]

    def test_detail_and_patch(self, lab, alice):
        alice.post(T, {"name": "vision"})
        detail = alice.get(f"{T}/vision")
        assert detail.status_code == 200
        assert {"name", "description", "visibility", "created_by"} <= set(detail.json())
        # the creator holds project:manage on their project
        changed = alice.patch(f"{T}/vision", {"description": "New words", "visibility": "public"})
        assert changed.status_code == 200, changed.content
        assert changed.json()["description"] == "New words" and changed.json()["visibility"] == "public"
        renamed = alice.patch(f"{T}/vision", {"name": "sight"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "sight"
        assert alice.get(f"{T}/vision").status_code == 404
        assert alice.get(f"{T}/sight").status_code == 200
        error(alice.patch(f"{T}/sight", {"visibility": "everyone"}), 400, "invalid")
        error(alice.patch(f"{T}/sight", {"name": "members"}), 400, "invalid")
        alice.post(T, {"name": "other"})
        error(alice.patch(f"{T}/sight", {"name": "OTHER"}), 400, "invalid")
        assert Project.objects.get(name="sight").visibility == "public"

    def test_delete_needs_the_typed_name(self, lab, alice):
        alice.post(f"{T}/vision/runs", {"run_id": "r1"})
        admin = lab.api(lab.admin)
        for body in ({"confirm": "Vision"}, {"confirm": "wrong"}, {}, None):
            failure = error(admin.delete(f"{T}/vision", body), 400, "invalid")
            assert "vision" in failure["message"]
        assert Project.objects.filter(name="vision").exists()
        assert Run.objects.filter(run_id="r1").exists()
        assert admin.delete(f"{T}/vision", {"confirm": "vision"}).status_code == 204
        assert not Project.objects.exists() and not Run.objects.exists()
        assert admin.get(f"{T}/vision").status_code == 404

    def test_logging_into_a_missing_project_creates_it_when_allowed(self, lab, alice):
        response = alice.post(f"{T}/fresh/runs", {"run_id": "first"})
        assert response.status_code == 201
        project = Project.objects.get(team=lab.team, name="fresh")
        assert project.visibility == "team" and project.created_by == lab.alice
        # a viewer may not create one that way
        failure = error(lab.api(lab.vera).post(f"{T}/unseen/runs", {"run_id": "x"}), 403, "forbidden")
        assert "project:create" in failure["message"]
        assert not Project.objects.filter(name="unseen").exists()
        # nor anyone in a team that does not exist
        error(alice.post("/api/v1/teams/nope/projects/fresh/runs", {"run_id": "x"}), 404, "not_found")


# --- Runs ----------------------------------------------------------------------------


RUN_FIELDS = {
    "run_id", "name", "state", "created_by", "logged_by", "config", "summary", "tags", "notes", "group",
    "job_type", "host", "created_at", "heartbeat_at", "finished_at", "stop_requested",
}


class TestRunCreate:
    def test_answers_run_id_name_and_url(self, lab, alice):
        response = alice.post(f"{T}/vision/runs", {"run_id": "r1", "name": "baseline", "config": {"lr": 0.1}})
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["run_id"] == "r1" and body["name"] == "baseline"
        assert body["url"].startswith("http") and body["url"].endswith("/lab/vision/runs/r1/")
        browser = Client()
        browser.force_login(lab.alice)
        assert browser.get(body["url"]).status_code == 200

    def test_defaults_a_run_id_and_a_name(self, lab, alice):
        body = alice.post(f"{T}/vision/runs", {}).json()
        assert len(body["run_id"]) >= 6 and body["name"] == body["run_id"]
        other = alice.post(f"{T}/vision/runs", {}).json()
        assert other["run_id"] != body["run_id"]

    def test_duplicate_run_id_is_a_conflict(self, lab, alice, run):
        error(alice.post(f"{T}/vision/runs", {"run_id": "r1"}), 409, "conflict")
        error(lab.api(lab.bob).post(f"{T}/vision/runs", {"run_id": "r1"}), 409, "conflict")
        assert Run.objects.filter(run_id="r1").count() == 1
        # the same id in another project is fine
        assert alice.post(f"{T}/other/runs", {"run_id": "r1"}).status_code == 201

    def test_bad_fields(self, lab, alice):
        error(alice.post(f"{T}/vision/runs", {"run_id": "no spaces"}), 400, "invalid")
        error(alice.post(f"{T}/vision/runs", {"run_id": "ok", "tags": ["x" * 65]}), 400, "invalid")
        error(alice.post(f"{T}/vision/runs", {"run_id": "ok", "config": [1, 2]}), 400, "invalid")
        assert not Run.objects.exists()

    def test_get_answers_every_field_of_the_spec(self, lab, alice):
        alice.post(
            f"{T}/vision/runs",
            {
                "run_id": "r1", "name": "baseline", "config": {"lr": 0.001, "arch": "resnet"}, "tags": ["b", "a", "a"],
                "notes": "first try", "group": "sweep-1", "job_type": "train", "host": "gpu-box",
            },
        )
        response = alice.get(R)
        assert response.status_code == 200
        body = response.json()
        assert RUN_FIELDS <= set(body)
        assert body["run_id"] == "r1" and body["name"] == "baseline" and body["state"] == "running"
        assert body["created_by"] == "alice" and body["logged_by"] == "alice"
        assert body["config"] == {"lr": 0.001, "arch": "resnet"}
        assert body["summary"] == {}
        assert sorted(body["tags"]) == ["a", "b"]
        assert body["notes"] == "first try" and body["group"] == "sweep-1"
        assert body["job_type"] == "train" and body["host"] == "gpu-box"
        assert is_iso_with_zone(body["created_at"]) and is_iso_with_zone(body["heartbeat_at"])
        assert body["finished_at"] is None and body["stop_requested"] is False
        error(alice.get(f"{T}/vision/runs/nope"), 404, "not_found")


class TestRunList:
    @pytest.fixture
    def runs(self, lab, alice):
        specs = [
            ("r1", {"name": "alpha", "config": {"lr": 0.001, "arch": "resnet", "layers": 3, "opt": {"name": "adam"}}, "tags": ["keep"], "group": "g1", "notes": "works well"}),
            ("r2", {"name": "beta", "config": {"lr": 0.01, "arch": "vit", "layers": 12}, "tags": ["keep", "big"], "group": "g2"}),
            ("r3", {"name": "gamma", "config": {"lr": 0.001, "arch": "vit", "layers": 3}, "tags": [], "group": "g1"}),
            ("r4", {"name": "delta", "config": {"lr": 0.1}}),
        ]
        for run_id, fields in specs:
            assert alice.post(f"{T}/vision/runs", {"run_id": run_id, **fields}).status_code == 201
        for run_id, acc in [("r1", 0.5), ("r2", 0.9), ("r3", 0.7)]:
            assert alice.patch(f"{T}/vision/runs/{run_id}", {"summary": {"acc": acc}}).status_code == 200
        assert alice.patch(f"{T}/vision/runs/r2", {"state": "finished"}).status_code == 200
        assert alice.patch(f"{T}/vision/runs/r4", {"state": "failed"}).status_code == 200

    def ids(self, client, query=""):
        response = client.get(f"{T}/vision/runs{query}")
        assert response.status_code == 200, response.content
        return [row["run_id"] for row in response.json()["results"]]

    def test_newest_first_by_default(self, runs, alice):
        assert self.ids(alice) == ["r4", "r3", "r2", "r1"]
        assert self.ids(alice, "?order=-created_at") == ["r4", "r3", "r2", "r1"]

    def test_filters(self, runs, alice):
        assert self.ids(alice, "?state=running") == ["r3", "r1"]
        assert self.ids(alice, "?state=finished") == ["r2"]
        assert self.ids(alice, "?tag=keep") == ["r2", "r1"]
        assert self.ids(alice, "?tag=big") == ["r2"]
        assert self.ids(alice, "?group=g1") == ["r3", "r1"]
        assert self.ids(alice, "?q=alp") == ["r1"]
        assert self.ids(alice, "?q=WORKS") == ["r1"]  # notes, any case
        assert self.ids(alice, "?config.lr=0.001") == ["r3", "r1"]
        assert self.ids(alice, "?config.arch=vit") == ["r3", "r2"]
        assert self.ids(alice, "?config.layers=3") == ["r3", "r1"]
        assert self.ids(alice, "?config.arch=vit&config.layers=3") == ["r3"]
        assert self.ids(alice, "?config.arch=vit&state=finished&tag=big&group=g2") == ["r2"]
        assert self.ids(alice, "?config.arch=nothing") == []

    def test_nested_config_key(self, runs, alice):
        assert self.ids(alice, "?config.opt.name=adam") == ["r1"]

    def test_order_by_summary(self, runs, alice):
        assert self.ids(alice, "?order=-summary.acc") == ["r2", "r3", "r1", "r4"]  # runs without it last
        assert self.ids(alice, "?order=summary.acc") == ["r1", "r3", "r2", "r4"]

    def test_pages(self, runs, alice):
        first = alice.get(f"{T}/vision/runs?limit=3").json()
        assert len(first["results"]) == 3 and first["next"]
        second = alice.get(first["next"]).json()
        assert [row["run_id"] for row in second["results"]] == ["r1"] and second["next"] is None


class TestRunPatch:
    def test_logger_changes_config_and_summary_key_by_key(self, lab, alice):
        alice.post(f"{T}/vision/runs", {"run_id": "r1", "config": {"lr": 0.1, "batch": 32}})
        response = alice.patch(R, {"config": {"batch": 64, "epochs": 3}, "summary": {"acc": 0.5, "loss": 1.0}})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["config"] == {"lr": 0.1, "batch": 64, "epochs": 3}
        assert body["summary"] == {"acc": 0.5, "loss": 1.0}
        body = alice.patch(R, {"config": {"lr": None}, "summary": {"loss": None, "best": 2}}).json()
        assert body["config"] == {"batch": 64, "epochs": 3}  # null removes the key
        assert body["summary"] == {"acc": 0.5, "best": 2}
        body = alice.patch(R, {"name": "renamed"}).json()
        assert body["name"] == "renamed" and alice.get(R).json()["name"] == "renamed"

    def test_state_values(self, lab, alice, run):
        failure = error(alice.patch(R, {"state": "done"}), 400, "invalid")
        assert "state" in failure["fields"]
        finished = alice.patch(R, {"state": "finished"}).json()
        assert finished["state"] == "finished" and is_iso_with_zone(finished["finished_at"])
        for state in ("failed", "crashed", "stopped", "running"):
            assert alice.patch(R, {"state": state}).json()["state"] == state
        assert alice.get(R).json()["finished_at"] is None  # running again

    def test_only_the_logger_or_an_admin_changes_config_summary_state_name(self, lab, alice, run):
        bob = lab.api(lab.bob)
        for change in ({"config": {"x": 1}}, {"summary": {"x": 1}}, {"state": "finished"}, {"name": "bobs"}):
            failure = error(bob.patch(R, change), 403, "forbidden")
            assert "run:delete_any" in failure["message"] or "log" in failure["message"]
        run.refresh_from_db()
        assert run.config == {} and run.summary == {} and run.state == "running" and run.name == "r1"
        admin = lab.api(lab.admin)
        assert admin.patch(R, {"summary": {"checked": True}}).status_code == 200
        assert admin.patch(R, {"state": "finished"}).json()["state"] == "finished"

    def test_members_edit_notes_and_tags_of_any_run_viewers_do_not(self, lab, alice, run):
        bob = lab.api(lab.bob)
        body = bob.patch(R, {"notes": "looked at it", "tags": ["reviewed", "reviewed", "good"]}).json()
        assert body["notes"] == "looked at it" and body["tags"] == ["good", "reviewed"]
        failure = error(lab.api(lab.vera).patch(R, {"notes": "viewer was here"}), 403, "forbidden")
        assert "run:edit_workspace" in failure["message"]
        assert Run.objects.get(pk=run.pk).notes == "looked at it"
        # a mixed change needs both rights: nothing is saved when one is missing
        error(bob.patch(R, {"notes": "again", "name": "bobs"}), 403, "forbidden")
        assert Run.objects.get(pk=run.pk).notes == "looked at it"


# --- History ---------------------------------------------------------------------------


class TestHistory:
    def test_accepts_points_and_reads_them_back(self, lab, alice, run):
        body = {"rows": [{"step": 0, "values": {"loss": 2.0, "acc": 0.1}, "ts": 1700000000.5}, {"step": 1, "values": {"loss": 1.5}}]}
        response = alice.post(f"{R}/history", body)
        assert response.status_code == 200, response.content
        assert response.json() == {"accepted": 3}
        read = alice.get(f"{R}/history").json()
        assert read["sampled"] is False
        assert read["total_points"] == {"loss": 2, "acc": 1}
        assert read["series"]["loss"]["steps"] == [0, 1] and read["series"]["loss"]["values"] == [2.0, 1.5]
        assert read["series"]["acc"]["values"] == [0.1]
        assert read["series"]["acc"]["ts"] == [1700000000.5]
        # the summary keeps each metric's last value
        assert alice.get(R).json()["summary"] == {"loss": 1.5, "acc": 0.1}

    def test_batch_id_is_applied_once(self, lab, alice, run):
        body = {**rows((0, 1.0), (1, 0.5)), "batch_id": "b-1"}
        assert alice.post(f"{R}/history", body).json() == {"accepted": 2}
        again = alice.post(f"{R}/history", body)
        assert again.status_code == 200
        assert again.json()["accepted"] == 0
        assert alice.get(f"{R}/history").json()["total_points"] == {"loss": 2}
        assert alice.post(f"{R}/history", {**rows((2, 0.25)), "batch_id": "b-2"}).json() == {"accepted": 1}
        assert alice.get(f"{R}/history").json()["total_points"] == {"loss": 3}

    def test_more_than_ten_thousand_points_is_too_large_and_writes_nothing(self, lab, alice, run):
        alice.post(f"{R}/history", rows((0, 1.0)))
        exactly = {"rows": [{"step": step, "values": {"a": 1.0, "b": 2.0}} for step in range(1, 5001)]}
        assert alice.post(f"{R}/history", exactly).json() == {"accepted": 10_000}
        over = {"rows": [{"step": step, "values": {"loss": 1.0, "b": 2.0}} for step in range(5001, 10_001)] + [{"step": 10_001, "values": {"loss": 0.0}}]}
        failure = error(alice.post(f"{R}/history", over), 413, "too_large")
        assert "10,000" in failure["message"] or "10000" in failure["message"]
        assert alice.get(f"{R}/history?samples=0").json()["total_points"] == {"loss": 1, "a": 5000, "b": 5000}

    def test_a_string_value_is_refused_naming_the_key(self, lab, alice, run):
        failure = error(alice.post(f"{R}/history", {"rows": [{"step": 0, "values": {"loss": 1.0, "lr_name": "high"}}]}), 400, "invalid")
        assert "lr_name" in failure["message"]
        assert not MetricSeries.objects.exists()
        error(alice.post(f"{R}/history", {"rows": [{"step": 0, "values": {"flag": True}}]}), 400, "invalid")
        error(alice.post(f"{R}/history", {"rows": [{"step": -1, "values": {"x": 1}}]}), 400, "invalid")
        error(alice.post(f"{R}/history", {"rows": [{"step": 1.5, "values": {"x": 1}}]}), 400, "invalid")
        error(alice.post(f"{R}/history", {"rows": "nope"}), 400, "invalid")
        error(alice.post(f"{R}/history", raw=b"{not json"), 400, "invalid")
        assert not MetricSeries.objects.exists()

    def test_nan_and_infinity_are_kept_null_in_json_and_literal_in_csv(self, lab, alice, run):
        raw = '{"rows": [{"step": 0, "values": {"loss": NaN}}, {"step": 1, "values": {"loss": Infinity}}, {"step": 2, "values": {"loss": -Infinity}}, {"step": 3, "values": {"loss": 0.5}}]}'
        response = alice.post(f"{R}/history", raw=raw)
        assert response.status_code == 200, response.content
        assert response.json() == {"accepted": 4}
        read = alice.get(f"{R}/history")
        assert b"NaN" not in read.content and b"Infinity" not in read.content  # strict JSON
        assert read.json()["series"]["loss"]["values"] == [None, None, None, 0.5]
        assert read.json()["series"]["loss"]["steps"] == [0, 1, 2, 3]
        lines = list(csv.reader(io.StringIO(b"".join(alice.get(f"{R}/history?format=csv").streaming_content).decode())))
        assert lines[0] == ["key", "step", "ts", "value"]
        values = [row[3] for row in lines[1:]]
        assert values[:3] == ["nan", "inf", "-inf"] and float(values[3]) == 0.5

    def test_steps_must_not_go_back(self, lab, alice, run):
        failure = error(alice.post(f"{R}/history", rows((5, 1.0), (4, 1.0))), 400, "invalid")
        assert "loss" in failure["message"]
        assert not MetricSeries.objects.exists()
        alice.post(f"{R}/history", rows((10, 1.0)))
        failure = error(alice.post(f"{R}/history", rows((9, 1.0))), 400, "invalid")
        assert "loss" in failure["message"]
        assert alice.post(f"{R}/history", rows((10, 2.0), (11, 3.0))).status_code == 200  # the same step again is fine
        # each key keeps its own steps
        assert alice.post(f"{R}/history", rows((0, 1.0), key="other")).status_code == 200

    @pytest.mark.parametrize("state", ["finished", "stopped", "failed"])
    def test_a_finished_run_takes_no_more_data(self, lab, alice, run, state):
        alice.post(f"{R}/history", rows((0, 1.0)))
        alice.patch(R, {"state": state})
        error(alice.post(f"{R}/history", rows((1, 1.0))), 409, "conflict")
        error(alice.post(f"{R}/system-metrics", rows((1, 1.0), key="cpu")), 409, "conflict")
        assert alice.get(f"{R}/history").json()["total_points"] == {"loss": 1}

    def test_a_crashed_run_takes_data_and_is_running_again(self, lab, alice, run):
        alice.patch(R, {"state": "crashed"})
        assert alice.post(f"{R}/history", rows((0, 1.0))).status_code == 200
        assert alice.get(R).json()["state"] == "running"

    def test_unknown_run_or_project(self, lab, alice, run):
        error(alice.post(f"{T}/vision/runs/nope/history", rows((0, 1.0))), 404, "not_found")
        error(alice.get(f"{T}/vision/runs/nope/history"), 404, "not_found")
        error(alice.get(f"{T}/nothing/runs/r1/history"), 404, "not_found")

    def test_samples_limits_points_and_keeps_extremes(self, lab, alice, run):
        values = [math.sin(step / 50) for step in range(5000)]
        values[1234] = 99.0  # a spike
        values[4321] = -99.0
        body = {"rows": [{"step": step, "values": {"loss": value, "acc": 1.0}} for step, value in enumerate(values)]}
        assert alice.post(f"{R}/history", body).json() == {"accepted": 10_000}

        sampled = alice.get(f"{R}/history?samples=100&keys=loss").json()
        assert sampled["sampled"] is True
        assert list(sampled["series"]) == ["loss"]
        assert sampled["total_points"] == {"loss": 5000}
        series = sampled["series"]["loss"]
        assert 0 < len(series["values"]) <= 100 and len(series["steps"]) == len(series["values"])
        assert series["steps"] == sorted(series["steps"])
        assert 99.0 in series["values"] and -99.0 in series["values"]
        assert series["steps"][series["values"].index(99.0)] == 1234
        assert series["steps"][series["values"].index(-99.0)] == 4321

        default = alice.get(f"{R}/history").json()
        assert default["sampled"] is True and len(default["series"]["loss"]["values"]) <= 1000

        everything = alice.get(f"{R}/history?samples=0").json()
        assert everything["sampled"] is False
        assert everything["series"]["loss"]["steps"] == list(range(5000))
        assert everything["series"]["loss"]["values"] == values

        short = alice.get(f"{R}/history?samples=5000").json()
        assert short["sampled"] is False and len(short["series"]["acc"]["values"]) == 5000
        error(alice.get(f"{R}/history?samples=-1"), 400, "invalid")

    def test_keys_filter(self, lab, alice, run):
        alice.post(f"{R}/history", {"rows": [{"step": 0, "values": {"a": 1, "b": 2, "c": 3}}]})
        read = alice.get(f"{R}/history?keys=a,c").json()
        assert set(read["series"]) == {"a", "c"} and set(read["total_points"]) == {"a", "c"}
        assert alice.get(f"{R}/history?keys=zzz").json()["series"] == {}
        lines = b"".join(alice.get(f"{R}/history?format=csv&keys=b").streaming_content).decode().splitlines()
        assert lines[1:] and all(line.startswith('"b",') for line in lines[1:])

    def test_csv_streams_every_point(self, lab, alice, run):
        body = {"rows": [{"step": step, "values": {"loss": step / 10, "acc": 1 - step / 3000}} for step in range(3000)]}
        alice.post(f"{R}/history", body)
        response = alice.get(f"{R}/history?format=csv&samples=10")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert response.streaming
        reader = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert reader[0] == ["key", "step", "ts", "value"]
        points = reader[1:]
        assert len(points) == 6000
        loss = [(float(step), float(value)) for key, step, ts, value in points if key == "loss"]
        assert loss == [(float(step), step / 10) for step in range(3000)]


class TestSystemMetrics:
    def test_same_shape_as_history_and_separate_from_it(self, lab, alice, run):
        body = {"rows": [{"step": step, "values": {"cpu": 10.0 + step, "memory": 50.0, "gpu.0.util": 90.0}} for step in range(3)]}
        response = alice.post(f"{R}/system-metrics", body)
        assert response.status_code == 200 and response.json() == {"accepted": 9}
        read = alice.get(f"{R}/system-metrics").json()
        assert set(read) >= {"series", "total_points", "sampled"}
        assert set(read["series"]) == {"cpu", "memory", "gpu.0.util"}
        assert read["series"]["cpu"]["values"] == [10, 11, 12] and read["series"]["cpu"]["steps"] == [0, 1, 2]
        assert read["total_points"]["gpu.0.util"] == 3 and read["sampled"] is False
        assert alice.get(f"{R}/system-metrics?keys=cpu&samples=2").json()["sampled"] is True
        assert alice.get(f"{R}/history").json()["series"] == {}
        assert alice.get(R).json()["summary"] == {}  # system metrics are not the run's summary
        csv_text = b"".join(alice.get(f"{R}/system-metrics?format=csv").streaming_content).decode()
        assert len(csv_text.splitlines()) == 1 + 9
        batch = {**rows((3, 1.0), key="cpu"), "batch_id": "s1"}
        assert alice.post(f"{R}/system-metrics", batch).json() == {"accepted": 1}
        assert alice.post(f"{R}/system-metrics", batch).json() == {"accepted": 0}
        # the same batch id on history is a different batch
        assert alice.post(f"{R}/history", {**rows((0, 1.0)), "batch_id": "s1"}).json() == {"accepted": 1}


# --- Logs, files -----------------------------------------------------------------------


class TestLogs:
    def test_append_and_page(self, lab, alice, run):
        assert alice.post(f"{R}/logs", {"lines": ["a", "b", "c"]}).json() == {"next_offset": 3}
        assert alice.post(f"{R}/logs", {"lines": ["d", "e"]}).json() == {"next_offset": 5}
        assert alice.get(f"{R}/logs").json() == {"lines": ["a", "b", "c", "d", "e"], "next_offset": 5}
        assert alice.get(f"{R}/logs?offset=1&limit=2").json() == {"lines": ["b", "c"], "next_offset": 3}
        assert alice.get(f"{R}/logs?offset=3").json() == {"lines": ["d", "e"], "next_offset": 5}
        assert alice.get(f"{R}/logs?offset=5").json() == {"lines": [], "next_offset": 5}
        error(alice.get(f"{R}/logs?limit=0"), 400, "invalid")
        error(alice.get(f"{R}/logs?offset=-1"), 400, "invalid")
        error(alice.post(f"{R}/logs", {"lines": "not a list"}), 400, "invalid")
        assert LogLine.objects.count() == 5
        # a viewer reads, never writes
        vera = lab.api(lab.vera)
        assert vera.get(f"{R}/logs").json()["lines"][0] == "a"
        error(vera.post(f"{R}/logs", {"lines": ["x"]}), 403, "forbidden")


class TestFiles:
    def upload(self, lab, files):
        client = Client()
        key = factories.api_key(lab.alice)
        data = {path: SimpleUploadedFile("upload.bin", content) for path, content in files.items()}
        return client.post(f"{R}/files", data, headers={"Authorization": f"Bearer {key}"})

    def test_upload_list_download(self, lab, alice, run):
        weights = bytes(range(256)) * 40
        response = self.upload(lab, {"model/weights.bin": weights, "config.yaml": b"lr: 0.1\n"})
        assert response.status_code == 201, response.content
        listed = alice.get(f"{R}/files")
        assert listed.status_code == 200
        assert listed.json()["results"] == [
            {"path": "config.yaml", "size": 8, "sha256": hashlib.sha256(b"lr: 0.1\n").hexdigest()},
            {"path": "model/weights.bin", "size": len(weights), "sha256": hashlib.sha256(weights).hexdigest()},
        ]
        download = alice.get(f"{R}/files/model/weights.bin")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == weights
        error(alice.get(f"{R}/files/model/nothing.bin"), 404, "not_found")
        # a viewer may read the run's files (run:view)
        assert lab.api(lab.vera).get(f"{R}/files/config.yaml").status_code == 200

    def test_uploading_the_same_path_replaces_the_file(self, lab, alice, run):
        self.upload(lab, {"out.txt": b"one"})
        self.upload(lab, {"out.txt": b"second"})
        rows_ = alice.get(f"{R}/files").json()["results"]
        assert rows_ == [{"path": "out.txt", "size": 6, "sha256": hashlib.sha256(b"second").hexdigest()}]
        assert b"".join(alice.get(f"{R}/files/out.txt").streaming_content) == b"second"

    @pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "..", "a/.."])
    def test_path_traversal_is_refused_and_nothing_saved(self, lab, alice, run, bad, settings):
        response = self.upload(lab, {"good.txt": b"fine", bad: b"evil"})
        error(response, 400, "invalid")
        assert not RunFile.objects.exists()
        media = settings.MEDIA_ROOT
        stored = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
        assert stored == []
        assert not (media.parent / "x").exists() and not (media.parent / "b").exists()

    def test_no_files(self, lab, alice, run):
        error(alice.post(f"{R}/files", {}), 400, "invalid")


# --- Heartbeat, stop, alerts ------------------------------------------------------------------


class TestHeartbeatAndStop:
    def test_stop_is_seen_at_the_next_heartbeat(self, lab, alice, run):
        assert alice.post(f"{R}/heartbeat").json() == {"stop_requested": False}
        stop = lab.api(lab.admin).post(f"{R}/stop")
        assert stop.status_code == 202
        assert alice.post(f"{R}/heartbeat").json() == {"stop_requested": True}
        assert alice.get(R).json()["stop_requested"] is True
        # the client ends the run as stopped
        assert alice.patch(R, {"state": "stopped"}).json()["state"] == "stopped"

    def test_heartbeat_is_for_the_logger(self, lab, alice, run):
        error(lab.api(lab.bob).post(f"{R}/heartbeat"), 403, "forbidden")

    def test_heartbeat_revives_a_crashed_run(self, lab, alice, run):
        alice.patch(R, {"state": "crashed"})
        alice.post(f"{R}/heartbeat")
        assert alice.get(R).json()["state"] == "running"


class TestAlerts:
    def test_the_same_title_is_not_sent_again_within_wait_duration(self, lab, alice, run, mailoutbox, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            first = alice.post(f"{R}/alerts", {"title": "Loss exploded", "text": "loss=1e9", "level": "error"})
        assert first.status_code == 201, first.content
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == [lab.alice.email]
        assert "Loss exploded" in mailoutbox[0].subject

        with django_capture_on_commit_callbacks(execute=True):
            again = alice.post(f"{R}/alerts", {"title": "Loss exploded", "text": "loss=1e10", "level": "error"})
        assert again.status_code == 201
        assert len(mailoutbox) == 1

        with django_capture_on_commit_callbacks(execute=True):
            other = alice.post(f"{R}/alerts", {"title": "Done", "text": "ok", "level": "info"})
            eager = alice.post(f"{R}/alerts", {"title": "Loss exploded", "text": "x", "level": "warn", "wait_duration": 0})
        assert other.status_code == 201 and eager.status_code == 201
        assert len(mailoutbox) == 3

    def test_the_window_runs_from_the_last_alert_sent(self, lab, alice, run, mailoutbox, django_capture_on_commit_callbacks):
        from datetime import timedelta

        from django.utils import timezone

        from experiments.models import RunAlert

        with django_capture_on_commit_callbacks(execute=True):
            alice.post(f"{R}/alerts", {"title": "GPU hot", "level": "warn"})  # sent
            alice.post(f"{R}/alerts", {"title": "GPU hot", "level": "warn"})  # a repeat, not sent
        assert len(mailoutbox) == 1
        first, repeat = RunAlert.objects.order_by("pk")
        now = timezone.now()
        RunAlert.objects.filter(pk=first.pk).update(created_at=now - timedelta(seconds=400))
        RunAlert.objects.filter(pk=repeat.pk).update(created_at=now - timedelta(seconds=200))
        with django_capture_on_commit_callbacks(execute=True):
            third = alice.post(f"{R}/alerts", {"title": "GPU hot", "level": "warn"})
        assert third.status_code == 201
        assert len(mailoutbox) == 2  # 400 s since the last email > wait_duration (300 s)

    def test_bad_alerts(self, lab, alice, run, mailoutbox, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            error(alice.post(f"{R}/alerts", {"title": "x", "level": "panic"}), 400, "invalid")
            error(alice.post(f"{R}/alerts", {"title": "   ", "level": "info"}), 400, "invalid")
            error(alice.post(f"{R}/alerts", {"title": "x", "wait_duration": -1}), 400, "invalid")
        assert mailoutbox == []


# --- Service accounts and attribution ------------------------------------------------------------


class TestAttribution:
    def test_a_service_account_credits_a_member_by_username(self, lab):
        bot = lab.api(lab.bot)
        response = bot.post(f"{T}/vision/runs", {"run_id": "nightly", "username": "alice"})
        assert response.status_code == 201, response.content
        body = bot.get(f"{T}/vision/runs/nightly").json()
        assert body["created_by"] == "alice" and body["logged_by"] == lab.bot.username
        # the service account keeps logging it
        assert bot.post(f"{T}/vision/runs/nightly/history", rows((0, 1.0))).status_code == 200
        # and the credited person owns it ("own" means the creator): may delete it; another member
        # may not, nor the service account, which only logs it
        error(lab.api(lab.bob).delete(f"{T}/vision/runs/nightly"), 403, "forbidden")
        error(bot.delete(f"{T}/vision/runs/nightly"), 403, "forbidden")
        assert lab.api(lab.alice).delete(f"{T}/vision/runs/nightly").status_code == 204

    def test_a_service_account_credits_a_member_by_email(self, lab):
        bot = lab.api(lab.bot)
        response = bot.post(f"{T}/vision/runs", {"run_id": "nightly", "user_email": "BOB@example.com"})
        assert response.status_code == 201, response.content
        run = Run.objects.get(run_id="nightly")
        assert run.created_by == lab.bob and run.logged_by == lab.bot

    def test_without_a_name_the_service_account_is_the_creator(self, lab):
        lab.api(lab.bot).post(f"{T}/vision/runs", {"run_id": "plain"})
        run = Run.objects.get(run_id="plain")
        assert run.created_by == lab.bot and run.logged_by == lab.bot

    @pytest.mark.parametrize("field,value", [("username", "stranger"), ("username", "nobody-at-all"), ("user_email", "stranger@example.com")])
    def test_a_name_that_is_not_a_member_is_a_clear_400(self, lab, field, value):
        factories.user(username="stranger")  # exists, but is not in the team
        failure = error(lab.api(lab.bot).post(f"{T}/vision/runs", {"run_id": "nightly", field: value}), 400, "invalid")
        assert value in failure["message"] and "member" in failure["message"]
        assert field in failure["fields"]
        assert not Run.objects.exists()

    def test_a_person_may_not_log_for_someone_else(self, lab, alice):
        failure = error(alice.post(f"{T}/vision/runs", {"run_id": "r1", "username": "bob"}), 400, "invalid")
        assert "service account" in failure["message"]
        error(alice.post(f"{T}/vision/runs", {"run_id": "r1", "user_email": "bob@example.com"}), 400, "invalid")
        assert not Run.objects.exists()
        # naming oneself is harmless
        assert alice.post(f"{T}/vision/runs", {"run_id": "r1", "username": "alice"}).status_code == 201
        assert Run.objects.get(run_id="r1").created_by == lab.alice


def test_runs_survive_their_creator_leaving_the_team(lab, alice, run):
    alice.post(f"{R}/history", rows((0, 1.0)))
    team_services.member_remove(actor=SYSTEM, membership=Membership.objects.get(team=lab.team, user=lab.alice))
    admin = lab.api(lab.admin)
    body = admin.get(R)
    assert body.status_code == 200
    assert body.json()["created_by"] == "alice"
    assert [row["run_id"] for row in admin.get(f"{T}/vision/runs").json()["results"]] == ["r1"]
    assert admin.get(f"{R}/history").json()["total_points"] == {"loss": 1}
    assert Run.objects.get(pk=run.pk).created_by == lab.alice
    # alice, now outside the team, no longer sees it
    error(alice.get(R), 404, "not_found")


class TestColumnForm:
    """The column form of a history batch: the same points, faster to parse."""

    @pytest.fixture
    def run_url(self, api_client):
        from teams import services as team_services

        owner = factories.user(username="col-owner")
        org = team_services.organization_create(actor=SYSTEM, slug="col-org", name="Col", admin=owner)
        team_services.team_create(organization=org, slug="col", name="Col", actor=SYSTEM, admin=owner)
        api_client.as_user(owner)
        created = api_client.post("/api/v1/teams/col/projects/p/runs", {"name": "c"}).json()
        return f"/api/v1/teams/col/projects/p/runs/{created['run_id']}"

    def test_columns_equal_rows(self, api_client, run_url):
        body = {"columns": {"step": [0, 1, 2], "ts": [10.0, 11.0, 12.0], "values": {"loss": [3.0, None, 1.0], "acc": [0.1, 0.2, 0.3]}}}
        assert api_client.post(run_url + "/history", body).json() == {"accepted": 5}
        series = api_client.get(run_url + "/history?samples=0").json()["series"]
        assert series["loss"] == {"steps": [0, 2], "values": [3, 1], "ts": [10.0, 12.0]}
        assert series["acc"]["values"] == [0.1, 0.2, 0.3]

    @pytest.mark.parametrize(
        "columns, word",
        [
            ({"step": [0, 1], "values": {"loss": [1.0]}}, "one entry per step"),
            ({"step": [1, 0], "values": {"loss": [1.0, 2.0]}}, "never decrease"),
            ({"step": [0, 1], "values": {"loss": [1.0, "x"]}}, "must be a number"),
            ({"step": [0, 1], "values": {"loss": [True, 1.0]}}, "not true/false"),
            ({"step": [0], "ts": ["now"], "values": {"loss": [1.0]}}, "seconds since the epoch"),
        ],
    )
    def test_bad_columns_change_nothing(self, api_client, run_url, columns, word):
        response = api_client.post(run_url + "/history", {"columns": columns})
        assert response.status_code == 400
        assert word in response.json()["error"]["fields"]["columns"][0]
        assert api_client.get(run_url + "/history?samples=0").json()["series"] == {}

    def test_too_many_points(self, api_client, run_url):
        columns = {"step": list(range(5001)), "values": {"a": [1.0] * 5001, "b": [1.0] * 5001}}
        assert api_client.post(run_url + "/history", {"columns": columns}).status_code == 413
