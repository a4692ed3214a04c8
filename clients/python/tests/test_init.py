"""init: where the settings come from, what is sent, and how the server's answers are handled."""

import pytest

import teamsite_client as ts


def test_the_environment_fills_in_what_init_is_not_given(server, monkeypatch):
    monkeypatch.setenv("TEAMSITE_BASE_URL", server.url + "/api/v1/")  # a pasted API root works too
    monkeypatch.setenv("TEAMSITE_API_KEY", "env-key")
    monkeypatch.setenv("TEAMSITE_TEAM", "vision")
    monkeypatch.setenv("TEAMSITE_PROJECT", "mnist")
    monkeypatch.setenv("TEAMSITE_USERNAME", "grace")
    run = ts.init(name="baseline", tags="cnn", capture_console=False, system_metrics_interval=None)
    run.finish()
    (create,) = server.sent("create")
    assert create.path == "/api/v1/teams/vision/projects/mnist/runs"
    assert create.headers["Authorization"] == "Bearer env-key"
    assert create.headers["User-Agent"].startswith(f"teamsite-client/{ts.__version__} python/3.")
    assert create.body["username"] == "grace" and create.body["tags"] == ["cnn"] and create.body["name"] == "baseline"
    assert len(create.body["run_id"]) == 8 and create.body["host"]
    assert (run.team, run.project, run.name) == ("vision", "mnist", "baseline")
    assert run.url == f"{server.url}/vision/mnist/runs/{run.run_id}/"


def test_what_init_needs_before_it_asks_the_server(server):
    with pytest.raises(ts.TeamsiteError, match="TEAMSITE_API_KEY"):
        ts.init(project="mnist", base_url=server.url)
    with pytest.raises(ts.TeamsiteError, match="TEAMSITE_PROJECT"):
        ts.init(base_url=server.url, api_key="k")
    with pytest.raises(TypeError, match="config is a dict"):
        ts.init(project="mnist", base_url=server.url, api_key="k", team="vision", config=[1, 2])
    assert server.sent() == []


def test_the_callers_only_team_is_the_default_and_several_teams_must_be_named(start, server):
    assert start(team=None).team == "vision"
    server.teams = ["vision", "audio"]
    with pytest.raises(ts.TeamsiteError, match="this account is in audio, vision"):
        start(team=None)


def test_a_refusal_at_init_raises_the_servers_sentence(start, server):
    error = {"error": {"code": "invalid", "message": "grace is not a member of Vision.", "fields": {"username": "not a member"}}}
    server.answer("create", 400, error)
    with pytest.raises(ts.TeamsiteError, match="grace is not a member of Vision") as raised:
        start()
    assert (raised.value.status, raised.value.code, raised.value.fields) == (400, "invalid", {"username": "not a member"})
    assert len(server.sent("create")) == 1  # a 4xx is not retried


def test_a_busy_server_at_init_is_retried(start, server, fast):
    server.answer("create", 503, times=2)
    run = start()
    assert len(server.sent("create")) == 3
    assert len({r.body["run_id"] for r in server.sent("create")}) == 1


def test_a_lost_answer_at_init_fetches_the_run_the_first_try_created(start, server, fast, monkeypatch):
    real = server._usual

    def created_but_lost(request):
        answer = real(request)
        if request.route == "create" and len(server.sent("create")) == 1:
            return 502, None, {}  # the run exists now; the answer never reached the client
        return answer

    monkeypatch.setattr(server, "_usual", created_but_lost)
    run = start(name="once")
    assert [r.route for r in server.sent()][:3] == ["create", "create", "run"]
    assert run.name == "once" and list(server.runs) == [run.run_id]
